"""ディープラーニングの図（第7章）: ImageNet のコンペの誤り率の推移、3×3 を 2 回重ねた畳み込みが見る範囲、
ResNet の残差ブロック、この章の深い CNN（DeepConvNet）の構造。

誤り率は zerodl.history のデータファイル（各行に出典）から読み、深い CNN の形は DeepConvNet に 0 の画像を
1 枚通して求める（cnn_layout_diagrams の SimpleConvNet の図と同じやり方）。見る範囲の大きさは conv_output_size で
計算する。座標はインチ（netdraw を参照）。文字の大きさは、スライドに載せる幅で
読めるように決めている（幅は tests/test_ch7_diagrams.py の PLANNED）。
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import netdraw as nd
import numpy as np
from cnn_diagrams import WINDOW_COLOR, WINDOW_FILL, frame, grid, window_fills
from cnn_layout_diagrams import AFFINE_FILL, CONV_FILL, layer_shapes, shape_text
from graphdraw import op

import figstyle
from zerodl.history import imagenet_winners
from zerodl.im2col import conv_output_size

CLASSIC_COLOR = "#9a9a9a"  # ニューラルネットワークでない手法の棒
DEEP_SPAN_FILL = "#eef3f9"  # 深層学習の年の背景
SECOND_COLOR, SECOND_FILL = figstyle.TEST_COLOR, "#fde0cf"  # 見る範囲の図で、中間の 1 マスが見る窓


# ---- ImageNet の誤り率 ---------------------------------------------------------------------------------------


def imagenet_figure(entries=None):
    """年ごとの top-5 誤り率の棒。棒の上に値、下に年とネットワーク（なければチーム）の名前。

    ニューラルネットワークの行（network が空でない）の棒は濃い青にし、その年々の背景を塗って「ディープラーニング」と書く。
    """
    entries = entries if entries is not None else imagenet_winners()
    fig, ax = plt.subplots(figsize=(10, 4.6), layout="constrained")
    xs = np.arange(len(entries))
    deep = [bool(e.network) and e.year >= 2012 for e in entries]
    heights = [e.top5_error_percent for e in entries]
    bars = ax.bar(xs, heights, width=0.62, color=[nd.ACCENT if d else CLASSIC_COLOR for d in deep], zorder=2)
    for k, (bar, e) in enumerate(zip(bars, entries, strict=True)):
        bar.set_label(f"bar{k}")
        text = ax.text(
            bar.get_x() + bar.get_width() / 2,
            e.top5_error_percent + max(heights) * 0.015,
            f"{e.top5_error_percent:g}",
            ha="center",
            va="bottom",
            fontsize=16,
        )
        text.set_label(f"value{k}")
    ax.set_xticks(
        xs,
        [f"{e.year}\n{e.name}" + ("\n（2 位）" if e.place != 1 else "") for e in entries],
        fontsize=14,
    )
    if any(deep):
        first = deep.index(True)
        ax.axvspan(first - 0.5, len(entries) - 0.5, color=DEEP_SPAN_FILL, zorder=0)
        ax.text(
            (first + len(entries) - 1) / 2,
            max(heights) * 1.12,
            "ディープラーニング（CNN）",
            ha="center",
            va="top",
            fontsize=17,
            color=nd.ACCENT,
        )
    ax.set_xlim(-0.5, len(entries) - 0.5)
    ax.set_ylim(0, max(heights) * 1.15)
    ax.set_ylabel("top-5 誤り率（%）", fontsize=15)
    ax.tick_params(axis="y", labelsize=14)
    ax.spines[["top", "right"]].set_visible(False)
    ax.text(
        0.99,
        0.74,
        "値は各論文・主催者が発表したテストデータの誤り率",
        transform=ax.transAxes,
        ha="right",
        va="top",
        fontsize=13,
        color=nd.MUTED,
    )
    return fig


# ---- 3×3 を 2 回 = 5×5 の範囲 ------------------------------------------------------------------------------


def receptive_field_sizes(kernel=3, layers=2):
    """出力 1 マスが見る入力の大きさ n と、入力から出力までのマス目の大きさ（stride 1、パディングなし）。

    n は、kernel×kernel の畳み込みを layers 回重ねてちょうど 1×1 になる入力の大きさ。
    """
    sizes = [1]
    while len(sizes) <= layers:
        # 大きさ n の入力が 1 回の畳み込みで sizes[0] になる n を、conv_output_size で確かめながら探す
        n = sizes[0] + kernel - 1
        assert conv_output_size(n, kernel) == sizes[0]
        sizes.insert(0, n)
    return sizes


def receptive_field_figure(kernel=3, layers=2):
    """上の段: 入力 → kernel×kernel の畳み込み → 中間 → … → 出力 1 マス。下の段: 同じ入力を 1 回の大きな畳み込みで。

    上の段では、出力が見る範囲を青で（入力の全体、中間の全体）、中間の左上の 1 マスが見る窓を橙で塗る。
    """
    sizes = receptive_field_sizes(kernel, layers)
    n = sizes[0]
    cell, gap = 0.4, 1.3
    label_fs, arrow_fs = 17, 16
    row_h = n * cell
    fig_w = sum(s * cell for s in sizes) + gap * layers
    bottom_top = -row_h - 0.95
    fig, ax = nd.canvas((-0.1, fig_w + 0.1), (bottom_top - row_h - 0.55, 0.6))

    left, corners = 0.0, []
    for k, size in enumerate(sizes):
        top = -(n - size) * cell / 2  # 縦の真ん中を揃える
        corners.append((left, top))
        fills = window_fills((size, size), 0, 0, size, size)  # 出力が見る範囲: 全体
        if layers > 1 and k == layers - 2:
            # 出力の 1 つ手前の層の左上の 1 マスが、その前の層のどこを見るか（橙）
            fills = window_fills((size, size), 0, 0, kernel, kernel, fill=SECOND_FILL, base=WINDOW_FILL)
        if k == layers - 1 and layers > 1:
            fills[0][0] = SECOND_FILL
        edges = grid(ax, (size, size), (left, top), cell=cell, fills=fills)
        frame(ax, (left, top), size, size, cell=cell, color=WINDOW_COLOR, gid=f"field{k}")
        name = "入力" if k == 0 else "出力" if k == layers else "中間"
        caption = nd.label(
            ax,
            ((edges[0] + edges[1]) / 2, top + 0.1),
            f"{name} {size}×{size}",
            fontsize=label_fs,
            va="bottom",
        )
        caption.set_label(f"size{k}")
        if k < layers:
            x0, x1 = edges[1] + 0.15, edges[1] + gap - 0.15
            nd.arrow(ax, (x0, -row_h / 2), (x1, -row_h / 2), linewidth=2)
            nd.label(
                ax, ((x0 + x1) / 2, -row_h / 2 - 0.12), f"{kernel}×{kernel}", fontsize=arrow_fs, va="top"
            )
            left = edges[1] + gap
    if layers > 1:
        frame(
            ax,
            corners[layers - 2],
            kernel,
            kernel,
            cell=cell,
            color=SECOND_COLOR,
            linewidth=2.5,
            linestyle="--",
            gid="window",
        )
        # 橙の意味は、橙の 1 マスを持つ層（出力の 1 つ手前）の下に書く（青は出力が見る範囲: 下の段の文）
        size = sizes[layers - 1]
        center = corners[layers - 1][0] + size * cell / 2
        nd.label(
            ax,
            (center, -row_h / 2 - size * cell / 2 - 0.12),
            f"橙の 1 マスが見るのは\n前の層の橙の {kernel}×{kernel}",
            fontsize=15,
            color=SECOND_COLOR,
            va="top",
        )

    # 下の段: 1 回の n×n の畳み込み
    edges = grid(ax, (n, n), (0, bottom_top), cell=cell, fills=window_fills((n, n), 0, 0, n, n))
    frame(ax, (0, bottom_top), n, n, cell=cell, color=WINDOW_COLOR)
    nd.label(ax, (n * cell / 2, bottom_top + 0.1), f"入力 {n}×{n}", fontsize=label_fs, va="bottom")
    out_left = edges[1] + gap
    y = bottom_top - row_h / 2
    nd.arrow(ax, (edges[1] + 0.15, y), (out_left - 0.15, y), linewidth=2)
    nd.label(ax, ((edges[1] + out_left) / 2, y - 0.12), f"{n}×{n}", fontsize=arrow_fs, va="top")
    grid(ax, (1, 1), (out_left, y + cell / 2), cell=cell, fills=[[WINDOW_FILL]])
    frame(ax, (out_left, y + cell / 2), 1, 1, cell=cell, color=WINDOW_COLOR)
    nd.label(ax, (out_left + cell / 2, y + cell / 2 + 0.1), "出力 1×1", fontsize=label_fs, va="bottom")
    nd.label(
        ax,
        (out_left + cell + 0.4, y),
        f"{n}×{n} の畳み込み 1 回でも\n見る範囲は同じ {n}×{n}",
        fontsize=label_fs,
        ha="left",
        color=nd.MUTED,
    )
    return fig


# ---- 残差ブロック -----------------------------------------------------------------------------------------

RESIDUAL_LAYERS = ("重み層\n3×3 畳み込み", "ReLU", "重み層\n3×3 畳み込み")


def residual_figure(layers=RESIDUAL_LAYERS):
    """x → layers → (+) → ReLU。x は layers を迂回して (+) に入る（ショートカット）。逆伝播の勾配を赤の破線で。"""
    box_w, box_h, gap = 1.9, 1.05, 0.75
    fs = 18
    split = 0.9  # x が分かれる点
    xs = [split + gap + box_w / 2 + k * (box_w + gap) for k in range(len(layers))]
    plus_x = xs[-1] + box_w / 2 + gap + 0.35
    relu_x = plus_x + 0.35 + 1.3 + box_w / 2 * 0.7
    end_x = relu_x + box_w * 0.35 + 0.9
    top = 1.75  # ショートカットの高さ
    fig, ax = nd.canvas((-0.15, end_x + 0.3), (-box_h / 2 - 0.2, top + 0.6))

    nd.label(ax, (0.15, 0), "$x$", fontsize=24)
    nd.arrow(ax, (0.4, 0), (xs[0] - box_w / 2, 0), linewidth=2)
    for k, (x, text) in enumerate(zip(xs, layers, strict=True)):
        fill = AFFINE_FILL if "ReLU" in text else CONV_FILL
        nd.box(ax, (x, 0), box_w, box_h, text, fill=fill, fontsize=fs - 1 if "\n" in text else fs)
        if k:
            nd.arrow(ax, (xs[k - 1] + box_w / 2, 0), (x - box_w / 2, 0), linewidth=2)
    plus = op(ax, (plus_x, 0), "+")
    nd.arrow(ax, (xs[-1] + box_w / 2, 0), plus.left, shrink_end=plus.r, linewidth=2)
    fx = nd.label(ax, ((xs[-1] + box_w / 2 + plus_x - plus.r) / 2, -0.12), "$F(x)$", fontsize=20, va="top")
    fx.set_label("F")
    relu_w = box_w * 0.7
    nd.box(ax, (relu_x, 0), relu_w, box_h, "ReLU", fill=AFFINE_FILL, fontsize=fs)
    nd.arrow(ax, plus.right, (relu_x - relu_w / 2, 0), shrink_start=plus.r, linewidth=2)
    nd.label(
        ax, ((plus_x + plus.r + relu_x - relu_w / 2) / 2, -0.12), "$F(x)+x$", fontsize=20, va="top"
    ).set_label("sum")
    nd.arrow(ax, (relu_x + relu_w / 2, 0), (end_x, 0), linewidth=2)

    # ショートカット: 分かれる点から上へ、右へ、(+) の上から入る
    ax.plot(
        [split, split, plus_x], [0, top, top], color=nd.INK, linewidth=2, zorder=2, solid_joinstyle="miter"
    )
    ax.add_patch(plt.Circle((split, 0), 0.06, color=nd.INK, zorder=3))
    nd.arrow(ax, (plus_x, top), (plus_x, 0), shrink_end=plus.r, linewidth=2)
    nd.label(ax, ((split + plus_x) / 2, top + 0.1), "$x$（そのまま）", fontsize=20, va="bottom").set_label(
        "x"
    )
    # 逆伝播: 出力側の勾配が、ショートカットを通ってそのまま x へ戻る（赤の破線、右から左）
    back = top - 0.35
    nd.arrow(
        ax,
        (plus_x - 0.2, back),
        (split + 0.2, back),
        color=nd.BACKWARD,
        linewidth=2,
        linestyle="--",
    )
    nd.label(
        ax,
        ((split + plus_x) / 2, back - 0.1),
        "逆伝播: 勾配は弱まらずに $x$ へ届く",
        fontsize=16,
        color=nd.BACKWARD,
        va="top",
        background=True,
    ).set_label("backward")
    return fig


# ---- 深い CNN の構造 ---------------------------------------------------------------------------------------


def deep_cnn_shapes(network=None, input_dim=(1, 28, 28)):
    """DeepConvNet（既定の大きさ）に 0 の画像を 1 枚通したときの (名前, 出力の形)。最初に入力、最後に Softmax。"""
    if network is None:
        from zerodl.deep_conv_net import DeepConvNet  # 第7章のネットワーク（この図を描くときだけ要る）

        network = DeepConvNet(input_dim=input_dim)
    return layer_shapes(network, input_dim)


def stages(names):
    """レイヤの名前を段に分けた、各段の (最初, 最後+1) の番号。

    畳み込みの段は Pool で終わり、全結合の段は Affine で始まる。入力、Flatten、Softmax はそれだけで 1 段。
    """
    alone = {"入力", "Flatten", "Softmax"}
    starts = [
        k
        for k, name in enumerate(names)
        if k == 0
        or name in alone
        or name.startswith("Affine")
        or names[k - 1] in alone
        or names[k - 1].startswith("Pool")
    ]
    return list(zip(starts, [*starts[1:], len(names)], strict=True))


def box_text(name, shape):
    """箱の中の文字: レイヤの種類と、形から読める設定（畳み込みのフィルタの枚数、全結合のノードの数）。"""
    kind = name.rstrip("0123456789")
    if kind == "Conv":
        return f"Conv\n{shape[0]} 枚"
    if kind == "Affine":
        return f"Affine\n{shape[0]}"
    return {"Relu": "ReLU", "Pool": "Pool"}.get(kind, kind)


def deep_architecture_figure(shapes):
    """shapes（(名前, 出力の形) の列）を左から右へ 2 段に並べ、段ごとにその出力の形を下に書く。

    2 段目への折り返しは、箱の数がいちばん釣り合う段の切れ目で。
    """
    names = [name for name, _ in shapes]
    groups = stages(names)
    ends = [end for _, end in groups[:-1]]
    split = min(ends, key=lambda end: abs(len(names) - 2 * end))
    rows = [range(0, split), range(split, len(names))]
    box_w, box_h, gap = 0.98, 0.95, 0.3
    row_gap = 2.15  # 段と段の中心の距離
    width = max(len(r) for r in rows) * (box_w + gap) - gap
    fig, ax = nd.canvas((-0.45, width + 0.35), (-row_gap - box_h / 2 - 0.9, box_h / 2 + 0.15))
    flatten = names.index("Flatten") if "Flatten" in names else len(names)  # ここまでが畳み込みの部分
    centers = {}
    for r, row in enumerate(rows):
        y = -r * row_gap
        for j, k in enumerate(row):
            name, shape = shapes[k]
            cx = j * (box_w + gap) + box_w / 2
            centers[k] = (cx, y)
            fill = "white" if k == 0 else CONV_FILL if k < flatten else AFFINE_FILL
            text = box_text(name, shape)
            nd.box(ax, (cx, y), box_w, box_h, text, fill=fill, fontsize=15 if "\n" in text else 16)
            if j:
                nd.arrow(ax, (cx - box_w / 2 - gap, y), (cx - box_w / 2, y), linewidth=1.8)
    # 1 段目の終わりから 2 段目の始めへ折り返す矢印
    (x_end, y0), (x_start, y1) = centers[split - 1], centers[split]
    mid = (y0 + y1) / 2 - 0.08  # 1 段目の形の文字より下
    ax.plot(
        [x_end + box_w / 2, x_end + box_w / 2 + 0.2, x_end + box_w / 2 + 0.2, -0.3, -0.3],
        [y0, y0, mid, mid, y1],
        color=nd.INK,
        linewidth=1.8,
        solid_joinstyle="miter",
    )
    nd.arrow(ax, (-0.3, y1), (x_start - box_w / 2, y1), linewidth=1.8)
    # 段ごとの出力の形（段が 2 つ以上の箱なら括弧で括る）
    for start, end in groups:
        (x0, y), (x1, _) = centers[start], centers[end - 1]
        bottom = y - box_h / 2 - 0.1
        if end - start > 1:
            ax.plot(
                [x0 - box_w / 2 + 0.05] * 2 + [x1 + box_w / 2 - 0.05] * 2,
                [bottom, bottom - 0.1, bottom - 0.1, bottom],
                color=nd.MUTED,
                linewidth=1.5,
            )
        text = nd.label(
            ax,
            ((x0 + x1) / 2, bottom - 0.17),
            shape_text(shapes[end - 1][1]),
            fontsize=15,
            color=nd.ACCENT,
            va="top",
        )
        text.set_label(f"shape{start}")
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    figstyle.save(imagenet_figure(), outdir, "ch7_imagenet")
    figstyle.save(receptive_field_figure(), outdir, "ch7_receptive_field")
    figstyle.save(residual_figure(), outdir, "ch7_residual")
    figstyle.save(deep_architecture_figure(deep_cnn_shapes()), outdir, "ch7_deep_architecture")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
