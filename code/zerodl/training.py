"""第4章: ミニバッチ学習。ランダムに選んだ 100 枚ずつで勾配を求め、重みを少しずつ動かす。"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    train_acc: list = field(default_factory=list)  # エポックごと（0 番目は学習前）
    test_acc: list = field(default_factory=list)
    loss: list = field(default_factory=list)  # ミニバッチ 1 回ごと


def train(network, x_train, t_train, x_test, t_test, epochs=20, batch_size=100, learning_rate=0.1, seed=0):
    rng = np.random.default_rng(seed)
    train_size = x_train.shape[0]
    iter_per_epoch = max(train_size // batch_size, 1)
    history = History()
    history.train_acc.append(network.accuracy(x_train, t_train))
    history.test_acc.append(network.accuracy(x_test, t_test))

    for _ in range(epochs):
        for _ in range(iter_per_epoch):
            batch_mask = rng.choice(train_size, batch_size)
            loss, grads = network.gradient(x_train[batch_mask], t_train[batch_mask])
            for key, grad in grads.items():
                network.params[key] -= learning_rate * grad
            history.loss.append(loss)
        history.train_acc.append(network.accuracy(x_train, t_train))
        history.test_acc.append(network.accuracy(x_test, t_test))
    return history


# 第4章で MNIST を学習させるときの設定（スライドの表と学習曲線の図が同じ値を使う）。
HIDDEN_SIZE = 50
EPOCHS = 16
BATCH_SIZE = 100
LEARNING_RATE = 0.1
