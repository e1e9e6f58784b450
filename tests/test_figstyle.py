"""Figures read like the slides: formulas in Computer Modern (MathJax's look) and true minus signs on the ticks."""

import sys
import warnings

from deckbuild import ROOT

sys.path.insert(0, str(ROOT / "figures_src"))
import figstyle


def test_formulas_are_typeset_in_computer_modern_like_mathjax(tmp_path):
    from matplotlib import pyplot as plt

    figstyle.setup()
    fig, ax = plt.subplots()
    ax.set_xlabel("$x_1$")
    path = figstyle.save(fig, tmp_path, "math")
    svg = path.read_text(encoding="utf-8")
    assert 'id="Cmmi10-' in svg  # math italic of Computer Modern
    assert "DejaVuSans-Oblique" not in svg  # matplotlib's default mathtext italic


def test_negative_ticks_use_a_true_minus_sign_the_font_has(tmp_path):
    from matplotlib import pyplot as plt

    figstyle.setup()
    fig, ax = plt.subplots()
    ax.plot([-2, 2], [-1, 1])
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert any(label.startswith("\u2212") for label in labels), labels
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph the Japanese font lacks would warn here
        figstyle.save(fig, tmp_path, "minus")
