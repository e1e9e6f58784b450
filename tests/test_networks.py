"""Chapter 2–3 reference code: activations, softmax, losses, numerical differentiation, the equations' notation."""

import re
import warnings

import numpy as np
import pytest

from zerodl import mnist_inference, notation, three_layer
from zerodl.activations import relu, sigmoid, softmax, softmax_naive, step_function, tanh
from zerodl.example_functions import DESCENT_LR, DESCENT_START, DESCENT_STEPS, function_1, function_2
from zerodl.losses import cross_entropy_error, sum_squared_error
from zerodl.numerical import gradient_descent, numerical_diff, numerical_gradient

X = np.array([-2.0, -0.5, 0.0, 0.5, 2.0])


def test_activations_against_their_definitions():
    assert step_function(X).tolist() == [0, 0, 0, 1, 1]
    np.testing.assert_allclose(
        sigmoid(X), [1 / (1 + np.e**2), 1 / (1 + np.e**0.5), 0.5, 1 / (1 + np.e**-0.5), 1 / (1 + np.e**-2)]
    )
    assert relu(X).tolist() == [0, 0, 0, 0.5, 2]
    np.testing.assert_allclose(tanh(X), (np.exp(X) - np.exp(-X)) / (np.exp(X) + np.exp(-X)))


def test_softmax_is_a_distribution_and_matches_the_naive_one_on_small_inputs():
    a = np.array([[0.3, 2.9, 4.0], [1.0, 1.0, 1.0]])
    y = softmax(a)
    np.testing.assert_allclose(y.sum(axis=1), 1)
    np.testing.assert_allclose(y[0], softmax_naive(a[0]))
    np.testing.assert_allclose(y[1], [1 / 3] * 3)


