"""ディープラーニングでできること（第7章）: 7 つの応用それぞれの「何が入り、何が出るか」の図。

写真や借りた画像は使わない。場面はコードで描いた図形と本物の MNIST の数字（キャンバスに置いた「物体」）で作り、
出力はその場面から計算する（置いた位置からの枠、置いた画素からのクラスの塗り分け）。描く出力は
「望ましい出力」であって、学習したモデルの出力ではない（図にも「模式図」と書く）。ただ一つ、物体検出の
枠の上の数字と確率は、第6章で学習した CNN（zerodl.cnn.train_simple_cnn）が枠の中を分類した本物の結果。

7 枚とも同じ骨組み（左に入力、中央に「CNN など」の箱、右に出力）を in_out() で作る。座標はインチ
（netdraw を参照）。どの図も幅 WIDTH インチで、スライドに 1,000 px 幅で（見出しと 1〜3 行の文の下に 1 枚で）載せて
読める文字の大きさにしてある（テストがその幅で確かめる）。
"""

import sys
from dataclasses import dataclass
from pathlib import Path

import netdraw as nd
import numpy as np
from matplotlib.patches import Rectangle

import figstyle
from zerodl import cnn
from zerodl.activations import softmax
from zerodl.mnist import load_mnist

WIDTH = 10.0  # 図の幅（インチ）。スライドに 1,000 px 幅で見せると 1 ポイント ≈ 1.4 px
HEIGHT = 4.0  # 高さ（インチ）: 1,000 px 幅で 400 px
TITLE_SIZE = 18
TEXT_SIZE = 15
NOTE_SIZE = 13
THRESHOLD = 0.3  # 数字の画素のうち、これより濃いものを「物体」とする
GAP = 0.5  # パネルと箱の間（矢印の長さ）
LIGHT_FILL = "#eef3f9"

# クラスの色（セグメンテーションと検出の枠）: 背景は白、数字のクラスは tab10 と同じ 10 色
CLASS_COLORS = np.array(
    [
        [31, 119, 180],
        [255, 127, 14],
        [44, 160, 44],
        [214, 39, 40],
        [148, 103, 189],
        [140, 86, 75],
        [227, 119, 194],
        [127, 127, 127],
        [188, 189, 34],
        [23, 190, 207],
    ],
    dtype=np.uint8,
)
BACKGROUND = np.array([255, 255, 255], dtype=np.uint8)


# ---- 共通の骨組み: 入力 → モデル → 出力 -----------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    left: float
    bottom: float
    right: float
    top: float

    @property
    def center(self) -> tuple[float, float]:
        return ((self.left + self.right) / 2, (self.bottom + self.top) / 2)


@dataclass
class Layout:
    fig: object
    ax: object
    inp: Rect  # 入力を描く場所
    model: Rect  # モデルの箱（model_text を渡したときは描いてある）
    out: Rect  # 出力を描く場所


