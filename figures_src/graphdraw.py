"""計算グラフの部品: 演算のノード、変数の端点、順伝播（黒・上）と逆伝播（赤・下）が並ぶ辺。

座標はインチ（netdraw と同じ。1 単位 = 1 インチ、縦横比 1）。辺は netdraw.Node どうしを結び、
ノードの縁で止まる。順伝播と逆伝播の矢印を中心線から少しずらして並べるときも、ずらした線が
円と交わる点で止める。ラベルは線の法線の向きに置き、その向きで揃え方を決めるので、斜めの辺でも
線に重ならない。
"""

import math

import netdraw as nd
from netdraw import ACCENT, BACKWARD, INK, MUTED, Node, canvas

__all__ = [
    "ACCENT",
    "BACKWARD",
    "INK",
    "MUTED",
    "Node",
    "box",
    "canvas",
    "edge",
    "label",
    "op",
    "port",
    "segment",
    "var",
]

R = 0.34  # 演算ノードの半径（インチ）
OP_FONTSIZE = 22
VAR_FONTSIZE = 24
SIGNAL_FONTSIZE = 20
GAP = 0.09  # 順伝播と逆伝播の矢印を、中心線から左右にずらす量
PAD = 0.08  # 矢印からラベルまでの隙間
LINEWIDTH = 1.8
LIGHT_FILL = "#eef3f9"  # 箱の塗り（ACCENT をごく薄く。network_diagrams と同じ）

label = nd.label


def op(ax, xy, text, *, r=R, fontsize=OP_FONTSIZE, color=INK) -> Node:
    """演算のノード: 円の中に「×」「+」「exp」などを書く。"""
    return nd.neuron(ax, xy, r, text, fontsize=fontsize, color=color)


def var(ax, xy, text, *, clearance=0.25, fontsize=VAR_FONTSIZE, color=INK, note="", note_fontsize=16) -> Node:
    """変数名だけの端点（円を描かない）。矢印は中心から clearance だけ手前で止まる。

    note があれば、その下に小さく書く（配列の形など）。
    """
    label(ax, xy, text, fontsize=fontsize, color=color)
    if note:
        label(ax, (xy[0], xy[1] - 0.2), note, fontsize=note_fontsize, color=MUTED, va="top")
    return Node(xy, xy, clearance)


def port(left, right=None) -> Node:
    """箱の縁の点（入る矢印は left で、出る矢印は right で止まる）。何も描かない。"""
    return Node(left, left if right is None else right, 0.0)


def box(ax, center, width, height, text="", **style) -> tuple[float, float, float, float]:
    """角の丸い箱（netdraw.box）。(左端, 右端, 下端, 上端) を返す。"""
    return nd.box(ax, center, width, height, text, **style)


def _alignment(nx: float, ny: float) -> dict:
    """法線 (nx, ny) の向きに置く文字の揃え方: 文字が線から離れる側へ伸びるように。"""
    ha = "left" if nx > 0.35 else "right" if nx < -0.35 else "center"
    va = "bottom" if ny > 0.35 else "top" if ny < -0.35 else "center"
    return {"ha": ha, "va": va}


def _crossings(center, r: float, point, u) -> tuple[float, float]:
    """直線 point + t·u が中心 center・半径 r の円の縁と交わる t の (大きい方, 小さい方)。

    大きい方は円から出る点、小さい方は円に入る点。直線が円に届かなければ、どちらも中心に最も近い点。
    """
    qx, qy = point[0] - center[0], point[1] - center[1]
    along = qx * u[0] + qy * u[1]
    half = math.sqrt(max(along**2 - (qx**2 + qy**2 - r**2), 0.0))
    return -along + half, -along - half


def segment(a: Node, b: Node, offset: float, aim_start=(0.0, 0.0), aim_end=(0.0, 0.0)):
    """a から b への中心線を法線方向に offset ずらした線の、a の縁から b の縁までの部分。

    中心線は a.right + aim_start から b.left + aim_end へ引く。aim_* で、1 つのノードに集まる
    何本もの辺が縁の別々の点に着くようにできる（どちらでも線は円の縁で正確に止まる）。
    """
    x0, y0 = a.right[0] + aim_start[0], a.right[1] + aim_start[1]
    x1, y1 = b.left[0] + aim_end[0], b.left[1] + aim_end[1]
    length = math.hypot(x1 - x0, y1 - y0)
    u = ((x1 - x0) / length, (y1 - y0) / length)
    nx, ny = -u[1], u[0]  # 進む向きの左側
    p = (x0 + nx * offset, y0 + ny * offset)
    t0, _ = _crossings(a.right, a.r, p, u)
    _, t1 = _crossings(b.left, b.r, p, u)
    start = (p[0] + u[0] * t0, p[1] + u[1] * t0)
    end = (p[0] + u[0] * t1, p[1] + u[1] * t1)
    return start, end, (nx, ny)


def edge(
    ax,
    a: Node,
    b: Node,
    forward="",
    backward="",
    *,
    with_backward=None,
    gap=GAP,
    pad=PAD,
    at=0.5,
    fontsize=SIGNAL_FONTSIZE,
    color=INK,
    flip=False,
    aim_start=(0.0, 0.0),
    aim_end=(0.0, 0.0),
):
    """a から b への辺。順伝播の矢印（黒）とそのラベルを進む向きの左側（右向きなら上）に、
    逆伝播の矢印（赤、b から a へ）とそのラベルを右側（右向きなら下）に描く。

    with_backward: 逆伝播の矢印を描くか（既定では backward のラベルがあるときだけ）。
    flip=True なら左右を入れ替える（逆伝播を上に）。at はラベルを置く位置（線の上の割合）。
    aim_start, aim_end: 線をノードの中心からずらして向ける量（segment を参照）。
    """
    if with_backward is None:
        with_backward = bool(backward)
    side = -1.0 if flip else 1.0
    offset = side * gap if with_backward else 0.0
    start, end, (nx, ny) = segment(a, b, offset, aim_start, aim_end)
    nd.arrow(ax, start, end, color=color, linewidth=LINEWIDTH)
    if forward:
        x = start[0] + at * (end[0] - start[0]) + side * nx * pad
        y = start[1] + at * (end[1] - start[1]) + side * ny * pad
        label(ax, (x, y), forward, fontsize=fontsize, color=color, **_alignment(side * nx, side * ny))
    if with_backward:
        start, end, _ = segment(a, b, -offset, aim_start, aim_end)
        nd.arrow(ax, end, start, color=BACKWARD, linewidth=LINEWIDTH)
        if backward:
            x = start[0] + at * (end[0] - start[0]) - side * nx * pad
            y = start[1] + at * (end[1] - start[1]) - side * ny * pad
            label(
                ax, (x, y), backward, fontsize=fontsize, color=BACKWARD, **_alignment(-side * nx, -side * ny)
            )
