"""What makes a small edit fast keeps the outputs right: marp-cli started early, the notebook reused."""

import json
import subprocess
import sys

from conftest import BUILD, EDITED, build, write_deck
from deckbuild import marp


def test_an_edit_starts_marp_before_the_markdown_exists_and_gives_what_marp_gives(tmp_path, built_before):
    deck, out = built_before
    chapter = deck.parent / "ch1.md.j2"
    chapter.write_text(EDITED.replace("本文です。", "本文を直しました。"), encoding="utf-8")
    proc = build(deck, out, companion="off")
    assert proc.returncode == 0, proc.stderr
    alone = tmp_path / "alone.html"
    subprocess.run(marp.arguments(out / "deck.md", alone, deck.parent / "themes"), cwd=out, check=True)
    assert (out / "deck.html").read_bytes() == alone.read_bytes()
    assert "本文を直しました。" in (out / "deck.html").read_text(encoding="utf-8")
    assert not list((out / ".cache" / "marp").glob("early-*"))  # its output moved into the deck


def test_the_published_notebook_is_reused_only_while_it_is_right(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch1.md.j2": EDITED})
    out = tmp_path / "out"
    assert build(deck, out, "--accept", "--no-html", companion="off").returncode == 0
    notebook = out / "deck.ipynb"
    good = notebook.read_bytes()
    notebook.write_text(
        notebook.read_text(encoding="utf-8").replace("本文です。", "書き換え"), encoding="utf-8"
    )
    assert build(deck, out, "--no-html", companion="off").returncode == 0
    assert notebook.read_bytes() == good  # a hand-edited notebook does not verify: built again
    (deck.parent / "ch1.md.j2").write_text(EDITED.replace("本文です。", "新しい本文。"), encoding="utf-8")
    assert build(deck, out, "--no-html", companion="off").returncode == 0
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    assert any("新しい本文。" in "".join(c["source"]) for c in cells)


def test_the_notebook_json_is_what_nbformat_writes():
    import copy

    import nbformat

    from deckbuild import notebook

    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "markdown", "id": "cell-000", "metadata": {}, "source": "## 見出し\n\n本文\n"},
            {
                "cell_type": "code",
                "id": "cell-001",
                "execution_count": 1,
                "metadata": {},
                "source": "print(1)\n2",
                "outputs": [
                    {"output_type": "stream", "name": "stdout", "text": "1\nふた\n"},
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": "2\n3"},
                    },
                ],
            },
        ],
    }
    expected = nbformat.writes(nbformat.from_dict(copy.deepcopy(nb)))
    assert notebook.writes(nb) == expected
    notebook.validate(nb)


# build.py run as a user would, beside an object only the interpreter's teardown frees and an exit handler
LEAVE_SPY = """
import atexit, runpy, sys
class Freed:
    def __del__(self):
        print("freed at teardown", file=sys.stderr)
kept = Freed()
atexit.register(print, "exit handler ran", file=sys.stderr)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_build_py_leaves_without_the_interpreters_teardown_but_runs_exit_handlers(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch1.md.j2": EDITED})
    out = tmp_path / "out"
    build_py = [str(BUILD), str(deck), "-o", str(out), "--no-html", "--accept"]
    command = [sys.executable, "-c", LEAVE_SPY, *build_py]
    proc = subprocess.run(
        [*command, "--figures-src", str(deck.parent / "figures_src")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert "exit handler ran" in proc.stderr
    assert "freed at teardown" not in proc.stderr
    assert (out / "deck.md").is_file()


SHOWN = '## Shown\n\n{= source("mylib.fns.double") =}\n\n{= source("mylib.fns.Pair", members=["total"]) =}\n'
MODULE = '''\
def double(x):
    return 2 * x


class Pair:
    """Two numbers."""

    def __init__(self, a, b):
        self.a, self.b = a, b

    def total(self):
        return self.a + self.b
'''


def shown_deck(folder, module: str = MODULE):
    deck = write_deck(folder, {"ch.md.j2": SHOWN})
    (folder / "mylib").mkdir(exist_ok=True)
    (folder / "mylib" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "mylib" / "fns.py").write_text(module, encoding="utf-8")
    (folder / "pyproject.toml").write_text('[tool.deckbuild]\ncode_dirs = ["."]\n', encoding="utf-8")
    return deck


def test_source_texts_are_remembered_by_their_files_text_and_never_stale(tmp_path, monkeypatch):
    """A build after a prose edit parses no module again; an edited module or a damaged entry is read afresh."""
    from deckbuild import sourcecode, templates

    deck = shown_deck(tmp_path / "deck")
    memory = tmp_path / "source"
    first = templates.render(deck, [deck.parent], None, memory).text
    assert "return 2 * x" in first and "def total(self)" in first and "__init__" not in first

    def no_parse(*args):
        raise AssertionError("a module was parsed again")

    with monkeypatch.context() as m:
        m.setattr(sourcecode, "parsed", no_parse)
        assert templates.render(deck, [deck.parent], None, memory).text == first

    shown_deck(
        tmp_path / "deck",
        MODULE.replace("2 * x", "x + x").replace("self.a + self.b", "sum((self.a, self.b))"),
    )
    edited = templates.render(deck, [deck.parent], None, memory).text
    assert "return x + x" in edited and "sum((self.a, self.b))" in edited

    entry = memory / "sources.json"
    entry.write_text(entry.read_text(encoding="utf-8").replace("x + x", "x * 3"), encoding="utf-8")
    assert templates.render(deck, [deck.parent], None, memory).text == edited  # fails its digest: recomputed
    entry.write_text("garbage", encoding="utf-8")
    assert templates.render(deck, [deck.parent], None, memory).text == edited


def test_a_build_remembers_source_texts_only_in_a_folder_it_built_before(tmp_path):
    deck = shown_deck(tmp_path / "deck")
    out = tmp_path / "out"
    assert build(deck, out, "--accept", "--no-html", companion="off").returncode == 0
    assert not (out / ".cache" / "source").exists()  # a first build: nothing to be fast for yet
    assert build(deck, out, "--no-html", companion="off").returncode == 0
    assert (out / ".cache" / "source" / "sources.json").is_file()
    shown_deck(tmp_path / "deck", MODULE.replace("2 * x", "x + x"))
    assert build(deck, out, "--no-html", companion="off").returncode == 0
    assert "return x + x" in (out / "deck.md").read_text(encoding="utf-8")


def test_the_quick_check_of_tag_arguments_accepts_only_what_binds():
    """tags.bound skips inspect's bind when a quick check says the arguments fit: it may never say so wrongly."""
    import inspect
    import itertools

    from deckbuild.tags import TAGS, fitting

    positional = [(), ("a",), ("a", "b"), ("a", "b", "c", "d", "e", "f", "g")]
    names = [
        "caller",
        "expr",
        "fmt",
        "raw",
        "header",
        "timeout",
        "measured",
        "members",
        "width",
        "text",
        "rtol",
        "typo",
    ]
    for tag in TAGS.values():
        signature = inspect.signature(tag.author)
        fits = fitting(signature)
        for args, chosen in itertools.product(positional, itertools.combinations(names, 2)):
            for kwargs in ({}, {chosen[0]: 1}, dict.fromkeys(chosen, 1)):
                try:
                    signature.bind(None, *args, **kwargs)
                    binds = True
                except TypeError:
                    binds = False
                assert fits(args, kwargs) == binds, (tag.name, args, kwargs)
