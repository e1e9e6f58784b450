"""The deck as a Jupyter notebook: slide text as Markdown cells, every snippet as a code cell with its real outputs."""

import copy
import json
import re

from . import slides
from .cells import CELL_PLACEHOLDER, Cell, CellResult
from .kernel import SETUP


def markdown_cells(text: str, cuts: set[int]) -> list[str]:
    """Cut Markdown at the slide rules on lines `cuts` (0-based, in `text`); drop the rules and empty pieces."""
    pieces, current = [], []
    for n, line in enumerate(text.splitlines()):
        if n in cuts:
            pieces.append(current)
            current = []
        else:
            current.append(line)
    pieces.append(current)
    return [text for text in ("\n".join(p).strip("\n") for p in pieces) if text.strip()]


def code_cell(source: str, count: int | None, outputs: list) -> dict:
    return {
        "cell_type": "code",
        "execution_count": count,
        "metadata": {},
        "outputs": outputs,
        "source": source,
    }


def build(text: str, cells: list[Cell], results: dict[int, CellResult]) -> str:
    """Notebook JSON (nbformat v4, validated) from deck text whose only placeholders left are snippets'."""
    nb = document(text, cells, results)
    validate(nb)
    return writes(nb)


def document(text: str, cells: list[Cell], results: dict[int, CellResult]) -> dict:
    """The notebook as a dict (nbformat v4) from deck text whose only placeholders left are snippets'."""
    snippets = {c.placeholder: c for c in cells if c.in_notebook}
    front, body = slides.split_front_matter(text)
    rules = [n - front.count("\n") for n in slides.separator_lines(text)]  # parsed once, as lines of body
    # split at every placeholder left (only snippets' are): one pattern, not one of all the snippets
    parts = re.split(f"({CELL_PLACEHOLDER.pattern})", body) if snippets else [body]
    parts = [p for n, p in enumerate(parts) if n % 3 != 2]  # drop the position group
    nb_cells: list[dict] = []
    count = 0
    set_up: set[str] = set()
    line = 0  # where the current part starts in body
    for part in parts:
        start, line = line, line + part.count("\n")
        if part in snippets:
            cell = snippets[part]
            if cell.chapter not in set_up:
                set_up.add(cell.chapter)
                nb_cells.append(code_cell(SETUP, None, []))
            count += 1
            outputs = [dict(out) for out in results[cell.position].nb_outputs]
            for out in outputs:
                if out["output_type"] == "execute_result":
                    out["execution_count"] = count
                    out["metadata"] = {}  # required by the schema (kernel.result_of drops the kernel's)
            nb_cells.append(code_cell(cell.code.rstrip("\n"), count, outputs))
        else:
            nb_cells.extend(
                {"cell_type": "markdown", "metadata": {}, "source": md}
                for md in markdown_cells(part, {n - start for n in rules if start <= n <= line})
            )
    return notebook_of(nb_cells)


def notebook_of(nb_cells: list[dict]) -> dict:
    """An nbformat v4 notebook for the deck's Python kernel holding these cells, numbered in order."""
    for n, cell in enumerate(nb_cells):
        cell["id"] = f"cell-{n:03d}"
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
            "language_info": {"name": "python"},
        },
        "cells": nb_cells,
    }


def validate(nb: dict) -> None:
    """Raise nbformat's ValidationError if the notebook breaks the nbformat v4 schema."""
    import nbformat  # only here: importing it and compiling its schema cost as much as the rest of a build

    nbformat.validate(nbformat.from_dict(nb))


def writes(nb: dict) -> str:
    """The notebook's JSON exactly as nbformat.writes gives it (text split into lines, for diffs)."""
    nb = copy.deepcopy(nb)
    for cell in nb["cells"]:
        cell["source"] = cell["source"].splitlines(True)
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                out["text"] = out["text"].splitlines(True)
            for key, value in out.get("data", {}).items():
                if isinstance(value, str) and (key.startswith("text/") or key == "image/svg+xml"):
                    out["data"][key] = value.splitlines(True)
    return json.dumps(nb, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=False)
