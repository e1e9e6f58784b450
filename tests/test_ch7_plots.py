"""Chapter 7's figures: each draws the records, digits and times it is given (a changed value moves the drawing where it
should), the augmented digits are made by zerodl's own shift, rotate and augment, main() draws every digit the network
gets wrong, and every figure reads at the width the slides show it and is byte-reproducible.

The trained networks, the MNIST digits and the measured times are replaced by small synthetic ones: training takes
too long for the suite, and measured times vary per run.
"""

import itertools
import re
import sys
import warnings

import numpy as np
import pytest
from matplotlib.image import AxesImage

from conftest import shown_widths
from deckbuild import ROOT
from deckbuild.slidecheck import MIN_FIGURE_FONT_PX, smallest_text

sys.path.insert(0, str(ROOT / "figures_src"))
import deep_plots
from test_ch6_plots import synthetic_digits, synthetic_history

import figstyle
from zerodl import cnn, deep
from zerodl.cnn_examples import shift
from zerodl.deep_conv_net import DeepConvNet

# The width in px each figure is designed for (the slides' figure(width=…)) and the highest it may be there, leaving
# room on a 720 px slide for a title and a line of text; once the deck shows a figure, the widths are the deck's own.
PLANNED = {
    "ch7_learning_curve": (1128, 480),
    "ch7_misclassified": (1128, 480),
    "ch7_augmented": (1000, 520),
    "ch7_profile": (800, 440),
    "ch7_augment_effect": (560, 420),
}
SVG_SIZE = re.compile(r'<svg\b[^>]*?width="([\d.]+)pt" height="([\d.]+)pt"')
PROFILE = {  # seconds per mini-batch, made up: an order other than the dict's, and shares of every size
    "Relu": {"forward": 0.002, "backward": 0.003},
    "Conv": {"forward": 0.030, "backward": 0.055},
    "Flatten": {"forward": 0.00001, "backward": 0.00002},
    "Pool": {"forward": 0.004, "backward": 0.006},
}


def synthetic_profile():
    return {kind: dict(times) for kind, times in PROFILE.items()}


@pytest.fixture
def no_training(monkeypatch):
    """deep_plots.main() with the trained networks, the digits and the profile replaced by synthetic ones.

    The "trained" deep network is an untrained DeepConvNet: it gets most of the synthetic digits wrong, which is
    what the misclassified figure needs to show many panels.
    """
    result = {"params": DeepConvNet(seed=3).params, "history": synthetic_history(6, 0)}
    monkeypatch.setattr(deep, "train_deep_net", lambda: result)
    augmented = {"params": DeepConvNet(seed=4).params, "history": synthetic_history(2, 3)}
    monkeypatch.setattr(deep, "train_deep_net_augmented", lambda: augmented)
    monkeypatch.setattr(deep, "deep_net_profile", synthetic_profile)
    monkeypatch.setattr(cnn, "train_simple_cnn", lambda: {"history": synthetic_history(5, 2)})
    monkeypatch.setattr(
        deep_plots, "trained_two_layer_net", lambda: {"history": synthetic_history(4, 1, False)}
    )
    digits = synthetic_digits(30)
    monkeypatch.setattr(deep_plots, "load_mnist", lambda **kw: (digits, digits))
    return result, digits


@pytest.fixture
def figures(tmp_path, no_training):
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error", UserWarning
        )  # a missing glyph (tofu) or font is a warning in matplotlib
        deep_plots.main(tmp_path)
    return tmp_path


def test_the_figures_read_and_fit_at_the_width_the_slides_show_them(figures):
    assert {p.stem for p in figures.glob("*.svg")} == set(PLANNED)
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


def test_the_figures_are_byte_reproducible(tmp_path, no_training):
    for run in ("a", "b"):
        deep_plots.main(tmp_path / run)
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_main_draws_every_digit_the_network_gets_wrong(figures, no_training):
    result, (x, t) = no_training
    wrong, _ = deep.misclassified(deep.deep_net_with(result["params"]), x, t)
    assert (
        5 <= len(wrong) < len(x)
    )  # the synthetic network is wrong often, not always: the count says something
    svg = (figures / "ch7_misclassified.svg").read_text(encoding="utf-8")
    assert svg.count("<image ") == len(wrong)


# ---- the learning curve ----------------------------------------------------------------------------------------


