"""Chapter 6's diagrams draw the worked example's arrays and what convolve2d computes from them (never typed-in
numbers), read at the width each is designed for (and at any width the deck shows it), and are byte-reproducible."""

import re
import sys
import warnings

import numpy as np
import pytest
from matplotlib import pyplot as plt

from conftest import unreadable_figures
from deckbuild import ROOT
from deckbuild.slidecheck import MIN_FIGURE_FONT_PX, smallest_text

sys.path.insert(0, str(ROOT / "figures_src"))
import cnn_diagrams

import figstyle
from zerodl import cnn_examples
from zerodl.cnn_examples import convolve2d
from zerodl.im2col import conv_output_size

# The width (px on the 1280-px slide) each figure is drawn for; the slides' figure(width=…) should use these.
DESIGNED_WIDTHS = {
    "ch6_structure": 1100,
    "ch6_conv_steps": 1000,
    "ch6_conv_bias": 900,
    "ch6_padding": 800,
    "ch6_stride": 600,
    "ch6_channels": 800,
    "ch6_blocks": 800,
}

# a second example unlike the book's: another size, negative numbers, so nothing can come from constants
OTHER_INPUT = np.array(
    [[3, -1, 0, 2, 1], [0, 4, -2, 1, 0], [1, 1, 3, 0, -3], [2, 0, 1, 5, 1], [-1, 2, 0, 1, 2]]
)
OTHER_FILTER = np.array([[0, 1, -1], [2, 0, 1], [1, -2, 0]])


def drawn(fig, name: str) -> dict[tuple[int, int], str]:
    """The numbers a grid called `name` draws, by cell: {(i, j): text}."""
    cells = {}
    for text in fig.axes[0].texts:
        m = re.fullmatch(rf"{re.escape(name)}\[(\d+),(\d+)\]", text.get_label())
        if m:
            cells[int(m.group(1)), int(m.group(2))] = text.get_text()
    return cells


def as_array(cells: dict, shape) -> np.ndarray:
    assert set(cells) == {(i, j) for i in range(shape[0]) for j in range(shape[1])}
    return np.array(
        [[int(cells[i, j].replace("\N{MINUS SIGN}", "-")) for j in range(shape[1])] for i in range(shape[0])]
    )


def labelled(fig, label: str) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts if t.get_label() == label]


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("cnn_diagrams")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a missing glyph (tofu) is a warning in matplotlib
        cnn_diagrams.main(outdir)
    return outdir


@pytest.fixture
def drawn_by_main(monkeypatch):
    """main()'s figures by name, kept open instead of written (to read what they draw)."""
    figures = {}
    monkeypatch.setattr(figstyle, "save", lambda fig, outdir, name: figures.setdefault(name, fig))
    yield figures
    for fig in figures.values():
        plt.close(fig)


def test_every_figure_is_written_and_named_for_chapter_6(figures):
    assert {p.name for p in figures.iterdir()} == {f"{name}.svg" for name in DESIGNED_WIDTHS}


def test_text_reads_at_the_width_each_figure_is_designed_for(figures):
    """Until a slide shows a figure (then the next test measures it at the slide's width)."""
    for name, shown in DESIGNED_WIDTHS.items():
        size, width = smallest_text(figures / f"{name}.svg")
        assert size * shown / width >= MIN_FIGURE_FONT_PX, name


def test_text_reads_at_every_width_the_deck_shows_it(figures):
    assert unreadable_figures(figures) == []


