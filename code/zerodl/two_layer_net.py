"""第4章: 誤差逆伝播法で勾配を求める 2 層ネットワーク（Affine → ReLU → Affine → Softmax-with-Loss）。"""

from collections import OrderedDict

import numpy as np

from zerodl.layers import Affine, Relu, SoftmaxWithLoss
from zerodl.numerical import numerical_gradient


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, dtype=np.float32):
        rng = np.random.default_rng(0)  # 乱数の種を決めて、毎回同じ初期値から始める
        W1 = weight_init_std * rng.standard_normal((input_size, hidden_size))
        W2 = weight_init_std * rng.standard_normal((hidden_size, output_size))
        self.params = {}
        self.params["W1"] = W1.astype(dtype)
        self.params["b1"] = np.zeros(hidden_size, dtype=dtype)
        self.params["W2"] = W2.astype(dtype)
        self.params["b2"] = np.zeros(output_size, dtype=dtype)

        self.layers = OrderedDict()  # 順伝播で通る順に、名前を付けて並べる
        self.layers["Affine1"] = Affine(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W2"], self.params["b2"])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        y = self.predict(x)
        return self.lastLayer.forward(y, t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        return np.mean(y == np.argmax(t, axis=1))

    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t)  # W は使わない（params の中身が直接動かされる）
        grads = {}
        for key in ("W1", "b1", "W2", "b2"):
            grads[key] = numerical_gradient(loss_W, self.params[key])
        return grads

    def gradient(self, x, t):
        self.loss(x, t)  # 順伝播（各レイヤが逆伝播に要る値を覚える）
        dout = self.lastLayer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads = {}
        grads["W1"], grads["b1"] = self.layers["Affine1"].dW, self.layers["Affine1"].db
        grads["W2"], grads["b2"] = self.layers["Affine2"].dW, self.layers["Affine2"].db
        return grads
