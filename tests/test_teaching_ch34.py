"""Chapters 3-4 as a lesson: presenter notes on every slide, no typed page references, one prose style."""

import re

import pytest

from deckbuild import ROOT

CHAPTERS = ["ch3_learning.md.j2", "ch4_backpropagation.md.j2"]


def slides(name):
    text = (ROOT / "slides" / name).read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # template comments are not on the slide
    return [s for s in re.split(r"^---$", text, flags=re.M) if s.strip()]


def notes(slide):
    """The presenter notes: HTML comments other than Marp directives (`<!-- _class: … -->`)."""
    return [n for n in re.findall(r"<!--(.*?)-->", slide, flags=re.S) if not n.strip().startswith("_")]


def prose(slide):
    """The slide's own text: no code, no notes, no template calls."""
    slide = re.sub(r"\{%.*?%\}.*?\{%.*?%\}", "", slide, flags=re.S)
    slide = re.sub(r"<!--.*?-->|\{=.*?=\}", "", slide, flags=re.S)
    return slide


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_slide_has_presenter_notes(name):
    for slide in slides(name):
        heading = re.search(r"^#+ (.*)$", slide, flags=re.M)
        assert notes(slide), f"{name}: slide «{heading and heading.group(1)}» has no presenter notes"
        assert all(n.strip() for n in notes(slide))


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_slide_points_at_another_by_position(name):
    """A typed （次のページ） pointed at the wrong slide once; slides say what they mean instead."""
    for slide in slides(name):
        assert not re.search(
            r"次のページ|前のページ|次のスライド|前のスライド|次の \d 枚|前の \d 枚", prose(slide)
        )


@pytest.mark.parametrize("name", CHAPTERS)
def test_prose_is_written_in_the_plain_style(name):
    """である体 throughout: no です／ます at the end of a sentence."""
    for slide in slides(name):
        assert not re.search(r"(です|ます|でした|ました|ません)[。）]", slide)


def test_the_bias_gradient_is_never_called_a_column_sum():
    """「列方向の和」 reads both ways in Japanese; the sum is over the batch axis (axis=0)."""
    sources = [ROOT / "slides" / name for name in CHAPTERS] + sorted((ROOT / "figures_src").glob("*.py"))
    for path in sources:
        assert "列方向" not in path.read_text(encoding="utf-8"), path.name


def slide_titled(name, heading):
    return next(s for s in slides(name) if f"### {heading}\n" in s)


def test_rounding_note_for_tiny_h_is_limited_to_x_of_order_one():
    """x + 1e-17 == x holds for x ≈ 1 (the slide's example) but not near 0, so the note must say when."""
    assert 1.0 + 1e-17 == 1.0 and 0.0 + 1e-17 != 0.0
    note = " ".join(notes(slide_titled("ch3_learning.md.j2", "数値微分の実装")))
    assert "x の大きさが 1 程度なら" in note


def test_integer_gradient_note_names_the_integer_one_passed_to_backward():
    """8 (not 8.0) needs the 1 given to backward to be an int too: 1.0 * 4 * 2 prints 8.0."""
    assert repr(1.0 * 4 * 2) == "8.0" and repr(1 * 4 * 2) == "8"
    note = " ".join(notes(slide_titled("ch4_backpropagation.md.j2", "逆伝播をコードで確かめる")))
    assert "掛ける数 4 と 2 がどちらも整数だからである" not in note
    assert "backward に渡した 1" in note


def test_numerical_gradient_time_is_not_said_to_grow_only_with_the_parameter_count():
    """Hidden 10 -> 50 multiplies the parameters by 5 and makes every loss evaluation heavier too;
    measured here it took 11-18 times longer, so the note may not promise about 5 times."""
    note = " ".join(notes(slide_titled("ch4_backpropagation.md.j2", "数値微分と誤差逆伝播法の時間を比べる")))
    assert "5 倍あまり" not in note
    assert "5 倍では済まない" in note


