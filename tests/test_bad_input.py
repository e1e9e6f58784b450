"""Bad input: one clear line naming the deck file, line and slide; a non-zero exit; the previous outputs untouched."""

import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from conftest import BUILD, build, error_line, tree_digest, write_deck

GOOD = """## Good chapter

{% call run() %}
print("hello")
{% endcall %}

---

### Second slide

text
"""


@pytest.fixture(scope="module")
def good(tmp_path_factory):
    """A deck that builds (HTML included), and its published outputs."""
    base = tmp_path_factory.mktemp("good")
    deck = write_deck(base / "deck", {"ch.md.j2": GOOD})
    proc = build(deck, base / "out", "--accept")
    assert proc.returncode == 0, proc.stderr
    return base


@pytest.fixture
def broken(good, tmp_path):
    """Copy the good deck and its outputs; the test writes its bad chapter, builds, and checks the outputs held."""
    shutil.copytree(good / "deck", tmp_path / "deck")
    shutil.copytree(good / "out", tmp_path / "out")
    before = tree_digest(tmp_path / "out")

    def run(chapter: str | bytes, *args, companion="strict", **kw):
        path = tmp_path / "deck" / "ch.md.j2"
        if isinstance(chapter, bytes):
            path.write_bytes(chapter)
        else:
            path.write_text(chapter, encoding="utf-8")
        proc = build(tmp_path / "deck" / "deck.md.j2", tmp_path / "out", *args, companion=companion, **kw)
        assert proc.returncode != 0, proc.stderr
        assert tree_digest(tmp_path / "out") == before, "a failed build changed the previous outputs"
        assert not list((tmp_path / "out").glob(".staging-*"))
        return proc

    return run


def located(line: str, file: str, lineno: int, slide: int) -> bool:
    return re.search(rf"{re.escape(file)}:{lineno}: slide {slide}: ", line) is not None


# The good chapter is slide 2 and 3 (slide 1 is the deck's title); its line 1 is the chapter heading.
BAD_SNIPPET = GOOD.replace('print("hello")', "x = 1\ny = x / 0\nprint(y)")


def test_snippet_that_raises(broken):
    proc = broken(BAD_SNIPPET)
    assert proc.returncode == 3
    line = error_line(proc)
    assert located(line, "ch.md.j2", 5, 2), line
    assert "ZeroDivisionError: division by zero" in line
    assert "(snippet line 2: y = x / 0)" in line


def test_syntax_error(broken):
    proc = broken(GOOD.replace('print("hello")', "x = (1,\nprint(x"))
    assert proc.returncode == 3
    line = error_line(proc)
    assert "syntax error" in line and re.search(r"ch\.md\.j2:\d+: slide 2: ", line), line
    assert "running" not in proc.stderr, "a kernel started for a deck that cannot run"  # nor the companion's


def test_timeout(broken):
    started = time.monotonic()
    proc = broken(
        GOOD.replace("{% call run() %}", "{% call run(timeout=0.3) %}").replace(
            'print("hello")', "while True: pass"
        ),
        companion="off",  # its kernel would loop for a second too: the timeout is the subject
    )
    assert time.monotonic() - started < 60
    assert proc.returncode == 3
    line = error_line(proc)
    assert located(line, "ch.md.j2", 4, 2) and "0.3 s timeout" in line, line


def test_expected_output_differs(broken):
    proc = broken(
        GOOD.replace("{% endcall %}", "{% endcall %}\n{% call expect() %}\nhello world\n{% endcall %}", 1),
        companion="off",
    )
    assert proc.returncode == 4
    line = error_line(proc)
    assert located(line, "ch.md.j2", 7, 2), line
    assert "-hello world" in proc.stderr and "+hello" in proc.stderr


def test_jinja_syntax_error(broken):
    proc = broken(GOOD.replace("text", "{% if %}\ntext"))
    assert proc.returncode == 2
    line = error_line(proc)
    assert located(line, "ch.md.j2", 11, 3), line


def test_undefined_name(broken):
    proc = broken(GOOD.replace("text", "value is {= no_such_name =}"))
    assert proc.returncode == 2
    line = error_line(proc)
    assert located(line, "ch.md.j2", 11, 3) and "no_such_name" in line, line


