"""The CNN comparison of `make bench`: the float64 baseline is the same algorithm as zerodl's (no timing here)."""

import numpy as np
import pytest

from bench import cnn_training
from bench.cnn_training import BaselineConvNet, Convolution, Pooling, matmul_flops, train_baseline
from zerodl.cnn_examples import EXAMPLE_FILTER, EXAMPLE_INPUT, POOL_INPUT, convolve2d, max_pool2d
from zerodl.mnist import load_mnist
from zerodl.numerical import numerical_gradient
from zerodl.optimizers import Adam
from zerodl.simple_conv_net import SimpleConvNet
from zerodl.trainer import fit

TINY = dict(input_dim=(1, 6, 6), filter_num=2, filter_size=3, hidden_size=4, output_size=3)


@pytest.fixture(scope="module")
def small():
    """300 training and 100 test digits."""
    (x_train, t_train), (x_test, t_test) = load_mnist(normalize=True, flatten=False, one_hot_label=True)
    return (x_train[:300], t_train[:300]), (x_test[:100], t_test[:100])


@pytest.fixture(scope="module")
def result(small):
    with pytest.MonkeyPatch.context() as patch:  # the 1024×1024 products would take longer than the run
        patch.setattr(cnn_training, "matmul_peak", lambda: 80e9)
        return cnn_training.run(epochs=1, repeats=1, data=small, batch_size=10)  # 30 small updates


def test_baseline_layers_compute_the_worked_examples():
    conv = Convolution(EXAMPLE_FILTER[None, None].astype(float), np.zeros(1))
    out = conv.forward(EXAMPLE_INPUT[None, None].astype(float))
    np.testing.assert_array_equal(out[0, 0], convolve2d(EXAMPLE_INPUT, EXAMPLE_FILTER))
    pool = Pooling(2, 2, stride=2)
    np.testing.assert_array_equal(
        pool.forward(POOL_INPUT[None, None].astype(float))[0, 0], max_pool2d(POOL_INPUT)
    )
    assert out.dtype == np.float64


def test_baseline_gradient_matches_the_numerical_one():
    network = BaselineConvNet(**TINY, weight_init_std=0.5, seed=1)
    rng = np.random.default_rng(2)
    x = rng.random((3, 1, 6, 6))
    t = np.eye(3)[[0, 2, 1]]
    grads = network.gradient(x, t)
    for key, param in network.params.items():
        numerical = numerical_gradient(lambda _: network.loss(x, t), param)
        assert grads[key].dtype == np.float64
        np.testing.assert_allclose(grads[key], numerical, atol=1e-7, rtol=1e-5, err_msg=key)
        assert np.abs(grads[key]).max() > 1e-4  # the check compares something


def test_baseline_starts_from_simple_conv_nets_weights_in_float64():
    for shape in ({}, TINY):  # the default net, and another shape: same draws in the same order
        ours, baseline = SimpleConvNet(**shape), BaselineConvNet(**shape)
        assert list(baseline.params) == list(ours.params)
        for key, param in baseline.params.items():
            assert param.dtype == np.float64
            np.testing.assert_array_equal(param.astype(np.float32), ours.params[key])


def test_both_sides_train_on_the_same_batches_to_the_same_weights(small, monkeypatch):
    (x_train, t_train), _ = small
    data = ((x_train[:100], t_train[:100]), (small[1][0][:50], small[1][1][:50]))  # 2 updates of 50
    seen = {"ours": [], "baseline": []}
    predicts = []
    ours_gradient, baseline_gradient = SimpleConvNet.gradient, BaselineConvNet.gradient
    baseline_predict = BaselineConvNet.predict

    def record(name, gradient):
        def wrapped(self, x, t):
            seen[name].append(x.copy())
            return gradient(self, x, t)

        return wrapped

    def counting(self, x):
        predicts.append(x.dtype)
        return baseline_predict(self, x)

    monkeypatch.setattr(SimpleConvNet, "gradient", record("ours", ours_gradient))
    monkeypatch.setattr(BaselineConvNet, "gradient", record("baseline", baseline_gradient))
    monkeypatch.setattr(BaselineConvNet, "predict", counting)
    ours, baseline = SimpleConvNet(), BaselineConvNet()
    fit(ours, Adam(lr=0.001), data, epochs=1, batch_size=50, eval_every=1)
    _, _, loss = train_baseline(baseline, data, epochs=1, batch_size=50)

    assert len(seen["ours"]) == len(seen["baseline"]) == 2
    for x_ours, x_baseline in zip(seen["ours"], seen["baseline"], strict=True):
        assert x_baseline.dtype == np.float64
        np.testing.assert_array_equal(x_baseline, x_ours.astype(np.float64))
    assert not np.array_equal(seen["ours"][0], seen["ours"][1])
    for key, param in baseline.params.items():  # Adam moved both the same way (float32 rounding aside)
        moved = np.abs(param - SimpleConvNet().params[key]).max()
        assert moved > 1e-4
        np.testing.assert_allclose(ours.params[key], param, atol=moved * 1e-2, err_msg=key)
    # the book's loop: forward in gradient() and again for the loss log; accuracy over 100 + 50 images
    # before and after, 100 at a time (one batch each)
    assert len(predicts) == 2 * 2 + 2 * (1 + 1)
    assert set(predicts) == {np.dtype(np.float64)}
    assert len(loss) == 2


