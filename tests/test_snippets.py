"""One test per executed cell of the real deck: its output, as the run's one build recorded it, is the
output the deck expects and the output recorded in the snapshots.

No kernel runs here: the build (the session's `deck_build`) ran every chapter in its own kernel, or found
it in its cache, and sealed each chapter's results in `_build/.cache/chapters/`. These tests read those
results back, as the build's own lookup does (a stale or damaged entry is a miss, never used), and judge
them again with the same comparisons the build applies before it publishes anything.
"""

import json

import pytest

from conftest import DECK
from deckbuild import config, snapshots, tags, templates
from deckbuild.cache import Cache
from deckbuild.cells import CellResult
from deckbuild.compare import diff, matches, same_output
from deckbuild.pipeline import chapter_key, results_check

CFG = config.for_deck(DECK.parent)
RENDERING = templates.render(DECK, CFG.code_dirs)
CELLS = RENDERING.cells


@pytest.fixture(scope="module")
def results(deck_build) -> dict[tuple[str, int], CellResult]:
    """Every cell's result, read from the chapter cache the build has just verified and sealed."""
    chapter_cache = Cache(deck_build / ".cache" / "chapters")
    found = {}
    for chapter, cells in RENDERING.chapters().items():
        payload, why = chapter_cache.lookup(chapter, chapter_key(cells, CFG), results_check(cells))
        assert payload is not None, f"chapter {chapter}: the build left no usable results ({why})"
        for cell, result in zip(cells, payload["results"], strict=True):
            found[(chapter, cell.index)] = CellResult.from_json(result)
    return found


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
def test_cell_output(cell, results):
    result = results[(cell.chapter, cell.index)]
    if cell.expectation is not None:
        exp = cell.expectation
        assert matches(exp.text, result.text, exp.rtol), f"{exp.where}\n{diff(exp.text, result.text)}"
    # a measured cell (timings) is compared as the build compares it: its words and layout, not its numbers
    same = same_output("\n".join(recorded(cell)), "\n".join(result.text.splitlines()), cell.measured)
    assert same, f"{cell.where}: output changed; run `make accept`"


def test_every_snippet_with_a_fixed_answer_states_it():
    """The gate demonstrations print truth tables: each is checked against an expectation in the deck."""
    gate_runs = [c for c in CELLS if c.kind == "snippet" and "->" in c.code]
    assert gate_runs and all(c.expectation is not None for c in gate_runs)