def in_out(
    inp_w,
    model_w,
    out_w,
    *,
    model_text="CNN など",
    in_title="入力",
    out_title="出力",
    model_title="",
    height=HEIGHT,
    bottom=0.45,
    extra=0.0,
    note="",
) -> Layout:
    """左に入力、中央にモデル、右に出力を置く幅 WIDTH の図。3 つの場所を返す（中身は呼ぶ側が描く）。

    パネルの上に見出し（model_title があればモデルの上にも）、下に note（「模式図」など）を書く。bottom は下に空けておく高さ（インチ）。
    extra は右に空けておく幅（出力の先にもう 1 つ箱を描く図のため）。
    model_text が空なら箱は描かず、場所だけ返す（CNN → RNN のように中を描き分ける図のため）。
    """
    margin = (WIDTH - inp_w - model_w - out_w - 2 * GAP - extra) / 2
    if margin < 0:
        raise ValueError(f"panels {inp_w} + {model_w} + {out_w} do not fit in {WIDTH} inches")
    fig, ax = nd.canvas((0, WIDTH), (0, height))
    top = height - 0.5  # 見出しの行の下
    x0 = margin
    inp = Rect(x0, bottom, x0 + inp_w, top)
    model = Rect(inp.right + GAP, bottom, inp.right + GAP + model_w, top)
    out = Rect(model.right + GAP, bottom, model.right + GAP + out_w, top)
    for rect, title in ((inp, in_title), (model, model_title), (out, out_title)):
        nd.label(ax, (rect.center[0], height - 0.25), title, fontsize=TITLE_SIZE)
    y = (bottom + top) / 2
    if model_text:
        nd.box(ax, (model.center[0], y), model_w, 1.2, model_text, fill=LIGHT_FILL, fontsize=TITLE_SIZE)
    nd.arrow(ax, (inp.right + 0.08, y), (model.left - 0.05, y))
    nd.arrow(ax, (model.right + 0.05, y), (out.left - 0.08, y))
    if note:
        nd.label(ax, (WIDTH / 2, 0.2), note, fontsize=NOTE_SIZE, color=nd.MUTED)
    return Layout(fig, ax, inp, model, out)


def show(ax, image, rect: Rect, *, name, cmap="gray_r", vmin=0.0, vmax=1.0):
    """画像を rect の中に縦横比を保って中央に描く。描いた範囲 (left, right, bottom, top) を返す。

    name は画像の label（テストが描いたものを名前で読む）。
    """
    h, w = image.shape[:2]
    scale = min((rect.right - rect.left) / w, (rect.top - rect.bottom) / h)
    cx, cy = rect.center
    extent = (cx - w * scale / 2, cx + w * scale / 2, cy - h * scale / 2, cy + h * scale / 2)
    ax.imshow(
        image, extent=extent, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest", label=name, zorder=2
    )
    ax.add_patch(
        Rectangle(
            (extent[0], extent[2]),
            extent[1] - extent[0],
            extent[3] - extent[2],
            facecolor="none",
            edgecolor=nd.MUTED,
            linewidth=1,
            zorder=3,
        )
    )
    return extent


def to_inches(extent, shape, row, col):
    """画像の (行, 列) の画素の角を、show() が描いた範囲の中のインチ座標に。"""
    left, right, bottom, top = extent
    return left + col * (right - left) / shape[1], top - row * (top - bottom) / shape[0]


# ---- 場面: キャンバスに MNIST の数字を置く ------------------------------------------------------------


@dataclass(frozen=True)
class Placed:
    digit: int  # 数字のクラス（正解ラベル）
    row: int  # キャンバスに置いた左上の位置
    col: int
    scale: int  # 28 × 28 を scale 倍に拡大して置く


# 検出とセグメンテーションの場面: 大きさと位置の違う 4 つの「物体」。テストデータで最初の 7 は、第6章の CNN の
# 確率が 7 と 9 でほぼ半々（0.50）で、計算機によって答えが入れ替わるので、使わない（4 は 0.99 より確か）。
SCENE_SHAPE = (84, 150)
SCENE = (Placed(3, 20, 4, 2), Placed(4, 8, 62, 1), Placed(5, 48, 78, 1), Placed(0, 14, 104, 1))


def digit_images():
    """クラスごとに、テストデータで最初に現れる数字の画像（28 × 28、0.0〜1.0）。"""
    _, (x, t) = load_mnist(normalize=True, flatten=False)
    return {int(k): x[int(np.flatnonzero(t == k)[0]), 0] for k in range(10)}


def place(shape, objects, images):
    """objects を置いたキャンバス（濃さ）と、物体の番号の地図（0 は背景、i 番目の物体の画素は i + 1）。

    物体の画素は THRESHOLD より濃い画素。重なれば後に置いたものが上になる。
    """
    canvas = np.zeros(shape, dtype=np.float32)
    instances = np.zeros(shape, dtype=np.int64)
    for i, obj in enumerate(objects):
        image = np.kron(images[obj.digit], np.ones((obj.scale, obj.scale), dtype=np.float32))
        h, w = image.shape
        window = (slice(obj.row, obj.row + h), slice(obj.col, obj.col + w))
        canvas[window] = np.maximum(canvas[window], image)
        instances[window][image > THRESHOLD] = i + 1
    return canvas, instances


