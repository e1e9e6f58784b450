"""Chapter 7's code: DeepConvNet's layer shapes for our layout and the book's, its He scales, its gradients against
numerical ones (Dropout's masks fixed), determinism and batching; and zerodl.deep's multiply-add counts by hand,
rotation and augmentation, misclassified digits, ensembles, float16 evaluation and the per-layer profile.

Everything is small (float64 where gradients are checked); the memoized MNIST trainings are never called.
"""

import functools

import numpy as np
import pytest

from zerodl import deep
from zerodl.cnn_examples import shift
from zerodl.conv_layers import Convolution, FastPooling, Flatten
from zerodl.deep import (
    BOOK_CHANNELS,
    augment,
    augmented_data,
    deep_net_with,
    ensemble_accuracy,
    layer_profile,
    misclassified,
    multiply_adds,
    param_count,
    predicted_labels,
    rotate,
)
from zerodl.deep_conv_net import DeepConvNet
from zerodl.layers import Affine, Dropout, Relu, SoftmaxWithLoss
from zerodl.numerical import relative_error

OUR_CHANNELS = (8, 8, 16, 16, 32, 32)
LAYER_ORDER = [
    "Conv1", "Relu1", "Conv2", "Relu2", "Pool1",
    "Conv3", "Relu3", "Conv4", "Relu4", "Pool2",
    "Conv5", "Relu5", "Conv6", "Relu6", "Pool3",
    "Flatten", "Affine1", "Relu7", "Dropout1", "Affine2", "Dropout2",
]  # fmt: skip
TINY = {"input_dim": (1, 10, 10), "channels": (2, 2, 2, 2, 2, 2), "hidden_size": 3, "output_size": 4}
# big enough that ReLU leaves some outputs nonzero: 12 → pool 6 → (pad 2) 8 → pool 4 → pool 2, 6·2·2 = 24 inputs
SMALL = {"input_dim": (1, 12, 12), "channels": (3, 3, 4, 4, 6, 6), "hidden_size": 10, "output_size": 4}


def forward_shapes(network, x):
    """Each layer's output shape, by name, running x through in inference mode."""
    shapes = {}
    for name, layer in network.layers.items():
        x = layer.forward(x, False) if name.startswith("Dropout") else layer.forward(x)
        shapes[name] = x.shape
    return shapes


def expected_shapes(c, n=2):
    """The book's layout by hand: 28 → pool 14 → (pad 2) 16 → pool 8 → pool 4."""
    return {
        "Conv1": (n, c[0], 28, 28), "Relu1": (n, c[0], 28, 28), "Conv2": (n, c[1], 28, 28),
        "Relu2": (n, c[1], 28, 28), "Pool1": (n, c[1], 14, 14),
        "Conv3": (n, c[2], 14, 14), "Relu3": (n, c[2], 14, 14), "Conv4": (n, c[3], 16, 16),
        "Relu4": (n, c[3], 16, 16), "Pool2": (n, c[3], 8, 8),
        "Conv5": (n, c[4], 8, 8), "Relu5": (n, c[4], 8, 8), "Conv6": (n, c[5], 8, 8),
        "Relu6": (n, c[5], 8, 8), "Pool3": (n, c[5], 4, 4),
        "Flatten": (n, c[5] * 16), "Affine1": (n, 50), "Relu7": (n, 50), "Dropout1": (n, 50),
        "Affine2": (n, 10), "Dropout2": (n, 10),
    }  # fmt: skip


# ---- the network ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("channels", "flat"), [(OUR_CHANNELS, 512), (BOOK_CHANNELS, 1024)])
def test_every_layer_output_has_the_books_shape(channels, flat):
    network = DeepConvNet(channels=channels)
    assert list(network.layers) == LAYER_ORDER
    shapes = forward_shapes(network, np.zeros((2, 1, 28, 28), dtype=np.float32))
    assert shapes == expected_shapes(channels)
    assert shapes["Flatten"] == (2, flat)
    assert network.params["W7"].shape == (flat, 50)