def test_naive_softmax_overflows_and_the_stable_one_does_not():
    big = np.array([1010.0, 1000.0, 990.0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        naive = softmax_naive(big)
    assert np.isnan(naive).any() and any("overflow" in str(w.message) for w in caught)
    np.testing.assert_allclose(softmax(big), softmax(big - 1000))
    assert np.isfinite(softmax(big)).all()


def test_losses_on_the_textbook_example():
    t = np.zeros(10)
    t[2] = 1
    good = np.array([0.1, 0.05, 0.6, 0.0, 0.05, 0.1, 0.0, 0.1, 0.0, 0.0])
    bad = np.array([0.1, 0.05, 0.1, 0.0, 0.05, 0.1, 0.0, 0.6, 0.0, 0.0])
    assert sum_squared_error(good, t) == pytest.approx(0.5 * ((0.6 - 1) ** 2 + 0.1**2 * 3 + 0.05**2 * 2))
    assert cross_entropy_error(good, t) == pytest.approx(-np.log(0.6), rel=1e-6)
    assert cross_entropy_error(bad, t) > cross_entropy_error(good, t)
    batch = np.stack([good, bad])
    assert cross_entropy_error(batch, np.stack([t, t])) == pytest.approx(
        (-np.log(0.6) - np.log(0.1)) / 2, rel=1e-5
    )


def test_numerical_derivatives_match_the_analytic_ones():
    for x in (-10.0, 5.0, 15.0):
        assert numerical_diff(function_1, x) == pytest.approx(0.02 * x + 0.1, abs=1e-9)
    point = np.array([3.0, 4.0])
    np.testing.assert_allclose(numerical_gradient(function_2, point), [6.0, 8.0], atol=1e-6)
    assert point.tolist() == [3.0, 4.0]  # the argument is restored
    w = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(numerical_gradient(lambda a: np.sum(a**2), w), 2 * w, atol=1e-6)


def test_gradient_descent_reaches_the_minimum_and_records_its_path():
    x, history = gradient_descent(function_2, DESCENT_START, lr=DESCENT_LR, step_num=DESCENT_STEPS)
    assert history.shape == (DESCENT_STEPS + 1, 2)
    assert history[0].tolist() == list(DESCENT_START)
    assert np.abs(x).max() < 0.1 * np.abs(DESCENT_START).max()
    assert np.all(np.diff(function_2(history)) < 0)  # every step goes down


def test_three_layer_network_follows_its_layer_sizes():
    net = three_layer.init_network()
    sizes = three_layer.LAYER_SIZES
    for i in range(1, len(sizes)):
        assert net[f"W{i}"].shape == (sizes[i - 1], sizes[i])
        assert net[f"b{i}"].shape == (sizes[i],)
    assert three_layer.forward(net, np.ones(sizes[0])).shape == (sizes[-1],)


def test_mnist_inference_network_gives_probabilities_for_a_batch():
    net = mnist_inference.init_network(seed=0)
    y = mnist_inference.predict(net, np.random.default_rng(1).random((5, 784)))
    assert y.shape == (5, 10)
    np.testing.assert_allclose(y.sum(axis=1), 1)


@pytest.mark.parametrize("layer", [1, 2, 3])
def test_layer_equations_use_each_index_once(layer):
    sizes = three_layer.LAYER_SIZES
    latex = notation.layer_equations(layer, sizes)
    rows = latex.removeprefix(r"\begin{aligned} ").removesuffix(r" \end{aligned}").split(r" \\ ")
    assert len(rows) == sizes[layer]
    inputs = (
        ["x_1", "x_2"] if layer == 1 else [f"z^{{({layer - 1})}}_{m}" for m in range(1, sizes[layer - 1] + 1)]
    )
    for n, row in enumerate(rows, start=1):
        weights = re.findall(rf"w\^\{{\({layer}\)\}}_\{{(\d)(\d)\}} (\S+)", row)
        assert weights == [(str(n), str(m), x) for m, x in enumerate(inputs, start=1)]
        assert row.startswith(f"a^{{({layer})}}_{n} &=") and row.endswith(f"+ b^{{({layer})}}_{n}")


def test_layer_outputs_name_every_neuron():
    assert notation.layer_outputs(1, (2, 3)) == r"z^{(1)}_n = h(a^{(1)}_n) \quad (n = 1, 2, 3)"
    assert notation.layer_outputs(1, (2, 2), activation=r"\sigma", output="y").startswith(
        r"y_n = \sigma(a^{(1)}_n)"
    )


def test_weight_matrix_is_laid_out_like_the_numpy_array():
    latex = notation.weight_matrix(1, (2, 3))
    rows = latex.removeprefix(r"\begin{pmatrix} ").removesuffix(r" \end{pmatrix}").split(r" \\ ")
    # W1[m-1, n-1] is the weight from input m to neuron n: row m, column n holds w_{nm}
    assert rows == [" & ".join(f"w^{{(1)}}_{{{n}{m}}}" for n in (1, 2, 3)) for m in (1, 2)]


def test_cross_entropy_takes_label_indices_as_well_as_one_hot():
    y = np.array([[0.1, 0.6, 0.3], [0.7, 0.2, 0.1]])
    labels = np.array([1, 0])
    assert cross_entropy_error(y, labels) == pytest.approx(cross_entropy_error(y, np.eye(3)[labels]))
    assert cross_entropy_error(y, labels) == pytest.approx(-(np.log(0.6) + np.log(0.7)) / 2, rel=1e-6)
    assert cross_entropy_error(y[0], np.array(1)) == pytest.approx(-np.log(0.6), rel=1e-6)


def test_too_large_a_learning_rate_really_diverges_and_never_freezes():
    """The original table's η = 10 row had frozen (x ± h rounded back to x, gradient 0), not diverged."""
    from zerodl.example_functions import LEARNING_RATES

    too_large, good, too_small = LEARNING_RATES
    _, path = gradient_descent(function_2, DESCENT_START, lr=too_large, step_num=DESCENT_STEPS)
    distance = np.linalg.norm(path, axis=1)
    assert np.all(np.diff(distance) > 0)  # every step lands farther from the minimum
    assert np.all(np.diff(function_2(path)) > 0)
    # the gradient never vanished (x ± h never rounded back to x)
    assert all(np.all(numerical_gradient(function_2, p.copy()) != 0) for p in path)
    assert function_2(gradient_descent(function_2, DESCENT_START, lr=good, step_num=DESCENT_STEPS)[0]) < 0.01
    x, _ = gradient_descent(function_2, DESCENT_START, lr=too_small, step_num=DESCENT_STEPS)
    np.testing.assert_allclose(x, DESCENT_START, rtol=1e-6)


def test_simple_net_gradient_points_uphill_for_the_loss():
    from zerodl.simple_net import simpleNet

    net = simpleNet()
    x, t = np.array([0.6, 0.9]), np.array([0, 0, 1])
    dW = numerical_gradient(lambda W: net.loss(x, t), net.W)
    assert dW.shape == net.W.shape
    before = net.loss(x, t)
    net.W -= 0.1 * dW
    assert net.loss(x, t) < before
