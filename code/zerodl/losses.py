"""第3章: 損失関数。出力 y が正解 t からどれだけ外れているかを 1 つの数にする。"""

import numpy as np


def sum_squared_error(y, t):
    return 0.5 * np.sum((y - t) ** 2)


def cross_entropy_error(y, t):
    """t は one-hot 表現。y が 1 件（1 次元）ならその値、ミニバッチ（2 次元）なら 1 件あたりの平均。"""
    delta = 1e-7  # log(0) = -inf にならないように足す小さな値
    batch_size = y.shape[0] if y.ndim == 2 else 1
    return -np.sum(t * np.log(y + delta)) / batch_size
