"""Function plots of chapters 2 and 3: every figure is written, readable at its slide width, and draws zerodl's values."""

import sys
import warnings

import numpy as np
import pytest

from conftest import shown_widths, unreadable_figures
from deckbuild import ROOT

sys.path.insert(0, str(ROOT / "figures_src"))
import activation_plots
import derivative_plots
import loss_plots
import two_variable_plots

from zerodl import activations
from zerodl.example_functions import DESCENT_START, DESCENT_STEPS, TANGENT_POINTS


@pytest.mark.parametrize("script", [activation_plots, derivative_plots, loss_plots, two_variable_plots])
def test_every_figure_is_written_and_readable_at_the_widths_the_deck_shows_it(script, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # a missing glyph (tofu) is a warning in matplotlib
        script.main(tmp_path)
    written = {p.stem for p in tmp_path.iterdir()}
    assert written and all(p.suffix == ".svg" for p in tmp_path.iterdir())
    assert written & set(shown_widths())  # the deck shows this script's figures
    assert unreadable_figures(tmp_path) == []


def test_step_function_jumps_at_zero_on_the_plotted_grid():
    x, y = activation_plots.curve(activations.step_function)
    assert 0.0 in x
    assert set(np.unique(y)) == {0, 1}
    assert np.all(y[x <= 0] == 0) and np.all(y[x > 0] == 1)


def test_tangent_slopes_are_the_derivative_of_function_1():
    slopes = derivative_plots.tangent_slopes()
    assert [x for x, _ in slopes] == list(TANGENT_POINTS)
    for x, slope in slopes:
        assert slope == pytest.approx(0.02 * x + 0.1, abs=1e-6)


def test_negative_gradient_points_to_the_minimum():
    x0, x1, minus_grad = two_variable_plots.gradient_field()
    assert np.allclose(minus_grad[..., 0], -2 * x0, atol=1e-6)
    assert np.allclose(minus_grad[..., 1], -2 * x1, atol=1e-6)


def test_descent_path_runs_from_the_start_to_near_the_minimum():
    path = two_variable_plots.descent_path()
    assert path.shape == (DESCENT_STEPS + 1, 2)
    assert np.allclose(path[0], DESCENT_START)
    assert np.linalg.norm(path[-1]) < 0.1
    assert np.all(np.diff(np.linalg.norm(path, axis=1)) < 0)  # every step gets closer to (0, 0)


def test_cross_entropy_curve_is_minus_log_of_the_right_answer():
    y, loss = loss_plots.loss_curve()
    np.testing.assert_allclose(loss, -np.log(y + 1e-7))
    assert np.all(np.diff(loss) < 0) and loss[-1] < 1e-6  # falls to 0 as the right answer's y reaches 1
