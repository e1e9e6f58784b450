"""OR / AND / NAND / XOR ゲートが 1 を出力する領域を x1-x2 平面に塗り分けた図。"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import figstyle
from zerodl import gates

LIM = (-0.5, 1.5)
GRID = np.linspace(*LIM, 201)
REGION_COLOR = "#9ecae1"  # 出力が 1 になる領域
BOUNDARY_COLOR = "#08519c"
# 入力点の印: 出力 0 は ○、出力 1 は ▲（凡例はスライドの本文に 1 度だけ書く）。
_POINT = {"linestyle": "none", "markersize": 12, "markeredgewidth": 1.8}
POINT_ZERO = {**_POINT, "marker": "o", "markerfacecolor": "white", "markeredgecolor": "black"}
POINT_ONE = {**_POINT, "marker": "^", "markerfacecolor": BOUNDARY_COLOR, "markeredgecolor": BOUNDARY_COLOR}


def outputs_on_grid(gate):
    """格子上の各点 (x1, x2) で gate(x1, x2) を呼んだ結果（0 か 1）。"""
    x1, x2 = np.meshgrid(GRID, GRID)
    return x1, x2, np.vectorize(gate)(x1, x2)


def boundary_line(ax, perceptron, **style):
    """w1*x1 + w2*x2 + b = 0 の直線を、パーセプトロン自身の w と b から引く。"""
    (w1, w2), b = perceptron.w, perceptron.b
    if w2 != 0:
        ax.plot(GRID, -(w1 * GRID + b) / w2, **style)
    else:
        ax.axvline(-b / w1, **style)


def gate_axes(title):
    """4 枚並べても読める、正方形の 1 枚分の図と軸（文字はスライドの figure(width=…) の幅で 12px 以上）。"""
    fig, ax = plt.subplots(figsize=(3.2, 3.2))
    ax.set_xlim(*LIM)
    ax.set_ylim(*LIM)
    ax.set_aspect("equal")
    ticks = [0.0, 1.0]
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.tick_params(labelsize=16)
    ax.set_xlabel("$x_1$", fontsize=19)  # 添字は 0.7 倍で描かれるので、小さく載せても 12px を超える大きさに
    ax.set_ylabel("$x_2$", fontsize=19, rotation=0, labelpad=12)
    ax.set_title(title, fontsize=16)
    return fig, ax


def plot_gate(ax, gate):
    """gate が 1 を返す領域を塗り、4 つの入力点を出力ごとの印で打つ。"""
    x1, x2, y = outputs_on_grid(gate)
    ax.contourf(x1, x2, y, levels=[0.5, 1.5], colors=[REGION_COLOR])
    for p1, p2, out in gates.truth_table(gate):
        ax.plot([p1], [p2], zorder=3, **(POINT_ONE if out == 1 else POINT_ZERO))


def main(outdir: Path) -> None:
    figstyle.setup()

    for name, gate in [("or", gates.OR), ("and", gates.AND), ("nand", gates.NAND)]:
        fig, ax = gate_axes(f"{name.upper()}ゲート")
        plot_gate(ax, gate)
        boundary_line(ax, gate, color=BOUNDARY_COLOR, linewidth=2.5)
        figstyle.save(fig, outdir, f"graph_{name}")

    # XOR は 2 層の回路（NAND と OR の出力を AND に通す）なので、1 になる領域は 2 本の直線に挟まれた帯になる。
    fig, ax = gate_axes("XORゲート")
    plot_gate(ax, gates.XOR)
    for first_layer in (gates.NAND, gates.OR):
        boundary_line(ax, first_layer, color=BOUNDARY_COLOR, linewidth=1.5, linestyle="--")
    figstyle.save(fig, outdir, "graph_xor")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
