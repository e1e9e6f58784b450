"""第5章の実験。スライドの表と `make figures` の図が同じ結果を読むよう、MNIST を使う実験は `@memo` で
ビルドごとに 1 回だけ計算する（ビルドの外では、呼ぶたびにその場で計算する）。

どの実験も既定のデータ（5,000 枚: 訓練 4,000、テスト 1,000）に合わせて小さくしてあり、乱数の種を決めてある。
"""

import numpy as np

from deckbuild.memo import memo
from zerodl.activations import relu, sigmoid
from zerodl.mnist import load_mnist
from zerodl.multi_layer_net import MultiLayerNet, init_scale
from zerodl.optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from zerodl.trainer import fit

OPTIMIZERS = {"SGD": SGD, "Momentum": Momentum, "AdaGrad": AdaGrad, "RMSProp": RMSProp, "Adam": Adam}


# ---- f(x, y) = x²/20 + y² の上で、4 つの更新方法が進む道筋 -------------------------------------------------


def anisotropic(x, y):
    return x**2 / 20 + y**2


def anisotropic_gradient(x, y):
    return x / 10, 2 * y


TRAJECTORY_START = (-7.0, 2.0)
TRAJECTORY_STEPS = 30
TRAJECTORY_RATES = {"SGD": 0.95, "Momentum": 0.1, "AdaGrad": 1.5, "Adam": 0.3}


def trajectory(optimizer, start=TRAJECTORY_START, steps=TRAJECTORY_STEPS):
    """optimizer で (x, y) を steps 回更新し、通った点を (steps + 1, 2) の配列で返す。"""
    params = {"x": np.array(start[0]), "y": np.array(start[1])}
    path = [start]
    for _ in range(steps):
        dx, dy = anisotropic_gradient(params["x"], params["y"])
        optimizer.update(params, {"x": dx, "y": dy})
        path.append((float(params["x"]), float(params["y"])))
    return np.array(path)


def trajectories():
    return {name: trajectory(OPTIMIZERS[name](lr=lr)) for name, lr in TRAJECTORY_RATES.items()}


# ---- MNIST で更新方法と重みの初期値を比べる（5 層、隠れ層 100 ノード × 4、ReLU） --------------------------

HIDDEN_4 = [100, 100, 100, 100]
COMPARE_EPOCHS = 10
OPTIMIZER_RATES = {"SGD": 0.01, "Momentum": 0.01, "AdaGrad": 0.01, "RMSProp": 0.001, "Adam": 0.001}


@memo
def compare_optimizers():
    data = load_mnist(normalize=True, one_hot_label=True)
    histories = {}
    for name, lr in OPTIMIZER_RATES.items():
        network = MultiLayerNet(784, HIDDEN_4, 10, activation="relu", weight_init_std="he")
        histories[name] = fit(network, OPTIMIZERS[name](lr=lr), data, epochs=COMPARE_EPOCHS)
    return histories


INIT_STDS = {"std=0.01": 0.01, "Xavier": "xavier", "He": "he"}


@memo
def compare_inits():
    data = load_mnist(normalize=True, one_hot_label=True)
    histories = {}
    for name, std in INIT_STDS.items():
        network = MultiLayerNet(784, HIDDEN_4, 10, activation="relu", weight_init_std=std)
        histories[name] = fit(network, SGD(lr=0.01), data, epochs=COMPARE_EPOCHS)
    return histories


# ---- 隠れ層のアクティベーション（活性化関数の出力）の分布 ------------------------------------------------


def hidden_activations(activation, weight_init_std, n_layers=5, n_nodes=100, n_samples=1000, seed=0):
    """ランダムな入力を n_layers 層に通し、各層の活性化関数の出力を並べたリストを返す。"""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, n_nodes))
    function = {"sigmoid": sigmoid, "relu": relu}[activation]
    activations = []
    for _ in range(n_layers):
        w = init_scale(weight_init_std, n_nodes) * rng.standard_normal((n_nodes, n_nodes))
        x = function(np.dot(x, w))
        activations.append(x)
    return activations


