"""Chapter 6's code: the output-size formula by hand, im2col against sliding windows and col2im as its adjoint,
Convolution and Pooling against direct definitions and numerical gradients, FastPooling against Pooling,
SimpleConvNet's gradients, dtypes and batching, and the small worked examples of cnn_examples.

Everything is tiny (float64 where gradients are checked); the memoized MNIST training is never called.
"""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from zerodl.cnn import WIDE_HIDDEN, simple_cnn_with
from zerodl.cnn_examples import EXAMPLE_FILTER, EXAMPLE_INPUT, POOL_INPUT, convolve2d, max_pool2d, shift
from zerodl.conv_layers import Convolution, FastPooling, Flatten, Pooling
from zerodl.im2col import col2im, conv_output_size, im2col
from zerodl.multi_layer_net import MultiLayerNet
from zerodl.numerical import numerical_gradient, relative_error
from zerodl.optimizers import Adam
from zerodl.simple_conv_net import SimpleConvNet


def probe(out, weights):
    """L = sum(out · weights), so dL/dout = weights: any upstream gradient can be injected."""
    return float(np.sum(out * weights))


def windows(x, fh, fw, stride, pad):
    """Every window the filter covers, (N, C, OH, OW, FH, FW), by NumPy's own sliding view (no im2col)."""
    padded = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    return sliding_window_view(padded, (fh, fw), axis=(2, 3))[:, :, ::stride, ::stride]


# ---- the output-size formula ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "filter_size", "stride", "pad", "expected"),
    [
        (4, 3, 1, 0, 2),  # 4 - 3 + 1: the worked example
        (4, 3, 1, 1, 4),  # pad 1 keeps a 3×3 filter's output the input's size
        (7, 3, 2, 0, 3),  # positions 0, 2, 4 (the filter ends at 6)
        (6, 3, 2, 0, 2),  # positions 0, 2; a third at 4 would need index 6: the last column is never used
        (5, 2, 2, 1, 3),  # padded to 7: positions 0, 2, 4; a fourth at 6 would need index 7
        (28, 5, 1, 0, 24),  # SimpleConvNet's Conv1 on MNIST
        (24, 2, 2, 0, 12),  # then its 2×2 pooling
    ],
)
def test_conv_output_size_by_hand(size, filter_size, stride, pad, expected):
    assert conv_output_size(size, filter_size, stride, pad) == expected


# ---- im2col and col2im ------------------------------------------------------------------------------------

# (N, C, H, W, FH, FW, stride, pad): non-square inputs and filters, strides that do and do not divide evenly
IM2COL_SETTINGS = [
    (2, 3, 5, 7, 3, 2, 1, 0),
    (1, 2, 6, 5, 2, 3, 2, 1),
    (3, 1, 7, 7, 3, 3, 2, 0),
    (2, 2, 4, 4, 3, 3, 1, 1),
    (1, 3, 6, 6, 3, 3, 2, 0),
    (2, 1, 5, 4, 2, 2, 2, 0),
]


@pytest.mark.parametrize("setting", IM2COL_SETTINGS, ids=str)
def test_im2col_lays_out_one_window_per_row(setting):
    N, C, H, W, FH, FW, stride, pad = setting
    x = np.random.default_rng(0).standard_normal((N, C, H, W))
    view = windows(x, FH, FW, stride, pad)  # (N, C, OH, OW, FH, FW)
    OH, OW = view.shape[2:4]
    assert conv_output_size(H, FH, stride, pad) == OH and conv_output_size(W, FW, stride, pad) == OW
    # one row per (image, output row, output column); in a row, channel by channel, each window row by row
    expected = view.transpose(0, 2, 3, 1, 4, 5).reshape(N * OH * OW, C * FH * FW)
    np.testing.assert_array_equal(im2col(x, FH, FW, stride, pad), expected)


