"""Chapter 5's code: the optimizers' first steps derived by hand, BatchNormalization and Dropout against
numerical gradients, MultiLayerNet's gradients (weight decay, BN), init_scale, fit() and the cheap experiments.

Everything here is tiny and float64 where gradients are checked; the memoized MNIST runs are never called.
"""

from math import sqrt

import numpy as np
import pytest

from zerodl.layers import BatchNormalization, Dropout
from zerodl.multi_layer_net import MultiLayerNet, init_scale
from zerodl.numerical import numerical_gradient, relative_error
from zerodl.optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from zerodl.techniques import (
    TRAJECTORY_START,
    TRAJECTORY_STEPS,
    hidden_activations,
    sample_hyperparameters,
    split_validation,
    trajectories,
    trajectory,
)
from zerodl.trainer import fit

OPTIMIZER_CLASSES = [SGD, Momentum, AdaGrad, RMSProp, Adam]

# ---- the optimizers' first two steps, derived by hand ------------------------------------------------------
#
# One parameter vector a = (1, -2); the first gradient g1 = (0.5, -4), the second g2 = (1, 2); lr = 0.1.
START = (1.0, -2.0)
G1 = (0.5, -4.0)
G2 = (1.0, 2.0)
LR = 0.1
EPS = 1e-7  # every adaptive optimizer's default eps


def two_steps(optimizer):
    """Apply g1 then g2 to a = (1, -2); return a after each step."""
    params = {"a": np.array(START)}
    after = []
    for g in (G1, G2):
        optimizer.update(params, {"a": np.array(g)})
        after.append(params["a"].copy())
    return after


def test_sgd_first_steps_by_hand():
    # a ← a - lr·g:  a1 = (1 - 0.05, -2 + 0.4) = (0.95, -1.6);  a2 = (0.95 - 0.1, -1.6 - 0.2) = (0.85, -1.8)
    a1, a2 = two_steps(SGD(lr=LR))
    np.testing.assert_allclose(a1, [0.95, -1.6], rtol=1e-12)
    np.testing.assert_allclose(a2, [0.85, -1.8], rtol=1e-12)


def test_momentum_first_steps_by_hand():
    # v1 = α·0 - lr·g1 = (-0.05, 0.4)                        a1 = a0 + v1 = (0.95, -1.6)
    # v2 = α·v1 - lr·g2 = (-0.045 - 0.1, 0.36 - 0.2) = (-0.145, 0.16)   a2 = a1 + v2 = (0.805, -1.44)
    a1, a2 = two_steps(Momentum(lr=LR, momentum=0.9))
    np.testing.assert_allclose(a1, [0.95, -1.6], rtol=1e-12)
    np.testing.assert_allclose(a2, [0.805, -1.44], rtol=1e-12)


def test_adagrad_first_steps_by_hand():
    # h1 = g1² = (0.25, 16); step = lr·g/(√h + eps) = 0.1·(0.5/0.5, -4/4) ≈ (0.1, -0.1)  →  a1 ≈ (0.9, -1.9)
    # h2 = h1 + g2² = (1.25, 20); step = 0.1·(1/√1.25, 2/√20) = (0.0894427, 0.0447214)  →  a2 ≈ (0.8105573, -1.9447214)
    a1, a2 = two_steps(AdaGrad(lr=LR))
    step1 = [LR * 0.5 / (0.5 + EPS), LR * -4 / (4 + EPS)]
    np.testing.assert_allclose(a1, [1 - step1[0], -2 - step1[1]], rtol=1e-12)
    step2 = [LR * 1 / (sqrt(1.25) + EPS), LR * 2 / (sqrt(20) + EPS)]
    np.testing.assert_allclose(a2, [a1[0] - step2[0], a1[1] - step2[1]], rtol=1e-12)
    np.testing.assert_allclose(a2, [0.8105573, -1.9447214], atol=1e-7)


