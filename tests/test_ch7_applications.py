"""Chapter 7's application diagrams: each draws the scene it is given and what is computed from it (boxes that
enclose the placed digits, class colours that match the mask, the highlighted Q bar is the largest), reads at
the width it is designed for, stays within the slide's height, and is byte-reproducible."""

import re
import sys
import warnings

import numpy as np
import pytest
from matplotlib import pyplot as plt
from matplotlib.colors import to_hex
from matplotlib.patches import Rectangle

from conftest import unreadable_figures
from deckbuild import ROOT
from deckbuild.slidecheck import MIN_FIGURE_FONT_PX, smallest_text

sys.path.insert(0, str(ROOT / "figures_src"))
import applications as app
import netdraw as nd

import figstyle
from zerodl import cnn
from zerodl.simple_conv_net import SimpleConvNet

NAMES = [
    "ch7_app_detection",
    "ch7_app_segmentation",
    "ch7_app_captioning",
    "ch7_app_style_transfer",
    "ch7_app_generation",
    "ch7_app_self_driving",
    "ch7_app_dqn",
]
DESIGNED_WIDTH = (
    1000  # px on the 1280-px slide, each figure alone under a heading; the slides' figure(width=…)
)
MAX_HEIGHT_PX = 420  # shown alone under a heading and 1–3 lines on the 1280 × 720 slide


@pytest.fixture(scope="module", autouse=True)
def untrained_cnn():
    """main() with chapter 6's trained CNN replaced by an untrained one (its training takes minutes)."""
    params = SimpleConvNet(seed=3).params
    params["W1"] *= 30  # larger weights than the initial ones, so that the predictions are not all ~0.1
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cnn, "train_simple_cnn", lambda: {"params": params})
        yield params


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("applications")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a missing glyph (tofu) is a warning in matplotlib
        app.main(outdir)
    return outdir


@pytest.fixture(scope="module")
def drawn():
    """main()'s figures by name, kept open instead of written (to read what they draw)."""
    figures = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(figstyle, "save", lambda fig, outdir, name: figures.setdefault(name, fig))
        app.main(None)
    yield figures
    for fig in figures.values():
        plt.close(fig)


@pytest.fixture(scope="module")
def images():
    return app.digit_images()


def image(fig, name):
    """The image a figure drew under `name` (its pixels and its extent in inches)."""
    (found,) = [im for im in fig.axes[0].images if im.get_label() == name]
    return np.asarray(found.get_array()), found.get_extent()


def texts(fig, pattern):
    """The texts whose label matches pattern, in the order of the number in their label."""
    found = [(t.get_label(), t.get_text()) for t in fig.axes[0].texts if re.fullmatch(pattern, t.get_label())]
    return [text for _, text in sorted(found, key=lambda lt: int(re.sub(r"\D", "", lt[0])))]


def patches(fig, pattern):
    found = [
        p for p in fig.axes[0].patches if isinstance(p, Rectangle) and re.fullmatch(pattern, p.get_label())
    ]
    return sorted(found, key=lambda p: int(re.sub(r"\D", "", p.get_label())))


# ---- every figure ----------------------------------------------------------------------------------------


def test_main_writes_the_seven_figures(figures):
    assert sorted(p.name for p in figures.iterdir()) == sorted(f"{name}.svg" for name in NAMES)


def test_text_reads_at_the_designed_width(figures):
    for name in NAMES:
        size, width = smallest_text(figures / f"{name}.svg")
        assert size * DESIGNED_WIDTH / width >= MIN_FIGURE_FONT_PX, name


def test_text_reads_at_every_width_the_deck_shows_it(figures):
    assert unreadable_figures(figures) == []


def test_each_figure_fits_the_slide_height_at_the_designed_width(figures):
    for name in NAMES:
        svg = (figures / f"{name}.svg").read_text(encoding="utf-8")
        width, height = (float(v) for v in re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups())
        assert height * DESIGNED_WIDTH / width <= MAX_HEIGHT_PX, name


def test_the_figures_are_byte_reproducible(tmp_path):
    app.main(tmp_path / "a")
    app.main(tmp_path / "b")
    for name in NAMES:
        assert (tmp_path / "a" / f"{name}.svg").read_bytes() == (
            tmp_path / "b" / f"{name}.svg"
        ).read_bytes(), name


def test_in_out_refuses_panels_wider_than_the_figure():
    with pytest.raises(ValueError, match="do not fit"):
        app.in_out(5, 3, 5)


# ---- the scene: digits placed on a canvas ----------------------------------------------------------------


def test_bounding_boxes_are_tight_around_each_object():
    instances = np.zeros((10, 12), dtype=int)
    instances[2:5, 3:9] = 1
    instances[3, 4:8] = 0  # a hole does not change the box
    instances[7, 1] = 2  # one pixel
    instances[6:9, 10] = 2
    assert app.bounding_boxes(instances, 2) == [(2, 3, 5, 9), (6, 1, 9, 11)]