def test_im2col_first_row_is_the_top_left_window_by_hand():
    x = np.arange(2 * 3 * 4).reshape(1, 2, 3, 4)  # channel 0 holds 0..11, channel 1 holds 12..23
    col = im2col(x, 2, 2, stride=1, pad=0)
    assert col.shape == (2 * 3, 2 * 2 * 2)
    np.testing.assert_array_equal(col[0], [0, 1, 4, 5, 12, 13, 16, 17])
    np.testing.assert_array_equal(col[-1], [6, 7, 10, 11, 18, 19, 22, 23])  # bottom-right window


@pytest.mark.parametrize("setting", IM2COL_SETTINGS, ids=str)
def test_col2im_is_the_adjoint_of_im2col(setting):
    # <im2col(x), c> == <x, col2im(c)> for every x and c: col2im sums back into each pixel every value that
    # im2col copied out of it (overlapping windows at stride 1 copy a pixel several times)
    N, C, H, W, FH, FW, stride, pad = setting
    rng = np.random.default_rng(1)
    x = rng.standard_normal((N, C, H, W))
    col = im2col(x, FH, FW, stride, pad)
    c = rng.standard_normal(col.shape)
    back = col2im(c, x.shape, FH, FW, stride, pad)
    assert back.shape == x.shape
    assert np.sum(col * c) == pytest.approx(np.sum(x * back), rel=1e-12)


def test_col2im_of_ones_counts_how_many_windows_cover_each_pixel():
    # 4×4, 3×3 filter, stride 1: a corner is in 1 window, an edge middle in 2, the four centre pixels in all 4
    ones = np.ones((4, 9))
    counts = col2im(ones, (1, 1, 4, 4), 3, 3, stride=1, pad=0)[0, 0]
    np.testing.assert_array_equal(counts, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])


# ---- Convolution ------------------------------------------------------------------------------------------

CONV_SETTINGS = [  # (N, C, H, W, FN, FH, FW, stride, pad)
    (2, 1, 5, 5, 3, 3, 3, 1, 0),
    (2, 2, 6, 5, 3, 3, 2, 2, 1),
    (1, 3, 7, 6, 2, 2, 3, 1, 1),
]


def conv_problem(setting, seed=2):
    N, C, H, W, FN, FH, FW, _, _ = setting
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, C, H, W)), rng.standard_normal((FN, C, FH, FW)), rng.standard_normal(FN)


@pytest.mark.parametrize("setting", CONV_SETTINGS, ids=str)
def test_convolution_forward_is_the_product_sum_over_each_window_plus_the_bias(setting):
    N, _, H, W, FN, FH, FW, stride, pad = setting
    x, w, b = conv_problem(setting)
    out = Convolution(w, b, stride, pad).forward(x)
    expected = np.einsum("ncijhw,fchw->nfij", windows(x, FH, FW, stride, pad), w) + b[:, None, None]
    OH, OW = conv_output_size(H, FH, stride, pad), conv_output_size(W, FW, stride, pad)
    assert out.shape == (N, FN, OH, OW)
    assert out.flags.c_contiguous  # the next layer's reshape must not copy in a scrambled order
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (2, 1), (1, 2)])
def test_convolution_with_one_channel_is_convolve2d_per_filter(stride, pad):
    rng = np.random.default_rng(3)
    x, w, b = rng.standard_normal((2, 1, 6, 7)), rng.standard_normal((3, 1, 3, 3)), rng.standard_normal(3)
    out = Convolution(w, b, stride, pad).forward(x)
    for n, f in np.ndindex(2, 3):  # image n, filter f
        np.testing.assert_allclose(out[n, f], convolve2d(x[n, 0], w[f, 0], stride, pad) + b[f], rtol=1e-12)


