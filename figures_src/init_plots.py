"""第5章 重みの初期値の図: 5 層を通したアクティベーションの分布（sigmoid と ReLU）と、MNIST での損失の比較。

分布は techniques.hidden_activations()、MNIST の記録は techniques.compare_inits() から読む。
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from loss_curves import LABEL_SIZE, TICK_SIZE, loss_curves_figure

import figstyle
from zerodl import techniques

SIGMOID_STDS = (1, 0.01, "xavier")
RELU_STDS = (0.01, "xavier", "he")
BINS = 30
RELU_MAX = 4.0  # ReLU の出力は上限がないので、ここまでを描き、超えた分は右端の棒に入れる
BAR_COLOR = "#4477aa"


def std_label(std):
    """行の見出し: 数なら「標準偏差 0.01」、"xavier" と "he" は名前と標準偏差の式（n は前の層のノード数）。"""
    # √ は文字で書く（mathtext の根号は縮めた記号で描かれ、スライドの幅では読めない大きさになる）
    names = {"xavier": "Xavier（1/√n）", "he": "He（√(2/n)）"}
    return names[std] if isinstance(std, str) else f"標準偏差 {std:g}"


def histogram(values, activation):
    """(度数, 区間の端)。sigmoid は (0, 1) をそのまま。ReLU はちょうど 0 の値（半分ほど）を除き、
    RELU_MAX を超える値は右端の区間に数える。どちらも、描く値の個数と度数の合計が一致する。"""
    values = np.ravel(values)
    if activation == "relu":
        values = np.minimum(values[values > 0], RELU_MAX)
        return np.histogram(values, bins=BINS, range=(0, RELU_MAX))
    return np.histogram(values, bins=BINS, range=(0, 1))


def activations_figure(rows, activation):
    """rows（行の見出し → 層ごとのアクティベーションのリスト）を、行 × 層のヒストグラムに並べる。
    縦軸は行ごとに共通（同じ行の層どうしで高さを比べられる）。"""
    n_rows, n_layers = len(rows), len(next(iter(rows.values())))
    fig, axes = plt.subplots(n_rows, n_layers, figsize=(10, 4.5), sharex=True, sharey="row", squeeze=False)
    fig.patch.set_facecolor("white")
    for r, (label, layers) in enumerate(rows.items()):
        for c, values in enumerate(layers):
            ax = axes[r, c]
            counts, edges = histogram(values, activation)
            ax.stairs(counts, edges, fill=True, color=BAR_COLOR, gid="histogram")
            ax.set_yticks([])  # 度数の目盛りは省く（比べるのは同じ行の中の形と高さ）
            ax.tick_params(labelsize=TICK_SIZE)
            if r == 0:
                ax.set_title(f"{c + 1} 層目", fontsize=LABEL_SIZE)
        axes[r, 0].set_ylabel(label, fontsize=TICK_SIZE, rotation=0, ha="right", va="center")
    upper = RELU_MAX if activation == "relu" else 1
    axes[0, 0].set_xlim(0, upper)
    for ax in axes[-1]:
        ax.set_xticks([0, upper / 2, upper])
        ax.set_xticklabels([f"{t:g}" for t in (0, upper / 2, upper)])
    if activation == "relu":
        note = f"ReLU の出力の分布（ちょうど 0 の値は除く。{RELU_MAX:g} を超える値は右端の棒に含める）"
    else:
        note = "sigmoid の出力の分布"
    fig.suptitle(note, fontsize=TICK_SIZE, x=0.99, ha="right")
    fig.tight_layout(h_pad=0.3, w_pad=0.6)
    return fig


def drawn_histograms(fig):
    """activations_figure が描いた度数（行ごとに、層の順の配列のリスト）。テストで元の値と比べるため。"""
    grid = [ax.get_subplotspec() for ax in fig.axes]
    n_rows = max(s.rowspan.stop for s in grid)
    rows = [[] for _ in range(n_rows)]
    for ax, spec in zip(fig.axes, grid, strict=True):
        for patch in ax.patches:
            if patch.get_gid() == "histogram":
                rows[spec.rowspan.start].append(patch.get_data().values)
    return rows


def rows_for(activation, stds):
    return {std_label(std): techniques.hidden_activations(activation, std) for std in stds}


def main(outdir: Path) -> None:
    figstyle.setup()
    for activation, stds in (("sigmoid", SIGMOID_STDS), ("relu", RELU_STDS)):
        fig = activations_figure(rows_for(activation, stds), activation)
        figstyle.save(fig, outdir, f"ch5_activation_{activation}")
    # 損失は 2.3 から 0.3 ほどまでしか下がらず、線形の目盛りで「下がらない」std=0.01 がはっきり見える
    figstyle.save(loss_curves_figure(techniques.compare_inits(), log_scale=False), outdir, "ch5_init_mnist")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
