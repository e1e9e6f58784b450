"""Every layer's backward pass against central differences of its forward pass (float64, random inputs)."""

import numpy as np
import pytest

from zerodl.activations import softmax
from zerodl.layers import AddLayer, Affine, MulLayer, Relu, Sigmoid, SoftmaxWithLoss
from zerodl.numerical import numerical_gradient
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
    loss, grads = net.gradient(x, t)
    assert loss == pytest.approx(net.loss(x, t))
    numeric = net.numerical_gradient(x, t)
    assert set(grads) == set(numeric) == {"W1", "b1", "W2", "b2"}
    for key in grads:
        np.testing.assert_allclose(grads[key], numeric[key], rtol=1e-4, atol=1e-7, err_msg=key)


def test_affine_can_skip_the_input_gradient_and_still_gives_dw_and_db():
    W, b = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    x, upstream = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 4))
    full, lean = Affine(W, b), Affine(W, b)
    full.forward(x)
    lean.forward(x)
    assert full.backward(upstream).shape == x.shape
    assert lean.backward(upstream, need_dx=False) is None
    np.testing.assert_array_equal(lean.dW, full.dW)
    np.testing.assert_array_equal(lean.db, full.db)
