"""Chapter 5's figures draw techniques' own values: the optimizers' paths, the activation histograms, the smoothed
losses and the search's trials. The MNIST experiments are replaced by small synthetic records (they take seconds
to minutes); the figures that need no MNIST are drawn from the real functions."""

import sys
import warnings

import numpy as np
import pytest

from conftest import unreadable_figures
from deckbuild import ROOT

sys.path.insert(0, str(ROOT / "figures_src"))
import hyperparam_plots
import init_plots
import loss_curves
import optimizer_plots

import figstyle
from zerodl import techniques

FIGURES = {
    optimizer_plots: {"ch5_anisotropic", "ch5_trajectories", "ch5_optimizer_mnist"},
    init_plots: {"ch5_activation_sigmoid", "ch5_activation_relu", "ch5_init_mnist"},
    hyperparam_plots: {"ch5_search_trials", "ch5_search_scatter"},
}


def synthetic_history(epochs=10, updates_per_epoch=40, seed=0):
    """A fit() record: a noisy falling loss per update and an accuracy per epoch (0 = before training)."""
    rng = np.random.default_rng(seed)
    n = epochs * updates_per_epoch
    loss = 2.3 * np.exp(-np.arange(n) / (100 + 50 * seed)) + 0.02 + 0.05 * rng.random(n)
    accuracy = list(np.linspace(0.1, 0.9 - 0.05 * seed, epochs + 1))
    return {"loss": list(loss), "epoch": list(range(epochs + 1)), "train_acc": accuracy, "test_acc": accuracy}


def synthetic_trials(n=techniques.SEARCH_TRIALS, epochs=6, seed=0, every=2):
    """random_search()'s shape: lr and weight decay drawn on a log scale, best final validation accuracy first."""
    rng = np.random.default_rng(seed)
    trials = []
    for _ in range(n):
        lr, weight_decay = techniques.sample_hyperparameters(rng)
        final = rng.uniform(0.05, 0.95)
        epoch = [*range(0, epochs, every), epochs]  # fit(eval_every=every): every few epochs and the last
        val = list(np.linspace(0.1, final, len(epoch)))
        trials.append(
            {
                "lr": lr,
                "weight_decay": weight_decay,
                "epoch": epoch,
                "train_acc": [v + 0.02 for v in val],
                "val_acc": val,
            }
        )
    return sorted(trials, key=lambda t: t["val_acc"][-1], reverse=True)


@pytest.fixture
def no_mnist(monkeypatch):
    """The scripts' main() with the MNIST experiments replaced by synthetic records of the same shape."""
    monkeypatch.setattr(
        techniques,
        "compare_optimizers",
        lambda: {n: synthetic_history(seed=i % 3) for i, n in enumerate("ABCDE")},
    )
    monkeypatch.setattr(
        techniques, "compare_inits", lambda: {n: synthetic_history(seed=i) for i, n in enumerate("XYZ")}
    )
    monkeypatch.setattr(techniques, "random_search", synthetic_trials)


@pytest.mark.parametrize("script", list(FIGURES), ids=lambda m: m.__name__)
def test_every_figure_is_written_and_readable_at_the_widths_the_deck_shows_it(script, tmp_path, no_mnist):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a missing glyph (tofu) is a warning in matplotlib
        script.main(tmp_path)
    assert {p.name for p in tmp_path.iterdir()} == {f"{name}.svg" for name in FIGURES[script]}
    # the widths come from the slides (figure(…, width=W)); a figure no slide shows yet is not measured
    assert unreadable_figures(tmp_path) == []


def test_the_figures_are_byte_reproducible(tmp_path, no_mnist):
    optimizer_plots.main(tmp_path / "a")
    optimizer_plots.main(tmp_path / "b")
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


# ---- optimizer_plots ---------------------------------------------------------------------------------------


def test_each_panel_draws_its_optimizers_path_with_its_rate():
    figstyle.setup()
    paths = techniques.trajectories()
    drawn = optimizer_plots.drawn_paths(
        optimizer_plots.trajectories_figure(paths, techniques.TRAJECTORY_RATES)
    )
    assert len(drawn) == len(paths) == 4
    for name, path in paths.items():
        title = f"{name}（学習率 {techniques.TRAJECTORY_RATES[name]:g}）"
        assert np.array_equal(drawn[title], path)
        assert np.array_equal(drawn[title][0], techniques.TRAJECTORY_START)


def test_the_panels_share_limits_that_hold_every_path_and_the_minimum():
    figstyle.setup()
    paths = techniques.trajectories()
    fig = optimizer_plots.trajectories_figure(paths, techniques.TRAJECTORY_RATES)
    limits = {(ax.get_xlim(), ax.get_ylim()) for ax in fig.axes}
    assert len(limits) == 1
    (x0, x1), (y0, y1) = limits.pop()
    for path in [*paths.values(), np.zeros((1, 2))]:
        assert x0 < path[:, 0].min() and path[:, 0].max() < x1
        assert y0 < path[:, 1].min() and path[:, 1].max() < y1


