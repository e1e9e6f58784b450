"""第7章（本の第8章）: VGG 風の深い CNN。3×3 の畳み込み 6 層と全結合 2 層、He の初期値、ReLU、Dropout。

    (Conv → ReLU → Conv → ReLU → Pool) × 3 → Affine → ReLU → Dropout → Affine → Dropout → Softmax-with-Loss
"""

from collections import OrderedDict

import numpy as np

from zerodl.conv_layers import Convolution, FastPooling, Flatten
from zerodl.im2col import conv_output_size
from zerodl.layers import Affine, Dropout, Relu, SoftmaxWithLoss
from zerodl.multi_layer_net import init_scale
from zerodl.numerical import numerical_gradient

FILTER_SIZE = 3  # どの畳み込みも 3×3、ストライド 1
# 畳み込み 6 層のパディング。本は 4 番目だけ 2 にする: 14×14 が 16×16 になり、続く 2 回のプーリングで
# 8×8、4×4 と割り切れる（1 のままだと 14 → 7 → 3 で、最後のプーリングが端の 1 列を捨てる）
CONV_PADS = (1, 1, 1, 2, 1, 1)
# 重みを持つレイヤ。W1〜W6 が畳み込み、W7 と W8 が全結合
WEIGHTED = ("Conv1", "Conv2", "Conv3", "Conv4", "Conv5", "Conv6", "Affine1", "Affine2")


class DeepConvNet:
    def __init__(self, input_dim=(1, 28, 28), channels=(8, 8, 16, 16, 32, 32), hidden_size=50,
                 output_size=10, dropout_ratio=0.5, seed=0, dtype=np.float32):
        rng = np.random.default_rng(seed)
        self.params, self.layers = {}, OrderedDict()  # レイヤは通る順に、名前を付けて並べる
        C, H, W = input_dim
        for i, (FN, pad) in enumerate(zip(channels, CONV_PADS, strict=True), start=1):
            self.add_weights(i, (FN, C, FILTER_SIZE, FILTER_SIZE), C * FILTER_SIZE**2, rng, dtype)
            self.layers[f"Conv{i}"] = Convolution(self.params[f"W{i}"], self.params[f"b{i}"], stride=1, pad=pad)
            self.layers[f"Relu{i}"] = Relu()
            C, H, W = FN, conv_output_size(H, FILTER_SIZE, 1, pad), conv_output_size(W, FILTER_SIZE, 1, pad)
            if i % 2 == 0:  # 畳み込み 2 層ごとに、2×2 のプーリングで縦横半分
                self.layers[f"Pool{i // 2}"] = FastPooling(pool_h=2, pool_w=2, stride=2)
                H, W = H // 2, W // 2
        self.layers["Flatten"] = Flatten()
        self.add_weights(7, (C * H * W, hidden_size), C * H * W, rng, dtype)
        self.add_weights(8, (hidden_size, output_size), hidden_size, rng, dtype)
        self.layers["Affine1"] = Affine(self.params["W7"], self.params["b7"])
        self.layers["Relu7"] = Relu()
        self.layers["Dropout1"] = Dropout(dropout_ratio, seed=seed + 1)
        self.layers["Affine2"] = Affine(self.params["W8"], self.params["b8"])
        self.layers["Dropout2"] = Dropout(dropout_ratio, seed=seed + 2)
        self.lastLayer = SoftmaxWithLoss()

    def add_weights(self, i, shape, fan_in, rng, dtype):
        """重み W{i}（He の初期値: 標準偏差 √(2 / fan_in)）と、出力の数だけのバイアス b{i}（0）を params に加える。

        fan_in は出力 1 つに入る値の数: 畳み込みなら C×3×3、全結合なら入力の数。
        """
        self.params[f"W{i}"] = (init_scale("he", fan_in) * rng.standard_normal(shape)).astype(dtype)
        n_out = shape[0] if len(shape) == 4 else shape[1]  # 畳み込みの W は (FN, C, FH, FW)、全結合は (入力, 出力)
        self.params[f"b{i}"] = np.zeros(n_out, dtype=dtype)

    def predict(self, x, train_flg=False):
        for name, layer in self.layers.items():
            if name.startswith("Dropout"):  # 学習中と推論で振る舞いが変わる
                x = layer.forward(x, train_flg)
            else:
                x = layer.forward(x)
        return x

    def loss(self, x, t, train_flg=False):
        return self.lastLayer.forward(self.predict(x, train_flg), t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        correct = 0
        for i in range(0, len(x), batch_size):  # 一度に全部を通すと、途中の配列が大きくなりすぎる
            y = self.predict(x[i : i + batch_size])
            correct += np.sum(np.argmax(y, axis=1) == t[i : i + batch_size])
        return correct / len(x)

    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t, train_flg=True)  # W は使わない（params を直接動かす）
        return {key: numerical_gradient(loss_W, param) for key, param in self.params.items()}

    def gradient(self, x, t):
        self.loss(x, t, train_flg=True)  # 順伝播（各レイヤが逆伝播に要る値を覚える）
        dout = self.lastLayer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads = {}
        for i, name in enumerate(WEIGHTED, start=1):
            grads[f"W{i}"], grads[f"b{i}"] = self.layers[name].dW, self.layers[name].db
        return grads
