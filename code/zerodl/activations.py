"""第2章: 活性化関数と出力層の関数。どれも NumPy 配列をまとめて受け取る。"""

import numpy as np


def step_function(x):
    return np.array(x > 0, dtype=int)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def relu(x):
    return np.maximum(0, x)


def tanh(x):
    return np.tanh(x)


def identity_function(x):
    return x


def softmax_naive(a):
    exp_a = np.exp(a)
    return exp_a / np.sum(exp_a)


def softmax(a):
    c = np.max(a, axis=-1, keepdims=True)  # 最大値を引いてもソフトマックスの値は変わらない
    exp_a = np.exp(a - c)
    return exp_a / np.sum(exp_a, axis=-1, keepdims=True)
