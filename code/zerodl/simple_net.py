"""第3章: 重みの勾配を数値微分で求める練習に使う、入力 2・出力 3 の 1 層だけのネットワーク。"""

import numpy as np

from zerodl.activations import softmax
from zerodl.losses import cross_entropy_error


class simpleNet:  # 本と同じ名前
    def __init__(self):
        rng = np.random.default_rng(0)
        self.W = rng.standard_normal((2, 3))  # 2 × 3 の重み（ガウス分布の乱数）

    def predict(self, x):
        return np.dot(x, self.W)

    def loss(self, x, t):
        z = self.predict(x)
        y = softmax(z)
        return cross_entropy_error(y, t)
