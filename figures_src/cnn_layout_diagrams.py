"""CNN の図（第6章）: Max プーリングの計算例、im2col が並べるもの、単純な CNN（SimpleConvNet）の構造。

数はすべて zerodl で計算する（POOL_INPUT と max_pool2d、EXAMPLE_INPUT と EXAMPLE_FILTER を im2col で並べた行列と
その積、SimpleConvNet に 1 枚通したときの各レイヤの出力の形）。座標はインチ（netdraw を参照）。
文字の大きさは、スライドの figure(width=…) の幅で読めるように決めている（テストがその幅で確かめる）。
"""

import inspect
import sys
from pathlib import Path

import netdraw as nd
import numpy as np
from matplotlib.patches import Circle, Rectangle

import figstyle
from zerodl.activations import softmax
from zerodl.cnn_examples import EXAMPLE_FILTER, EXAMPLE_INPUT, POOL_INPUT, max_pool2d
from zerodl.im2col import conv_output_size, im2col
from zerodl.simple_conv_net import SimpleConvNet

# 窓（出力の位置）ごとの色: 塗りと、枠・文字の濃い色。左上、右上、左下、右下の順。
WINDOW_FILLS = ["#cfe1f2", "#fdd9b5", "#d3ecc9", "#e3d7ee"]
WINDOW_EDGES = ["#2171b5", "#d94801", "#238b45", "#6a51a3"]
FILTER_FILLS = ["#f6e8a6", "#f2c6d4"]  # im2col の図のフィルタ 2 枚（列の色）
FILTER_EDGES = ["#8c6d00", "#a8325e"]
GRID_COLOR = "#9a9a9a"


def matrix(ax, values, left, top, cell, *, fills=None, fontsize=20, colors=None):
    """2 次元配列を、1 要素 1 マスの表として描く（左上の角が (left, top)）。fills などは要素ごとの指定。"""
    values = np.asarray(values)
    for (i, j), value in np.ndenumerate(values):
        x, y = left + j * cell, top - (i + 1) * cell
        fill = fills[i][j] if fills is not None else "white"
        ax.add_patch(
            Rectangle((x, y), cell, cell, facecolor=fill, edgecolor=GRID_COLOR, linewidth=1, zorder=2)
        )
        ax.text(
            x + cell / 2,
            y + cell / 2,
            f"{value:g}".replace("-", "\N{MINUS SIGN}"),  # 目盛りと同じ本物のマイナス
            ha="center",
            va="center",
            fontsize=fontsize,
            color=colors[i][j] if colors is not None else nd.INK,
            zorder=4,
        )
    return left + values.shape[1] * cell, top - values.shape[0] * cell  # 右端と下端


def outline(ax, left, top, cell, rows, cols, color, *, inset=0.0, linewidth=3):
    """マス目の (rows, cols) の範囲を囲む枠（inset だけ内側に）。"""
    ax.add_patch(
        Rectangle(
            (left + inset, top - rows * cell + inset),
            cols * cell - 2 * inset,
            rows * cell - 2 * inset,
            facecolor="none",
            edgecolor=color,
            linewidth=linewidth,
            zorder=3,
        )
    )


def shape_text(shape) -> str:
    """NumPy の shape の書き方: (4, 9)、1 次元なら (10,)。"""
    return str(tuple(int(n) for n in shape))


# ---- Max プーリング --------------------------------------------------------------------------------------


def pooling_windows(x, size=2, stride=2):
    """窓ごとに (窓の左上の行, 列, 窓の中で最大の要素の行, 列)。左上の窓から行ごとに。"""
    out = []
    for i in range(0, x.shape[0] - size + 1, stride):
        for j in range(0, x.shape[1] - size + 1, stride):
            window = x[i : i + size, j : j + size]
            di, dj = np.unravel_index(np.argmax(window), window.shape)
            out.append((i, j, i + int(di), j + int(dj)))
    return out


