"""The slides are self-sufficient: the code they show, run alone, prints what they print; its notebook runs on its own."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from conftest import BUILD, build, error_line, tree_digest, write_deck

HIDDEN_HELPER = """\
{% call run(echo=False) %}
def helper(x):
    return 2 * x
{% endcall %}
## A

{% call run() %}
print(helper(21))
{% endcall %}
"""

HIDDEN_PRINTOPTIONS = """\
{% call run(echo=False) %}
import numpy as np

np.set_printoptions(precision=3)
{% endcall %}
## A

{% call run() %}
import numpy as np

print(np.arange(3) / 3)
{% endcall %}
"""

# Runs only where mylib is importable: the build's kernel starts in the deck's folder, the companion's
# in an empty one. The shown source() block defines double() in the companion instead.
SHOWN_SOURCE = """\
{% call run(echo=False) %}
from mylib.fns import double
{% endcall %}
## The function

{= source("mylib.fns.double") =}

---

## Using it

{% call run(echo=False, companion=True) %}
import numpy as np
{% endcall %}
{% call run() %}
print(double(21), np.exp(np.float64(1000)))
rng = np.random.default_rng(0)
print(rng.integers(0, 100, size=3))
{% endcall %}
{% call run() %}
double(0.5)
{% endcall %}
"""


def write_lib(folder: Path) -> None:
    (folder / "mylib").mkdir(parents=True)
    (folder / "mylib" / "__init__.py").write_text("", encoding="utf-8")
    (folder / "mylib" / "fns.py").write_text(
        textwrap.dedent('''\
            """A module a source() block shows."""


            def double(x):
                """Twice x."""
                return 2 * x
        '''),
        encoding="utf-8",
    )


def run_deck(deck_dir: Path, out: Path, chapter: str | dict, *args: str, env: dict | None = None):
    deck = write_deck(deck_dir, chapter if isinstance(chapter, dict) else {"ch.md.j2": chapter})
    write_lib(deck_dir)
    (deck_dir / "pyproject.toml").write_text('[tool.deckbuild]\ncode_dirs = ["."]\n', encoding="utf-8")
    return build(deck, out, "--no-html", "--accept", *args, env=env)


def test_a_hidden_helper_that_a_visible_cell_uses_is_a_located_error(deck_dir, tmp_path):
    # two chapters, their companions run side by side; the error names the first failing cell in deck order
    chapters = {
        "ok.md.j2": "## fine\n\n{% call run() %}\nprint(1)\n{% endcall %}\n\n",
        "ch.md.j2": HIDDEN_HELPER,
    }
    proc = run_deck(
        deck_dir, tmp_path / "out", chapters, env={"DECK_COMPANION": ""}
    )  # "": the default, strict
    assert proc.returncode == 12, proc.stderr
    assert "companion ok: running" in proc.stderr and "companion ch: running" in proc.stderr
    line = error_line(proc)
    assert re.fullmatch(
        r"error: \S*ch\.md\.j2:8: slide 3: the slides are not self-sufficient: without the hidden cell at "
        r"line 2, this cell raised NameError: name 'helper' is not defined \(snippet line 1: print\(helper\(21\)\)\)",
        line,
    ), line
    assert not (tmp_path / "out" / "notebooks").exists()


@pytest.fixture(scope="module")
def shown_source(tmp_path_factory):
    """SHOWN_SOURCE built once, in a TMPDIR of its own: (deck folder, out, temp folder, the build)."""
    base = tmp_path_factory.mktemp("shown-source")
    out, temp = base / "out", base / "tmp"
    temp.mkdir()
    proc = run_deck(base / "deck", out, SHOWN_SOURCE, env={"TMPDIR": str(temp)})
    return base / "deck", out, temp, proc


def test_a_hidden_printoptions_that_changes_a_visible_output_is_a_located_error_with_a_diff(
    deck_dir, tmp_path, shown_source
):
    out = tmp_path / "out"
    shutil.copytree(shown_source[1], out)  # a deck built before: its outputs must stay as they are
    before = tree_digest(out)
    proc = run_deck(deck_dir / "2", out, HIDDEN_PRINTOPTIONS)
    assert proc.returncode == 12, proc.stderr
    assert re.fullmatch(
        r"error: \S*ch\.md\.j2:9: slide 2: the slides are not self-sufficient: without the hidden cell at "
        r"line 2, this cell prints something else",
        error_line(proc),
    )
    assert "-[0.    0.333 0.667]" in proc.stderr and "+[0.         0.33333333 0.66666667]" in proc.stderr
    assert tree_digest(out) == before  # a failed build publishes nothing


def test_the_random_seed_and_names_of_the_builds_set_up_do_not_reach_the_companion(deck_dir, tmp_path):
    chapter = """\