def test_the_arrows_are_the_negative_gradient_and_most_miss_the_minimum():
    figstyle.setup()
    fig = optimizer_plots.anisotropic_figure()
    (arrows,) = fig.axes[1].collections[-1:]  # the quiver is drawn after the contours
    x, y = arrows.X, arrows.Y
    dx, dy = techniques.anisotropic_gradient(x, y)
    assert np.allclose(arrows.U, -dx) and np.allclose(arrows.V, -dy)
    # the angle between an arrow and the direction to (0, 0): the book's point is that it is not small
    off = ~((x == 0) | (y == 0))
    cosine = (arrows.U * -x + arrows.V * -y)[off] / np.hypot(arrows.U, arrows.V)[off] / np.hypot(x, y)[off]
    assert np.median(cosine) < np.cos(np.radians(20))


# ---- loss_curves (shared by optimizer_plots and init_plots) ----------------------------------------------


def test_the_loss_curve_is_the_moving_average_placed_at_the_last_update_it_covers():
    history = {"loss": list(range(100))}
    updates, smoothed = loss_curves.smoothed_loss(history, window=20)
    assert updates[0] == 20 and updates[-1] == 100
    assert smoothed[0] == pytest.approx(np.mean(range(20)))
    assert smoothed[-1] == pytest.approx(np.mean(range(80, 100)))


def test_every_history_is_one_smoothed_line_labelled_with_its_name():
    figstyle.setup()
    histories = {n: synthetic_history(seed=i) for i, n in enumerate(techniques.OPTIMIZERS)}  # all 5 styles
    fig = loss_curves.loss_curves_figure(histories)
    ax = fig.axes[0]
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == list(histories)
    for line, history in zip(lines, histories.values(), strict=True):
        assert np.allclose(line.get_ydata(), loss_curves.moving_average(history["loss"]))
    assert f"{loss_curves.SMOOTHING} 回の移動平均" in ax.get_ylabel()
    assert len({(line.get_color(), str(line.get_linestyle())) for line in lines}) == len(lines)


# ---- init_plots ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "activation,stds", [("sigmoid", init_plots.SIGMOID_STDS), ("relu", init_plots.RELU_STDS)]
)
def test_the_histograms_count_every_activation_they_describe(activation, stds):
    figstyle.setup()
    rows = {
        init_plots.std_label(s): techniques.hidden_activations(activation, s, n_samples=200) for s in stds
    }
    drawn = init_plots.drawn_histograms(init_plots.activations_figure(rows, activation))
    assert [len(row) for row in drawn] == [5] * len(stds)
    for counts_row, layers in zip(drawn, rows.values(), strict=True):
        for counts, values in zip(counts_row, layers, strict=True):
            # sigmoid: every output; ReLU: every output but the exact zeros (the large ones go in the last bin)
            described = values.size if activation == "sigmoid" else np.count_nonzero(values)
            assert counts.sum() == described


def test_relu_values_above_the_range_land_in_the_last_bin():
    values = np.array([0.0, 0.0, 0.5, init_plots.RELU_MAX + 3])
    counts, edges = init_plots.histogram(values, "relu")
    assert counts.sum() == 2 and counts[-1] == 1 and edges[-1] == init_plots.RELU_MAX


def test_row_labels_name_the_standard_deviation():
    assert [init_plots.std_label(s) for s in (1, 0.01, "xavier", "he")] == [
        "標準偏差 1",
        "標準偏差 0.01",
        "Xavier（1/√n）",
        "He（√(2/n)）",
    ]


# ---- hyperparam_plots ------------------------------------------------------------------------------------


def test_short_numbers_keep_two_digits_and_a_true_minus():
    assert hyperparam_plots.short(0.00621) == "6.2e\N{MINUS SIGN}3"
    assert hyperparam_plots.short(3.14e-7) == "3.1e\N{MINUS SIGN}7"


def test_the_top_row_is_the_best_trials_and_the_bottom_row_the_worst():
    figstyle.setup()
    trials = synthetic_trials(n=12)
    fig = hyperparam_plots.trials_figure(trials)
    axes = np.array(fig.axes).reshape(2, hyperparam_plots.SHOWN)
    for row, expected in ((axes[0], trials[:5]), (axes[1], trials[-5:])):
        for ax, trial in zip(row, expected, strict=True):
            lines = {line.get_gid(): line.get_ydata() for line in ax.get_lines()}
            assert np.array_equal(lines["val_acc"], trial["val_acc"])
            assert np.array_equal(lines["train_acc"], trial["train_acc"])
            assert ax.get_title() == hyperparam_plots.trial_title(trial)
            assert ax.get_ylim() == (0, 1)


def test_the_scatter_has_one_point_per_trial_coloured_by_its_final_accuracy_and_rings_the_best():
    figstyle.setup()
    trials = synthetic_trials()
    fig = hyperparam_plots.scatter_figure(trials)
    ax = fig.axes[0]
    collections = {c.get_gid(): c for c in ax.collections}
    points, best = collections["trials"], collections["best"]
    assert len(points.get_offsets()) == techniques.SEARCH_TRIALS
    assert np.allclose(points.get_offsets(), [(t["lr"], t["weight_decay"]) for t in trials])
    assert np.allclose(points.get_array(), [t["val_acc"][-1] for t in trials])
    assert np.allclose(best.get_offsets(), [(t["lr"], t["weight_decay"]) for t in trials[:5]])
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert fig.axes[1].get_ylabel() == "検証データの正解率"
