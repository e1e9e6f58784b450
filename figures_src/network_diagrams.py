"""ネットワークの図（第 2〜4 章）: 3 層ネットワーク、その各段の記号、行列での見方、MNIST 用の形、学習、逆伝播。

層の大きさは zerodl から読む（three_layer.LAYER_SIZES, mnist_inference.LAYER_SIZES）。
座標はインチ（netdraw を参照）。文字の大きさは、スライドの figure(width=…) の幅で読めるように決めている（テストがその幅で確かめる）。
"""

import itertools
import sys
from pathlib import Path

import netdraw as nd

import figstyle
from zerodl import mnist_inference, three_layer

SIZES = three_layer.LAYER_SIZES  # (入力層, 隠れ層1, 隠れ層2, 出力層)
MNIST_SIZES = mnist_inference.LAYER_SIZES
# TwoLayerNet は大きさを引数で受け取り、定数を持たない。第 4 章で MNIST の学習に使う大きさ:
INPUT_SIZE = 28 * 28  # 画像 1 枚の画素数
HIDDEN_SIZE = 50
OUTPUT_SIZE = 10  # 数字 0〜9

LAYER_NAMES = ["入力層", "隠れ層1", "隠れ層2", "出力層"]
R = 0.36  # 3 層ネットワークのニューロンの半径（インチ）
NODE_FONTSIZE = 24
TITLE_FONTSIZE = 18
SMALL_FONTSIZE = 16
LIGHT_FILL = "#eef3f9"  # 強調する箱の塗り（ACCENT をごく薄く）
LIGHT_ACCENT = "#6f9fd1"  # ACCENT を明るくした色（同じ段の、記号をつけない結合）


def tex(symbol: str, layer: int, sub="") -> str:
    """w^{(1)}_{12} のような記号（$ なし）。上付きの層番号は括弧に入れる（スライドの式と同じ）。"""
    return f"{symbol}^{{({layer})}}" + (f"_{{{sub}}}" if sub != "" else "")


def sup(symbol: str, layer: int, sub="") -> str:
    """tex() を $…$ で囲んだ、そのまま書ける文字列。"""
    return f"${tex(symbol, layer, sub)}$"


def layer_titles(ax, xs, y, names, *, numbered=True):
    """列の下に層の名前と、その下に小さく「第 i 層」。"""
    for i, (x, name) in enumerate(zip(xs, names, strict=True)):
        nd.label(ax, (x, y), name, fontsize=TITLE_FONTSIZE, va="top")
        if numbered:
            nd.label(ax, (x, y - 0.36), f"第{i}層", fontsize=SMALL_FONTSIZE, color=nd.MUTED, va="top")


def neural_network():
    """3 層ネットワーク全体。"""
    dx, dy = 2.8, 0.9
    xs = [i * dx for i in range(len(SIZES))]
    pos = nd.layer_positions(SIZES, xs, dy)
    bias_y = max(y for col in pos for _, y in col) + dy
    bottom = min(y for col in pos for _, y in col) - R
    fig, ax = nd.canvas((xs[0] - 0.75, xs[-1] + 0.75), (bottom - 0.95, bias_y + R + 0.1))

    nodes = []
    for i, col in enumerate(pos):
        labels = [f"$x_{n}$" for n in range(1, len(col) + 1)] if i == 0 else [""] * len(col)
        if i == len(pos) - 1:
            labels = [f"$y_{n}$" for n in range(1, len(col) + 1)]
        nodes.append(
            [nd.neuron(ax, xy, R, text, fontsize=NODE_FONTSIZE) for xy, text in zip(col, labels, strict=True)]
        )
    for i in range(len(pos) - 1):
        bias = nd.neuron(ax, (xs[i], bias_y), R, "$1$", fontsize=NODE_FONTSIZE, bias=True)
        for b in nodes[i + 1]:
            nd.connect(ax, bias, b, color=nd.MUTED, linestyle="--", linewidth=1.4)
        for a in nodes[i]:
            for b in nodes[i + 1]:
                nd.connect(ax, a, b, linewidth=1.6)
    layer_titles(ax, xs, bottom - 0.15, LAYER_NAMES)
    return fig


