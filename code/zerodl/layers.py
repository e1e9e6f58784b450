"""第4章: 計算グラフのノードとしてのレイヤ。forward で値を、backward で微分を次へ渡す。"""

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
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return np.dot(x, self.W) + self.b

    def backward(self, dout, need_dx=True):
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return np.dot(dout, self.W.T) if need_dx else None


class SoftmaxWithLoss:
    def forward(self, x, t):
        self.t = t
        self.y = softmax(x)
        self.loss = cross_entropy_error(self.y, t)
        return self.loss

    def backward(self, dout=1):
        batch_size = self.t.shape[0]
        return dout * (self.y - self.t) / batch_size
