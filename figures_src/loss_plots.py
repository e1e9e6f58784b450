"""交差エントロピー誤差の図: 正解の位置の出力 y に対する損失 −log y（zerodl の cross_entropy_error で計算）。"""

import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import figstyle
from zerodl.losses import cross_entropy_error

Y = np.linspace(0.005, 1.0, 200)  # 正解の位置の出力（確率）
CURVE_COLOR = "#08519c"
TICK_SIZE = 13
LABEL_SIZE = 15


def loss_curve():
    """y ごとに、正解ラベル 0 の 1 件について cross_entropy_error を求めた値（y 以外の出力は残りを等分）。"""
    losses = []
    for y in Y:
        output = np.full(2, 1.0 - y)
        output[0] = y
        losses.append(cross_entropy_error(output, np.array([1, 0])))
    return Y, np.array(losses)


def main(outdir: Path) -> None:
    figstyle.setup()
    y, loss = loss_curve()
    fig, ax = plt.subplots(figsize=(4.4, 3.0))
    fig.patch.set_facecolor("white")
    ax.plot(y, loss, color=CURVE_COLOR, linewidth=2.2)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 5.5)
    ax.set_xlabel("正解の位置の出力 $y$", fontsize=LABEL_SIZE)
    ax.set_ylabel("損失 $-\\log y$", fontsize=LABEL_SIZE)
    ax.tick_params(labelsize=TICK_SIZE)
    ax.grid(color="#dddddd", linewidth=0.8)
    fig.tight_layout()
    figstyle.save(fig, outdir, "minus_log")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