def stage_columns(stage: int) -> list[float]:
    """段 stage（1〜3）を強調する図の列の x。強調する段だけ広く、残りは詰める。"""
    wide, narrow = 3.0, 1.25
    after_capsule = 0.5  # 強調した段の行き先は横長のカプセルなので、その次の列を少し離す
    xs = [0.0]
    for i in range(1, len(SIZES)):
        if i == stage:
            xs.append(xs[-1] + wide)
        else:
            xs.append(xs[-1] + narrow + (after_capsule if i == stage + 1 else 0.0))
    return xs


def neural_network_stage(stage: int):
    """段 stage（stage-1 層 → stage 層）を強調した 3 層ネットワーク。

    強調した段の行き先のニューロンは「a → z」のカプセルで描き、1 番目のニューロンに入る重みと
    バイアスに記号をつける。出力層だけは h ではなく σ で、出力は y。
    """
    dy = 1.1
    xs = stage_columns(stage)
    pos = nd.layer_positions(SIZES, xs, dy)
    cap_w, cap_h = 1.9, 0.74
    last = len(SIZES) - 1
    bias_y = max(y for col in pos for _, y in col) + dy
    bottom = min(y for col in pos for _, y in col) - cap_h / 2
    right = xs[-1] + (cap_w / 2 if stage == last else R)
    fig, ax = nd.canvas((xs[0] - 0.6, right + 0.12), (bottom - 0.2, bias_y + R + 0.55))

    def color_of(i):  # 層 i のノードの色: 強調する段の両端だけ濃く
        return nd.INK if i in (stage - 1, stage) else nd.FADED

    nodes = []
    for i, col in enumerate(pos):
        column = []
        for n, xy in enumerate(col, start=1):
            if i == stage:
                column.append(stage_neuron(ax, xy, cap_w, cap_h, stage, n, output=(i == last)))
                continue
            if i == 0:
                text = f"$x_{n}$"
            elif i == last:
                text = f"$y_{n}$"
            elif i == stage - 1:
                text = sup("z", i, n)
            else:
                text = ""
            fontsize = 20 if "^" in text else 22  # z^{(1)}_1 は円に収まるよう少し小さく
            column.append(nd.neuron(ax, xy, R, text, color=color_of(i), fontsize=fontsize))
        nodes.append(column)

    for i in range(last):
        strong = i == stage - 1
        bias = nd.neuron(
            ax, (xs[i], bias_y), R, "$1$", fontsize=22, bias=True, color=nd.INK if strong else nd.FADED
        )
        if not strong:  # 薄い灰色の段
            for b in nodes[i + 1]:
                nd.connect(ax, bias, b, color=nd.FADED, linestyle="--", linewidth=1.2)
            for a in nodes[i]:
                for b in nodes[i + 1]:
                    nd.connect(ax, a, b, color=nd.FADED, linewidth=1.2)
            continue
        target = nodes[i + 1][0]
        for b in nodes[i + 1][1:]:  # 記号をつけない結合は細く明るく、記号のついた結合を目立たせる
            nd.connect(ax, bias, b, color=LIGHT_ACCENT, linestyle="--", linewidth=1.3)
            for a in nodes[i]:
                nd.connect(ax, a, b, color=LIGHT_ACCENT, linewidth=1.3)
        nd.connect(ax, bias, target, color=nd.ACCENT, linestyle="--", linewidth=2.2)
        nd.label(
            ax,
            nd.point_on(bias, target, 0.45),
            sup("b", stage, 1),
            fontsize=20,
            color=nd.ACCENT,
            background=True,
        )
        # 重みの記号は、上の結合ほど行き先寄りに置いて、縦に重ならないようにずらす
        spots = [0.62 - 0.25 * k / max(len(nodes[i]) - 1, 1) for k in range(len(nodes[i]))]
        for m, (a, t) in enumerate(zip(nodes[i], spots, strict=True), start=1):
            nd.connect(ax, a, target, color=nd.ACCENT, linewidth=2.2)
            nd.label(
                ax,
                nd.point_on(a, target, t),
                sup("w", stage, f"1{m}"),
                fontsize=20,
                color=nd.ACCENT,
                background=True,
            )
    nd.label(
        ax, (xs[stage - 1], bias_y + R + 0.1), LAYER_NAMES[stage - 1], fontsize=SMALL_FONTSIZE, va="bottom"
    )
    nd.label(ax, (xs[stage], bias_y + R + 0.1), LAYER_NAMES[stage], fontsize=SMALL_FONTSIZE, va="bottom")
    return fig


