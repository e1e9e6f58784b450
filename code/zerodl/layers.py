"""第4章・第5章: 計算グラフのノードとしてのレイヤ。forward で値を、backward で微分を次へ渡す。

BatchNormalization と Dropout は第5章のレイヤで、学習中（train_flg=True）と推論で振る舞いが変わる。
そのほかのレイヤは、1 件のデータ（1 次元の配列）でも N 件のミニバッチ（N 行の行列）でも同じように使える。
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


class BatchNormalization:
    def __init__(self, gamma, beta, momentum=0.9, eps=1e-7):
        self.gamma, self.beta = gamma, beta
        self.momentum, self.eps = momentum, eps
        self.running_mean = self.running_var = None  # 推論で使う、学習中の平均と分散の移動平均

    def forward(self, x, train_flg=True):
        if self.running_mean is None:
            self.running_mean = np.zeros(x.shape[1], dtype=x.dtype)
            self.running_var = np.ones(x.shape[1], dtype=x.dtype)
        if train_flg:
            mu = x.mean(axis=0)
            self.xc = x - mu
            var = np.mean(self.xc**2, axis=0)
            self.std = np.sqrt(var + self.eps)
            self.xn = self.xc / self.std
            self.running_mean = self.momentum * self.running_mean + (1 - self.momentum) * mu
            self.running_var = self.momentum * self.running_var + (1 - self.momentum) * var
        else:  # 推論では 1 件ずつでも同じ答えになるよう、学習中に覚えた平均と分散を使う
            self.xn = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        n = dout.shape[0]
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std  # xn = xc / std の、xc を通る道
        dstd = -np.sum(dxn * self.xc / self.std**2, axis=0)  # std を通る道
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / n) * self.xc * dvar  # var = mean(xc²) から xc へ
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / n  # xc = x - mean(x) から x へ


class Dropout:
    """学習中はノードをランダムに消し（出力 0）、推論ではすべて通して (1 - 消す割合) 倍する。"""

    def __init__(self, dropout_ratio=0.5, seed=0):
        self.dropout_ratio = dropout_ratio
        self.rng = np.random.default_rng(seed)

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = self.rng.random(x.shape) > self.dropout_ratio  # 残すノードが True
            return x * self.mask
        return x * (1.0 - self.dropout_ratio)

    def backward(self, dout):
        return dout * self.mask  # 消したノードには勾配も流さない
