"""CNN の図（第 6 章）: 全体の構造、畳み込みの計算例（位置ごとの積和とバイアス）、パディング、ストライド、
3 チャンネルの畳み込み、ブロックで考える形。

図に書く数はすべて zerodl.cnn_examples の配列（EXAMPLE_INPUT, EXAMPLE_FILTER, EXAMPLE_BIAS）と、
それを convolve2d で計算した結果。出力の大きさは zerodl.im2col.conv_output_size で求める。
スライドも同じ配列と関数で計算するので、図とスライドの数は一致する。
座標はインチ（netdraw を参照）。文字の大きさは、スライドの figure(width=…) の幅で読めるように決めている
（テストがその幅で確かめる。スライドがまだ載せていない図は、tests/test_ch6_diagrams.py の DESIGNED_WIDTHS の幅で）。
"""

import sys
from pathlib import Path

import netdraw as nd
import numpy as np
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Polygon, Rectangle
from matplotlib.textpath import TextToPath

import figstyle
from zerodl import cnn_examples
from zerodl.im2col import conv_output_size

CELL = 0.5  # マス目 1 つの大きさ（インチ）
NUMBER_FONTSIZE = 20  # マス目の中の数
SYMBOL_FONTSIZE = 30  # ⊛ や = や +
LABEL_FONTSIZE = 18
SUM_FONTSIZE = 22  # 積和の式
WINDOW_COLOR, WINDOW_FILL = nd.ACCENT, "#dbe7f4"  # いま計算している窓
SECOND_COLOR, SECOND_FILL = figstyle.TEST_COLOR, "#fde0cf"  # ストライドの 2 つ目の窓、CNN で新しいレイヤ
PAD_FILL = "#e3e3e3"  # パディングで足した 0 のマス
CONV_SYMBOL = r"$\circledast$"  # 本と同じ、畳み込みの演算の記号


def number(v) -> str:
    """マス目に書く数。整数なら小数点なし、負の数は本物のマイナス記号。"""
    v = float(v)
    text = f"{int(v)}" if v.is_integer() else f"{v:g}"
    return text.replace("-", "\N{MINUS SIGN}")


def grid(ax, values, top_left, *, cell=CELL, name="", fills=None, shown=None, text_colors=None):
    """2 次元配列のマス目。左上の角を top_left に置く。(左端, 右端, 下端, 上端) を返す。

    values が形だけ (H, W) のタプルなら数を書かない。fills[i][j] でマスの塗り、shown[i][j] が偽のマスは数を書かない。
    text_colors: {(i, j): 色} のマスの数はその色で（パディングの 0 を薄く）。
    数の Text には label "name[i,j]" をつける（テストが描いた数を配列と比べるため。SVG には出ない）。
    """
    blank = isinstance(values, tuple)
    h, w = values if blank else np.shape(values)
    x0, y0 = top_left
    text_colors = text_colors or {}
    for i in range(h):
        for j in range(w):
            fill = fills[i][j] if fills is not None else "white"
            ax.add_patch(
                Rectangle(
                    (x0 + j * cell, y0 - (i + 1) * cell),
                    cell,
                    cell,
                    facecolor=fill,
                    edgecolor=nd.INK,
                    linewidth=1.2,
                    zorder=2,
                )
            )
            if blank or (shown is not None and not shown[i][j]):
                continue
            center = (x0 + (j + 0.5) * cell, y0 - (i + 0.5) * cell)
            color = text_colors.get((i, j), nd.INK)
            text = nd.label(ax, center, number(values[i][j]), fontsize=NUMBER_FONTSIZE, color=color)
            text.set_label(f"{name}[{i},{j}]")
    return (x0, x0 + w * cell, y0 - h * cell, y0)


def frame(ax, top_left, rows, cols, *, row=0, col=0, cell=CELL, color=WINDOW_COLOR, linewidth=3.5, **kw):
    """マス目の (row, col) から rows × cols の範囲を太い枠で囲む（窓）。"""
    x0, y0 = top_left
    ax.add_patch(
        Rectangle(
            (x0 + col * cell, y0 - (row + rows) * cell),
            cols * cell,
            rows * cell,
            facecolor="none",
            edgecolor=color,
            linewidth=linewidth,
            zorder=4,
            **kw,
        )
    )


