"""The real deck as the run's one build published it: theme, math, figures, notebooks, notes.

That build is `deck_build` (conftest): `make slides` into `_build/`, a second's work when its cache is
warm. Byte-identical clean builds, and a notebook that reruns to its outputs, are properties of the
engine, tested on a small deck that exercises them in test_determinism.py; here the real deck's
notebook is checked to hold exactly the code and outputs of the build's own kernels, each chapter
behind the set-up cell that gives it a fresh kernel's state.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import DECK, ROOT
from deckbuild.kernel import output_text

SEED_OVERLAP = ROOT.parent / "shared" / "tools" / "seed_overlap.py"


def test_html_uses_the_docker_theme_math_and_every_figure(deck_build):
    out = deck_build
    html = (out / "deck.html").read_text(encoding="utf-8")
    sections = re.findall(r"<section [^>]*>", html)
    assert sections and all('data-theme="docker"' in s for s in sections)
    assert "<mjx-container" in html and '<g data-mml-node="merror"' not in html
    assert not re.search(r"<(script|link)[^>]+(src|href)=\"https?://", html), (
        "the deck must not load anything online"
    )
    md = (out / "deck.md").read_text(encoding="utf-8")
    for src in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (out / src).is_file(), src
    for name in ("perceptron", "graph_or", "graph_and", "graph_nand", "graph_xor", "xor_gate"):
        assert f"figures/{name}.svg" in md


def test_notebook_is_valid_and_in_deck_order(deck_build):
    nb = nbformat.read(deck_build / "deck.ipynb", as_version=4)
    nbformat.validate(nb)
    md = (deck_build / "deck.md").read_text(encoding="utf-8")
    code_cells = [c for c in nb.cells if c.cell_type == "code" and c.outputs]
    positions = [md.index(c.source) for c in code_cells if c.source in md]
    assert len(positions) >= 4 and positions == sorted(positions)
    first_markdown = next(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "marp: true" not in first_markdown


def test_notebook_holds_the_builds_code_and_outputs_each_chapter_behind_the_set_up(deck_build):
    from deckbuild import config, templates
    from deckbuild.cache import Cache
    from deckbuild.cells import CellResult
    from deckbuild.kernel import SETUP
    from deckbuild.pipeline import chapter_key, results_check

    cfg = config.for_deck(DECK.parent)
    rendering = templates.render(DECK, cfg.code_dirs)
    chapter_cache = Cache(deck_build / ".cache" / "chapters")
    expected = []  # (source, output text) of every code cell, in deck order, as the build ran them
    for chapter, cells in rendering.chapters().items():
        payload, why = chapter_cache.lookup(chapter, chapter_key(cells, cfg), results_check(cells))
        assert payload is not None, f"chapter {chapter}: {why}"
        ran = [CellResult.from_json(r) for r in payload["results"]]
        shown = [
            (c.code.rstrip("\n"), output_text(r.nb_outputs))
            for c, r in zip(cells, ran, strict=True)
            if c.in_notebook
        ]
        expected += [(SETUP, ""), *shown] if shown else []
    nb = nbformat.read(deck_build / "deck.ipynb", as_version=4)
    code = [(c.source, output_text(c.outputs)) for c in nb.cells if c.cell_type == "code"]
    assert code == expected


def test_every_chapter_publishes_its_companion_notebook(deck_build):
    chapters = sorted(p.name.removesuffix(".md.j2") for p in (ROOT / "slides").glob("ch*.md.j2"))
    published = sorted(p.stem for p in (deck_build / "notebooks").glob("*.ipynb"))
    assert published == chapters
    for name in published:
        nb = nbformat.read(deck_build / "notebooks" / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        first_code = next(c for c in nb.cells if c.cell_type == "code")
        assert "formatwarning" in first_code.source


def test_no_slide_repeats_the_seed():
    if not SEED_OVERLAP.is_file():
        pytest.skip("the original deck's tools are not beside this checkout")
    proc = subprocess.run([sys.executable, str(SEED_OVERLAP), str(ROOT)], capture_output=True, text=True)
    assert proc.stdout == "" and proc.returncode == 0


def test_snapshots_are_committed_for_every_chapter():
    chapters = {p.name.removesuffix(".md.j2") for p in (ROOT / "slides").glob("ch*.md.j2")}
    recorded = {p.stem for p in (ROOT / "slides" / "snapshots").glob("*.json")}
    assert chapters <= recorded
    for path in (ROOT / "slides" / "snapshots").glob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8"))["cells"]


def test_rendering_shows_no_template_syntax(deck_build):
    md = (deck_build / "deck.md").read_text(encoding="utf-8")
    assert "{=" not in md and "{%" not in md and "\u27e6" not in md
    assert Path(deck_build / "deck.html").stat().st_size > 10_000


# Every figure the original deck references (chapters 1-4), by the name our scripts give it, plus the
# networks of chapters 3 and 4 and the figures this deck adds (the learning curve, step vs. sigmoid).
SEED_FIGURES = [
    "perceptron",
    "xor_gate",
    "graph_or",
    "graph_and",
    "graph_nand",
    "graph_xor",
    "step_function",
    "sigmoid_function",
    "relu_function",
    "tanh_function",
    "neural_network",
    "neural_network1-1",
    "neural_network1-2",
    "neural_network1-3",
    "neural_network2",
    "neural_network3",
    "mnist_5",
    "numerical_diff_1",
    "numerical_diff_2",
    "numerical_diff_3",
    "graph_two_variable_function",
    "graph_two_variable_function_gradient",
    "graph_two_variable_function_learning",
    "forward_propagation",
    "backward_propagation_1",
    "backward_propagation_2",
    "sigmoid_graph",
    "relu_graph",
    "affine_graph",
    "softmax_graph",
    "learning_network",
    "backprop_network_1",
    "backprop_network_2",
    "two_layer_network",
]


def test_every_figure_of_the_original_deck_is_regenerated_and_shown(deck_build):
    md = (deck_build / "deck.md").read_text(encoding="utf-8")
    for name in [*SEED_FIGURES, "learning_curve", "step_vs_sigmoid"]:
        assert (deck_build / "figures" / f"{name}.svg").is_file(), name
        assert f"figures/{name}.svg" in md, name


def test_presenter_notes_are_exported(deck_build):
    notes = (deck_build / "deck.notes.txt").read_text(encoding="utf-8")
    for fact in ("ネイピア数", "Rectified Linear Unit", "バッチ"):
        assert fact in notes
    html = (deck_build / "deck.html").read_text(encoding="utf-8")
    assert "ネイピア数" in html  # Marp keeps them in the HTML's presenter view too


def table_after(md: str, header_start: str) -> list[list[str]]:
    lines = md[md.index(header_start) :].splitlines()
    rows = []
    for line in lines[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_untrained_network_probabilities_add_up_to_one_hundred(deck_build):
    """The original deck's table summed to 99.93 %: ours is printed from the softmax output itself."""
    md = (deck_build / "deck.md").read_text(encoding="utf-8")
    (row,) = table_after(md, "| 数字 | 0 | 1 |")
    values = [float(v) for v in row[1:]]
    assert len(values) == 10
    decimals = max(len(v.partition(".")[2]) for v in row[1:])
    assert (
        abs(sum(values) - 100) <= 10 * 0.5 * 10**-decimals + 1e-9
    )  # ten values, each rounded to the printed digits


