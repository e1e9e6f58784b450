"""第2章: MNIST を読む 4 層のネットワーク（学習前）。784 → 50 → 100 → 100 → 10。"""

from itertools import pairwise

import numpy as np

from zerodl.activations import sigmoid, softmax

LAYER_SIZES = (784, 50, 100, 100, 10)


def init_network(seed=0, weight_init_std=1.0):
    """重みを標準正規分布から、バイアスを 0 で作る。まだ何も学習していない。"""
    rng = np.random.default_rng(seed)
    network = {}
    for i, (n_in, n_out) in enumerate(pairwise(LAYER_SIZES), start=1):
        network[f"W{i}"] = weight_init_std * rng.standard_normal((n_in, n_out))
        network[f"b{i}"] = np.zeros(n_out)
    return network


def predict(network, x):
    a1 = np.dot(x, network["W1"]) + network["b1"]
    z1 = sigmoid(a1)
    a2 = np.dot(z1, network["W2"]) + network["b2"]
    z2 = sigmoid(a2)
    a3 = np.dot(z2, network["W3"]) + network["b3"]
    z3 = sigmoid(a3)
    a4 = np.dot(z3, network["W4"]) + network["b4"]
    y = softmax(a4)
    return y