def stage_neuron(ax, xy, width, height, layer, n, *, output):
    """強調した段の行き先のニューロン: 重み付き和 a が活性化関数（h か σ）を通って z（出力層は y）になる。"""
    node = nd.capsule(ax, xy, width, height, color=nd.ACCENT, fill=LIGHT_FILL)
    x, y = xy
    nd.label(ax, (x - 0.5, y), sup("a", layer, n), fontsize=20)
    nd.label(ax, (x + 0.52, y), f"$y_{n}$" if output else sup("z", layer, n), fontsize=20)
    nd.arrow(ax, (x - 0.2, y - 0.05), (x + 0.2, y - 0.05), color=nd.ACCENT, linewidth=1.6, zorder=4)
    nd.label(ax, (x, y + 0.02), r"$\sigma$" if output else "$h$", fontsize=16, color=nd.ACCENT, va="bottom")
    return node


def neural_network2():
    """同じネットワークを行列で: X → [Affine → h] → [Affine → h] → [Affine → σ] → Y。

    各層を 1 つの縦長の箱にし、矢印の下に流れる配列の形、箱の下に重みとバイアスの形を書く。
    """
    fontsize = 21
    box_w, box_h, end_w, gap = 3.15, 1.55, 0.75, 0.75
    n_layers = len(SIZES) - 1
    centers, x = [], 0.0  # x: 次の箱の左端
    for width in [end_w] + [box_w] * n_layers + [end_w]:
        centers.append(x + width / 2)
        x += width + gap
    fig, ax = nd.canvas((-0.1, centers[-1] + end_w / 2 + 0.1), (-box_h / 2 - 0.75, box_h / 2 + 0.55))

    edges = [nd.box(ax, (centers[0], 0), end_w, 1.0, "$X$", fontsize=24)]
    names = LAYER_NAMES[1:]
    inputs = ["X"] + [tex("Z", i) for i in range(1, n_layers)]
    for i in range(1, n_layers + 1):
        output = i == n_layers
        left, right, bottom, top = nd.box(ax, (centers[i], 0), box_w, box_h, fill=LIGHT_FILL, color=nd.ACCENT)
        edges.append((left, right, bottom, top))
        a = tex("A", i)
        nd.label(
            ax,
            (centers[i], 0.38),
            f"${a} = {inputs[i - 1]}{tex('W', i)} + {tex('B', i)}$",
            fontsize=fontsize,
        )
        nd.arrow(ax, (centers[i], 0.13), (centers[i], -0.15), color=nd.ACCENT, linewidth=1.6, zorder=4)
        z = "Y" if output else tex("Z", i)
        act = r"\sigma" if output else "h"
        nd.label(ax, (centers[i], -0.4), f"${z} = {act}({a})$", fontsize=fontsize)
        nd.label(ax, (centers[i], top + 0.08), names[i - 1], fontsize=fontsize, va="bottom")
        shape = rf"{sup('W', i)}: ({SIZES[i - 1]}, {SIZES[i]}),  {sup('B', i)}: ({SIZES[i]},)"  # NumPy の shape の書き方
        nd.label(ax, (centers[i], bottom - 0.12), shape, fontsize=fontsize, va="top")
    edges.append(nd.box(ax, (centers[-1], 0), end_w, 1.0, "$Y$", fontsize=24))
    for i, size in enumerate(SIZES):
        x0, x1 = edges[i][1], edges[i + 1][0]
        nd.arrow(ax, (x0, 0), (x1, 0), linewidth=2)
        nd.label(ax, ((x0 + x1) / 2, -0.12), f"({size},)", fontsize=fontsize, va="top")
    return fig


