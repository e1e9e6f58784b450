"""Chapter 6's figures: the diagrams draw the numbers zerodl computes (max_pool2d, im2col and its product, the shapes of
a forward pass), the plots draw the records and weights they are given, every figure reads at the width the slides
show it and is byte-reproducible, and cnn.shift_sensitivity measures what it says on a case worked by hand.

The trained CNN and chapter 4's network are replaced by small synthetic params and records: training takes too long
for the suite.
"""

import re
import sys
import warnings
from collections import Counter

import numpy as np
import pytest
from matplotlib.image import AxesImage

from conftest import shown_widths
from deckbuild import ROOT
from deckbuild.slidecheck import MIN_FIGURE_FONT_PX, smallest_text

sys.path.insert(0, str(ROOT / "figures_src"))
import cnn_layout_diagrams
import cnn_plots

import figstyle
from zerodl import cnn
from zerodl.cnn_examples import convolve2d, max_pool2d
from zerodl.conv_layers import Convolution
from zerodl.simple_conv_net import SimpleConvNet

# The width in px each figure is designed for (the slides' figure(width=…)); once the deck shows a figure, the widths
# are the deck's own (shown_widths). The height limit keeps room on a 720 px slide for a title and a line of text.
PLANNED = {
    "ch6_pooling": (800, 480),
    "ch6_im2col": (1100, 420),
    "ch6_simple_cnn": (1100, 250),
    "ch6_learning_curve": (700, 480),
    "ch6_filters": (1100, 260),
    "ch6_filter_response": (1100, 320),
    "ch6_shift": (900, 360),
}
SVG_SIZE = re.compile(r'<svg\b[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"')


def synthetic_history(epochs, seed, with_epoch=True):
    """A made-up accuracy record: fit()'s shape (with "epoch") or chapter 4's train() (without)."""
    rng = np.random.default_rng(seed)
    record = {
        "train_acc": list(rng.uniform(0.1, 1, epochs + 1)),
        "test_acc": list(rng.uniform(0.1, 1, epochs + 1)),
        "loss": list(rng.uniform(0, 2, 3 * epochs)),
    }
    if with_epoch:
        record["epoch"] = list(range(epochs + 1))
    return record


def synthetic_params(seed):
    """SimpleConvNet's params with weights large enough to show structure (a trained net's are ~100× the initial)."""
    params = SimpleConvNet(seed=seed).params
    params["W1"] *= 30
    params["b1"][:] = np.random.default_rng(seed).normal(0, 0.05, params["b1"].shape)
    return params