@pytest.mark.parametrize("setting", CONV_SETTINGS, ids=str)
def test_convolution_backward_matches_numerical_gradients(setting):
    *_, stride, pad = setting
    x, w, b = conv_problem(setting, seed=4)
    layer = Convolution(w, b, stride, pad)
    upstream = np.random.default_rng(5).standard_normal(layer.forward(x).shape)
    dx = layer.backward(upstream)
    loss = lambda _: probe(layer.forward(x), upstream)  # noqa: E731  W and b are moved in place
    numeric_dx = numerical_gradient(lambda v: probe(layer.forward(v), upstream), x.copy())
    assert relative_error(dx, numeric_dx) < 1e-7
    assert relative_error(layer.dW, numerical_gradient(loss, w)) < 1e-7
    assert relative_error(layer.db, numerical_gradient(loss, b)) < 1e-7


# ---- Pooling and FastPooling ------------------------------------------------------------------------------

POOL_SETTINGS = [  # (pool_h, pool_w, stride, pad)
    (2, 2, 2, 0),
    (3, 3, 2, 0),  # overlapping windows
    (2, 2, 1, 0),  # overlapping windows
    (2, 2, 2, 1),
    (3, 2, 1, 1),
]


def distinct_values(shape, seed):
    """Values 0.1 apart (none within 0.05 of the padding's 0): a ±1e-4 step never changes which is the max."""
    n = int(np.prod(shape))
    values = np.random.default_rng(seed).permutation(n) * 0.1 - (n // 2) * 0.1 + 0.05
    return values.reshape(shape)


@pytest.mark.parametrize("pool_class", [Pooling, FastPooling])
@pytest.mark.parametrize("setting", POOL_SETTINGS, ids=str)
def test_pooling_backward_matches_numerical_gradients(pool_class, setting):
    x = distinct_values((2, 2, 5, 6), seed=6)
    layer = pool_class(*setting)
    upstream = np.random.default_rng(7).standard_normal(layer.forward(x).shape)
    dx = layer.backward(upstream)
    numeric = numerical_gradient(lambda v: probe(pool_class(*setting).forward(v), upstream), x.copy())
    assert relative_error(dx, numeric) < 1e-7


def test_pooling_takes_each_channels_max_and_keeps_the_channel_count():
    x = np.random.default_rng(8).standard_normal((3, 5, 6, 4))
    for pool_class in (Pooling, FastPooling):
        out = pool_class(2, 2, stride=2).forward(x)
        assert out.shape == (3, 5, 3, 2)
        for n, c in np.ndindex(3, 5):  # each channel on its own, by the loop definition
            np.testing.assert_array_equal(out[n, c], max_pool2d(x[n, c], size=2, stride=2))


def test_pooling_has_no_parameters():
    for pool_class in (Pooling, FastPooling):
        layer = pool_class(2, 2, stride=2)
        assert vars(layer) == {"pool_h": 2, "pool_w": 2, "stride": 2, "pad": 0}  # only its settings
        x = np.random.default_rng(9).standard_normal((1, 2, 4, 4))
        layer.backward(np.ones_like(layer.forward(x)))
        assert not {"W", "b", "dW", "db", "params"} & set(vars(layer))


def pooling_inputs():
    rng = np.random.default_rng(10)
    return {
        "random": rng.standard_normal((2, 3, 7, 6)),
        "rounded": np.round(rng.standard_normal((2, 3, 7, 6))),  # many ties within a window
        "relu": np.maximum(0, rng.standard_normal((2, 3, 7, 6)) - 0.8),  # many all-zero windows
        "float32-ties": rng.integers(0, 3, (2, 3, 7, 6)).astype(np.float32),
    }


@pytest.mark.parametrize("name", list(pooling_inputs()))
@pytest.mark.parametrize("setting", POOL_SETTINGS, ids=str)
def test_fast_pooling_equals_pooling_exactly(name, setting):
    x = pooling_inputs()[name]
    slow, fast = Pooling(*setting), FastPooling(*setting)
    out = slow.forward(x)
    np.testing.assert_array_equal(fast.forward(x), out)
    upstream = np.random.default_rng(11).standard_normal(out.shape).astype(x.dtype)
    dx = slow.backward(upstream)
    np.testing.assert_array_equal(fast.backward(upstream), dx)
    assert dx.dtype == x.dtype


def test_pooling_backward_gives_a_tie_to_the_first_max_only():
    # one 2×2 window whose four values are equal: np.argmax picks the first, so only the top-left gets dout
    x = np.zeros((1, 1, 2, 2))
    for pool_class in (Pooling, FastPooling):
        layer = pool_class(2, 2, stride=2)
        layer.forward(x)
        np.testing.assert_array_equal(layer.backward(np.full((1, 1, 1, 1), 5.0))[0, 0], [[5, 0], [0, 0]])


# ---- Flatten ----------------------------------------------------------------------------------------------


def test_flatten_round_trip():
    x = np.random.default_rng(12).standard_normal((3, 2, 4, 5))
    layer = Flatten()
    out = layer.forward(x)
    assert out.shape == (3, 40)
    np.testing.assert_array_equal(out[1], np.concatenate([x[1, 0].ravel(), x[1, 1].ravel()]))
    np.testing.assert_array_equal(layer.backward(out), x)
    dout = np.arange(120.0).reshape(3, 40)
    dx = layer.backward(dout)
    assert dx.shape == x.shape
    assert dx[2, 1, 3, 4] == dout[2, 39]  # the last pixel of the last channel is the row's last element


# ---- SimpleConvNet ----------------------------------------------------------------------------------------

TINY = {"input_dim": (1, 8, 8), "filter_num": 3, "filter_size": 3, "hidden_size": 5, "output_size": 3}


def tiny_images(n, shape=(1, 8, 8), seed=13, dtype=np.float64):
    """Small inputs keep every softmax output well above 0 (the loss's +1e-7 inside the log stays negligible)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, *shape)).astype(dtype), np.eye(3, dtype=dtype)[rng.integers(0, 3, n)]


def test_simple_conv_net_default_param_shapes_and_layers():
    network = SimpleConvNet()
    # 28 - 5 + 1 = 24 after the convolution, 12 after 2×2 pooling: 30 filters · 12 · 12 = 4320 inputs to Affine1
    shapes = {key: value.shape for key, value in network.params.items()}
    assert shapes == {
        "W1": (30, 1, 5, 5),
        "b1": (30,),
        "W2": (4320, 100),
        "b2": (100,),
        "W3": (100, 10),
        "b3": (10,),
    }
    assert list(network.layers) == ["Conv1", "Relu1", "Pool1", "Flatten1", "Affine1", "Relu2", "Affine2"]
    assert network.layers["Conv1"].W is network.params["W1"]
    assert network.layers["Conv1"].b is network.params["b1"]
    assert network.layers["Affine1"].W is network.params["W2"]
    assert network.layers["Affine2"].b is network.params["b3"]
    assert all(value.dtype == np.float32 for value in network.params.values())
    assert np.std(network.params["W2"]) == pytest.approx(0.01, rel=0.01)  # weight_init_std; 432,000 draws
    assert not any(network.params[key].any() for key in ("b1", "b2", "b3"))  # biases start at 0


@pytest.mark.parametrize(
    ("options", "w2_rows"),
    [
        ({"input_dim": (3, 10, 10), "filter_num": 4, "filter_size": 3, "pad": 1}, 4 * 5 * 5),  # 10 → 10 → 5
        ({"input_dim": (1, 9, 9), "filter_num": 2, "filter_size": 3}, 2 * 3 * 3),  # 9 → 7 → 3 (odd: floor)
        ({"input_dim": (2, 9, 13), "filter_num": 2, "filter_size": 3, "stride": 2}, 2 * 2 * 3),  # 4×6 → 2×3
    ],
)
def test_simple_conv_net_sizes_affine1_from_the_conv_and_pool_output(options, w2_rows):
    network = SimpleConvNet(hidden_size=7, **options)
    assert network.params["W2"].shape == (w2_rows, 7)
    x = np.zeros((2, *options["input_dim"]), dtype=np.float32)
    assert network.predict(x).shape == (2, 10)


@pytest.mark.parametrize("options", [{}, {"pad": 1, "stride": 2}], ids=["stride1", "stride2-pad1"])
def test_simple_conv_net_gradients_match_numerical_ones(options):
    network = SimpleConvNet(**TINY, **options, weight_init_std=0.3, seed=1, dtype=np.float64)
    x, t = tiny_images(4)
    analytic = network.gradient(x, t)
    numeric = network.numerical_gradient(x, t)
    assert analytic.keys() == network.params.keys()
    for key in network.params:
        assert analytic[key].shape == network.params[key].shape, key
        # ~3e-7 is expected: the loss's log(y + 1e-7) bends the numerical slope by 1e-7/y, with y ≈ 1/3
        assert relative_error(analytic[key], numeric[key]) < 1e-6, key


def test_simple_conv_net_is_determined_by_its_seed():
    a, b, c = SimpleConvNet(**TINY, seed=3), SimpleConvNet(**TINY, seed=3), SimpleConvNet(**TINY, seed=4)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
    assert not np.array_equal(a.params["W1"], c.params["W1"])
    assert not np.array_equal(a.params["W2"], c.params["W2"])


@pytest.mark.parametrize("batch_size", [100, 7, 1000])
def test_simple_conv_net_accuracy_in_batches_equals_the_whole_at_once(batch_size):
    network = SimpleConvNet(**TINY, weight_init_std=0.3, seed=5)
    x, _ = tiny_images(250, dtype=np.float32)
    predicted = np.argmax(network.predict(x), axis=1)
    labels = predicted.copy()
    labels[130:] = (labels[130:] + 1) % 3  # right on the first 130 of 250 only
    assert network.accuracy(x, np.eye(3)[labels], batch_size=batch_size) == pytest.approx(130 / 250)
    assert network.accuracy(x, labels, batch_size=batch_size) == pytest.approx(130 / 250)  # label numbers


def test_simple_conv_net_keeps_float32_through_an_adam_step():
    network = SimpleConvNet(**TINY, seed=6)
    x, t = tiny_images(5, dtype=np.float32)
    held = {key: value for key, value in network.params.items()}
    before = {key: value.copy() for key, value in network.params.items()}
    assert network.predict(x).dtype == np.float32
    grads = network.gradient(x, t)
    assert all(grad.dtype == np.float32 for grad in grads.values())
    Adam(lr=0.01).update(network.params, grads)
    for key, value in network.params.items():
        assert value is held[key], key  # updated in place: the layers still hold the same arrays
        assert value.dtype == np.float32, key
        assert not np.array_equal(value, before[key]), f"{key} was not updated"
    assert network.predict(x).dtype == np.float32


def test_simple_cnn_with_gives_a_network_that_uses_the_given_values():
    params = SimpleConvNet(seed=7, weight_init_std=0.1).params
    network = simple_cnn_with(params)
    x = np.random.default_rng(14).uniform(0, 1, (3, 1, 28, 28)).astype(np.float32)
    for key, value in params.items():
        np.testing.assert_array_equal(network.params[key], value)
    assert network.layers["Conv1"].W is network.params["W1"]
    np.testing.assert_array_equal(network.layers["Conv1"].W, params["W1"])
    np.testing.assert_array_equal(network.layers["Affine2"].b, params["b3"])
    expected = SimpleConvNet(seed=7, weight_init_std=0.1).predict(x)
    np.testing.assert_allclose(network.predict(x), expected, rtol=1e-6)
    assert not np.allclose(SimpleConvNet().predict(x), expected, rtol=1e-3)  # the default network differs


# ---- cnn_examples: the worked examples --------------------------------------------------------------------


def test_convolve2d_on_the_worked_example_by_hand():
    out = convolve2d(EXAMPLE_INPUT, EXAMPLE_FILTER)
    assert out.shape == (2, 2)
    # input rows 0-2, columns 0-2 = [[1,0,2],[2,1,0],[0,3,1]] against the filter [[1,0,2],[0,1,0],[1,2,0]]
    assert out[0, 0] == 1 * 1 + 0 * 0 + 2 * 2 + 2 * 0 + 1 * 1 + 0 * 0 + 0 * 1 + 3 * 2 + 1 * 0  # = 12
    # input rows 1-3, columns 1-3 = [[1,0,1],[3,1,2],[2,2,0]]
    assert out[1, 1] == 1 * 1 + 0 * 0 + 1 * 2 + 3 * 0 + 1 * 1 + 2 * 0 + 2 * 1 + 2 * 2 + 0 * 0  # = 10
    # not flipped (the book's convolution, a cross-correlation): the flipped filter gives another value here
    assert convolve2d(EXAMPLE_INPUT, EXAMPLE_FILTER[::-1, ::-1])[0, 0] != out[0, 0]
    # pad 1: the top-left window is 0s but for input[0:2, 0:2] = [[1,0],[2,1]], under the filter's [1:3, 1:3]
    padded = convolve2d(EXAMPLE_INPUT, EXAMPLE_FILTER, pad=1)
    assert padded.shape == (4, 4)
    assert padded[0, 0] == 1 * 1 + 0 * 0 + 2 * 2 + 1 * 0  # = 5
    # stride 2 with pad 1: output (1, 1) starts at padded (2, 2) = input (1, 1), the same window as above
    assert convolve2d(EXAMPLE_INPUT, EXAMPLE_FILTER, stride=2, pad=1)[1, 1] == out[1, 1]


def test_max_pool2d_on_the_worked_example_by_hand():
    # POOL_INPUT = [[3,1,0,2],[0,2,4,1],[1,5,2,0],[2,0,3,1]]
    out = max_pool2d(POOL_INPUT, size=2, stride=2)
    expected = [[max(3, 1, 0, 2), max(0, 2, 4, 1)], [max(1, 5, 2, 0), max(2, 0, 3, 1)]]  # = [[3, 4], [5, 3]]
    np.testing.assert_array_equal(out, expected)
    overlapping = max_pool2d(POOL_INPUT, size=2, stride=1)
    assert overlapping.shape == (3, 3)
    assert overlapping[1, 2] == max(4, 1, 2, 0)  # rows 1-2, columns 2-3
    assert overlapping[2, 0] == max(1, 5, 2, 0)  # rows 2-3, columns 0-1


@pytest.mark.parametrize(("dy", "dx"), [(1, 0), (0, -2), (2, 3), (-1, -1)])
def test_shift_moves_pixels_and_shifting_back_loses_only_the_border(dy, dx):
    image = np.arange(1, 7 * 8 + 1).reshape(7, 8)  # no zeros: a 0 in the result means a lost pixel
    moved = shift(image, dy, dx)
    assert moved[3 + dy, 4 + dx] == image[3, 4]
    assert np.count_nonzero(moved) == (7 - abs(dy)) * (8 - abs(dx))
    back = shift(moved, -dy, -dx)
    kept = np.zeros(image.shape, dtype=bool)  # the pixels that did not fall off the edge
    kept[max(-dy, 0) : 7 - max(dy, 0), max(-dx, 0) : 8 - max(dx, 0)] = True
    np.testing.assert_array_equal(back, np.where(kept, image, 0))


def test_shift_by_zero_is_the_identity():
    image = np.random.default_rng(15).standard_normal((5, 6))
    np.testing.assert_array_equal(shift(image, 0, 0), image)


def test_the_wide_fully_connected_net_has_about_as_many_parameters_as_the_cnn():
    """The slide compares the CNN with a 2-layer net of (nearly) the same size: within 2 % of its parameters."""
    cnn = sum(p.size for p in SimpleConvNet().params.values())
    wide = sum(p.size for p in MultiLayerNet(784, [WIDE_HIDDEN], 10).params.values())
    assert abs(wide - cnn) / cnn < 0.02