def test_float64_note_counts_every_slide_that_uses_float64():
    """Gradient check and numerical-gradient training both build float64 networks; the note said only one did."""
    ch4 = slides("ch4_backpropagation.md.j2")
    assert sum("dtype=np.float64" in s for s in ch4) >= 2
    note = " ".join(notes(slide_titled("ch4_backpropagation.md.j2", "学習を速くする工夫")))
    assert "勾配確認だけは float64" not in note
    assert "数値微分で学習させて" in note


def test_params_note_says_the_update_must_write_into_the_same_array():
    """The layers hold the very arrays in params, so only an in-place update (-=) reaches them;
    `params[key] = params[key] - …` binds a new array and the layers keep the old weights."""
    import numpy as np

    from zerodl.two_layer_net import TwoLayerNet

    net = TwoLayerNet(4, 3, 2)
    net.params["W1"] -= 0.1
    assert net.layers["Affine1"].W is net.params["W1"]
    net.params["W1"] = net.params["W1"] - np.float32(0.1)
    assert net.layers["Affine1"].W is not net.params["W1"]
    note = " ".join(
        notes(
            slide_titled("ch4_backpropagation.md.j2", "TwoLayerNet クラス（1/3）：レイヤを名前付きで並べる")
        )
    )
    assert "-=" in note and "古い配列" in note


def test_gradient_note_does_not_claim_the_method_survives_new_layers_unchanged():
    """gradient() names Affine1 and Affine2 when it collects dW and db: a third Affine layer is
    traversed by the backward loop, but its gradient is not returned until a line is added."""
    import numpy as np

    from zerodl.layers import Affine
    from zerodl.two_layer_net import TwoLayerNet

    net = TwoLayerNet(4, 3, 2, dtype=np.float64)
    net.layers["Affine3"] = Affine(np.ones((2, 2)), np.zeros(2))
    grads = net.gradient(np.ones((1, 4)), np.array([[0.0, 1.0]]))
    assert hasattr(net.layers["Affine3"], "dW") and "W3" not in grads
    note = " ".join(
        notes(slide_titled("ch4_backpropagation.md.j2", "TwoLayerNet クラス（3/3）：誤差逆伝播法"))
    )
    assert "このメソッドは 1 行も変わらない" not in note
    assert "逆伝播のループ" in note


def test_cross_entropy_note_does_not_credit_the_natural_log_with_what_every_base_gives():
    """−log 1 = 0 and −log y → ∞ as y → 0 hold for base 2 and 10 as well as e: not «because natural»."""
    import numpy as np

    for log in (np.log, np.log2, np.log10):
        assert -log(1.0) == 0.0 and -log(1e-12) > -log(1e-6) > -log(0.5) > 0
    note = " ".join(notes(slide_titled("ch3_learning.md.j2", "交差エントロピー誤差")))
    assert "自然対数なので" not in note
    assert "底によらない" in note


def test_update_note_does_not_say_far_layers_cost_more_to_differentiate_numerically():
    """Chapter 3 differentiates numerically: every parameter of every layer costs two full forward
    passes, so the gradient of W1 is not longer to compute than that of W2; only the chain-rule
    expression (chapter 4) grows with the distance from the loss."""
    import numpy as np

    from zerodl.numerical import numerical_gradient
    from zerodl.two_layer_net import TwoLayerNet

    net = TwoLayerNet(4, 3, 2, dtype=np.float64)
    x, t = np.ones((2, 4)), np.array([[0.0, 1.0], [1.0, 0.0]])
    calls = []
    forwards = []
    for layer in net.layers.values():
        forward = layer.forward
        layer.forward = lambda a, forward=forward: forwards.append(1) or forward(a)

    def loss(_):
        calls.append(1)
        return net.loss(x, t)

    per_element = {}
    for key in ("W1", "W2"):
        calls.clear()
        forwards.clear()
        numerical_gradient(loss, net.params[key])
        per_element[key] = (len(calls) / net.params[key].size, len(forwards) / len(calls))
    assert per_element["W1"] == per_element["W2"] == (2.0, len(net.layers))
    note = " ".join(notes(slide_titled("ch3_learning.md.j2", "層ごとの更新式")))
    assert "勾配を求める計算も長くなる" not in note
    assert "層によらない" in note


