"""The training comparison of `make bench`: the float64 baseline is the same algorithm as zerodl's (no timing here)."""

import numpy as np
import pytest

from bench import training as training_bench
from bench.training import BaselineNet, train_baseline
from zerodl.mnist import load_mnist
from zerodl.two_layer_net import TwoLayerNet


@pytest.fixture(scope="module")
def data():
    return load_mnist(normalize=True, flatten=True, one_hot_label=True)


@pytest.fixture(scope="module")
def result(data):
    return training_bench.run(epochs=2, repeats=1, data=data)


def test_both_learn_and_reach_the_same_test_accuracy(result):
    ours, baseline = result["ours"]["test_accuracy"], result["baseline"]["test_accuracy"]
    assert ours > 0.5 and baseline > 0.5
    assert abs(ours - baseline) <= 0.02
    assert result["accuracy_gap"] == pytest.approx(abs(ours - baseline))


def test_run_returns_what_main_prints(data, result):
    iter_per_epoch = len(data[0][0]) // 100  # batch 100
    for name in ("ours", "baseline"):
        row = result[name]
        assert set(row) == {"seconds", "iterations", "iterations_per_second", "test_accuracy"}
        assert row["iterations"] == 2 * iter_per_epoch
        assert row["iterations_per_second"] == pytest.approx(row["iterations"] / row["seconds"])
    assert result["speedup"] == pytest.approx(result["baseline"]["seconds"] / result["ours"]["seconds"])


def test_main_prints_one_line_per_figure(result, monkeypatch, capsys):
    monkeypatch.setattr(training_bench, "measure", lambda epochs, repeats, threads=None: result)
    code = training_bench.main(["--epochs", "2"])
    lines = capsys.readouterr().out.splitlines()
    assert code == (
        0 if result["speedup"] >= training_bench.SPEEDUP and result["accuracy_gap"] <= 0.01 else 1
    )
    rows = [line for line in lines if "(float32)" in line or "(float64)" in line]
    assert len(rows) == 4  # two implementations, one BLAS thread and the default
    assert any(line.split()[1:3] == ["test", "accuracy"] for line in lines)
    assert sum(line.startswith(("ok  ", "FAIL")) for line in lines) == 2


def test_baseline_starts_from_the_same_weights_in_float64():
    ours, baseline = TwoLayerNet(784, 50, 10), BaselineNet(784, 50, 10)
    for key, param in baseline.params.items():
        assert param.dtype == np.float64
        np.testing.assert_array_equal(param.astype(np.float32), ours.params[key])


def test_baseline_is_float64_and_runs_forward_twice_per_iteration(data, monkeypatch):
    (x_train, t_train), (x_test, t_test) = data
    seen = []
    predict = BaselineNet.predict

    def counting(self, x):
        seen.append(x.dtype)
        return predict(self, x)

    monkeypatch.setattr(BaselineNet, "predict", counting)
    network = BaselineNet(784, 50, 10)
    _, test_acc, loss = train_baseline(network, x_train, t_train, x_test, t_test, 1, 100, 0.1)
    iterations = len(x_train) // 100
    # gradient() and the loss for the log each run forward once; accuracy twice before and after the epoch
    assert len(seen) == 2 * iterations + 2 + 2
    assert set(seen) == {np.dtype(np.float64)}
    assert len(loss) == iterations and all(np.asarray(v).dtype == np.float64 for v in loss)
    assert all(p.dtype == np.float64 for p in network.params.values())
    assert len(test_acc) == 2


def test_ceiling_replays_each_sides_products_with_their_shapes(monkeypatch):
    seen = []
    dot = np.dot

    def counting(a, b):
        seen.append((a.shape, b.shape, a.dtype))
        return dot(a, b)

    monkeypatch.setattr(np, "dot", counting)
    shape = dict(sizes=(784, 50, 10), batch_size=100, iterations=3, eval_rows=7, evaluations=2, repeats=1)
    training_bench.product_seconds(np.float64, forward_passes=2, **shape)
    baseline, seen[:] = list(seen), []
    training_bench.product_seconds(np.float32, forward_passes=1, **shape)
    ours = seen
    # per iteration: 2 products per forward pass, then dW and dx of both Affine layers; 2 per evaluation
    assert len(baseline) == 3 * (2 * 2 + 4) + 2 * 2
    assert len(ours) == 3 * (2 * 1 + 4) + 2 * 2
    assert {s[2] for s in baseline} == {np.dtype(np.float64)} and {s[2] for s in ours} == {
        np.dtype(np.float32)
    }
    assert ((100, 784), (784, 50)) in [s[:2] for s in ours]  # the batch through W1
    assert ((784, 100), (100, 50)) in [s[:2] for s in ours]  # dW1 = x^T · dout
    assert ((7, 784), (784, 50)) in [s[:2] for s in ours]  # an evaluation
