"""Chapter 5's Batch Normalization and regularization figures: each line drawn is the history it came from, the graph
names every node and signal, and the text reads at the width the slides show each figure.

The figures are drawn from small synthetic histories: the MNIST experiments (techniques.py) are too slow for the suite.
"""

import re
import sys
import warnings

import numpy as np
import pytest

from conftest import shown_widths
from deckbuild import ROOT
from deckbuild.slidecheck import MIN_FIGURE_FONT_PX, smallest_text

sys.path.insert(0, str(ROOT / "figures_src"))
import batchnorm_plots
import regularization_plots

import figstyle
from zerodl import techniques

# The (width, greatest height) in px the chapter-5 slides are written to show each figure at; once the deck shows a
# figure, the widths are the deck's own (shown_widths), and this table keeps only the height limit.
PLANNED = {
    "ch5_batchnorm_graph": (1100, 420),
    "ch5_batchnorm_backward": (1100, 420),
    "ch5_batchnorm_grid": (1000, 500),
    "ch5_overfitting": (600, 440),
    "ch5_weight_decay": (600, 440),
    "ch5_dropout": (600, 440),
}
SVG_SIZE = re.compile(r'<svg\b[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"')


def history(epochs, rng, every=2):
    """A made-up training record shaped like trainer.fit's with eval_every=every (epoch 0 is before training)."""
    epoch = [*range(0, epochs, every), epochs]
    return {
        "epoch": epoch,
        "train_acc": list(rng.uniform(0, 1, len(epoch))),
        "test_acc": list(rng.uniform(0, 1, len(epoch))),
        "loss": list(rng.uniform(0, 2, epochs * 3)),
    }


def grid_rows(scales, epochs=6, seed=0):
    rng = np.random.default_rng(seed)
    return [{"scale": float(s), "plain": history(epochs, rng), "bn": history(epochs, rng)} for s in scales]


def regularization_histories(epochs=8, seed=1):
    rng = np.random.default_rng(seed)
    return {name: history(epochs, rng) for name in ("なし", "Weight decay", "Dropout")}


def lines_of(ax):
    return {line.get_label(): list(line.get_ydata()) for line in ax.get_lines()}


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    """Every figure of both families, drawn from the synthetic data and saved as the build would save it."""
    outdir = tmp_path_factory.mktemp("ch5_figures_b")
    figstyle.setup()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a missing glyph (tofu) is a warning in matplotlib
        figstyle.save(batchnorm_plots.batchnorm_graph(), outdir, "ch5_batchnorm_graph")
        figstyle.save(batchnorm_plots.batchnorm_graph(backward=True), outdir, "ch5_batchnorm_backward")
        rows = grid_rows(techniques.BN_SCALES, epochs=techniques.BN_EPOCHS)
        figstyle.save(batchnorm_plots.batchnorm_grid_figure(rows), outdir, "ch5_batchnorm_grid")
        histories = regularization_histories(epochs=techniques.OVERFIT_EPOCHS)
        for name, figure_name in regularization_plots.FIGURE_NAMES.items():
            baseline = None if name == regularization_plots.BASELINE else histories["なし"]
            fig = regularization_plots.accuracy_figure(
                histories[name], baseline, regularization_plots.titles()[name]
            )
            figstyle.save(fig, outdir, figure_name)
    return outdir


def texts(svg_path):
    """The strings of an SVG's text (matplotlib draws glyphs as paths and keeps each string as a comment)."""
    return re.findall(r"<!-- (.*?) -->", svg_path.read_text(encoding="utf-8"))


def test_each_figure_reads_and_fits_at_the_width_the_slides_show_it(figures):
    assert {p.stem for p in figures.glob("*.svg")} == set(PLANNED)
    deck = shown_widths()
    for name, (planned_width, max_height) in PLANNED.items():
        svg = figures / f"{name}.svg"
        width, height = map(float, SVG_SIZE.search(svg.read_text(encoding="utf-8")).groups())
        size, _ = smallest_text(svg)
        for shown in deck.get(name, [planned_width]):
            assert size * shown / width >= MIN_FIGURE_FONT_PX, f"{name} at {shown}px"
            assert height * shown / width <= max_height, (
                f"{name} at {shown}px is {height * shown / width:.0f}px high"
            )


