"""Chapter 7's diagrams draw what they are given: the ImageNet figure the rows of the cited data file, the receptive
field figure the sizes conv_output_size gives, the architecture figure the shapes of a real DeepConvNet forward pass.
Each reads and fits at the width it is designed for (and at any width the deck shows it) and is byte-reproducible."""

import dataclasses
import re
import sys
import warnings

import numpy as np
import pytest
from matplotlib import pyplot as plt

from conftest import shown_widths
from deckbuild import ROOT
from deckbuild.slidecheck import MIN_FIGURE_FONT_PX, smallest_text

sys.path.insert(0, str(ROOT / "figures_src"))
import deep_diagrams

import figstyle
from zerodl.deep_conv_net import DeepConvNet
from zerodl.history import imagenet_winners

# The width in px each figure is designed for (the slides' figure(width=…)) and the most height it may take there
# (room on the 720-px slide for a title and a line of text). Once the deck shows a figure, its widths are the deck's.
PLANNED = {
    "ch7_imagenet": (900, 440),
    "ch7_receptive_field": (520, 470),
    "ch7_residual": (1000, 260),
    "ch7_deep_architecture": (1100, 320),
}
SVG_SIZE = re.compile(r'<svg\b[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"')


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("ch7_diagrams")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a missing glyph (tofu) is a warning in matplotlib
        deep_diagrams.main(outdir)
    return outdir


def texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def labelled(fig, label):
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_label() == label]


def test_every_figure_is_written_and_named_for_chapter_7(figures):
    assert {p.stem for p in figures.glob("*.svg")} == set(PLANNED)


def test_the_figures_read_and_fit_at_the_width_they_are_shown(figures):
    deck = shown_widths()
    for name, (planned_width, max_height) in PLANNED.items():
        svg = figures / f"{name}.svg"
        width, height = map(float, SVG_SIZE.search(svg.read_text(encoding="utf-8")).groups())
        size, _ = smallest_text(svg)
        for shown in deck.get(name, [planned_width]):
            assert size * shown / width >= MIN_FIGURE_FONT_PX, (
                f"{name} at {shown}px: {size * shown / width:.1f}px"
            )
            assert height * shown / width <= max_height, (
                f"{name} at {shown}px is {height * shown / width:.0f}px high"
            )


