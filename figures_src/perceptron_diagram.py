"""2 入力パーセプトロンの図: 入力 x1, x2 と重み w1, w2、バイアス b（入力 1 の重み）、出力 y。"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch

import figstyle

RADIUS = 0.42  # ノードの半径（データ座標）
SCALE = 1.0  # データ座標 1 単位あたりのインチ数。矢印をノードの縁で止める量（ポイント）の換算に使う
NODE_FONTSIZE = 24
WEIGHT_FONTSIZE = 22


def node(ax, xy, label, *, bias=False):
    """円のノードを描き、中に label を書く。バイアス用の "1" ノードは灰色・破線で区別する。"""
    ax.add_patch(
        Circle(
            xy,
            RADIUS,
            facecolor="#e6e6e6" if bias else "white",
            edgecolor="#555555" if bias else "black",
            linestyle="--" if bias else "-",
            linewidth=2,
            zorder=2,
        )
    )
    ax.text(*xy, label, ha="center", va="center", fontsize=NODE_FONTSIZE, zorder=3)


def edge(ax, start, end, label, label_offset, *, bias=False):
    """start のノードから end のノードへの矢印と、その重みのラベル。"""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>",
            mutation_scale=22,
            linewidth=2,
            color="#555555" if bias else "black",
            linestyle="--" if bias else "-",
            shrinkA=RADIUS * 72 * SCALE,
            shrinkB=RADIUS * 72 * SCALE,
            zorder=1,
        )
    )
    # ラベルは矢印の入力側寄り（4 割の位置）に置く。
    t = 0.4
    x = start[0] + t * (end[0] - start[0]) + label_offset[0]
    y = start[1] + t * (end[1] - start[1]) + label_offset[1]
    ax.text(x, y, label, ha="center", va="center", fontsize=WEIGHT_FONTSIZE)


def main(outdir: Path) -> None:
    figstyle.setup()

    bias_xy, x1_xy, x2_xy, y_xy = (0.0, 1.5), (0.0, 0.0), (0.0, -1.5), (3.4, 0.0)
    xlim, ylim = (-0.6, 4.0), (-2.1, 2.45)

    fig = plt.figure(figsize=((xlim[1] - xlim[0]) * SCALE, (ylim[1] - ylim[0]) * SCALE))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")

    edge(ax, bias_xy, y_xy, "$b$", (0.0, 0.42), bias=True)
    edge(ax, x1_xy, y_xy, "$w_1$", (0.0, 0.32))
    edge(ax, x2_xy, y_xy, "$w_2$", (0.0, -0.42))

    node(ax, bias_xy, "$1$", bias=True)
    ax.text(
        bias_xy[0],
        bias_xy[1] + RADIUS + 0.12,
        "バイアス",
        ha="center",
        va="bottom",
        fontsize=16,
        color="#555555",
    )
    node(ax, x1_xy, "$x_1$")
    node(ax, x2_xy, "$x_2$")
    node(ax, y_xy, "$y$")

    figstyle.save(fig, outdir, "perceptron")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
