"""ネットワーク図の部品: ニューロンの位置、円と角の丸い箱のノード、ノードの縁で止まる矢印。

座標はすべてインチ（データ座標 1 単位 = 1 インチ、縦横比 1）。だから文字の大きさ（ポイント）と
図の大きさの比が、スライドに載せたときの文字の大きさをそのまま決める。
"""

from dataclasses import dataclass

import matplotlib.pyplot as plt
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

INK = "black"
ACCENT = "#08519c"  # 強調する結合・順伝播
BACKWARD = "#c0392b"  # 逆伝播の信号
FADED = "#c8c8c8"  # 強調しない部分
MUTED = "#555555"  # バイアスの「1」や補足の文字
BIAS_FILL = "#ececec"
POINTS_PER_UNIT = 72  # 1 単位 = 1 インチ = 72 ポイント（矢印を縁で止める量の換算）


@dataclass(frozen=True)
class Node:
    """矢印をつなぐ相手。入る矢印は left へ、出る矢印は right から。どちらも縁まで r だけ離れている。

    円なら left = right = 中心。横長の丸い箱（カプセル）なら両端の半円の中心。
    """

    left: tuple[float, float]
    right: tuple[float, float]
    r: float

    @property
    def center(self) -> tuple[float, float]:
        return ((self.left[0] + self.right[0]) / 2, (self.left[1] + self.right[1]) / 2)


def column_ys(n: int, dy: float, center: float = 0.0) -> list[float]:
    """n 個のニューロンの y 座標。dy 間隔で center を中心に、上から 1 番目、2 番目…の順。"""
    return [center + (n - 1) / 2 * dy - k * dy for k in range(n)]


def layer_positions(sizes, xs, dy: float) -> list[list[tuple[float, float]]]:
    """各層のニューロンの中心。層 i のニューロン sizes[i] 個を x = xs[i] に縦に並べる。"""
    if len(sizes) != len(xs):
        raise ValueError(f"{len(sizes)} layers but {len(xs)} column positions")
    return [[(x, y) for y in column_ys(n, dy)] for n, x in zip(sizes, xs, strict=True)]


def canvas(xlim, ylim):
    """余白なしの 1 枚の図。xlim, ylim（インチ）がそのまま図の大きさになる。"""
    fig = plt.figure(figsize=(xlim[1] - xlim[0], ylim[1] - ylim[0]))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def neuron(ax, xy, r, label="", *, color=INK, fontsize=22, bias=False, fill="white", linewidth=2) -> Node:
    """円のノード。バイアス用の「1」は灰色の破線で区別する（perceptron_diagram と同じ見た目）。

    color を INK 以外（薄い灰色など）にすると、バイアスのノードもその色で描く。
    """
    ax.add_patch(
        Circle(
            xy,
            r,
            facecolor=(BIAS_FILL if color == INK else "white") if bias else fill,
            edgecolor=MUTED if bias and color == INK else color,
            linestyle="--" if bias else "-",
            linewidth=linewidth,
            zorder=3,
        )
    )
    if label:
        ax.text(*xy, label, ha="center", va="center", fontsize=fontsize, color=color, zorder=4)
    return Node(xy, xy, r)


def capsule(ax, center, width, height, *, color=INK, fill="white", linewidth=2) -> Node:
    """両端が半円の横長のノード。中の文字は呼ぶ側が書く。"""
    r = height / 2
    x, y = center
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - r),
            width,
            height,
            boxstyle=f"round,pad=0,rounding_size={r}",
            facecolor=fill,
            edgecolor=color,
            linewidth=linewidth,
            zorder=3,
        )
    )
    return Node((x - width / 2 + r, y), (x + width / 2 - r, y), r)


def box(
    ax, center, width, height, text="", *, color=INK, fill="white", fontsize=20, linestyle="-", rounding=0.12
):
    """角の丸い長方形と中央の文字。(左端, 右端, 下端, 上端) を返す（矢印をつなぐため）。"""
    x, y = center
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - height / 2),
            width,
            height,
            boxstyle=f"round,pad=0,rounding_size={rounding}",
            facecolor=fill,
            edgecolor=color,
            linewidth=2,
            linestyle=linestyle,
            zorder=3,
        )
    )
    if text:
        ax.text(
            x, y, text, ha="center", va="center", fontsize=fontsize, color=color, zorder=4, linespacing=1.3
        )
    return (x - width / 2, x + width / 2, y - height / 2, y + height / 2)


def arrow(
    ax,
    start,
    end,
    *,
    shrink_start=0.0,
    shrink_end=0.0,
    color=INK,
    linewidth=2,
    linestyle="-",
    head=True,
    zorder=2,
    connectionstyle="arc3",
):
    """start から end への矢印。両端を shrink_*（インチ）だけ縮めて、ノードの縁で止める。"""
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle="-|>" if head else "-",
            mutation_scale=6 + 8 * linewidth,
            linewidth=linewidth,
            color=color,
            linestyle=linestyle,
            shrinkA=shrink_start * POINTS_PER_UNIT,
            shrinkB=shrink_end * POINTS_PER_UNIT,
            connectionstyle=connectionstyle,
            joinstyle="miter",
            capstyle="butt",
            zorder=zorder,
        )
    )


def connect(ax, a: Node, b: Node, **style):
    """ノード a の縁からノード b の縁までの矢印。"""
    arrow(ax, a.right, b.left, shrink_start=a.r, shrink_end=b.r, **style)


def point_on(a: Node, b: Node, t: float) -> tuple[float, float]:
    """a の縁から b の縁までの見えている矢印の上で、割合 t の点（重みのラベルを置く位置）。"""
    (x0, y0), (x1, y1) = a.right, b.left
    length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
    s0, s1 = a.r / length, 1 - b.r / length
    s = s0 + t * (s1 - s0)
    return (x0 + s * (x1 - x0), y0 + s * (y1 - y0))


def label(ax, xy, text, *, fontsize=18, color=INK, ha="center", va="center", background=False, **kw):
    """文字を置く。background=True なら白い下地を敷いて、下を通る線と重ならないようにする。"""
    bbox = {"facecolor": "white", "edgecolor": "none", "pad": 1.0} if background else None
    return ax.text(*xy, text, fontsize=fontsize, color=color, ha=ha, va=va, bbox=bbox, zorder=5, **kw)