def fitting_products(n, d, m):
    """How many products of ∂L/∂Y (N×M) and W (D×M), either order, either transposed, have the shape of ∂L/∂X."""
    import itertools

    import numpy as np

    g, w = np.ones((n, m)), np.ones((d, m))
    found = 0
    for a, b in itertools.product((g, g.T), (w, w.T)):
        for p, q in ((a, b), (b, a)):
            found += p.shape[1] == q.shape[0] and (p.shape[0], q.shape[1]) == (n, d)
    return found


def test_affine_note_does_not_say_the_shapes_derive_the_formulas():
    """With N = D = M every product of ∂L/∂Y and W (either order, either transposed) has the shape of
    ∂L/∂X, so shapes single out G Wᵀ only when N, D, M differ (the slide says so): a check, not a derivation."""
    assert fitting_products(2, 3, 4) == 1 and fitting_products(3, 3, 3) == 8
    note = " ".join(notes(slide_titled("ch4_backpropagation.md.j2", "Affine レイヤ")))
    assert "行列の形から導ける" not in note
    assert "互いに違う" in note


def test_two_layer_note_compares_with_the_right_chapter_2_network():
    """Chapter 2 ran two networks: the untrained 784 → 50 → 100 → 100 → 10 and, with trained weights,
    this very 784 → 50 → 10 one; «smaller than chapter 2's inference network» holds only for the first."""
    from zerodl import mnist_inference
    from zerodl.training import HIDDEN_SIZE

    assert len(mnist_inference.LAYER_SIZES) > len((784, HIDDEN_SIZE, 10))
    ch2 = (ROOT / "slides" / "ch2_neural_network.md.j2").read_text(encoding="utf-8")
    assert "第4章で学習させる 2 層ネットワーク" in ch2 and "784 → 50 → 10" in ch2
    note = " ".join(notes(slide_titled("ch4_backpropagation.md.j2", "2 層ネットワーク")))
    assert "推論用ネットワークより小さい" not in note
    assert "認識用ネットワーク" in note and "学習済みの重み" in note
    assert " → ".join(map(str, mnist_inference.LAYER_SIZES)) in note


def test_local_minimum_is_not_defined_as_never_the_global_one():
    """The lowest point of x0² + x1² is a 極小値 (lowest among its neighbours, gradient 0) and also the
    minimum of the whole function: a 極小値 need not be the minimum, but may be."""
    import numpy as np

    from zerodl.example_functions import function_2
    from zerodl.numerical import numerical_gradient

    origin = np.zeros(2)
    neighbours = origin + 0.01 * np.array([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1]])
    assert np.all(numerical_gradient(function_2, origin.copy()) == 0)
    assert all(function_2(p) > function_2(origin) for p in neighbours)
    grid = np.stack(np.meshgrid(np.linspace(-3, 3, 61), np.linspace(-3, 3, 61)), axis=-1)
    assert function_2(grid).min() == function_2(origin)
    text = prose(slide_titled("ch3_learning.md.j2", "勾配が 0 でも最小とは限らない"))
    assert "全体の最小値ではない点" not in text
    assert "とは限らない" in text.split("**鞍点**")[0]


def test_descent_note_does_not_credit_the_copy_for_keeping_a_tuple_unchanged():
    """DESCENT_START is a tuple, which nothing can rewrite; the copy in gradient_descent is what makes an
    array the update can write into, and it protects the caller only when the caller passes an array."""
    import numpy as np

    from zerodl.example_functions import DESCENT_START, function_2
    from zerodl.numerical import numerical_gradient

    def descent_without_copy(init_x):
        x = init_x
        for _ in range(3):
            x -= 0.1 * numerical_gradient(function_2, x)
        return x

    assert isinstance(DESCENT_START, tuple)
    with pytest.raises(AttributeError):
        descent_without_copy(DESCENT_START)
    caller = np.array(DESCENT_START)
    descent_without_copy(caller)
    assert not np.array_equal(caller, np.array(DESCENT_START))
    note = " ".join(notes(slide_titled("ch3_learning.md.j2", "2 変数で試す")))
    assert "コピーしてから動かしているので、呼び出し側の DESCENT_START は書き換わらない" not in note
    assert "タプル" in note


