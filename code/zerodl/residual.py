"""第7章: ResNet の残差ブロック。3×3 の畳み込み 2 層 F(x) の出力に、入力 x をそのまま足してから ReLU に通す。

    x → Conv1 → Relu1 → Conv2 → (+ x) → Relu2

shortcut=False にすると足し算のない、ふつうの 2 層（比べる相手）になる。
"""

from collections import OrderedDict

import numpy as np

from zerodl.conv_layers import Convolution
from zerodl.layers import Relu


class ResidualBlock:
    def __init__(self, W1, b1, W2, b2, shortcut=True):
        self.params = {
            "W1": W1,
            "b1": b1,
            "W2": W2,
            "b2": b2,
        }  # W: (C, C, 3, 3)。足せるように入力と同じチャンネル数
        self.shortcut = shortcut
        self.layers = OrderedDict()
        self.layers["Conv1"] = Convolution(W1, b1, stride=1, pad=1)  # パディング 1 で縦横も入力と同じ
        self.layers["Relu1"] = Relu()
        self.layers["Conv2"] = Convolution(W2, b2, stride=1, pad=1)
        self.relu_out = Relu()  # 足したあとの ReLU

    def forward(self, x):
        out = x
        for layer in self.layers.values():
            out = layer.forward(out)  # F(x)
        if self.shortcut:
            out = out + x  # F(x) + x
        return self.relu_out.forward(out)

    def backward(self, dout):
        dout = self.relu_out.backward(dout)
        dx = dout
        for layer in reversed(self.layers.values()):
            dx = layer.backward(dx)  # F を通って戻る勾配
        if self.shortcut:
            dx = dx + dout  # 足し算のノードは勾配をそのまま両方へ流す: 近道からの分を足す
        return dx


def random_block(channels, weight_init_std, rng, shortcut=True, dtype=np.float64):
    """重みを標準偏差 weight_init_std の乱数にした ResidualBlock（バイアスは 0）。"""
    shape = (channels, channels, 3, 3)
    W1, W2 = (weight_init_std * rng.standard_normal(shape) for _ in range(2))
    b1, b2 = np.zeros(channels), np.zeros(channels)
    return ResidualBlock(W1.astype(dtype), b1.astype(dtype), W2.astype(dtype), b2.astype(dtype), shortcut)
