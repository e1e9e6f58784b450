"""Every layer's backward pass against central differences of its forward pass (float64, random inputs)."""

import numpy as np
import pytest

from zerodl.activations import softmax
from zerodl.layers import AddLayer, Affine, MulLayer, Relu, Sigmoid, SoftmaxWithLoss
from zerodl.numerical import numerical_gradient, relative_error
from zerodl.two_layer_net import TwoLayerNet

RNG = np.random.default_rng(42)


def probe_loss(out, weights):
    """A scalar L = sum(out * weights): dL/dout = weights, so any upstream gradient can be injected."""
    return float(np.sum(out * weights))


def check_input_gradient(layer, x, atol=1e-6):
    out = layer.forward(x.copy())
    upstream = RNG.standard_normal(out.shape)
    analytic = layer.backward(upstream.copy())
    numeric = numerical_gradient(lambda v: probe_loss(layer.forward(v), upstream), x.copy())
    np.testing.assert_allclose(analytic, numeric, atol=atol, rtol=1e-5)


def test_sigmoid_backward():
    check_input_gradient(Sigmoid(), RNG.standard_normal((4, 5)))


def test_relu_backward():
    x = RNG.standard_normal((4, 5))
    x[np.abs(x) < 1e-2] = 0.5  # keep clear of the kink, where no derivative exists
    check_input_gradient(Relu(), x)


def test_relu_backward_blocks_negative_inputs_and_leaves_dout_alone():
    layer = Relu()
    layer.forward(np.array([[-1.0, 2.0]]))
    dout = np.array([[5.0, 7.0]])
    assert layer.backward(dout).tolist() == [[0.0, 7.0]]
    assert dout.tolist() == [[5.0, 7.0]]