def test_affine_shape_slide_title_does_not_say_the_shapes_decide_the_backward_pass():
    """The slide itself says matching shapes is a check, not a proof, and singles out one product only when
    N, D, M differ; a title «形から決まる» claims what its own bullet denies (N = D = M fits 8 products)."""
    assert fitting_products(2, 3, 4) == 1 and fitting_products(3, 3, 3) == 8
    headings = [
        h for s in slides("ch4_backpropagation.md.j2") for h in re.findall(r"^### (.*)$", s, flags=re.M)
    ]
    affine = [h for h in headings if h.startswith("Affine の逆伝播")]
    assert affine and not any("形から決まる" in h for h in affine)
    text = prose(slide_titled("ch4_backpropagation.md.j2", affine[0]))
    assert "互いに違えば" in text and "証明ではない" in text


def rendered_values(line, namespace):
    """A template line with each {= value("…") =} replaced by what its expression gives (no format)."""
    call = re.compile(r'\{=\s*value\("((?:[^"\\]|\\.)*)"(?:,\s*"[^"]*")?\)\s*=\}')
    return call.sub(lambda m: str(eval(m.group(1), dict(namespace))), line)


def test_data_split_sentence_holds_for_the_full_mnist_too(tmp_path, monkeypatch):
    """ZERODL_MNIST=full reads the four official files and keeps their split as it is (uneven digit counts,
    no random draw), so «数字ごとの割合を保ったまま、決まった乱数で一度だけ分けている» is true only for 5k."""
    import hashlib

    import numpy as np

    from zerodl import mnist

    t_train, t_test = np.array([0, 0, 0, 1], np.uint8), np.array([1, 2], np.uint8)
    parts = {
        "train-images-idx3-ubyte.gz": np.arange(4 * 784, dtype=np.uint8).reshape(4, 28, 28),
        "train-labels-idx1-ubyte.gz": t_train,
        "t10k-images-idx3-ubyte.gz": np.zeros((2, 28, 28), np.uint8),
        "t10k-labels-idx1-ubyte.gz": t_test,
    }
    files = {}
    for name, values in parts.items():
        magic = mnist.IMAGES if values.ndim == 3 else mnist.LABELS
        header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in values.shape)
        files[name] = header + values.tobytes()
        (tmp_path / name).write_bytes(files[name])
    monkeypatch.setattr(mnist, "FULL_FILES", {n: hashlib.sha256(d).hexdigest() for n, d in files.items()})
    monkeypatch.setenv("ZERODL_DATA_DIR", str(tmp_path))
    (x, t), _ = mnist.load_mnist(normalize=False, source="full")
    np.testing.assert_array_equal(t, t_train)  # the files' order and their uneven counts, untouched
    np.testing.assert_array_equal(x, parts["train-images-idx3-ubyte.gz"].reshape(4, 784))

    line = next(
        line
        for line in slide_titled("ch3_learning.md.j2", "訓練データとテストデータ").splitlines()
        if "このノートでは" in line
    )
    for source in ("5k", "full"):
        monkeypatch.setenv("ZERODL_MNIST", source)
        text = rendered_values(line, {"dataset_info": mnist.dataset_info})
        assert ("決まった乱数" in text) == (source == "5k"), text
        assert "{=" not in text