def test_the_graph_names_every_operation_and_every_signal_of_the_forward_pass(figures):
    found = texts(figures / "ch5_batchnorm_graph.svg")
    operations = ["平均", "$-$", r"$(\cdot)^2$", "√", r"$\div$", r"$\times$", "$+$"]
    signals = ["$x$", r"$\mu$", "$x_c$", "$x_c^2$", r"$\sigma^2$", r"$\sigma$", r"$\hat{x}$", "$y$"]
    constants = [r"$\varepsilon$", r"$\gamma$", r"$\beta$"]
    assert set(operations + signals + constants) <= set(found)
    assert found.count("平均") == 2  # μ and σ² are both means over the mini-batch
    # x feeds two edges (its mean and x − μ) and x_c two (its square and x_c / σ): the branches the backward pass sums
    assert found.count("$x$") == 1 + 2
    assert found.count("$x_c$") == 2
    assert not any(r"\partial" in t for t in found)


def test_the_backward_graph_names_the_gradient_of_each_unbranched_signal(figures):
    found = texts(figures / "ch5_batchnorm_backward.svg")
    for symbol in (r"\mu", "x_c^2", r"\sigma^2", r"\sigma", r"\hat{x}", r"\gamma", r"\beta", "y"):
        assert rf"$\partial L/\partial {symbol}$" in found, symbol
    # a branched signal's gradient is the sum of its two edges' gradients, and the figure says so
    assert sum(t.startswith(r"$\partial L/\partial x$") and "2 本の和" in t for t in found) == 1
    assert sum(t.startswith(r"$\partial L/\partial x_c$") and "2 本の和" in t for t in found) == 1


def test_the_grid_has_one_panel_per_weight_scale_and_draws_each_history():
    figstyle.setup()
    scales = [1.0, 0.5411, 0.1, 0.00347, 1e-4]  # 5 panels: the last row of a 4-column grid is part empty
    rows = grid_rows(scales)
    fig = batchnorm_plots.batchnorm_grid_figure(rows)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert len(panels) == len(scales)
    for ax, row in zip(panels, rows, strict=True):
        lines = lines_of(ax)
        assert lines["Batch Normalization あり"] == row["bn"]["train_acc"]
        assert lines["なし"] == row["plain"]["train_acc"]
        assert ax.get_title() == batchnorm_plots.scale_title(row["scale"])
        assert ax.get_ylim() == (0, 1)
    assert [ax.get_title().split()[-1] for ax in panels] == ["1.0", "0.54", "0.10", "0.0035", "0.00010"]
    assert len(fig.legends) == 1  # one legend for the whole grid, not one per panel


def test_the_real_grid_fills_four_columns_row_by_row():
    figstyle.setup()
    n = len(techniques.BN_SCALES)  # 16 scales: a 4 × 4 grid
    fig = batchnorm_plots.batchnorm_grid_figure(grid_rows(techniques.BN_SCALES))
    spec = [ax.get_subplotspec() for ax in fig.axes if ax.get_visible()]
    assert [(s.rowspan.start, s.colspan.start) for s in spec] == [(i // 4, i % 4) for i in range(n)]


@pytest.mark.parametrize("name", ["なし", "Weight decay", "Dropout"])
def test_regularization_figures_draw_their_history_and_the_unregularized_test_curve(name):
    figstyle.setup()
    histories = regularization_histories()
    baseline = None if name == regularization_plots.BASELINE else histories["なし"]
    fig = regularization_plots.accuracy_figure(histories[name], baseline)
    (ax,) = fig.axes
    lines = lines_of(ax)
    assert lines["訓練データ"] == histories[name]["train_acc"]
    assert lines["テストデータ"] == histories[name]["test_acc"]
    if baseline is None:
        assert set(lines) == {"訓練データ", "テストデータ"}
    else:
        assert lines["テスト（正則化なし）"] == histories["なし"]["test_acc"]
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()][:2] == ["訓練データ", "テストデータ"]


def test_the_three_regularization_figures_share_their_axes_and_size(figures):
    figstyle.setup()
    histories = regularization_histories()
    limits = set()
    for name in ("なし", "Weight decay", "Dropout"):
        (ax,) = regularization_plots.accuracy_figure(histories[name], histories["なし"]).axes
        limits.add((ax.get_xlim(), ax.get_ylim()))
    assert len(limits) == 1
    sizes = {
        SVG_SIZE.search((figures / f"{n}.svg").read_text()).groups()
        for n in ("ch5_overfitting", "ch5_weight_decay", "ch5_dropout")
    }
    assert len(sizes) == 1


def test_titles_read_the_coefficients_from_techniques(monkeypatch):
    monkeypatch.setattr(techniques, "WEIGHT_DECAY", 0.25)
    monkeypatch.setattr(techniques, "DROPOUT_RATIO", 0.4)
    titles = regularization_plots.titles()
    assert "0.25" in titles["Weight decay"] and "0.4" in titles["Dropout"]
