"""Chapter 7's residual block: its backward pass against numerical gradients (input and weights, with and
without the shortcut), the shortcut carrying the gradient when the layers carry none, and the plain block."""

import numpy as np
import pytest

from zerodl.conv_layers import Convolution
from zerodl.layers import Relu
from zerodl.numerical import numerical_gradient, relative_error
from zerodl.residual import ResidualBlock, random_block

H = 1e-6  # float64: small enough that no ReLU input crosses 0 within ±H (1e-4 crosses one in this setting)


def probe(out, weights):
    """L = sum(out · weights), so dL/dout = weights: any upstream gradient can be injected."""
    return float(np.sum(out * weights))


@pytest.fixture
def setting():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 5, 4))
    return rng, x, rng.standard_normal(x.shape)


@pytest.mark.parametrize("shortcut", [True, False])
def test_backward_matches_numerical_gradient_of_input(setting, shortcut):
    rng, x, weights = setting
    block = random_block(3, 0.5, rng, shortcut=shortcut)
    block.forward(x)
    dx = block.backward(weights)
    numerical = numerical_gradient(lambda _: probe(block.forward(x), weights), x, h=H)
    assert relative_error(dx, numerical) < 1e-7


@pytest.mark.parametrize("key", ["W1", "b1", "W2", "b2"])
def test_weight_gradients_match_numerical_gradients(setting, key):
    rng, x, weights = setting
    block = random_block(3, 0.5, rng)
    block.forward(x)
    block.backward(weights)
    layer = block.layers["Conv1" if key.endswith("1") else "Conv2"]
    analytic = layer.dW if key[0] == "W" else layer.db
    numerical = numerical_gradient(lambda _: probe(block.forward(x), weights), block.params[key], h=H)
    assert relative_error(analytic, numerical) < 1e-7


def test_forward_is_relu_of_layers_plus_input(setting):
    rng, x, _ = setting
    block = random_block(3, 0.5, rng)
    p = block.params
    h = np.maximum(0, Convolution(p["W1"], p["b1"], 1, 1).forward(x))
    f = Convolution(p["W2"], p["b2"], 1, 1).forward(h)
    np.testing.assert_allclose(block.forward(x), np.maximum(0, f + x), rtol=1e-12)
    plain = ResidualBlock(p["W1"], p["b1"], p["W2"], p["b2"], shortcut=False)
    np.testing.assert_allclose(plain.forward(x), np.maximum(0, f), rtol=1e-12)


def test_shortcut_carries_the_gradient_when_the_layers_carry_none(setting):
    _, x, weights = setting
    zeros = np.zeros((3, 3, 3, 3)), np.zeros(3), np.zeros((3, 3, 3, 3)), np.zeros(3)
    block = ResidualBlock(*zeros)
    assert np.array_equal(block.forward(x), np.maximum(0, x))
    assert np.array_equal(block.backward(weights), weights * (x > 0))  # ReLU's mask only: the shortcut path
    plain = ResidualBlock(*zeros, shortcut=False)
    plain.forward(x)
    assert not plain.backward(weights).any()


def test_deep_stack_keeps_the_gradient_only_with_shortcuts():
    """Ten blocks of small weights: without shortcuts the gradient at the input shrinks by orders of magnitude."""
    norms = {}
    for shortcut in (True, False):
        rng = np.random.default_rng(0)
        blocks = [random_block(4, 0.1, rng, shortcut=shortcut) for _ in range(10)]
        h = rng.standard_normal((2, 4, 6, 6))
        for block in blocks:
            h = block.forward(h)
        d = np.ones_like(h)
        for block in reversed(blocks):
            d = block.backward(d)
        norms[shortcut] = np.linalg.norm(d) / np.linalg.norm(np.ones_like(h))
    assert norms[False] < 1e-3 < 0.1 < norms[True]


def test_random_block_shapes_and_dtype():
    block = random_block(5, 0.1, np.random.default_rng(0), dtype=np.float32)
    assert block.params["W1"].shape == block.params["W2"].shape == (5, 5, 3, 3)
    assert all(p.dtype == np.float32 for p in block.params.values())
    assert not block.params["b1"].any() and isinstance(block.relu_out, Relu)
