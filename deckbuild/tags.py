"""The authoring tags, one object each, in one registry: adding a tag touches this file only.

A tag says what the deck calls (`name`), what it records when the template renders (`author`), and,
when it runs in the kernel (`kind` is the cell kind it leaves), how its result is checked (`verify`),
how it fills the slide (`fill`), whether it becomes a code cell of the notebook (`in_notebook`), and
what its snapshot entry holds (`recorded`). templates.render exposes every tag of TAGS to Jinja;
pipeline, notebook and snapshots ask `of(cell)` instead of comparing kind strings.
"""

import inspect
import math
import re
from numbers import Real

from . import literal, slides
from .cells import DEFAULT_RTOL, DEFAULT_TIMEOUT, MARKER_PREFIX, Cell, CellResult, Expectation
from .errors import SnippetError, TemplateError
from .sourcecode import SourceNotFound

MAX_LINES = 40  # lines of output shown on a slide before it is cut
MAX_CHARS = 4000
# Kernel side of value() and table(): evaluated in a forked copy of the kernel (deckbuild/isolated.py).
KERNEL = '__import__("deckbuild.isolated", fromlist=["show"])'
ALIGNS = ("left", "right", "center")


class Tag:
    """A tag that runs nothing in the kernel (source, display, figure, expect): only `author` matters."""

    name = ""
    kind: str | None = None  # the kind of the cells it leaves, when it runs in the kernel
    in_notebook = False

    def author(self, deck, *args, **kwargs) -> str:
        """Called by Jinja while the deck renders; returns Markdown or a placeholder."""
        raise NotImplementedError

    def placed(self, cell: Cell) -> None:
        """Refuse, when the deck has rendered, a place the tag's text cannot go (cell.place)."""

    def verify(self, cell: Cell, result: CellResult) -> None:
        """Refuse a result that cannot be put on the slide."""

    def fill(self, cell: Cell, result: CellResult) -> str:
        """The slide text that replaces the cell's placeholder."""
        return result.text

    def recorded(self, cell: Cell) -> list[str]:
        """The cell as its snapshot names it: what the author wrote, not how the engine runs it."""
        return cell.code.splitlines()


# ---- cross-references, resolved once the deck has rendered


class Label(Tag):
    """`{= label("softmax-stable") =}` on a slide: a name that ref() can point at. It shows nothing."""

    name = "label"

    def author(self, deck, name) -> str:
        strings(deck, "label", name=name)
        if not re.fullmatch(r"[\w.-]+", name):
            raise TemplateError(
                f"label(): a name of letters, digits, '-', '_' or '.', not {name!r}", deck.where()
            )
        if name in deck.labels:
            first = deck.labels[name][1]
            raise TemplateError(
                f"label(): {name!r} is already the label of {first.file}:{first.line}", deck.where()
            )
        marker = f"{MARKER_PREFIX}label:{len(deck.labels)}\u27e7"
        deck.labels[name] = (marker, deck.where())
        return marker


class Ref(Tag):
    """`{= ref("softmax-stable") =}`: a link to the slide holding that label, its text made from the slide's
    number and first heading (`text="{heading}"` by default; `{slide}` is its number). Generated, never
    typed, so it stays right when slides move."""

    name = "ref"

    def author(self, deck, name, text: str = "{heading}") -> str:
        strings(deck, "ref", name=name, text=text)
        if not set(re.findall(r"\{(\w*)\}", text)) <= {"heading", "slide"}:
            raise TemplateError(f"ref(): text may use {{heading}} and {{slide}}, not {text!r}", deck.where())
        marker = f"{MARKER_PREFIX}ref:{len(deck.refs)}\u27e7"
        deck.refs.append((marker, name, text, deck.where()))
        return marker


