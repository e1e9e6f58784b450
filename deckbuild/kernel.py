"""Run a chapter's cells in order in one fresh Jupyter kernel (nbclient + ipykernel), like a notebook."""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from contextlib import ExitStack, contextmanager
from hashlib import sha256
from pathlib import Path

from . import config, present
from .cells import Cell, CellResult
from .compare import fold
from .errors import SnippetError, ToolError, Where

SETUP = """\
# この章のセットアップ: 乱数の種と NumPy の表示設定を既定に戻し、警告は「種類: 内容」の 1 行で表示する
import random
import warnings

import numpy as np

random.seed(0)
np.random.seed(0)
np.set_printoptions(precision=8, threshold=1000, edgeitems=3, linewidth=75, suppress=False, formatter=None)
warnings.formatwarning = lambda message, category, *args, **kwargs: f"{category.__name__}: {message}\\n"
"""

# Hidden from slides and notebook: the kernel kills its process group when the build dies (before the
# tracking starts, so this module is no dependency of the chapter's cache entry).
LIFELINE = "import deckbuild.leftovers as _deck_leftovers\n_deck_leftovers.lifeline()\ndel _deck_leftovers\n"
# Hidden from slides and notebook: record which files the chapter loads and reads, for the cache.
TRACK_READS = "from deckbuild.tracking import track_reads as _deck_track\n_deck_reads = _deck_track()\ndel _deck_track\n"
REPORT_DEPS = "import json as _deck_json, deckbuild.tracking as _deck_tracking\nprint(_deck_json.dumps(_deck_tracking.report(_deck_reads)))\n"

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
TEXT_CAP = 1_000_000  # characters of one output kept in memory and cache
NB_CAP = 100_000  # characters of one output kept in the notebook


def kernel_env(deck_dir: Path | None = None) -> dict:
    """The kernel's environment: reproducible settings, the deck's code folders first on PYTHONPATH,
    and the module of value()/table() helpers its configuration names (read by deckbuild.present)."""
    env = dict(os.environ)
    env.update(
        MPLBACKEND="Agg", PYTHONHASHSEED="0", PYDEVD_DISABLE_FILE_VALIDATION="1", PYTHONWARNINGS="default"
    )
    if deck_dir is not None:
        cfg = config.for_deck(deck_dir)
        paths = [str(p) for p in cfg.code_dirs] + [
            p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p
        ]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env[present.HELPERS_ENV] = cfg.helpers
    return env


def output_text(outputs: list) -> str:
    """What a learner sees under the cell: streams and results in order, ANSI codes removed."""
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            data = out.get("data", {})
            if "text/plain" in data:
                parts.append(data["text/plain"] + "\n")
    return ANSI.sub("", "".join(parts))


def capped(text: str, cap: int) -> str:
    return text if len(text) <= cap else text[:cap]


def merge_streams(outputs: list) -> list[dict]:
    """Consecutive stream outputs of one name as one: the kernel splits a long print where timing says."""
    merged: list[dict] = []
    for out in outputs:
        out = dict(out)
        last = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and last
            and last.get("output_type") == "stream"
            and last["name"] == out["name"]
        ):
            last["text"] += out["text"]
        else:
            merged.append(out)
    return merged


def result_of(outputs: list) -> CellResult:
    full = fold(output_text(outputs))
    nb_outputs = []
    for out in merge_streams(outputs):
        out = {k: v for k, v in dict(out).items() if k not in ("transient", "metadata", "execution_count")}
        if out.get("output_type") == "stream":
            out["text"] = capped(out["text"], NB_CAP)
        elif "data" in out:
            out["data"] = {"text/plain": capped(out["data"].get("text/plain", ""), NB_CAP)}
        nb_outputs.append(json.loads(json.dumps(out)))
    return CellResult(
        text=capped(full, TEXT_CAP),
        chars=len(full),
        lines=full.count("\n") + 1 if full else 0,
        digest=sha256(full.encode()).hexdigest(),
        nb_outputs=nb_outputs,
    )


