"""One test per executed cell of the deck: run fresh, in deck order, and compare with the expected and recorded output."""

import atexit
import json

import pytest

from deckbuild import ROOT, snapshots, tags, templates
from deckbuild.compare import diff, matches
from deckbuild.kernel import ChapterKernel

DECK = ROOT / "slides" / "deck.md.j2"
RENDERING = templates.render(DECK, ROOT / "code")
CELLS = RENDERING.cells


class Chapters:
    """One kernel per chapter, each cell run once, in order, whatever subset of tests is selected."""

    def __init__(self):
        self.kernels: dict[str, ChapterKernel] = {}
        self.results: dict[tuple[str, int], object] = {}

    def result(self, cell):
        chapter = [c for c in CELLS if c.chapter == cell.chapter]
        if cell.chapter not in self.kernels:
            self.kernels[cell.chapter] = ChapterKernel(DECK.parent).__enter__()
        kernel = self.kernels[cell.chapter]
        for earlier in chapter[: cell.index + 1]:
            key = (earlier.chapter, earlier.index)
            if key not in self.results:
                self.results[key] = kernel.run(earlier)
        return self.results[(cell.chapter, cell.index)]

    def close(self):
        for kernel in self.kernels.values():
            kernel.__exit__(None, None, None)


@pytest.fixture(scope="module")
def chapters():
    runner = Chapters()
    atexit.register(runner.close)
    yield runner
    runner.close()
    atexit.unregister(runner.close)


def recorded(cell) -> list[str]:
    entries = json.loads((snapshots.folder(DECK) / f"{cell.chapter}.json").read_text(encoding="utf-8"))[
        "cells"
    ]
    code = tags.of(cell).recorded(cell)  # how the snapshot names the cell
    same = [e for e in entries if e["kind"] == cell.kind and e["code"] == code]
    assert same, f"{cell.where}: no recorded output; run `make accept`"
    earlier = [c for c in CELLS if c.chapter == cell.chapter and c.index < cell.index]
    repeats = sum(1 for c in earlier if c.kind == cell.kind and tags.of(c).recorded(c) == code)
    return same[min(repeats, len(same) - 1)]["output"]


@pytest.mark.parametrize("cell", CELLS, ids=[f"{c.chapter}:{c.where.line}:{c.kind}" for c in CELLS])
def test_cell_output(cell, chapters):
    result = chapters.result(cell)
    if cell.expectation is not None:
        exp = cell.expectation
        assert matches(exp.text, result.text, exp.rtol), f"{exp.where}\n{diff(exp.text, result.text)}"
    assert result.text.splitlines() == recorded(cell), f"{cell.where}: output changed; run `make accept`"


def test_every_snippet_with_a_fixed_answer_states_it():
    """The gate demonstrations print truth tables: each is checked against an expectation in the deck."""
    gate_runs = [c for c in CELLS if c.kind == "snippet" and "->" in c.code]
    assert gate_runs and all(c.expectation is not None for c in gate_runs)