def resolve_refs(text: str, labels: dict, refs: list) -> str:
    """Replace each ref() with a link to its label's slide, and each label() with nothing.

    The labels go first, so that the one block parse of the text (which slide each label is on, the slides'
    headings) is the parse of the text as it will be, but for the refs' markers; the text after resolving
    has the same blocks, and is given them without a second parse (same_blocks)."""
    marked = sorted((text.index(marker), name, marker) for name, (marker, _) in labels.items())
    at, removed = {}, 0
    for offset, name, marker in marked:
        at[name] = offset - removed  # where it was, in the text without the markers before it
        removed += len(marker)
    for _, _, marker in marked:
        text = text.replace(marker, "")
    slide_map = slides.SlideMap(text)
    headings = slides.headings(text)
    slide_of = {name: slide_map.slide_at_offset(offset) for name, offset in at.items()}
    links = {}
    for marker, name, fmt, where in refs:
        if name not in slide_of:
            known = ", ".join(sorted(slide_of)) or "none"
            where.slide = slide_map.slide_at_offset(text.index(marker))
            raise TemplateError(f"ref(): no slide has the label {name!r} (labels: {known})", where)
        n = slide_of[name]
        heading = headings[n - 1] if n - 1 < len(headings) else ""
        shown = fmt.replace("{heading}", heading or str(n)).replace("{slide}", str(n))
        links[marker] = f"[{literal.escape_text(shown)}](#{n})"
    if not links:
        return text
    resolved = re.sub("|".join(map(re.escape, links)), lambda m: links[m.group(0)], text)
    same_blocks(text, resolved, links)
    return resolved


VERBATIM = {"fence", "code_block", "html_block"}  # block tokens whose content is their lines as written
PROSE = {"paragraph_open", "heading_open"}  # their inline content: lines, indentation and ends trimmed


def same_blocks(before: str, after: str, links: dict[str, str]) -> None:
    """Give `after` the block tokens of `before` with each ref's marker replaced by its link in their content.

    A marker and its link both sit inside one line, neither starts a block nor ends one (the link starts
    with `[`, its text is escaped, it holds no line break and no `|`, which can make a paragraph's line
    a table's header), so the blocks are the same, and a paragraph's,
    heading's, code block's or HTML block's content holds the link where it held the marker. Anywhere else
    (a table cell; the front matter; a fence's info string) or a link text holding a line break or a `|`:
    nothing is given, and `after` is parsed when asked."""
    if any("\n" in link or "|" in link for link in links.values()):  # `|` can make a line a table row
        return
    _, body = slides.split_front_matter(before)
    parsed = slides.block_tokens(body)
    pattern = re.compile("|".join(map(re.escape, links)))
    derived, found = [], 0
    for i, tok in enumerate(parsed):
        held = len(pattern.findall(tok.content or ""))
        if held:
            prose = tok.type == "inline" and i > 0 and parsed[i - 1].type in PROSE
            if not (prose or tok.type in VERBATIM):
                return
            tok = tok.copy(content=pattern.sub(lambda m: links[m.group(0)], tok.content))
            found += held
        derived.append(tok)
    if found == len(pattern.findall(body)):
        slides.known_block_tokens(slides.split_front_matter(after)[1], tuple(derived))


# ---- tags that run in the kernel ------------------------------------------------------------------------


class Run(Tag):
    """`{% call run(timeout=60, echo=True, output=True, companion=False, measured=False) %}code{% endcall %}`:
    execute; show code, output. measured=True: the output holds measurements (timings) that change from run to
    run; it is shown and recorded as usual, but the snapshot and the companion compare it without its numbers."""

    name, kind, in_notebook = "run", "snippet", True

    def author(
        self,
        deck,
        caller=None,
        timeout: float = DEFAULT_TIMEOUT,
        echo: bool = True,
        output: bool = True,
        companion: bool = False,
        measured: bool = False,
    ):
        if caller is None:
            raise TemplateError(
                "run() holds the snippet: write {% call run() %} … {% endcall %}", deck.where()
            )
        timeout = positive_seconds(timeout, deck)
        flags(deck, "run", echo=echo, output=output, companion=companion, measured=measured)
        cell = deck.add_cell(
            self.kind,
            body(deck, "run", caller),
            timeout=timeout,
            echo=echo,
            show_output=output,
            companion=companion,
            measured=measured,
        )
        cell.where.line = (cell.where.line or 0) + 1  # the code starts on the line after the tag
        return cell.placeholder + "\n"

    def fill(self, cell: Cell, result: CellResult) -> str:
        parts = []
        if cell.echo:
            parts.append(slides.fence(cell.code, "python"))
        if cell.show_output and result.text:
            parts.append(slides.fence(shown_output(result), "text"))
        return "\n".join(parts).rstrip("\n")


