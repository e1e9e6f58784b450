"""`make bench`, CNN part: zerodl's SimpleConvNet against a plain float64 version of the same algorithm.

The baseline is written here in the textbook's style on purpose, and imports nothing from zerodl's
network or layer code: float64 everywhere, im2col and col2im with Python loops over the filter's
rows and columns, Pooling through im2col and argmax, an Affine layer that flattens 4-D input itself,
the Adam update written out, and a training loop that runs a second forward pass to log the loss
(ReLU and softmax-with-loss are the chapter-4 baseline's, bench/training.py). Both sides get the same
data, the same initial weights (the same random draws in SimpleConvNet's order), the same
mini-batches (fit()'s seed and rng.choice calls), Adam with the same settings, epochs and batch size,
and both measure accuracy before and after training only. The timed figure is the whole run, these
two evaluations included.

Ours is also reported as achieved GFLOP/s: the floating-point operations of the matrix products it
performs (matmul_flops() counts them) over its measured seconds, against the float32 matrix-multiply
peak of the same process (a 1024×1024 product, best of several). main() measures in a child process
whose BLAS has one thread, as bench/training.py's judged figure does.
Usage: python -m bench.cnn_training [--epochs N] [--repeat N]  (from the project folder)
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections import OrderedDict

import numpy as np

from bench.training import BLAS_THREADS, Relu, SoftmaxWithLoss
from zerodl.mnist import dataset_info, load_mnist
from zerodl.optimizers import Adam
from zerodl.simple_conv_net import SimpleConvNet
from zerodl.trainer import fit

SPEEDUP = 5.0  # ours must train at least this many times faster than the baseline (one BLAS thread)
ACCURACY_GAP = 0.01  # and reach a final test accuracy within this of the baseline's
EPOCHS = 2  # both reach ~0.88 on the default data and agree; the baseline takes ~15 s a run on an idle core
BATCH_SIZE = 100
LEARNING_RATE = 0.001
NAMES = {"ours": "zerodl SimpleConvNet (float32)", "baseline": "textbook baseline (float64)"}


# ---- the baseline: the textbook's CNN, float64 ------------------------------------------------


def im2col(input_data, filter_h, filter_w, stride=1, pad=0):
    """(N, C, H, W) → (N*OH*OW, C*FH*FW): one row per position of the filter, one loop per filter cell."""
    N, C, H, W = input_data.shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    img = np.pad(input_data, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    return col.transpose(0, 4, 5, 1, 2, 3).reshape(N * out_h * out_w, -1)


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0):
    """The way back: each row's values are added to the pixels they were taken from."""
    N, C, H, W = input_shape
    out_h = (H + 2 * pad - filter_h) // stride + 1
    out_w = (W + 2 * pad - filter_w) // stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2 * pad + stride - 1, W + 2 * pad + stride - 1))
    for y in range(filter_h):
        y_max = y + stride * out_h
        for x in range(filter_w):
            x_max = x + stride * out_w
            img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
    return img[:, :, pad : H + pad, pad : W + pad]


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        FN, _, FH, FW = self.W.shape
        N, _, H, W = x.shape
        out_h = (H + 2 * self.pad - FH) // self.stride + 1
        out_w = (W + 2 * self.pad - FW) // self.stride + 1
        col = im2col(x, FH, FW, self.stride, self.pad)
        col_W = self.W.reshape(FN, -1).T
        out = np.dot(col, col_W) + self.b
        self.x, self.col, self.col_W = x, col, col_W
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)
        dcol = np.dot(dout, self.col_W.T)
        return col2im(dcol, self.x.shape, FH, FW, self.stride, self.pad)


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h = pool_h
        self.pool_w = pool_w
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        N, C, H, W = x.shape
        out_h = (H - self.pool_h) // self.stride + 1
        out_w = (W - self.pool_w) // self.stride + 1
        col = im2col(x, self.pool_h, self.pool_w, self.stride, self.pad)
        col = col.reshape(-1, self.pool_h * self.pool_w)
        self.x, self.arg_max = x, np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        return out.reshape(N, out_h, out_w, C).transpose(0, 3, 1, 2)

    def backward(self, dout):
        dout = dout.transpose(0, 2, 3, 1)
        pool_size = self.pool_h * self.pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(self.arg_max.size), self.arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape((*dout.shape, pool_size))
        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        return col2im(dcol, self.x.shape, self.pool_h, self.pool_w, self.stride, self.pad)