def test_layers_are_the_existing_classes_and_share_the_params_arrays():
    network = DeepConvNet()
    kinds = {
        "Conv": Convolution,
        "Relu": Relu,
        "Pool": FastPooling,
        "Flat": Flatten,
        "Affi": Affine,
        "Drop": Dropout,
    }
    for name, layer in network.layers.items():
        assert isinstance(layer, kinds[name[:4]]), name
    assert isinstance(network.lastLayer, SoftmaxWithLoss)
    for i in range(1, 7):
        conv = network.layers[f"Conv{i}"]
        assert conv.W is network.params[f"W{i}"] and conv.b is network.params[f"b{i}"]
        assert conv.stride == 1 and conv.pad == (2 if i == 4 else 1)
    assert (
        network.layers["Affine1"].W is network.params["W7"]
        and network.layers["Affine2"].b is network.params["b8"]
    )
    pool = network.layers["Pool2"]
    assert (pool.pool_h, pool.pool_w, pool.stride) == (2, 2, 2)


@pytest.mark.parametrize("channels", [OUR_CHANNELS, BOOK_CHANNELS])
def test_params_are_float32_with_he_scales_and_zero_biases(channels):
    network = DeepConvNet(channels=channels)
    fan_in = [9, *(9 * c for c in channels[:5]), channels[5] * 16, 50]  # C·3·3 for convs, inputs for affines
    shapes = [(c, prev, 3, 3) for c, prev in zip(channels, (1, *channels[:5]), strict=True)]
    shapes += [(channels[5] * 16, 50), (50, 10)]
    for i, (n, shape) in enumerate(zip(fan_in, shapes, strict=True), start=1):
        W, b = network.params[f"W{i}"], network.params[f"b{i}"]
        assert W.shape == shape and W.dtype == np.float32 and b.dtype == np.float32
        assert not b.any() and b.shape == (shape[0] if i <= 6 else shape[1],)
        if W.size >= 400:  # enough weights for the sample deviation to be near the true one
            assert W.std() == pytest.approx(np.sqrt(2 / n), rel=0.12), f"W{i}"
    assert abs(network.params["W2"].mean()) < 0.02


class FixedRandom:
    """Stands in for a Dropout layer's generator: the same 'random' numbers on every call (a fixed mask)."""

    def __init__(self, values):
        self.values = values

    def random(self, shape):
        assert shape == self.values.shape
        return self.values


@pytest.mark.parametrize("dropout_ratio", [0.0, 0.5])
def test_gradient_matches_numerical_gradient_on_a_small_network(dropout_ratio):
    network = DeepConvNet(**TINY, dropout_ratio=dropout_ratio, seed=3, dtype=np.float64)
    rng = np.random.default_rng(1)
    for key in network.params:  # nonzero biases, so that their gradients are tested too
        if key.startswith("b"):
            network.params[key][...] = 0.1 * rng.standard_normal(network.params[key].shape)
    x, t = rng.random((3, 1, 10, 10)), np.eye(4)[[0, 3, 1]]
    # the same mask on every forward pass (the numerical gradient runs hundreds), half of the nodes dropped
    network.layers["Dropout1"].rng = FixedRandom(np.tile([0.9, 0.1, 0.7], (3, 1)))
    network.layers["Dropout2"].rng = FixedRandom(np.tile([0.2, 0.8, 0.9, 0.6], (3, 1)))
    numerical, analytic = network.numerical_gradient(x, t), network.gradient(x, t)
    assert set(analytic) == {f"{p}{i}" for p in "Wb" for i in range(1, 9)}
    for key in numerical:
        assert analytic[key].shape == network.params[key].shape
        assert relative_error(numerical[key], analytic[key]) < 1e-6, key
    if dropout_ratio:  # the dropped output units get no gradient
        assert not analytic["b8"][0] and analytic["b8"][1]


def test_dropout_is_on_in_training_only():
    network = DeepConvNet(**SMALL)
    x = np.random.default_rng(0).random((5, 1, 12, 12)).astype(np.float32)
    np.testing.assert_array_equal(network.predict(x), network.predict(x))  # inference: deterministic
    assert not np.array_equal(network.predict(x, train_flg=True), network.predict(x, train_flg=True))


