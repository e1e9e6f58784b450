"""Computed text reaches the slide as text, never as markup: where a value lands decides how it is escaped.

A value() or table() placeholder lands in one of these places of the rendered Markdown (found with
markdown-it before anything is filled in):

  text     prose, a heading, a list item, a table cell: HTML entities for & < >, a backslash before the
           Markdown punctuation that could start emphasis, code, a link, math, a table cell or a
           strikethrough, and, at the start of a line, before what would start a block (`#`, `-`, `1.`, …)
  math     inside $…$ or $$…$$: unchanged for MathJax, but it may not close the formula (`$`, or a
           trailing backslash that escapes the closing `$`); < and > are written \\lt and \\gt, which
           MathJax draws the same, so that no tag can appear even where Marp would not see the formula,
           and `%` is written \\% (a TeX comment would hide the rest of the formula)
  code     inside a fenced or indented code block: verbatim, but it may not close the fence
  codespan inside `…`: verbatim, but it may not hold a backtick
  comment  inside an HTML comment (presenter notes, directives): verbatim, but it may not close it
  html     inside a raw HTML block or tag: HTML entities only

The author asks for markup explicitly with raw=True; the text is then inserted as it is.
"""

import re
from dataclasses import dataclass

ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Markdown punctuation that means something inside a line: emphasis, code, links, math, tables, strikethrough.
INLINE = re.compile(r"([\\`*_\[\]|~$#])")
# Punctuation that means something only at the start of a line: a heading, quote, list, rule, setext line.
LINE_START = re.compile(r"\A(\s*)(?:([-+=>])|(\d{1,9})([.)]))")
TEMPLATE_LOOKALIKE = re.compile(r"\{(?=[{%#=])|(?<=[}%#=])\}")  # `{{`, `{%`, `=}`: the lint would refuse them
# `:smile:` becomes an emoji image in Marp, even written `\:smile:` or `&#58;smile:`: a word joiner (U+2060,
# invisible) after the colon keeps it text.
EMOJI = re.compile(r":(?=[\w+-]+:)")
MATH_BLOCK = re.compile(r"(?:^|(?<=\n))[ \t]*\$\$.*?\$\$", re.DOTALL)
# Characters that end a line somewhere (Markdown, Python's splitlines) or cannot be shown: never in a value.
UNSHOWABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x85\u2028\u2029]")


class Refused(ValueError):
    """The text cannot be put where it lands without becoming markup; the message says why."""


@dataclass
class Place:
    """Where a placeholder lands: a context name from the module docstring, and whether it starts a line."""

    context: str = "text"
    line_start: bool = False
    fence: str = ""  # the fence of the code block it is in


def escape_text(text: str, line_start: bool = False) -> str:
    """Prose: the text shows literally, whatever Markdown or HTML it resembles."""
    out = "".join(ENTITIES.get(ch, ch) for ch in text)
    out = INLINE.sub(r"\\\1", out)
    out = TEMPLATE_LOOKALIKE.sub(lambda m: "&#123;" if m.group(0) == "{" else "&#125;", out)
    out = EMOJI.sub(":&#8288;", out)
    if line_start:
        m = LINE_START.match(out)
        if m:
            spaces, mark, digits, dot = m.groups()
            out = spaces + ("\\" + mark if mark else digits + "\\" + dot) + out[m.end() :]
        if out[:1] in (" ", "\t"):  # four spaces at the start of a line make a code block
            out = f"&#{ord(out[0])};" + out[1:]
    return out


def escape_html(text: str) -> str:
    return "".join(ENTITIES.get(ch, ch) for ch in text).replace('"', "&quot;").replace("'", "&#39;")


def escape_math(text: str) -> str:
    if "$" in text:
        raise Refused("its text holds `$`, which would close the formula around it")
    text = text.strip()
    if (len(text) - len(text.rstrip("\\"))) % 2:
        raise Refused("its text ends with a backslash, which would escape the `$` that closes the formula")
    text = re.sub(r"(?<!\\)%", r"\\%", text)  # `%` would start a TeX comment and hide the rest of the formula
    return text.replace("<", "\\lt ").replace(">", "\\gt ")


def check_shown(text: str, what: str) -> None:
    """Refuse characters that break lines or cannot be shown (NUL, CR, U+2028, …), naming the first."""
    m = UNSHOWABLE.search(text)
    if m:
        raise Refused(f"{what} holds the control character U+{ord(m.group(0)):04X} at column {m.start() + 1}")


