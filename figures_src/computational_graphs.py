"""計算グラフの図（第 4 章）: 順伝播と逆伝播、局所的な微分、Sigmoid・ReLU・Affine・Softmax-with-Loss の各レイヤ。

f(x1, x2) = (2·x1 + 3·x2) × 4 の図の数は、zerodl.layers の MulLayer / AddLayer で計算する（evaluate）。
スライドも同じレイヤで計算するので、図とスライドの数は一致する。
座標はインチ（graphdraw を参照）。文字の大きさは、スライドの figure(width=…) の幅で読めるように決めている（テストがその幅で確かめる）。
"""

import sys
from pathlib import Path
from typing import NamedTuple

import graphdraw as gd

import figstyle
from zerodl.example_functions import GRAPH_INPUT
from zerodl.layers import AddLayer, MulLayer

COEFS = (2.0, 3.0, 4.0)  # f(x1, x2) = (2·x1 + 3·x2) × 4 の定数
EXAMPLE = GRAPH_INPUT  # 図に書く数を求める入力（スライドのコードと同じ）


class Signal(NamedTuple):
    """計算グラフの 1 本の辺を流れるもの。"""

    forward: float  # 順伝播で流れる値
    backward: float  # 逆伝播で流れる微分 ∂f/∂(その値)


def evaluate(x1: float, x2: float) -> dict[str, Signal]:
    """f = (2·x1 + 3·x2) × 4 を MulLayer / AddLayer で順伝播・逆伝播し、辺ごとの値と微分を返す。

    辺の名前: "x1", "x2", "2x1", "3x2", "2x1+3x2", "f"。
    """
    c1, c2, c3 = COEFS
    mul1, mul2, add, mul3 = MulLayer(), MulLayer(), AddLayer(), MulLayer()
    a = mul1.forward(x1, c1)
    b = mul2.forward(x2, c2)
    s = add.forward(a, b)
    f = mul3.forward(s, c3)

    df = 1.0  # ∂f/∂f
    ds, _ = mul3.backward(df)
    da, db = add.backward(ds)
    dx1, _ = mul1.backward(da)
    dx2, _ = mul2.backward(db)
    return {
        "x1": Signal(x1, dx1),
        "x2": Signal(x2, dx2),
        "2x1": Signal(a, da),
        "3x2": Signal(b, db),
        "2x1+3x2": Signal(s, ds),
        "f": Signal(f, df),
    }


def number(v: float) -> str:
    """図に書く数: 2.0 は 2、0.5 は 0.5。"""
    return format(v, "g")


def example_graph(*, backward: bool):
    """f(x1, x2) = (2·x1 + 3·x2) × 4 の計算グラフ。"""
    signals = evaluate(**EXAMPLE)
    c1, c2, c3 = COEFS
    dy = 1.0
    fig, ax = gd.canvas((-0.4, 10.55), (-dy - 0.5, dy + 0.5))
    x1 = gd.var(ax, (0.0, dy), "$x_1$", clearance=0.3)
    x2 = gd.var(ax, (0.0, -dy), "$x_2$", clearance=0.3)
    mul1 = gd.op(ax, (2.4, dy), rf"$\times{number(c1)}$")
    mul2 = gd.op(ax, (2.4, -dy), rf"$\times{number(c2)}$")
    add = gd.op(ax, (4.9, 0.0), "$+$")
    mul3 = gd.op(ax, (7.6, 0.0), rf"$\times{number(c3)}$")
    f = gd.var(ax, (10.2, 0.0), "$f$", clearance=0.22)

    def signal(a, b, name, **aim):
        s = signals[name]
        gd.edge(ax, a, b, number(s.forward), number(s.backward) if backward else "", **aim)

    signal(x1, mul1, "x1")
    signal(x2, mul2, "x2")
    signal(mul1, add, "2x1", aim_end=(0.0, 0.1))
    signal(mul2, add, "3x2", aim_end=(0.0, -0.1))
    signal(add, mul3, "2x1+3x2")
    signal(mul3, f, "f")
    return fig