def test_the_same_seed_gives_the_same_network_and_gradients():
    x = np.random.default_rng(0).random((4, 1, 12, 12)).astype(np.float32)
    t = np.eye(4)[[0, 1, 2, 3]]
    a, b, c = DeepConvNet(**SMALL, seed=5), DeepConvNet(**SMALL, seed=5), DeepConvNet(**SMALL, seed=6)
    ga, gb = a.gradient(x, t), b.gradient(x, t)  # including the dropout masks
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
        np.testing.assert_array_equal(ga[key], gb[key])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    # each Dropout layer draws from its own generator, derived from the seed
    draws = {
        name: DeepConvNet(**SMALL, seed=5).layers[name].rng.random(8) for name in ("Dropout1", "Dropout2")
    }
    assert not np.array_equal(draws["Dropout1"], draws["Dropout2"])
    np.testing.assert_array_equal(
        DeepConvNet(**SMALL, seed=5).layers["Dropout1"].rng.random(8), draws["Dropout1"]
    )
    assert not np.array_equal(c.layers["Dropout1"].rng.random(8), draws["Dropout1"])


@pytest.mark.parametrize("batch_size", [100, 7, 1000, 249])  # 249: the last batch is one image
def test_accuracy_in_batches_equals_the_whole_at_once(batch_size, monkeypatch):
    network = DeepConvNet(**SMALL)
    x = np.random.default_rng(0).random((250, 1, 12, 12)).astype(np.float32)
    predicted = np.argmax(network.predict(x), axis=1)
    labels = np.where(np.arange(250) >= 120, predicted, (predicted + 1) % 4)  # 120 wrong, then 130 right
    seen = []
    predict = network.predict
    monkeypatch.setattr(network, "predict", lambda xb: seen.append(len(xb)) or predict(xb))
    assert network.accuracy(x, np.eye(4)[labels], batch_size=batch_size) == pytest.approx(130 / 250)
    assert max(seen) == min(batch_size, 250)
    assert network.accuracy(x, labels, batch_size=batch_size) == pytest.approx(130 / 250)


def test_deep_net_with_copies_values_and_reads_the_layout():
    trained = DeepConvNet(channels=(4, 4, 8, 8, 8, 8), hidden_size=20, seed=9)
    copy = deep_net_with(trained.params)
    x = np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32)
    np.testing.assert_array_equal(copy.predict(x), trained.predict(x))
    assert copy.params["W1"] is not trained.params["W1"]


# ---- counting ---------------------------------------------------------------------------------------------


def test_multiply_adds_by_hand_on_a_tiny_layout():
    network = DeepConvNet(**TINY)
    counts = multiply_adds(network, input_dim=(1, 10, 10))
    # output values × (C·3·3) per conv; inputs × outputs per affine. Sizes: 10 → pool 5 → (pad 2) 7 → pool 3 → pool 1
    assert counts == {
        "Conv1": 2 * 10 * 10 * (1 * 9), "Conv2": 2 * 10 * 10 * (2 * 9),
        "Conv3": 2 * 5 * 5 * (2 * 9), "Conv4": 2 * 7 * 7 * (2 * 9),
        "Conv5": 2 * 3 * 3 * (2 * 9), "Conv6": 2 * 3 * 3 * (2 * 9),
        "Affine1": 2 * 3, "Affine2": 3 * 4,
    }  # fmt: skip
    assert param_count(network) == (2 * 1 * 9) + 5 * (2 * 2 * 9) + 6 * 2 + (2 * 3 + 3) + (3 * 4 + 4)  # W, b