def test_affine_backward_for_x_w_and_b():
    W, b = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    x = RNG.standard_normal((5, 3))
    layer = Affine(W, b)
    upstream = RNG.standard_normal((5, 4))
    layer.forward(x)
    dx = layer.backward(upstream)
    loss = lambda _: probe_loss(layer.forward(x), upstream)  # noqa: E731
    np.testing.assert_allclose(
        dx,
        numerical_gradient(lambda v: probe_loss(layer.forward(v), upstream), x.copy()),
        rtol=1e-5,
        atol=1e-7,
    )
    layer.forward(x)
    layer.backward(upstream)
    np.testing.assert_allclose(layer.dW, numerical_gradient(loss, W), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(layer.db, numerical_gradient(loss, b), rtol=1e-5, atol=1e-7)


def test_softmax_with_loss_backward_is_y_minus_t_over_batch():
    x = RNG.standard_normal((4, 3))
    t = np.eye(3)[[0, 2, 1, 2]]
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    analytic = layer.backward()
    numeric = numerical_gradient(lambda v: layer.forward(v, t), x.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(analytic, (softmax(x) - t) / 4)


@pytest.mark.parametrize("layer_class", [MulLayer, AddLayer])
def test_two_input_layers_backward(layer_class):
    x, y, dout = 3.0, -2.0, 1.5
    layer = layer_class()
    layer.forward(x, y)
    dx, dy = layer.backward(dout)
    h = 1e-5
    f = lambda a, b: layer_class().forward(a, b)  # noqa: E731
    assert dx == pytest.approx(dout * (f(x + h, y) - f(x - h, y)) / (2 * h))
    assert dy == pytest.approx(dout * (f(x, y + h) - f(x, y - h)) / (2 * h))


def test_two_layer_net_backprop_matches_numerical_gradient_for_every_parameter():
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.5, dtype=np.float64)
    x = RNG.standard_normal((4, 6))
    t = np.eye(3)[[0, 1, 2, 1]]
    grads = net.gradient(x, t)
    numeric = net.numerical_gradient(x, t)
    assert set(grads) == set(numeric) == {"W1", "b1", "W2", "b2"}
    for key in grads:
        np.testing.assert_allclose(grads[key], numeric[key], rtol=1e-4, atol=1e-7, err_msg=key)


def test_two_layer_net_holds_its_layers_by_name_in_order_and_gradient_returns_the_grads():
    net = TwoLayerNet(6, 5, 3)
    assert list(net.layers) == ["Affine1", "Relu1", "Affine2"]
    assert isinstance(net.lastLayer, SoftmaxWithLoss)
    grads = net.gradient(np.ones((2, 6), np.float32), np.eye(3, dtype=np.float32)[[0, 1]])
    assert isinstance(grads, dict) and list(grads) == ["W1", "b1", "W2", "b2"]
    for key, grad in grads.items():
        assert grad.shape == net.params[key].shape


# ---- every layer, one sample (1-D) and a batch (2-D): same values row by row, right gradients


def one_and_batch(make, x_batch, upstream):
    """Run a layer on the whole batch and on each row alone; return both dx (and the layers)."""
    layer = make()
    layer.forward(x_batch)
    dx_batch = layer.backward(upstream)
    rows = []
    for x, dout in zip(x_batch, upstream, strict=True):
        single = make()
        out = single.forward(x)
        assert out.ndim == 1
        rows.append((single, single.backward(dout)))
    return layer, dx_batch, rows


@pytest.mark.parametrize("make", [Sigmoid, Relu])
def test_activation_layers_take_one_sample_or_a_batch(make):
    x, upstream = RNG.standard_normal((4, 5)), RNG.standard_normal((4, 5))
    _, dx_batch, rows = one_and_batch(make, x, upstream)
    np.testing.assert_allclose(np.stack([dx for _, dx in rows]), dx_batch)
    check_input_gradient(make(), RNG.standard_normal(5) + 0.05)


def test_affine_takes_one_sample_or_a_batch_and_sums_db_over_the_batch():
    W, b = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    x, upstream = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))
    layer, dx_batch, rows = one_and_batch(lambda: Affine(W, b), x, upstream)
    np.testing.assert_allclose(np.stack([dx for _, dx in rows]), dx_batch)
    for single, _ in rows:
        assert single.dW.shape == W.shape and single.db.shape == b.shape
    # the batch's dW and db are the sums of the per-sample ones (b was broadcast to every row)
    np.testing.assert_allclose(sum(s.dW for s, _ in rows), layer.dW)
    np.testing.assert_allclose(sum(s.db for s, _ in rows), layer.db)
    np.testing.assert_allclose(layer.db, upstream.sum(axis=0))
    # and a single sample's dW, db against central differences
    single = Affine(W, b)
    single.forward(x[0])
    single.backward(upstream[0])
    loss = lambda _: probe_loss(single.forward(x[0]), upstream[0])  # noqa: E731
    np.testing.assert_allclose(single.dW, numerical_gradient(loss, W), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(single.db, numerical_gradient(loss, b), rtol=1e-5, atol=1e-7)


def test_softmax_with_loss_on_one_sample_is_y_minus_t_not_divided_by_the_classes():
    x, t = RNG.standard_normal(4), np.eye(4)[1]
    layer = SoftmaxWithLoss()
    layer.forward(x, t)
    analytic = layer.backward()
    np.testing.assert_allclose(analytic, softmax(x) - t)
    numeric = numerical_gradient(lambda v: layer.forward(v, t), x.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-4, atol=1e-8)


def test_softmax_with_loss_batch_is_the_mean_of_the_single_samples():
    x, t = RNG.standard_normal((3, 4)), np.eye(4)[[0, 3, 1]]
    batch = SoftmaxWithLoss()
    loss = batch.forward(x, t)
    dx = batch.backward()
    singles = [SoftmaxWithLoss() for _ in range(3)]
    losses = [s.forward(xi, ti) for s, xi, ti in zip(singles, x, t, strict=True)]
    assert loss == pytest.approx(np.mean(losses))
    np.testing.assert_allclose(dx, np.stack([s.backward() for s in singles]) / 3)


@pytest.mark.parametrize(
    ("x", "labels"),
    [(RNG.standard_normal(4), np.array(2)), (RNG.standard_normal((3, 4)), np.array([0, 3, 1]))],
)
def test_softmax_with_loss_takes_label_indices_as_cross_entropy_error_does(x, labels):
    """Chapter 3 teaches that t may be the label's index; backward must then give the one-hot answer."""
    by_label, one_hot = SoftmaxWithLoss(), SoftmaxWithLoss()
    assert by_label.forward(x, labels) == pytest.approx(one_hot.forward(x, np.eye(4)[labels]))
    np.testing.assert_allclose(by_label.backward(), one_hot.backward())
    assert by_label.backward().shape == x.shape


@pytest.mark.parametrize("make", [MulLayer, AddLayer])
def test_two_input_layers_take_arrays_elementwise(make):
    x, y, dout = RNG.standard_normal(3), RNG.standard_normal(3), RNG.standard_normal(3)
    layer = make()
    layer.forward(x, y)
    dx, dy = layer.backward(dout)
    assert np.shape(dx) == np.shape(dy) == (3,)


# ---- the relative error the gradient check reports


def test_relative_error_is_scale_free_and_zero_for_equal_arrays():
    a = RNG.standard_normal((3, 4))
    assert relative_error(a, a) == 0
    b = a * (1 + 1e-6)
    assert relative_error(a, b) == pytest.approx(1e-6, rel=1e-3)
    assert relative_error(1e-8 * a, 1e-8 * b) == pytest.approx(relative_error(a, b))


def test_gradient_check_is_good_except_for_the_loss_delta():
    """Backprop matches central differences to ~1e-7 relative or better; the delta inside
    cross_entropy_error (1e-7 added to y) adds about delta / y_t on top, ~1e-6 for y_t ~ 0.1."""
    net = TwoLayerNet(8, 5, 4, weight_init_std=0.5, dtype=np.float64)
    x, t = RNG.standard_normal((3, 8)), np.eye(4)[[0, 1, 3]]
    grads, numeric = net.gradient(x, t), net.numerical_gradient(x, t)
    y_t = np.sum(net.lastLayer.y * t, axis=1)
    for key in grads:
        error = relative_error(grads[key], numeric[key])
        assert error < 10 * 1e-7 / y_t.min(), key