def test_epoch_table_starts_before_training_and_has_every_epoch(deck_build):
    """The original deck labelled the accuracy before any training as epoch 1."""
    from zerodl.training import EPOCHS

    md = (deck_build / "deck.md").read_text(encoding="utf-8")
    first = table_after(md, "| エポック | 訓練 | テスト |")
    second = table_after(md[md.index("| エポック | 訓練 | テスト |") + 1 :], "| エポック | 訓練 | テスト |")
    epochs = [int(r[0]) for r in first + second]
    assert epochs == list(range(EPOCHS + 1))
    assert float(first[0][2]) < 0.3 < 0.8 < float(second[-1][2])  # chance before training, learned after


def test_the_contents_mark_as_planned_exactly_the_chapters_not_yet_written(deck_build):
    """Each chapter file the deck includes is listed without 予定, with its own title slide; the rest say 予定."""
    md = (deck_build / "deck.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| 第(\d)章 ([^|]+?) \| 第\d章 \|$", md, re.MULTILINE)
    written = sorted(DECK.parent.glob("ch[0-9]_*.md.j2"))
    assert len(rows) == 7
    for number, title in rows:
        if int(number) <= len(written):
            assert "予定" not in title, (number, title)
            assert re.search(rf"^## 第{number}章 ", md, re.MULTILINE), f"no title slide for chapter {number}"
        else:
            assert title.endswith("（予定）"), (number, title)