def test_the_learning_curve_draws_all_four_records_in_both_panels():
    figstyle.setup()
    history, simple = synthetic_history(9, 0), synthetic_history(12, 2)
    baseline = synthetic_history(4, 1, with_epoch=False)
    fig = deep_plots.learning_curve_figure(history, simple, baseline)
    assert len(fig.axes) == 2
    for ax in fig.axes:
        lines = {line.get_label(): line for line in ax.get_lines()}
        assert list(lines["深い CNN の訓練データ"].get_ydata()) == history["train_acc"]
        assert list(lines["深い CNN のテストデータ"].get_ydata()) == history["test_acc"]
        (cnn_label,) = [name for name in lines if name.startswith("単純な CNN（第6章）")]
        assert "12 エポック" in cnn_label
        assert list(lines[cnn_label].get_ydata()) == simple["test_acc"]
        (two_layer,) = [name for name in lines if name.startswith("2 層ネットワーク")]
        assert list(lines[two_layer].get_ydata()) == baseline["test_acc"]
        assert ax.get_xlim() == (0, 12)  # the longest of the three records
    assert fig.axes[0].get_ylim() == (0, 1.02)
    # the zoomed panel starts at a multiple of 0.02 at least 0.02 below the lowest final test accuracy
    lowest = min(history["test_acc"][-1], simple["test_acc"][-1], baseline["test_acc"][-1])
    bottom, top = fig.axes[1].get_ylim()
    assert top == 1.0 and lowest - 0.04 < bottom <= lowest - 0.02
    assert round(bottom / 0.02, 9) == round(bottom / 0.02)


def test_the_zoomed_floor_follows_the_lowest_final_test_accuracy():
    high, low = {"test_acc": [0.1, 0.969]}, {"test_acc": [0.1, 0.909]}
    assert deep_plots.zoomed_floor(high) == pytest.approx(0.94)
    assert deep_plots.zoomed_floor(high, low) == pytest.approx(0.88)
    assert deep_plots.zoomed_floor({"test_acc": [0.90]}) == pytest.approx(0.88)  # exactly 0.02 above a step


# ---- the misclassified digits ----------------------------------------------------------------------------------


def drawn_images(fig):
    return [im.get_array() for ax in fig.axes for im in ax.get_children() if isinstance(im, AxesImage)]


@pytest.mark.parametrize("n", [1, 13, 32])
def test_the_misclassified_figure_draws_each_digit_with_its_true_and_predicted_label(n):
    figstyle.setup()
    x, t = synthetic_digits(n, seed=n)
    predicted = (t + 3) % 10
    fig = deep_plots.misclassified_figure(x[:, 0], t, predicted, 1234)
    images = drawn_images(fig)
    assert len(images) == n
    for drawn, want in zip(images, x[:, 0], strict=True):
        assert np.array_equal(drawn, want)
    assert [text.get_text() for text in fig.axes[0].texts] == [
        f"正解 {a} → 予測 {b}" for a, b in zip(t, predicted, strict=True)
    ]
    assert fig.axes[0].get_title() == f"テストデータ 1,234 枚のうち間違えた {n} 枚"


def test_more_misclassified_digits_than_fit_draws_the_first_ones_and_says_so(tmp_path):
    figstyle.setup()
    x, t = synthetic_digits(53)
    fig = deep_plots.misclassified_figure(x[:, 0], t, (t + 1) % 10, 1000)
    images = drawn_images(fig)
    assert len(images) == deep_plots.MISCLASSIFIED_SHOWN
    assert np.array_equal(images[-1], x[deep_plots.MISCLASSIFIED_SHOWN - 1, 0])
    assert len(fig.axes[0].texts) == deep_plots.MISCLASSIFIED_SHOWN
    assert (
        fig.axes[0].get_title()
        == "テストデータ 1,000 枚のうち間違えた 53 枚（テストデータの順で最初の 32 枚）"
    )
    # the most the figure ever draws still fits the slide (main's synthetic network gets fewer wrong)
    svg = figstyle.save(fig, tmp_path, "ch7_misclassified").read_text(encoding="utf-8")
    width, height = map(float, SVG_SIZE.search(svg).groups())
    planned_width, max_height = PLANNED["ch7_misclassified"]
    assert height * planned_width / width <= max_height


def test_neighbouring_misclassified_labels_leave_a_clear_gap_at_the_shown_width():
    """Each "正解 a → 予測 b" must read as its own digit's: at least 12 px between neighbours on the slide."""
    figstyle.setup()
    x, t = synthetic_digits(deep_plots.MISCLASSIFIED_SHOWN)
    fig = deep_plots.misclassified_figure(x[:, 0], t, (t + 7) % 10, 1000)
    renderer = fig.canvas.get_renderer()
    (shown,) = set(shown_widths().get("ch7_misclassified", [PLANNED["ch7_misclassified"][0]]))
    scale = shown / (fig.get_figwidth() * fig.dpi)
    boxes = [text.get_window_extent(renderer) for text in fig.axes[0].texts]
    rows = {}
    for box in boxes:
        rows.setdefault(round(box.y0), []).append(box)
    assert len(rows) > 1
    for row in rows.values():
        row.sort(key=lambda box: box.x0)
        gaps = [(right.x0 - left.x1) * scale for left, right in itertools.pairwise(row)]
        assert min(gaps) >= 12, f"{min(gaps):.1f}px"