def test_the_books_layout_costs_about_four_times_ours():
    ours, book = DeepConvNet(), DeepConvNet(channels=BOOK_CHANNELS)
    ma_ours, ma_book = multiply_adds(ours), multiply_adds(book)
    assert ma_book["Conv1"] == 2 * ma_ours["Conv1"]  # one input channel: only the outputs double
    assert ma_book["Conv6"] == 4 * ma_ours["Conv6"]  # both the inputs and the outputs double
    assert ma_book["Affine1"] == 2 * ma_ours["Affine1"] and ma_book["Affine2"] == ma_ours["Affine2"]
    assert ma_book["Conv4"] == 32 * 16 * 16 * 32 * 9


# ---- rotation and augmentation ----------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7, 7), (6, 6)])
def test_rotating_by_90_degrees_is_rot90(shape):
    a = np.random.default_rng(0).random(shape)  # no symmetry
    np.testing.assert_allclose(rotate(a, 90), np.rot90(a), atol=1e-9)
    np.testing.assert_allclose(rotate(a, -90), np.rot90(a, -1), atol=1e-9)
    np.testing.assert_allclose(rotate(a, 180), np.rot90(a, 2), atol=1e-9)


def test_rotating_by_0_is_the_identity_and_keeps_dtype():
    a = np.random.default_rng(0).random((28, 28)).astype(np.float32)
    out = rotate(a, 0)
    np.testing.assert_array_equal(out, a)
    assert out.dtype == np.float32


def test_small_rotations_keep_the_mass_and_move_it_around_the_centre():
    image = np.zeros((28, 28))
    image[6:22, 12:16] = 1.0  # an upright bar in the middle
    for degrees in (5, -10, 15):
        out = rotate(image, degrees)
        assert out.sum() == pytest.approx(image.sum(), rel=0.02)
        assert out.min() >= 0 and out.max() <= 1
        ys, xs = np.mgrid[0:28, 0:28]
        assert np.sum(ys * out) / out.sum() == pytest.approx(13.5, abs=0.1)  # the centre stays
        assert np.sum(xs * out) / out.sum() == pytest.approx(13.5, abs=0.1)
    # counterclockwise: the bar's top moves left, its bottom right
    top, bottom = rotate(image, 15)[6:9], rotate(image, 15)[19:22]
    cols = np.arange(28)
    assert np.sum(top * cols) / top.sum() < 13 and np.sum(bottom * cols) / bottom.sum() > 14


def test_rotation_brings_zeros_in_from_outside():
    out = rotate(np.ones((9, 9)), 45)
    assert out[0, 0] == 0 and out[4, 4] == pytest.approx(1)
    # a small turn: the corner pixel comes from a third of a pixel beyond the edge, so a third of it is outside
    corner = rotate(np.ones((9, 9)), 5)[8, 8]
    assert corner == pytest.approx(1 - (np.cos(np.radians(5)) * 4 + np.sin(np.radians(5)) * 4 - 4), abs=1e-9)


def test_augment_stays_in_range_changes_the_image_and_is_a_shifted_rotation():
    image = np.zeros((28, 28), dtype=np.float32)
    image[6:22, 10:18] = np.linspace(0, 1, 8, dtype=np.float32)
    out = augment(image, np.random.default_rng(4))
    assert out.shape == image.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1 and not np.array_equal(out, image)
    # the same draws by hand: the shift, then the angle
    rng = np.random.default_rng(4)
    dy, dx = rng.integers(-2, 3, size=2)
    degrees = rng.uniform(-15, 15)
    np.testing.assert_array_equal(out, shift(rotate(image, degrees), dy, dx))
    draws = np.random.default_rng(0)
    shifts = np.array([draws.integers(-2, 3, size=2) for _ in range(200)])
    assert shifts.min() == -2 and shifts.max() == 2