def test_rmsprop_first_steps_by_hand():
    # ρ = 0.99.  h1 = (1-ρ)·g1² = (0.0025, 0.16), √h1 = (0.05, 0.4)
    #   step = lr·g/√h = 0.1·(0.5/0.05, -4/0.4) = (1, -1): ten times SGD-size, since √(1-ρ) = 0.1  →  a1 = (0, -1)
    # h2 = ρ·h1 + (1-ρ)·g2² = (0.002475 + 0.01, 0.1584 + 0.04) = (0.012475, 0.1984)
    #   step = 0.1·(1/√0.012475, 2/√0.1984) = (0.8953230, 0.4490133)  →  a2 = (-0.8953230, -1.4490133)
    a1, a2 = two_steps(RMSProp(lr=LR, decay_rate=0.99))
    np.testing.assert_allclose(a1, [1 - LR * 0.5 / (0.05 + EPS), -2 - LR * -4 / (0.4 + EPS)], atol=1e-14)
    np.testing.assert_allclose(a1, [0.0, -1.0], atol=1e-5)
    h2 = np.array([0.012475, 0.1984])
    np.testing.assert_allclose(a2, a1 - LR * np.array(G2) / (np.sqrt(h2) + EPS), rtol=1e-12)
    np.testing.assert_allclose(a2, [-0.8953230, -1.4490133], atol=1e-5)  # eps leaves a1[0] at 2e-6, not 0


def test_adam_first_steps_by_hand():
    # β1 = 0.9, β2 = 0.999.
    # t=1: m1 = 0.1·g1, v1 = 0.001·g1²;  m̂ = m1/(1-0.9) = g1, v̂ = v1/(1-0.999) = g1²
    #   step = lr·g1/(|g1| + eps) ≈ lr·sign(g1) = (0.1, -0.1)  →  a1 ≈ (0.9, -1.9), whatever |g1| is
    # t=2: m2 = 0.9·m1 + 0.1·g2 = (0.045 + 0.1, -0.36 + 0.2) = (0.145, -0.16);  m̂ = m2/(1-0.81) = m2/0.19
    #      v2 = 0.999·v1 + 0.001·g2² = (0.00024975 + 0.001, 0.015984 + 0.004) = (0.00124975, 0.019984)
    #      v̂ = v2/(1-0.999²) = v2/0.001999
    #   step = 0.1·m̂/√v̂ = (0.0965182, -0.0266337)  →  a2 = (0.8034818, -1.8733663)
    a1, a2 = two_steps(Adam(lr=LR, beta1=0.9, beta2=0.999))
    np.testing.assert_allclose(a1, [1 - LR * 0.5 / (0.5 + EPS), -2 + LR * 4 / (4 + EPS)], rtol=1e-12)
    m_hat = np.array([0.145, -0.16]) / 0.19
    v_hat = np.array([0.00124975, 0.019984]) / 0.001999
    np.testing.assert_allclose(a2, a1 - LR * m_hat / (np.sqrt(v_hat) + EPS), rtol=1e-12)
    np.testing.assert_allclose(a2, [0.8034818, -1.8733663], atol=1e-6)


def test_adam_bias_correction_makes_the_first_step_lr_whatever_the_gradient_scale():
    # Without the correction the first step would be lr·(1-β1)·g/(√(1-β2)·|g|) = lr·0.1/0.0316 ≈ 3.16·lr.
    # With it, m̂ = g and v̂ = g², so the step is lr·g/(|g| + eps): lr in size, the same for g and 1000·g.
    lr = 0.01
    g = np.array([0.003, -0.2, 5.0])
    steps = []
    for scale in (1.0, 1000.0):
        params = {"w": np.zeros(3)}
        Adam(lr=lr).update(params, {"w": scale * g})
        steps.append(-params["w"])
    np.testing.assert_allclose(steps[0], lr * g / (np.abs(g) + EPS), rtol=1e-12)
    np.testing.assert_allclose(steps[0], steps[1], rtol=1e-4)  # eps is all that differs
    uncorrected = lr * (1 - 0.9) / sqrt(1 - 0.999)
    assert uncorrected == pytest.approx(3.162 * lr, rel=1e-3)
    assert np.all(np.abs(steps[0]) < 1.01 * lr)


