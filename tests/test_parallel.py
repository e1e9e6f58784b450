"""Chapters and figure scripts run at once on every core, with the outputs of a one-at-a-time build."""

import itertools
import os
import time
from pathlib import Path

import pytest

from conftest import MEMO_FIGURE, MEMO_MODULE, build, error_line, tree_digest, write_deck

# Each chapter records when its kernel process started and when its cells ran, in STAMPS.
STAMP = """\
{% call run(echo=False, output=False) %}
import os, time
_t0 = time.time()
{% endcall %}
"""
RECORD = """\
{% call run(echo=False, output=False) %}
def _kernel_started():
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    with open(f"/proc/{os.getpid()}/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
with open(os.environ["STAMPS"], "a") as f:
    f.write(f"{NAME} {_kernel_started():.3f} {_t0:.3f} {time.time():.3f} {os.getpid()}\\n")
{% endcall %}
"""


def chapter(name: str, body: str) -> str:
    return (
        STAMP
        + f"{{% call run(echo=False, output=False) %}}\nNAME = {name!r}\n{{% endcall %}}\n"
        + body
        + RECORD
    )


CH_RANDOM = """\
## 乱数

{% call run() %}
import numpy as np
time.sleep(1.0)
print(np.random.rand(3))
{% endcall %}

値: {= value("round(float(np.random.rand()), 6)") =}
"""

CH_WARN = """\
## 警告

{% call run() %}
import warnings
time.sleep(1.0)
warnings.warn("ゆっくり")
print(sum(range(10)), "BLAS threads:", os.environ.get("OPENBLAS_NUM_THREADS"))
{% endcall %}
"""

CH_MEMO = """\
## 共有される結果

{% call run() %}
from shared import trained
time.sleep(1.0)
print(trained(3))
{% endcall %}

{= figure("dots.svg", width=300) =}
"""


def small_deck(folder: Path) -> Path:
    deck = write_deck(
        folder,
        {
            "ch1_random.md.j2": chapter("ch1", CH_RANDOM),
            "ch2_warn.md.j2": chapter("ch2", CH_WARN),
            "ch3_memo.md.j2": chapter("ch3", CH_MEMO),
        },
    )
    (folder / "figures_src").mkdir()
    (folder / "figures_src" / "dots.py").write_text(MEMO_FIGURE, encoding="utf-8")
    (folder / "shared.py").write_text(MEMO_MODULE, encoding="utf-8")
    return deck


def stamps(path: Path) -> dict[str, tuple[float, float, float, int]]:
    found = {}
    for line in path.read_text().splitlines():
        name, started, first, last, pid = line.split()
        found[name] = (float(started), float(first), float(last), int(pid))
    return found


def run_build(deck: Path, out: Path, jobs: int, stamp_file: Path, *args):
    env = {
        "DECKBUILD_JOBS": str(jobs),
        "STAMPS": str(stamp_file),
        "PYTHONPATH": os.pathsep.join([str(deck.parent), os.environ.get("PYTHONPATH", "")]),
        "DECK_COMPANION": "off",  # its hidden cells time the jobs; self-sufficiency is test_companion's
    }
    return build(deck, out, "--no-html", *args, env=env)


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    """The small deck built one chapter at a time, then three at once, each build recording its stamps."""
    base = tmp_path_factory.mktemp("parallel")
    deck = small_deck(base / "deck")
    one = run_build(deck, base / "serial", 1, base / "one.txt", "--accept")
    assert one.returncode == 0, one.stderr
    many = run_build(deck, base / "parallel", 3, base / "many.txt")
    assert many.returncode == 0, many.stderr
    return base


def test_parallel_build_is_byte_identical_and_runs_chapters_at_once(both):
    serial, parallel = both / "serial", both / "parallel"
    assert tree_digest(serial) == tree_digest(parallel)
    md = (parallel / "deck.md").read_text(encoding="utf-8")
    assert "UserWarning: ゆっくり" in md and "一度だけ学習する" in md
    assert "BLAS threads: 1" in md  # one each: three kernels at once do not fight over the cores

    # one at a time: no two chapters' cells overlap, yet the next kernel starts while the previous chapter runs
    alone = sorted(stamps(both / "one.txt").values(), key=lambda s: s[1])
    assert all(a[2] <= b[1] for a, b in itertools.pairwise(alone))
    assert any(b[0] < a[2] for a, b in itertools.pairwise(alone)), alone
    # three at once: the chapters' cells overlap in time
    at_once = stamps(both / "many.txt").values()
    assert max(s[1] for s in at_once) < min(s[2] for s in at_once), at_once