# ---- Batch Normalization の効果: 重みの初期値の大きさを変えて、あり・なしを比べる ----------------------

BN_SCALES = np.logspace(0, -4, 12)
BN_TRAIN_SIZE = 1000
BN_EPOCHS = 20


@memo
def batchnorm_grid():
    (x_train, t_train), test = load_mnist(normalize=True, one_hot_label=True)
    data = (x_train[:BN_TRAIN_SIZE], t_train[:BN_TRAIN_SIZE]), test
    results = []
    for scale in BN_SCALES:
        row = {"scale": float(scale)}
        for use_bn in (False, True):
            network = MultiLayerNet(784, [100] * 5, 10, weight_init_std=float(scale), use_batchnorm=use_bn)
            with np.errstate(over="ignore", invalid="ignore"):  # 大きな初期値では BN なしの値があふれる
                row["bn" if use_bn else "plain"] = fit(network, SGD(lr=0.01), data, BN_EPOCHS, eval_every=2)
        results.append(row)
    return results


# ---- 過学習と正則化（訓練データを 300 枚に減らし、7 層にする） ----------------------------------------

OVERFIT_TRAIN_SIZE = 300
HIDDEN_6 = [100, 100, 100, 100, 100, 100]
OVERFIT_EPOCHS = 300
WEIGHT_DECAY = 0.1
DROPOUT_RATIO = 0.1


@memo
def regularization_runs():
    (x_train, t_train), test = load_mnist(normalize=True, one_hot_label=True)
    data = (x_train[:OVERFIT_TRAIN_SIZE], t_train[:OVERFIT_TRAIN_SIZE]), test

    def train(**options):  # options は MultiLayerNet の正則化の引数
        network = MultiLayerNet(784, HIDDEN_6, 10, **options)
        return fit(network, SGD(lr=0.01), data, OVERFIT_EPOCHS, eval_every=5)

    return {
        "なし": train(),
        "Weight decay": train(weight_decay_lambda=WEIGHT_DECAY),
        "Dropout": train(use_dropout=True, dropout_ratio=DROPOUT_RATIO),
    }


# ---- ハイパーパラメータのランダムサーチ（検証データで評価する） ----------------------------------------

SEARCH_TRAIN_SIZE = 500
VALIDATION_RATE = 0.2
SEARCH_TRIALS = 40
SEARCH_EPOCHS = 50


def split_validation(x, t, validation_rate=VALIDATION_RATE, seed=0):
    """訓練データを混ぜてから、先頭の validation_rate を検証データに、残りを訓練データに分ける。"""
    order = np.random.default_rng(seed).permutation(len(x))
    x, t = x[order], t[order]
    n_val = int(len(x) * validation_rate)
    return (x[n_val:], t[n_val:]), (x[:n_val], t[:n_val])


def sample_hyperparameters(rng):
    """学習率と Weight decay の係数を、10 の何乗かを一様に選ぶ（対数スケールでのランダムサーチ）。"""
    lr = 10 ** rng.uniform(-6, -2)
    weight_decay = 10 ** rng.uniform(-8, -4)
    return lr, weight_decay


@memo
def random_search():
    (x_train, t_train), _ = load_mnist(normalize=True, one_hot_label=True)  # テストデータは使わない
    train, validation = split_validation(x_train[:SEARCH_TRAIN_SIZE], t_train[:SEARCH_TRAIN_SIZE])
    rng = np.random.default_rng(0)
    trials = []
    for _ in range(SEARCH_TRIALS):
        lr, weight_decay = sample_hyperparameters(rng)
        network = MultiLayerNet(784, HIDDEN_6, 10, weight_decay_lambda=weight_decay)
        history = fit(network, SGD(lr=lr), (train, validation), SEARCH_EPOCHS, eval_every=5)
        history["val_acc"] = history.pop("test_acc")  # fit() の「テスト」に検証データを渡した
        trials.append({"lr": lr, "weight_decay": weight_decay, **history})
    return sorted(trials, key=lambda trial: trial["val_acc"][-1], reverse=True)