@pytest.mark.parametrize("optimizer_class", OPTIMIZER_CLASSES, ids=lambda c: c.__name__)
def test_optimizers_update_the_network_in_place_and_keep_float32(optimizer_class):
    network = MultiLayerNet(4, [5], 3, use_batchnorm=True, seed=1)  # float32 by default
    held = {name: (layer.W, layer.b) for name, layer in network.layers.items() if name.startswith("Affine")}
    before = {key: value.copy() for key, value in network.params.items()}
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    t = np.eye(3, dtype=np.float32)[[0, 1, 2, 0, 1, 2]]
    optimizer = optimizer_class(lr=0.1)
    for _ in range(3):
        optimizer.update(network.params, network.gradient(x, t))
    for i, name in enumerate(held, start=1):
        assert network.params[f"W{i}"] is held[name][0] and network.params[f"b{i}"] is held[name][1]
    assert network.layers["BatchNorm1"].gamma is network.params["gamma1"]
    for key, value in network.params.items():
        assert value.dtype == np.float32, key
        if key != "b1":  # the bias before a BN layer has gradient 0 and rightly stays put
            assert not np.array_equal(value, before[key]), f"{key} was not updated"


# ---- BatchNormalization and Dropout against numerical gradients ------------------------------------------


def probe(out, weights):
    """L = sum(out · weights), so dL/dout = weights: any upstream gradient can be injected."""
    return float(np.sum(out * weights))


def test_batchnorm_backward_matches_numerical_gradients_in_train_mode():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 4)) * 2 + 1
    gamma, beta = rng.standard_normal(4), rng.standard_normal(4)
    upstream = rng.standard_normal((6, 4))
    layer = BatchNormalization(gamma, beta)
    layer.forward(x)
    dx = layer.backward(upstream)
    loss = lambda _: probe(layer.forward(x), upstream)  # noqa: E731  gamma, beta are moved in place
    assert (
        relative_error(dx, numerical_gradient(lambda v: probe(layer.forward(v), upstream), x.copy())) < 1e-5
    )
    assert relative_error(layer.dgamma, numerical_gradient(loss, gamma)) < 1e-5
    assert relative_error(layer.dbeta, numerical_gradient(loss, beta)) < 1e-5


