"""Network diagrams: every figure is written, reads at the width its slide shows it, and draws LAYER_SIZES."""

import sys
import warnings

import pytest
from matplotlib import pyplot as plt
from matplotlib.patches import Circle

from conftest import shown_widths, unreadable_figures
from deckbuild import ROOT
from zerodl import three_layer

sys.path.insert(0, str(ROOT / "figures_src"))
import netdraw
import network_diagrams

import figstyle


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("network_diagrams")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (tofu) is a warning in matplotlib
        network_diagrams.main(outdir)
    return outdir


def test_text_reads_at_every_width_the_deck_shows_it(figures):
    # sub/superscripts included, as the build's browser check measures
    assert unreadable_figures(figures) == []


def test_a_figure_shown_at_several_widths_is_measured_at_each(tmp_path):
    """The real deck's widths change with its slides; the measure must see every one of them."""
    from conftest import content_width, write_deck

    body = '{= figure("net.svg", width=560) =}\n\n---\n\n{= figure("net.svg", width=760) =}\n\n{= figure("net.svg") =}\n'
    deck = write_deck(tmp_path, {"a.md.j2": body})
    assert shown_widths(deck) == {"net": [560, 760, content_width()]}


def test_every_figure_written_is_shown_by_the_deck(figures):
    assert {p.suffix for p in figures.iterdir()} == {".svg"}
    assert {p.stem for p in figures.iterdir()} <= set(shown_widths())


def test_layer_positions_follow_sizes():
    pos = netdraw.layer_positions((2, 3, 2, 2), [0, 1, 2, 3], dy=1.0)
    assert [len(col) for col in pos] == [2, 3, 2, 2]
    assert pos[1] == [(1, 1.0), (1, 0.0), (1, -1.0)]  # 上から 1 番目、2 番目…、中央揃え
    assert pos[0] == [(0, 0.5), (0, -0.5)]
    with pytest.raises(ValueError):
        netdraw.layer_positions((2, 3), [0], dy=1.0)


def test_drawn_network_has_layer_sizes_neurons():
    """ニューロンの円は LAYER_SIZES の合計と、出力層以外の層ごとのバイアス「1」。"""
    sizes = three_layer.LAYER_SIZES
    figstyle.setup()
    fig = network_diagrams.neural_network()
    circles = [p for p in fig.axes[0].patches if isinstance(p, Circle)]
    plt.close(fig)
    assert len(circles) == sum(sizes) + len(sizes) - 1
    columns = sorted({round(c.center[0], 6) for c in circles})
    per_column = [sum(1 for c in circles if round(c.center[0], 6) == x) for x in columns]
    assert per_column == [n + 1 for n in sizes[:-1]] + [sizes[-1]]
