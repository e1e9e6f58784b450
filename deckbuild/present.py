"""Turn values computed in a chapter's kernel into slide text (imported inside the kernel by deckbuild.isolated)."""

import importlib
import os

from . import literal

RULES = {"left": ":--", "right": "--:", "center": ":-:"}
HELPERS_ENV = "DECKBUILD_HELPERS"


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
