"""Two clean builds give byte-identical outputs, and the published notebook reruns to its own outputs.

Both are properties of the engine, so they are checked on a small deck made to exercise everything that
could make two builds differ: NumPy's and Python's global random state (seeded by the set-up cell) in a
snippet and in a value(), a NumPy RuntimeWarning and a UserWarning, a table, MathJax, presenter notes, a
figure, a @memo result shared by two chapters and the figure script, and three chapters running at once,
each with its companion notebook. Building the real deck twice from clean to learn the same would cost
two full builds per test run; the real deck is built once (conftest's `deck_build`).
"""

import os
from pathlib import Path

import nbformat
import pytest

from conftest import MEMO_FIGURE, MEMO_MODULE, build, tree_digest, write_deck
from deckbuild.kernel import output_text

CH_RANDOM = """\
## 乱数

{% call run(echo=False) %}
print("種から", random.random(), np.random.randint(1000))
{% endcall %}

{% call run() %}
import numpy as np

rng = np.random.default_rng(0)
print(rng.normal(size=3).round(6))
{% endcall %}

次の値も種から: {= value("round(float(np.random.rand()), 6)") =}

{= table("[(n, n * n) for n in range(3)]", header=["$n$", "$n^2$"]) =}

<!-- 乱数の種はセットアップのセルが決める -->
"""

CH_WARN = """\
## 警告

$\\frac{1}{1 + e^{-x}}$

{% call run() %}
import warnings

import numpy as np

warnings.warn("ゆっくり")
print(np.exp(np.array([1000.0])))
{% endcall %}

{% call run() %}
from shared import trained

print(trained(3))
{% endcall %}
"""

CH_MEMO = """\
## 共有される結果

{% call run() %}
from shared import trained

print(trained(3).sum().round(6))
{% endcall %}

{= figure("dots.svg", width=300) =}
"""


def small_deck(folder: Path) -> Path:
    deck = write_deck(
        folder,
        {"ch1_random.md.j2": CH_RANDOM, "ch2_warn.md.j2": CH_WARN, "ch3_memo.md.j2": CH_MEMO},
    )
    (folder / "code").mkdir()
    (folder / "code" / "shared.py").write_text(MEMO_MODULE, encoding="utf-8")
    (folder / "figures_src").mkdir()
    (folder / "figures_src" / "dots.py").write_text(MEMO_FIGURE, encoding="utf-8")
    (folder / "pyproject.toml").write_text('[tool.deckbuild]\ncode_dirs = ["code"]\n', encoding="utf-8")
    return deck


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory) -> tuple[Path, Path, Path]:
    """The small deck built twice from clean into two folders (no shared cache), three chapters at once."""
    root = tmp_path_factory.mktemp("determinism")
    deck = small_deck(root / "deck")
    env = {"DECKBUILD_JOBS": "3"}
    first = build(deck, root / "first", "--accept", env=env)  # records the snapshots the second checks
    assert first.returncode == 0, first.stderr
    second = build(deck, root / "second", env=env)
    assert second.returncode == 0, second.stderr
    return deck, root / "first", root / "second"


def test_two_clean_builds_are_byte_identical(two_builds):
    _, first, second = two_builds
    digests = tree_digest(first)
    assert {
        "deck.md",
        "deck.html",
        "deck.ipynb",
        "deck.notes.txt",
        "deck.map.json",
        "figures/dots.svg",
        "notebooks/ch1_random.ipynb",
        "notebooks/ch2_warn.ipynb",
        "notebooks/ch3_memo.ipynb",
    } <= set(digests)
    assert digests == tree_digest(second)
    # what could differ was really there
    md = (first / "deck.md").read_text(encoding="utf-8")
    assert "種から 0.844421851525" in md  # random.seed(0), then NumPy's seed 0 in the same line
    assert "UserWarning: ゆっくり" in md and "RuntimeWarning: overflow encountered in exp" in md
    assert md.count("一度だけ学習する") == 2  # computed once, printed again from the memo
    assert len(list((first / ".cache" / "memo").rglob("*.pkl"))) == 1
    assert "<mjx-container" in (first / "deck.html").read_text(encoding="utf-8")


def test_the_published_notebook_reruns_to_its_own_outputs(two_builds, tmp_path, monkeypatch):
    """deck.ipynb, run top to bottom in one fresh kernel outside the build, prints what the build recorded:
    each chapter's set-up cell gives it a fresh kernel's random state and print options."""
    from nbclient import NotebookClient

    deck, first, _ = two_builds
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(deck.parent / "code"), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.delenv("DECKBUILD_MEMO_DIR", raising=False)  # outside a build the memo'd function just runs
    nb = nbformat.read(first / "deck.ipynb", as_version=4)
    stored = [output_text(c.outputs) for c in nb.cells if c.cell_type == "code"]
    assert sum(1 for text in stored if text) >= 4
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    assert [output_text(c.outputs) for c in nb.cells if c.cell_type == "code"] == stored