def test_batchnorm_inference_uses_the_running_statistics_row_by_row():
    rng = np.random.default_rng(4)
    gamma, beta = rng.standard_normal(3), rng.standard_normal(3)
    layer = BatchNormalization(gamma, beta, momentum=0.9)
    first = rng.standard_normal((8, 3)) + 5
    layer.forward(first)
    # running mean starts at 0 and moves 10% of the way to the batch mean; running var starts at 1
    np.testing.assert_allclose(layer.running_mean, 0.1 * first.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(layer.running_var, 0.9 + 0.1 * first.var(axis=0), rtol=1e-12)
    for _ in range(5):
        layer.forward(rng.standard_normal((8, 3)) + 5)
    batch = rng.standard_normal((5, 3)) * 10
    out = layer.forward(batch, train_flg=False)
    expected = gamma * (batch - layer.running_mean) / np.sqrt(layer.running_var + layer.eps) + beta
    np.testing.assert_allclose(out, expected, rtol=1e-12)
    for i in range(len(batch)):  # a row alone, or among other rows, comes out the same
        np.testing.assert_allclose(layer.forward(batch[i : i + 1], train_flg=False)[0], out[i], rtol=1e-12)
    other = batch.copy()
    other[1:] = rng.standard_normal((4, 3)) * 100
    np.testing.assert_allclose(layer.forward(other, train_flg=False)[0], out[0], rtol=1e-12)


def test_dropout_backward_passes_dout_through_the_mask_and_matches_numerical_gradients():
    rng = np.random.default_rng(5)
    x, upstream = rng.standard_normal((6, 5)), rng.standard_normal((6, 5))
    layer = Dropout(0.4, seed=7)
    out = layer.forward(x)
    mask = layer.mask.copy()
    assert 0 < mask.sum() < mask.size
    np.testing.assert_array_equal(out, np.where(mask, x, 0.0))
    dx = layer.backward(upstream)
    np.testing.assert_array_equal(dx, upstream * mask)
    # a fresh layer with the same seed draws the same mask at every evaluation: the mask stays frozen
    frozen = lambda v: probe(Dropout(0.4, seed=7).forward(v), upstream)  # noqa: E731
    assert relative_error(dx, numerical_gradient(frozen, x.copy())) < 1e-7


def test_dropout_inference_scales_and_training_keeps_one_minus_ratio():
    x = np.random.default_rng(6).standard_normal((4, 3))
    layer = Dropout(0.3, seed=0)
    np.testing.assert_allclose(layer.forward(x, train_flg=False), x * 0.7, rtol=1e-15)
    layer.forward(np.ones((400, 250)))
    assert layer.mask.mean() == pytest.approx(0.7, abs=0.01)  # 100,000 draws: σ ≈ 0.0015


# ---- MultiLayerNet ----------------------------------------------------------------------------------------


def tiny_problem(n=6, n_in=4, n_out=3, seed=8):
    """Small inputs keep every softmax output well above 0: the loss is -log(y + 1e-7), and its slope departs
    from the backward pass's y - t by a relative 1e-7/y, which would be ~1e-4 for a confident wrong class."""
    rng = np.random.default_rng(seed)
    x = 0.3 * rng.standard_normal((n, n_in))
    t = np.eye(n_out)[rng.integers(0, n_out, n)]
    return x, t


def check_gradients(network, x, t):
    analytic = network.gradient(x, t)
    numeric = network.numerical_gradient(x, t)
    assert analytic.keys() == network.params.keys()
    for key in network.params:
        if key.startswith("b") and f"BatchNorm{key[1:]}" in network.layers:
            # BN subtracts the batch mean, so the bias just before it cannot change the loss: 0 both ways
            assert np.max(np.abs(analytic[key])) < 1e-12, key
            assert np.max(np.abs(numeric[key])) < 1e-7, key
        else:
            assert relative_error(analytic[key], numeric[key]) < 1e-5, key


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"weight_decay_lambda": 0.3},
        {"use_batchnorm": True},
        {"use_batchnorm": True, "weight_decay_lambda": 0.3},
        {"activation": "sigmoid", "weight_init_std": "xavier"},
    ],
    ids=["plain", "weight-decay", "batchnorm", "batchnorm+weight-decay", "sigmoid+xavier"],
)
def test_multi_layer_net_gradients_match_numerical_ones(options):
    x, t = tiny_problem()
    network = MultiLayerNet(4, [5, 4], 3, seed=2, dtype=np.float64, **options)
    check_gradients(network, x, t)


def test_weight_decay_adds_half_lambda_w_squared_to_the_loss_and_lambda_w_to_the_gradient():
    x, t = tiny_problem()
    lam = 0.3
    plain = MultiLayerNet(4, [5, 4], 3, seed=2, dtype=np.float64)
    decayed = MultiLayerNet(4, [5, 4], 3, seed=2, dtype=np.float64, weight_decay_lambda=lam)
    penalty = lam / 2 * sum(np.sum(plain.params[f"W{i}"] ** 2) for i in (1, 2, 3))
    assert decayed.loss(x, t) == pytest.approx(plain.loss(x, t) + penalty, rel=1e-12)
    g_plain, g_decayed = plain.gradient(x, t), decayed.gradient(x, t)
    for i in (1, 2, 3):
        np.testing.assert_allclose(
            g_decayed[f"W{i}"], g_plain[f"W{i}"] + lam * plain.params[f"W{i}"], rtol=1e-12
        )
        np.testing.assert_allclose(g_decayed[f"b{i}"], g_plain[f"b{i}"], rtol=1e-12)