def window_fills(shape, row, col, rows, cols, fill=WINDOW_FILL, base="white"):
    """(row, col) から rows × cols の窓だけ fill で塗る、マスの塗りの表。"""
    h, w = shape
    return [
        [fill if row <= i < row + rows and col <= j < col + cols else base for j in range(w)]
        for i in range(h)
    ]


def symbol(ax, x, y, text, fontsize=SYMBOL_FONTSIZE):
    """マス目のあいだの演算の記号（⊛, =, +）。"""
    nd.label(ax, (x, y), text, fontsize=fontsize)


def caption(ax, edges, text, *, gap=0.12, fontsize=LABEL_FONTSIZE, color=nd.INK):
    """マス目 edges の下に名前を書く。"""
    left, right, bottom, _ = edges
    return nd.label(ax, ((left + right) / 2, bottom - gap), text, fontsize=fontsize, color=color, va="top")


# ---- 全体の構造 ------------------------------------------------------------------------------------------

# 本の図と同じ並び。各段は (全結合のレイヤ, CNN のレイヤ)。CNN の 3 段目は Pooling を省き、出力に近い段は全結合のまま。
STAGES = [
    (["Affine", "ReLU"], ["Conv", "ReLU", "Pooling"]),
    (["Affine", "ReLU"], ["Conv", "ReLU", "Pooling"]),
    (["Affine", "ReLU"], ["Conv", "ReLU"]),
    (["Affine", "ReLU"], ["Affine", "ReLU"]),
    (["Affine", "Softmax"], ["Affine", "Softmax"]),
]
NEW_LAYERS = {"Conv": (SECOND_COLOR, SECOND_FILL), "Pooling": (WINDOW_COLOR, WINDOW_FILL)}


def structure():
    """全結合のネットワーク（上）と CNN（下）。段の始まりを縦に揃え、CNN で新しく加わるレイヤを色で示す。"""
    box_w, box_h, gap, end = 1.18, 0.72, 0.34, 0.5
    pitch = box_w + gap
    starts = [0]  # 各段の最初の箱が入る列（CNN の並びで数える）
    for _, cnn in STAGES:
        starts.append(starts[-1] + len(cnn))
    width = 2 * end + starts[-1] * pitch - gap
    rows = [
        ("全結合のネットワーク: Affine と ReLU のくり返し", 0, 1.8),
        ("CNN: Conv と Pooling（色の箱）が加わる", 1, 0.0),
    ]
    fig, ax = nd.canvas((-0.05, width + 0.05), (-box_h / 2 - 0.08, 1.8 + box_h / 2 + 0.55))
    for title, which, y in rows:
        nd.label(ax, (0.0, y + box_h / 2 + 0.12), title, fontsize=LABEL_FONTSIZE, ha="left", va="bottom")
        xs = [0.0]  # 矢印がつなぐ点（入口、各箱の左端と右端、出口）
        for start, stage in zip(starts, STAGES, strict=False):
            for k, name in enumerate(stage[which]):
                color, fill = NEW_LAYERS.get(name, (nd.INK, "white"))
                center = (end + (start + k) * pitch + box_w / 2, y)
                left, right, _, _ = nd.box(
                    ax, center, box_w, box_h, name, color=color, fill=fill, fontsize=19
                )
                xs += [left, right]
        xs.append(width)
        for x0, x1 in zip(xs[::2], xs[1::2], strict=True):
            nd.arrow(ax, (x0, y), (x1, y), linewidth=1.8)
    return fig


# ---- 畳み込みの計算例 --------------------------------------------------------------------------------------


def text_width(text: str, fontsize: float) -> float:
    """文字列を描いたときの幅（インチ）。"""
    width, _, _ = TextToPath().get_text_width_height_descent(
        text, FontProperties(size=fontsize), ismath="$" in text
    )
    return width / 72


def product_sum(window, w) -> str:
    """窓と重みの積和を書き下した式（$…$）: 1·1 + 0·0 + … = 7。負の数は括弧に入れる。"""

    def tex(v, bracket=True):  # mathtext では "-" が本物のマイナスになる
        text = number(v).replace("\N{MINUS SIGN}", "-")
        return f"({text})" if bracket and v < 0 else text

    terms = [rf"{tex(a)}{{\cdot}}{tex(b)}" for a, b in zip(np.ravel(window), np.ravel(w), strict=True)]
    return "$" + " + ".join(terms) + f" = {tex(np.sum(window * w), bracket=False)}$"


