"""第5章: 層の数を自由に選べる全結合ネットワーク。活性化関数・重みの初期値・Weight decay・
Batch Normalization・Dropout を選べ、レイヤは順伝播で通る順に名前を付けて並べる。

    Affine1 → [BatchNorm1] → Relu1 → [Dropout1] → … → Affine(N) → Softmax-with-Loss
"""

from collections import OrderedDict

import numpy as np

from zerodl.layers import Affine, BatchNormalization, Dropout, Relu, Sigmoid, SoftmaxWithLoss
from zerodl.numerical import numerical_gradient


def init_scale(weight_init_std, n_prev):
    """重みの標準偏差。n_prev は前の層のノード数（式の n）。"""
    if weight_init_std == "he":
        return np.sqrt(2.0 / n_prev)
    if weight_init_std == "xavier":
        return np.sqrt(1.0 / n_prev)
    return weight_init_std


class MultiLayerNet:
    def __init__(self, input_size, hidden_size_list, output_size, activation="relu", weight_init_std="he",
                 weight_decay_lambda=0.0, use_batchnorm=False, use_dropout=False, dropout_ratio=0.5,
                 seed=0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        sizes = [input_size, *hidden_size_list, output_size]
        self.n_affine = len(sizes) - 1  # Affine レイヤ（重み W）の数
        self.weight_decay_lambda = weight_decay_lambda
        self.params, self.layers = {}, OrderedDict()
        for i in range(1, self.n_affine + 1):
            W = init_scale(weight_init_std, sizes[i - 1]) * rng.standard_normal((sizes[i - 1], sizes[i]))
            self.params[f"W{i}"], self.params[f"b{i}"] = W.astype(dtype), np.zeros(sizes[i], dtype=dtype)
            self.layers[f"Affine{i}"] = Affine(self.params[f"W{i}"], self.params[f"b{i}"])
            if i == self.n_affine:
                break  # 最後の Affine の後ろは Softmax-with-Loss だけ
            if use_batchnorm:  # Batch Normalization（この章の後半で使う）
                bn = BatchNormalization(np.ones(sizes[i], dtype=dtype), np.zeros(sizes[i], dtype=dtype))
                self.layers[f"BatchNorm{i}"], self.params[f"gamma{i}"], self.params[f"beta{i}"] = bn, bn.gamma, bn.beta
            self.layers[f"{activation.capitalize()}{i}"] = {"relu": Relu, "sigmoid": Sigmoid}[activation]()
            if use_dropout:  # Dropout（この章の後半で使う）
                self.layers[f"Dropout{i}"] = Dropout(dropout_ratio, seed=seed + i)
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x, train_flg=False):
        for name, layer in self.layers.items():
            if name.startswith(("BatchNorm", "Dropout")):  # 学習中と推論で振る舞いが変わるレイヤ
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        y = self.predict(x, train_flg)
        weight_decay = 0.0
        for i in range(1, self.n_affine + 1):  # 重みの 2 乗和に比例する罰則（λ/2 · ‖W‖²）
            weight_decay += 0.5 * self.weight_decay_lambda * np.sum(self.params[f"W{i}"] ** 2)
        return self.lastLayer.forward(y, t) + weight_decay

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        return np.mean(y == t)

    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t, train_flg=True)  # W は使わない（params を直接動かす）
        return {key: numerical_gradient(loss_W, param) for key, param in self.params.items()}

    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)  # 順伝播（各レイヤが逆伝播に要る値を覚える）
        dout = self.lastLayer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads = {}
        for i in range(1, self.n_affine + 1):
            affine = self.layers[f"Affine{i}"]
            grads[f"W{i}"] = affine.dW + self.weight_decay_lambda * affine.W  # 罰則の勾配 λW を足す
            grads[f"b{i}"] = affine.db
            if f"BatchNorm{i}" in self.layers:
                grads[f"gamma{i}"] = self.layers[f"BatchNorm{i}"].dgamma
                grads[f"beta{i}"] = self.layers[f"BatchNorm{i}"].dbeta
        return grads
