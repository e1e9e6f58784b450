"""第6章の実験: 単純な CNN を MNIST で学習させる。

学習はビルドごとに `@memo` で 1 回だけ行い、第6章のスライド・図と第7章が同じ結果を読む（ビルドの外では、呼ぶ
たびにその場で学習する）。設定は本と同じ（Adam lr=0.001、ミニバッチ 100、20 エポック、重みの標準偏差 0.01）。
"""

from deckbuild.memo import memo
from zerodl.mnist import load_mnist
from zerodl.multi_layer_net import MultiLayerNet
from zerodl.optimizers import Adam
from zerodl.simple_conv_net import SimpleConvNet
from zerodl.trainer import fit

CNN_EPOCHS = 20
CNN_BATCH_SIZE = 100
CNN_LEARNING_RATE = 0.001


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


WIDE_HIDDEN = 550  # 隠れ層のノード数: パラメータの数が SimpleConvNet とほぼ同じになる


@memo
def train_wide_net():
    """CNN と同じ学習方法（Adam、ミニバッチ、エポック数、重みの標準偏差 0.01）で、隠れ層 1 つの全結合ネットワークを学習させる。"""
    data = load_mnist(normalize=True, one_hot_label=True)
    network = MultiLayerNet(784, [WIDE_HIDDEN], 10, weight_init_std=0.01)
    history = fit(network, Adam(lr=CNN_LEARNING_RATE), data, epochs=CNN_EPOCHS, batch_size=CNN_BATCH_SIZE)
    return {"params": network.params, "history": history}
