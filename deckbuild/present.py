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
