"""第5章 ハイパーパラメータの図: ランダムサーチの上位・下位 5 件の学習の経過と、全試行の学習率と Weight decay。

試行の記録は techniques.random_search()（検証データの最後の正解率がよい順に並んだリスト）から読む。
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

import figstyle
from zerodl import techniques

SHOWN = 5  # 上位・下位それぞれ何件を描くか
VAL_STYLE = {"color": "#0072B2", "linestyle": "-", "linewidth": 1.6}
TRAIN_STYLE = {"color": "#D55E00", "linestyle": "--", "linewidth": 1.4}
TICK_SIZE = 12
TITLE_SIZE = 11  # パネルの幅いっぱいの「lr … / wd …」が隣と離れる大きさ（幅 1000 px で 15 px ほど）
LABEL_SIZE = 14


def short(value):
    """1 桁の仮数と指数の表記（0.0062 → "6.2e−3"）。マイナスは目盛りと同じ U+2212。"""
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)}".replace("-", "\N{MINUS SIGN}")


def trial_title(trial):
    return f"lr {short(trial['lr'])} / wd {short(trial['weight_decay'])}"


def trials_figure(trials, shown=SHOWN):
    """上の行に最初の shown 件（よいもの）、下の行に最後の shown 件（悪いもの）の、エポックごとの正解率。"""
    rows = {f"上位 {shown} 件": trials[:shown], f"下位 {shown} 件": trials[-shown:]}
    fig, axes = plt.subplots(2, shown, figsize=(10, 4.4), sharex=True, sharey=True, squeeze=False)
    fig.patch.set_facecolor("white")
    epochs = trials[0]["epoch"][-1]
    for r, (label, row) in enumerate(rows.items()):
        for ax, trial in zip(axes[r], row, strict=True):
            ax.plot(trial["epoch"], trial["val_acc"], gid="val_acc", **VAL_STYLE)
            ax.plot(trial["epoch"], trial["train_acc"], gid="train_acc", **TRAIN_STYLE)
            ax.set_title(trial_title(trial), fontsize=TITLE_SIZE)
            ax.tick_params(labelsize=TICK_SIZE)
            ax.grid(color="#e5e5e5", linewidth=0.8)
        axes[r, 0].set_ylabel(label, fontsize=LABEL_SIZE)
    axes[0, 0].set_ylim(0, 1)
    axes[0, 0].set_yticks([0, 0.5, 1])
    axes[0, 0].set_yticklabels(["0", "0.5", "1"])
    axes[0, 0].set_xlim(0, epochs)
    axes[0, 0].set_xticks([0, epochs // 2, epochs])
    fig.supxlabel("エポック", fontsize=LABEL_SIZE, y=0.02)
    handles = [Line2D([], [], **VAL_STYLE), Line2D([], [], **TRAIN_STYLE)]
    fig.legend(
        handles,
        ["検証データの正解率", "訓練データの正解率"],
        loc="upper right",
        ncol=2,
        fontsize=TICK_SIZE,
        frameon=False,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.93), h_pad=0.8, w_pad=1.2)
    return fig


def scatter_figure(trials, shown=SHOWN):
    """試行ごとに 1 点: 横に学習率、縦に Weight decay（どちらも対数の目盛り）、色は最後の検証データの正解率。
    最初の shown 件（よいもの）を輪で囲む。"""
    lr = np.array([t["lr"] for t in trials])
    wd = np.array([t["weight_decay"] for t in trials])
    final = np.array([t["val_acc"][-1] for t in trials])
    fig, ax = plt.subplots(figsize=(5.6, 4.0))
    fig.patch.set_facecolor("white")
    points = ax.scatter(
        lr, wd, c=final, cmap="viridis", vmin=0, vmax=1, s=36, edgecolors="none", gid="trials"
    )
    ring = {"s": 160, "facecolors": "none", "edgecolors": "#d62728", "linewidths": 1.8}
    ax.scatter(lr[:shown], wd[:shown], label=f"上位 {shown} 件", gid="best", **ring)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("学習率", fontsize=LABEL_SIZE)
    ax.set_ylabel("Weight decay の係数", fontsize=LABEL_SIZE)
    # 10⁻⁶ の指数は目盛りの 7 割の大きさで描かれる: 幅 560 px でも 12 px を超えるよう目盛りを 1 つ大きく
    ax.tick_params(which="both", labelsize=TICK_SIZE + 1)
    # 凡例は枠の上の外に: 枠の中はどこに点が来るか試行しだい
    ax.legend(fontsize=TICK_SIZE, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    bar = fig.colorbar(points, ax=ax)
    bar.set_label("検証データの正解率", fontsize=LABEL_SIZE)
    bar.ax.tick_params(labelsize=TICK_SIZE)
    fig.tight_layout()
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    # 試行はビルドで 1 回だけ計算し、スライドの表と共有する
    trials = techniques.random_search()
    figstyle.save(trials_figure(trials), outdir, "ch5_search_trials")
    figstyle.save(scatter_figure(trials), outdir, "ch5_search_scatter")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
