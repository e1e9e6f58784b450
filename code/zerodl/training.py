"""第4章: ミニバッチ学習。ランダムに選んだ 100 枚ずつで勾配を求め、重みを少しずつ動かす。"""

from dataclasses import dataclass, field

import numpy as np


@dataclass
class History:
    train_acc: list = field(default_factory=list)  # エポックごと（0 番目は学習前）
    test_acc: list = field(default_factory=list)
    loss: list = field(default_factory=list)  # ミニバッチ 1 回ごと

    def record(self, network, data):
        """訓練データとテストデータそれぞれの正解率を 1 エポック分として記録する。"""
        (x_train, t_train), (x_test, t_test) = data
        self.train_acc.append(network.accuracy(x_train, t_train))
        self.test_acc.append(network.accuracy(x_test, t_test))


def train(network, data, epochs=20, batch_size=100, learning_rate=0.1, seed=0):
    (x_train, t_train), _ = data
    rng = np.random.default_rng(seed)
    iter_per_epoch = max(len(x_train) // batch_size, 1)
    history = History()
    history.record(network, data)  # エポック 0（学習前）
    for _ in range(epochs):
        for _ in range(iter_per_epoch):
            batch_mask = rng.choice(len(x_train), batch_size)
            loss, grads = network.gradient(x_train[batch_mask], t_train[batch_mask])
            for key, grad in grads.items():
                network.params[key] -= learning_rate * grad
            history.loss.append(loss)  # 勾配を求めたときの損失をそのまま記録
        history.record(network, data)
    return history


# 第4章で MNIST を学習させるときの設定（スライドの表と学習曲線の図が同じ値を使う）。
HIDDEN_SIZE = 50
EPOCHS = 16
BATCH_SIZE = 100
LEARNING_RATE = 0.1
