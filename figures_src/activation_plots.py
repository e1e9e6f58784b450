"""活性化関数のグラフ: ステップ関数・シグモイド関数・ReLU・tanh と、ステップ関数とシグモイド関数の比較。"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import figstyle
from zerodl import activations

# x = 0 を含む細かい格子。ステップ関数の 0 から 1 への跳びがほぼ垂直な線として見える。
X = np.linspace(-5.0, 5.0, 1001)

# 図の名前 → (関数, y の表示範囲, y 軸の目盛り)
SINGLE = {
    "step_function": (activations.step_function, (-0.1, 1.1), [0.0, 0.5, 1.0]),
    "sigmoid_function": (activations.sigmoid, (-0.1, 1.1), [0.0, 0.5, 1.0]),
    "relu_function": (activations.relu, (-0.5, 5.5), [0, 1, 2, 3, 4, 5]),
    "tanh_function": (activations.tanh, (-1.1, 1.1), [-1.0, 0.0, 1.0]),
}
CURVE_COLOR = "#08519c"
TICK_SIZE = 13
LABEL_SIZE = 15


def curve(h):
    """描く点列 (x, h(x))。"""
    return X, h(X)


def function_axes(figsize, ylim, yticks):
    """x を -5 から 5 まで取った、薄い格子つきの 1 枚分の図と軸。"""
    fig, ax = plt.subplots(figsize=figsize)
    fig.patch.set_facecolor("white")
    ax.set_xlim(X[0], X[-1])
    ax.set_ylim(*ylim)
    ax.set_xticks([-4, -2, 0, 2, 4])
    ax.set_yticks(yticks)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("$x$", fontsize=LABEL_SIZE)
    ax.set_ylabel("$h(x)$", fontsize=LABEL_SIZE)
    # 目盛りの文字幅によらず y 軸ラベルを同じ位置に置く: 並べた 2 枚の図が同じ大きさになる。
    ax.yaxis.set_label_coords(-0.15 * 4.4 / figsize[0], 0.5)
    return fig, ax


def main(outdir: Path) -> None:
    figstyle.setup()

    for name, (h, ylim, yticks) in SINGLE.items():
        fig, ax = function_axes((4.4, 3.0), ylim, yticks)
        ax.plot(*curve(h), color=CURVE_COLOR, linewidth=2.2)
        figstyle.save(fig, outdir, name)

    fig, ax = function_axes((6.2, 3.6), (-0.1, 1.1), [0.0, 0.5, 1.0])
    ax.plot(
        *curve(activations.step_function), color="black", linewidth=2, linestyle="--", label="ステップ関数"
    )
    ax.plot(*curve(activations.sigmoid), color=CURVE_COLOR, linewidth=2.2, label="シグモイド関数")
    ax.legend(loc="upper left", fontsize=TICK_SIZE, framealpha=1.0)
    figstyle.save(fig, outdir, "step_vs_sigmoid")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