def bounding_boxes(instances, n):
    """物体 1…n それぞれの画素をちょうど囲む枠 (上の行, 左の列, 下の行 + 1, 右の列 + 1)。"""
    boxes = []
    for i in range(1, n + 1):
        rows, cols = np.nonzero(instances == i)
        boxes.append((int(rows.min()), int(cols.min()), int(rows.max()) + 1, int(cols.max()) + 1))
    return boxes


def crops(canvas, objects):
    """各物体を置いた窓を 28 × 28 に戻した画像 (N, 1, 28, 28)（scale × scale の画素の平均で縮める）。"""
    out = []
    for obj in objects:
        n = 28 * obj.scale
        window = canvas[obj.row : obj.row + n, obj.col : obj.col + n]
        out.append(window.reshape(28, obj.scale, 28, obj.scale).mean(axis=(1, 3)))
    return np.array(out, dtype=np.float32)[:, np.newaxis]


def classify(params, x):
    """第6章の CNN（params）で x (N, 1, 28, 28) を分類: 1 枚ごとに (予測したクラス, その確率)。"""
    y = softmax(cnn.simple_cnn_with(params).predict(x))
    return [(int(k), float(p[k])) for k, p in zip(y.argmax(axis=1), y, strict=True)]


def class_map(instances, objects):
    """画素ごとのクラス: 背景は −1、物体の画素はその数字。"""
    classes = np.array([-1] + [obj.digit for obj in objects])
    return classes[instances]


def colorize(classes):
    """クラスの地図を RGB に（背景は白、数字 k は CLASS_COLORS[k]）。"""
    rgb = np.empty((*classes.shape, 3), dtype=np.uint8)
    rgb[classes < 0] = BACKGROUND
    rgb[classes >= 0] = CLASS_COLORS[classes[classes >= 0]]
    return rgb


# ---- 1. 物体検出 --------------------------------------------------------------------------------------


def detection_figure(canvas, instances, predictions):
    """入力のキャンバスと、同じキャンバスに枠とクラス・確率を重ねたもの。

    枠は置いた位置から計算した「望ましい出力」（正解）であり、検出器が見つけたものではない。
    枠の上の数字と確率（predictions）は、第6章の CNN が枠の中を分類した結果（本物の計算）。
    """
    note = "模式図: 枠は置いた位置（正解）。数字と確率は第6章の CNN が枠の中を分類した結果"
    lay = in_out(3.8, 1.3, 3.8, height=3.2, note=note)
    show(lay.ax, canvas, lay.inp, name="input")
    extent = show(lay.ax, canvas, lay.out, name="output")
    boxes = bounding_boxes(instances, len(predictions))
    for k, (box, (label, score)) in enumerate(zip(boxes, predictions, strict=True)):
        top, left, bottom, right = box
        x0, y1 = to_inches(extent, canvas.shape, top, left)
        x1, y0 = to_inches(extent, canvas.shape, bottom, right)
        color = CLASS_COLORS[label] / 255  # CNN が答えたクラスの色（セグメンテーションの図と同じ色）
        lay.ax.add_patch(
            Rectangle(
                (x0, y0),
                x1 - x0,
                y1 - y0,
                facecolor="none",
                edgecolor=color,
                linewidth=2.5,
                zorder=4,
                label=f"box{k}",
            )
        )
        lay.ax.text(
            x0,
            y1,
            f" {label}: {score:.2f} ",
            fontsize=TEXT_SIZE,
            color="white",
            ha="left",
            va="bottom",
            zorder=5,
            bbox={"facecolor": color, "edgecolor": "none", "pad": 1.0},
            label=f"class{k}",
        )
    return lay.fig


