"""第5章: ネットワークと更新方法（optimizer）を受け取って学習させ、損失と正解率の記録を返す。

第4章の train() と同じ手順で、重みの更新だけを optimizer.update(params, grads) に任せる。
"""

import numpy as np


def fit(network, optimizer, data, epochs, batch_size=100, seed=0, eval_every=1):
    """loss は更新ごと、正解率は eval_every エポックごと（0 は学習前、最後のエポックは必ず）に記録する。"""
    (x_train, t_train), (x_test, t_test) = data
    rng = np.random.default_rng(seed)  # ミニバッチの選び方を毎回同じにする
    iter_per_epoch = max(len(x_train) // batch_size, 1)
    history = {"loss": [], "epoch": [], "train_acc": [], "test_acc": []}

    def record_accuracy(epoch):
        history["epoch"].append(epoch)
        history["train_acc"].append(network.accuracy(x_train, t_train))
        history["test_acc"].append(network.accuracy(x_test, t_test))

    record_accuracy(0)
    for epoch in range(1, epochs + 1):
        for _ in range(iter_per_epoch):
            batch_mask = rng.choice(len(x_train), batch_size)
            grads = network.gradient(x_train[batch_mask], t_train[batch_mask])
            optimizer.update(network.params, grads)
            history["loss"].append(float(network.lastLayer.loss))
        if epoch % eval_every == 0 or epoch == epochs:
            record_accuracy(epoch)
    return history
