"""第6章の実験: 単純な CNN を MNIST で学習させる。

学習はビルドごとに `@memo` で 1 回だけ行い、第6章のスライド・図と第7章が同じ結果を読む（ビルドの外では、呼ぶ
たびにその場で学習する）。設定は本と同じ（Adam lr=0.001、ミニバッチ 100、20 エポック、重みの標準偏差 0.01）。
shift_sensitivity は、数字を少しずらしたとき第 1 層の出力がプーリングの前と後でどれだけ変わるか（スライドと図が同じ値を使う）。
"""

import numpy as np

from deckbuild.memo import memo
from zerodl.cnn_examples import shift
from zerodl.mnist import load_mnist
from zerodl.multi_layer_net import MultiLayerNet
from zerodl.optimizers import Adam
from zerodl.simple_conv_net import SimpleConvNet
from zerodl.trainer import fit

CNN_EPOCHS = 20
CNN_BATCH_SIZE = 100
CNN_LEARNING_RATE = 0.001
# shift_sensitivity で試すずらし方 (下へ dy, 右へ dx): 1 画素の 2 方向と、比べるための 2 画素
SHIFTS = ((0, 1), (1, 0), (0, 2))


@memo
def train_simple_cnn():
    """学習前と学習後の params（どちらも辞書）と、fit() の記録（history）。"""
    data = load_mnist(normalize=True, flatten=False, one_hot_label=True)
    network = SimpleConvNet()
    initial = {key: value.copy() for key, value in network.params.items()}
    history = fit(network, Adam(lr=CNN_LEARNING_RATE), data, epochs=CNN_EPOCHS, batch_size=CNN_BATCH_SIZE)
    return {"initial": initial, "params": network.params, "history": history}


def simple_cnn_with(params):
    """params の値を持つ SimpleConvNet（レイヤは params の配列をそのまま使うので、中身を書き込む）。"""
    network = SimpleConvNet()
    for key, value in params.items():
        network.params[key][...] = value
    return network


def first_layer(params, image_shape):
    """params の W1, b1 を持つ SimpleConvNet（image_shape = (H, W) の入力用）。Conv1 → Relu1 → Pool1 だけを使う。"""
    fn, channels, size, _ = params["W1"].shape
    network = SimpleConvNet(input_dim=(channels, *image_shape), filter_num=fn, filter_size=size)
    network.params["W1"][...] = params["W1"]  # レイヤは params の配列をそのまま使うので、中身を書き込む
    network.params["b1"][...] = params["b1"]
    return network


def conv_features(network, images):
    """images (N, H, W) を Conv1 → Relu1 に通した出力（プーリングの前）と、それを Pool1 に通した出力（後）。"""
    activated = network.layers["Relu1"].forward(network.layers["Conv1"].forward(images[:, np.newaxis]))
    return activated, network.layers["Pool1"].forward(activated)


def relative_change(a, b):
    """b が a からどれだけ変わったか: ‖b − a‖ / ‖a‖（全部の要素について）。"""
    return float(np.linalg.norm(b - a) / np.linalg.norm(a))


def shift_sensitivity(params, images, dy, dx):
    """images（(H, W) の 1 枚か (N, H, W)）を下に dy、右に dx 画素ずらすと、第 1 層の出力がどれだけ変わるか。

    "before": Conv1 → ReLU の出力（プーリングの前）の変化、"after": Pool1 の出力の変化、"subsampled": プーリングと
    同じ数に減らすが最大を取らない比べ物（各窓の左上の 1 つだけ）の変化。どれも relative_change。
    """
    images = np.asarray(images, dtype=np.float32)
    images = images.reshape(-1, *images.shape[-2:])
    network = first_layer(params, images.shape[1:])
    shifted = np.stack([shift(image, dy, dx) for image in images])
    (before, after), (before_s, after_s) = conv_features(network, images), conv_features(network, shifted)
    stride = network.layers["Pool1"].stride
    return {
        "before": relative_change(before, before_s),
        "after": relative_change(after, after_s),
        "subsampled": relative_change(before[..., ::stride, ::stride], before_s[..., ::stride, ::stride]),
    }


WIDE_HIDDEN = 550  # 隠れ層のノード数: パラメータの数が SimpleConvNet とほぼ同じになる


@memo
def train_wide_net():
    """CNN と同じ学習方法（Adam、ミニバッチ、エポック数、重みの標準偏差 0.01）で、隠れ層 1 つの全結合ネットワークを学習させる。"""
    data = load_mnist(normalize=True, one_hot_label=True)
    network = MultiLayerNet(784, [WIDE_HIDDEN], 10, weight_init_std=0.01)
    history = fit(network, Adam(lr=CNN_LEARNING_RATE), data, epochs=CNN_EPOCHS, batch_size=CNN_BATCH_SIZE)
    return {"params": network.params, "history": history}