def text_width(text, fontsize=NOTE_SIZE):
    """文字列のおおよその幅（インチ）: 全角 1 文字 ≈ 1 em、半角 ≈ 0.55 em（並べる間隔を決めるだけの見積もり）。"""
    return sum(1.0 if ord(c) > 0xFF else 0.55 for c in text) * fontsize / 72


def legend(ax, items, center_x, y, *, size=0.22, gap=0.3):
    """色の見本と名前を横 1 列に、center_x を中心に（図に収まる範囲で）並べる（items: (名前, RGB 0〜255) の並び）。"""
    widths = [size + 0.06 + text_width(name) for name, _ in items]
    total = sum(widths) + gap * (len(items) - 1)
    x = min(center_x - total / 2, WIDTH - total - 0.05)  # 図の右端をはみ出すなら左へ寄せる
    for (name, rgb), width in zip(items, widths, strict=True):
        ax.add_patch(
            Rectangle(
                (x, y - size / 2),
                size,
                size,
                facecolor=np.asarray(rgb) / 255,
                edgecolor=nd.MUTED,
                linewidth=0.8,
                zorder=3,
            )
        )
        nd.label(ax, (x + size + 0.06, y), name, fontsize=NOTE_SIZE, ha="left")
        x += width + gap


# ---- 2. セグメンテーション ------------------------------------------------------------------------------


def segmentation_figure(canvas, classes):
    """入力のキャンバスと、画素ごとのクラスの塗り分け（置いた画素から計算した正解）。"""
    lay = in_out(
        3.8, 1.3, 3.8, height=3.6, bottom=0.85, note="出力は置いた画素から計算した「望ましい出力」（模式図）"
    )
    show(lay.ax, canvas, lay.inp, name="input")
    show(lay.ax, colorize(classes), lay.out, name="output")
    present = sorted({int(k) for k in np.unique(classes) if k >= 0})
    items = [("背景", BACKGROUND)] + [(f"数字 {k}", CLASS_COLORS[k]) for k in present]
    legend(lay.ax, items, lay.out.center[0], 0.62)
    return lay.fig


# ---- 3. 画像キャプション生成 ----------------------------------------------------------------------------

CAPTION_SHAPE = (36, 70)
CAPTION_SCENE = (Placed(4, 4, 4, 1), Placed(9, 4, 38, 1))


def caption_words(objects):
    """場面を説明する文の単語（左から順に数字を読む）。正解の文であり、モデルが作った文ではない。"""
    left, right = sorted(objects, key=lambda obj: obj.col)
    return [str(left.digit), "と", str(right.digit), "が", "並んで", "いる"]


def captioning_figure(canvas, words):
    """画像 → CNN（特徴を取り出す）→ RNN（単語を 1 つずつ出す）→ 文。本の NIC の構造。"""
    lay = in_out(
        1.9,
        5.8,
        1.2,
        model_text="",
        model_title="NIC: CNN で特徴を取り出し、RNN で文を作る",
        height=3.0,
        note="文は場面の正解から作った「望ましい出力」（模式図）",
    )
    ax = lay.ax
    show(ax, canvas, lay.inp, name="input")
    y = lay.model.center[1] - 0.35
    cnn = nd.box(ax, (lay.model.left + 0.5, y), 1.0, 1.0, "CNN", fill=LIGHT_FILL, fontsize=TITLE_SIZE)
    cell_w, step = 0.6, 0.72
    x0 = cnn[1] + 0.55 + cell_w / 2
    nd.label(ax, ((cnn[1] + x0 - cell_w / 2) / 2, y + 0.08), "特徴", fontsize=NOTE_SIZE, va="bottom")
    nd.arrow(ax, (cnn[1], y), (x0 - cell_w / 2, y), linewidth=1.5)
    for k, word in enumerate(words):
        x = x0 + k * step
        nd.box(ax, (x, y), cell_w, 0.6, "RNN", fontsize=NOTE_SIZE, fill="white")
        if k:
            nd.arrow(ax, (x - step + cell_w / 2, y), (x - cell_w / 2, y), linewidth=1.5)
        nd.arrow(ax, (x, y + 0.31), (x, y + 0.7), linewidth=1.5)
        ax.text(
            x, y + 0.78, word, fontsize=TEXT_SIZE, ha="center", va="bottom", color=nd.ACCENT, label=f"word{k}"
        )
    nd.label(
        ax,
        (x0 + (len(words) - 1) * step / 2, y - 0.5),
        "単語を 1 つずつ出す",
        fontsize=NOTE_SIZE,
        color=nd.MUTED,
        va="top",
    )
    nd.label(ax, lay.out.center, sentence(words), fontsize=TEXT_SIZE, color=nd.ACCENT, label="sentence")
    return lay.fig


