"""What a long build is doing now: which chapter and cell, for how long.

In a terminal, one status line at the bottom, rewritten in place (the log's own lines scroll above it);
in a log (CI, a pipe), a plain `progress …` line every DECKBUILD_PROGRESS_INTERVAL seconds (10) while
something runs. Nothing is shown for a build that finishes within a few seconds.
"""

import os
import shutil
import sys
import threading
import time

QUIET_FOR = 2.0  # seconds before the terminal line appears
TICK = 0.5  # seconds between redraws of the terminal line
INTERVAL = "DECKBUILD_PROGRESS_INTERVAL"


class Progress:
    """Thread-safe: the jobs of a build report to it from their own threads."""

    def __init__(self, log, stream=None, tty: bool | None = None):
        self._log = log
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.started = time.monotonic()
        self.active: dict[str, tuple[str, float]] = {}  # job → (what it does now, since when)
        self.done = self.total = 0
        self.lock = threading.Lock()
        self.shown = False
        self.stopped = threading.Event()
        self.every = TICK if self.tty else float(os.environ.get(INTERVAL, "10"))
        self.thread = threading.Thread(target=self._loop, name="deck-progress", daemon=True)

    def __enter__(self) -> "Progress":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()
        with self.lock:
            self._clear()

    def log(self, message: str) -> None:
        """A log line, printed above the status line."""
        with self.lock:
            self._clear()
            self._log(message)
            if self.tty and self.active and self._elapsed() >= QUIET_FOR:
                self._draw()

    def doing(self, job: str, what: str) -> None:
        with self.lock:
            self.active[job] = (what, time.monotonic())

    def finished(self, job: str) -> None:
        with self.lock:
            self.active.pop(job, None)
            self.done += 1

    def status(self) -> str:
        now = time.monotonic()
        parts = [f"{what} ({now - since:.0f}s)" for what, since in self.active.values()]
        count = f"{self.done}/{self.total} jobs done" if self.total else ""
        return f"building {self._elapsed():.0f}s: " + " · ".join([*parts, count] if count else parts)

    def _elapsed(self) -> float:
        return time.monotonic() - self.started

    def _loop(self) -> None:
        while not self.stopped.wait(self.every):
            with self.lock:
                if not self.active or self._elapsed() < QUIET_FOR:
                    continue
                if self.tty:
                    self._draw()
                else:
                    self._log("progress " + self.status().removeprefix("building "))

    def _draw(self) -> None:
        width = shutil.get_terminal_size((100, 20)).columns - 1
        self.stream.write("\r\x1b[K" + self.status()[:width])
        self.stream.flush()
        self.shown = True

    def _clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
