"""deckbuild.memo: an expensive result computed once per build, shared by processes, invalidated by what it depends on."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = """\
import os, sys, time
from deckbuild.memo import memo
from proj import helper

@memo
def trained(n, scale=1.0):
    with open(os.environ["COUNT_FILE"], "a") as f:
        f.write("x")
    time.sleep(float(os.environ.get("SLOW", "0")))
    print("training", n)
    return {"weights": [helper.step(i) * scale for i in range(n)], "data": os.environ.get("DATA")}
"""


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    pkg = tmp_path / "proj"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "heavy.py").write_text(HEAVY)
    (pkg / "helper.py").write_text("def step(i):\n    return i * 2\n")
    return tmp_path


def call(proj: Path, expr: str = "trained(3)", memo_dir: bool = True, **env) -> subprocess.CompletedProcess:
    full = {**os.environ, "PYTHONPATH": str(proj), "COUNT_FILE": str(proj / "count"), **env}
    # the edits below keep a module's size and land in the same second: a cached .pyc would still pass
    # Python's own mtime+size check and run the old code, which is Python's doing, not the memo's
    full["PYTHONDONTWRITEBYTECODE"] = "1"
    full.pop("DECKBUILD_MEMO_DIR", None)
    if memo_dir:
        full["DECKBUILD_MEMO_DIR"] = str(proj / "memo")
    code = f"from proj.heavy import trained\nprint(repr({expr}))\n"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc


def computed(proj: Path) -> int:
    count = proj / "count"
    return len(count.read_text()) if count.exists() else 0


def test_hit_after_miss_gives_the_same_value_and_output(proj):
    first = call(proj)
    second = call(proj)
    assert computed(proj) == 1
    assert first.stdout == second.stdout == "training 3\n{'weights': [0.0, 2.0, 4.0], 'data': None}\n"


def test_without_a_memo_folder_the_function_simply_runs(proj):
    call(proj, memo_dir=False)
    call(proj, memo_dir=False)
    assert computed(proj) == 2
    assert not (proj / "memo").exists()


def test_other_arguments_compute_again(proj):
    call(proj, "trained(3)")
    call(proj, "trained(4)")
    call(proj, "trained(3, scale=2.0)")
    call(proj, "trained(3)")
    assert computed(proj) == 3


def test_an_edit_in_an_imported_project_module_computes_again(proj):
    call(proj)
    (proj / "proj" / "helper.py").write_text("def step(i):\n    return i * 3\n")
    assert "[0.0, 3.0, 6.0]" in call(proj).stdout
    assert computed(proj) == 2


def test_an_edit_in_the_function_itself_computes_again(proj):
    call(proj)
    heavy = proj / "proj" / "heavy.py"
    heavy.write_text(heavy.read_text().replace('print("training", n)', 'print("fitting", n)'))
    assert call(proj).stdout.startswith("fitting 3")
    assert computed(proj) == 2


def test_a_data_setting_named_by_the_build_is_part_of_the_key(proj):
    call(proj, DECKBUILD_SETTINGS="DATA", DATA="small")
    assert "'full'" in call(proj, DECKBUILD_SETTINGS="DATA", DATA="full").stdout
    assert "'small'" in call(proj, DECKBUILD_SETTINGS="DATA", DATA="small").stdout
    assert computed(proj) == 2
    call(proj, DECKBUILD_SETTINGS="DATA", DATA="small", UNRELATED="1")  # other variables do not matter
    assert computed(proj) == 2


def test_a_damaged_entry_is_computed_again(proj):
    call(proj)
    (entry,) = (proj / "memo").rglob("*.pkl")
    data = bytearray(entry.read_bytes())
    data[-3] ^= 0xFF
    entry.write_bytes(bytes(data))
    assert "[0.0, 2.0, 4.0]" in call(proj).stdout
    assert computed(proj) == 2
    call(proj)
    assert computed(proj) == 2  # the rewritten entry verifies


def test_two_processes_at_once_compute_once(proj):
    env = {
        **os.environ,
        "PYTHONPATH": str(proj),
        "COUNT_FILE": str(proj / "count"),
        "DECKBUILD_MEMO_DIR": str(proj / "memo"),
        "SLOW": "1",
    }
    code = "from proj.heavy import trained\nprint(repr(trained(3)))\n"
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=60)[0] for p in procs]
    assert computed(proj) == 1
    assert outs[0] == outs[1]
    assert not [p for p in (proj / "memo").rglob("*") if p.name.endswith(".tmp")]


def test_a_miss_leaves_the_global_random_state_as_a_hit_does(tmp_path, monkeypatch):
    import numpy as np

    from deckbuild.memo import memo

    monkeypatch.setenv("DECKBUILD_MEMO_DIR", str(tmp_path / "memo"))

    @memo
    def noisy(n):
        return np.random.rand(n)  # draws from the global state: must not shift what comes next

    after = []
    for _ in range(2):
        np.random.seed(1)
        noisy(2)
        after.append(np.random.rand())
    assert after[0] == after[1]


# What a learner's notebook does: types in the module's function (same source) with the same imports.
NOTEBOOK = (
    """\
import os, sys, time
from deckbuild.memo import memo
from proj import helper

"""
    + HEAVY.split("from proj import helper\n", 1)[1]
    + "\nprint(repr(trained(3)))\n"
)


def run_notebook(proj: Path, text: str = NOTEBOOK) -> subprocess.CompletedProcess:
    notebook = proj / "notebook.py"
    notebook.write_text(text)
    env = {**os.environ, "PYTHONPATH": str(proj), "COUNT_FILE": str(proj / "count")}
    env |= {"PYTHONDONTWRITEBYTECODE": "1", "DECKBUILD_MEMO_DIR": str(proj / "memo")}
    proc = subprocess.run(
        [sys.executable, str(notebook)], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def test_a_notebook_typing_in_the_same_function_reads_the_modules_entry(proj):
    first = call(proj)
    typed = run_notebook(proj)
    assert computed(proj) == 1  # the companion notebook of a chapter does not train again
    assert typed.stdout == first.stdout


def test_a_notebook_function_that_differs_computes_its_own(proj):
    call(proj)
    run_notebook(proj, NOTEBOOK.replace("helper.step(i) * scale", "helper.step(i) * scale + 1"))
    assert computed(proj) == 2


def test_a_constant_the_function_reads_is_part_of_the_key_and_an_unrelated_edit_is_not(proj):
    heavy = proj / "proj" / "heavy.py"
    heavy.write_text(heavy.read_text().replace("range(n)", "range(n * FACTOR)") + "\nFACTOR = 1\n")
    call(proj)
    heavy.write_text(heavy.read_text() + "\nUNRELATED = 5\n")
    call(proj)
    assert computed(proj) == 1
    heavy.write_text(heavy.read_text().replace("FACTOR = 1", "FACTOR = 2"))
    assert "[0.0, 2.0, 4.0, 6.0, 8.0, 10.0]" in call(proj).stdout
    assert computed(proj) == 2


def test_a_notebook_variable_named_like_an_attribute_the_function_reads_changes_nothing(proj):
    """`helper.step` and `f.write` read attributes, not globals: a learner's `step = 5` or `write = …`
    earlier in the notebook (chapter 6 has `out`, `loss`, `x`, `pool`) must not split the entry."""
    call(proj)
    typed = NOTEBOOK.replace("\n@memo", "\nstep, write, weights = 5, print, [1.0]\n\n@memo", 1)
    run_notebook(proj, typed)
    assert computed(proj) == 1