def sentence(words):
    """単語をつないだ文（数字と助詞の間だけ空ける）を 2 行に分ける。"""
    half = len(words) - 2
    return " ".join(words[:half]) + "\n" + "".join(words[half:])


# ---- 4. 画風変換 ----------------------------------------------------------------------------------------

STYLE_SIZE = 56  # 画風の模様と出力の画素数（内容の 28 × 28 を 2 倍にして合わせる）


def stripes(size=STYLE_SIZE):
    """画風の画像: 斜めの縞と波を重ねた 2 色の模様（RGB、0.0〜1.0）。"""
    i, j = np.mgrid[0:size, 0:size]
    t = 0.5 + 0.5 * np.sin((i + j) / 2.2 + 1.5 * np.sin(j / 6.0))
    warm, cool = np.array([0.95, 0.55, 0.1]), np.array([0.15, 0.3, 0.7])
    return t[..., None] * warm + (1 - t[..., None]) * cool


def stylize(content, style):
    """模式図の「変換後」: 内容の濃い画素を画風の色で塗り、薄い画素は白のまま（濃さで混ぜる）。

    Gatys らの方法（特徴の相関を合わせる最適化）の結果ではなく、何が入り何が出るかを示すためだけの絵。
    """
    c = np.kron(content, np.ones((2, 2)))[..., None]
    return c * style + (1 - c) * 1.0


def style_transfer_figure(content, style):
    lay = in_out(
        3.3,
        1.5,
        2.2,
        height=3.1,
        bottom=0.75,
        note="模式図: 内容の形を画風の色で塗っただけ（Gatys らの方法の結果ではない）",
    )
    ax = lay.ax
    half = (lay.inp.right - lay.inp.left - 0.4) / 2
    left = Rect(lay.inp.left, lay.inp.bottom, lay.inp.left + half, lay.inp.top)
    right = Rect(lay.inp.right - half, lay.inp.bottom, lay.inp.right, lay.inp.top)
    shown = show(ax, content, left, name="content"), show(ax, style, right, name="style", cmap=None)
    nd.label(ax, ((left.right + right.left) / 2, left.center[1]), "+", fontsize=TITLE_SIZE)
    for extent, text in zip(shown, ("内容の画像", "画風の画像"), strict=True):
        nd.label(ax, ((extent[0] + extent[1]) / 2, extent[2] - 0.1), text, fontsize=NOTE_SIZE, va="top")
    show(ax, stylize(content, style), lay.out, name="output", cmap=None)
    return lay.fig


# ---- 5. 画像生成（GAN） --------------------------------------------------------------------------------

NOISE_SIZE = 8
NOISE_SEED = 7


def noise(seed=NOISE_SEED, n=NOISE_SIZE):
    """生成器に入れる乱数のベクトル（標準正規分布）。"""
    return np.random.default_rng(seed).standard_normal(n)


def minus(text):
    return text.replace("-", "\N{MINUS SIGN}")