def test_the_placed_objects_are_the_digits_where_they_were_put(images):
    canvas, instances = app.place(app.SCENE_SHAPE, app.SCENE, images)
    for i, obj in enumerate(app.SCENE):
        digit = np.kron(images[obj.digit], np.ones((obj.scale, obj.scale)))
        window = (slice(obj.row, obj.row + digit.shape[0]), slice(obj.col, obj.col + digit.shape[1]))
        assert np.array_equal(instances[window] == i + 1, digit > app.THRESHOLD)
        assert np.allclose(canvas[window], digit)
    # the scene's objects do not overlap, so every object pixel of the canvas belongs to exactly one object
    assert np.array_equal(instances > 0, canvas > app.THRESHOLD)


def test_the_crops_given_to_the_cnn_are_the_placed_digits(images):
    canvas, _ = app.place(app.SCENE_SHAPE, app.SCENE, images)
    x = app.crops(canvas, app.SCENE)
    assert x.shape == (len(app.SCENE), 1, 28, 28)
    for crop, obj in zip(x[:, 0], app.SCENE, strict=True):
        assert np.allclose(crop, images[obj.digit])


def test_classify_gives_the_cnn_class_and_its_softmax_probability(images, untrained_cnn):
    x = np.array([images[k] for k in range(10)])[:, np.newaxis]
    y = cnn.simple_cnn_with(untrained_cnn).predict(x)
    p = np.exp(y - y.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    result = app.classify(untrained_cnn, x)
    assert [k for k, _ in result] == list(y.argmax(axis=1))
    assert np.allclose([score for _, score in result], p.max(axis=1))
    assert len({k for k, _ in result}) > 1  # not one answer for every digit


def test_detection_draws_a_box_around_each_placed_object_with_the_cnn_class(drawn, images, untrained_cnn):
    fig = drawn["ch7_app_detection"]
    canvas, extent = image(fig, "output")
    _, instances = app.place(app.SCENE_SHAPE, app.SCENE, images)
    left, right, _, top = extent
    px = (right - left) / canvas.shape[1]
    boxes = patches(fig, r"box\d+")
    assert len(boxes) == len(app.SCENE)
    predictions = app.classify(untrained_cnn, app.crops(canvas, app.SCENE))
    # the untrained CNN gets some wrong, so labels typed from the scene could not pass
    assert [k for k, _ in predictions] != [obj.digit for obj in app.SCENE]
    for i, box in enumerate(boxes):
        c0, c1 = round((box.get_x() - left) / px), round((box.get_x() + box.get_width() - left) / px)
        r1, r0 = round((top - box.get_y()) / px), round((top - box.get_y() - box.get_height()) / px)
        rows, cols = np.nonzero(instances == i + 1)
        assert (r0, c0, r1, c1) == (
            rows.min(),
            cols.min(),
            rows.max() + 1,
            cols.max() + 1,
        )  # encloses, tightly
        assert to_hex(box.get_edgecolor()) == to_hex(app.CLASS_COLORS[predictions[i][0]] / 255)
    assert texts(fig, r"class\d+") == [f" {k}: {p:.2f} " for k, p in predictions]


def test_segmentation_colours_each_object_pixel_by_its_class(drawn, images):
    colours, _ = image(drawn["ch7_app_segmentation"], "output")
    canvas, instances = app.place(app.SCENE_SHAPE, app.SCENE, images)
    assert np.array_equal(
        colours[canvas <= app.THRESHOLD],
        np.broadcast_to(app.BACKGROUND, colours[canvas <= app.THRESHOLD].shape),
    )
    for i, obj in enumerate(app.SCENE):
        pixels = colours[instances == i + 1]
        assert len(pixels) and (pixels == app.CLASS_COLORS[obj.digit]).all(), obj


# ---- captioning, style transfer, generation ---------------------------------------------------------------


def test_captioning_draws_the_words_of_its_scene_one_per_rnn_step(drawn, monkeypatch):
    fig = drawn["ch7_app_captioning"]
    words = app.caption_words(app.CAPTION_SCENE)
    assert texts(fig, r"word\d+") == words
    assert words[0] == "4" and words[2] == "9"  # read left to right from the placed digits
    other = (app.Placed(6, 2, 40, 1), app.Placed(1, 2, 2, 1))
    assert app.caption_words(other)[:3] == ["1", "と", "6"]
    sentence = [t.get_text() for t in fig.axes[0].texts if t.get_label() == "sentence"]
    assert sentence == [app.sentence(words)] and sentence[0].replace(" ", "").replace("\n", "") == "".join(
        words
    )


def test_stylize_paints_the_content_with_the_style_and_leaves_the_rest_white():
    style = app.stripes()
    content = np.zeros((28, 28))
    content[5:10, 3:20] = 1.0
    out = app.stylize(content, style)
    ink = np.kron(content, np.ones((2, 2))) == 1.0
    assert np.allclose(out[ink], style[ink])
    assert np.allclose(out[~ink], 1.0)
    assert style.min() >= 0 and style.max() <= 1 and style.std() > 0.1  # a visible pattern


def test_style_transfer_draws_its_inputs_and_their_stylized_output(drawn, images):
    fig = drawn["ch7_app_style_transfer"]
    content, _ = image(fig, "content")
    style, _ = image(fig, "style")
    out, _ = image(fig, "output")
    assert np.array_equal(content, images[8])
    assert np.allclose(out, app.stylize(content, style))


def test_generation_draws_the_seeded_noise_and_the_sample_grid(drawn, images):
    fig = drawn["ch7_app_generation"]
    z = app.noise()
    assert texts(fig, r"z\d+") == [f"{v:.1f}".replace("-", "\N{MINUS SIGN}") for v in z]
    assert not np.allclose(z, app.noise(seed=app.NOISE_SEED + 1))
    for k in range(9):
        assert np.array_equal(image(fig, f"sample{k}")[0], images[k])


# ---- self-driving ----------------------------------------------------------------------------------------


def test_the_road_scene_has_sky_above_road_below_and_a_car_on_the_road():
    labels = app.road_scene()
    h, w = labels.shape
    assert (labels[0] == 0).all()  # sky
    assert labels[h - 1, w // 2] in (1, 2)  # road (or its lane mark) under the camera
    assert labels[h - 1, 0] == 4 or labels[h - 1, -1] == 4 or (labels[h - 1] != 4).all()
    assert (labels == 3).any() and (labels == 2).any()
    rows = np.nonzero((labels == 1).any(axis=1))[0]
    widths = [np.count_nonzero(np.isin(labels[r], (1, 2, 3))) for r in rows]
    assert widths[-1] > 3 * widths[0]  # the road narrows towards the horizon


def test_self_driving_colours_each_pixel_by_the_class_of_the_camera_scene(drawn):
    fig = drawn["ch7_app_self_driving"]
    camera, _ = image(fig, "input")
    out, _ = image(fig, "output")
    labels = app.road_scene()
    assert np.array_equal(out, app.ROAD_PALETTE[labels])
    # the camera image shows that scene: each class's pixels are, on average, nearest to that class's colour
    for k in range(len(app.ROAD_CLASSES)):
        mean = camera[labels == k].mean(axis=0)
        assert np.argmin(((app.CAMERA_COLORS - mean) ** 2).sum(axis=1)) == k, app.ROAD_CLASSES[k]


# ---- DQN ----------------------------------------------------------------------------------------------


def bars(fig):
    return patches(fig, r"q\d+")


def highlighted(fig):
    return [k for k, bar in enumerate(bars(fig)) if to_hex(bar.get_facecolor()) == to_hex(nd.ACCENT)]


def test_dqn_highlights_the_action_with_the_largest_q(drawn):
    fig = drawn["ch7_app_dqn"]
    q = app.q_values(app.SHIP_X, app.ALIEN_XS)
    heights = np.array([bar.get_height() for bar in bars(fig)])
    assert np.allclose(heights / heights.max(), q / q.max())
    assert highlighted(fig) == [int(np.argmax(q))]


def test_dqn_follows_other_q_values():
    frames = [app.screen(app.SHIP_X, x) for x in app.ALIEN_XS]
    fig = app.dqn_figure(frames, np.array([0.1, 0.5, 0.2]))
    try:
        assert highlighted(fig) == [1]
        assert any("「→」" in t.get_text() for t in fig.axes[0].texts)
    finally:
        plt.close(fig)


def test_the_illustrative_q_values_prefer_moving_towards_the_alien():
    assert np.argmax(app.q_values(20, (20, 18, 16))) == app.ACTIONS.index("←")
    # the alien's next column is extrapolated from its last move: it will be two to the left of the ship
    assert np.argmax(app.q_values(16, (20, 18, 16))) == app.ACTIONS.index("←")
    assert np.argmax(app.q_values(10, (10, 12, 14))) == app.ACTIONS.index("→")
    assert np.argmax(app.q_values(16, (16, 16, 16))) == app.ACTIONS.index("発射")


def test_dqn_shows_the_four_last_frames_as_dqn_does_and_says_so(drawn):
    """DQN (Mnih et al. 2015) takes the last 4 frames; the title counts the frames actually drawn."""
    fig = drawn["ch7_app_dqn"]
    frames = [im for im in fig.axes[0].images if re.fullmatch(r"frame\d+", im.get_label())]
    assert len(frames) == 4
    assert any("直近 4 枚" in t.get_text() for t in fig.axes[0].texts)
    _, _, bottom, _ = frames[-1].get_extent()
    assert bottom > 1.3 - 1e-9  # the last frame stays above the environment loop (the panel's bottom)
