"""Turn values computed in a chapter's kernel into slide text (imported inside the kernel by deckbuild.isolated)."""

from . import literal

RULES = {"left": ":--", "right": "--:", "center": ":-:"}


def text_of(what: str, obj, **options) -> str:
    """The text of `{= value() =}` (one formatted value) or `{= table() =}` (a Markdown table)."""
    if what == "value":
        return format(obj, options.get("fmt", ""))
    return markdown_table(obj, **options)


def cell_text(value, fmt: str, raw: bool = False) -> str:
    text = format(value, fmt) if fmt else str(value)
    if raw:
        return text.replace("|", "\\|").replace("\n", " ")
    return literal.escape_cell(text.replace("\n", " "))


def markdown_table(rows, header=None, fmt=None, align=None, raw: bool = False) -> str:
    """A GitHub-style table; fmt and align are one spec for every column or a list, one per column.

    Computed cells are escaped (they show as text, a `$…$` formula stays math) unless raw=True.
    """
    rows = [list(row) for row in rows]
    if not rows and not header:
        raise ValueError("the table has no rows and no header")
    width = len(header) if header else len(rows[0])
    fmts = fmt if isinstance(fmt, list | tuple) else [fmt or ""] * width
    aligns = align if isinstance(align, list | tuple) else [align or "right"] * width
    if len(fmts) != width or len(aligns) != width:
        raise ValueError(f"fmt and align must name {width} columns, one per column of the table")
    lines = []
    if header:
        lines.append("| " + " | ".join(header) + " |")
    else:
        lines.append("|" + " |" * width)
    lines.append("|" + "|".join(RULES[a] for a in aligns) + "|")
    for n, row in enumerate(rows, 1):
        if len(row) != width:
            raise ValueError(f"row {n} {row!r} has {len(row)} cells, the table has {width} columns")
        lines.append("| " + " | ".join(cell_text(v, f, raw) for v, f in zip(row, fmts, strict=True)) + " |")
    return "\n".join(lines)


def number(v) -> str:
    """A number as a slide shows it: 0.5, -0.7, 2 (no numpy wrapper, no float noise)."""
    return format(float(v), ".10g")


def linear_form(w, b, names=("x_1", "x_2")) -> str:
    """LaTeX of w1*x1 + w2*x2 + b with the signs written naturally: `0.5 x_1 + 0.5 x_2 - 0.2`."""
    text = ""
    for i, (wi, name) in enumerate(zip(w, names, strict=True)):
        text += term(wi, first=i == 0) + f" {name}"
    return text + term(b, first=False)


def term(v, first: bool) -> str:
    v = float(v)
    if first:
        return number(v)
    return f" - {number(-v)}" if v < 0 else f" + {number(v)}"


def params(p) -> str:
    """LaTeX of a two-input perceptron's parameters: `w_1 = 0.5,\\ w_2 = 0.5,\\ b = -0.7`."""
    return f"w_1 = {number(p.w[0])},\\ w_2 = {number(p.w[1])},\\ b = {number(p.b)}"


def namespace(kernel_globals: dict) -> dict:
    """The kernel's names plus these helpers, as a copy: evaluating a value never changes the kernel."""
    names = dict(kernel_globals)
    for helper in (number, linear_form, params, markdown_table):
        names.setdefault(helper.__name__, helper)
    return names
