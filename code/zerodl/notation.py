"""数式の LaTeX を、ネットワークの形（各層のニューロン数）から組み立てる。

添字を手で打たないので、層の大きさを変えても式と図とコードが食い違わない。
記法: w^{(i)}_{nm} は i-1 層目の m 番目から i 層目の n 番目への重み。
"""

import numpy as np


def weight(layer, n, m):
    return f"w^{{({layer})}}_{{{n}{m}}}"


def layer_inputs(layer, size):
    """layer 層目に入る信号の記号: 1 層目は x_m、それ以降は前の層の出力 z^{(layer-1)}_m。"""
    if layer == 1:
        return [f"x_{m}" for m in range(1, size + 1)]
    return [f"z^{{({layer - 1})}}_{m}" for m in range(1, size + 1)]


def layer_equations(layer, sizes):
    """layer 層目の各ニューロンの重み付き和の式（aligned 環境、1 行）。sizes は (入力層, 隠れ層1, …) のニューロン数。"""
    inputs = layer_inputs(layer, sizes[layer - 1])
    rows = []
    for n in range(1, sizes[layer] + 1):
        total = " + ".join(f"{weight(layer, n, m)} {x}" for m, x in enumerate(inputs, start=1))
        rows.append(f"a^{{({layer})}}_{n} &= {total} + b^{{({layer})}}_{n}")
    return r"\begin{aligned} " + r" \\ ".join(rows) + r" \end{aligned}"


def layer_outputs(layer, sizes, activation="h", output=None):
    """その層の出力の式: z^{(i)}_n = h(a^{(i)}_n)（n = 1, 2, …）。出力層は output="y" で y_n。"""
    out = f"{output}_n" if output else f"z^{{({layer})}}_n"
    numbers = ", ".join(str(n) for n in range(1, sizes[layer] + 1))
    return rf"{out} = {activation}(a^{{({layer})}}_n) \quad (n = {numbers})"


def symbol_matrix(rows, cols, entry):
    """entry(r, c)（1 始まり）を並べた pmatrix。"""
    lines = [" & ".join(entry(r, c) for c in range(1, cols + 1)) for r in range(1, rows + 1)]
    return r"\begin{pmatrix} " + r" \\ ".join(lines) + r" \end{pmatrix}"


def weight_matrix(layer, sizes):
    """W^{(layer)}: 行が入力側 m、列が出力側 n（np.dot(x, W) の形）なので、要素は w_{nm}。"""
    return symbol_matrix(sizes[layer - 1], sizes[layer], lambda m, n: weight(layer, n, m))


def gradient_matrix(layer, sizes):
    """∂L/∂W^{(layer)}: W^{(layer)} と同じ形に、各要素での偏微分を並べたもの。"""
    return symbol_matrix(
        sizes[layer - 1],
        sizes[layer],
        lambda m, n: rf"\frac{{\partial L}}{{\partial {weight(layer, n, m)}}}",
    )


def row_vector(symbol, size, layer=None):
    """(b^{(1)}_1  b^{(1)}_2  …) のような 1 行の行列。layer を省くと上付きの添字なし（x_1 x_2 …）。"""
    upper = "" if layer is None else f"^{{({layer})}}"
    return symbol_matrix(1, size, lambda _, n: f"{symbol}{upper}_{n}")


def number_matrix(a, fmt="g"):
    """NumPy 配列（1 次元は 1 行）を数値の pmatrix に。"""
    a = np.atleast_2d(a)
    return symbol_matrix(a.shape[0], a.shape[1], lambda r, c: format(a[r - 1, c - 1], fmt))


# ---- 第 1 章: パーセプトロンの重みとバイアス（スライドの value() から使う） ----


def _number(v):
    """スライドに載せる数: 0.5, -0.7, 2（NumPy の型も浮動小数点の誤差も出さない）。"""
    return format(float(v), ".10g")


def _term(v, first):
    v = float(v)
    if first:
        return _number(v)
    return f" - {_number(-v)}" if v < 0 else f" + {_number(v)}"


def linear_form(w, b, names=("x_1", "x_2")):
    """w1 x1 + w2 x2 + b の LaTeX。符号は自然に書く: `0.5 x_1 + 0.5 x_2 - 0.2`。"""
    text = ""
    for i, (wi, name) in enumerate(zip(w, names, strict=True)):
        text += _term(wi, first=i == 0) + f" {name}"
    return text + _term(b, first=False)


def params(p):
    """2 入力のパーセプトロンのパラメータの LaTeX: `w_1 = 0.5,\\ w_2 = 0.5,\\ b = -0.7`。"""
    return f"w_1 = {_number(p.w[0])},\\ w_2 = {_number(p.w[1])},\\ b = {_number(p.b)}"


def signed(v, fmt="+.1f"):
    """表のセルに載せる符号付きの数。負号はハイフンではなく、式と同じ本物のマイナス記号（U+2212）にする。"""
    return format(float(v), fmt).replace("-", "\u2212")


def signed_rows(rows, columns, fmt="+.1f"):
    """rows の columns 番目（0 始まり）の列を signed() の文字列にした行。"""
    return [[signed(v, fmt) if i in columns else v for i, v in enumerate(row)] for row in rows]
