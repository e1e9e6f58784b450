"""第3章で微分と勾配法を試すための関数。"""

import numpy as np


def function_1(x):
    """y = 0.01 x² + 0.1 x（1 変数）。"""
    return 0.01 * x**2 + 0.1 * x


# 最後の軸で和をとるので、点 (x0, x1) を並べた格子にもそのまま使える。
def function_2(x):
    """f(x0, x1) = x0² + x1²"""
    return np.sum(x**2, axis=-1)


# 2 変数の勾配降下法の例: (-3, 4) から学習率 0.1 で 20 歩（スライドの出力と軌跡の図が同じ値を使う）。
DESCENT_START = (-3.0, 4.0)
DESCENT_LR = 0.1
DESCENT_STEPS = 20

# 数値微分の接線を引く 3 点（function_1 の上）。
TANGENT_POINTS = (-10, 5, 15)

# 第4章の計算グラフ f(x1, x2) = (2 x1 + 3 x2) × 4 に流す入力（スライドのコードと図が同じ値を使う）。
GRAPH_INPUT = {"x1": 1.0, "x2": 2.0}
