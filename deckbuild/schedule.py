"""Run a build's independent jobs (chapters, figure scripts) on every core.

Jobs start longest first (the last run's durations, kept in OUT/.cache/durations.json). One job more
than there are workers may get ready ahead of its turn (a chapter starts its kernel while the others
run). A job whose process waits for another process to compute a @memo entry uses no core: while it
waits (it says so, waiting.py), one more job may run; when it resumes, the build briefly runs more jobs
than cores, until enough of them end. Each process gets one BLAS thread (OMP/OpenBLAS/MKL), so N jobs use N cores and the numbers
do not depend on how many jobs or cores there are. When a job fails, the jobs after it in deck order are cancelled (their kernels killed) and
those before it finish: the error reported is always that of the first failing job in deck order,
as in a one-at-a-time build.
"""

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, memo, waiting
from .config import DEFAULTS, Config

JOBS = "DECKBUILD_JOBS"
POLL = 0.1  # seconds between two looks at the processes waiting on a memo entry
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


class Cancelled(Exception):
    """The job was stopped because an earlier one (in deck order) failed, or the build was interrupted."""


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def workers() -> int:
    """How many jobs run at once: DECKBUILD_JOBS, or one per available core."""
    value = os.environ.get(JOBS, "")
    try:
        return max(1, int(value)) if value else cores()
    except ValueError:
        return cores()


@contextlib.contextmanager
def environ(values: dict[str, str], keep_set: bool = False):
    """Set environment variables for what this process starts meanwhile (kernels and figure scripts
    inherit them), and put them back afterwards; with keep_set, a value the user set is kept."""
    saved = {name: os.environ.get(name) for name in values}
    for name, value in values.items():
        if not (keep_set and name in os.environ):
            os.environ[name] = value
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def one_blas_thread():
    """Every process started meanwhile (kernels, figure scripts) uses one BLAS thread, unless the user set
    a count: the build uses the cores by running `jobs` processes at once, so they do not oversubscribe
    the machine. One thread everywhere also keeps the numbers the same whatever DECKBUILD_JOBS or the
    number of cores (a threaded BLAS may split a sum differently), and the deck's small matrices run
    faster on one thread than on two that wait for each other."""
    return environ(dict.fromkeys(BLAS_THREADS, "1"), keep_set=True)


@contextlib.contextmanager
def memo_environment(cache_dir: Path, cfg: Config = DEFAULTS):
    """Where @memo keeps results during a build (cache_dir/memo) and what it keys them on (the deck's
    cache_env settings and cache_packages versions), for every kernel and figure script the build starts.
    No process of this build waits on an entry yet: the waiting markers left there (a killed build's) are
    cleared first, and those of processes now dead at the end."""
    folder = cache_dir / "memo"
    waiting.clear(folder)
    values = {
        memo.MEMO_DIR: str(folder),
        memo.SETTINGS: ",".join(cfg.cache_env),
        memo.SALT: cache.digest(cache.versions(cfg.cache_packages)),
    }
    with environ(values):
        try:
            yield
        finally:
            waiting.tidy(folder)