def pooling_figure(x=POOL_INPUT, size=2, stride=2):
    """入力の 2×2 の窓を色分けし、各窓の最大の要素を枠と色の文字で示して、出力（max_pool2d の値）を同じ色で並べる。"""
    cell, gap = 0.8, 2.9
    out = max_pool2d(x, size, stride)
    windows = pooling_windows(x, size, stride)
    n_in, n_out = x.shape[0], out.shape[0]
    width = n_in * cell + gap + n_out * cell
    fig, ax = nd.canvas((-0.1, width + 0.1), (-n_in * cell - 0.55, 0.65))

    fills = [[None] * x.shape[1] for _ in range(x.shape[0])]
    colors = [[nd.INK] * x.shape[1] for _ in range(x.shape[0])]
    for k, (i, j, mi, mj) in enumerate(windows):
        for di in range(size):
            for dj in range(size):
                fills[i + di][j + dj] = WINDOW_FILLS[k]
        colors[mi][mj] = WINDOW_EDGES[k]
    matrix(ax, x, 0, 0, cell, fills=fills, colors=colors, fontsize=24)
    for k, (i, j, mi, mj) in enumerate(windows):
        outline(ax, j * cell, -i * cell, cell, size, size, WINDOW_EDGES[k], inset=0.04)
        outline(ax, mj * cell, -mi * cell, cell, 1, 1, WINDOW_EDGES[k], inset=0.1, linewidth=2)

    out_left = n_in * cell + gap
    out_top = -(n_in - n_out) * cell / 2
    out_fills = [
        [WINDOW_FILLS[i * out.shape[1] + j] for j in range(out.shape[1])] for i in range(out.shape[0])
    ]
    out_colors = [
        [WINDOW_EDGES[i * out.shape[1] + j] for j in range(out.shape[1])] for i in range(out.shape[0])
    ]
    matrix(ax, out, out_left, out_top, cell, fills=out_fills, colors=out_colors, fontsize=24)

    middle = -n_in * cell / 2
    nd.arrow(ax, (n_in * cell + 0.25, middle), (out_left - 0.25, middle), linewidth=2.5)
    nd.label(ax, (n_in * cell + gap / 2, middle + 0.15), f"{size}×{size} の Max", fontsize=19, va="bottom")
    nd.label(ax, (n_in * cell + gap / 2, middle - 0.15), f"ストライド {stride}", fontsize=19, va="top")
    nd.label(ax, (n_in * cell / 2, 0.12), f"入力 {x.shape[0]}×{x.shape[1]}", fontsize=20, va="bottom")
    nd.label(
        ax,
        (out_left + n_out * cell / 2, 0.12),
        f"出力 {out.shape[0]}×{out.shape[1]}",
        fontsize=20,
        va="bottom",
    )
    nd.label(
        ax,
        (n_in * cell / 2, -n_in * cell - 0.12),
        "枠: 各窓の最大値",
        fontsize=17,
        color=nd.MUTED,
        va="top",
    )
    return fig


# ---- im2col -------------------------------------------------------------------------------------------------


def im2col_example(image=EXAMPLE_INPUT, filters=None):
    """im2col の図が描く配列: 入力 image を (1, 1, H, W) にしたものと、フィルタ (FN, 1, FH, FW)。

    フィルタを省くと EXAMPLE_FILTER と、その左右を裏返したものの 2 枚。Convolution.forward と同じ手順
    （バイアスは 0）: col = im2col(x)、フィルタを 1 枚 1 列にした col_W、out = col · col_W (N·OH·OW, FN) を
    (N, FN, OH, OW) に並べ直す。
    """
    x = np.asarray(image)[np.newaxis, np.newaxis]  # (N, C, H, W) = (1, 1, H, W)
    if filters is None:
        filters = np.stack([EXAMPLE_FILTER, EXAMPLE_FILTER[:, ::-1]])[:, np.newaxis]
    fn, _, fh, fw = filters.shape
    col = im2col(x, fh, fw)
    col_w = filters.reshape(fn, -1).T
    out = col @ col_w
    oh, ow = conv_output_size(x.shape[2], fh), conv_output_size(x.shape[3], fw)
    maps = out.reshape(x.shape[0], oh, ow, fn).transpose(0, 3, 1, 2)
    return {"x": x, "filters": filters, "col": col, "col_W": col_w, "out": out, "maps": maps}


