"""Batch Normalization の図（第5章）: 順伝播・逆伝播の計算グラフと、重みの初期値の大きさを変えた学習の比較。

計算グラフは zerodl.layers.BatchNormalization.forward の式をそのまま並べたもの（graphdraw で描く）。
x と x_c はそれぞれ 2 本の辺に分かれて使われるので、逆伝播では 2 本から戻る勾配を足す（その分岐が見えるように置く）。
学習の比較は techniques.batchnorm_grid() の記録（ビルドでは 1 回だけ計算し、スライドと共有する）。
"""

import math
import sys
from pathlib import Path

import graphdraw as gd
import matplotlib.pyplot as plt

import figstyle
from zerodl import techniques

BN_COLOR, PLAIN_COLOR = figstyle.TRAIN_COLOR, figstyle.TEST_COLOR  # 学習曲線の 2 色
GRID_COLUMNS = 4

# ---- 計算グラフ -------------------------------------------------------------------------------------------

MEAN = "平均"
# 各ノードの中心（インチ）。上の行に x の平均、中の行に主な流れ、下の行に分散から σ を求める流れ。
TOP, MID, LOW = 1.3, 0.0, -1.45
POSITIONS = {
    "x": (0.0, MID),
    "mean_x": (1.8, TOP),
    "sub": (3.6, MID),
    "square": (4.9, LOW),
    "mean_sq": (6.7, LOW),
    "add_eps": (8.4, LOW),
    "sqrt": (9.9, LOW),
    "div": (10.9, MID),
    "mul": (12.4, MID),
    "add": (13.9, MID),
    "y": (15.4, MID),
}
R_MEAN = 0.43  # 「平均」の 2 文字が円に収まる半径


def dL(symbol: str) -> str:
    """逆伝播の辺に書く ∂L/∂(symbol)。"""
    return rf"$\partial L/\partial {symbol}$"


def batchnorm_graph(*, backward: bool = False):
    """1 つのミニバッチについての Batch Normalization の順伝播（backward=True なら逆伝播の勾配も）。

    逆伝播では、分岐した辺（x と x_c）の赤い矢印に名前を書かず、「2 本の和」と注記する:
    分岐の元に戻る勾配は、2 本の道から戻る勾配を足したものだから。
    """
    p = POSITIONS
    fig, ax = gd.canvas((-0.45, 15.8), (LOW - 1.05, TOP + 0.75))
    x = gd.var(ax, p["x"], "$x$", clearance=0.22)
    mean_x = gd.op(ax, p["mean_x"], MEAN, r=R_MEAN, fontsize=18)
    sub = gd.op(ax, p["sub"], "$-$")
    square = gd.op(ax, p["square"], r"$(\cdot)^2$", fontsize=20)
    mean_sq = gd.op(ax, p["mean_sq"], MEAN, r=R_MEAN, fontsize=18)
    add_eps = gd.op(ax, p["add_eps"], "$+$")
    sqrt = gd.op(ax, p["sqrt"], "√", fontsize=22)
    div = gd.op(ax, p["div"], r"$\div$")
    mul = gd.op(ax, p["mul"], r"$\times$")
    add = gd.op(ax, p["add"], "$+$")
    y = gd.var(ax, p["y"], "$y$", clearance=0.2)
    eps = gd.var(ax, (p["add_eps"][0], LOW - 0.95), r"$\varepsilon$", fontsize=22, clearance=0.17)
    gamma = gd.var(ax, (p["mul"][0], TOP), r"$\gamma$", clearance=0.2)
    beta = gd.var(ax, (p["add"][0], TOP), r"$\beta$", clearance=0.2)

    def edge(a, b, forward, symbol="", **kw):
        """symbol: 逆伝播の矢印に書く ∂L/∂symbol（空なら名前を書かない。分岐した辺がそう）。"""
        gd.edge(ax, a, b, forward, dL(symbol) if backward and symbol else "", with_backward=backward, **kw)

    # x は 2 本に分かれる: 平均 μ を求める道と、x − μ の道
    edge(x, mean_x, "$x$", aim_start=(0.0, 0.08))
    edge(x, sub, "$x$", at=0.25)
    edge(mean_x, sub, r"$\mu$", r"\mu", aim_end=(-0.05, 0.1))
    # x_c も 2 本に分かれる: 分散を求める道と、x_c / σ の道
    edge(sub, div, "$x_c$", at=0.35)
    edge(sub, square, "$x_c$", flip=True)
    edge(square, mean_sq, "$x_c^2$", "x_c^2")
    edge(mean_sq, add_eps, r"$\sigma^2$", r"\sigma^2")
    gd.edge(ax, eps, add_eps)  # ε は定数: 勾配は戻さない
    edge(add_eps, sqrt, "")
    edge(sqrt, div, r"$\sigma$", r"\sigma", flip=True)
    edge(div, mul, r"$\hat{x}$", r"\hat{x}")
    edge(gamma, mul, "", r"\gamma", flip=True)
    edge(mul, add, "")
    edge(beta, add, "", r"\beta", flip=True)
    edge(add, y, "$y$", "y")
    if backward:
        note = {"fontsize": 20, "color": gd.BACKWARD, "ha": "left", "va": "top"}
        gd.label(ax, (-0.3, MID - 0.3), rf"{dL('x')} は 2 本の和", **note)
        gd.label(ax, (p["sub"][0] + 0.85, MID - 0.3), rf"{dL('x_c')} は 2 本の和", **note)
    return fig