def generation_figure(z, samples):
    """乱数 z → 生成器 G → 画像。その画像と本物を識別器 D が見分ける（GAN の考え方）。"""
    lay = in_out(
        1.0,
        1.4,
        2.4,
        model_text="生成器\nG",
        in_title="乱数 z",
        out_title="生成した画像",
        height=3.9,
        extra=2.3,
        note="模式図: 生成した画像の代わりに本物の MNIST を並べている",
    )
    ax = lay.ax
    cell = min(0.32, (lay.inp.top - lay.inp.bottom) / len(z))
    x, top = lay.inp.center[0] - 0.35, lay.inp.center[1] + cell * len(z) / 2
    for k, v in enumerate(z):
        y = top - (k + 1) * cell
        ax.add_patch(
            Rectangle((x, y), 0.7, cell, facecolor="white", edgecolor=nd.MUTED, linewidth=1, zorder=2)
        )
        ax.text(
            x + 0.35,
            y + cell / 2,
            minus(f"{v:.1f}"),
            fontsize=NOTE_SIZE,
            ha="center",
            va="center",
            label=f"z{k}",
            zorder=3,
        )
    n = int(np.sqrt(len(samples)))
    size = min(lay.out.right - lay.out.left, lay.out.top - lay.out.bottom) / n
    cx, cy = lay.out.center
    for k, image in enumerate(samples):
        i, j = divmod(k, n)
        rect = Rect(
            cx + (j - n / 2) * size + 0.03,
            cy + (n / 2 - i - 1) * size + 0.03,
            cx + (j - n / 2 + 1) * size - 0.03,
            cy + (n / 2 - i) * size - 0.03,
        )
        show(ax, image, rect, name=f"sample{k}")
    # 識別器: 生成した画像と本物の画像を受け取り、本物か偽物かを出す
    d_x = lay.out.right + GAP + 0.7
    y = lay.model.center[1]
    nd.box(ax, (d_x, y), 1.4, 1.2, "識別器\nD", fill=LIGHT_FILL, fontsize=TITLE_SIZE)
    nd.arrow(ax, (lay.out.right + 0.08, y), (d_x - 0.75, y))
    nd.label(ax, (d_x, lay.out.top + 0.25), "本物の画像", fontsize=TEXT_SIZE)
    nd.arrow(ax, (d_x, lay.out.top + 0.05), (d_x, y + 0.65))
    nd.label(ax, (d_x, y - 0.7), "本物か\n偽物か", fontsize=TEXT_SIZE, va="top", color=nd.ACCENT)
    # 2 つを競わせて学ぶ: G は D をだますように、D はだまされないように
    nd.label(
        ax,
        (lay.model.center[0], y - 0.7),
        "D をだます\nように学ぶ",
        fontsize=NOTE_SIZE,
        va="top",
        color=nd.MUTED,
    )
    return lay.fig


# ---- 6. 自動運転 ---------------------------------------------------------------------------------------

ROAD_CLASSES = ("空", "道路", "白線", "車", "その他")
ROAD_PALETTE = np.array(
    [[158, 202, 225], [99, 99, 99], [255, 255, 255], [214, 39, 40], [116, 196, 118]], dtype=np.uint8
)  # 出力の塗り分けの色
CAMERA_COLORS = np.array(
    [[0.80, 0.90, 0.97], [0.45, 0.45, 0.47], [0.97, 0.97, 0.90], [0.20, 0.25, 0.45], [0.45, 0.60, 0.35]]
)  # カメラの画像での色（これに明るさのむらを足す）


