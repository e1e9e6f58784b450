"""Marp structure of rendered Markdown: front matter, slide boundaries, and safe code fences."""

import re
from bisect import bisect_right
from functools import lru_cache

# A byte-order mark before it is allowed: Marp reads the front matter after one, so must every check here.
FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\n(.*?\n)---[ \t]*(?:\n|\Z)", re.DOTALL)
HTML_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
THEME_DIRECTIVE = re.compile(r"^[ \t]*theme[ \t]*:[ \t]*(.*?)[ \t]*$", re.MULTILINE)


# markdown-it is imported on first use (~40 ms): build.py starts marp-cli through marp.py, which imports
# this module, before anything parses Markdown


@lru_cache(maxsize=1)
def parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table")


@lru_cache(maxsize=1)
def block_parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").disable("inline")


_whole: dict[str, tuple] = {}  # the last few whole parses, by text


def tokens(body: str) -> tuple:
    """markdown-it's tokens of a text, inline ones too, parsed once per build (several steps read deck.md)."""
    found = _whole.get(body)
    if found is None:
        found = tuple(parser().parse(body))
        if len(_whole) >= 4:
            del _whole[next(iter(_whole))]
        _whole[body] = found
    return found


_blocks: dict[str, tuple] = {}  # the last few block parses, by text


def block_tokens(body: str) -> tuple:
    """Block tokens only, enough for slide boundaries and headings, in half the time of a whole parse
    (the rendered text with placeholders and the notebook's text need no more); a whole parse already
    made is reused."""
    found = _whole.get(body) or _blocks.get(body)
    if found is None:
        found = tuple(block_parser().parse(body))
        known_block_tokens(body, found)
    return found


def known_block_tokens(body: str, found: tuple) -> None:
    """Remember the block tokens of a text, parsed or derived exactly (templates.render: the text after its
    cross-references are resolved, from the parse before, which has the same blocks)."""
    if len(_blocks) >= 4:
        del _blocks[next(iter(_blocks))]
    _blocks[body] = found


def split_front_matter(text: str) -> tuple[str, str]:
    """Return (front matter block including its fences, body); the first is empty if there is none."""
    m = FRONT_MATTER.match(text)
    if not m:
        return "", text
    return text[: m.end()], text[m.end() :]


def front_matter(text: str) -> dict[str, str]:
    """The front matter's top-level `key: value` pairs (Marp's global directives)."""
    block, _ = split_front_matter(text)
    pairs = {}
    for line in block.splitlines()[1:-1]:
        m = re.match(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$", line)
        if m:
            pairs[m.group(1)] = m.group(2).strip("\"'")
    return pairs


@lru_cache(maxsize=32)
def separator_lines(text: str) -> list[int]:
    """0-based line numbers of the `---` rules that split slides (top-level rules, as Marpit does)."""
    block, body = split_front_matter(text)
    offset = block.count("\n")
    return [tok.map[0] + offset for tok in block_tokens(body) if tok.type == "hr" and tok.level == 0]


def theme_directives(text: str) -> list[tuple[int, str]]:
    """`<!-- theme: name -->` directives in the body, outside code: (0-based line, theme name)."""
    block, body = split_front_matter(text)
    offset = block.count("\n")
    found = []
    for tok in tokens(body):
        if not tok.map or tok.type not in ("html_block", "inline"):
            continue
        for comment in HTML_COMMENT.finditer(tok.content):
            if tok.type == "inline" and not any(
                c.type == "html_inline" and c.content.startswith("<!--") for c in tok.children or []
            ):
                continue
            for m in THEME_DIRECTIVE.finditer(comment.group(1)):
                line = tok.map[0] + offset + tok.content[: comment.start(1) + m.start()].count("\n")
                found.append((line, m.group(1).strip("\"'")))
    return found


def headings(text: str) -> list[str]:
    """The first heading of every slide ("" for a slide without one), as plain text."""
    _, body = split_front_matter(text)
    found = [""]
    parsed = block_tokens(body)
    for i, tok in enumerate(parsed):
        if tok.type == "hr" and tok.level == 0:
            found.append("")
        elif tok.type == "heading_open" and not found[-1]:
            found[-1] = re.sub(r"<[^>]+>", " ", parsed[i + 1].content).strip()
    return found


class SlideMap:
    """Answers "which slide is this line / offset on?" for one rendered text."""

    def __init__(self, text: str):
        self.separators = list(separator_lines(text))
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]

    def slide_at_line(self, line0: int) -> int:
        """1-based slide number of a 0-based line."""
        return bisect_right(self.separators, line0 - 1) + 1 if self.separators else 1

    def slide_at_offset(self, offset: int) -> int:
        return self.slide_at_line(bisect_right(self.line_starts, offset) - 1)


def current_slide(partial: str) -> int:
    """The slide that the end of a partly rendered text is on."""
    return SlideMap(partial).slide_at_line(max(partial.count("\n"), 0))


def fence(content: str, lang: str) -> str:
    """A fenced block that no backtick run inside `content` can close early."""
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = content if content.endswith("\n") else content + "\n"
    return f"{ticks}{lang}\n{body}{ticks}\n"
