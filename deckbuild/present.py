"""Turn values computed in a chapter's kernel into Markdown for a slide (imported by table cells)."""


def cell_text(value, fmt: str) -> str:
    text = format(value, fmt) if fmt else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows, header=None, fmt=None, align=None) -> str:
    """A GitHub-style table; fmt and align are one spec for every column or a list, one per column."""
    rows = [list(row) for row in rows]
    width = len(header) if header else len(rows[0])
    fmts = fmt if isinstance(fmt, list | tuple) else [fmt or ""] * width
    aligns = align if isinstance(align, list | tuple) else [align or "right"] * width
    rule = {"left": ":--", "right": "--:", "center": ":-:"}
    lines = []
    if header:
        lines.append("| " + " | ".join(header) + " |")
    else:
        lines.append("|" + " |" * width)
    lines.append("|" + "|".join(rule[a] for a in aligns) + "|")
    for row in rows:
        if len(row) != width:
            raise ValueError(f"row {row!r} has {len(row)} cells, the header has {width}")
        lines.append("| " + " | ".join(cell_text(v, f) for v, f in zip(row, fmts, strict=True)) + " |")
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
