"""第6章: 単純な CNN。Conv → ReLU → Pool → Flatten → Affine → ReLU → Affine → Softmax-with-Loss。"""

from collections import OrderedDict

import numpy as np

from zerodl.conv_layers import Convolution, FastPooling, Flatten
from zerodl.im2col import conv_output_size
from zerodl.layers import Affine, Relu, SoftmaxWithLoss
from zerodl.numerical import numerical_gradient


class SimpleConvNet:
    def __init__(self, input_dim=(1, 28, 28), filter_num=30, filter_size=5, pad=0, stride=1,
                 hidden_size=100, output_size=10, weight_init_std=0.01, seed=0, dtype=np.float32):
        C, H, W = input_dim
        conv_h = conv_output_size(H, filter_size, stride, pad)
        conv_w = conv_output_size(W, filter_size, stride, pad)
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)  # 2×2 のプーリングで縦横半分
        shapes = {"W1": (filter_num, C, filter_size, filter_size), "b1": (filter_num,),
                  "W2": (pool_output_size, hidden_size), "b2": (hidden_size,),
                  "W3": (hidden_size, output_size), "b3": (output_size,)}
        self.params, rng = {}, np.random.default_rng(seed)
        for key, shape in shapes.items():
            value = weight_init_std * rng.standard_normal(shape) if key[0] == "W" else np.zeros(shape)
            self.params[key] = value.astype(dtype)
        self.layers = OrderedDict()  # 通る順に、名前を付けて並べる
        self.layers["Conv1"] = Convolution(self.params["W1"], self.params["b1"], stride, pad)
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = FastPooling(pool_h=2, pool_w=2, stride=2)
        self.layers["Flatten1"] = Flatten()
        self.layers["Affine1"] = Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W3"], self.params["b3"])
        self.lastLayer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.lastLayer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        correct = 0
        for i in range(0, len(x), batch_size):  # 一度に全部を通すと、途中の配列が大きくなりすぎる
            y = self.predict(x[i : i + batch_size])
            correct += np.sum(np.argmax(y, axis=1) == t[i : i + batch_size])
        return correct / len(x)

    def numerical_gradient(self, x, t):
        loss_W = lambda W: self.loss(x, t)  # W は使わない（params を直接動かす）
        return {key: numerical_gradient(loss_W, param) for key, param in self.params.items()}

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.lastLayer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads = {}
        for key, name in (("1", "Conv1"), ("2", "Affine1"), ("3", "Affine2")):
            grads["W" + key], grads["b" + key] = self.layers[name].dW, self.layers[name].db
        return grads
