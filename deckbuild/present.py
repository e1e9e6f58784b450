"""Turn values computed in a chapter's kernel into Markdown for a slide (imported by table cells)."""

import importlib
import os

HELPERS_ENV = "DECKBUILD_HELPERS"


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


def helpers() -> dict:
    """The names value() and table() see besides the kernel's: these generic ones, and every function defined
    in the module the deck's configuration names (`helpers` in [tool.deckbuild]; the kernel gets it in
    DECKBUILD_HELPERS)."""
    names = {f.__name__: f for f in (number, markdown_table)}
    module_name = os.environ.get(HELPERS_ENV, "")
    if module_name:
        try:
            module = importlib.import_module(module_name)
        except ImportError as e:
            raise ImportError(
                f"helpers = {module_name!r} of [tool.deckbuild] in pyproject.toml cannot be imported ({e})"
            ) from None
        for name, obj in vars(module).items():
            if callable(obj) and not name.startswith("_") and getattr(obj, "__module__", "") == module_name:
                names[name] = obj
    return names


def namespace(kernel_globals: dict) -> dict:
    """The kernel's names plus the helpers, as a copy: evaluating a value never changes the kernel's names."""
    names = dict(kernel_globals)
    for name, helper in helpers().items():
        names.setdefault(name, helper)
    return names