def im2col_figure(example=None):
    """左から: 入力と 4 つの窓 → col（窓 1 つが 1 行）· col_W（フィルタ 1 枚が 1 列）= 出力の行列 → (N, FN, OH, OW)。

    行の色は窓の色（入力の 4 枚の写しで、それぞれの窓を同じ色で囲む）、col_W の列の色はフィルタの色。
    """
    e = example or im2col_example()
    x, filters, col, col_w, out, maps = (e[k] for k in ("x", "filters", "col", "col_W", "out", "maps"))
    image = x[0, 0]
    fn, _, fh, fw = filters.shape
    oh, ow = maps.shape[2:]
    cell, small = 0.5, 0.33
    fs, small_fs = 17, 15

    # 横の並び（インチ）: 入力の写し 2×2、im2col の矢印、col、·、W、=、出力の行列、reshape の矢印、出力
    copy_gap = 0.25
    copy_size = image.shape[1] * small
    left_w = ow * copy_size + (ow - 1) * copy_gap
    col_left = left_w + 1.5
    col_right = col_left + col.shape[1] * cell
    w_left = col_right + 0.75
    w_right = w_left + fn * cell
    out_left = w_right + 0.75
    out_right = out_left + fn * cell
    maps_left = out_right + 1.55
    maps_right = maps_left + ow * cell

    w_top = 0.0
    w_bottom = w_top - col_w.shape[0] * cell
    middle = (w_top + w_bottom) / 2
    col_top = middle + col.shape[0] * cell / 2
    col_bottom = col_top - col.shape[0] * cell
    fig, ax = nd.canvas((-0.1, maps_right + 0.1), (w_bottom - 0.1, w_top + 0.5))

    # 入力の写し 4 枚（窓ごとに 1 枚、出力の位置と同じ 2×2 に並べる）
    copies_top = middle + (oh * copy_size + (oh - 1) * copy_gap) / 2
    for k in range(oh * ow):
        i, j = divmod(k, ow)
        left = j * (copy_size + copy_gap)
        top = copies_top - i * (copy_size + copy_gap)
        fills = [
            [
                WINDOW_FILLS[k] if i <= r < i + fh and j <= c < j + fw else "white"
                for c in range(image.shape[1])
            ]
            for r in range(image.shape[0])
        ]
        matrix(ax, image, left, top, small, fills=fills, fontsize=small_fs)
        outline(ax, left + j * small, top - i * small, small, fh, fw, WINDOW_EDGES[k], linewidth=2.5)
    nd.label(ax, (left_w / 2, copies_top + 0.1), f"入力 {shape_text(x.shape)}", fontsize=fs, va="bottom")
    nd.label(
        ax,
        (left_w / 2, copies_top - oh * copy_size - copy_gap - 0.1),
        f"{fh}×{fw} の窓 {oh * ow} か所",
        fontsize=fs,
        va="top",
        color=nd.MUTED,
    )
    nd.arrow(ax, (left_w + 0.15, middle), (col_left - 0.15, middle), linewidth=2.2)
    nd.label(ax, ((left_w + col_left) / 2, middle + 0.1), "im2col", fontsize=fs, va="bottom")

    # col: 窓 1 つが 1 行（行の色は窓の色）
    row_fills = [[WINDOW_FILLS[r]] * col.shape[1] for r in range(col.shape[0])]
    matrix(ax, col, col_left, col_top, cell, fills=row_fills, fontsize=fs)
    nd.label(
        ax,
        ((col_left + col_right) / 2, col_top + 0.1),
        f"col {shape_text(col.shape)}: 窓 1 つが 1 行",
        fontsize=fs,
        va="bottom",
    )
    ax.add_patch(Circle(((col_right + w_left) / 2, middle), 0.055, color=nd.INK))  # 行列の積の「·」

    # col_W（Convolution.forward と同じ名前）: フィルタ 1 枚が 1 列（列の色はフィルタの色）
    col_fills = [[FILTER_FILLS[c] for c in range(fn)] for _ in range(col_w.shape[0])]
    matrix(ax, col_w, w_left, w_top, cell, fills=col_fills, fontsize=fs)
    nd.label(
        ax,
        ((w_left + w_right) / 2, w_top + 0.1),
        f"col_W {shape_text(col_w.shape)}: フィルタ 1 枚が 1 列",
        fontsize=fs,
        va="bottom",
    )
    nd.label(ax, ((w_right + out_left) / 2, middle), "$=$", fontsize=24)

    # フィルタそのもの（col の下）から W へ: 1 枚を 1 列に伸ばしたのが W の列
    f_gap = 0.3
    f_top = w_bottom + fh * small
    f_right = col_right - 0.1
    f_left0 = f_right - fn * fw * small - (fn - 1) * f_gap
    for f in range(fn):
        left = f_left0 + f * (fw * small + f_gap)
        matrix(ax, filters[f, 0], left, f_top, small, fills=[[FILTER_FILLS[f]] * fw] * fh, fontsize=small_fs)
    f_middle = f_top - fh * small / 2
    nd.arrow(ax, (f_right + 0.08, f_middle), (w_left - 0.08, f_middle), linewidth=2)
    nd.label(
        ax,
        (f_left0 - 0.2, f_middle),
        f"フィルタ {shape_text(filters.shape)}",
        fontsize=fs,
        ha="right",
        color=nd.MUTED,
    )

    # 出力の行列: 行は窓、列はフィルタ（列の下にフィルタの色の帯）
    out_fills = [[WINDOW_FILLS[r]] * fn for r in range(out.shape[0])]
    matrix(ax, out, out_left, col_top, cell, fills=out_fills, fontsize=fs)
    nd.label(ax, ((out_left + out_right) / 2, col_top + 0.1), shape_text(out.shape), fontsize=fs, va="bottom")
    for f in range(fn):
        ax.add_patch(
            Rectangle(
                (out_left + f * cell, col_bottom - 0.12),
                cell,
                0.08,
                facecolor=FILTER_EDGES[f],
                edgecolor="none",
            )
        )

    # 並べ直した出力 (N, FN, OH, OW): フィルタごとに OH×OW の 1 枚（枠の色はフィルタの色）
    nd.arrow(ax, (out_right + 0.15, middle), (maps_left - 0.15, middle), linewidth=2.2)
    nd.label(ax, ((out_right + maps_left) / 2, middle + 0.1), "reshape", fontsize=fs, va="bottom")
    map_gap = 0.55
    maps_top = middle + (fn * oh * cell + (fn - 1) * map_gap) / 2
    for f in range(fn):
        top = maps_top - f * (oh * cell + map_gap)
        fills = [[WINDOW_FILLS[i * ow + j] for j in range(ow)] for i in range(oh)]
        matrix(ax, maps[0, f], maps_left, top, cell, fills=fills, fontsize=fs)
        outline(ax, maps_left, top, cell, oh, ow, FILTER_EDGES[f], inset=-0.05, linewidth=2.5)
    nd.label(
        ax, ((maps_left + maps_right) / 2, maps_top + 0.15), shape_text(maps.shape), fontsize=fs, va="bottom"
    )
    return fig


