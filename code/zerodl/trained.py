"""第2章の最後で使う、学習済みの 2 層ネットワーク（第4章と同じデータ・設定・乱数の種で学習させる）。

学習は第4章のスライドがするのと同じ計算なので、ビルドでは `@memo` で 1 回だけ行い、第2章のスライドと
第4章の学習曲線の図が同じ結果を読む。ビルドの外（自分のノートブック）では、呼ぶたびにその場で学習する。
"""

import numpy as np

from deckbuild.memo import memo
from zerodl.activations import relu, softmax
from zerodl.mnist import load_mnist
from zerodl.training import BATCH_SIZE, EPOCHS, HIDDEN_SIZE, LEARNING_RATE, train
from zerodl.two_layer_net import TwoLayerNet


@memo
def trained_two_layer_net():
    """第4章と同じ設定で学習させた TwoLayerNet の重みとバイアス（params）と、学習の記録（history）。"""
    data = load_mnist(normalize=True, one_hot_label=True)
    network = TwoLayerNet(784, HIDDEN_SIZE, 10)
    history = train(network, data, epochs=EPOCHS, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE)
    return {"params": network.params, "history": history}


def predict(params, x):
    a1 = np.dot(x, params["W1"]) + params["b1"]
    z1 = relu(a1)
    a2 = np.dot(z1, params["W2"]) + params["b2"]
    y = softmax(a2)
    return y
