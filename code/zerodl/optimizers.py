"""第5章: パラメータの更新方法。どのクラスも update(params, grads) で、params の配列をその場で書き換える。

params と grads は同じキーを持つ辞書（ネットワークの params と gradient() の戻り値）。
状態（速度 v や勾配の 2 乗の和 h など）は、最初の update で params と同じ形の 0 の配列として作る。
"""

import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum = lr, momentum
        self.v = None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]  # 前の速度を残しつつ加速
            params[key] += self.v[key]


class AdaGrad:
    def __init__(self, lr=0.01, eps=1e-7):
        self.lr, self.eps = lr, eps
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] += grads[key] * grads[key]  # これまでの勾配の 2 乗をすべて足す
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class RMSProp:
    def __init__(self, lr=0.01, decay_rate=0.99, eps=1e-7):
        self.lr, self.decay_rate, self.eps = lr, decay_rate, eps
        self.h = None

    def update(self, params, grads):
        if self.h is None:
            self.h = {key: np.zeros_like(val) for key, val in params.items()}
        for key in params:
            self.h[key] *= self.decay_rate  # 古い勾配ほど小さく効く
            self.h[key] += (1 - self.decay_rate) * grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m = self.v = None

    def update(self, params, grads):
        if self.m is None:
            self.m = {key: np.zeros_like(val) for key, val in params.items()}
            self.v = {key: np.zeros_like(val) for key, val in params.items()}
        self.t += 1
        for key in params:
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * grads[key]  # 勾配の移動平均
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * grads[key] ** 2  # 2 乗の移動平均
            m_hat = self.m[key] / (1 - self.beta1**self.t)  # 0 から始めた偏りを直す（バイアス補正）
            v_hat = self.v[key] / (1 - self.beta2**self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