## A

{% call run() %}
import numpy as np

print(np.random.randint(1000))
{% endcall %}

---

## B

{% call run() %}
print(random.random() < 2)
{% endcall %}
"""
    proc = run_deck(deck_dir, tmp_path / "out", chapter, "--companion=warn")
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, proc.stderr
    assert re.search(r"ch\.md\.j2:4: slide 2: .*in a fresh Python.*prints something else", warnings[0])
    assert re.search(r"ch\.md\.j2:14: slide 3: .*NameError: name 'random' is not defined", warnings[1])
    # warn publishes the notebook as a learner would run it, error included
    nb = json.loads((tmp_path / "out" / "notebooks" / "ch.ipynb").read_text(encoding="utf-8"))
    assert [o["ename"] for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"] == [
        "NameError"
    ]


def test_a_source_block_defines_what_later_cells_use_and_the_notebook_runs_on_its_own(tmp_path, shown_source):
    import nbformat

    _, out, temp, proc = shown_source
    assert proc.returncode == 0, proc.stderr
    assert not list(temp.iterdir())  # both kernels shut down: no connection file, no companion folder left
    published = nbformat.read(out / "notebooks" / "ch.ipynb", as_version=4)
    nbformat.validate(published)
    codes = [c.source for c in published.cells if c.cell_type == "code"]
    assert "def double(x):" in codes[1] and "from mylib" not in "".join(
        codes
    )  # shown source in, hidden import out
    assert codes[2] == "import numpy as np"  # run(echo=False, companion=True)

    # Run it as a learner would: `jupyter execute` in a fresh process and an empty folder, nothing from the build.
    alone = tmp_path / "learner"
    alone.mkdir()
    shutil.copy(out / "notebooks" / "ch.ipynb", alone / "ch.ipynb")
    nb = nbformat.read(alone / "ch.ipynb", as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(nb, alone / "ch.ipynb")
    execute = [str(Path(sys.executable).parent / "jupyter-execute"), "--inplace", "ch.ipynb"]
    proc = subprocess.run(execute, cwd=alone, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    nb = nbformat.read(alone / "ch.ipynb", as_version=4)

    def text(cell) -> str:
        parts = [o.get("text", "") or o.get("data", {}).get("text/plain", "") + "\n" for o in cell.outputs]
        return "".join(parts).strip()

    deck_nb = nbformat.read(out / "deck.ipynb", as_version=4)
    on_slides = {c.source: text(c) for c in deck_nb.cells if c.cell_type == "code"}
    ran = {c.source: text(c) for c in nb.cells if c.cell_type == "code" and c.source in on_slides}
    assert len(ran) == 3  # two visible cells and the companion one
    for source, printed in ran.items():
        assert printed == on_slides[source], source
    assert ran["double(0.5)"] == "1.0"
    assert "RuntimeWarning: overflow encountered in exp" in ran[codes[3]]


def test_the_verdict_is_cached_with_the_chapter_and_judged_by_the_mode(deck_dir, tmp_path):
    out = tmp_path / "out"
    assert run_deck(deck_dir, out, HIDDEN_HELPER, "--companion=warn").returncode == 0
    # a prose edit re-runs neither the chapter nor its companion, and strict judges the cached verdict
    (deck_dir / "ch.md.j2").write_text(HIDDEN_HELPER.replace("## A", "## A, edited"), encoding="utf-8")
    deck = deck_dir / "deck.md.j2"
    proc = build(deck, out, "--no-html")
    assert proc.returncode == 12 and "companion ch: verdict from cache" in proc.stderr, proc.stderr
    assert "running" not in proc.stderr
    # showing the helper fixes it: the companion runs again and passes
    fixed = HIDDEN_HELPER.replace("run(echo=False)", "run()")
    (deck_dir / "ch.md.j2").write_text(fixed, encoding="utf-8")
    proc = build(deck, out, "--no-html", "--accept")
    assert proc.returncode == 0, proc.stderr
    assert "companion ch: running the shown code alone" in proc.stderr
    # off: nothing runs and no notebook is published
    proc = build(deck, tmp_path / "off", "--no-html", "--companion=off")
    assert proc.returncode == 0 and "companion" not in proc.stderr, proc.stderr
    assert not (tmp_path / "off" / "notebooks").exists()


def test_ctrl_c_while_the_companion_runs_stops_its_kernel_and_publishes_nothing(deck_dir, tmp_path):
    # the build's own run is quick; the companion's kernel (started in an empty temp folder) sleeps
    # and marks that it is in the cell: Ctrl-C then, not after a guessed delay
    inside = tmp_path / "inside"
    chapter = f"""\