def road_scene(h=60, w=100):
    """カメラの前の場面を画素ごとのクラス（ROAD_CLASSES の番号）で作る: 空、遠くへ細くなる道、中央の破線、前の車。"""
    rows, cols = np.mgrid[0:h, 0:w]
    horizon = int(0.4 * h)
    below = np.clip((rows - horizon) / (h - horizon), 0, 1)  # 地平線で 0、画面の下端で 1
    center = w / 2 + 8 * (1 - below) ** 2  # 先で少し右へ曲がる
    labels = np.where(rows < horizon, 0, 4)
    road = (rows >= horizon) & (np.abs(cols - center) < 2 + 0.5 * w * below)
    labels[road] = 1
    lane = road & (np.abs(cols - center) < 0.3 + 1.2 * below) & ((rows - horizon) % 6 < 3)
    labels[lane] = 2
    car = (rows >= int(0.55 * h)) & (rows < int(0.68 * h)) & (np.abs(cols - (w / 2 + 12)) < 7)
    labels[car] = 3
    return labels


def camera_image(labels, seed=0):
    """クラスの地図から「カメラの画像」を作る（クラスの色に、上下の明るさの差と細かいむらを足す）。"""
    rng = np.random.default_rng(seed)
    shade = np.linspace(0.08, -0.08, labels.shape[0])[:, None, None]
    image = CAMERA_COLORS[labels] + shade + rng.normal(0, 0.025, (*labels.shape, 1))
    return np.clip(image, 0, 1)


def self_driving_figure(camera, labels):
    lay = in_out(
        3.5,
        1.4,
        3.5,
        height=3.6,
        bottom=0.85,
        note="模式図: 出力は描いた場面の各画素のクラス（正解）。これをもとにハンドルやブレーキを決める",
    )
    show(lay.ax, camera, lay.inp, name="input", cmap=None)
    show(lay.ax, ROAD_PALETTE[labels], lay.out, name="output", cmap=None)
    legend(lay.ax, list(zip(ROAD_CLASSES, ROAD_PALETTE, strict=True)), lay.out.center[0], 0.62)
    return lay.fig


# ---- 7. 強化学習（DQN） ----------------------------------------------------------------------------------

ACTIONS = ("←", "→", "発射")
MOVES = (-2, 2, 0)  # 行動ごとの自機の動き（画素）
SCREEN = 32
SHIP_X = 20
ALIEN_XS = (22, 20, 18, 16)  # 直近 4 枚（DQN が入力にする枚数）の画面での敵の列: 左へ動いている


def screen(ship_x, alien_x, n=SCREEN):
    """ゲームの 1 画面: 上に敵（横長の塊）、下に自機（三角形）。"""
    image = np.zeros((n, n))
    image[5:9, alien_x - 3 : alien_x + 4] = 1.0
    image[6, alien_x - 3] = image[6, alien_x + 3] = 0.0
    for k in range(4):
        image[n - 6 + k, ship_x - k : ship_x + k + 1] = 1.0
    return image


def q_values(ship_x, alien_xs, moves=MOVES):
    """説明のための Q の値（学習した DQN の出力ではない）: 次の画面で敵の真下に近づく行動ほど大きい。

    敵の次の列は直近の動きから外挿し、行動後の自機との距離 d から exp(−d / 4) とする。
    """
    next_alien = alien_xs[-1] + (alien_xs[-1] - alien_xs[-2])
    return np.array([np.exp(-abs(next_alien - (ship_x + m)) / 4) for m in moves])


