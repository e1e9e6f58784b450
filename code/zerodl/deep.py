"""第7章（本の第8章）の実験: 深い CNN（DeepConvNet）を MNIST で学習させ、調べる。

学習はビルドごとに `@memo` で 1 回だけ行う（乱数はすべて種を決めてあるので、何度計算しても同じ結果）。
設定は本と同じ Adam lr=0.001、ミニバッチ 100。チャンネル数は本の半分（BOOK_CHANNELS と比べる積和の数は
multiply_adds で計算する）、エポック数は 16: どちらもデッキ全体を 5 分で作るための予算から。
ほかに、データ拡張（ずらしと小さな回転、NumPy だけ）、アンサンブル、レイヤの種類ごとの時間、100 枚ずつの推論（predicted_labels: float16 のネットワークにも使う）。
"""

import time

import numpy as np

from deckbuild.memo import memo
from zerodl.activations import softmax
from zerodl.cnn_examples import shift
from zerodl.deep_conv_net import WEIGHTED, DeepConvNet
from zerodl.mnist import load_mnist
from zerodl.optimizers import Adam
from zerodl.trainer import fit

DEEP_EPOCHS = 16
DEEP_BATCH_SIZE = 100
DEEP_LEARNING_RATE = 0.001
DEEP_EVAL_EVERY = 2  # 正解率は 2 エポックごとに測る（訓練とテストの 5,000 枚をすべて推論するので、毎エポックでは時間がかかる）
BOOK_CHANNELS = (16, 16, 32, 32, 64, 64)  # 本の DeepConvNet のチャンネル数（ここでは計算量を比べるだけ）

AUGMENT_COPIES = 3  # 拡張した写しを何組足すか（訓練データは 1 + 3 = 4 倍。DEEP_EPOCHS はその倍数にする）
MAX_SHIFT = 2  # ずらす画素数の上限（上下・左右それぞれ）
MAX_DEGREES = 15  # 回す角度の上限（左右どちらにも）

PROFILE_BATCH = 100  # 時間を測るミニバッチの大きさ（学習と同じ）
PROFILE_REPEATS = 7  # 何回測って最小をとるか


def load_deep_data():
    return load_mnist(normalize=True, flatten=False, one_hot_label=True)


@memo
def train_deep_net():
    """学習後の params（辞書）と、fit() の記録（history）。"""
    data = load_mnist(normalize=True, flatten=False, one_hot_label=True)
    network, optimizer = DeepConvNet(), Adam(lr=DEEP_LEARNING_RATE)
    history = fit(network, optimizer, data, DEEP_EPOCHS, DEEP_BATCH_SIZE, eval_every=DEEP_EVAL_EVERY)
    return {"params": network.params, "history": history}


@memo
def train_deep_net_augmented():
    """train_deep_net と同じネットワーク・同じ設定を、拡張して 1 + AUGMENT_COPIES 倍にした訓練データで学習させる。

    比べる条件をそろえるため、重みの更新の回数（計算の量）を train_deep_net と同じにする: データが 4 倍なので、
    エポック数は 4 分の 1。正解率は学習の前と後だけ測る（4 倍の訓練データを毎回数えるのは高くつく）。
    """
    data = augmented_data(load_mnist(normalize=True, flatten=False, one_hot_label=True), AUGMENT_COPIES)
    assert DEEP_EPOCHS % (1 + AUGMENT_COPIES) == 0, "更新の回数をそろえられない"
    epochs = DEEP_EPOCHS // (1 + AUGMENT_COPIES)  # 更新の回数は同じ
    network, optimizer = DeepConvNet(), Adam(lr=DEEP_LEARNING_RATE)
    history = fit(network, optimizer, data, epochs, DEEP_BATCH_SIZE, eval_every=epochs)
    return {"params": network.params, "history": history}


def deep_net_with(params):
    """params の値を持つ DeepConvNet。チャンネル数・隠れ層の大きさ・dtype は params の形と型から読む。"""
    channels = tuple(params[f"W{i}"].shape[0] for i in range(1, 7))
    network = DeepConvNet(channels=channels, hidden_size=params["W7"].shape[1], dtype=params["W1"].dtype)
    for key, value in params.items():
        network.params[key][...] = value  # レイヤは params の配列をそのまま使うので、中身を書き込む
    return network


# ---- 計算量 -------------------------------------------------------------------------------------------------


def multiply_adds(network, input_dim=(1, 28, 28)):
    """画像 1 枚の順伝播で、重みを持つレイヤごとの積和の回数（名前 → 回数）。0 の画像を実際に通して形を読む。"""
    x = np.zeros((1, *input_dim), dtype=network.params["W1"].dtype)
    counts = {}
    for name, layer in network.layers.items():
        x = layer.forward(x, False) if name.startswith("Dropout") else layer.forward(x)
        if name.startswith("Conv"):
            counts[name] = x.size * layer.W[0].size  # 出力 1 つにつき C×FH×FW 回
        elif name.startswith("Affine"):
            counts[name] = x.size * layer.W.shape[0]  # 出力 1 つにつき入力の数だけ
    assert tuple(counts) == WEIGHTED
    return counts


def param_count(network):
    """重みとバイアスの数の合計。"""
    return sum(value.size for value in network.params.values())


# ---- 間違えた数字とアンサンブル -----------------------------------------------------------------------------