def put(text: str, place: Place, raw: bool = False) -> str:
    """The text as it must be written where it lands."""
    check_shown(text, "its text")
    if raw:
        return text
    if place.context == "math":
        return escape_math(text)
    if place.context == "code":
        closing = place.fence[:1] * len(place.fence)
        if place.line_start and closing and text.lstrip().startswith(closing):
            raise Refused(f"its text starts with {closing}, which would close the code block around it")
        return text
    if place.context == "codespan":
        if "`" in text:
            raise Refused("its text holds a backtick, which would close the inline code around it")
        return text
    if place.context == "comment":
        if "-->" in text or "--!>" in text:
            raise Refused("its text holds `-->`, which would close the HTML comment around it")
        return text
    if place.context == "html":
        return escape_html(text)
    return escape_text(text, place.line_start)


def escape_cell(text: str) -> str:
    """A table cell computed by code: prose escaping, except that a whole `$…$` formula stays math."""
    check_shown(text, "a cell")
    parts = re.split(r"(\$[^$\s](?:[^$]*[^$\s])?\$)", text)  # a formula Marp reads: no space inside the `$`s
    return "".join("$" + escape_math(p[1:-1]) + "$" if i % 2 else escape_text(p) for i, p in enumerate(parts))


def places(text: str, placeholders: list[str]) -> dict[str, Place]:
    """Where each cell placeholder (cells.CELL_PLACEHOLDER) lands in the rendered Markdown (those not found
    land in prose)."""
    from . import slides  # markdown-it: not needed by the kernel, which imports this module for table cells
    from .cells import CELL_PLACEHOLDER, MARKER_PREFIX  # cells imports this module

    wanted = set(placeholders)
    found: dict[str, Place] = {}
    _, body = slides.split_front_matter(text)
    for tok in slides.block_tokens(body):  # the slide map's parse; inline parsing only where a placeholder is
        content = tok.content or ""
        if MARKER_PREFIX not in content:  # most tokens hold none
            continue
        held = dict.fromkeys(m.group(0) for m in CELL_PLACEHOLDER.finditer(content))
        here = [p for p in held if p in wanted and p not in found]
        if not here:
            continue
        if tok.type in ("fence", "code_block"):
            for p in here:
                found[p] = Place("code", starts_line(content, content.index(p)), tok.markup)
        elif tok.type == "html_block":
            for p in here:
                found[p] = Place("comment" if in_comment(content, content.index(p)) else "html")
        elif tok.type == "inline":
            children = slides.parser().parseInline(content)[0].children or []
            for p in here:
                found[p] = inline_place(content, children, p)
    return found


def inline_place(content: str, children: list, placeholder: str) -> Place:
    for child in children:
        if placeholder in child.content:
            if child.type == "code_inline":
                return Place("codespan")
            if child.type == "html_inline":
                return Place("comment" if child.content.startswith("<!--") else "html")
    at = content.index(placeholder)
    if any(start <= at < end for start, end in math_spans(content)):
        return Place("math")
    return Place("text", starts_line(content, at))


def starts_line(content: str, at: int) -> bool:
    return not content[content.rfind("\n", 0, at) + 1 : at].strip()


def in_comment(content: str, at: int) -> bool:
    opened = content.rfind("<!--", 0, at)
    return opened >= 0 and content.rfind("-->", opened, at) < 0


def math_spans(content: str) -> list[tuple[int, int]]:
    """Offsets of the formulas in an inline text: `$$…$$` blocks, then `$…$` as Marp's math_inline reads them
    (the opening `$` not followed by a space, the closing one not preceded by a space nor followed by a digit)."""
    spans = [(m.start(), m.end()) for m in MATH_BLOCK.finditer(content)]
    pos = 0
    while pos < len(content):
        ch = content[pos]
        if any(start <= pos < end for start, end in spans):
            pos += 1
        elif ch == "\\":
            pos += 2
        elif ch != "$" or content[pos + 1 : pos + 2] in (" ", "\t", "$", ""):
            pos += 1 + (ch == "$" and content[pos + 1 : pos + 2] == "$")
        else:
            close = pos + 1
            while (close := content.find("$", close)) >= 0 and escaped(content, close):
                close += 1
            if close < 0 or content[close - 1] in " \t" or content[close + 1 : close + 2].isdigit():
                pos += 1
                continue
            spans.append((pos, close + 1))
            pos = close + 1
    return spans


def escaped(content: str, at: int) -> bool:
    run = len(content[:at]) - len(content[:at].rstrip("\\"))
    return run % 2 == 1