## A

{{% call run() %}}
import os, pathlib, time
if "deck-companion-" in os.getcwd():
    pathlib.Path({str(inside)!r}).touch()
    time.sleep(120)
{{% endcall %}}
"""
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    temp = tmp_path / "tmp"
    temp.mkdir()
    cmd = [sys.executable, str(BUILD), str(deck), "-o", str(tmp_path / "out"), "--no-html", "--accept"]
    env = {**os.environ, "TMPDIR": str(temp), "DECK_COMPANION": "strict"}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    for line in proc.stderr:
        if "companion ch: running" in line:
            break
    deadline = time.monotonic() + 60
    while not inside.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert inside.exists(), "the companion never ran the cell"
    time.sleep(0.2)  # inside the sleeping cell
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    assert time.monotonic() - started < 20  # the sleeping cell was interrupted, not waited for
    assert not list(temp.iterdir())  # the companion's folder is gone with its kernel
    assert not (tmp_path / "out" / "deck.md").exists()


def test_an_unknown_mode_in_the_environment_is_refused(deck_dir, tmp_path):
    deck = write_deck(deck_dir, {"ch.md.j2": "## A\n"})
    proc = build(deck, tmp_path / "out", "--no-html", env={"DECK_COMPANION": "sometimes"})
    assert proc.returncode == 2 and "$DECK_COMPANION must be one of strict, warn, off" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_the_companion_runs_beside_the_chapters_own_run(deck_dir, tmp_path):
    # the chapter's own run waits for a file only the companion's run writes: it prints True only if both
    # kernels run at the same time (run one after the other, it would print False and fail the check)
    chapter = """\
## A

{% call run() %}
import os, pathlib, time

flag = pathlib.Path(FOLDER) / "the companion was here"
if "deck-companion-" in os.getcwd():
    flag.touch()
waited = time.monotonic()
while not flag.exists() and time.monotonic() - waited < 30:
    time.sleep(0.1)
print(flag.exists())
{% endcall %}
""".replace("FOLDER", repr(str(tmp_path)))
    proc = run_deck(deck_dir, tmp_path / "out", chapter)
    assert proc.returncode == 0, proc.stderr
    assert "```text\nTrue\n```" in (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    assert proc.stderr.index("companion ch: running") < proc.stderr.index("chapter ch: running")


CLASS_OVER_SLIDES = """\
{% call run(echo=False) %}
from mylib.counter import Counter
{% endcall %}
## Counter (1/2)

{= source("mylib.counter.Counter", members=["__init__"]) =}

---

## Counter (2/2)