def predicted_labels(network, x, batch_size=100):
    """x の各画像についてネットワークが選ぶラベル（ミニバッチに分けて推論する）。"""
    return np.concatenate(
        [np.argmax(network.predict(x[i : i + batch_size]), axis=1) for i in range(0, len(x), batch_size)]
    )


def misclassified(network, x, t):
    """間違えたテスト画像の番号（x の中の順）と、そのときネットワークが選んだラベル。"""
    labels = np.argmax(t, axis=1) if t.ndim != 1 else t
    predicted = predicted_labels(network, x)
    wrong = np.flatnonzero(predicted != labels)
    return wrong, predicted[wrong]


def ensemble_accuracy(networks, x, t, batch_size=100):
    """いくつかのネットワークの softmax の出力を平均して選んだラベルの正解率。"""
    labels = np.argmax(t, axis=1) if t.ndim != 1 else t
    correct = 0
    for i in range(0, len(x), batch_size):
        y = np.mean([softmax(network.predict(x[i : i + batch_size])) for network in networks], axis=0)
        correct += np.sum(np.argmax(y, axis=1) == labels[i : i + batch_size])
    return correct / len(x)


# ---- データ拡張（NumPy だけで） -----------------------------------------------------------------------------


def rotate(image, degrees):
    """image (H, W) を中心のまわりに degrees 度、反時計回りに回す（双線形補間。外から入ってくる所は 0）。"""
    h, w = image.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    y, x = np.mgrid[0:h, 0:w]
    c, s = np.cos(np.deg2rad(degrees)), np.sin(np.deg2rad(degrees))
    # 出力の各画素が入力のどこから来るか（逆向きに回した位置。ふつうは画素と画素の間）
    src_y = c * (y - cy) + s * (x - cx) + cy
    src_x = -s * (y - cy) + c * (x - cx) + cx
    y0, x0 = np.floor(src_y).astype(int), np.floor(src_x).astype(int)
    fy, fx = src_y - y0, src_x - x0

    def pixel(yy, xx):  # 入力の画素。画像の外なら 0
        inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
        return np.where(inside, image[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)], 0)

    out = (
        (1 - fy) * (1 - fx) * pixel(y0, x0)
        + (1 - fy) * fx * pixel(y0, x0 + 1)
        + fy * (1 - fx) * pixel(y0 + 1, x0)
        + fy * fx * pixel(y0 + 1, x0 + 1)
    )  # 近い 4 画素の重み付き平均
    return out.astype(image.dtype)


def augment(image, rng):
    """image (H, W) を ±MAX_DEGREES 度の範囲で回し、上下・左右に ±MAX_SHIFT 画素の範囲でずらした写し。"""
    dy, dx = rng.integers(-MAX_SHIFT, MAX_SHIFT + 1, size=2)
    return shift(rotate(image, rng.uniform(-MAX_DEGREES, MAX_DEGREES)), dy, dx)


def augmented_data(data, copies, seed=0):
    """訓練データに、どの画像も copies 枚ずつ拡張した写しを足す（ラベルはそのまま繰り返す）。テストデータは元のまま。"""
    (x_train, t_train), test = data
    rng = np.random.default_rng(seed)
    extra = [np.stack([augment(image[0], rng) for image in x_train])[:, np.newaxis] for _ in range(copies)]
    x = np.concatenate([x_train, *extra])
    t = np.concatenate([t_train] * (1 + copies))
    return (x, t), test


# ---- どこに時間がかかるか -----------------------------------------------------------------------------------


def layer_type(name):
    """レイヤの名前から種類を読む: "Conv3" → "Conv"、"Pool1" → "Pool"。"""
    return name.rstrip("0123456789")


def layer_profile(network, x, t, repeats=PROFILE_REPEATS):
    """1 つのミニバッチの順伝播と逆伝播にかかる時間（秒）を、レイヤの種類ごとに足す: 種類 → {"forward", "backward"}。

    各レイヤを repeats 回測って最小をとる: ほかの処理に割り込まれると時間は延びるだけなので、最小が一番
    その計算自身の時間に近い（Python の timeit と同じ考え方）。
    """
    best = {}  # (レイヤの名前, "forward" か "backward") → 一番短かった時間
    layers = [*network.layers.items(), ("Softmax", network.lastLayer)]

    def timed(key, step, *args):
        start = time.perf_counter()
        out = step(*args)
        best[key] = min(best.get(key, np.inf), time.perf_counter() - start)
        return out

    for _ in range(repeats):
        y = x
        for name, layer in layers:
            args = (y, t) if name == "Softmax" else (y, True) if name.startswith("Dropout") else (y,)
            y = timed((name, "forward"), layer.forward, *args)
        dout = 1
        for name, layer in reversed(layers):
            dout = timed((name, "backward"), layer.backward, dout)
    profile = {}
    for (name, direction), seconds in best.items():
        times = profile.setdefault(layer_type(name), {"forward": 0.0, "backward": 0.0})
        times[direction] += seconds
    return profile


@memo
def deep_net_profile():
    """学習前の DeepConvNet（ここで使う大きさ）で、訓練データの最初の PROFILE_BATCH 枚を 1 つのミニバッチとして測る。

    測った時間なので、数字は実行のたびに少しずつ変わる（どこが重いかは変わらない）。
    """
    (x_train, t_train), _ = load_deep_data()
    return layer_profile(DeepConvNet(), x_train[:PROFILE_BATCH], t_train[:PROFILE_BATCH])