class Affine:
    """The textbook's Affine for CNNs: it flattens (N, C, H, W) input itself and gives dx back in that shape."""

    def __init__(self, W, b):
        self.W = W
        self.b = b

    def forward(self, x):
        self.original_x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return np.dot(self.x, self.W) + self.b

    def backward(self, dout):
        dx = np.dot(dout, self.W.T)
        self.dW = np.dot(self.x.T, dout)
        self.db = np.sum(dout, axis=0)
        return dx.reshape(*self.original_x_shape)


class BaselineAdam:
    """Adam in float64, the same update as zerodl.optimizers.Adam (bias-corrected moments, eps 1e-7)."""

    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-7):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0
        self.m, self.v = {}, {}

    def update(self, params, grads):
        self.t += 1
        for key, param in params.items():
            m = self.m.setdefault(key, np.zeros_like(param))
            v = self.v.setdefault(key, np.zeros_like(param))
            m *= self.beta1
            m += (1 - self.beta1) * grads[key]
            v *= self.beta2
            v += (1 - self.beta2) * grads[key] ** 2
            m_hat = m / (1 - self.beta1**self.t)
            v_hat = v / (1 - self.beta2**self.t)
            param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class BaselineConvNet:
    """Conv → Relu → Pool(2×2) → Affine → Relu → Affine → SoftmaxWithLoss, all float64."""

    def __init__(
        self,
        input_dim=(1, 28, 28),
        filter_num=30,
        filter_size=5,
        hidden_size=100,
        output_size=10,
        weight_init_std=0.01,
        seed=0,
    ):
        C, H, W = input_dim
        conv_h, conv_w = H - filter_size + 1, W - filter_size + 1  # stride 1, no padding
        pool_output_size = filter_num * (conv_h // 2) * (conv_w // 2)
        rng = np.random.default_rng(seed)  # the same draws, in the same order, as SimpleConvNet
        self.params = {}
        self.params["W1"] = weight_init_std * rng.standard_normal((filter_num, C, filter_size, filter_size))
        self.params["b1"] = np.zeros(filter_num)
        self.params["W2"] = weight_init_std * rng.standard_normal((pool_output_size, hidden_size))
        self.params["b2"] = np.zeros(hidden_size)
        self.params["W3"] = weight_init_std * rng.standard_normal((hidden_size, output_size))
        self.params["b3"] = np.zeros(output_size)

        self.layers = OrderedDict()
        self.layers["Conv1"] = Convolution(self.params["W1"], self.params["b1"])
        self.layers["Relu1"] = Relu()
        self.layers["Pool1"] = Pooling(pool_h=2, pool_w=2, stride=2)
        self.layers["Affine1"] = Affine(self.params["W2"], self.params["b2"])
        self.layers["Relu2"] = Relu()
        self.layers["Affine2"] = Affine(self.params["W3"], self.params["b3"])
        self.last_layer = SoftmaxWithLoss()

    def predict(self, x):
        for layer in self.layers.values():
            x = layer.forward(x)
        return x

    def loss(self, x, t):
        return self.last_layer.forward(self.predict(x), t)

    def accuracy(self, x, t, batch_size=100):
        if t.ndim != 1:
            t = np.argmax(t, axis=1)
        acc = 0.0
        for i in range(0, x.shape[0], batch_size):  # the book drops a last partial batch; this keeps it
            y = np.argmax(self.predict(x[i : i + batch_size]), axis=1)
            acc += np.sum(y == t[i : i + batch_size])
        return acc / x.shape[0]

    def gradient(self, x, t):
        self.loss(x, t)
        dout = self.last_layer.backward(1)
        for layer in reversed(self.layers.values()):
            dout = layer.backward(dout)
        grads = {}
        for key, name in (("1", "Conv1"), ("2", "Affine1"), ("3", "Affine2")):
            grads["W" + key] = self.layers[name].dW
            grads["b" + key] = self.layers[name].db
        return grads


def train_baseline(network, data, epochs, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE, seed=0):
    """The book's loop: gradient, update, then loss again for the log; accuracy before and after.

    Mini-batches come from the same generator and calls as zerodl.trainer.fit(). Returns
    (train_acc, test_acc, loss) lists.
    """
    (x_train, t_train), (x_test, t_test) = data
    x_train, t_train = x_train.astype(np.float64), t_train.astype(np.float64)
    x_test, t_test = x_test.astype(np.float64), t_test.astype(np.float64)
    rng = np.random.default_rng(seed)
    optimizer = BaselineAdam(lr=learning_rate)
    train_size = x_train.shape[0]
    iter_per_epoch = max(train_size // batch_size, 1)
    train_acc_list = [network.accuracy(x_train, t_train)]
    test_acc_list = [network.accuracy(x_test, t_test)]
    train_loss_list = []

    for _ in range(epochs * iter_per_epoch):
        batch_mask = rng.choice(train_size, batch_size)
        x_batch = x_train[batch_mask]
        t_batch = t_train[batch_mask]
        grads = network.gradient(x_batch, t_batch)
        optimizer.update(network.params, grads)
        train_loss_list.append(network.loss(x_batch, t_batch))
    train_acc_list.append(network.accuracy(x_train, t_train))
    test_acc_list.append(network.accuracy(x_test, t_test))
    return train_acc_list, test_acc_list, train_loss_list


# ---- floating-point operations and the machine's peak -------------------------------------------


def matmul_flops(
    batch, input_dim=(1, 28, 28), filter_num=30, filter_size=5, hidden_size=100, output_size=10, backward=True
):
    """Floating-point operations of the matrix products of one forward (and backward) pass of `batch` images.

    A product (m, k)·(k, n) counts 2·m·k·n (a multiply and an add per term). Forward: the convolution's
    col (batch·OH·OW, C·FH·FW) · W (C·FH·FW, FN), then x·W of both Affine layers. Backward: for each of
    these three, dW = xᵀ·dout and dx = dout·Wᵀ, each as many operations as its forward product (the
    convolution's dx is computed too, as the book's layer always does), so 3× the forward count.
    Left out: im2col/col2im copies, pooling, ReLU, softmax, biases and the Adam update.
    """
    C, H, W = input_dim
    out_h, out_w = H - filter_size + 1, W - filter_size + 1  # stride 1, no padding
    conv = 2 * batch * out_h * out_w * (C * filter_size * filter_size) * filter_num
    pooled = filter_num * (out_h // 2) * (out_w // 2)
    affine = 2 * batch * pooled * hidden_size + 2 * batch * hidden_size * output_size
    forward = conv + affine
    return 3 * forward if backward else forward


def run_flops(iterations, batch_size, evaluated_rows, evaluations):
    """Matrix-product operations of a timed run: every update's forward and backward pass, plus the
    forward passes over `evaluated_rows` images at each of the `evaluations` accuracy measurements."""
    return iterations * matmul_flops(batch_size) + evaluations * matmul_flops(evaluated_rows, backward=False)


def matmul_peak(n=1024, repeats=5):
    """float32 operations per second of an n×n matrix product, the best of `repeats` (the BLAS's peak here)."""
    rng = np.random.default_rng(0)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    np.dot(a, b)  # warm up: the first call allocates the library's buffers
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        np.dot(a, b)
        best = min(best, time.perf_counter() - started)
    return 2 * n**3 / best


# ---- the comparison ----------------------------------------------------------------------------


def run(epochs=EPOCHS, repeats=3, data=None, batch_size=BATCH_SIZE):
    """Train both `repeats` times, alternating; median seconds, iterations per second, final test accuracy,
    the speed ratio and ours in GFLOP/s against the float32 matrix-multiply peak."""
    if data is None:
        data = load_mnist(normalize=True, flatten=False, one_hot_label=True)
    (x_train, _), (x_test, _) = data
    iterations = epochs * max(len(x_train) // batch_size, 1)

    def ours():
        network = SimpleConvNet()
        history = fit(network, Adam(lr=LEARNING_RATE), data, epochs, batch_size, eval_every=epochs)
        return history["test_acc"][-1]

    def baseline():
        _, test_acc, _ = train_baseline(BaselineConvNet(), data, epochs, batch_size)
        return test_acc[-1]

    peak = matmul_peak()
    seconds = {"ours": [], "baseline": []}
    accuracy = {}
    for _ in range(repeats):  # alternate the two, so that a slow moment of the machine hits both
        for name, train in (("baseline", baseline), ("ours", ours)):
            started = time.perf_counter()
            accuracy[name] = float(train())
            seconds[name].append(time.perf_counter() - started)
    peak = max(peak, matmul_peak())  # measured again after: the better of the two moments
    result = {}
    for name in ("ours", "baseline"):
        median = statistics.median(seconds[name])
        result[name] = {
            "seconds": median,
            "iterations": iterations,
            "iterations_per_second": iterations / median,
            "test_accuracy": accuracy[name],
        }
    result["speedup"] = result["baseline"]["seconds"] / result["ours"]["seconds"]
    result["accuracy_gap"] = abs(result["ours"]["test_accuracy"] - result["baseline"]["test_accuracy"])
    flops = run_flops(iterations, batch_size, len(x_train) + len(x_test), evaluations=2)
    result["gflops"] = flops / result["ours"]["seconds"] / 1e9
    result["peak_gflops"] = peak / 1e9
    return result


def measure(epochs, repeats, threads=1):
    """run() in a fresh Python whose BLAS uses `threads` threads, fixed before NumPy is imported."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_THREADS}
    env.update(dict.fromkeys(BLAS_THREADS, str(threads)))
    cmd = [sys.executable, "-m", "bench.cnn_training", "--json", "--epochs", str(epochs)]
    cmd += ["--repeat", str(repeats)]
    project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # where `-m bench…` resolves
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=project)
    if proc.returncode != 0:
        sys.exit(f"bench: CNN training measurement failed:\n{proc.stderr}")
    return json.loads(proc.stdout)


def verdicts(result) -> list[tuple[bool, str]]:
    """The judged lines: (passed, text) for the speed ratio and for the accuracy gap."""
    return [
        (
            result["speedup"] >= SPEEDUP,
            f"CNN ours/baseline speed, 1 BLAS thread: {result['speedup']:.2f}× (at least {SPEEDUP}×)",
        ),
        (
            result["accuracy_gap"] <= ACCURACY_GAP,
            f"CNN test accuracy gap: {result['accuracy_gap']:.4f} (at most {ACCURACY_GAP})",
        ),
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Time zerodl's CNN training against a float64 textbook CNN.")
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--repeat", type=int, default=3, help="runs per implementation (the median is shown)")
    parser.add_argument("--json", action="store_true", help="run here and print run()'s result as JSON")
    args = parser.parse_args(argv)
    if args.json:
        print(json.dumps(run(epochs=args.epochs, repeats=args.repeat)))
        return 0

    r = measure(args.epochs, args.repeat, threads=1)
    info = dataset_info()
    print(
        f"CNN: training {info.n_train:,} MNIST digits, {args.epochs} epochs = {r['ours']['iterations']} iterations"
        f" of batch {BATCH_SIZE} (Adam, learning rate {LEARNING_RATE}); test on {info.n_test:,}; 1 BLAS thread"
    )
    print(f"{'implementation':<32} {'iter/s':>7} {'median s':>9} {'test acc':>9}")
    for name, label in NAMES.items():
        row = r[name]
        print(
            f"{label:<32} {row['iterations_per_second']:>7.2f} {row['seconds']:>9.2f} {row['test_accuracy']:>9.4f}"
        )
    results = verdicts(r)
    for passed, text in results:
        print(f"{'ok  ' if passed else 'FAIL'} {text}")
    print(
        f"info ours: {r['gflops']:.1f} GFLOP/s in its matrix products (forward + backward, accuracy passes"
        f" included) = {r['gflops'] / r['peak_gflops']:.2f} of this machine's float32 matrix-multiply peak"
        f" ({r['peak_gflops']:.1f} GFLOP/s, 1024×1024, 1 thread)"
    )
    return 0 if all(passed for passed, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
