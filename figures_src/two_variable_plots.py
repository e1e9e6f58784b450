"""2 変数関数 f(x0, x1) = x0² + x1² の図: 曲面、負の勾配のベクトル場、勾配降下法の軌跡。"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import figstyle
from zerodl.example_functions import DESCENT_LR, DESCENT_START, DESCENT_STEPS, function_2
from zerodl.numerical import gradient_descent, numerical_gradient

TICK_SIZE = 13
LABEL_SIZE = 15
PATH_COLOR = "#d62728"


def grid(values):
    """values × values の格子点を最後の軸に [x0, x1] として並べた配列。"""
    x0, x1 = np.meshgrid(values, values)
    return np.stack([x0, x1], axis=-1)  # (n, n, 2)


def surface():
    """曲面の格子 (x0, x1, f)。SVG が大きくなりすぎないよう 30 × 30 点に抑える。"""
    points = grid(np.linspace(-3.0, 3.0, 30))
    return points[..., 0], points[..., 1], function_2(points)


def gradient_field():
    """格子点 (x0, x1) と、各点での負の勾配 -∇f（数値微分）。"""
    points = grid(np.linspace(-2.0, 2.0, 17))  # 0.25 刻み、原点について対称
    # numerical_gradient は 1 点分の x を少しずつ動かして f を呼ぶので、格子点ごとに求める。
    minus_grad = np.array([-numerical_gradient(function_2, p.copy()) for p in points.reshape(-1, 2)])
    return points[..., 0], points[..., 1], minus_grad.reshape(points.shape)


def descent_path():
    """DESCENT_START から学習率 DESCENT_LR で DESCENT_STEPS 歩進んだ点の列（最初の点を含む）。"""
    _, history = gradient_descent(function_2, np.array(DESCENT_START), lr=DESCENT_LR, step_num=DESCENT_STEPS)
    return history  # (DESCENT_STEPS + 1, 2)


def plane_axes(size, lim, ticks):
    """x0-x1 平面の正方形の図と軸。"""
    fig, ax = plt.subplots(figsize=(size, size))
    fig.patch.set_facecolor("white")
    ax.set_xlim(*lim)
    ax.set_ylim(*lim)
    ax.set_aspect("equal")
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(color="#dddddd", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("$x_0$", fontsize=LABEL_SIZE)
    ax.set_ylabel("$x_1$", fontsize=LABEL_SIZE, rotation=0, labelpad=12)
    return fig, ax


def plot_surface(outdir):
    """f(x0, x1) の曲面（色は f の値）。"""
    fig = plt.figure(figsize=(5.0, 4.1))
    fig.patch.set_facecolor("white")
    ax = fig.add_subplot(projection="3d")
    x0, x1, f = surface()
    ax.plot_surface(x0, x1, f, cmap="viridis", edgecolor="#333333", linewidth=0.2, antialiased=True)
    ax.view_init(elev=25, azim=-60)
    ticks = [-3, 0, 3]
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_zticks([0, 5, 10, 15])
    ax.tick_params(labelsize=TICK_SIZE, pad=1)
    ax.set_xlabel("$x_0$", fontsize=LABEL_SIZE, labelpad=4)
    ax.set_ylabel("$x_1$", fontsize=LABEL_SIZE, labelpad=4)
    ax.set_zlabel("$f(x_0, x_1)$", fontsize=LABEL_SIZE, labelpad=6)
    # 3D の軸は正方形の枠の下 8 割ほどにしか描かれず、上が空く。拡大して枠を埋める。
    ax.set_box_aspect(None, zoom=1.2)
    figstyle.save(fig, outdir, "graph_two_variable_function")


def plot_gradient(outdir):
    """各格子点から -∇f の向きと大きさの矢印。どれも最小値の点 (0, 0)（+ 印）を向く。"""
    fig, ax = plane_axes(4.6, (-2.5, 2.5), [-2, -1, 0, 1, 2])
    x0, x1, minus_grad = gradient_field()
    ax.quiver(x0, x1, minus_grad[..., 0], minus_grad[..., 1], angles="xy", color="#555555", width=0.004)
    ax.plot([0], [0], marker="+", markersize=12, markeredgewidth=2, color=PATH_COLOR)
    figstyle.save(fig, outdir, "graph_two_variable_function_gradient")


def plot_learning(outdir):
    """f の等高線（破線の円）の上に、勾配降下法で動いた点の列を描く。"""
    fig, ax = plane_axes(4.8, (-4.5, 4.5), [-4, -2, 0, 2, 4])
    points = grid(np.linspace(-4.5, 4.5, 181))
    x0, x1, f = points[..., 0], points[..., 1], function_2(points)
    ax.contour(x0, x1, f, levels=[1, 4, 9, 16, 25], colors="#999999", linestyles="dashed", linewidths=1)
    path = descent_path()
    ax.plot(path[:, 0], path[:, 1], color=PATH_COLOR, linewidth=1.5, marker="o", markersize=5)
    start, end = path[0], path[-1]
    ax.annotate(
        f"開始 ({start[0]:g}, {start[1]:g})".replace("-", "\N{MINUS SIGN}"),
        start,
        xytext=(10, 0),
        textcoords="offset points",
        fontsize=TICK_SIZE,
        va="center",
    )
    ax.annotate(
        f"{DESCENT_STEPS} 回後\n({end[0]:.2f}, {end[1]:.2f})".replace("-", "\N{MINUS SIGN}"),
        end,
        xytext=(1.2, -2.8),
        fontsize=TICK_SIZE,
        arrowprops={"arrowstyle": "->", "color": "black"},
    )
    figstyle.save(fig, outdir, "graph_two_variable_function_learning")


def main(outdir: Path) -> None:
    figstyle.setup()
    plot_surface(outdir)
    plot_gradient(outdir)
    plot_learning(outdir)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