def local_derivative():
    """ノード y = f(x) は、右から届いた E に局所的な微分 ∂y/∂x を掛けて左へ戻す。"""
    fig, ax = gd.canvas((-3.3, 3.3), (-1.62, 0.55))
    node = gd.op(ax, (0.0, 0.0), "$f$", r=0.4, fontsize=26)
    left, right = gd.port((-3.2, 0.0)), gd.port((3.2, 0.0))
    gd.edge(ax, left, node, "$x$", r"$E\,\dfrac{\partial y}{\partial x}$")
    gd.edge(ax, node, right, "$y = f(x)$", r"$E = \dfrac{\partial L}{\partial y}$")
    gd.label(
        ax,
        (0.0, -0.95),
        r"局所的な微分 $\dfrac{\partial y}{\partial x}$ を掛けて戻す",
        fontsize=18,
        color=gd.ACCENT,
        va="top",
    )
    return fig


def sigmoid_graph():
    """Sigmoid レイヤ y = 1 / (1 + exp(−x)) の計算グラフ。逆伝播は記号で。"""
    dLdy = r"\dfrac{\partial L}{\partial y}"
    size = {"fontsize": 22}  # y^2 の肩の 2 も 14 px 以上に
    fig, ax = gd.canvas((-0.35, 14.25), (-1.7, 1.3))
    r = 0.38
    x = gd.var(ax, (0.0, 0.0), "$x$", clearance=0.22)
    neg = gd.op(ax, (3.0, 0.0), r"$\times$", r=r)
    exp = gd.op(ax, (6.5, 0.0), r"$\exp$", r=r, fontsize=20)
    add = gd.op(ax, (9.25, 0.0), "$+$", r=r)
    inv = gd.op(ax, (12.35, 0.0), "$/$", r=r)
    y = gd.var(ax, (14.05, 0.0), "$y$", clearance=0.2)
    for node, constant in ((neg, "$-1$"), (add, "$1$")):
        c = gd.var(ax, (node.center[0], 1.1), constant, fontsize=20, clearance=0.17)
        gd.edge(ax, c, node)

    gd.edge(ax, x, neg, "", rf"${dLdy}\,y^2\,\exp(-x)$", **size)
    gd.edge(ax, neg, exp, "$-x$", rf"$-{dLdy}\,y^2\,\exp(-x)$", **size)
    gd.edge(ax, exp, add, r"$\exp(-x)$", rf"$-{dLdy}\,y^2$", **size)
    gd.edge(ax, add, inv, r"$1 + \exp(-x)$", rf"$-{dLdy}\,y^2$", **size)
    gd.edge(ax, inv, y, "", f"${dLdy}$", **size)
    # 左端に戻った値は y だけで書ける（exp(−x) = (1 − y) / y）
    gd.label(ax, (1.5, -0.99), rf"$= {dLdy}\,y(1 - y)$", color=gd.BACKWARD, va="top", **size)
    return fig


def relu_graph():
    """ReLU レイヤ: x > 0 なら ∂L/∂y をそのまま、x ≤ 0 なら 0 を戻す。"""
    dLdy = r"$\dfrac{\partial L}{\partial y}$"
    width, sep = 4.7, 1.0
    fig, ax = gd.canvas((-0.35, 2 * width + sep - 0.35), (-1.0, 1.05))
    for k, (condition, passed) in enumerate(((r"$x > 0$", dLdy), (r"$x \leq 0$", "$0$"))):
        x0 = k * (width + sep)
        x = gd.var(ax, (x0, 0.0), "$x$", clearance=0.22)
        relu = gd.op(ax, (x0 + 2.0, 0.0), "relu", r=0.42, fontsize=20)
        y = gd.var(ax, (x0 + 4.0, 0.0), "$y$", clearance=0.2)
        gd.edge(ax, x, relu, "", passed, with_backward=True)
        gd.edge(ax, relu, y, "", dLdy)
        gd.label(ax, (x0 + 2.0, 0.62), condition, fontsize=20, color=gd.ACCENT, va="bottom")
    mid = width - 0.35 + sep / 2
    ax.plot([mid, mid], [-0.9, 0.95], color=gd.MUTED, linewidth=1.2, linestyle="--")
    return fig