def test_the_memo_is_shared_by_chapters_and_figures_of_a_build(both, tmp_path):
    for out in (both / "serial", both / "parallel"):
        assert len(list((out / ".cache" / "memo").rglob("*.pkl"))) == 1, out  # one entry: computed once
    figures_only = tmp_path / "figures-only"
    deck = both / "deck" / "deck.md.j2"
    env = {"PYTHONPATH": os.pathsep.join([str(deck.parent), os.environ.get("PYTHONPATH", "")])}
    assert build(deck, figures_only, "--figures", env=env).returncode == 0  # `make figures` keeps it too
    assert len(list((figures_only / ".cache" / "memo").rglob("*.pkl"))) == 1


def test_the_longest_chapter_starts_first_once_its_duration_is_known(tmp_path):
    slow = "{% call run(output=False) %}\ntime.sleep(SLOW)\n{% endcall %}\n"
    deck = write_deck(
        tmp_path / "deck",
        {
            "ch1_quick.md.j2": chapter(
                "ch1", "## 速い\n\n{% call run(output=False) %}\nSLOW = 0\n{% endcall %}\n" + slow
            ),
            "ch2_slow.md.j2": chapter(
                "ch2", "## 遅い\n\n{% call run(output=False) %}\nSLOW = 1.0\n{% endcall %}\n" + slow
            ),
        },
    )
    out = tmp_path / "out"
    assert run_build(deck, out, 1, tmp_path / "a.txt", "--accept").returncode == 0
    first = run_build(deck, out, 1, tmp_path / "b.txt", "--force")
    assert first.returncode == 0, first.stderr
    runs = [line.split()[1] for line in first.stderr.splitlines() if line.endswith("(forced)")]
    assert runs == ["ch2_slow:", "ch1_quick:"], first.stderr


FAIL_LATE = """\
## 遅れて失敗

{% call run() %}
time.sleep(1.5)
raise ValueError("二番目の章")
{% endcall %}
"""
FAIL_EARLY = """\
## すぐ失敗

{% call run() %}
raise ValueError("三番目の章")
{% endcall %}
"""
NEVER_ENDS = """\
## 終わらない

{% call run(timeout=120) %}
with open(os.environ["STAMPS"] + ".pid", "w") as f:
    f.write(str(os.getpid()))
time.sleep(100)
{% endcall %}
"""


def test_the_first_failure_in_deck_order_is_reported_and_the_rest_cancelled(tmp_path):
    deck = write_deck(
        tmp_path / "deck",
        {
            "ch1_ok.md.j2": chapter("ch1", "## 通る\n\n{% call run() %}\nprint(1)\n{% endcall %}\n"),
            "ch2_late.md.j2": chapter("ch2", FAIL_LATE),
            "ch3_early.md.j2": chapter("ch3", FAIL_EARLY),
            "ch4_forever.md.j2": chapter("ch4", NEVER_ENDS),
        },
    )
    started = time.monotonic()
    proc = run_build(deck, tmp_path / "out", 4, tmp_path / "stamps.txt")
    assert proc.returncode != 0
    assert "ch2_late.md.j2" in error_line(proc) and "二番目の章" in error_line(proc)
    assert time.monotonic() - started < 40
    pid_file = tmp_path / "stamps.txt.pid"
    if pid_file.exists():  # the never-ending chapter had started: its kernel is gone
        pid = int(pid_file.read_text())
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]


FIGURE_FAILS = """
import sys


def main(outdir):
    raise RuntimeError("図が描けない")


if __name__ == "__main__":
    main(sys.argv[1])
"""

FIGURE_SLOW = """
import os, sys, time


def main(outdir):
    with open(os.environ["STAMPS"] + ".figure", "w") as f:
        f.write(str(os.getpid()))
    time.sleep(60)


if __name__ == "__main__":
    main(sys.argv[1])
"""


def test_a_failing_figure_script_cancels_a_long_one_without_waiting_for_it(tmp_path):
    """With two jobs at once, a script that fails stops the slow one beside it (its process group is
    killed): the build reports the failure at once instead of after the slow script's minute."""
    deck = write_deck(tmp_path / "deck", {"ch1.md.j2": "## 章\n\n本文。\n"})
    figures = tmp_path / "deck" / "figures_src"
    figures.mkdir()
    (figures / "a_fails.py").write_text(FIGURE_FAILS, encoding="utf-8")
    (figures / "b_slow.py").write_text(FIGURE_SLOW, encoding="utf-8")
    stamps = tmp_path / "stamps.txt"
    started = time.monotonic()
    proc = run_build(deck, tmp_path / "out", 2, stamps)
    assert proc.returncode != 0
    assert "a_fails.py" in error_line(proc) and "図が描けない" in proc.stderr
    assert time.monotonic() - started < 30, proc.stderr
    assert not (tmp_path / "out" / "deck.md").exists()  # nothing published
    pid_file = Path(str(stamps) + ".figure")
    if pid_file.exists():  # the slow script had started: it is gone
        pid = int(pid_file.read_text())
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