def test_a_tiny_run_learns_and_both_reach_the_same_accuracy(small, result):
    ours, baseline = result["ours"]["test_accuracy"], result["baseline"]["test_accuracy"]
    assert ours > 0.2 and baseline > 0.2  # above chance (0.1) after 30 small updates
    assert result["accuracy_gap"] == pytest.approx(abs(ours - baseline))
    assert result["accuracy_gap"] <= cnn_training.ACCURACY_GAP


def test_run_returns_what_main_prints(small, result):
    for name in ("ours", "baseline"):
        row = result[name]
        assert set(row) == {"seconds", "iterations", "iterations_per_second", "test_accuracy"}
        assert row["iterations"] == 30
        assert row["iterations_per_second"] == pytest.approx(row["iterations"] / row["seconds"])
    assert result["speedup"] == pytest.approx(result["baseline"]["seconds"] / result["ours"]["seconds"])
    flops = 30 * matmul_flops(10) + 2 * matmul_flops(300 + 100, backward=False)
    assert result["gflops"] == pytest.approx(flops / result["ours"]["seconds"] / 1e9)
    assert result["peak_gflops"] == 80


def fake(speedup, gap):
    row = {"seconds": 1.0, "iterations": 80, "iterations_per_second": 80.0, "test_accuracy": 0.9}
    return {
        "ours": row,
        "baseline": {**row, "test_accuracy": 0.9 + gap},
        "speedup": speedup,
        "accuracy_gap": gap,
        "gflops": 20.0,
        "peak_gflops": 80.0,
    }


@pytest.mark.parametrize(
    ("speedup", "gap", "code", "failed"),
    [(6.0, 0.005, 0, 0), (4.9, 0.005, 1, 1), (6.0, 0.02, 1, 1), (4.0, 0.03, 1, 2)],
)
def test_main_judges_the_ratio_and_the_gap(monkeypatch, capsys, speedup, gap, code, failed):
    monkeypatch.setattr(cnn_training, "measure", lambda epochs, repeats, threads=1: fake(speedup, gap))
    assert cnn_training.main(["--epochs", "2"]) == code
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("FAIL") for line in lines) == failed
    assert sum(line.startswith(("ok  ", "FAIL")) for line in lines) == 2
    assert sum("(float32)" in line or "(float64)" in line for line in lines) == 2
    assert any("0.25 of this machine's float32 matrix-multiply peak" in line for line in lines)


@pytest.mark.parametrize("shape", [{}, TINY])
def test_flop_count_is_the_products_the_baseline_computes(monkeypatch, shape):
    products = []
    dot = np.dot

    def counting(a, b):
        products.append(2 * a.shape[0] * a.shape[1] * b.shape[1])
        return dot(a, b)

    monkeypatch.setattr(np, "dot", counting)
    network = BaselineConvNet(**shape)
    C, H, W = shape.get("input_dim", (1, 28, 28))
    x = np.zeros((7, C, H, W))
    t = np.eye(shape.get("output_size", 10))[np.zeros(7, dtype=int)]
    network.predict(x)
    assert sum(products) == matmul_flops(7, **shape, backward=False)
    products.clear()
    network.gradient(x, t)
    assert sum(products) == matmul_flops(7, **shape)


def test_flop_count_for_the_books_cnn():
    conv = 2 * 100 * (24 * 24) * (1 * 5 * 5) * 30  # 100 images, 24×24 positions, 25 weights, 30 filters
    affine = 2 * 100 * (30 * 12 * 12) * 100 + 2 * 100 * 100 * 10
    assert matmul_flops(100, backward=False) == conv + affine
    assert matmul_flops(100) == 3 * (conv + affine)


@pytest.mark.parametrize(("two_layer", "cnn", "code"), [(0, 0, 0), (0, 1, 1), (1, 0, 1)])
def test_make_bench_runs_and_judges_both_training_comparisons(monkeypatch, two_layer, cnn, code):
    from bench import decks, training

    calls = []
    monkeypatch.setattr(training, "main", lambda argv: calls.append(("2-layer", argv)) or two_layer)
    monkeypatch.setattr(cnn_training, "main", lambda argv: calls.append(("cnn", argv)) or cnn)
    assert decks.trainings(2) == code
    assert calls == [("2-layer", ["--repeat", "2"]), ("cnn", ["--repeat", "2"])]