# ---- SimpleConvNet の構造 ---------------------------------------------------------------------------------


def simple_cnn_shapes(network=None, input_dim=None):
    """SimpleConvNet に 1 枚通したときの、入力と各レイヤの出力の形（バッチの次元を除く）。名前は layers の順、最後に Softmax。

    input_dim を渡さなければ SimpleConvNet の既定の入力の形（MNIST の 1 枚）。
    """
    network = network or SimpleConvNet()
    return layer_shapes(
        network, input_dim or inspect.signature(SimpleConvNet).parameters["input_dim"].default
    )


def layer_shapes(network, input_dim):
    """network.layers に 0 の画像を 1 枚通したときの (名前, 出力の形)。最初に入力、最後に Softmax。

    Dropout は推論のとき（train_flg=False）の振る舞いで通す（第7章の DeepConvNet）。
    """
    x = np.zeros((1, *input_dim), dtype=np.float32)
    shapes = [("入力", x.shape[1:])]
    for name, layer in network.layers.items():
        x = layer.forward(x, False) if name.startswith("Dropout") else layer.forward(x)
        shapes.append((name, x.shape[1:]))
    shapes.append(("Softmax", softmax(x).shape[1:]))  # SoftmaxWithLoss の前半（学習では損失も求める）
    return shapes


