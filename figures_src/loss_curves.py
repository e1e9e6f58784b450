"""第5章の学習の比べ方を 1 つにそろえる: 何通りかの学習の損失を、更新回数ごとに移動平均して重ねて描く。

更新方法の比較（optimizer_plots）と重みの初期値の比較（init_plots）が同じ平滑化・同じ線の見分け方で描くための
共有部品（main() を持たないので図のスクリプトではない）。
"""

import matplotlib.pyplot as plt
import numpy as np

SMOOTHING = 20  # 移動平均をとる更新の回数（ミニバッチごとの損失はばらつきが大きい）
# Okabe–Ito の色覚多様性に配慮した配色。線種も変えて、色が見分けにくくても区別できるようにする
STYLES = [
    ("#0072B2", "-"),
    ("#D55E00", "--"),
    ("#009E73", "-."),
    ("#CC79A7", ":"),
    ("#000000", (0, (6, 2, 1, 2, 1, 2))),
]
TICK_SIZE = 13
LABEL_SIZE = 15


def moving_average(values, window=SMOOTHING):
    """連続する window 個の平均（window 個そろう所だけ）。i 番目の値は、更新 i+1 … i+window 回目の平均。"""
    values = np.asarray(values, dtype=float)
    return np.convolve(values, np.ones(window) / window, mode="valid")


def smoothed_loss(history, window=SMOOTHING):
    """(更新回数, 移動平均した損失)。更新回数は 1 から数え、平均した区間の最後の回に置く。"""
    smoothed = moving_average(history["loss"], window)
    return np.arange(window, window + len(smoothed)), smoothed


def loss_curves_figure(histories, log_scale=True):
    """histories（名前 → fit() の記録）の損失を重ねた図。線は histories の順に STYLES の色と線種で描く
    （STYLES より多いと ValueError）。"""
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    fig.patch.set_facecolor("white")
    for (name, history), (color, linestyle) in zip(histories.items(), STYLES[: len(histories)], strict=True):
        updates, loss = smoothed_loss(history)
        ax.plot(updates, loss, color=color, linestyle=linestyle, linewidth=1.8, label=name)
    if log_scale:
        ax.set_yscale("log")
    else:
        ax.set_ylim(bottom=0)
    ax.set_xlim(0, max(len(h["loss"]) for h in histories.values()))
    ax.set_xlabel("更新回数", fontsize=LABEL_SIZE)
    ax.set_ylabel(f"損失（{SMOOTHING} 回の移動平均）", fontsize=LABEL_SIZE)
    ax.tick_params(which="both", labelsize=TICK_SIZE)
    ax.grid(which="major", color="#dddddd", linewidth=0.8)
    # 凡例は枠の上の外に横並び: 枠の中はどこかで線に重なる（どの損失がどこまで下がるかは学習しだい）
    ax.legend(
        fontsize=TICK_SIZE,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=3,
        handlelength=3,
        frameon=False,
    )
    fig.tight_layout()
    return fig