{= source("mylib.counter.Counter", members=["add", "LIMIT"]) =}

---

## Using it

{% call run() %}
c = Counter(3)
c.add(4)
print(c.n, Counter.LIMIT)
{% endcall %}
"""

COUNTER = '''\
"""A class a deck shows over two slides."""


@staticmethod
def unrelated():
    pass


class Counter:
    """Counts."""

    LIMIT = 10

    def __init__(self, n):
        self.n = n

    def add(self, k):
        self.n += k

    def hidden(self):
        return "never shown"
'''


def test_a_class_shown_over_slides_is_one_class_in_the_companion(deck_dir, tmp_path):
    deck = write_deck(deck_dir, {"ch.md.j2": CLASS_OVER_SLIDES})
    write_lib(deck_dir)
    (deck_dir / "mylib" / "counter.py").write_text(COUNTER, encoding="utf-8")
    (deck_dir / "pyproject.toml").write_text('[tool.deckbuild]\ncode_dirs = ["."]\n', encoding="utf-8")
    proc = build(deck, tmp_path / "out", "--no-html", "--accept")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    # each slide shows the class line and only its members, in the file's order
    assert "```python\nclass Counter:\n    def __init__(self, n):\n        self.n = n\n```" in md
    assert (
        "```python\nclass Counter:\n    LIMIT = 10\n\n    def add(self, k):\n        self.n += k\n```" in md
    )
    assert "never shown" not in md and '"""Counts."""' not in md
    nb = json.loads((tmp_path / "out" / "notebooks" / "ch.ipynb").read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    # the second block defines the class with every member shown so far, as a learner would retype it
    assert any("def __init__" in s and "def add" in s and "LIMIT = 10" in s for s in sources), sources


def test_members_of_something_that_is_not_a_class_is_a_located_error(deck_dir, tmp_path):
    chapter = '## A\n\n{= source("mylib.fns.double", members=["x"]) =}\n'
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    write_lib(deck_dir)
    (deck_dir / "pyproject.toml").write_text('[tool.deckbuild]\ncode_dirs = ["."]\n', encoding="utf-8")
    proc = build(deck, tmp_path / "out", "--no-html")
    assert proc.returncode == 2, proc.stderr
    assert "ch.md.j2:3: slide 2: source(): 'mylib.fns.double' is not a class" in error_line(proc)


def test_a_memoized_function_shown_on_a_slide_is_computed_once_for_the_chapter_and_its_companion(
    deck_dir, tmp_path
):
    """The companion types in the shown function (same source, same globals): it reads the entry the
    chapter's run computed instead of computing it again (chapter 5's experiments would run twice)."""
    count = tmp_path / "computed"
    deck = write_deck(
        deck_dir,
        {
            "ch.md.j2": """\
{% call run(echo=False) %}
from mylib.heavy import heavy
{% endcall %}
## An expensive experiment

{% call run() %}
from deckbuild.memo import memo
{% endcall %}

{= source("mylib.heavy.COUNT", "mylib.heavy.heavy") =}

{% call run() %}
print(heavy(3))
{% endcall %}
"""
        },
    )
    (deck_dir / "mylib").mkdir()
    (deck_dir / "mylib" / "__init__.py").write_text("", encoding="utf-8")
    (deck_dir / "mylib" / "heavy.py").write_text(
        textwrap.dedent(f'''\
            """An experiment worth computing once."""

            from deckbuild.memo import memo

            COUNT = {str(count)!r}


            @memo
            def heavy(n):
                with open(COUNT, "a") as f:
                    f.write("x")
                return sum(range(n))
        '''),
        encoding="utf-8",
    )
    (deck_dir / "pyproject.toml").write_text('[tool.deckbuild]\ncode_dirs = ["."]\n', encoding="utf-8")
    proc = build(deck, tmp_path / "out", "--no-html", "--accept", companion="strict")
    assert proc.returncode == 0, proc.stderr
    assert count.read_text() == "x"  # the chapter computed it; the companion read its entry
