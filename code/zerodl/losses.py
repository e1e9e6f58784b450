"""第3章: 損失関数。出力 y が正解 t からどれだけ外れているかを 1 つの数にする。"""

import numpy as np


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    """t は one-hot 表現でも正解ラベルの番号でもよい。ミニバッチなら 1 件あたりの平均。"""
    if y.ndim == 1:  # 1 件だけなら、1 件のミニバッチにそろえる
        y = y.reshape(1, y.size)
        t = t.reshape(1, t.size)
    if t.size == y.size:  # one-hot 表現なら、正解ラベルの番号に直す
        t = t.argmax(axis=1)
    batch_size = y.shape[0]
    delta = 1e-7  # log(0) = -inf にならないように足す小さな値
    return -np.sum(np.log(y[np.arange(batch_size), t] + delta)) / batch_size