def test_the_figures_are_byte_reproducible(tmp_path):
    cnn_diagrams.main(tmp_path / "a")
    cnn_diagrams.main(tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_main_draws_the_arrays_of_cnn_examples(monkeypatch, drawn_by_main):
    """Change the example and the figures change with it: input, filter, bias and what convolve2d makes of them."""
    monkeypatch.setattr(cnn_examples, "EXAMPLE_INPUT", OTHER_INPUT)
    monkeypatch.setattr(cnn_examples, "EXAMPLE_FILTER", OTHER_FILTER)
    monkeypatch.setattr(cnn_examples, "EXAMPLE_BIAS", -3)
    cnn_diagrams.main(None)
    figs = drawn_by_main
    out = convolve2d(OTHER_INPUT, OTHER_FILTER)
    bias = figs["ch6_conv_bias"]
    assert np.array_equal(as_array(drawn(bias, "input"), OTHER_INPUT.shape), OTHER_INPUT)
    assert np.array_equal(as_array(drawn(bias, "filter"), OTHER_FILTER.shape), OTHER_FILTER)
    assert np.array_equal(as_array(drawn(bias, "sum"), out.shape), out)
    assert np.array_equal(as_array(drawn(bias, "bias"), (1, 1)), [[-3]])
    assert np.array_equal(as_array(drawn(bias, "output"), out.shape), out - 3)
    padded = figs["ch6_padding"]
    assert np.array_equal(as_array(drawn(padded, "padded"), (7, 7)), np.pad(OTHER_INPUT, 1))
    assert np.array_equal(
        as_array(drawn(padded, "output"), (5, 5)), convolve2d(OTHER_INPUT, OTHER_FILTER, pad=1)
    )
    channels = " ".join(t.get_text() for t in figs["ch6_channels"].axes[0].texts)
    assert "(C, H, W) = (3, 5, 5)" in channels and "(1, OH, OW) = (1, 3, 3)" in channels


def test_the_book_example_is_drawn_with_convolve2d_results(drawn_by_main):
    cnn_diagrams.main(None)
    x, w = cnn_examples.EXAMPLE_INPUT, cnn_examples.EXAMPLE_FILTER
    out = convolve2d(x, w)
    fig = drawn_by_main["ch6_conv_bias"]
    assert np.array_equal(as_array(drawn(fig, "output"), out.shape), out + cnn_examples.EXAMPLE_BIAS)
    padded = drawn_by_main["ch6_padding"]
    assert np.array_equal(as_array(drawn(padded, "output"), x.shape), convolve2d(x, w, pad=1))


@pytest.mark.parametrize(
    "x,w", [(cnn_examples.EXAMPLE_INPUT, cnn_examples.EXAMPLE_FILTER), (OTHER_INPUT, OTHER_FILTER)]
)
def test_each_step_writes_out_the_product_sum_of_its_window(x, w):
    """One panel per output position: the whole input, the filter, the outputs computed so far, and the sum
    written term by term (window element · weight), ending in convolve2d's value at that position."""
    figstyle.setup()
    fig = cnn_diagrams.conv_steps(x, w)
    out = convolve2d(x, w)
    fh, fw = w.shape
    for k in range(out.size):
        i, j = divmod(k, out.shape[1])
        assert np.array_equal(as_array(drawn(fig, f"input{k}"), x.shape), x)
        assert np.array_equal(as_array(drawn(fig, f"filter{k}"), w.shape), w)
        shown = drawn(fig, f"output{k}")
        assert len(shown) == k + 1  # the positions done so far, in reading order
        assert all(int(v.replace("\N{MINUS SIGN}", "-")) == out[cell] for cell, v in shown.items())
        (formula,) = labelled(fig, f"sum{k}")
        terms, total = formula.strip("$").split(" = ")
        pairs = [tuple(int(v.strip("()")) for v in t.split(r"{\cdot}")) for t in terms.split(" + ")]
        window = x[i : i + fh, j : j + fw]
        assert pairs == list(zip(window.ravel(), w.ravel(), strict=True))
        assert int(total) == out[i, j]
    plt.close(fig)


@pytest.mark.parametrize("h,fh,s,pad", [(7, 3, 2, 0), (9, 3, 3, 0), (6, 2, 1, 1)])
def test_the_stride_figure_computes_its_output_size(h, fh, s, pad):
    figstyle.setup()
    fig = cnn_diagrams.stride(h, fh, s, pad)
    oh = conv_output_size(h, fh, s, pad)
    (formula,) = labelled(fig, "formula")
    assert formula.endswith(rf"\dfrac{{{h} + 2\cdot{pad} - {fh}}}{{{s}}} + 1 = {oh}$")
    assert labelled(fig, "step") == [f"{s} マスずつ"]
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert f"入力 {h}×{h}" in texts and f"出力 {oh}×{oh}" in texts
    plt.close(fig)


def test_the_structure_draws_each_stage_in_order_and_colours_the_new_layers():
    figstyle.setup()
    fig = cnn_diagrams.structure()
    rows = {}
    for text in fig.axes[0].texts:
        if text.get_text() in {"Affine", "ReLU", "Softmax", "Conv", "Pooling"}:
            x, y = text.get_position()
            rows.setdefault(round(y, 6), []).append((x, text.get_text(), text.get_color()))
    top, bottom = (sorted(rows[y]) for y in sorted(rows, reverse=True))
    assert [name for _, name, _ in top] == [n for dense, _ in cnn_diagrams.STAGES for n in dense]
    assert [name for _, name, _ in bottom] == [n for _, cnn in cnn_diagrams.STAGES for n in cnn]
    assert {name for _, name, color in top + bottom if color != "black"} == {"Conv", "Pooling"}
    # each stage starts at the same x in both rows (the CNN's extra Pooling boxes stretch the dense row's arrows)
    top_starts = np.cumsum([0] + [len(dense) for dense, _ in cnn_diagrams.STAGES[:-1]])
    bottom_starts = np.cumsum([0] + [len(cnn) for _, cnn in cnn_diagrams.STAGES[:-1]])
    assert [top[k][0] for k in top_starts] == pytest.approx([bottom[k][0] for k in bottom_starts])
    plt.close(fig)


def test_long_product_sums_widen_the_panels_instead_of_running_into_the_next():
    """Negative numbers get brackets and make the sums long; each sum stays clear of every other and of the edge."""
    figstyle.setup()
    fig = cnn_diagrams.conv_steps(OTHER_INPUT, OTHER_FILTER)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].texts if t.get_label().startswith("sum")]
    assert len(boxes) == convolve2d(OTHER_INPUT, OTHER_FILTER).size
    for k, a in enumerate(boxes):
        assert a.x1 <= fig.bbox.x1
        assert not any(a.overlaps(b) for b in boxes[k + 1 :])
    plt.close(fig)
