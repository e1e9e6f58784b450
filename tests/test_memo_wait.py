"""A job whose process waits on another process's @memo entry gives its core to another job meanwhile.

The orderings are made by files, not by clocks: the slow entry is computed until a `release` file
appears, which only the independent job writes. Were the waiting job still holding its core, that job
could not run before the computation gave up (TIMEOUT): a failure, never a hang.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import build, tree_digest, write_deck
from deckbuild import schedule, waiting

TIMEOUT = 15  # seconds the slow computation waits for `release` before it gives up

SLOW = f"""\
import os, time
from pathlib import Path

from deckbuild.memo import memo


@memo
def slow():
    where = Path(os.environ["WAIT_DIR"])
    (where / "computing").write_text(str(os.getpid()))
    deadline = time.monotonic() + {TIMEOUT}
    while not (where / "release").exists():
        if time.monotonic() > deadline:
            return "gave up"
        time.sleep(0.02)
    return "released"
"""

CALL = "from slowmod import slow\nprint(slow())\n"


@pytest.fixture
def place(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "slowmod.py").write_text(SLOW)
    monkeypatch.setenv("WAIT_DIR", str(tmp_path))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.delenv("DECKBUILD_MEMO_DIR", raising=False)
    return tmp_path


def call_slow() -> str:
    proc = subprocess.run([sys.executable, "-c", CALL], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def until(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.02)


def markers(memo_dir: Path) -> list[str]:
    where = waiting.folder(memo_dir)
    return sorted(os.listdir(where)) if where.is_dir() else []


def job(name: str, estimate: float, work) -> schedule.Job:
    return schedule.Job(name, order=int(estimate), estimate=estimate, work=work)


def independent(place: Path, seen: dict):
    """The job that must run while the other waits: it sees the waiter, then lets the computation end."""

    def work(slot):
        slot.turn()
        seen["waiters"] = waiting.count(place / "cache" / "memo")
        (place / "release").write_text("")
        return "ran"

    return work


def test_a_job_waiting_on_a_memo_entry_lends_its_core(place):
    """Two workers: A computes the entry, B waits for it, C is independent. C must run before A ends."""
    seen: dict = {}

    def computing(slot):
        slot.turn()
        return call_slow()

    def waiting_for_it(slot):
        slot.turn()
        until(lambda: (place / "computing").exists(), "A computes")
        return call_slow()

    jobs = [
        job("A", 3, computing),
        job("B", 2, waiting_for_it),
        job("C", 1, independent(place, seen)),
    ]
    with schedule.memo_environment(place / "cache"):
        scheduler = schedule.Scheduler(jobs, 2)
        results = scheduler.run()
    assert scheduler.failure() is None
    assert results == {"A": "released", "B": "released", "C": "ran"}  # not "gave up": C ran meanwhile
    assert seen["waiters"] == 1
    assert not waiting.folder(place / "cache" / "memo").exists()  # nothing left behind


def test_one_worker_lends_its_core_while_a_process_outside_the_jobs_computes(place):
    """One worker: the entry is computed by a process the scheduler does not run (another build's
    kernel, say); B waits for it and C, queued behind B, runs meanwhile."""
    seen: dict = {}
    with schedule.memo_environment(place / "cache"):
        outside = subprocess.Popen([sys.executable, "-c", CALL], stdout=subprocess.PIPE, text=True)
        try:
            until(lambda: (place / "computing").exists(), "the outside process computes")

            def waiting_for_it(slot):
                slot.turn()
                return call_slow()

            scheduler = schedule.Scheduler(
                [job("B", 2, waiting_for_it), job("C", 1, independent(place, seen))], 1
            )
            results = scheduler.run()
        finally:
            out, _ = outside.communicate(timeout=60)
    assert out.strip() == "released"
    assert results == {"B": "released", "C": "ran"}
    assert seen["waiters"] == 1


def test_the_waiters_marker_is_gone_after_its_wait_and_after_an_interrupted_wait(place):
    memo_dir = place / "memo"
    env = {**os.environ, "DECKBUILD_MEMO_DIR": str(memo_dir)}
    procs: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        procs.append(
            subprocess.Popen([sys.executable, "-c", CALL], stdout=subprocess.PIPE, text=True, env=env)
        )
        return procs[-1]

    try:
        computing = start()
        until(lambda: (place / "computing").exists(), "one process computes")
        waiters = [start(), start()]
        until(lambda: waiting.count(memo_dir) == 2, "both others wait")
        waiters[1].send_signal(signal.SIGINT)  # KeyboardInterrupt in the middle of the wait
        waiters[1].communicate(timeout=30)
        assert waiters[1].returncode != 0
        assert len(markers(memo_dir)) == 1  # its own marker removed by itself, not by someone's sweep
        (place / "release").write_text("")
        assert computing.communicate(timeout=60)[0].strip() == "released"
        assert waiters[0].communicate(timeout=60)[0].strip() == "released"  # the entry computed once
        assert markers(memo_dir) == []
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def test_a_dead_waiters_marker_does_not_count_and_is_swept(place):
    memo_dir = place / "memo"
    announce = (
        "import sys, time\nfrom deckbuild import waiting\n"
        "with waiting.announced(sys.argv[1]):\n    print('waiting', flush=True)\n    time.sleep(60)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", announce, str(memo_dir)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "waiting"
    assert waiting.count(memo_dir) == 1
    proc.kill()  # killed mid-wait, as by a killed build: it could remove nothing
    proc.wait()
    (stale,) = markers(memo_dir)
    assert stale.startswith(f"{proc.pid}-")
    (waiting.folder(memo_dir) / "999999999-x").write_text("")  # a dead PID's, unlocked
    assert waiting.count(memo_dir) == 0
    assert markers(memo_dir) == []


def test_a_killed_builds_markers_are_cleared_at_the_next_build(place):
    memo_dir = place / "cache" / "memo"
    waiting.folder(memo_dir).mkdir(parents=True)
    (waiting.folder(memo_dir) / ".123-half-made").write_text("")  # killed between making and locking
    (waiting.folder(memo_dir) / "123-old").write_text("")
    with schedule.memo_environment(place / "cache"):
        assert markers(memo_dir) == []
    assert not waiting.folder(memo_dir).exists()


SHARED = """\
import time