def synthetic_digits(n=20, seed=0):
    """Blurry made-up strokes on 28×28, shaped like load_mnist(flatten=False): x (N, 1, 28, 28), labels 0‥9."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 1, 28, 28), dtype=np.float32)
    for img in x[:, 0]:
        r, c = rng.integers(6, 14, 2)
        img[r : r + 10, c : c + 2] = 1.0  # a vertical stroke
        img[r + 4 : r + 6, c - 4 : c + 6] = 1.0  # and a horizontal one
    return x, np.arange(n) % 10


@pytest.fixture
def no_training(monkeypatch):
    """cnn_plots.main() with the trained networks and the test digits replaced by synthetic ones of the same shape."""
    result = {
        "initial": synthetic_params(1),
        "params": synthetic_params(2),
        "history": synthetic_history(5, 0),
    }
    monkeypatch.setattr(cnn, "train_simple_cnn", lambda: result)
    monkeypatch.setattr(
        cnn_plots, "trained_two_layer_net", lambda: {"history": synthetic_history(4, 1, False)}
    )
    digits = synthetic_digits()
    monkeypatch.setattr(cnn_plots, "load_mnist", lambda **kw: (digits, digits))
    return result


@pytest.fixture(scope="module")
def diagrams(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("ch6_diagrams")
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error", UserWarning
        )  # a missing glyph (tofu) or font is a warning in matplotlib
        cnn_layout_diagrams.main(outdir)
    return outdir


@pytest.fixture
def plots(tmp_path, no_training):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        cnn_plots.main(tmp_path)
    return tmp_path


def check_sizes(folder, names):
    assert {p.stem for p in folder.glob("*.svg")} == names
    deck = shown_widths()
    for name in names:
        planned_width, max_height = PLANNED[name]
        svg = folder / f"{name}.svg"
        width, height = map(float, SVG_SIZE.search(svg.read_text(encoding="utf-8")).groups())
        size, _ = smallest_text(svg)
        for shown in deck.get(name, [planned_width]):
            assert size * shown / width >= MIN_FIGURE_FONT_PX, (
                f"{name} at {shown}px: {size * shown / width:.1f}px"
            )
            assert height * shown / width <= max_height, (
                f"{name} at {shown}px is {height * shown / width:.0f}px high"
            )


def test_the_diagrams_read_and_fit_at_the_width_the_slides_show_them(diagrams):
    check_sizes(diagrams, {"ch6_pooling", "ch6_im2col", "ch6_simple_cnn"})


def test_the_plots_read_and_fit_at_the_width_the_slides_show_them(plots):
    check_sizes(plots, {"ch6_learning_curve", "ch6_filters", "ch6_filter_response", "ch6_shift"})


def test_the_figures_are_byte_reproducible(tmp_path, no_training):
    for run in ("a", "b"):
        cnn_layout_diagrams.main(tmp_path / run)
        cnn_plots.main(tmp_path / run)
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def numbers(fig):
    """The numbers written in a diagram's text (labels such as "im2col" or "(4, 9)" are not numbers)."""
    number = re.compile(
        "\N{MINUS SIGN}?\\d+(\\.\\d+)?"
    )  # a negative number is written with a true minus sign
    return Counter(
        float(t.get_text().replace("\N{MINUS SIGN}", "-"))
        for t in fig.axes[0].texts
        if number.fullmatch(t.get_text())
    )


def count(*arrays):
    return Counter(float(v) for a in arrays for v in np.asarray(a).flat)


# ---- the diagrams ------------------------------------------------------------------------------------------------


def test_the_pooling_diagram_draws_its_input_and_max_pool2d_and_marks_each_windows_max():
    figstyle.setup()
    x = np.array([[7, 1, 0, 2], [0, 2, 9, 1], [1, 3, 2, 0], [2, 0, 3, 8]])
    fig = cnn_layout_diagrams.pooling_figure(x)
    out = max_pool2d(x)
    assert numbers(fig) == count(x, out)
    # the max of each window is written in its window's colour, the other numbers of the input in black
    coloured = sorted(
        float(t.get_text())
        for t in fig.axes[0].texts[: x.size]
        if t.get_color() in cnn_layout_diagrams.WINDOW_EDGES
    )
    assert coloured == sorted(out.flat)


def test_im2col_example_is_the_convolution_layer():
    e = cnn_layout_diagrams.im2col_example()
    fn = e["filters"].shape[0]
    layer = Convolution(e["filters"].astype(float), np.zeros(fn))
    assert np.array_equal(e["maps"], layer.forward(e["x"].astype(float)))
    for f in range(fn):
        assert np.array_equal(e["maps"][0, f], convolve2d(e["x"][0, 0], e["filters"][f, 0]))


def test_the_im2col_diagram_draws_the_arrays_it_is_given():
    figstyle.setup()
    rng = np.random.default_rng(3)
    image = rng.integers(0, 9, (4, 4))  # the diagram's design: 4 windows, 2 filters (one colour each)
    filters = rng.integers(-2, 3, (2, 1, 3, 3))
    e = cnn_layout_diagrams.im2col_example(image, filters)
    assert e["col"].shape == (4, 9) and e["col_W"].shape == (9, 2) and e["maps"].shape == (1, 2, 2, 2)
    fig = cnn_layout_diagrams.im2col_figure(e)
    windows = e["col"].shape[0]  # the input is drawn once per window
    assert numbers(fig) == count(*[image] * windows, e["col"], e["col_W"], filters, e["out"], e["maps"])
    labels = {t.get_text() for t in fig.axes[0].texts}
    assert {
        "入力 (1, 1, 4, 4)",
        "col (4, 9): 窓 1 つが 1 行",
        "col_W (9, 2): フィルタ 1 枚が 1 列",  # the name Convolution.forward gives it (its W is 4-D)
        "(1, 2, 2, 2)",
    } <= labels


