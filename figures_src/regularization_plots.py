"""過学習と正則化の図（第5章）: 訓練データを減らした深いネットワークの正解率を、正則化なし・Weight decay・Dropout で。

記録は techniques.regularization_runs()（ビルドでは 1 回だけ計算し、スライドと共有する）。
3 枚は同じ大きさ・同じ軸で描くので、並べて比べられる。正則化した 2 枚には、正則化なしのテストデータの正解率も薄く重ねる。
"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt

import figstyle
from zerodl import techniques

TRAIN_COLOR, TEST_COLOR = figstyle.TRAIN_COLOR, figstyle.TEST_COLOR  # どの学習曲線も同じ 2 色
BASELINE_COLOR = "#9e9e9e"
BASELINE = "なし"  # regularization_runs() の、正則化しない記録の名前
FIGURE_NAMES = {"なし": "ch5_overfitting", "Weight decay": "ch5_weight_decay", "Dropout": "ch5_dropout"}


def accuracy_figure(history, baseline=None, title=""):
    """訓練データ（実線）とテストデータ（破線）の正解率。baseline があれば、その記録のテストの正解率を薄く重ねる。"""
    fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    epochs = history["epoch"]
    if baseline is not None:
        ax.plot(
            baseline["epoch"],
            baseline["test_acc"],
            color=BASELINE_COLOR,
            linewidth=1.2,
            label="テスト（正則化なし）",
        )
    ax.plot(epochs, history["train_acc"], color=TRAIN_COLOR, linewidth=2, label="訓練データ")
    ax.plot(epochs, history["test_acc"], color=TEST_COLOR, linewidth=2, linestyle="--", label="テストデータ")
    ax.set_xlim(0, epochs[-1])
    ax.set_ylim(0, 1.02)  # 正解率 1 の線が枠で切れないように
    ax.set_xlabel("エポック", fontsize=15)
    ax.set_ylabel("正解率", fontsize=15)
    if title:
        ax.set_title(title, fontsize=16)
    ax.tick_params(labelsize=14)
    ax.grid(alpha=0.3)
    # 凡例は枠の外（下）に: 曲線がどこを通っても重ならず、3 枚で軸の大きさも同じになる。
    # 訓練データの実線を先に、重ねた灰色の線を最後に並べる。
    handles, labels = ax.get_legend_handles_labels()
    order = [1, 2, 0] if baseline is not None else [0, 1]
    fig.legend(
        [handles[i] for i in order],
        [labels[i] for i in order],
        loc="outside lower center",
        ncol=3,
        fontsize=14,
        frameon=False,
        handlelength=1.6,
        columnspacing=1.2,
    )
    return fig


def titles() -> dict[str, str]:
    """各図の題（係数は techniques の値を読む）。"""
    return {
        "なし": "正則化なし",
        "Weight decay": rf"Weight decay（$\lambda = {techniques.WEIGHT_DECAY:g}$）",
        "Dropout": f"Dropout（消す割合 {techniques.DROPOUT_RATIO:g}）",
    }


def main(outdir: Path) -> None:
    figstyle.setup()
    histories = techniques.regularization_runs()
    for name, figure_name in FIGURE_NAMES.items():
        baseline = None if name == BASELINE else histories[BASELINE]
        fig = accuracy_figure(histories[name], baseline, titles()[name])
        figstyle.save(fig, outdir, figure_name)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
