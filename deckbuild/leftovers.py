"""Nothing of a build outlives it: one private temp folder, and every process the build started, are gone at the end.

The build makes a folder `deckbuild-*` in the temp folder, points TMPDIR at it for itself and every process it
starts, and marks them all with MARK=<that folder> in their environment, which survives a double fork and
`setsid`. At the end it kills every process carrying its mark and removes the folder. A build killed outright
(SIGKILL) cannot do that, so every build first sweeps the folders whose owner is gone: while a build lives it
holds a lock on `.alive` in its folder, and a folder whose lock can be taken belongs to a dead build.
"""

import contextlib
import fcntl
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

PREFIX = "deckbuild-"
MARK = "DECKBUILD_SCRATCH"
ALIVE = ".alive"
_active: list[Path] = []  # the scratch folder of the build running in this process (entered once per process)


def marked(value: str) -> list[int]:
    """Every process (other than this one) whose environment carries MARK=value."""
    needle = f"\0{MARK}={value}\0".encode()
    found = []
    if not os.path.isdir("/proc"):
        return found  # not Linux: only the process groups are killed
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError), open(f"/proc/{entry.name}/environ", "rb") as f:
            if needle in b"\0" + f.read() + b"\0":
                found.append(int(entry.name))
    return found


def kill_marked(value: str) -> None:
    """SIGKILL every process carrying the mark, again until none is left (one may fork while we kill)."""
    for _ in range(50):
        pids = marked(value)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


def sweep(base: str | Path) -> None:
    """Remove the scratch folders (and kill the processes) of builds that were killed before they could."""
    with contextlib.suppress(OSError):
        for folder in Path(base).glob(PREFIX + "*"):
            lock_file = folder / ALIVE
            if not lock_file.is_file():
                continue  # not a build's folder, or one an instant old: never ours to remove
            with contextlib.suppress(OSError), open(lock_file, "a") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its build is still running
                kill_marked(str(folder))
                shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def private_dir(base: str | Path | None = None, prefix: str = PREFIX):
    """A fresh folder locked as alive while the block runs, removed afterwards (or by the next build's sweep)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=base))
    lock = open(folder / ALIVE, "w")  # noqa: SIM115 - held for the whole block
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        yield folder
    finally:
        lock.close()
        shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def scratch():
    """The build's private temp folder and process mark; re-entering it in the same process reuses it."""
    if _active:
        yield _active[-1]
        return
    base = tempfile.gettempdir()
    sweep(base)
    saved = {name: os.environ.get(name) for name in (MARK, "TMPDIR")}
    with private_dir(base) as folder:
        os.environ[MARK] = str(folder)
        os.environ["TMPDIR"] = str(folder)  # short: Chromium's socket path under it has a length limit
        tempfile.tempdir = None  # this process's own temp files go there too
        _active.append(folder)
        try:
            yield folder
        finally:
            _active.pop()
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
            tempfile.tempdir = None
            kill_marked(str(folder))


def _prctl():
    with contextlib.suppress(Exception):
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    return None


_PRCTL = _prctl()  # looked up here: a child between fork and exec must not import or load anything


def die_with_parent() -> None:
    """In a child before exec: SIGKILL it when the build dies (Linux PR_SET_PDEATHSIG); a no-op elsewhere."""
    if _PRCTL is not None:
        _PRCTL(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG


def lifeline(interval: float = 0.2) -> None:
    """In a kernel (its own process group): when the build that started it dies, kill the whole group, so
    what its snippets started dies with it."""
    import threading

    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        if os.getpgid(0) == os.getpid():
            os.killpg(0, signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=watch, name="deckbuild-lifeline", daemon=True).start()
