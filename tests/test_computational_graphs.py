"""Computational graphs of chapter 4: every figure is written and reads at its slide width; the numbers are the layers'."""

import math
import sys
import warnings

import pytest

from conftest import shown_widths, unreadable_figures
from deckbuild import ROOT

sys.path.insert(0, str(ROOT / "figures_src"))
import computational_graphs
import graphdraw


def f(x1, x2):
    """The function the figures draw, written out here independently of the layers."""
    return (2 * x1 + 3 * x2) * 4


def central_difference(fn, x, h=1e-4):
    return (fn(x + h) - fn(x - h)) / (2 * h)


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("computational_graphs")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a missing glyph (tofu) is a warning in matplotlib
        computational_graphs.main(outdir)
    return outdir


def test_every_figure_written_is_shown_by_the_deck(figures):
    assert {p.suffix for p in figures.iterdir()} == {".svg"}
    assert {p.stem for p in figures.iterdir()} <= set(shown_widths())


def test_text_reads_at_every_width_the_deck_shows_it(figures):
    assert unreadable_figures(figures) == []  # what the build's browser check measures


@pytest.mark.parametrize(
    "x1, x2", [(computational_graphs.EXAMPLE["x1"], computational_graphs.EXAMPLE["x2"]), (-0.5, 3.0)]
)
def test_evaluate_gives_f_and_its_partial_derivatives(x1, x2):
    signals = computational_graphs.evaluate(x1, x2)
    assert signals["f"].forward == pytest.approx(f(x1, x2))
    assert signals["f"].backward == 1.0  # ∂f/∂f
    dx1 = central_difference(lambda v: f(v, x2), x1)
    dx2 = central_difference(lambda v: f(x1, v), x2)
    assert signals["x1"].backward == pytest.approx(dx1, rel=1e-6)
    assert signals["x2"].backward == pytest.approx(dx2, rel=1e-6)
    assert (signals["x1"].backward, signals["x2"].backward) == pytest.approx((8.0, 12.0))
    assert (signals["x1"].forward, signals["x2"].forward) == (x1, x2)


def test_example_numbers():
    """The values the slides quote: f(1, 2) = 32, inner edges 2, 6, 8; the addition node passes 4 to both inputs."""
    signals = computational_graphs.evaluate(**computational_graphs.EXAMPLE)
    assert [signals[k].forward for k in ("2x1", "3x2", "2x1+3x2", "f")] == [2.0, 6.0, 8.0, 32.0]
    assert [signals[k].backward for k in ("2x1", "3x2", "2x1+3x2")] == [4.0, 4.0, 4.0]


@pytest.mark.parametrize("offset", [0.0, 0.09, -0.09])
@pytest.mark.parametrize("aim", [(0.0, 0.0), (0.0, 0.15)])
def test_arrows_stop_on_the_node_edges(offset, aim):
    a = graphdraw.Node((0.0, 1.0), (0.0, 1.0), 0.34)
    b = graphdraw.Node((3.0, 0.0), (3.0, 0.0), 0.4)
    start, end, _ = graphdraw.segment(a, b, offset, aim_end=aim)
    assert math.dist(start, a.right) == pytest.approx(a.r)
    assert math.dist(end, b.left) == pytest.approx(b.r)
    assert end[0] < b.left[0]  # the side facing a, not the far side