def test_layers_are_held_by_name_in_forward_order():
    network = MultiLayerNet(4, [5, 4], 3, use_batchnorm=True, use_dropout=True)
    assert list(network.layers) == [
        "Affine1",
        "BatchNorm1",
        "Relu1",
        "Dropout1",
        "Affine2",
        "BatchNorm2",
        "Relu2",
        "Dropout2",
        "Affine3",
    ]
    assert list(network.params) == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    sigmoid = MultiLayerNet(4, [5], 3, activation="sigmoid")
    assert list(sigmoid.layers) == ["Affine1", "Sigmoid1", "Affine2"]


def test_init_scale_he_xavier_and_a_plain_number():
    assert init_scale("he", 50) == pytest.approx(0.2, rel=1e-12)  # √(2/50)
    assert init_scale("xavier", 100) == pytest.approx(0.1, rel=1e-12)  # √(1/100)
    assert init_scale(0.01, 784) == 0.01
    network = MultiLayerNet(200, [300], 10, weight_init_std="he")
    assert np.std(network.params["W1"]) == pytest.approx(sqrt(2 / 200), rel=0.02)  # 60,000 draws
    assert np.std(network.params["W2"]) == pytest.approx(sqrt(2 / 300), rel=0.05)  # 3,000 draws
    network = MultiLayerNet(200, [300], 10, weight_init_std="xavier")
    assert np.std(network.params["W1"]) == pytest.approx(sqrt(1 / 200), rel=0.02)


# ---- fit() ------------------------------------------------------------------------------------------------