def test_the_figures_are_byte_reproducible(tmp_path):
    deep_diagrams.main(tmp_path / "a")
    deep_diagrams.main(tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


# ---- ImageNet ----------------------------------------------------------------------------------------------------


def bars(fig):
    ax = fig.axes[0]
    found = sorted((p for p in ax.patches if p.get_label().startswith("bar")), key=lambda p: p.get_x())
    return [round(p.get_height(), 6) for p in found], [p.get_facecolor() for p in found]


def test_the_imagenet_figure_draws_each_row_of_the_data_file():
    figstyle.setup()
    entries = imagenet_winners()
    fig = deep_diagrams.imagenet_figure()
    heights, _ = bars(fig)
    assert heights == [e.top5_error_percent for e in entries]
    assert [labelled(fig, f"value{k}") for k in range(len(entries))] == [
        [f"{e.top5_error_percent:g}"] for e in entries
    ]
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks[2] == "2012\nAlexNet" and "VGG" in ticks[5] and "2 位" in ticks[5]
    plt.close(fig)


def test_changing_a_row_changes_its_bar_its_number_and_its_name():
    figstyle.setup()
    entries = imagenet_winners()
    changed = [*entries]
    changed[3] = dataclasses.replace(entries[3], top5_error_percent=42.5, network="TestNet")
    fig = deep_diagrams.imagenet_figure(changed)
    heights, _ = bars(fig)
    assert heights[3] == 42.5 and heights[:3] == [e.top5_error_percent for e in entries[:3]]
    assert labelled(fig, "value3") == ["42.5"]
    assert f"{entries[3].year}\nTestNet" in [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert fig.axes[0].get_ylim()[1] > 42.5  # the axis grows with the data
    plt.close(fig)


def test_the_deep_learning_years_are_the_neural_network_rows():
    """Bars of rows with a network are coloured and under the shaded span; the others grey (a row without one, even
    after 2012, stays grey)."""
    figstyle.setup()
    entries = imagenet_winners()
    fig = deep_diagrams.imagenet_figure()
    _, colors = bars(fig)
    assert [c == colors[-1] for c in colors] == [bool(e.network) for e in entries]
    assert "ディープラーニング（CNN）" in texts(fig) and any("発表した" in t for t in texts(fig))
    plt.close(fig)
    changed = [*entries]
    changed[3] = dataclasses.replace(entries[3], network="")
    _, colors = bars(deep_diagrams.imagenet_figure(changed))
    assert colors[3] == colors[0] != colors[2]


# ---- receptive field ---------------------------------------------------------------------------------------------


def frames(fig):
    """Each highlighted region: its gid → its side in inches (the frames are square)."""
    return {p.get_gid(): p.get_width() for p in fig.axes[0].patches if p.get_gid()}


def lefts(fig):
    return {p.get_gid(): p.get_x() for p in fig.axes[0].patches if p.get_gid()}


@pytest.mark.parametrize("kernel,layers,sizes", [(3, 2, [5, 3, 1]), (3, 3, [7, 5, 3, 1]), (5, 2, [9, 5, 1])])
def test_the_receptive_field_is_what_the_stacked_convolutions_see(kernel, layers, sizes):
    figstyle.setup()
    assert deep_diagrams.receptive_field_sizes(kernel, layers) == sizes
    fig = deep_diagrams.receptive_field_figure(kernel, layers)
    names = [labelled(fig, f"size{k}")[0] for k in range(len(sizes))]
    assert names[0] == f"入力 {sizes[0]}×{sizes[0]}" and names[-1] == "出力 1×1"
    assert all(n.endswith(f"{s}×{s}") for n, s in zip(names, sizes, strict=True))
    side = frames(fig)
    assert [side[f"field{k}"] / side["field0"] for k in range(len(sizes))] == pytest.approx(
        [s / sizes[0] for s in sizes]
    )
    # the dashed window: kernel×kernel cells of the layer before the last, the cells its one orange cell sees
    assert side["window"] / side["field0"] == pytest.approx(kernel / sizes[0])
    assert lefts(fig)["window"] == pytest.approx(lefts(fig)[f"field{layers - 2}"])
    assert f"{kernel}×{kernel}" in texts(fig) and f"{sizes[0]}×{sizes[0]}" in texts(fig)
    assert not any(re.search(r"\d+ *(個|パラメータ)", t) for t in texts(fig))  # the slide computes the counts
    plt.close(fig)


# ---- residual block ----------------------------------------------------------------------------------------------


def test_the_residual_block_labels_both_paths_and_the_gradient_on_the_shortcut():
    figstyle.setup()
    fig = deep_diagrams.residual_figure()
    assert labelled(fig, "F") == ["$F(x)$"] and labelled(fig, "sum") == ["$F(x)+x$"]
    assert labelled(fig, "x")[0].startswith("$x$")
    (backward,) = [t for t in fig.axes[0].texts if t.get_label() == "backward"]
    assert backward.get_color() == deep_diagrams.nd.BACKWARD
    arrows = [p for p in fig.axes[0].patches if type(p).__name__ == "FancyArrowPatch"]
    (back,) = [a for a in arrows if a.get_linestyle() == "--"]
    (x0, y0), (x1, y1) = back._posA_posB
    assert x1 < x0 and y0 == y1 > 0  # right to left, above the layers, along the shortcut
    plt.close(fig)


def test_the_residual_block_draws_the_layers_it_is_given_in_order():
    figstyle.setup()
    fig = deep_diagrams.residual_figure(("A 層", "ReLU", "B 層", "C 層"))
    boxes = [t for t in fig.axes[0].texts if t.get_text() in {"A 層", "B 層", "C 層"}]
    assert [t.get_text() for t in sorted(boxes, key=lambda t: t.get_position()[0])] == [
        "A 層",
        "B 層",
        "C 層",
    ]
    plt.close(fig)


# ---- the deep CNN ------------------------------------------------------------------------------------------------


def test_the_architecture_shapes_come_from_a_forward_pass_of_deep_conv_net():
    shapes = dict(deep_diagrams.deep_cnn_shapes())
    assert shapes["入力"] == (1, 28, 28)
    assert shapes["Pool1"] == (8, 14, 14) and shapes["Pool3"] == (32, 4, 4) and shapes["Softmax"] == (10,)
    wide = dict(deep_diagrams.deep_cnn_shapes(DeepConvNet(channels=(16, 16, 32, 32, 64, 64), hidden_size=7)))
    assert wide["Pool3"] == (64, 4, 4) and wide["Flatten"] == (1024,) and wide["Affine1"] == (7,)


def test_the_architecture_writes_each_stages_output_shape():
    figstyle.setup()
    shapes = deep_diagrams.deep_cnn_shapes()
    fig = deep_diagrams.deep_architecture_figure(shapes)
    names = [n for n, _ in shapes]
    groups = deep_diagrams.stages(names)
    assert [names[s:e] for s, e in groups][:2] == [["入力"], ["Conv1", "Relu1", "Conv2", "Relu2", "Pool1"]]
    assert [names[s:e] for s, e in groups][-3:] == [
        ["Affine1", "Relu7", "Dropout1"],
        ["Affine2", "Dropout2"],
        ["Softmax"],
    ]
    for start, end in groups:
        assert labelled(fig, f"shape{start}") == [str(shapes[end - 1][1])]
    assert texts(fig).count("Conv\n32 枚") == 2 and "Affine\n50" in texts(fig)
    plt.close(fig)


def test_the_architecture_draws_the_shapes_it_is_given():
    figstyle.setup()
    shapes = [
        ("入力", (3, 9, 9)),
        ("Conv1", (5, 9, 9)),
        ("Relu1", (5, 9, 9)),
        ("Pool1", (5, 4, 4)),
        ("Flatten", (80,)),
        ("Affine1", (6,)),
        ("Softmax", (6,)),
    ]
    fig = deep_diagrams.deep_architecture_figure(shapes)
    written = [t for t in texts(fig) if t.startswith("(")]
    assert written == ["(3, 9, 9)", "(5, 4, 4)", "(80,)", "(6,)", "(6,)"]
    assert "Conv\n5 枚" in texts(fig) and "Affine\n6" in texts(fig)
    plt.close(fig)


def test_the_architecture_boxes_run_left_to_right_in_each_row_and_keep_the_layer_order():
    figstyle.setup()
    shapes = deep_diagrams.deep_cnn_shapes()
    fig = deep_diagrams.deep_architecture_figure(shapes)
    kinds = {"入力", "ReLU", "Pool", "Flatten", "Dropout", "Softmax"}
    boxes = [
        t
        for t in fig.axes[0].texts
        if t.get_text() in kinds or t.get_text().startswith(("Conv\n", "Affine\n"))
    ]
    rows = sorted({round(t.get_position()[1], 6) for t in boxes}, reverse=True)
    ordered = [
        t.get_text()
        for y in rows
        for t in sorted(
            (b for b in boxes if round(b.get_position()[1], 6) == y), key=lambda b: b.get_position()[0]
        )
    ]
    assert ordered == [deep_diagrams.box_text(n, s) for n, s in shapes]
    assert len(rows) == 2
    assert np.isclose(min(t.get_position()[0] for t in boxes), 0.49)  # both rows start at the left edge
    plt.close(fig)