def conv_steps(x, w):
    """出力の各位置の計算: 入力の窓（青）とフィルタの積和が、出力の同じ色のマスになる。計算済みのマスだけ数を書く。"""
    out = cnn_examples.convolve2d(x, w)
    fh, fw = w.shape
    (h, wd), (oh, ow) = x.shape, out.shape
    sums = [product_sum(x[i : i + fh, j : j + fw], w) for i in range(oh) for j in range(ow)]
    # パネルの幅は、マス目の並びと、いちばん長い積和の式の広い方（負の数が多いと式が長くなる）
    panel_w = max((wd + fw + ow) * CELL + 2 * 0.8, max(text_width(t, SUM_FONTSIZE) for t in sums))
    panel_h = max(h, fh) * CELL + 0.9
    gap_x, gap_y = 0.75, 0.35
    cols = 2
    rows = -(-oh * ow // cols)
    fig, ax = nd.canvas(
        (-0.1, cols * panel_w + (cols - 1) * gap_x + 0.1), (-rows * panel_h - (rows - 1) * gap_y, 0.1)
    )
    for k in range(oh * ow):
        i, j = divmod(k, ow)
        x0 = (k % cols) * (panel_w + gap_x)
        y0 = -(k // cols) * (panel_h + gap_y)
        xin = grid(ax, x, (x0, y0), name=f"input{k}", fills=window_fills(x.shape, i, j, fh, fw))
        frame(ax, (x0, y0), fh, fw, row=i, col=j)
        mid = y0 - h * CELL / 2
        symbol(ax, xin[1] + 0.4, mid, CONV_SYMBOL)
        fx = xin[1] + 0.8
        grid(ax, w, (fx, mid + fh * CELL / 2), name=f"filter{k}", fills=window_fills(w.shape, 0, 0, fh, fw))
        symbol(ax, fx + fw * CELL + 0.4, mid, "=")
        ox = fx + fw * CELL + 0.8
        done = [[r * ow + c <= k for c in range(ow)] for r in range(oh)]
        grid(
            ax,
            out,
            (ox, mid + oh * CELL / 2),
            name=f"output{k}",
            fills=window_fills(out.shape, i, j, 1, 1),
            shown=done,
        )
        frame(ax, (ox, mid + oh * CELL / 2), 1, 1, row=i, col=j)
        text = nd.label(ax, (x0, y0 - h * CELL - 0.2), sums[k], fontsize=SUM_FONTSIZE, ha="left", va="top")
        text.set_label(f"sum{k}")
    return fig


def conv_bias(x, w, b):
    """畳み込みの全体: 入力 ⊛ フィルタ、そのすべての要素にバイアスを足して出力。"""
    out = cnn_examples.convolve2d(x, w)
    (h, _), (fh, fw), (oh, ow) = x.shape, w.shape, out.shape
    gap = 0.8
    fig, ax = nd.canvas(
        (-0.1, 0.1 + (x.shape[1] + fw + 2 * ow + 1) * CELL + 4 * gap), (-h * CELL - 0.75, 0.1)
    )
    mid = -h * CELL / 2
    edges = grid(ax, x, (0.0, 0.0), name="input")
    caption(ax, edges, "入力データ")
    symbol(ax, edges[1] + gap / 2, mid, CONV_SYMBOL)
    edges = grid(ax, w, (edges[1] + gap, mid + fh * CELL / 2), name="filter")
    caption(ax, edges, "フィルタ")
    symbol(ax, edges[1] + gap / 2, mid, "=")
    edges = grid(ax, out, (edges[1] + gap, mid + oh * CELL / 2), name="sum")
    symbol(ax, edges[1] + gap / 2, mid, "+")
    edges = grid(ax, np.array([[b]]), (edges[1] + gap, mid + CELL / 2), name="bias", fills=[[SECOND_FILL]])
    caption(ax, edges, "バイアス")
    symbol(ax, edges[1] + gap / 2, mid, "=")
    edges = grid(ax, out + b, (edges[1] + gap, mid + oh * CELL / 2), name="output")
    caption(ax, edges, "出力データ")
    return fig


def padding(x, w, pad):
    """周りを 0 で埋めた入力（灰色のマス）とフィルタの畳み込み。出力は入力と同じ大きさになる。"""
    out = cnn_examples.convolve2d(x, w, pad=pad)
    padded = np.pad(x, pad)
    (ph, pw), (fh, fw), (oh, ow) = padded.shape, w.shape, out.shape
    inside = [[pad <= i < ph - pad and pad <= j < pw - pad for j in range(pw)] for i in range(ph)]
    fills = [["white" if cell else PAD_FILL for cell in row] for row in inside]
    muted = {(i, j): nd.MUTED for i in range(ph) for j in range(pw) if not inside[i][j]}
    gap = 0.8
    fig, ax = nd.canvas((-0.1, 0.1 + (pw + fw + ow) * CELL + 2 * gap), (-ph * CELL - 0.8, 0.1))
    mid = -ph * CELL / 2
    edges = grid(ax, padded, (0.0, 0.0), name="padded", fills=fills, text_colors=muted)
    frame(ax, (0.0, 0.0), ph - 2 * pad, pw - 2 * pad, row=pad, col=pad, color=nd.INK, linewidth=2.5)
    frame(ax, (0.0, 0.0), fh, fw)  # 最初の窓: 足した 0 も掛け算に加わる（出力の左上のマス）
    caption(ax, edges, f"入力データ（{x.shape[0]}×{x.shape[1]}、パディング {pad}）")
    symbol(ax, edges[1] + gap / 2, mid, CONV_SYMBOL)
    edges = grid(ax, w, (edges[1] + gap, mid + fh * CELL / 2), name="filter")
    caption(ax, edges, "フィルタ")
    symbol(ax, edges[1] + gap / 2, mid, "=")
    edges = grid(ax, out, (edges[1] + gap, mid + oh * CELL / 2), name="output")
    frame(ax, (edges[0], edges[3]), 1, 1)
    caption(ax, edges, f"出力データ（{oh}×{ow}）")
    return fig


def stride(h, fh, s, pad=0):
    """h × h の入力の上を、fh × fh の窓が s マスずつ動く。最初の 2 つの位置と、出力のどのマスになるか。"""
    oh = conv_output_size(h, fh, s, pad)
    cell = 0.42
    gap = 1.1
    right = h * cell + gap + oh * cell
    fig, ax = nd.canvas((-0.1, max(right, 6.6) + 0.1), (-h * cell - 1.75, 0.75))
    colors = [(WINDOW_COLOR, WINDOW_FILL), (SECOND_COLOR, SECOND_FILL)]
    fills = [["white"] * h for _ in range(h)]
    for k, (_, fill) in enumerate(colors):  # 2 つの窓が重なる列は、2 つ目の窓の色
        for i in range(fh):
            for j in range(k * s, k * s + fh):
                fills[i][j] = fill
    edges = grid(ax, (h, h), (0.0, 0.0), cell=cell, fills=fills)
    caption(ax, edges, f"入力 {h}×{h}", gap=0.1, fontsize=17)
    for k, (color, _) in enumerate(colors):
        frame(ax, (0.0, 0.0), fh, fh, col=k * s, cell=cell, color=color, linestyle="-" if k == 0 else "--")
    a, b = (fh / 2 * cell, 0.12), ((s + fh / 2) * cell, 0.12)
    nd.arrow(ax, a, b, linewidth=2, connectionstyle="arc3,rad=-0.5")
    nd.label(ax, ((a[0] + b[0]) / 2, 0.42), f"{s} マスずつ", fontsize=17, va="bottom").set_label("step")
    out_fills = window_fills((oh, oh), 0, 0, 1, 1)
    out_fills[0][1] = SECOND_FILL
    x0 = h * cell + gap
    out_edges = grid(ax, (oh, oh), (x0, -(h - oh) * cell / 2), cell=cell, fills=out_fills)
    caption(ax, out_edges, f"出力 {oh}×{oh}", gap=0.1, fontsize=17)
    nd.arrow(ax, (edges[1] + 0.15, -h * cell / 2), (x0 - 0.15, -h * cell / 2), linewidth=2)
    formula = rf"$OH = \dfrac{{H + 2P - FH}}{{S}} + 1 = \dfrac{{{h} + 2\cdot{pad} - {fh}}}{{{s}}} + 1 = {oh}$"
    nd.label(ax, (0.0, -h * cell - 0.55), formula, fontsize=20, ha="left", va="top").set_label("formula")
    return fig


# ---- チャンネルとブロック ----------------------------------------------------------------------------------

CHANNELS = 3  # 本の例と同じ、RGB の 3 チャンネル
CHANNEL_FILLS = ["#f3d9d9", "#d9ecd9", "#d9e3f3"]  # 奥から手前へ（チャンネルを見分けるための薄い色）
SLICE_OFFSET = (0.32, 0.26)  # 奥のチャンネルほど右上にずらす量（インチ）


def slices(ax, shape, front_top_left, channels, cell, name):
    """channels 枚のマス目を奥から手前へ重ねて描く。手前の 1 枚の (左端, 右端, 下端, 上端) を返す。"""
    dx, dy = SLICE_OFFSET
    x0, y0 = front_top_left
    for c in reversed(range(channels)):
        fills = [[CHANNEL_FILLS[c % len(CHANNEL_FILLS)]] * shape[1] for _ in range(shape[0])]
        edges = grid(ax, shape, (x0 + c * dx, y0 + c * dy), cell=cell, fills=fills, name=name)
    return edges


def name_and_shape(ax, edges, bottom, name, shape):
    """部品の名前を y = bottom の下に、その形（灰色）をさらにその下に書く（3 つの部品の下の高さを揃える）。"""
    centre = (edges[0] + edges[1]) / 2
    nd.label(ax, (centre, bottom - 0.1), name, fontsize=LABEL_FONTSIZE, va="top")
    nd.label(ax, (centre, bottom - 0.5), shape, fontsize=17, va="top", color=nd.MUTED)


def channels(x_shape, w_shape, c=CHANNELS):
    """C チャンネルの入力と、同じ C チャンネルのフィルタ。チャンネルごとの畳み込みを足して、出力は 1 枚。"""
    (h, wd), (fh, fw) = x_shape, w_shape
    oh, ow = conv_output_size(h, fh), conv_output_size(wd, fw)
    cell, gap = 0.42, 1.35
    dx, dy = SLICE_OFFSET
    depth_x, depth_y = (c - 1) * dx, (c - 1) * dy
    width = (wd + fw + ow) * cell + 2 * depth_x + 2 * gap
    fig, ax = nd.canvas((-0.1, width + 0.1), (-h * cell - 1.15, depth_y + 0.1))
    mid = -h * cell / 2
    edges = slices(ax, (h, wd), (0.0, 0.0), c, cell, "input")
    name_and_shape(ax, edges, edges[2], "入力データ", f"(C, H, W) = ({c}, {h}, {wd})")
    x = edges[1] + depth_x + gap
    symbol(ax, x - gap / 2, mid, CONV_SYMBOL)
    edges = slices(ax, (fh, fw), (x, mid + fh * cell / 2), c, cell, "filter")
    name_and_shape(ax, edges, -h * cell, "フィルタ", f"(C, FH, FW) = ({c}, {fh}, {fw})")
    x = edges[1] + depth_x + gap
    nd.arrow(ax, (x - gap + 0.15, mid), (x - 0.15, mid), linewidth=2)
    edges = grid(
        ax, (oh, ow), (x, mid + oh * cell / 2), cell=cell, fills=[["#eeeeee"] * ow for _ in range(oh)]
    )
    name_and_shape(ax, edges, -h * cell, "出力データ", f"(1, OH, OW) = (1, {oh}, {ow})")
    return fig


def cuboid(ax, front_bottom_left, width, height, depth, *, color=nd.INK, fill="white", side="#e4e4e4"):
    """直方体: 正面 width × height、奥行き depth を右上へ斜めに描く。正面の (左端, 右端, 下端, 上端) を返す。"""
    x, y = front_bottom_left
    dx, dy = depth * 0.7, depth * 0.55
    faces = [
        (
            [
                (x, y + height),
                (x + dx, y + height + dy),
                (x + width + dx, y + height + dy),
                (x + width, y + height),
            ],
            side,
        ),
        (
            [
                (x + width, y),
                (x + width + dx, y + dy),
                (x + width + dx, y + height + dy),
                (x + width, y + height),
            ],
            side,
        ),
        ([(x, y), (x + width, y), (x + width, y + height), (x, y + height)], fill),
    ]
    for points, face in faces:
        ax.add_patch(Polygon(points, closed=True, facecolor=face, edgecolor=color, linewidth=1.8, zorder=3))
    return (x, x + width, y, y + height)


# ブロックの図の各ブロック: (正面の幅, 高さ, 奥行き)（インチ）。形の大小の関係だけを表す
BLOCK_SIZES = {
    "input": (1.3, 1.3, 0.55),
    "filter": (0.8, 0.8, 0.55),
    "output": (0.85, 0.85, 0.8),
    "bias": (0.22, 0.22, 0.8),
}
STACK_SHIFT = 0.28  # 重ねて描くブロック（FN 個のフィルタ、N 個のデータ）どうしのずれ


def block(ax, x, y, kind, name, shape, copies=1, *, color=nd.INK, fill="white"):
    """x を左端に、高さ y を中心にブロックを置き、下に名前と形を書く。copies 個を斜め下へずらして重ねる。右端を返す。"""
    w, h, d = BLOCK_SIZES[kind]
    for k in reversed(range(copies)):
        cuboid(ax, (x + k * STACK_SHIFT, y - h / 2 - k * STACK_SHIFT), w, h, d, color=color, fill=fill)
    right = x + w + d * 0.7 + (copies - 1) * STACK_SHIFT
    if name:
        nd.label(ax, ((x + right) / 2, y - 1.1), name, fontsize=17, va="top")
    nd.label(ax, ((x + right) / 2, y - 1.48), shape, fontsize=17, va="top", color=nd.MUTED).set_label("shape")
    return right


def blocks():
    """ブロックで考える畳み込み: 上はデータ 1 つ、下は N 個のミニバッチ。フィルタは FN 個、バイアスはフィルタごとに 1 つ。"""
    gap = 0.75
    fig, ax = nd.canvas((-0.1, 1.0), (-5.25, 1.35))  # 幅は描き終えてから中身に合わせる
    for row, batch in enumerate((False, True)):
        y = -row * 3.45
        n, prefix = (2, "N, ") if batch else (1, "")
        items = [  # (形の種類, 名前, 形, 重ねる数, 枠の色, 塗り, 次に置く記号)
            ("input", "入力データ", f"({prefix}C, H, W)", n, nd.INK, "white", CONV_SYMBOL),
            ("filter", "フィルタ", "(FN, C, FH, FW)", 3, SECOND_COLOR, SECOND_FILL, "→"),
            ("output", "", f"({prefix}FN, OH, OW)", n, nd.INK, "#eeeeee", "+"),
            ("bias", "バイアス", "(FN, 1, 1)", 1, WINDOW_COLOR, WINDOW_FILL, "→"),
            ("output", "出力データ", f"({prefix}FN, OH, OW)", n, nd.INK, "#eeeeee", ""),
        ]
        x = 0.0
        for kind, name, shape, copies, color, fill, after in items:
            right = block(ax, x, y, kind, name, shape, copies, color=color, fill=fill)
            if after == "→":
                nd.arrow(ax, (right + 0.12, y), (right + gap - 0.12, y), linewidth=2)
            elif after:
                symbol(ax, right + gap / 2, y, after)
            x = right + gap
        title = "ミニバッチ（N 個のデータをまとめて）" if batch else "データ 1 つ"
        nd.label(ax, (0.0, y + 1.25), title, fontsize=LABEL_FONTSIZE, ha="left", va="top")
    right = max(x for p in ax.patches if isinstance(p, Polygon) for x, _ in p.get_xy()) + 0.1
    ax.set_xlim(-0.1, right)
    fig.set_size_inches(right + 0.1, fig.get_size_inches()[1])
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    x, w, b = cnn_examples.EXAMPLE_INPUT, cnn_examples.EXAMPLE_FILTER, cnn_examples.EXAMPLE_BIAS
    figstyle.save(structure(), outdir, "ch6_structure")
    figstyle.save(conv_steps(x, w), outdir, "ch6_conv_steps")
    figstyle.save(conv_bias(x, w, b), outdir, "ch6_conv_bias")
    figstyle.save(padding(x, w, pad=1), outdir, "ch6_padding")
    figstyle.save(stride(7, 3, 2), outdir, "ch6_stride")
    figstyle.save(channels(x.shape, w.shape), outdir, "ch6_channels")
    figstyle.save(blocks(), outdir, "ch6_blocks")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
