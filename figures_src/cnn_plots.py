"""学習した CNN の図（第6章）: 学習曲線、第 1 層のフィルタ（学習の前と後）、フィルタが数字のどこに反応するか、
ずらした数字へのプーリングの強さ。

記録と重みは cnn.train_simple_cnn()（ビルドでは 1 回だけ学習し、スライドと共有する）と、比べる相手の
第4章の 2 層ネットワーク trained.trained_two_layer_net() から読む。
フィルタの濃淡は 1 枚ずつ、その重みの絶対値の最大で揃える（0 が灰色の真ん中、正が白、負が黒）: 学習前の重みは
学習後よりずっと小さく、共通の尺度では学習前の 30 枚がどれも灰色の一色になってしまうから。
反応の図とフィルタの図の赤・青も、1 枚ずつ絶対値の最大で揃える（赤が正、青が負）。
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

import figstyle
from zerodl import cnn
from zerodl.cnn_examples import shift
from zerodl.conv_layers import Convolution
from zerodl.mnist import load_mnist
from zerodl.trained import trained_two_layer_net

TRAIN_COLOR, TEST_COLOR = figstyle.TRAIN_COLOR, figstyle.TEST_COLOR  # どの学習曲線も同じ 2 色
BASELINE_COLOR = "#7f7f7f"  # 比べる相手（第4章の 2 層ネットワーク）
FILTER_ROWS = 3  # フィルタを並べる行の数（30 枚なら 3×10）
# 反応とずらしの図で使う数字: テストデータで 2 番目に出てくる 4（縦の線と横の線の両方があり、1 番目の 4 より
# まっすぐ立っているので、縦の縁と横の縁の違いが見やすい）
DIGIT, DIGIT_RANK = 4, 1


# ---- 学習曲線 ----------------------------------------------------------------------------------------------


def two_layer_baseline(ax, baseline_history):
    """第4章の 2 層ネットワークのテストの正解率を灰色の点線で描き、その最後のエポックを返す。"""
    epochs = np.arange(len(baseline_history["test_acc"]))  # train() はエポック 0 から毎エポック記録する
    ax.plot(
        epochs,
        baseline_history["test_acc"],
        color=BASELINE_COLOR,
        linewidth=1.6,
        linestyle=":",
        marker=".",
        label=f"2 層ネットワーク（第4章）のテスト: {epochs[-1]} エポック",
    )
    return epochs[-1]


def accuracy_axes(ax, last_epoch, ylim=(0, 1.02)):
    """正解率の学習曲線の軸: 横はエポック 0 から last_epoch まで（整数）、縦は正解率、薄い格子。"""
    ax.set_xlim(0, last_epoch)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # エポックは整数
    ax.set_ylim(*ylim)
    ax.set_xlabel("エポック", fontsize=15)
    ax.set_ylabel("正解率", fontsize=15)
    ax.tick_params(labelsize=14)
    ax.grid(alpha=0.3)


def train_test_curves(ax, history, name):
    """fit() の記録の、訓練データ（実線）とテストデータ（破線）の正解率。凡例は「name の訓練データ」など。"""
    ax.plot(
        history["epoch"], history["train_acc"], color=TRAIN_COLOR, linewidth=2, label=f"{name} の訓練データ"
    )
    ax.plot(
        history["epoch"],
        history["test_acc"],
        color=TEST_COLOR,
        linewidth=2,
        linestyle="--",
        label=f"{name} のテストデータ",
    )


def learning_curve_figure(history, baseline_history):
    """CNN の訓練データ（実線）とテストデータ（破線）の正解率に、第4章の 2 層ネットワークのテストの正解率を重ねる。"""
    fig, ax = plt.subplots(figsize=(6.8, 4.1), layout="constrained")
    baseline_last = two_layer_baseline(ax, baseline_history)
    train_test_curves(ax, history, "CNN")
    accuracy_axes(ax, max(history["epoch"][-1], baseline_last))
    handles, labels = ax.get_legend_handles_labels()
    order = [1, 2, 0]  # CNN の 2 本を先に
    ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="lower right", fontsize=13)
    return fig


# ---- フィルタ -------------------------------------------------------------------------------------------------


def filter_grid(ax_grid, filters, cmap="gray"):
    """filters (FN, 1, FH, FW) を 1 枚ずつ ax に描く。濃淡は 1 枚ずつ ±(絶対値の最大)。"""
    for ax, w in zip(ax_grid.flat, filters, strict=True):
        limit = np.abs(w[0]).max()
        ax.imshow(w[0], cmap=cmap, vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])


def filters_figure(initial, learned):
    """第 1 層のフィルタ 30 枚を、学習の前（左）と後（右）で 3×10 に並べる。"""
    n = len(initial)
    cols = -(-n // FILTER_ROWS)
    fig = plt.figure(figsize=(15, 3.2), layout="constrained")
    left, right = fig.subfigures(1, 2, wspace=0.04)
    for sub, filters, title in ((left, initial, "学習前（初期値）"), (right, learned, "学習後")):
        axes = sub.subplots(FILTER_ROWS, cols, gridspec_kw={"wspace": 0.08, "hspace": 0.08})
        filter_grid(axes, filters)
        sub.suptitle(title, fontsize=18)
    return fig


# ---- フィルタの反応 ------------------------------------------------------------------------------------------


def edge_orientation(w):
    """フィルタ w (FH, FW) の縁の向き: (Ex − Ey) / (Ex + Ey)。Ex は左右の隣どうしの差の二乗和、Ey は上下の。

    左右で値が変わるだけのフィルタ（+1）は縦の縁に、上下で変わるだけのフィルタ（−1）は横の縁に反応する。
    """
    ex = np.sum(np.diff(w, axis=1) ** 2)
    ey = np.sum(np.diff(w, axis=0) ** 2)
    return float((ex - ey) / (ex + ey))


def blob_score(w):
    """重みがどれだけ同じ符号にそろっているか: |Σw| / (√要素数 · ‖w‖)。1 なら全部同じ値（塊をぼかして拾う）。"""
    return float(abs(w.sum()) / (np.sqrt(w.size) * np.linalg.norm(w)))


def chosen_filters(W1):
    """反応を見せるフィルタ: 縦の縁（edge_orientation が最大）、横の縁（最小）、塊（blob_score が最大）。{題: 番号}。"""
    ratios = [edge_orientation(w[0]) for w in W1]
    blobs = [blob_score(w[0]) for w in W1]
    return {
        "縦の縁": int(np.argmax(ratios)),
        "横の縁": int(np.argmin(ratios)),
        "塊": int(np.argmax(blobs)),
    }


def response(params, index, image):
    """第 1 層の index 番のフィルタ（とバイアス）を image (H, W) に畳み込んだ出力 (OH, OW)（Convolution レイヤで）。"""
    layer = Convolution(params["W1"][index : index + 1], params["b1"][index : index + 1])
    return layer.forward(image[np.newaxis, np.newaxis].astype(params["W1"].dtype))[0, 0]


def diverging(ax, values):
    """赤が正、青が負、0 が白。尺度はその配列の絶対値の最大。"""
    limit = np.abs(values).max()
    ax.imshow(values, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def filter_response_figure(params, image, chosen):
    """左に数字、その右に選んだフィルタごとに「フィルタ（拡大）→ 畳み込んだ出力」の組。"""
    n = len(chosen)
    ratios = [1.0] + [0.12, 0.55, 1.0] * n  # 数字、（すき間、フィルタ、出力）× n
    fig = plt.figure(figsize=(15, 3.2), layout="constrained")
    axes = fig.subplots(1, len(ratios), gridspec_kw={"width_ratios": ratios, "wspace": 0.02})
    axes[0].imshow(image, cmap="gray_r", interpolation="nearest")
    axes[0].set_xticks([])
    axes[0].set_yticks([])
    axes[0].set_title("入力の数字", fontsize=16)
    for k, (title, index) in enumerate(chosen.items()):
        gap, filter_ax, out_ax = axes[1 + 3 * k : 4 + 3 * k]
        gap.axis("off")
        diverging(filter_ax, params["W1"][index, 0])
        filter_ax.set_title(f"{index} 番", fontsize=15)
        diverging(out_ax, response(params, index, image))
        out_ax.set_title(f"{title}に反応", fontsize=16)
    fig.supxlabel("各組の左がフィルタ、右が畳み込んだ出力（赤: 正、青: 負）", fontsize=15)
    return fig


# ---- ずらしへの強さ -----------------------------------------------------------------------------------------


def shift_label(dy, dx):
    parts = ([f"下へ {dy}"] if dy else []) + ([f"右へ {dx}"] if dx else [])
    return "、".join(parts) + " 画素"


MEASURES = {  # shift_sensitivity の値 → 棒の名前と色
    "before": ("プーリング前", "#9ecae1"),
    "subsampled": ("間引いただけ（窓の左上）", "#bdbdbd"),
    "after": ("Max プーリング後", "#08519c"),
}


def shift_figure(image, sensitivities, n_images):
    """左: 数字、それを最初のずらし方でずらしたもの、その差。右: ずらし方ごとに、第 1 層の出力が何 % 変わったか。

    sensitivities: {(dy, dx): shift_sensitivity の値}（テストデータ n_images 枚についての値）。
    """
    fig = plt.figure(figsize=(12, 4.0), layout="constrained")
    left, right = fig.subfigures(1, 2, width_ratios=[1.2, 1.5], wspace=0.04)
    first = next(iter(sensitivities))
    moved = shift(image, *first)
    img_axes = left.subplots(1, 3)
    for ax, img, title in zip(img_axes[:2], (image, moved), ("元の数字", shift_label(*first)), strict=True):
        ax.imshow(img, cmap="gray_r", interpolation="nearest")
        ax.set_title(title, fontsize=15)
    diverging(img_axes[2], moved - image)
    img_axes[2].set_title("差（赤 +、青 −）", fontsize=15)
    for ax in img_axes:
        ax.set_xticks([])
        ax.set_yticks([])
    ax = right.subplots()
    width = 0.26
    groups = np.arange(len(sensitivities))
    for k, (key, (name, color)) in enumerate(MEASURES.items()):
        values = [100 * s[key] for s in sensitivities.values()]
        bars = ax.bar(groups + (k - 1) * width, values, width, color=color, label=name)
        ax.bar_label(bars, fmt="%.0f", fontsize=13, padding=2)
    ax.set_xticks(groups, [shift_label(*s) for s in sensitivities], fontsize=14)
    ax.set_ylabel("変化の割合（%）", fontsize=14)
    ax.set_ylim(0, 1.18 * 100 * max(max(s.values()) for s in sensitivities.values()))
    ax.tick_params(axis="y", labelsize=13)
    ax.legend(fontsize=13, loc="upper left", frameon=False)
    ax.set_title(f"1 層目の出力（テストデータ {n_images:,} 枚）", fontsize=15)
    right.supxlabel("変化の割合 = ‖ずらした後 − 元‖ ÷ ‖元‖", fontsize=14, color="#555555")
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    result = cnn.train_simple_cnn()  # ビルドでは 1 回だけ学習し、スライドと共有する
    params = result["params"]
    figstyle.save(
        learning_curve_figure(result["history"], trained_two_layer_net()["history"]),
        outdir,
        "ch6_learning_curve",
    )
    figstyle.save(filters_figure(result["initial"]["W1"], params["W1"]), outdir, "ch6_filters")

    _, (x_test, t_test) = load_mnist(normalize=True, flatten=False)
    images = x_test[:, 0]
    digit = images[int(np.flatnonzero(t_test == DIGIT)[DIGIT_RANK])]
    figstyle.save(
        filter_response_figure(params, digit, chosen_filters(params["W1"])), outdir, "ch6_filter_response"
    )
    sensitivities = {
        s: cnn.shift_sensitivity(params, images, *s) for s in cnn.SHIFTS
    }  # スライドと同じずらし方
    figstyle.save(shift_figure(digit, sensitivities, len(images)), outdir, "ch6_shift")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