def affine_graph():
    """Affine レイヤ Y = X·W + B。変数の下に形（ミニバッチ N 件）、逆伝播は記号で。"""
    dLdY = r"\partial L/\partial Y"
    T = r"^{\mathrm{T}}"
    note = {"fontsize": 17, "color": gd.MUTED}
    fig, ax = gd.canvas((-0.5, 11.0), (-1.87, 1.45))
    X = gd.var(ax, (0.0, 0.85), "$X$", note="(N, 2)", note_fontsize=17, clearance=0.28)
    W = gd.var(ax, (0.0, -0.85), "$W$", note="(2, 3)", note_fontsize=17, clearance=0.3)
    dot = gd.op(ax, (4.4, 0.0), "dot", r=0.4, fontsize=20)
    add = gd.op(ax, (7.6, 0.0), "$+$")
    B = gd.var(ax, (7.6, -1.35), "$B$", note="(3,)", note_fontsize=17, clearance=0.22)
    Y = gd.var(ax, (10.6, 0.0), "$Y$", note="(N, 3)", note_fontsize=17, clearance=0.25)

    # 斜めの辺に沿って長い式を置くと線にかかるので、逆伝播の式は変数の行の外側に水平に書く
    gd.edge(ax, X, dot, with_backward=True, flip=True, aim_end=(0.0, 0.16))
    gd.label(
        ax,
        (0.45, 1.08),
        rf"$\partial L/\partial X = {dLdY} \cdot W{T}$",
        color=gd.BACKWARD,
        ha="left",
        va="bottom",
        fontsize=20,
    )
    gd.edge(ax, W, dot, with_backward=True, aim_end=(0.0, -0.16))
    gd.label(
        ax,
        (0.45, -1.08),
        rf"$\partial L/\partial W = X{T} \cdot {dLdY}$",
        color=gd.BACKWARD,
        ha="left",
        va="top",
        fontsize=20,
    )
    gd.edge(ax, dot, add, r"$X \cdot W$", f"${dLdY}$", at=0.4)
    gd.label(ax, (6.35, 0.17), "(N, 3)", va="bottom", ha="left", **note)
    gd.edge(ax, B, add, with_backward=True, flip=True)
    gd.label(
        ax,
        (7.35, -0.84),
        rf"$\partial L/\partial B = \sum_n ({dLdY})_n$（$n$：バッチ）",
        color=gd.BACKWARD,
        ha="right",
        fontsize=20,
    )
    gd.edge(ax, add, Y, "", f"${dLdY}$")
    return fig


def softmax_graph():
    """Softmax-with-Loss レイヤ（簡略版）。逆伝播は y_k − t_k。"""
    dy = 0.95
    rows = [dy, 0.0, -dy]
    box_h = 2 * dy + 0.7
    softmax_x, loss_x, box_w = 3.0, 6.9, 1.75
    fig, ax = gd.canvas((-0.4, 9.75), (-dy - 1.17, dy + 0.52))
    s_left, s_right, _, _ = gd.box(
        ax, (softmax_x, 0.0), box_w, box_h, "Softmax", fill=gd.LIGHT_FILL, fontsize=20
    )
    l_left, l_right, l_bottom, _ = gd.box(
        ax, (loss_x, 0.0), box_w, box_h, "Cross\nEntropy\nError", fill=gd.LIGHT_FILL, fontsize=20
    )
    for k, y in enumerate(rows, start=1):
        a = gd.var(ax, (0.0, y), f"$a_{k}$", clearance=0.28)
        gd.edge(ax, a, gd.port((s_left, y)), "", f"$y_{k} - t_{k}$")
        gd.edge(ax, gd.port((s_right, y)), gd.port((l_left, y)), f"$y_{k}$", f"$-t_{k}/y_{k}$")
    for k, dx in enumerate((-0.5, 0.0, 0.5), start=1):
        t = gd.var(ax, (loss_x + dx, l_bottom - 0.62), f"$t_{k}$", fontsize=22, clearance=0.2)
        gd.edge(ax, t, gd.port((loss_x + dx, l_bottom)))
    L = gd.var(ax, (9.45, 0.0), "$L$", clearance=0.22)
    gd.edge(ax, gd.port((l_right, 0.0)), L, "", "$1$")
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    figstyle.save(example_graph(backward=False), outdir, "forward_propagation")
    figstyle.save(example_graph(backward=True), outdir, "backward_propagation_1")
    figstyle.save(local_derivative(), outdir, "backward_propagation_2")
    figstyle.save(sigmoid_graph(), outdir, "sigmoid_graph")
    figstyle.save(relu_graph(), outdir, "relu_graph")
    figstyle.save(affine_graph(), outdir, "affine_graph")
    figstyle.save(softmax_graph(), outdir, "softmax_graph")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
