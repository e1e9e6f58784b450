"""The deck as a Jupyter notebook: slide text as Markdown cells, every snippet as a code cell with its real outputs."""

import re

from . import slides
from .cells import Cell, CellResult
from .kernel import SETUP


def markdown_cells(text: str) -> list[str]:
    """Cut Markdown at slide rules; drop the rules and empty pieces."""
    lines = text.splitlines()
    cuts = set(slides.separator_lines(text))
    pieces, current = [], []
    for n, line in enumerate(lines):
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
    import nbformat

    snippets = {c.placeholder: c for c in cells if c.in_notebook}
    _, body = slides.split_front_matter(text)
    parts = re.split("(" + "|".join(map(re.escape, snippets)) + ")", body) if snippets else [body]
    nb_cells: list[dict] = []
    count = 0
    set_up: set[str] = set()
    for part in parts:
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
            nb_cells.append(code_cell(cell.code.rstrip("\n"), count, outputs))
        else:
            nb_cells.extend(
                {"cell_type": "markdown", "metadata": {}, "source": md} for md in markdown_cells(part)
            )
    for n, cell in enumerate(nb_cells):
        cell["id"] = f"cell-{n:03d}"
    nb = nbformat.from_dict(
        {
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
    )
    nbformat.validate(nb)
    return nbformat.writes(nb)
