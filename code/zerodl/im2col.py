"""第6章: 畳み込みを行列の積にするための並べ替え（im2col）と、その逆向き（col2im）。

im2col は入力 (N, C, H, W) を、フィルタが 1 回に重なる C×FH×FW 個の値を 1 行にした行列
(N×OH×OW, C×FH×FW) に並べる。ループはフィルタの行と列について回るだけで（5×5 なら 25 回）、
1 回ごとに、出力の全位置ぶんの画素を NumPy のスライスでまとめて取り出す。
"""

import numpy as np


def conv_output_size(input_size, filter_size, stride=1, pad=0):
    return (input_size + 2 * pad - filter_size) // stride + 1


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_data.shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w), dtype=input_data.dtype)
    for y in range(filter_h):  # フィルタの (y, x) の重みが掛かる画素を、出力の全位置ぶんまとめて取る
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    N, C, H, W = input_shape
    out_h = conv_output_size(H, filter_h, stride, pad)
    out_w = conv_output_size(W, filter_w, stride, pad)
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=col.dtype)
    for y in range(filter_h):  # im2col が取り出した場所へ、値を足し戻す（重なった所は和になる）
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad : H + pad, pad : W + pad]
