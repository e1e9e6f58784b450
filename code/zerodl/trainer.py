"""第5章: ネットワークと更新方法（optimizer）を受け取って学習させ、損失と正解率の記録を返す。

第4章の train() と同じ手順で、重みの更新だけを optimizer.update(params, grads) に任せる。
"""

import numpy as np


def fit(network, optimizer, data, epochs, batch_size=100, seed=0):
    """loss は更新ごと、train_acc と test_acc はエポックごと（エポック 0 は学習前）に記録する。"""
    (x_train, t_train), (x_test, t_test) = data
    rng = np.random.default_rng(seed)  # ミニバッチの選び方を毎回同じにする
    iter_per_epoch = max(len(x_train) // batch_size, 1)
    history = {"loss": [], "train_acc": [], "test_acc": []}

    def record_accuracy():
        history["train_acc"].append(network.accuracy(x_train, t_train))
        history["test_acc"].append(network.accuracy(x_test, t_test))

    record_accuracy()
    for _ in range(epochs):
        for _ in range(iter_per_epoch):
            batch_mask = rng.choice(len(x_train), batch_size)
            grads = network.gradient(x_train[batch_mask], t_train[batch_mask])
            optimizer.update(network.params, grads)
            history["loss"].append(float(network.lastLayer.loss))
        record_accuracy()
    return history