class Value(Tag):
    """`{= value("expr", fmt="", raw=False) =}`: format(expr, fmt), evaluated in a copy of the kernel, as text."""

    name, kind = "value", "value"

    def author(self, deck, expr, fmt: str = "", raw: bool = False) -> str:
        strings(deck, "value", expr=expr, fmt=fmt)
        flags(deck, "value", raw=raw)
        code = f"{KERNEL}.show(globals(), 'value', {expr!r}, fmt={fmt!r})\n"
        return deck.add_cell(
            self.kind, code, raw=raw, call=call_text(self.name, expr, fmt=fmt, raw=raw)
        ).placeholder

    def verify(self, cell: Cell, result: CellResult) -> None:
        if "\n" in result.text:
            raise SnippetError("value() must give one line of text; use table() for several", cell.where)
        no_marker(self.name, cell, result)
        self.fill(cell, result)  # refused where it lands: fail now, before anything is recorded

    def fill(self, cell: Cell, result: CellResult) -> str:
        try:
            return literal.put(result.text, cell.place, cell.raw)
        except literal.Refused as e:
            raise SnippetError(
                f"value() cannot be put here: {e}; format it first, or pass raw=True", cell.where
            ) from None

    def recorded(self, cell: Cell) -> list[str]:
        return [cell.call]


class Table(Tag):
    """`{= table("rows", header=[…], fmt=…, align=…, raw=False) =}`: rows computed in the kernel, as a table."""

    name, kind = "table", "table"

    def author(self, deck, expr, header=None, fmt=None, align=None, raw: bool = False) -> str:
        strings(deck, "table", expr=expr)
        flags(deck, "table", raw=raw)
        columns(deck, header, fmt, align)
        options = {"header": list(header) if header else None, "fmt": fmt, "align": align, "raw": raw}
        code = f"{KERNEL}.show(globals(), 'table', {expr!r}, **{options!r})\n"
        call = call_text(self.name, expr, header=header, fmt=fmt, align=align, raw=raw)
        return deck.add_cell(self.kind, code, raw=raw, call=call).placeholder + "\n"

    def placed(self, cell: Cell) -> None:
        if cell.place.context != "text" or not cell.place.line_start:
            raise TemplateError(
                "table() must stand on a line of its own, outside code, math and HTML", cell.where
            )

    def verify(self, cell: Cell, result: CellResult) -> None:
        no_marker(self.name, cell, result)

    def recorded(self, cell: Cell) -> list[str]:
        return [cell.call]


# ---- tags that only write Markdown -----------------------------------------------------------------------


class Expect(Tag):
    """`{% call expect(rtol=1e-9) %}output{% endcall %}` right after a run: the output it must print."""

    name = "expect"

    def author(self, deck, caller=None, rtol: float = DEFAULT_RTOL) -> str:
        where = deck.where()
        where.line = (where.line or 0) + 1
        if not isinstance(rtol, Real) or isinstance(rtol, bool) or not 0 <= rtol < math.inf:
            raise TemplateError(f"expect(): rtol must be a number ≥ 0, not {rtol!r}", where)
        snippets = [
            c for c in deck.rendering.cells if c.kind == Run.kind and c.chapter == deck.chapter(where)
        ]
        if caller is None or not snippets:
            raise TemplateError("expect() must follow a {% call run() %} snippet in the same file", where)
        if snippets[-1].expectation is not None:
            raise TemplateError("this snippet already has an expected output", where)
        if snippets[-1].measured:  # its numbers change from run to run: any tolerance is a flaky build
            raise TemplateError(
                "expect() cannot check a run(measured=True) snippet: its numbers change from run to run"
                " (assert a bound in a hidden cell instead)",
                where,
            )
        snippets[-1].expectation = Expectation(
            text=body(deck, "expect", caller), rtol=float(rtol), where=where
        )
        return ""


