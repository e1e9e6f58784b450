"""第3章: 数値微分・勾配・勾配降下法。関数の値だけから傾きを求める。"""

import numpy as np


def numerical_diff(f, x, h=1e-4):
    """中心差分（x の前後 h の 2 点を結ぶ直線の傾き）。"""
    return (f(x + h) - f(x - h)) / (2 * h)


def tangent_line(f, x):
    """点 (x, f(x)) での接線を、傾きを数値微分で求めて返す（関数として）。"""
    slope = numerical_diff(f, x)
    intercept = f(x) - slope * x
    return lambda t: slope * t + intercept


def numerical_gradient(f, x, h=1e-4):
    """x のすべての要素について、その要素だけを ±h 動かした中心差分を求める（x はどんな形の配列でもよい）。"""
    grad = np.zeros_like(x, dtype=float)
    for idx in np.ndindex(x.shape):
        original = x[idx]
        x[idx] = original + h
        f_plus = f(x)
        x[idx] = original - h
        f_minus = f(x)
        x[idx] = original  # 元に戻す
        grad[idx] = (f_plus - f_minus) / (2 * h)
    return grad


def gradient_descent(f, init_x, lr=0.1, step_num=100):
    """x から「lr × 勾配」を引くことを step_num 回繰り返す。途中の x の列（最初の点を含む）も返す。"""
    x = np.array(init_x, dtype=float)
    history = [x.copy()]
    for _ in range(step_num):
        x -= lr * numerical_gradient(f, x)
        history.append(x.copy())
    return x, np.array(history)


def relative_error(a, b):
    """2 つの勾配の食い違いを、大きいほうの大きさとの比で表す（値の大きさによらず比べられる）。"""
    return np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b))