def test_the_cnn_diagram_writes_the_shapes_of_a_real_forward_pass():
    figstyle.setup()
    network = SimpleConvNet(input_dim=(1, 12, 12), filter_num=4, filter_size=3, hidden_size=7, output_size=5)
    shapes = cnn_layout_diagrams.simple_cnn_shapes(network, (1, 12, 12))
    assert [s for _, s in shapes] == [
        (1, 12, 12),
        (4, 10, 10),
        (4, 10, 10),
        (4, 5, 5),
        (100,),
        (7,),
        (7,),
        (5,),
        (5,),
    ]
    labels = [t.get_text() for t in cnn_layout_diagrams.simple_cnn_figure(network, (1, 12, 12)).axes[0].texts]
    for _, shape in shapes:
        assert str(shape) in labels
    assert "Conv\n4 枚 3×3" in labels and "Affine\n7 ノード" in labels and "Affine\n5 ノード" in labels


def test_the_default_cnn_diagram_is_the_books_network():
    names_and_shapes = cnn_layout_diagrams.simple_cnn_shapes()
    assert names_and_shapes[0] == ("入力", (1, 28, 28))
    assert dict(names_and_shapes)["Pool1"] == (30, 12, 12)
    assert dict(names_and_shapes)["Flatten1"] == (4320,)


# ---- the plots ---------------------------------------------------------------------------------------------------


def test_the_learning_curve_draws_both_records():
    figstyle.setup()
    history, baseline = synthetic_history(7, 0), synthetic_history(4, 1, with_epoch=False)
    ax = cnn_plots.learning_curve_figure(history, baseline).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["CNN の訓練データ"].get_ydata()) == history["train_acc"]
    assert list(lines["CNN のテストデータ"].get_ydata()) == history["test_acc"]
    (label,) = [name for name in lines if name.startswith("2 層ネットワーク")]
    assert "4 エポック" in label
    assert list(lines[label].get_xdata()) == [0, 1, 2, 3, 4]
    assert list(lines[label].get_ydata()) == baseline["test_acc"]
    assert ax.get_xlim() == (0, 7)


def test_the_filters_figure_draws_every_filter_before_and_after_each_on_its_own_scale():
    figstyle.setup()
    initial, learned = synthetic_params(1)["W1"], synthetic_params(2)["W1"]
    fig = cnn_plots.filters_figure(initial, learned)
    images = [im for ax in fig.axes for im in ax.get_images()]
    assert len(images) == 2 * len(initial)
    for im, w in zip(images, [*initial, *learned], strict=True):
        assert np.array_equal(im.get_array(), w[0])
        assert im.get_clim() == (-np.abs(w).max(), np.abs(w).max())


def test_the_chosen_filters_follow_the_rule():
    vertical = np.tile([-1.0, 0, 1, 0, -1], (5, 1))  # changes left to right: a vertical edge detector
    horizontal = vertical.T
    blob = np.ones((5, 5)) + 0.1 * np.eye(5)
    noise = np.random.default_rng(0).normal(size=(5, 5))
    W1 = np.stack([noise, horizontal, blob, vertical])[:, np.newaxis]
    assert cnn_plots.chosen_filters(W1) == {"縦の縁": 3, "横の縁": 1, "塊": 2}
    assert cnn_plots.edge_orientation(vertical) == 1 and cnn_plots.edge_orientation(horizontal) == -1


def test_the_response_is_the_filter_convolved_with_the_digit_plus_its_bias():
    params = synthetic_params(2)
    image = synthetic_digits(1)[0][0, 0]
    for k in (0, 7):
        expected = convolve2d(image, params["W1"][k, 0]) + params["b1"][k]
        assert np.allclose(cnn_plots.response(params, k, image), expected, atol=1e-5)