class Source(Tag):
    """`{= source("pkg.module.name", …) =}`: the exact source of definitions under code/, as a code block.

    `{= source("pkg.module.Class", members=["__init__"]) =}` shows the class line with only those members, so
    a long class can be shown over several slides; a learner's notebook (companion.py) gets, at each such
    block, the class with every member shown so far in the chapter, as typing it in would give.
    """

    name = "source"

    def author(self, deck, *dotted: str, members=None) -> str:
        where = deck.where()
        strings(deck, "source", **{f"name {n + 1}": d for n, d in enumerate(dotted)})
        if not dotted:
            raise TemplateError("source() needs at least one dotted name", where)
        if members is not None:
            return self.members(deck, where, dotted, members)
        parts = []
        for name in dotted:
            try:
                parts.append(deck.sources.get_source(deck.code_dirs, name))
            except SourceNotFound as e:
                raise TemplateError(f"source(): {e}", where) from None
        code = "\n".join(parts)
        return self.shown(deck, where, code, code)

    def members(self, deck, where, dotted: tuple[str, ...], members) -> str:
        if len(dotted) != 1:
            raise TemplateError("source(): members= takes one class name", where)
        if isinstance(members, str) or not isinstance(members, list | tuple) or not members:
            raise TemplateError(f"source(): members must be a list of names, not {members!r}", where)
        strings(deck, "source", **{f"member {n + 1}": m for n, m in enumerate(members)})
        shown_before = deck.class_members.setdefault((deck.chapter(where), dotted[0]), [])
        shown_before += [m for m in members if m not in shown_before]
        try:
            code = deck.sources.get_class_members(deck.code_dirs, dotted[0], members)
            whole = deck.sources.get_class_members(deck.code_dirs, dotted[0], shown_before)
        except SourceNotFound as e:
            raise TemplateError(f"source(): {e}", where) from None
        return self.shown(deck, where, code, whole)

    def shown(self, deck, where, code: str, runs: str) -> str:
        """Record a block the slide shows (`code`) and what it defines in a learner's notebook (`runs`)."""
        deck.rendering.shown_code.append(code)
        # position: how many cells come before it, which places it among them in slide order
        shown = Cell("source", deck.chapter(where), len(deck.rendering.shown_sources), runs, where)
        shown.position = len(deck.rendering.cells)
        deck.rendering.shown_sources.append(shown)
        return slides.fence(code, "python").rstrip("\n")


class Display(Tag):
    """`{% call display(lang="python") %}…{% endcall %}`: a code block shown but deliberately not executed."""

    name = "display"

    def author(self, deck, caller=None, lang: str = "python") -> str:
        if caller is None:
            raise TemplateError(
                "display() holds the code: write {% call display() %} … {% endcall %}", deck.where()
            )
        if not isinstance(lang, str) or not lang.replace("-", "").replace("+", "").isalnum():
            raise TemplateError(
                f"display(): lang must be a language name such as 'python', not {lang!r}", deck.where()
            )
        code = body(deck, "display", caller)
        deck.rendering.shown_code.append(code)
        return slides.fence(code, lang).rstrip("\n")


class Figure(Tag):
    """`{= figure("name.svg", width=600, center=True, alt="") =}`: an image that figures_src/ must produce."""

    name = "figure"

    def author(self, deck, name, width: int | None = None, center: bool = True, alt: str = "") -> str:
        where = deck.where()
        strings(deck, "figure", name=name, alt=alt)
        flags(deck, "figure", center=center)
        if (
            "/" in name
            or "\\" in name
            or name.startswith(".")
            or not name.strip()
            or any(c in name for c in "()[] <>")
        ):
            raise TemplateError(f"figure(): {name!r} must be a plain file name such as 'plot.svg'", where)
        if width is not None and (not isinstance(width, int) or isinstance(width, bool) or width <= 0):
            raise TemplateError(f"figure(): width must be a whole number of pixels > 0, not {width!r}", where)
        deck.add_figure(name, where, width)
        words = [
            w
            for w in (f"w:{width}px" if width else "", "center" if center else "", literal.escape_text(alt))
            if w
        ]
        return f"![{' '.join(words)}](figures/{name})"


TAGS: dict[str, Tag] = {
    tag.name: tag
    for tag in (Run(), Expect(), Value(), Table(), Source(), Display(), Figure(), Label(), Ref())
}
BY_KIND: dict[str, Tag] = {tag.kind: tag for tag in TAGS.values() if tag.kind}


def of(cell: Cell) -> Tag:
    return BY_KIND[cell.kind]


def bound(tag: Tag, deck):
    """The function Jinja calls: arguments checked against the tag's signature, a mistake a located error."""
    signature = inspect.signature(tag.author)
    fits = fitting(signature)

    def call(*args, **kwargs):
        if not fits(args, kwargs):  # inspect's own check only when the quick one is not sure
            try:
                signature.bind(deck, *args, **kwargs)
            except TypeError as e:
                raise TemplateError(
                    f"{tag.name}(): {e}; it takes {describe(signature)}", deck.where()
                ) from None
        return tag.author(deck, *args, **kwargs)

    call.__name__ = tag.name
    return call