def separable_data(seed=0):
    """Two classes of 2-D points split by the line x + y = 0, kept 0.2 away from it."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (400, 2))
    x = x[np.abs(x.sum(axis=1)) > 0.2][:300]
    t = np.eye(2)[(x.sum(axis=1) > 0).astype(int)]
    return (x[:200], t[:200]), (x[200:], t[200:])


def run_fit(epochs=5, eval_every=1):
    network = MultiLayerNet(2, [8], 2, seed=0, dtype=np.float64)
    history = fit(network, SGD(lr=0.2), separable_data(), epochs=epochs, batch_size=20, eval_every=eval_every)
    return network, history


def test_fit_records_one_loss_per_update_and_one_accuracy_per_epoch_plus_the_start():
    _, history = run_fit(epochs=3)
    assert len(history["loss"]) == 3 * (200 // 20)
    assert len(history["train_acc"]) == len(history["test_acc"]) == 3 + 1
    assert history["epoch"] == [0, 1, 2, 3]


def test_fit_can_measure_accuracy_every_few_epochs_and_always_at_the_last():
    _, every = run_fit(epochs=7, eval_every=3)
    _, all_epochs = run_fit(epochs=7)
    assert every["epoch"] == [0, 3, 6, 7]
    assert every["loss"] == all_epochs["loss"]  # measuring less often changes nothing of the training
    assert every["test_acc"] == [all_epochs["test_acc"][e] for e in every["epoch"]]


def test_fit_is_deterministic_and_learns_a_separable_problem():
    network_a, history_a = run_fit()
    network_b, history_b = run_fit()
    assert history_a == history_b
    for key in network_a.params:
        np.testing.assert_array_equal(network_a.params[key], network_b.params[key])
    loss = history_a["loss"]
    assert np.mean(loss[-10:]) < 0.5 * np.mean(loss[:10])
    assert history_a["test_acc"][-1] > 0.9 > history_a["test_acc"][0]


# ---- the cheap experiments in techniques.py ---------------------------------------------------------------


def test_trajectory_starts_at_the_start_and_takes_its_first_sgd_step_by_hand():
    path = trajectory(SGD(lr=0.95))
    assert path.shape == (TRAJECTORY_STEPS + 1, 2)
    assert tuple(path[0]) == TRAJECTORY_START
    x, y = TRAJECTORY_START
    # f = x²/20 + y²:  ∂f/∂x = x/10, ∂f/∂y = 2y;  at (-7, 2) that is (-0.7, 4), so SGD moves to (-6.335, -1.8)
    np.testing.assert_allclose(path[1], [x - 0.95 * x / 10, y - 0.95 * 2 * y], rtol=1e-12)
    np.testing.assert_allclose(path[1], [-6.335, -1.8], rtol=1e-12)


def test_trajectories_first_steps_by_hand_and_all_end_near_the_minimum():
    paths = trajectories()
    # at (-7, 2) the gradient is (-0.7, 4).  Momentum (lr 0.1): v1 = -lr·g, the SGD step → (-6.93, 1.6).
    # AdaGrad (lr 1.5) and Adam (lr 0.3) move each coordinate by lr·sign(g) first → (-5.5, 0.5), (-6.7, 1.7).
    np.testing.assert_allclose(paths["Momentum"][1], [-7 + 0.1 * 0.7, 2 - 0.1 * 4], rtol=1e-12)
    np.testing.assert_allclose(paths["AdaGrad"][1], [-5.5, 0.5], rtol=1e-6)
    np.testing.assert_allclose(paths["Adam"][1], [-6.7, 1.7], rtol=1e-6)
    for name, path in paths.items():
        assert path.shape == (TRAJECTORY_STEPS + 1, 2), name
        assert np.hypot(*path[-1]) < 0.15 * np.hypot(*TRAJECTORY_START), name  # the minimum is (0, 0)


def test_split_validation_is_disjoint_sized_and_deterministic():
    x = np.arange(50).reshape(50, 1) * 2
    t = x[:, 0] * 10  # labels stay paired with their rows
    (x_train, t_train), (x_val, t_val) = split_validation(x, t, validation_rate=0.2, seed=0)
    assert len(x_val) == 10 and len(x_train) == 40
    assert sorted(np.concatenate([x_train[:, 0], x_val[:, 0]]).tolist()) == x[:, 0].tolist()
    np.testing.assert_array_equal(t_train, x_train[:, 0] * 10)
    np.testing.assert_array_equal(t_val, x_val[:, 0] * 10)
    again = split_validation(x, t, validation_rate=0.2, seed=0)
    np.testing.assert_array_equal(again[1][0], x_val)
    assert not np.array_equal(x_val, x[:10])  # shuffled, not just the head
    assert not np.array_equal(split_validation(x, t, validation_rate=0.2, seed=1)[1][0], x_val)


def test_sample_hyperparameters_are_uniform_in_log10():
    rng = np.random.default_rng(0)
    samples = np.log10([sample_hyperparameters(rng) for _ in range(4000)])
    for column, (low, high) in enumerate([(-6, -2), (-8, -4)]):
        exponents = samples[:, column]
        assert low <= exponents.min() < low + 0.02 and high - 0.02 < exponents.max() <= high
        counts, _ = np.histogram(exponents, bins=4, range=(low, high))  # one bin per power of ten
        np.testing.assert_allclose(counts / len(exponents), 0.25, atol=0.03)


def test_hidden_activations_keep_their_spread_with_he_and_vanish_with_a_small_std():
    he = hidden_activations("relu", "he", n_samples=300)
    assert len(he) == 5 and all(a.shape == (300, 100) for a in he)
    assert 0.5 < np.std(he[-1]) / np.std(he[0]) < 2
    small = hidden_activations("relu", 0.01, n_samples=300)
    assert np.std(small[-1]) < 1e-4 * np.std(small[0])
