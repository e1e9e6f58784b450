"""MNIST の図: 第2章で入力する数字の画像と、第4章の学習曲線（スライドと同じ設定で学習させた実際の記録）。"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import figstyle
from zerodl.mnist import load_mnist
from zerodl.trained import trained_two_layer_net

TRAIN_COLOR, TEST_COLOR = figstyle.TRAIN_COLOR, figstyle.TEST_COLOR


def sample_digit(x_test, t_test, digit=5):
    """テストデータで最初に出てくる digit の画像（第2章のスライドと同じ選び方）。"""
    i = int(np.flatnonzero(t_test == digit)[0])
    return x_test[i].reshape(28, 28)


def digit_figure(image):
    fig, ax = plt.subplots(figsize=(3.2, 3.2))
    ax.imshow(image, cmap="gray_r", interpolation="nearest")
    ax.set_xticks([0, 27])
    ax.set_yticks([0, 27])
    ax.tick_params(labelsize=14)
    return fig


def learning_curve_figure(history):
    fig, (acc_ax, loss_ax) = plt.subplots(1, 2, figsize=(10, 3.6))
    epochs = np.arange(len(history["train_acc"]))
    acc_ax.plot(epochs, history["train_acc"], marker="o", color=TRAIN_COLOR, label="訓練データ")
    acc_ax.plot(
        epochs, history["test_acc"], marker="s", linestyle="--", color=TEST_COLOR, label="テストデータ"
    )
    acc_ax.set_xlabel("エポック", fontsize=15)
    acc_ax.set_ylabel("正解率", fontsize=15)
    acc_ax.set_ylim(0, 1)
    acc_ax.legend(fontsize=14, loc="lower right")

    iters_per_epoch = len(history["loss"]) / (len(epochs) - 1)
    loss_ax.plot(
        np.arange(1, len(history["loss"]) + 1) / iters_per_epoch,
        history["loss"],
        color="#555555",
        linewidth=1,
    )
    loss_ax.set_xlabel("エポック", fontsize=15)
    loss_ax.set_ylabel("ミニバッチの損失", fontsize=15)
    loss_ax.set_ylim(bottom=0)
    for ax in (acc_ax, loss_ax):
        ax.tick_params(labelsize=14)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def main(outdir: Path) -> None:
    figstyle.setup()
    _, (x_test, t_test) = load_mnist(normalize=True)
    figstyle.save(digit_figure(sample_digit(x_test, t_test)), outdir, "mnist_5")
    # 第4章と同じ設定の学習（ビルドでは 1 回だけ行い、第2章のスライドと共有する）
    history = trained_two_layer_net()["history"]
    figstyle.save(learning_curve_figure(history), outdir, "learning_curve")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