def test_augmented_data_adds_copies_and_keeps_the_test_set():
    rng = np.random.default_rng(0)
    x = rng.random((5, 1, 28, 28)).astype(np.float32)
    t = np.eye(10)[[3, 1, 4, 1, 5]]
    test = (x[:2] + 1, t[:2])
    (x_aug, t_aug), test_aug = augmented_data(((x, t), test), copies=3, seed=0)
    assert x_aug.shape == (20, 1, 28, 28) and x_aug.dtype == np.float32
    np.testing.assert_array_equal(x_aug[:5], x)  # the originals first
    np.testing.assert_array_equal(t_aug, np.concatenate([t] * 4))
    assert test_aug is test
    for k in range(1, 4):  # every copy differs from its original
        assert all(not np.array_equal(x_aug[5 * k + i], x[i]) for i in range(5))
    (again, _), _ = augmented_data(((x, t), test), copies=3, seed=0)
    np.testing.assert_array_equal(again, x_aug)
    (other, _), _ = augmented_data(((x, t), test), copies=3, seed=1)
    assert not np.array_equal(other, x_aug)


# ---- misclassified digits and ensembles -------------------------------------------------------------------


class Fixed:
    """A stand-in network whose outputs are given (one row per image; the images are only counted)."""

    def __init__(self, outputs):
        self.outputs = np.asarray(outputs, dtype=float)
        self.calls = []

    def predict(self, x):
        start = sum(self.calls)
        self.calls.append(len(x))
        return self.outputs[start : start + len(x)]


def test_misclassified_lists_wrong_digits_in_order_with_their_predictions():
    outputs = np.eye(3)[[0, 2, 1, 1, 0, 2] * 40]  # 240 images, predicted labels 0 2 1 1 0 2 …
    labels = np.array([0, 1, 1, 2, 0, 2] * 40)  # wrong at 1 and 3 of every six
    wrong, predicted = misclassified(Fixed(outputs), np.zeros((240, 1)), np.eye(3)[labels])
    np.testing.assert_array_equal(
        wrong, np.sort(np.concatenate([np.arange(1, 240, 6), np.arange(3, 240, 6)]))
    )
    np.testing.assert_array_equal(predicted, [2, 1] * 40)
    wrong2, _ = misclassified(Fixed(outputs), np.zeros((240, 1)), labels)  # label numbers
    np.testing.assert_array_equal(wrong2, wrong)


def test_ensemble_averages_softmax_outputs():
    # image 0: A is very sure of 0, B and C fairly sure of 1: the probabilities' mean picks 1 (the raw scores'
    # mean would pick 0). image 1: A sure of 0, B and C barely prefer 1: the mean picks 0 (a majority vote, 1)
    a = Fixed([[100.0, 0.0], [5.0, 0.0]] * 60)
    b = Fixed([[0.0, 3.0], [0.0, 0.3]] * 60)
    c = Fixed([[0.0, 3.0], [0.0, 0.3]] * 60)
    x, labels = np.zeros((120, 1)), np.array([1, 0] * 60)
    assert ensemble_accuracy([a, b, c], x, labels) == 1.0
    assert a.calls == [100, 20]  # in batches
    assert ensemble_accuracy([Fixed([[100.0, 0.0], [5.0, 0.0]] * 60)], x, np.eye(2)[labels]) == 0.5


# ---- float16 ----------------------------------------------------------------------------------------------


def accuracy_in(params, dtype, x, t):
    network = deep_net_with({key: value.astype(dtype) for key, value in params.items()})
    return np.mean(predicted_labels(network, x.astype(dtype)) == t)


def test_float16_params_and_inputs_run_every_layer_in_float16(monkeypatch):
    """What the float16 slide does: deep_net_with(params cast to float16), then predicted_labels on float16 inputs."""
    seen = []
    for cls in (Convolution, FastPooling, Flatten, Affine, Relu, Dropout):
        original = cls.forward

        def recording(self, x, *args, _original=original):
            out = _original(self, x, *args)
            seen.append((type(self).__name__, x.dtype, out.dtype))
            return out

        monkeypatch.setattr(cls, "forward", recording)
    network = DeepConvNet(channels=(2, 2, 4, 4, 4, 4), hidden_size=6, seed=2)
    x = np.random.default_rng(0).random((30, 1, 28, 28)).astype(np.float32)
    t = np.argmax(network.predict(x), axis=1)
    seen.clear()
    assert accuracy_in(network.params, np.float16, x, t) > 0.8
    assert len(seen) == 21 and {d for _, *dtypes in seen for d in dtypes} == {np.dtype(np.float16)}
    seen.clear()
    assert accuracy_in(network.params, np.float32, x, t) == 1.0
    assert {d for _, *dtypes in seen for d in dtypes} == {np.dtype(np.float32)}