def precheck(cell: Cell) -> None:
    """Report a syntax error with its line before any kernel starts."""
    if re.search(r"^\s*[%!]", cell.code, re.MULTILINE):
        return  # IPython magics: leave them to the kernel
    try:
        compile(cell.code, "<snippet>", "exec")
    except SyntaxError as e:
        raise snippet_error(cell, f"syntax error: {e.msg}", e.lineno) from None


def snippet_error(cell: Cell, message: str, line: int | None) -> SnippetError:
    where = Where(cell.where.file, cell.where.line, cell.where.slide)
    if line and cell.kind == "snippet" and where.line is not None:
        where.line += line - 1
        code_lines = cell.code.splitlines()
        if 0 < line <= len(code_lines):
            message += f" (snippet line {line}: {code_lines[line - 1].strip()})"
    return SnippetError(message, where)


def failing_line(traceback: list[str], execution_count) -> int | None:
    text = ANSI.sub("", "\n".join(traceback))
    lines = re.findall(r"Cell In\[(\d+)\], line (\d+)", text)
    mine = [int(n) for count, n in lines if count == str(execution_count)]
    return (mine or [int(n) for _, n in lines] or [None])[0]


class ChapterKernel:
    """A fresh kernel for one chapter: setup cell first, then each cell in order."""

    def __init__(self, cwd: Path, deck_dir: Path | None = None):
        self.cwd = cwd
        self.deck_dir = deck_dir or cwd  # whose [tool.deckbuild] names the code folders and helpers
        self.stack = ExitStack()
        self.client = None
        self.nb = None
        self.pgid = None
        self.folder = None

    def __enter__(self) -> "ChapterKernel":
        """Start the kernel; a start that fails (a kernel that never answers, as when two kernels race for a
        port) is tried once more, then is a ToolError, never a traceback."""
        for attempt in (1, 2):
            try:
                return self.start()
            except Exception as e:  # the failed start has cleaned up after itself
                self.stack = ExitStack()
                if attempt == 2:
                    raise ToolError(f"the Jupyter kernel did not start: {e}") from None
        raise AssertionError("unreachable")

    def start(self) -> "ChapterKernel":
        import nbformat
        from jupyter_client import AsyncKernelManager
        from jupyter_client.kernelspec import KernelSpecManager
        from nbclient import NotebookClient

        self.nb = nbformat.v4.new_notebook()
        # Only the kernel of this very Python (the venv), never a user-installed "python3" spec.
        km = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
        self.client = NotebookClient(
            self.nb,
            km=km,
            timeout=60,
            timeout_func=lambda cell: cell.metadata.get("deck_timeout", 60),
            allow_errors=False,
            interrupt_on_timeout=False,
            record_timing=False,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": str(self.cwd)}},
        )
        # The connection file (it holds the kernel's HMAC key) in a folder of its own, removed at the end.
        self.folder = Path(tempfile.mkdtemp(prefix="deck-kernel-"))
        km.connection_file = str(self.folder / "kernel.json")
        try:
            # No ipykernel parent poller (parent 1 means none, and no banner): it would exit at the build's
            # death before our lifeline (LIFELINE) kills the kernel's whole process group, leaving the group.
            env = {**kernel_env(self.deck_dir), "JPY_PARENT_PID": "1"}
            self.stack.enter_context(
                self.client.setup_kernel(
                    env=env, cwd=str(self.cwd), stderr=subprocess.DEVNULL, independent=True
                )
            )
            self.pgid = km.provisioner.pgid if km.provisioner else None
            self.execute(LIFELINE, 30)
            self.execute(TRACK_READS, 30)
            self.execute(SETUP, 60)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stack.close()
        finally:
            # The kernel runs in a session of its own: what its snippets started is in its process group.
            if self.pgid:
                with contextlib.suppress(OSError):
                    os.killpg(self.pgid, signal.SIGKILL)
            shutil.rmtree(self.folder, ignore_errors=True)

    def death(self) -> str:
        """How the kernel process ended, for the error line: its exit code or the signal that killed it."""
        process = getattr(getattr(self.client.km, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return "the kernel died"
        if code < 0:
            with contextlib.suppress(ValueError):
                return f"the kernel died (killed by {signal.Signals(-code).name})"
        return f"the kernel died (exit code {code})"

    def execute(self, code: str, timeout: float):
        import nbformat

        cell = nbformat.v4.new_code_cell(code)
        cell.metadata["deck_timeout"] = timeout
        self.nb.cells.append(cell)
        self.client.execute_cell(cell, len(self.nb.cells) - 1)
        return cell

    def run(self, cell: Cell) -> CellResult:
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

        try:
            done = self.execute(cell.code, cell.timeout)
        except DeadKernelError:
            raise snippet_error(cell, f"{self.death()} while running this snippet", None) from None
        except CellTimeoutError:
            raise snippet_error(
                cell, f"ran past its {cell.timeout:g} s timeout (set a longer one with run(timeout=…))", None
            ) from None
        except CellExecutionError as e:
            if e.ename == "KeyboardInterrupt":
                raise KeyboardInterrupt from None
            failed = self.nb.cells[-1]
            errors = [o for o in failed.get("outputs", []) if o.get("output_type") == "error"]
            line = failing_line(
                errors[0].get("traceback", []) if errors else [], failed.get("execution_count")
            )
            raise snippet_error(cell, f"raised {e.ename}: {e.evalue}", line) from None
        images = [k for o in done.outputs for k in o.get("data", {}) if k.startswith("image/")]
        if images:
            raise snippet_error(
                cell, f"displayed an image ({images[0]}); draw figures in figures_src/ instead", None
            )
        return result_of(done.outputs)

    def dependencies(self) -> dict:
        """Files the chapter loaded so far: {"modules": [...], "reads": [...]}."""
        cell = self.execute(REPORT_DEPS, 30)
        return json.loads(output_text(cell.outputs))


def stop(kernel: ChapterKernel) -> None:
    """Kill a kernel from another thread (a cancelled chapter): its cell then fails as a dead kernel.

    The kernel runs in a session of its own, so what its snippets started goes with it.
    """
    provisioner = getattr(getattr(kernel.client, "km", None), "provisioner", None)
    pgid = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
    if pgid:
        os.killpg(pgid, signal.SIGKILL)


@contextmanager
def starting(kernel: ChapterKernel, cells: list[Cell]):
    """`with starting(ChapterKernel(…), cells) as k`: a kernel that does not start is an error located at the
    chapter's first cell."""
    try:
        kernel.__enter__()
    except ToolError as e:
        first = cells[0].where if cells else None
        e.where = Where(first.file, first.line, first.slide) if first else None
        raise
    try:
        yield kernel
    finally:
        kernel.__exit__()


def run_chapter(cells: list[Cell], cwd: Path, log, slot=None) -> tuple[list[CellResult], dict]:
    """Run every cell of one chapter; return their results and the files they depended on.

    With a scheduler's slot, the kernel starts at once and the cells wait for the chapter's turn.
    """
    results = []
    with starting(ChapterKernel(cwd), cells) as kernel:
        if slot is not None:
            slot.on_cancel(lambda: stop(kernel))
            slot.turn()
        for cell in cells:
            if slot is not None:
                slot.check()
                slot.doing(
                    f"{cell.chapter} cell {cell.index + 1}/{len(cells)} {cell.where.file}:{cell.where.line}"
                )
            started = time.monotonic()
            results.append(kernel.run(cell))
            log(
                f"  [{cell.index + 1:>2}/{len(cells)}] {cell.where.file}:{cell.where.line} {time.monotonic() - started:.2f}s"
            )
        deps = kernel.dependencies()
    return results, deps