def test_the_response_figure_draws_the_digit_and_each_chosen_filter_and_its_output():
    figstyle.setup()
    params = synthetic_params(2)
    image = synthetic_digits(1)[0][0, 0]
    chosen = {"A": 3, "B": 11}
    fig = cnn_plots.filter_response_figure(params, image, chosen)
    arrays = [im.get_array() for ax in fig.axes for im in ax.get_children() if isinstance(im, AxesImage)]
    expected = [image]
    for k in chosen.values():
        expected += [params["W1"][k, 0], cnn_plots.response(params, k, image)]
    assert len(arrays) == len(expected)
    for drawn, want in zip(arrays, expected, strict=True):
        assert np.array_equal(drawn, want)
    titles = [ax.get_title() for ax in fig.axes]
    assert "3 番" in titles and "11 番" in titles and "Aに反応" in titles


def test_the_shift_figure_draws_each_measure_in_percent():
    figstyle.setup()
    image = synthetic_digits(1)[0][0, 0]
    sensitivities = {
        (0, 1): {"before": 0.6, "after": 0.3, "subsampled": 0.7},
        (2, 0): {"before": 0.9, "after": 0.8, "subsampled": 0.95},
    }
    fig = cnn_plots.shift_figure(image, sensitivities, 123)
    bars_ax = fig.axes[-1]
    heights = [round(p.get_height(), 6) for p in bars_ax.patches]
    assert heights == [
        60,
        90,
        70,
        95,
        30,
        80,
    ]  # grouped per measure, in MEASURES' order: before, subsampled, after
    assert "123 枚" in bars_ax.get_title()
    assert [t.get_text() for t in bars_ax.get_xticklabels()] == ["右へ 1 画素", "下へ 2 画素"]
    original, moved, difference = [ax.get_images()[0].get_array() for ax in fig.axes[:3]]
    assert np.array_equal(original, image) and np.array_equal(moved[:, 1:], image[:, :-1])
    assert np.array_equal(difference, moved - image)


# ---- cnn.shift_sensitivity -------------------------------------------------------------------------------------


def dot_params():
    """One 3×3 filter that passes its centre pixel through: Conv1's output is the image without its border."""
    w = np.zeros((1, 1, 3, 3), dtype=np.float32)
    w[0, 0, 1, 1] = 1
    return {"W1": w, "b1": np.zeros(1, dtype=np.float32)}


def test_a_dot_moving_inside_a_pooling_window_changes_the_pooled_output_not_at_all():
    image = np.zeros((8, 8), dtype=np.float32)
    image[3, 3] = (
        1  # Conv1 output (6×6): the dot at (2, 2); shifted right: (2, 3), the same 2×2 window (1, 1)
    )
    s = cnn.shift_sensitivity(dot_params(), image, 0, 1)
    assert s["before"] == pytest.approx(np.sqrt(2))  # one 1 gone, one 1 new, of a map whose norm is 1
    assert s["after"] == 0
    assert s["subsampled"] == pytest.approx(1)  # (2, 2) is kept by the subsampling, (2, 3) is not


def test_a_dot_moving_into_the_next_window_changes_the_pooled_output_as_much():
    image = np.zeros((8, 8), dtype=np.float32)
    image[3, 3] = 1  # Conv1 output: shifted left, (2, 2) → (2, 1): window (1, 1) → (1, 0)
    s = cnn.shift_sensitivity(dot_params(), image, 0, -1)
    assert s["before"] == pytest.approx(np.sqrt(2)) and s["after"] == pytest.approx(np.sqrt(2))


def test_shift_sensitivity_over_several_images_is_over_all_their_outputs():
    a, b = np.zeros((8, 8), dtype=np.float32), np.zeros((8, 8), dtype=np.float32)
    a[3, 3], b[3, 4] = 1, 1  # one dot stays in its window, the other leaves it
    s = cnn.shift_sensitivity(dot_params(), np.stack([a, b]), 0, 1)
    assert s["before"] == pytest.approx(np.sqrt(4 / 2)) and s["after"] == pytest.approx(np.sqrt(2 / 2))
