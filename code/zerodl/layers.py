"""第4章: 計算グラフのノードとしてのレイヤ。forward で値を、backward で微分を次へ渡す。

どのレイヤも、1 件のデータ（1 次元の配列）でも N 件のミニバッチ（N 行の行列）でも同じように使える。
"""

import numpy as np

from zerodl.activations import softmax
from zerodl.losses import cross_entropy_error


class MulLayer:
    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


class AddLayer:
    def forward(self, x, y):
        return x + y

    def backward(self, dout):
        return dout, dout


class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        return dout * self.out * (1.0 - self.out)


class Relu:
    def forward(self, x):
        self.mask = x > 0  # 通した要素が True
        return np.maximum(0, x)  # 第2章の relu と同じ

    def backward(self, dout):
        return dout * self.mask  # 通した所は 1 倍、ほかは 0 倍


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b  # b は各行に足される

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        x, dout = np.atleast_2d(self.x), np.atleast_2d(dout)  # 1 件なら 1 行の行列に
        self.dW = np.dot(x.T, dout)
        self.db = np.sum(dout, axis=0)  # バッチ（axis=0）について和をとる
        return dx


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.y.shape[0] if self.y.ndim == 2 else 1  # 1 件（1 次元）なら 1
        t = self.t
        if t.size != self.y.size:  # 正解ラベルの番号なら、one-hot 表現に直す
            t = np.eye(self.y.shape[-1], dtype=self.y.dtype)[t]
        return dout * (self.y - t) / batch_size