class Durations:
    """How long each job took last time it ran, to start the longest first."""

    def __init__(self, path: Path):
        self.path = path
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            self.seconds = {k: float(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}
        except (OSError, ValueError, TypeError):
            self.seconds = {}

    def get(self, name: str, default: float) -> float:
        return self.seconds.get(name, default)

    def save(self, ran: dict[str, float]) -> None:
        if not ran:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".durations.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({**self.seconds, **ran}, f, indent=1, sort_keys=True)
        os.replace(tmp, self.path)


@dataclass
class Job:
    name: str
    order: int  # position in deck order: decides which error is reported
    estimate: float  # seconds it is expected to take
    work: Callable  # work(slot) -> result
    announce: str = ""  # logged when the job's turn comes


@dataclass
class Slot:
    """A job's handle on the scheduler: wait for its turn, register how to stop it, say what it does."""

    job: Job
    scheduler: "Scheduler"
    cancelled: threading.Event = field(default_factory=threading.Event)
    stoppers: list[Callable[[], None]] = field(default_factory=list)
    began: float = 0.0  # time.monotonic() when its turn came

    def turn(self) -> None:
        """Block until the job may use a core (its ready-ahead part is done)."""
        self.scheduler._enter(self, "run")
        self.began = time.monotonic()
        if self.job.announce and self.scheduler.progress is not None:
            self.scheduler.progress.log(self.job.announce)

    def on_cancel(self, stop: Callable[[], None]) -> None:
        with self.scheduler.cond:
            self.stoppers.append(stop)
            if not self.cancelled.is_set():
                return
        stop()

    def doing(self, what: str) -> None:
        if self.scheduler.progress is not None:
            self.scheduler.progress.doing(self.job.name, what)

    def check(self) -> None:
        if self.cancelled.is_set():
            raise Cancelled(self.job.name)


class Scheduler:
    def __init__(self, jobs: list[Job], workers: int, progress=None):
        self.jobs = sorted(jobs, key=lambda j: (-j.estimate, j.order))  # longest first
        self.workers = workers
        self.limits = {"ready": workers + 1, "run": workers}
        self.memo_dir = os.environ.get(memo.MEMO_DIR)  # where the jobs' processes say they wait
        self.next = {"ready": 0, "run": 0}
        self.holding = {"ready": set(), "run": set()}
        self.cond = threading.Condition()
        self.progress = progress
        self.slots = {job.name: Slot(job, self) for job in self.jobs}
        self.results: dict[str, object] = {}
        self.errors: dict[str, BaseException] = {}
        self.skipped: dict[str, set[int]] = {"ready": set(), "run": set()}

    def _enter(self, slot: Slot, gate: str) -> None:
        """Let the job through `gate` in longest-first order, when fewer than the gate's limit hold it."""
        index = self.jobs.index(slot.job)
        with self.cond:
            self.cond.wait_for(
                lambda: (
                    slot.cancelled.is_set()
                    or (self.next[gate] == index and len(self.holding[gate]) < self.limits[gate])
                )
            )
            if slot.cancelled.is_set():
                self._skip(gate, index)
                raise Cancelled(slot.job.name)
            self.next[gate] += 1
            self.holding[gate].add(slot.job.name)
            self.cond.notify_all()

    def _skip(self, gate: str, index: int) -> None:
        """A cancelled job gives up its place in line, so the ones behind it are not stuck."""
        self.skipped[gate].add(index)
        while self.next[gate] in self.skipped[gate]:
            self.next[gate] += 1
        self.cond.notify_all()

    def _leave(self, slot: Slot) -> None:
        with self.cond:
            index = self.jobs.index(slot.job)
            for gate in ("ready", "run"):
                self.holding[gate].discard(slot.job.name)
                if self.next[gate] <= index:  # it never got through this gate: do not hold up the line
                    self._skip(gate, index)
            self.cond.notify_all()

    def _thread(self, slot: Slot) -> None:
        try:
            self._enter(slot, "ready")
            result = slot.job.work(slot)
            slot.check()
            with self.cond:
                self.results[slot.job.name] = result
        except BaseException as e:  # handed to the main thread, which reports the right one
            with self.cond:
                if not slot.cancelled.is_set():
                    self.errors[slot.job.name] = e
                    self._cancel_after(slot.job.order)
        finally:
            self._leave(slot)
            if self.progress is not None:
                self.progress.finished(slot.job.name)

    def _lend_waiting_cores(self) -> None:
        """Each process waiting on another's memo entry frees a core: one more job may run (and get ready)."""
        waiters = waiting.count(self.memo_dir)
        with self.cond:
            limits = {"ready": self.workers + 1 + waiters, "run": self.workers + waiters}
            if limits != self.limits:
                self.limits = limits
                self.cond.notify_all()

    def _cancel_after(self, order: int | None) -> None:
        """Cancel the jobs after `order` in deck order (all of them when None); caller holds cond."""
        stop = []
        for slot in self.slots.values():
            if (order is None or slot.job.order > order) and not slot.cancelled.is_set():
                slot.cancelled.set()
                stop += slot.stoppers
        self.cond.notify_all()
        for fn in stop:
            with contextlib.suppress(Exception):
                fn()

    def run(self) -> dict[str, object]:
        """Every finished job's result by name; failure() then says which job's error to report."""
        if self.progress is not None:
            self.progress.total = len(self.jobs)
        threads = [
            threading.Thread(target=self._thread, args=(s,), name=f"deck-{s.job.name}", daemon=True)
            for s in self.slots.values()
        ]
        for t in threads:
            t.start()
        try:
            for t in threads:
                while t.is_alive():
                    t.join(POLL)  # short waits: Ctrl-C and SIGTERM reach this thread promptly
                    self._lend_waiting_cores()
        except BaseException:
            with self.cond:
                self._cancel_after(None)
            for t in threads:
                t.join()
            raise
        return self.results

    def failure(self) -> tuple[int, BaseException] | None:
        """(deck order, error) of the first failing job in deck order, or None."""
        if not self.errors:
            return None
        first = min(self.errors, key=lambda n: self.slots[n].job.order)
        return self.slots[first].job.order, self.errors[first]