# ---- 重みの初期値の大きさと Batch Normalization -------------------------------------------------------------


def scale_title(scale: float) -> str:
    """パネルの題: 重みの初期値の標準偏差を有効数字 2 桁で（0.54、1.0、0.00010）。"""
    return f"W の標準偏差 {scale:#.2g}"


def batchnorm_grid_figure(rows):
    """重みの初期値の標準偏差ごとに 1 枚: 訓練データの正解率を、Batch Normalization あり（実線）となし（破線）で。"""
    n_rows = math.ceil(len(rows) / GRID_COLUMNS)
    fig, axes = plt.subplots(
        n_rows,
        GRID_COLUMNS,
        figsize=(13.0, 1.35 * n_rows + 1.0),
        sharex=True,
        sharey=True,
        squeeze=False,
        layout="constrained",  # 全体の凡例と軸の名前も含めて、パネルの間隔を決める
    )
    for ax, row in zip(axes.flat, rows, strict=False):
        for key, color, style, label in (
            ("bn", BN_COLOR, "-", "Batch Normalization あり"),
            ("plain", PLAIN_COLOR, "--", "なし"),
        ):
            acc = row[key]["train_acc"]
            ax.plot(row[key]["epoch"], acc, color=color, linestyle=style, linewidth=2, label=label)
        ax.set_title(scale_title(row["scale"]), fontsize=14, pad=4)
        ax.set_ylim(0, 1)
        ax.set_yticks([0, 1])
        ax.tick_params(labelsize=13)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(rows) :]:
        ax.set_visible(False)  # 最後の行の余り
    epochs = rows[0]["bn"]["epoch"][-1]
    axes[0, 0].set_xlim(0, epochs)
    axes[0, 0].set_xticks([0, epochs // 2, epochs])
    fig.supxlabel("エポック", fontsize=15)
    fig.supylabel("訓練データの正解率", fontsize=15)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncol=2, fontsize=15, frameon=False)
    fig.get_layout_engine().set(h_pad=0.04, hspace=0.06, wspace=0.03)
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    figstyle.save(batchnorm_graph(), outdir, "ch5_batchnorm_graph")
    figstyle.save(batchnorm_graph(backward=True), outdir, "ch5_batchnorm_backward")
    figstyle.save(batchnorm_grid_figure(techniques.batchnorm_grid()), outdir, "ch5_batchnorm_grid")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