def test_figure_not_produced(broken):
    proc = broken(GOOD.replace("text", '{= figure("missing.svg") =}'), companion="off")
    assert proc.returncode == 6
    line = error_line(proc)
    assert located(line, "ch.md.j2", 11, 3) and "missing.svg" in line, line


def test_not_utf8(broken):
    proc = broken(GOOD.replace("text", "caf\u00e9").encode("latin-1"))
    assert proc.returncode == 2
    line = error_line(proc)
    assert located(line, "ch.md.j2", 11, 3) and "UTF-8" in line, line


def test_marp_cli_missing(broken):
    proc = broken(GOOD, env={"MARP_CLI": "/nonexistent/marp-cli.js"})
    assert proc.returncode == 8
    assert "npm ci" in error_line(proc)


def test_node_missing(broken, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    proc = broken(GOOD, env={"PATH": str(empty), "NODE": ""})
    assert proc.returncode == 8
    assert "install Node.js" in error_line(proc)


def test_ctrl_c_mid_build(broken, tmp_path):
    inside = (
        tmp_path / "inside"
    )  # the snippet marks that it is running: Ctrl-C then, not after a guessed delay
    snippet = f"import pathlib, time\npathlib.Path({str(inside)!r}).touch()\ntime.sleep(60)"
    (tmp_path / "deck" / "ch.md.j2").write_text(GOOD.replace('print("hello")', snippet))
    before = tree_digest(tmp_path / "out")
    cmd = [sys.executable, str(BUILD), str(tmp_path / "deck" / "deck.md.j2"), "-o", str(tmp_path / "out")]
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    for line in proc.stderr:
        if "running" in line:
            break
    deadline = time.monotonic() + 60
    while not inside.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert inside.exists(), "the snippet never ran"
    time.sleep(0.2)  # inside the sleeping snippet
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "interrupted" in rest
    assert tree_digest(tmp_path / "out") == before
    assert not list((tmp_path / "out").rglob("*.tmp")) and not list((tmp_path / "out").glob(".staging-*"))


def test_output_of_several_megabytes_is_cut_on_the_slide(tmp_path, deck_dir):
    chapter = (
        '{% call run() %}\nfor i in range(300_000):\n    print(f"line {i:06d} " + "x" * 10)\n{% endcall %}\n'
    )
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    started = time.monotonic()
    proc = build(deck, tmp_path / "out", "--accept", "--no-html")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - started < 120
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    assert len(md) < 20_000
    chars = 300_000 * len("line 000000 xxxxxxxxxx\n") - 1  # the last newline is folded away
    assert f"… 出力が長いため省略（全 300,000 行・{chars:,} 文字のうち 40 行を表示）" in md
    assert "line 000039" in md and "line 000040" not in md


def test_output_with_fences_and_rules_keeps_the_slides(tmp_path, deck_dir):
    chapter = '## One\n\n{% call run() %}\nprint("```\\n---\\n````\\n***")\n{% endcall %}\n\n---\n\n## Two\n'
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    proc = build(deck, tmp_path / "out", "--accept", companion="off")
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "out" / "deck.html").read_text(encoding="utf-8")
    assert html.count('<section id="') == 3  # title, One, Two
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    assert "`````text\n```\n---\n````\n***\n`````" in md


def test_a_kernel_that_never_starts_is_a_located_error(tmp_path, deck_dir):
    """A kernel that dies before it answers (here: on start-up, every time) is tried once more, then one line
    naming the chapter's first cell, exit 8, not jupyter_client's traceback."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os, sys\nif any('ipykernel' in a for a in sys.orig_argv):\n    os._exit(1)\n",
        encoding="utf-8",
    )
    chapter = "## A\n\n{% call run() %}\nprint(1)\n{% endcall %}\n"
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    env = {"PYTHONPATH": str(site), "DECK_COMPANION": "off"}
    proc = build(deck, tmp_path / "out", "--no-html", env=env)
    assert proc.returncode == 8, proc.stderr
    assert "ch.md.j2:4: slide 2: the Jupyter kernel did not start" in error_line(proc)
    assert "Traceback" not in proc.stderr
