"""第6章: 畳み込みレイヤ、プーリングレイヤ、形を 1 列に直すレイヤ。入力はどれも (N, C, H, W)。"""

import numpy as np

from zerodl.im2col import col2im, conv_output_size, im2col


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b = W, b  # W: (FN, C, FH, FW)、b: (FN,)
        self.stride, self.pad = stride, pad

    def forward(self, x):
        FN, _, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = conv_output_size(H, FH, self.stride, self.pad)
        out_w = conv_output_size(W, FW, self.stride, self.pad)
        col = im2col(x, FH, FW, self.stride, self.pad)  # (N*OH*OW, C*FH*FW)
        col_W = self.W.reshape(FN, -1).T  # (C*FH*FW, FN): フィルタ 1 枚が 1 列
        out = np.dot(col, col_W)  # (N*OH*OW, FN)
        out += self.b  # 各行にその場で足す（同じ大きさの配列をもう 1 つ作らない）
        self.x_shape, self.col, self.col_W = x.shape, col, col_W
        return np.ascontiguousarray(out.reshape(N, out_h, out_w, FN).transpose(0, 3, 1, 2))  # (N, FN, OH, OW)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)  # forward の最後の並べ替えを戻す
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout).T.reshape(FN, C, FH, FW)  # Affine の dW と同じ形の式
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x_shape, FH, FW, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w = pool_h, pool_w
        self.stride, self.pad = stride, pad

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = conv_output_size(H, self.pool_h, self.stride, self.pad)
        out_w = conv_output_size(W, self.pool_w, self.stride, self.pad)
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)  # 1 行が 1 チャンネルの 1 つの窓
        self.x_shape, self.arg_max = x.shape, np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)  # forward の最後の並べ替えを戻す
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size), dtype=dout.dtype)
        dmax[np.arange(dout.size), self.arg_max] = dout.flatten()  # 最大だった要素にだけ流す
        dcol = dmax.reshape(dout.shape[0] * dout.shape[1] * dout.shape[2], -1)
        return col2im(dcol, self.x_shape, self.pool_h, self.pool_w, self.stride, self.pad)


class Flatten:
    """(N, C, H, W) を (N, C*H*W) に並べ直す（第4章の Affine にそのまま渡せるように）。"""

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.x_shape)


class FastPooling(Pooling):
    """Pooling と同じ計算を、im2col を使わず、窓の中の位置（2×2 なら 4 つ）についてのループで行う。"""

    def windows(self, img, out_h, out_w):
        """窓の中の位置 (y, x) ごとに、全部の窓のその位置の画素 (N, C, OH, OW)。左上から順に。"""
        s = self.stride
        for y, x in np.ndindex(self.pool_h, self.pool_w):
            yield img[:, :, y : y + s * out_h : s, x : x + s * out_w : s]

    def forward(self, x):
        H, W = x.shape[2:]
        out_h = conv_output_size(H, self.pool_h, self.stride, self.pad)
        out_w = conv_output_size(W, self.pool_w, self.stride, self.pad)
        self.img = np.pad(x, [(0, 0), (0, 0), (self.pad, self.pad), (self.pad, self.pad)])
        windows = self.windows(self.img, out_h, out_w)
        self.out = next(windows).copy()
        for window in windows:
            np.maximum(self.out, window, out=self.out)
        return self.out

    def backward(self, dout):
        dimg = np.zeros_like(self.img, dtype=dout.dtype)
        out_h, out_w = self.out.shape[2:]
        windows = self.windows(self.img, out_h, out_w)
        dwindows = self.windows(dimg, out_h, out_w)  # dimg の同じ位置（スライスなので、足せば dimg が変わる）
        unclaimed = np.ones(self.out.shape, dtype=bool)  # まだ勾配を渡していない窓
        for window, dwindow in zip(windows, dwindows, strict=True):
            # 最大の値が窓の中に何か所あっても、最初の 1 か所だけに流す（np.argmax と同じ）
            hit = (window == self.out) & unclaimed
            unclaimed &= ~hit
            dwindow += dout * hit
        H, W = dimg.shape[2] - 2 * self.pad, dimg.shape[3] - 2 * self.pad
        return dimg[:, :, self.pad : H + self.pad, self.pad : W + self.pad]
