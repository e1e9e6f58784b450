"""第5章 パラメータの更新方法の図: f(x, y) = x²/20 + y² の等高線と勾配、4 つの更新方法の道筋、MNIST での損失の比較。

値はすべて zerodl.techniques から読む（道筋は trajectories()、MNIST の記録は compare_optimizers()）。
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from loss_curves import LABEL_SIZE, TICK_SIZE, loss_curves_figure

import figstyle
from zerodl import techniques

X_RANGE, Y_RANGE = (-10.0, 10.0), (-5.0, 5.0)  # f を見せる範囲（x 方向に長い楕円が収まる）
LEVELS = [0.25, 1, 2.25, 4, 6.25, 9]  # 等高線: x 方向の半径 √20·c、y 方向 c（c = 0.5, 1, …, 3）
CONTOUR_COLOR = "#9a9a9a"
ARROW_COLOR = "#08519c"
PATH_COLOR = "#d62728"
MINIMUM_STYLE = {"marker": "+", "markersize": 14, "markeredgewidth": 2.5, "color": "black", "zorder": 5}


def contour_grid(x_range=X_RANGE, y_range=Y_RANGE, n=201):
    """(x, y, f) の格子。f は techniques.anisotropic で求める。"""
    x, y = np.meshgrid(np.linspace(*x_range, n), np.linspace(*y_range, n))
    return x, y, techniques.anisotropic(x, y)


def gradient_field():
    """格子点 (x, y) と、そこでの負の勾配 (−∂f/∂x, −∂f/∂y)（techniques.anisotropic_gradient）。"""
    x, y = np.meshgrid(np.linspace(-9, 9, 13), np.linspace(-4.5, 4.5, 7))  # 1.5 刻み、枠の内側
    dx, dy = techniques.anisotropic_gradient(x, y)
    return x, y, -dx, -dy


def plane(ax, x_range=X_RANGE, y_range=Y_RANGE, equal=True):
    """x-y 平面の軸（equal: 縦横同じ縮尺で楕円の細長さをそのまま見せる）、最小値の点 (0, 0) に + 印。"""
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    if equal:
        ax.set_aspect("equal")
    ax.tick_params(labelsize=TICK_SIZE)
    ax.set_xlabel("$x$", fontsize=LABEL_SIZE)
    ax.set_ylabel("$y$", fontsize=LABEL_SIZE, rotation=0, labelpad=10)
    ax.plot([0], [0], **MINIMUM_STYLE)


def anisotropic_figure():
    """左に f の等高線、右に負の勾配の矢印。矢印の多くは (0, 0) ではなく y = 0 の線に向かう。"""
    fig, (contour_ax, field_ax) = plt.subplots(1, 2, figsize=(10, 3.4))
    fig.patch.set_facecolor("white")
    x, y, f = contour_grid()
    contour_ax.contour(x, y, f, levels=LEVELS, colors=CONTOUR_COLOR, linewidths=1.2)
    contour_ax.set_title("$f(x, y) = x^2/20 + y^2$ の等高線", fontsize=LABEL_SIZE)
    field_ax.contour(
        x, y, f, levels=LEVELS, colors="#dddddd", linewidths=1
    )  # 矢印が等高線に直交するのを見せる
    gx, gy, minus_dx, minus_dy = gradient_field()
    # 矢印は実際の長さの比のまま（いちばん長い y = ±4.5 の矢印が格子 1 つ分弱）
    field_ax.quiver(
        gx, gy, minus_dx, minus_dy, angles="xy", scale_units="xy", scale=7, color=ARROW_COLOR, width=0.006
    )
    field_ax.set_title("負の勾配 $-\\nabla f$ の向きと大きさ", fontsize=LABEL_SIZE)
    for ax in (contour_ax, field_ax):
        plane(ax)
        ax.annotate(
            "最小値 (0, 0)",
            (0, 0),
            xytext=(8, -16),
            textcoords="offset points",
            fontsize=TICK_SIZE,
            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.85},
        )
    fig.tight_layout(w_pad=3)
    return fig


def path_limits(paths, margin=0.5):
    """どの道筋も最小値 (0, 0) も入る範囲を、外側の 0.5 刻みに丸めて (x の範囲, y の範囲) で返す。"""
    points = np.vstack([*paths, np.zeros((1, 2))])
    low = np.floor((points.min(axis=0) - margin) * 2) / 2
    high = np.ceil((points.max(axis=0) + margin) * 2) / 2
    return (low[0], high[0]), (low[1], high[1])


def trajectories_figure(paths, rates):
    """paths（名前 → (steps + 1, 2) の点の列）を 2 × 2 に。どのパネルも同じ範囲で、f の等高線の上に描く。"""
    x_range, y_range = path_limits(paths.values())
    x, y, f = contour_grid(x_range, y_range)
    # 縦横の縮尺はそろえない（そろえると 2 × 2 がスライドの高さに収まらない）: y 方向が縮んで見える
    fig, axes = plt.subplots(2, 2, figsize=(8.6, 4.3), sharex=True, sharey=True)
    fig.patch.set_facecolor("white")
    for ax, (name, path) in zip(axes.flat, paths.items(), strict=True):
        ax.contour(x, y, f, levels=LEVELS, colors=CONTOUR_COLOR, linewidths=1)
        ax.plot(path[:, 0], path[:, 1], color=PATH_COLOR, linewidth=1.4, marker="o", markersize=4, gid="path")
        plane(ax, x_range, y_range, equal=False)
        ax.set_title(f"{name}（学習率 {rates[name]:g}）", fontsize=LABEL_SIZE)
        ax.label_outer()
    fig.tight_layout(h_pad=0.4, w_pad=0.8)
    return fig


def drawn_paths(fig):
    """trajectories_figure が描いた道筋（パネルのタイトル → 点の列）。テストで元の値と比べるため。"""
    found = {}
    for ax in fig.axes:
        for line in ax.get_lines():
            if line.get_gid() == "path":
                found[ax.get_title()] = np.asarray(line.get_xydata())
    return found


def main(outdir: Path) -> None:
    figstyle.setup()
    figstyle.save(anisotropic_figure(), outdir, "ch5_anisotropic")
    paths = techniques.trajectories()
    figstyle.save(trajectories_figure(paths, techniques.TRAJECTORY_RATES), outdir, "ch5_trajectories")
    # 5 つの更新方法で同じネットワークを学習させた記録（ビルドでは 1 回だけ計算し、スライドの表と共有する）
    figstyle.save(loss_curves_figure(techniques.compare_optimizers()), outdir, "ch5_optimizer_mnist")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