# ---- the augmented digits --------------------------------------------------------------------------------------


def test_the_augmented_examples_are_made_by_zerodls_shift_rotate_and_augment():
    x, _ = synthetic_digits(5)
    images = x[:, 0]
    rows = deep_plots.augmented_examples(images, 3, 10, seed=7)
    assert [name for name, _ in rows] == ["元の数字", "ずらす", "回す\n（+ は左回り）", "両方\n（ランダム）"]
    original, shifted, rotated, both = (panels for _, panels in rows)
    rng = np.random.default_rng(7)
    shifts = [(0, 3), (3, 0), (0, -3), (-3, 0), (0, 3)]
    for k, image in enumerate(images):
        assert np.array_equal(original[k][0], image)
        assert np.array_equal(shifted[k][0], shift(image, *shifts[k]))
        degrees = 10 if k % 2 == 0 else -10
        assert np.array_equal(rotated[k][0], deep.rotate(image, degrees))
        assert np.array_equal(both[k][0], deep.augment(image, rng))  # one generator, drawn from in order
    assert [label for _, label in shifted] == [
        "右へ 3 画素",
        "下へ 3 画素",
        "左へ 3 画素",
        "上へ 3 画素",
        "右へ 3 画素",
    ]
    assert [label for _, label in rotated] == [
        "+10°",
        "\N{MINUS SIGN}10°",
        "+10°",
        "\N{MINUS SIGN}10°",
        "+10°",
    ]


def test_the_random_row_says_what_augment_did():
    x, _ = synthetic_digits(6)
    images = x[:, 0]
    both = deep_plots.augmented_examples(images, 2, 15, seed=3)[-1][1]
    rng = np.random.default_rng(3)
    seen = set()
    for image, (drawn, label) in zip(images, both, strict=True):
        out, dy, dx, degrees = deep_plots.recorded_augment(image, rng)
        # the amounts read are the ones augment used: rotating, then shifting by them gives its image
        assert np.array_equal(out, drawn) and np.array_equal(out, shift(deep.rotate(image, degrees), dy, dx))
        assert abs(dy) <= 2 and abs(dx) <= 2 and abs(degrees) <= 15
        shift_text, angle_text = label.split("\n")
        assert shift_text == deep_plots.shift_label(dy, dx, unit="")
        assert angle_text == f"{degrees:+.0f}°".replace("-", "\N{MINUS SIGN}")
        seen.add(label)
    assert len(seen) > 1  # the amounts differ from digit to digit


def test_shift_labels_name_each_direction():
    assert deep_plots.shift_label(0, 2) == "右へ 2 画素"
    assert deep_plots.shift_label(-1, 0) == "上へ 1 画素"
    assert deep_plots.shift_label(2, -1) == "下へ 2、左へ 1 画素"
    assert deep_plots.shift_label(0, 0) == "そのまま"
    assert deep_plots.shift_label(1, 2, unit="") == "下へ 1、右へ 2"
    assert deep_plots.degrees_label(-7.4) == "\N{MINUS SIGN}7°" and deep_plots.degrees_label(12.6) == "+13°"


def test_the_augmented_digits_shift_and_angle_labels_are_larger_than_the_least_readable(figures):
    """The labels are what the figure is about (which way, how far, what angle): at least 17 px on the slide."""
    svg = figures / "ch7_augmented.svg"
    width, _ = map(float, SVG_SIZE.search(svg.read_text(encoding="utf-8")).groups())
    size, _ = smallest_text(svg)
    for shown in shown_widths()["ch7_augmented"]:
        assert size * shown / width >= 17, f"{size * shown / width:.1f}px"


def test_the_augmented_figure_draws_every_row_in_order_with_its_labels():
    figstyle.setup()
    x, _ = synthetic_digits(4)
    rows = deep_plots.augmented_examples(x[:, 0], 2, 15)
    fig = deep_plots.augmented_figure(rows)
    images = drawn_images(fig)
    expected = [image for _, panels in rows for image, _ in panels]
    assert len(images) == len(expected) == 16
    for drawn, want in zip(images, expected, strict=True):
        assert np.array_equal(drawn, want)
    texts = [t.get_text() for t in fig.axes[0].texts]
    expected_texts = []
    for name, panels in rows:  # each row's name, then the labels of its digits (the originals have none)
        expected_texts += [name, *[label for _, label in panels if label]]
    assert texts == expected_texts


