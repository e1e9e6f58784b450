"""Processes blocked on another process's @memo entry say so, so the build lends their core to another job.

A process that finds a memo entry's lock taken leaves a marker in `<DECKBUILD_MEMO_DIR>/.waiting/` for as
long as it waits: a file named `<pid>-<random>` that it keeps locked (flock). The build's scheduler
counts the markers still locked; the lock, not the PID, says the waiter is alive: the kernel releases it
when the process dies, however it dies (a killed build leaves markers nobody holds, never counted and
swept at the next build's start), and a PID used again by another process cannot pass for a waiter.
"""

import contextlib
import fcntl
import os
import shutil
import tempfile
from pathlib import Path

FOLDER = ".waiting"  # under the memo folder: no @memo function's name starts with a dot


def folder(memo_dir: str | os.PathLike) -> Path:
    return Path(memo_dir) / FOLDER


@contextlib.contextmanager
def announced(memo_dir: str | os.PathLike | None):
    """`with announced(memo_dir):` this process is marked as waiting until the block ends (or raises).
    Without a memo folder, or when the marker cannot be written, the block simply runs unannounced."""
    fd, marker = None, None
    if memo_dir:
        tmp = None
        try:
            where = folder(memo_dir)
            where.mkdir(parents=True, exist_ok=True)
            # locked under a dot-name the scheduler ignores, then renamed: it never sees a marker unlocked
            fd, tmp = tempfile.mkstemp(dir=where, prefix=f".{os.getpid()}-")
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.rename(tmp, where / Path(tmp).name[1:])
            marker = where / Path(tmp).name[1:]
        except OSError:
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
    try:
        yield
    finally:
        if marker is not None:
            with contextlib.suppress(OSError):
                marker.unlink()  # while still locked: never seen unlocked, so never taken for stale
        if fd is not None:
            os.close(fd)


def _held(path: Path) -> bool:
    """True when a live process holds the marker's lock."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False  # gone meanwhile: its wait is over
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def count(memo_dir: str | os.PathLike | None) -> int:
    """How many live processes wait on a memo entry; the markers of dead ones are removed."""
    if not memo_dir:
        return 0
    try:
        names = os.listdir(folder(memo_dir))
    except OSError:
        return 0
    live = 0
    for name in names:
        if name.startswith("."):
            continue  # a marker being made (locked, not yet renamed)
        path = folder(memo_dir) / name
        if _held(path):
            live += 1
        else:
            with contextlib.suppress(OSError):  # bookkeeping: never a reason for the build to fail
                path.unlink()
    return live


def clear(memo_dir: str | os.PathLike | None) -> None:
    """Forget every marker: at a build's start, before any process of it can wait (a killed build's are stale)."""
    if memo_dir:
        shutil.rmtree(folder(memo_dir), ignore_errors=True)


def tidy(memo_dir: str | os.PathLike | None) -> None:
    """At a build's end: the stale markers removed, and the folder too when no one waits any more."""
    if memo_dir and count(memo_dir) == 0:
        with contextlib.suppress(OSError):
            folder(memo_dir).rmdir()