def fitting(signature: inspect.Signature):
    """A quick check that arguments bind to the signature (after its first, `deck`): True only when they do.
    signature.bind for each of a deck's hundreds of tag calls was a tenth of its Jinja rendering."""
    kinds = inspect.Parameter
    params = list(signature.parameters.values())[1:]
    positional = [p.name for p in params if p.kind in (kinds.POSITIONAL_ONLY, kinds.POSITIONAL_OR_KEYWORD)]
    more = any(p.kind == kinds.VAR_POSITIONAL for p in params)
    by_name = {p.name for p in params if p.kind in (kinds.POSITIONAL_OR_KEYWORD, kinds.KEYWORD_ONLY)}
    required = [
        p.name
        for p in params
        if p.default is p.empty and p.kind not in (kinds.VAR_POSITIONAL, kinds.VAR_KEYWORD)
    ]

    def fits(args: tuple, kwargs: dict) -> bool:
        if len(args) > len(positional) and not more:
            return False
        given = set(positional[: len(args)])
        if any(k not in by_name or k in given for k in kwargs):
            return False
        return all(r in given or r in kwargs for r in required)

    return fits


def describe(signature: inspect.Signature) -> str:
    params = [p for p in list(signature.parameters.values())[1:] if p.name != "caller"]
    return (
        "("
        + ", ".join(
            str(p).split(":")[0] + (f"={p.default!r}" if p.default is not p.empty else "") for p in params
        )
        + ")"
    )


# ---- checks shared by the tags ---------------------------------------------------------------------------


def positive_seconds(timeout, deck) -> float:
    """run(timeout=…): a finite number of seconds > 0 (0, -1, nan or "60" would hang or misbehave)."""
    if isinstance(timeout, bool) or not isinstance(timeout, Real) or not 0 < float(timeout) < math.inf:
        raise TemplateError(f"run(): timeout must be a number of seconds > 0, not {timeout!r}", deck.where())
    return float(timeout)


def flags(deck, tag: str, **named) -> None:
    for option, value in named.items():
        if not isinstance(value, bool):
            raise TemplateError(f"{tag}(): {option} must be True or False, not {value!r}", deck.where())


def strings(deck, tag: str, **named) -> None:
    for option, value in named.items():
        if not isinstance(value, str):
            raise TemplateError(
                f"{tag}(): {option} must be a string, not {type(value).__name__} {value!r}", deck.where()
            )


def columns(deck, header, fmt, align) -> None:
    """table(): header a list of names; fmt and align one spec or a list; every list naming as many columns."""
    for option, value in (("header", header), ("fmt", fmt), ("align", align)):
        if value is not None and not isinstance(value, str | list | tuple):
            raise TemplateError(
                f"table(): {option} must be a list of strings, not {type(value).__name__}", deck.where()
            )
        if isinstance(value, list | tuple) and not all(isinstance(v, str) for v in value):
            raise TemplateError(f"table(): every {option} entry must be a string: {value!r}", deck.where())
    if isinstance(header, str):
        raise TemplateError(
            f"table(): header must be a list of column names, not the string {header!r}", deck.where()
        )
    for a in [align] if isinstance(align, str) else align or []:
        if a not in ALIGNS:
            raise TemplateError(f"table(): align {a!r} is not one of {', '.join(ALIGNS)}", deck.where())
    if len({len(v) for v in (header, fmt, align) if isinstance(v, list | tuple)}) > 1:
        raise TemplateError("table(): header, fmt and align name different numbers of columns", deck.where())


def body(deck, tag: str, caller) -> str:
    """The text between {% call tag() %} and {% endcall %}, which no kernel tag may fill in."""
    text = caller()
    if MARKER_PREFIX in text:
        raise TemplateError(
            f"{tag}() holds a value() or table(): its text is not slide text (compute it in the snippet)",
            deck.where(),
        )
    return text


def no_marker(tag: str, cell: Cell, result: CellResult) -> None:
    if MARKER_PREFIX in result.text:
        raise SnippetError(f"{tag}() gave text holding {MARKER_PREFIX!r}, the build's own marker", cell.where)


def call_text(name: str, expr: str, **options) -> str:
    shown = ", ".join(f"{k}={v!r}" for k, v in options.items() if v)
    return f"{name}({expr!r}{', ' + shown if shown else ''})"


def shown_output(result: CellResult) -> str:
    """The output as a slide shows it: cut after MAX_LINES lines or MAX_CHARS characters, with a visible note."""
    shown = "\n".join(result.text.splitlines()[:MAX_LINES])[:MAX_CHARS]
    if len(shown) < result.chars:
        kept = shown.count("\n") + 1
        shown += (
            f"\n… 出力が長いため省略（全 {result.lines:,} 行・{result.chars:,} 文字のうち {kept} 行を表示）"
        )
    return shown