import numpy as np

from deckbuild.memo import memo


@memo
def trained(n):
    time.sleep(1.0)  # long enough for the other script to find the lock taken
    return np.random.default_rng(0).normal(size=n).round(6)
"""

FIGURE = """\
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from shared import trained


def main(outdir):
    plt.rcParams["svg.hashsalt"] = "test"
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(trained(3), "{style}")
    fig.savefig(Path(outdir) / "{name}.svg", metadata={{"Date": None}})


if __name__ == "__main__":
    main(sys.argv[1])
"""


def test_two_figure_scripts_sharing_a_memo_build_the_same_with_one_or_two_jobs(tmp_path):
    body = '## 図\n\n{= figure("dots.svg", width=300) =}\n\n---\n\n{= figure("line.svg", width=300) =}\n'
    deck = write_deck(tmp_path / "deck", {"ch1.md.j2": body})
    figures = tmp_path / "deck" / "figures_src"
    figures.mkdir()
    (figures / "dots.py").write_text(FIGURE.format(style="o", name="dots"))
    (figures / "line.py").write_text(FIGURE.format(style="-", name="line"))
    (tmp_path / "deck" / "shared.py").write_text(SHARED)
    pythonpath = os.pathsep.join([str(deck.parent), os.environ.get("PYTHONPATH", "")])
    outs = {}
    for jobs in (1, 2):
        outs[jobs] = tmp_path / f"out{jobs}"
        env = {"DECKBUILD_JOBS": str(jobs), "PYTHONPATH": pythonpath}
        proc = build(deck, outs[jobs], "--no-html", env=env, companion="off")
        assert proc.returncode == 0, proc.stderr
        assert len(list((outs[jobs] / ".cache" / "memo").rglob("*.pkl"))) == 1  # computed once
        assert not waiting.folder(outs[jobs] / ".cache" / "memo").exists()
    assert tree_digest(outs[1]) == tree_digest(outs[2])
    assert {"figures/dots.svg", "figures/line.svg"} <= set(tree_digest(outs[2]))
