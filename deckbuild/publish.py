"""Outputs appear all at once or not at all: build into a staging folder, swap in at the end, one build at a time."""

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from .errors import BusyError


@contextmanager
def exclusive(out: Path):
    """Hold the output folder's lock; a second build at the same time fails at once."""
    out.mkdir(parents=True, exist_ok=True)
    lock = open(out / ".lock", "a+")  # noqa: SIM115 - held for the whole build
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise BusyError(
            f"another build is already writing {out} (pid {holder}); wait for it to finish"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    try:
        yield
    finally:
        lock.close()


@contextmanager
def staging(out: Path):
    """A fresh folder inside `out`; removed on failure, so the previous outputs stay as they were."""
    for old in out.glob(".staging-*"):
        shutil.rmtree(old, ignore_errors=True)  # left by a build that was killed
    stage = out / f".staging-{os.getpid()}"
    stage.mkdir()
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def swap_in(stage: Path, out: Path) -> list[Path]:
    """Move every file and folder of the staging folder into `out`, replacing what was there."""
    placed = []
    for item in sorted(stage.iterdir()):
        target = out / item.name
        if item.is_dir():
            old = out / f".old-{item.name}-{os.getpid()}"
            if target.exists():
                target.rename(old)
            item.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(item, target)
        placed.append(target)
    return placed
