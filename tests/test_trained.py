"""zerodl.trained: chapter 2 ends on the network chapter 4 trains, trained once per build through the memo."""

import json
import os
import re

import numpy as np
import pytest

from conftest import ROOT

SNAPSHOTS = ROOT / "slides" / "snapshots"
DEFAULT_DATA = os.environ.get("ZERODL_MNIST", "") in ("", "5k")


def snapshot_outputs(chapter: str) -> list[str]:
    cells = json.loads((SNAPSHOTS / f"{chapter}.json").read_text(encoding="utf-8"))["cells"]
    return [line for cell in cells for line in cell["output"]]


def chapter4_final_test_accuracy() -> float:
    """The number the chapter-4 slide prints after its own training run (read from its snapshot)."""
    line = next(line for line in snapshot_outputs("ch4_backpropagation") if "最後のテスト正解率" in line)
    return float(line.split()[-1])


def test_two_calls_in_one_build_train_once(tmp_path, monkeypatch):
    import zerodl.trained as trained

    calls = []

    def counting_train(network, data, **settings):
        calls.append(settings)
        return {"loss": [1.0], "train_acc": [0.5], "test_acc": [0.5]}

    monkeypatch.setattr(trained, "train", counting_train)
    monkeypatch.setenv("DECKBUILD_MEMO_DIR", str(tmp_path / "memo"))
    first = trained.trained_two_layer_net()
    second = trained.trained_two_layer_net()
    assert len(calls) == 1
    assert first["history"] == second["history"]
    assert all(np.array_equal(first["params"][k], second["params"][k]) for k in first["params"])


def test_it_trains_with_chapter_4s_settings(tmp_path, monkeypatch):
    import zerodl.trained as trained
    from zerodl import training

    seen = []
    monkeypatch.setattr(
        trained,
        "train",
        lambda network, data, **settings: seen.append((network.params["W1"].shape, settings)) or {},
    )
    monkeypatch.delenv("DECKBUILD_MEMO_DIR", raising=False)
    trained.trained_two_layer_net()
    expected = dict(
        epochs=training.EPOCHS, batch_size=training.BATCH_SIZE, learning_rate=training.LEARNING_RATE
    )
    assert seen == [((784, training.HIDDEN_SIZE), expected)]


@pytest.mark.skipif(not DEFAULT_DATA, reason="the snapshots hold the 5k data set's numbers")
def test_its_accuracy_is_the_one_chapter_4_reports(monkeypatch):
    """Trained in this process (no memo): the same network as chapter 4's slide, so the same test accuracy."""
    from zerodl.mnist import load_mnist
    from zerodl.trained import predict, trained_two_layer_net

    monkeypatch.delenv("DECKBUILD_MEMO_DIR", raising=False)
    result = trained_two_layer_net()
    _, (x_test, t_test) = load_mnist(normalize=True, flatten=True)
    accuracy = np.mean(np.argmax(predict(result["params"], x_test), axis=1) == t_test)
    reported = chapter4_final_test_accuracy()
    assert accuracy == pytest.approx(reported, abs=5e-4)  # the slide prints three decimals
    assert result["history"]["test_acc"][-1] == pytest.approx(reported, abs=5e-4)


@pytest.mark.skipif(not DEFAULT_DATA, reason="the snapshots hold the 5k data set's numbers")
def test_chapter_2_shows_the_accuracy_chapter_4_reports():
    line = next(line for line in snapshot_outputs("ch2_neural_network") if line.startswith("テスト画像"))
    assert float(re.search(r"正解率 ([0-9.]+)", line)[1]) == chapter4_final_test_accuracy()


def test_the_learning_curve_figure_reads_the_shared_run():
    script = (ROOT / "figures_src" / "mnist_plots.py").read_text(encoding="utf-8")
    assert "trained_two_layer_net()" in script
    assert "train(" not in script  # no second training run of its own