def layer_captions(network):
    """箱の中の 2 行目: そのレイヤの設定（フィルタの数と大きさ、窓とストライド、ニューロンの数）。"""
    fn, _, fh, fw = network.params["W1"].shape
    pool = network.layers["Pool1"]
    return {
        "Conv1": f"{fn} 枚 {fh}×{fw}",
        "Pool1": f"{pool.pool_h}×{pool.pool_w}\nストライド {pool.stride}",
        "Affine1": f"{network.params['W2'].shape[1]} ノード",
        "Affine2": f"{network.params['W3'].shape[1]} ノード",
    }


CONV_PART = {"Conv1", "Relu1", "Pool1"}
CONV_FILL, AFFINE_FILL = "#e5f0e0", "#eef3f9"
DISPLAY = {
    "Relu1": "ReLU",
    "Relu2": "ReLU",
    "Pool1": "Pooling",
    "Conv1": "Conv",
    "Flatten1": "Flatten",
    "Affine1": "Affine",
    "Affine2": "Affine",
}


def simple_cnn_figure(network=None, input_dim=None):
    """入力 → Conv → ReLU → Pooling → Flatten → Affine → ReLU → Affine → Softmax。各箱の下に、その出力の形。"""
    network = network or SimpleConvNet()
    shapes = simple_cnn_shapes(network, input_dim)
    captions = layer_captions(network)
    box_w, box_h, gap = 1.45, 1.05, 0.42
    n = len(shapes)
    total = n * box_w + (n - 1) * gap
    fig, ax = nd.canvas((-0.05, total + 0.05), (-box_h / 2 - 0.95, box_h / 2 + 0.75))
    for k, (name, shape) in enumerate(shapes):
        cx = k * (box_w + gap) + box_w / 2
        text = DISPLAY.get(name, name)
        if name in captions:
            text += "\n" + captions[name]
        fill = CONV_FILL if name in CONV_PART else "white" if name == "入力" else AFFINE_FILL
        fontsize = 19 if name not in captions else 15 if text.count("\n") > 1 else 17
        nd.box(ax, (cx, 0), box_w, box_h, text, fill=fill, fontsize=fontsize)
        nd.label(ax, (cx, -box_h / 2 - 0.12), shape_text(shape), fontsize=16, va="top", color=nd.ACCENT)
        if k:
            nd.arrow(ax, (cx - box_w / 2 - gap, 0), (cx - box_w / 2, 0), linewidth=2)
    # 畳み込みの部分と全結合の部分
    names = [name for name, _ in shapes]
    for members, label in (
        (CONV_PART, "畳み込みの部分"),
        ({"Affine1", "Relu2", "Affine2", "Softmax"}, "全結合の部分"),
    ):
        ks = [k for k, name in enumerate(names) if name in members]
        x0 = ks[0] * (box_w + gap) + 0.05
        x1 = ks[-1] * (box_w + gap) + box_w - 0.05
        y = box_h / 2 + 0.15
        ax.plot([x0, x0, x1, x1], [y, y + 0.12, y + 0.12, y], color=nd.MUTED, linewidth=1.5)
        nd.label(ax, ((x0 + x1) / 2, y + 0.2), label, fontsize=17, color=nd.MUTED, va="bottom")
    nd.label(
        ax,
        (total / 2, -box_h / 2 - 0.6),
        "（ ）は 1 枚あたりの出力の形",
        fontsize=16,
        color=nd.MUTED,
        va="top",
    )
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    figstyle.save(pooling_figure(), outdir, "ch6_pooling")
    figstyle.save(im2col_figure(), outdir, "ch6_im2col")
    figstyle.save(simple_cnn_figure(), outdir, "ch6_simple_cnn")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
