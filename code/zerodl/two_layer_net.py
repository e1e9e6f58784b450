"""第4章: 誤差逆伝播法で勾配を求める 2 層ネットワーク（Affine → ReLU → Affine → Softmax）。"""

import numpy as np

from zerodl.layers import Affine, Relu, SoftmaxWithLoss
from zerodl.numerical import numerical_gradient


class TwoLayerNet:
    def __init__(self, input_size, hidden_size, output_size, weight_init_std=0.01, seed=0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": (weight_init_std * rng.standard_normal((input_size, hidden_size))).astype(dtype),
            "b1": np.zeros(hidden_size, dtype=dtype),
            "W2": (weight_init_std * rng.standard_normal((hidden_size, output_size))).astype(dtype),
            "b2": np.zeros(output_size, dtype=dtype),
        }
        p = self.params  # 各レイヤは params の配列そのものを持つ（更新がそのまま見える）
        self.layers = [Affine(p["W1"], p["b1"]), Relu(), Affine(p["W2"], p["b2"])]
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t):
        y = np.argmax(self.predict(x), axis=1)
        return np.mean(y == np.argmax(t, axis=1))

    def gradient(self, x, t):
        """誤差逆伝播法: 順伝播で損失を出し、逆順に backward をたどる。損失も返す（記録用に 2 回目の順伝播は要らない）。"""
        loss = self.loss(x, t)
        dout = self.last_layer.backward()
        for layer in reversed(self.layers[1:]):
            dout = layer.backward(dout)
        self.layers[0].backward(dout, need_dx=False)  # 入力画像についての勾配は使わないので求めない
        affine1, affine2 = self.layers[0], self.layers[2]
        grads = {"W1": affine1.dW, "b1": affine1.db, "W2": affine2.dW, "b2": affine2.db}
        return loss, grads

    def numerical_gradient(self, x, t):
        """同じ勾配を数値微分で（遅いが、逆伝播の答え合わせに使う）。"""
        return {
            key: numerical_gradient(lambda _: self.loss(x, t), param) for key, param in self.params.items()
        }