def dqn_figure(frames, q, actions=ACTIONS):
    """画面（直近数枚）→ CNN → 行動ごとの Q の値。Q が最大の行動を選び、環境が次の画面と報酬を返す。"""
    lay = in_out(
        2.6,
        1.4,
        3.0,
        model_text="CNN\n（DQN）",
        in_title=f"ゲーム画面（直近 {len(frames)} 枚）",
        out_title="行動ごとの Q の値",
        height=4.0,
        bottom=1.3,
        note="模式図: Q の値は説明のための例（学習した DQN の出力ではない）",
    )
    ax = lay.ax
    offset = 0.3
    size = min(
        1.45, lay.inp.top - lay.inp.bottom - (len(frames) - 1) * offset
    )  # ずらして重ねても枠の中に収める
    for k, frame in enumerate(frames):
        x, y = lay.inp.left + k * offset, lay.inp.top - size - k * offset
        show(ax, frame, Rect(x, y, x + size, y + size), name=f"frame{k}")
    frames_bottom = y
    best = int(np.argmax(q))
    bar_w, base = 0.6, lay.out.bottom + 0.35
    scale = (lay.out.top - base - 0.4) / q.max()
    for k, (value, action) in enumerate(zip(q, actions, strict=True)):
        x = lay.out.left + 0.3 + k * (bar_w + 0.35)
        color = nd.ACCENT if k == best else nd.FADED
        ax.add_patch(
            Rectangle(
                (x, base), bar_w, value * scale, facecolor=color, edgecolor="none", zorder=2, label=f"q{k}"
            )
        )
        nd.label(
            ax, (x + bar_w / 2, base + value * scale + 0.05), f"{value:.2f}", fontsize=NOTE_SIZE, va="bottom"
        )
        nd.label(ax, (x + bar_w / 2, base - 0.08), action, fontsize=TEXT_SIZE, va="top")
    ax.plot(
        [lay.out.left + 0.15, lay.out.left + 0.3 + len(q) * (bar_w + 0.35) - 0.2],
        [base, base],
        color=nd.INK,
        linewidth=1.2,
    )
    # 行動 → 環境 → 次の画面と報酬（ループ）
    loop_y = 0.9
    env = nd.box(ax, (lay.model.center[0], loop_y), 2.6, 0.6, "環境（ゲーム）", fontsize=TEXT_SIZE)
    out_x = lay.out.left + 0.3 + best * (bar_w + 0.35) + bar_w / 2
    nd.arrow(ax, (out_x, base - 0.45), (out_x, loop_y), head=False)
    nd.arrow(ax, (out_x, loop_y), (env[1], loop_y))
    nd.label(
        ax,
        (out_x + 0.1, loop_y + 0.08),
        f"Q が最大の「{actions[best]}」を選ぶ",
        fontsize=NOTE_SIZE,
        ha="left",
        va="bottom",
        color=nd.ACCENT,
    )
    in_x = lay.inp.center[0]
    nd.arrow(ax, (env[0], loop_y), (in_x, loop_y), head=False)
    nd.arrow(ax, (in_x, loop_y), (in_x, frames_bottom - 0.05))
    nd.label(ax, (in_x - 0.1, loop_y + 0.08), "次の画面と報酬", fontsize=NOTE_SIZE, ha="right", va="bottom")
    return lay.fig


# ---- まとめて書き出す -------------------------------------------------------------------------------------


def main(outdir: Path) -> None:
    figstyle.setup()
    images = digit_images()
    canvas, instances = place(SCENE_SHAPE, SCENE, images)
    params = cnn.train_simple_cnn()["params"]  # 第6章で学習した CNN（ビルドでは 1 回だけ学習し、共有する）
    predictions = classify(params, crops(canvas, SCENE))
    figstyle.save(detection_figure(canvas, instances, predictions), outdir, "ch7_app_detection")
    figstyle.save(segmentation_figure(canvas, class_map(instances, SCENE)), outdir, "ch7_app_segmentation")
    scene, _ = place(CAPTION_SHAPE, CAPTION_SCENE, images)
    figstyle.save(captioning_figure(scene, caption_words(CAPTION_SCENE)), outdir, "ch7_app_captioning")
    figstyle.save(style_transfer_figure(images[8], stripes()), outdir, "ch7_app_style_transfer")
    samples = [images[k] for k in range(9)]
    figstyle.save(generation_figure(noise(), samples), outdir, "ch7_app_generation")
    labels = road_scene()
    figstyle.save(self_driving_figure(camera_image(labels), labels), outdir, "ch7_app_self_driving")
    frames = [screen(SHIP_X, x) for x in ALIEN_XS]
    figstyle.save(dqn_figure(frames, q_values(SHIP_X, ALIEN_XS)), outdir, "ch7_app_dqn")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
