"""第6章: 畳み込みとプーリングを手で追える、小さな例とその素直な定義（出力の位置についてのループ）。

スライドの計算と `make figures` の図が同じ配列を使う。レイヤ（conv_layers.py）は im2col で同じ計算を速く行う。
"""

import numpy as np

# 畳み込みの例: 4×4 の入力に 3×3 のフィルタ（出力は 2×2）、最後にバイアスを足す。
# フィルタは上下にも左右にも対称でないので、裏返して重ねると別の結果になる（裏返さないことが確かめられる）。
EXAMPLE_INPUT = np.array([[1, 0, 2, 3], [2, 1, 0, 1], [0, 3, 1, 2], [1, 2, 2, 0]])
EXAMPLE_FILTER = np.array([[1, 0, 2], [0, 1, 0], [1, 2, 0]])
EXAMPLE_BIAS = 2

# プーリングの例: 4×4 の入力に 2×2 の Max プーリング（ストライド 2）
POOL_INPUT = np.array([[3, 1, 0, 2], [0, 2, 4, 1], [1, 5, 2, 0], [2, 0, 3, 1]])


def convolve2d(x, w, stride=1, pad=0):
    """2 次元の畳み込み（本と同じく、フィルタを裏返さない相互相関）。出力の各位置で、重なる要素の積の和。"""
    x = np.pad(x, pad)
    fh, fw = w.shape
    out_h = (x.shape[0] - fh) // stride + 1
    out_w = (x.shape[1] - fw) // stride + 1
    out = np.zeros((out_h, out_w), dtype=np.result_type(x, w))
    for i in range(out_h):
        for j in range(out_w):
            window = x[i * stride : i * stride + fh, j * stride : j * stride + fw]
            out[i, j] = np.sum(window * w)
    return out


def max_pool2d(x, size=2, stride=2):
    """2 次元の Max プーリング。出力の各位置で、窓の中の最大値。"""
    out_h = (x.shape[0] - size) // stride + 1
    out_w = (x.shape[1] - size) // stride + 1
    out = np.zeros((out_h, out_w), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            out[i, j] = np.max(x[i * stride : i * stride + size, j * stride : j * stride + size])
    return out


def shift(image, dy, dx):
    """画像を下に dy、右に dx 画素ずらす（はみ出た所は捨て、空いた所は 0）。"""
    out = np.zeros_like(image)
    h, w = image.shape
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = image[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out