def test_graph_backward_slide_does_not_say_backward_runs_in_exactly_the_reverse_order():
    """Run the slide's own cell with layers that log their calls: forward goes mul2, mul3, add, mul4 and
    backward mul4, add, mul2, mul3, so the order is not forward's exact reverse (mul2 and mul3 are separate
    branches and may go either way); what matters is that a node runs after the nodes to its right."""
    from zerodl import layers
    from zerodl.example_functions import GRAPH_INPUT

    slide = slide_titled("ch4_backpropagation.md.j2", "逆伝播をコードで確かめる")
    code = re.search(r"\{% call run\(\) %\}\n(.*?)\{% endcall %\}", slide, flags=re.S).group(1)
    calls = []

    def logged(cls):
        class Logged(cls):
            def forward(self, *args):
                calls.append(("forward", self))
                return super().forward(*args)

            def backward(self, *args):
                calls.append(("backward", self))
                return super().backward(*args)

        return Logged

    namespace = {"MulLayer": logged(layers.MulLayer), "AddLayer": logged(layers.AddLayer)}
    namespace["GRAPH_INPUT"] = GRAPH_INPUT
    exec(code, namespace)
    name = {id(namespace[n]): n for n in ("mul2", "mul3", "add", "mul4")}
    forward = [name[id(node)] for kind, node in calls if kind == "forward"]
    backward = [name[id(node)] for kind, node in calls if kind == "backward"]
    assert forward == ["mul2", "mul3", "add", "mul4"] and backward == ["mul4", "add", "mul2", "mul3"]
    assert backward != forward[::-1]
    note = " ".join(notes(slide))
    assert "ちょうど逆になっている点に注目" not in note
    assert "右のノードから届いた値" in note and "どちらを先に呼んでもよく" in note
    assert "逆順に `backward`" not in prose(slide)


def test_sigmoid_note_names_every_node_of_the_figure_including_the_minus_one():
    """The note listed exp, +1 and 1/x only; the figure has a fourth node, ×(-1), and without its -1 the
    product of the local derivatives has the opposite sign of the table's y(1 - y)."""
    import ast
    import math

    x = 0.7
    y = 1 / (1 + math.exp(-x))
    local = {"times_minus_one": -1.0, "exp": math.exp(-x), "plus_one": 1.0, "reciprocal": -(y**2)}
    product = math.prod(local.values())
    assert math.isclose(product, y * (1 - y))
    assert math.isclose(product / local["times_minus_one"], -y * (1 - y))

    tree = ast.parse((ROOT / "figures_src" / "computational_graphs.py").read_text(encoding="utf-8"))
    graph = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "sigmoid_graph")
    ops = [c for c in ast.walk(graph) if isinstance(c, ast.Call) and getattr(c.func, "attr", "") == "op"]
    assert len(ops) == 4  # ×, exp, +, /

    note = " ".join(notes(slide_titled("ch4_backpropagation.md.j2", "Sigmoid レイヤ")))
    assert "-1 倍" in note and "4 つ" in note


def test_simplenet_note_names_the_positive_inputs_behind_the_negative_column():
    """dL/dW[i, j] = x_i (y_j - t_j): the correct column is all negative only because both inputs are
    positive; with a negative input its row flips sign, so "increasing that output lowers the loss"
    is not the whole reason."""
    import numpy as np

    from zerodl.activations import softmax
    from zerodl.numerical import numerical_gradient
    from zerodl.simple_net import simpleNet

    net, t = simpleNet(), np.array([0, 0, 1])
    for x in (np.array([0.6, 0.9]), np.array([0.6, -0.9])):
        dW = numerical_gradient(lambda W, x=x: net.loss(x, t), net.W)
        assert np.allclose(dW, np.outer(x, softmax(x @ net.W) - t), atol=1e-7)
        assert np.all(dW[:, 2] < 0) == bool(np.all(x > 0))
    note = " ".join(notes(slide_titled("ch3_learning.md.j2", "simpleNet の重みの勾配")))
    assert "その出力を大きくすれば損失が下がるからである" not in note
    assert "x_i × (y_j − t_j)" in note and "2 つとも正" in note
