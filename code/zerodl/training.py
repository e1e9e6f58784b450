"""第4章: ミニバッチ学習（SGD）。ランダムに選んだミニバッチで勾配を求め、重みを少しずつ動かす。"""

import numpy as np


def train(network, data, epochs, batch_size, learning_rate):
    (x_train, t_train), (x_test, t_test) = data
    rng = np.random.default_rng(0)  # ミニバッチの選び方を毎回同じにする
    iter_per_epoch = max(len(x_train) // batch_size, 1)
    history = {"loss": [], "train_acc": [], "test_acc": []}

    def record_accuracy():
        history["train_acc"].append(network.accuracy(x_train, t_train))
        history["test_acc"].append(network.accuracy(x_test, t_test))

    record_accuracy()  # エポック 0（学習前）
    for _ in range(epochs):
        for _ in range(iter_per_epoch):
            batch_mask = rng.choice(len(x_train), batch_size)
            grads = network.gradient(x_train[batch_mask], t_train[batch_mask])
            for key in grads:
                network.params[key] -= learning_rate * grads[key]
            history["loss"].append(network.lastLayer.loss)  # gradient() の順伝播で求めた損失
        record_accuracy()  # 1 エポックごと
    return history


# 第4章で MNIST を学習させるときの設定（スライドの表と学習曲線の図が同じ値を使う）。
HIDDEN_SIZE = 50
EPOCHS = 16
BATCH_SIZE = 100
LEARNING_RATE = 0.1