def wide_network(ax, sizes, xs, *, r=0.22, dy=0.52, input_labels=None, output_labels=None):
    """大きな層を「円 2 つ、⋮、円 1 つ」で描き、隣の列の見えている円どうしを結ぶ。各列の下端の y を返す。"""
    slots = nd.column_ys(4, dy)  # 上から: 1 番目, 2 番目, ⋮, 最後
    columns = []
    for i, (n, x) in enumerate(zip(sizes, xs, strict=True)):
        col = [nd.neuron(ax, (x, y), r, linewidth=1.8) for y in (slots[0], slots[1], slots[3])]
        nd.label(ax, (x, slots[2]), r"$\vdots$", fontsize=20)
        columns.append(col)
        labels = input_labels if i == 0 else output_labels if i == len(sizes) - 1 else None
        if labels:
            side = -1 if i == 0 else 1
            for node, text in zip(col, labels(n), strict=True):
                nd.label(
                    ax,
                    (x + side * (r + 0.08), node.center[1]),
                    text,
                    fontsize=18,
                    ha="right" if side < 0 else "left",
                )
    for a_col, b_col in itertools.pairwise(columns):
        for a in a_col:
            for b in b_col:
                nd.connect(ax, a, b, color="#9a9a9a", linewidth=1.0)
    return slots[3] - r


def wide_network_figure(sizes, names, activations, input_note, output_note, *, dx):
    """neural_network3 と two_layer_network の共通部分: 列ごとにニューロン数と層の名前を下に書く。"""
    xs = [i * dx for i in range(len(sizes))]
    left_pad, right_pad = 0.95, 0.75
    fig, ax = nd.canvas((xs[0] - left_pad, xs[-1] + right_pad), (-2.12, 1.36))
    bottom = wide_network(
        ax,
        sizes,
        xs,
        input_labels=lambda n: ["$x_1$", "$x_2$", f"$x_{{{n}}}$"],
        output_labels=lambda n: ["0", "1", str(n - 1)],
    )
    for i, (x, n, name) in enumerate(zip(xs, sizes, names, strict=True)):
        nd.label(ax, (x, bottom - 0.1), str(n), fontsize=22, va="top")
        nd.label(ax, (x, bottom - 0.48), name, fontsize=18, va="top")
        note = input_note if i == 0 else output_note if i == len(sizes) - 1 else ""
        if note:
            nd.label(ax, (x, bottom - 0.82), note, fontsize=16, va="top", color=nd.MUTED)
    for (x0, x1), act in zip(itertools.pairwise(xs), activations, strict=True):
        nd.label(ax, ((x0 + x1) / 2, 1.0), act, fontsize=18, color=nd.ACCENT, va="bottom")
    return fig


def neural_network3():
    """MNIST を読むネットワーク 784 → 50 → 100 → 100 → 10。"""
    n_hidden = len(MNIST_SIZES) - 2
    names = ["入力層"] + [f"隠れ層{i}" for i in range(1, n_hidden + 1)] + ["出力層"]
    # mnist_inference.predict と同じ関数を、スライドと同じ呼び名で
    activations = ["シグモイド"] * n_hidden + ["ソフトマックス"]
    return wide_network_figure(MNIST_SIZES, names, activations, "28×28 画素", "0〜9 の確率", dx=2.1)


def two_layer_network():
    """第 4 章で学習する TwoLayerNet 784 → 50 → 10。"""
    sizes = (INPUT_SIZE, HIDDEN_SIZE, OUTPUT_SIZE)
    activations = ["Affine → ReLU", "Affine → Softmax"]  # TwoLayerNet.layers と last_layer の順
    return wide_network_figure(
        sizes, ["入力層", "隠れ層", "出力層"], activations, "28×28 画素", "0〜9 の確率", dx=4.1
    )