# ---- the profile ----------------------------------------------------------------------------------------------


def test_the_profile_bars_are_the_times_in_ms_longest_on_top_with_each_share():
    figstyle.setup()
    ax = deep_plots.profile_figure(synthetic_profile(), 100).axes[0]
    order = ["Conv", "Pool", "Relu", "Flatten"]  # by forward + backward, longest first
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[::-1] == [deep_plots.LAYER_NAMES[kind] for kind in order]  # barh draws from the bottom up
    bars = sorted(ax.patches, key=lambda p: (p.get_y(), p.get_x()))
    drawn = {}
    for bar in bars:
        kind = order[len(order) - 1 - round(bar.get_y() + bar.get_height() / 2)]
        drawn.setdefault(kind, []).append((bar.get_x(), bar.get_width()))
    for kind, times in PROFILE.items():
        forward, backward = 1000 * times["forward"], 1000 * times["backward"]
        (f_left, f_width), (b_left, b_width) = drawn[kind]
        assert f_left == 0 and f_width == pytest.approx(forward)
        assert b_left == pytest.approx(forward) and b_width == pytest.approx(backward)  # stacked after it
    texts = [t.get_text().strip() for t in ax.texts]
    assert texts[::-1] == [  # of a total of 100.03 ms
        "85 ms（85 %）",
        "10 ms（10.0 %）",
        "5.0 ms（5.0 %）",
        "0.03 ms（0.1 % 未満）",
    ]
    assert "ミニバッチ 100 枚" in ax.get_xlabel()


def test_a_changed_time_moves_its_bar_and_its_share():
    figstyle.setup()
    profile = synthetic_profile()
    profile["Relu"]["backward"] = 0.2  # now the longest
    ax = deep_plots.profile_figure(profile, 50).axes[0]
    assert ax.get_yticklabels()[-1].get_text() == "ReLU"
    assert ax.texts[-1].get_text().strip() == "202 ms（68 %）"
    assert max(p.get_x() + p.get_width() for p in ax.patches) == pytest.approx(202)
    assert "ミニバッチ 50 枚" in ax.get_xlabel()


def test_milliseconds_and_percent_keep_small_values_visible():
    assert [deep_plots.milliseconds(v) for v in (90.4, 7.04, 0.034)] == ["90", "7.0", "0.03"]
    assert [deep_plots.percent(v) for v in (88.3, 6.84, 0.12, 0.04)] == [
        "88 %",
        "6.8 %",
        "0.1 %",
        "0.1 % 未満",
    ]


@pytest.mark.parametrize(("plain", "augmented"), [(0.968, 0.971), (0.95, 0.93), (0.5, 0.999)])
def test_the_augment_effect_bars_are_the_two_accuracies_with_the_digits_each_got_wrong(plain, augmented):
    figstyle.setup()
    ax = deep_plots.augment_effect_figure(plain, augmented, 1000).axes[0]
    assert [p.get_height() for p in ax.patches] == pytest.approx([plain, augmented])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["拡張なし", "拡張あり"]
    texts = [t.get_text() for t in ax.texts]
    assert texts == [f"{acc:.3f}\n（間違い {round((1 - acc) * 1000)} 枚）" for acc in (plain, augmented)]
    low, high = ax.get_ylim()
    assert high == 1.0 and min(plain, augmented) - 0.03 < low <= min(plain, augmented) - 0.02


@pytest.mark.parametrize(("plain", "augmented", "n_test"), [(0.968, 0.971, 1000), (0.9, 0.8, 100)])
def test_the_augment_effect_bars_carry_one_standard_error_each_way(plain, augmented, n_test):
    """The y axis is zoomed, so each bar shows ±√(p(1 − p)/n): the gap can be judged against the noise."""
    figstyle.setup()
    ax = deep_plots.augment_effect_figure(plain, augmented, n_test).axes[0]
    segments = [seg for coll in ax.collections for seg in coll.get_segments()]
    vertical = sorted((seg[0][0], seg[0][1], seg[1][1]) for seg in segments if seg[0][0] == seg[1][0])
    for (_x, low, high), acc in zip(vertical, (plain, augmented), strict=True):
        se = (acc * (1 - acc) / n_test) ** 0.5
        assert (low, high) == pytest.approx((acc - se, acc + se))
    assert all(
        text.xy[1] >= acc + 0.9 * (acc * (1 - acc) / n_test) ** 0.5
        for text, acc in zip(ax.texts, (plain, augmented), strict=True)
    )
