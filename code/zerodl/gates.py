"""第1章: パーセプトロンで作る論理ゲートと、それを組み合わせた XOR。"""

import numpy as np


class Perceptron:
    """2 入力のパーセプトロン。重み w とバイアス b だけで振る舞いが決まる。"""

    def __init__(self, w, b):
        self.w = w  # (w1, w2)
        self.b = b

    def weighted_sum(self, x1, x2):
        """w1*x1 + w2*x2 + b を返す（0 と比べる前の値）。"""
        x = np.array([x1, x2])
        w = np.array(self.w)
        return np.sum(w * x) + self.b

    def __call__(self, x1, x2):
        if self.weighted_sum(x1, x2) <= 0:
            return 0
        return 1


AND = Perceptron(w=(0.5, 0.5), b=-0.7)
OR = Perceptron(w=(0.5, 0.5), b=-0.2)
NAND = Perceptron(w=(-0.5, -0.5), b=0.7)


def XOR(x1, x2):
    s1 = NAND(x1, x2)  # 1 層目
    s2 = OR(x1, x2)  # 1 層目
    y = AND(s1, s2)  # 2 層目
    return y


INPUTS = ((0, 0), (0, 1), (1, 0), (1, 1))


def truth_table(gate):
    """4 通りの 2 値入力に対する (x1, x2, y) の行を返す。"""
    return [(x1, x2, gate(x1, x2)) for x1, x2 in INPUTS]


def sum_table(p):
    """パーセプトロン p の (x1, x2, w1*x1 + w2*x2 + b, y) の行を返す。"""
    return [(x1, x2, p.weighted_sum(x1, x2), p(x1, x2)) for x1, x2 in INPUTS]


def xor_steps():
    """XOR の途中経過 (x1, x2, s1=NAND, s2=OR, y=AND(s1, s2)) の行を返す。"""
    return [(x1, x2, NAND(x1, x2), OR(x1, x2), XOR(x1, x2)) for x1, x2 in INPUTS]


def parameter_table():
    """単層で作れる 3 つのゲートの (名前, w1, w2, b) の行を返す。"""
    return [(name, *gate.w, gate.b) for name, gate in (("AND", AND), ("OR", OR), ("NAND", NAND))]