def learning_network():
    """第 3 章: 学習するネットワーク。出力と正解ラベルから損失 L を出し、∂L/∂W で重みを更新する。"""
    dx, dy = 2.2, 0.9
    xs = [i * dx for i in range(len(SIZES))]
    pos = nd.layer_positions(SIZES, xs, dy)
    loss_x, label_x = xs[-1] + 1.85, xs[-1] + 3.5
    top = max(y for col in pos for _, y in col) + R
    bus_y = top + 1.05  # 更新の赤い線の高さ
    fig, ax = nd.canvas((xs[0] - 0.55, label_x + 0.72), (-top - 0.2, bus_y + 0.58))

    nodes = []
    for i, col in enumerate(pos):
        if i == 0:
            labels = [f"$x_{n}$" for n in range(1, len(col) + 1)]
        elif i == len(pos) - 1:
            labels = [f"$y_{n}$" for n in range(1, len(col) + 1)]
        else:
            labels = [""] * len(col)
        nodes.append(
            [nd.neuron(ax, xy, R, text, fontsize=NODE_FONTSIZE) for xy, text in zip(col, labels, strict=True)]
        )
    for i in range(len(pos) - 1):
        for a in nodes[i]:
            for b in nodes[i + 1]:
                nd.connect(ax, a, b, linewidth=1.6)

    loss = nd.neuron(ax, (loss_x, 0.0), 0.45, "$L$", fontsize=26, color=nd.ACCENT, linewidth=2.5)
    nd.label(ax, (loss_x, -0.45 - 0.1), "損失関数", fontsize=18, color=nd.ACCENT, va="top")
    for y in nodes[-1]:
        nd.connect(ax, y, loss, linewidth=1.8)
    teacher = [
        nd.neuron(ax, (label_x, yy), R, f"$t_{n}$", fontsize=NODE_FONTSIZE, bias=True)
        for n, (_, yy) in enumerate(pos[-1], start=1)
    ]
    for t in teacher:
        arrow_start = t.left
        nd.arrow(
            ax,
            arrow_start,
            loss.right,
            shrink_start=t.r,
            shrink_end=loss.r,
            color=nd.MUTED,
            linestyle="--",
            linewidth=1.6,
        )
    nd.label(
        ax, (label_x, teacher[-1].center[1] - R - 0.1), "正解ラベル", fontsize=18, color=nd.MUTED, va="top"
    )

    # 各段の重みとバイアス、その上を通る更新の線（損失 L から各段へ）
    stage_x = [(x0 + x1) / 2 for x0, x1 in itertools.pairwise(xs)]
    for i, x in enumerate(stage_x, start=1):
        nd.label(ax, (x, top + 0.08), f"{sup('W', i)}, {sup('B', i)}", fontsize=22, va="bottom")
        nd.arrow(ax, (x, bus_y), (x, top + 0.62), color=nd.BACKWARD, linewidth=2)
    nd.arrow(ax, loss.right, (loss_x, bus_y), shrink_start=loss.r, color=nd.BACKWARD, linewidth=2, head=False)
    nd.arrow(ax, (loss_x, bus_y), (stage_x[0], bus_y), color=nd.BACKWARD, linewidth=2, head=False)
    nd.label(
        ax,
        ((stage_x[0] + loss_x) / 2, bus_y + 0.08),
        r"$\partial L/\partial W$ を求めて $W$ を更新",
        fontsize=20,
        color=nd.BACKWARD,
        va="bottom",
    )
    return fig


def layer_row(ax, names, widths, *, height, gap, x0=0.0, fontsize=20):
    """横一列の箱。各箱の (左端, 右端, 下端, 上端) を返す。"""
    edges, x = [], x0
    for name, width in zip(names, widths, strict=True):
        edges.append(
            nd.box(ax, (x + width / 2, 0.0), width, height, name, fontsize=fontsize, fill=LIGHT_FILL)
        )
        x += width + gap
    return edges


def backprop_network_1():
    """第 4 章: 学習するネットワークをレイヤの列として。"""
    names = ["Affine1", "ReLU", "Affine2", "Softmax", "Cross Entropy\nError"]
    widths = [1.45, 1.15, 1.45, 1.45, 2.1]
    height, gap, end = 0.95, 0.78, 0.55
    total = sum(widths) + gap * (len(widths) + 1) + 2 * end
    fig, ax = nd.canvas((-0.05, total + 0.05), (-height / 2 - 0.8, height / 2 + 0.55))
    edges = layer_row(ax, names, widths, height=height, gap=gap, x0=end + gap)
    nd.label(ax, (end / 2, 0), "$X$", fontsize=26)
    nd.label(ax, (total - end / 2, 0), "$L$", fontsize=26)
    xs = [end, *[e for left, right, _, _ in edges for e in (left, right)], total - end]
    for x0, x1 in zip(xs[::2], xs[1::2], strict=True):
        nd.arrow(ax, (x0, 0), (x1, 0), linewidth=2)
    # 正解ラベル t は損失の層へ下から入る
    left, right, bottom, top = edges[-1]
    nd.label(ax, ((left + right) / 2, bottom - 0.78), "$t$", fontsize=26, va="bottom")
    nd.arrow(ax, ((left + right) / 2, bottom - 0.45), ((left + right) / 2, bottom), linewidth=2)
    # Softmax と Cross Entropy Error をまとめたのが SoftmaxWithLoss レイヤ
    group_left, group_right = edges[-2][0] - 0.15, edges[-1][1] + 0.15
    nd.box(
        ax,
        ((group_left + group_right) / 2, 0.04),
        group_right - group_left,
        height + 0.38,
        color=nd.MUTED,
        fill="none",
        linestyle="--",
    )
    nd.label(
        ax,
        ((group_left + group_right) / 2, top + 0.27),
        "SoftmaxWithLoss",
        fontsize=18,
        color=nd.MUTED,
        va="bottom",
    )
    return fig