def test_layer_profile_times_every_layer_type_in_both_directions(monkeypatch):
    network = DeepConvNet(**TINY)
    x = np.random.default_rng(0).random((8, 1, 10, 10)).astype(np.float32)
    calls = []
    original = Convolution.backward
    monkeypatch.setattr(Convolution, "backward", lambda self, d: calls.append(1) or original(self, d))
    profile = layer_profile(network, x, np.eye(4)[np.arange(8) % 4], repeats=3)
    assert set(profile) == {"Conv", "Relu", "Pool", "Flatten", "Affine", "Dropout", "Softmax"}
    for times in profile.values():
        assert set(times) == {"forward", "backward"} and times["forward"] > 0 and times["backward"] > 0
    assert len(calls) == 6 * 3  # six convolutions, three repeats


def test_layer_profile_takes_the_minimum_of_the_repeats_and_sums_per_type(monkeypatch):
    calls = iter(range(100_000))

    class Clock:  # the k-th reading is k²: the m-th measurement (readings 2m, 2m + 1) lasts 4m + 1 s, ever longer
        @staticmethod
        def perf_counter():
            return next(calls) ** 2

    monkeypatch.setattr(deep, "time", Clock)
    network = DeepConvNet(**TINY)
    profile = layer_profile(network, np.zeros((2, 1, 10, 10)), np.eye(4)[[0, 1]], repeats=4)
    # the first repeat is the fastest: forward measures layer i as m = i (the loss is m = 21), backward m = 43 - i
    convs = [i for i, name in enumerate(LAYER_ORDER) if name.startswith("Conv")]
    assert profile["Conv"] == {
        "forward": sum(4 * i + 1 for i in convs),
        "backward": sum(4 * (43 - i) + 1 for i in convs),
    }
    assert profile["Softmax"] == {"forward": 4 * 21 + 1, "backward": 4 * 22 + 1}


# ---- the trainings' settings (on a little random data, never MNIST) ---------------------------------------


def test_augmented_training_makes_as_many_updates_and_both_are_reproducible(monkeypatch):
    rng = np.random.default_rng(0)
    data = ((rng.random((200, 1, 28, 28), dtype=np.float32), np.eye(10)[rng.integers(0, 10, 200)]),
            (rng.random((50, 1, 28, 28), dtype=np.float32), np.eye(10)[rng.integers(0, 10, 50)]))  # fmt: skip
    monkeypatch.setattr(deep, "load_mnist", lambda **kwargs: data)
    monkeypatch.setattr(deep, "DEEP_EPOCHS", 4)
    monkeypatch.setattr(deep, "AUGMENT_COPIES", 1)
    # the same layout with one channel per convolution: what is tested is the schedule, not the network's size
    monkeypatch.setattr(deep, "DeepConvNet", functools.partial(DeepConvNet, channels=(1,) * 6, hidden_size=4))
    monkeypatch.delenv("DECKBUILD_MEMO_DIR", raising=False)  # compute, never read or write a memo entry
    plain, augmented = deep.train_deep_net(), deep.train_deep_net_augmented()
    assert len(plain["history"]["loss"]) == len(augmented["history"]["loss"]) == 4 * 200 // 100
    assert plain["history"]["epoch"] == [0, 2, 4] and augmented["history"]["epoch"] == [0, 2]
    again = deep.train_deep_net()
    for key, value in plain["params"].items():
        np.testing.assert_array_equal(again["params"][key], value)
    assert not np.array_equal(augmented["params"]["W1"], plain["params"]["W1"])
    monkeypatch.setattr(deep, "AUGMENT_COPIES", 2)  # 4 epochs cannot be split into 3 equal parts
    with pytest.raises(AssertionError):
        deep.train_deep_net_augmented()
