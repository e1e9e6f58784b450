"""数値微分の図: y = 0.01x² + 0.1x と、TANGENT_POINTS の各点での接線（傾きは数値微分で求める）。"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import figstyle
from zerodl.example_functions import TANGENT_POINTS, function_1
from zerodl.numerical import numerical_diff, tangent_line

X = np.linspace(-20.0, 20.0, 401)
YLIM = (-2.0, 7.0)
CURVE_COLOR = "#08519c"
TANGENT_COLOR = "#d62728"
TICK_SIZE = 13
LABEL_SIZE = 15


def tangent_slopes():
    """TANGENT_POINTS の各点 x と、そこでの function_1 の傾き（数値微分）の組。"""
    return [(x, numerical_diff(function_1, x)) for x in TANGENT_POINTS]


def main(outdir: Path) -> None:
    figstyle.setup()

    for i, (x, slope) in enumerate(tangent_slopes(), start=1):
        fig, ax = plt.subplots(figsize=(3.4, 2.6))
        fig.patch.set_facecolor("white")
        ax.plot(X, function_1(X), color=CURVE_COLOR, linewidth=2.2)
        ax.plot(X, tangent_line(function_1, x)(X), color=TANGENT_COLOR, linewidth=1.8, linestyle="--")
        ax.plot([x], [function_1(x)], marker="o", markersize=8, color=TANGENT_COLOR, zorder=3)
        ax.text(
            0.04,
            0.95,
            f"傾き {slope:.2f}".replace("-", "\N{MINUS SIGN}"),
            transform=ax.transAxes,
            fontsize=LABEL_SIZE,
            ha="left",
            va="top",
        )
        ax.set_xlim(X[0], X[-1])
        ax.set_ylim(*YLIM)
        ax.set_xticks([-20, -10, 0, 10, 20])
        ax.set_yticks([0, 2, 4, 6])
        ax.tick_params(labelsize=TICK_SIZE)
        ax.grid(color="#dddddd", linewidth=0.8)
        ax.set_axisbelow(True)
        ax.set_xlabel("$x$", fontsize=LABEL_SIZE)
        ax.set_ylabel("$f(x)$", fontsize=LABEL_SIZE)
        figstyle.save(fig, outdir, f"numerical_diff_{i}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