def backprop_network_2():
    """第 4 章: 同じ列を計算グラフとして。上が順伝播（黒）、下が逆伝播（赤）。"""
    names = ["Affine1", "ReLU", "Affine2", "Softmax\nWithLoss"]
    widths = [1.45, 1.15, 1.45, 1.75]
    height, gap = 1.25, 1.55
    total = sum(widths) + gap * (len(widths) + 1)
    up, down = 0.3, -0.3  # 順伝播と逆伝播の矢印の高さ
    fig, ax = nd.canvas((0.0, total), (-height / 2 - 1.1, up + 0.62))
    edges = layer_row(ax, names, widths, height=height, gap=gap, x0=gap, fontsize=21)
    xs = [0.0, *[e for left, right, _, _ in edges for e in (left, right)], total]
    forward = ["$X$", sup("A", 1), sup("Z", 1), sup("A", 2), "$L$"]
    backward = [  # 各レイヤの backward が返すもの。SoftmaxWithLoss は N 件の平均の勾配 (y - t)/N を返す
        r"$\partial L/\partial X$",
        rf"$\partial L/\partial {tex('A', 1)}$",
        rf"$\partial L/\partial {tex('Z', 1)}$",
        "$(y - t)/N$",
        "$1$",
    ]
    for x0, x1, f, b in zip(xs[::2], xs[1::2], forward, backward, strict=True):
        nd.arrow(ax, (x0, up), (x1, up), linewidth=2)
        nd.label(ax, ((x0 + x1) / 2, up + 0.1), f, fontsize=22, va="bottom")
        nd.arrow(ax, (x1, down), (x0, down), linewidth=2, color=nd.BACKWARD)
        nd.label(ax, ((x0 + x1) / 2, down - 0.1), b, fontsize=22, va="top", color=nd.BACKWARD)
    # Affine レイヤは逆伝播のついでに、自分の重みとバイアスの勾配を残す
    for i, (left, right, bottom, _) in zip((1, 2), (edges[0], edges[2]), strict=True):
        x = (left + right) / 2
        nd.arrow(ax, (x, bottom), (x, bottom - 0.6), linewidth=2, color=nd.BACKWARD)
        text = rf"$\partial L/\partial {tex('W', i)}$, $\partial L/\partial {tex('B', i)}$"
        nd.label(ax, (x, bottom - 0.68), text, fontsize=22, va="top", color=nd.BACKWARD)
    left, right, bottom, _ = edges[-1]
    x = (left + right) / 2
    nd.arrow(ax, (x, bottom - 0.6), (x, bottom), linewidth=2)
    nd.label(ax, (x, bottom - 0.68), "$t$", fontsize=26, va="top")
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    figstyle.save(neural_network(), outdir, "neural_network")
    for stage in range(1, len(SIZES)):
        figstyle.save(neural_network_stage(stage), outdir, f"neural_network1-{stage}")
    figstyle.save(neural_network2(), outdir, "neural_network2")
    figstyle.save(neural_network3(), outdir, "neural_network3")
    figstyle.save(two_layer_network(), outdir, "two_layer_network")
    figstyle.save(learning_network(), outdir, "learning_network")
    figstyle.save(backprop_network_1(), outdir, "backprop_network_1")
    figstyle.save(backprop_network_2(), outdir, "backprop_network_2")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
