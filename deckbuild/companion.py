"""The learner's companion: each chapter rebuilt from the code its slides show, run alone and compared with them.

A chapter's companion notebook holds, in slide order, the shown sources (`source()` blocks, as cells
that define what they show) and the visible snippets (`run()`), plus hidden snippets marked
`run(echo=False, companion=True)`; every other hidden snippet is left out, and `value()`/`table()`
are prose. It runs in a fresh kernel in an empty folder, with another random seed than the build's
and none of the names the build's set-up defines, as a learner's Python would. Each visible
snippet must print exactly what its slide prints (a measured one, run(measured=True), the same but for its
numbers); the first that does not fails the build
(mode "strict"), or every one is reported as a warning ("warn"), or nothing runs ("off").
The verdict is cached per chapter on the same kind of inputs as the chapter itself.
"""

import contextlib
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from . import cache, config, kernel, schedule, slides
from .cells import Cell, CellResult
from .compare import diff, number_blind, same_output
from .errors import CompanionError, Where
from .notebook import code_cell, notebook_of, validate, writes

PREFIX = "the slides are not self-sufficient: "

# Hidden and not published: forget what the build's set-up (kernel.SETUP) gave the kernel. Another seed
# than the build's 0 stands for a learner's unknown random state: an output that depends on it differs.
FRESH = """\
random.seed(20_240_601)
np.random.seed(20_240_601)
del random, warnings, np
"""

# The notebook's first cell, run in the check too. It changes how a warning is printed, never a value:
# one line "Category: message", as on the slides, instead of a line naming a file on the build machine.
SETUP = """\
# 警告をスライドと同じ 1 行（「種類: 内容」）で表示する。値は何も変えない
import warnings

warnings.simplefilter("default")
warnings.formatwarning = lambda message, category, *args, **kwargs: f"{category.__name__}: {message}\\n"
del warnings  # スライドのコードは、使うものを自分で import する
"""


INTRO = (
    "# {chapter}: スライドのコード\n\nスライドに表示されたコードだけを、スライドの順に並べたノートブック。"
)
VERDICT = {
    True: "上から順に実行すると、スライドと同じ出力になる（ビルドが新しいカーネルで実行して確かめている）。",
    False: "**まだスライドと同じ出力にならないセルがある**（ビルドの警告 “not self-sufficient” を参照）。",
}


def plan(rendering) -> dict[str, list[Cell]]:
    """Each chapter's companion cells in slide order: shown sources and the snippets a learner gets."""
    kept = [c for c in rendering.cells if c.kind == "snippet" and (c.echo or c.companion)]
    # A source block placed before cell N has position N: it sorts before that cell, after the one before.
    ordered = sorted(
        [(c.position, 1, c.index, c) for c in kept]
        + [(s.position, 0, s.index, s) for s in rendering.shown_sources],
        key=lambda t: t[:3],
    )
    chapters: dict[str, list[Cell]] = {chapter: [] for chapter in rendering.chapters()}
    for *_, cell in ordered:
        chapters.setdefault(cell.chapter, []).append(cell)
    return {chapter: cells for chapter, cells in chapters.items() if cells}


class Stop:
    """Ctrl-C for the worker threads, which never see it: kill their kernels (ours, by process), start no other."""

    def __init__(self):
        self.event = threading.Event()
        self.lock = threading.Lock()
        self.kernels: set = set()

    def watch(self, k: kernel.ChapterKernel) -> None:
        with self.lock:
            self.kernels.add(k)
            stopping = self.event.is_set()
        if stopping:
            raise KeyboardInterrupt

    def forget(self, k: kernel.ChapterKernel) -> None:
        with self.lock:
            self.kernels.discard(k)

    def set(self) -> None:
        with self.lock:
            self.event.set()
            for k in self.kernels:
                process = getattr(getattr(k.client.km, "provisioner", None), "process", None)
                # A kernel runs in a session of its own, so Ctrl-C never reached it; an interrupt could
                # land between two cells and be ignored, a killed kernel runs nothing more. The worker's
                # nbclient sees it dead and ChapterKernel's exit still cleans up.
                if process is not None:
                    with contextlib.suppress(OSError):
                        process.kill()


def run_chapter(cells: list[Cell], stop: Stop, deck_dir: Path) -> tuple[list[dict], dict]:
    """Run the companion cells in a fresh kernel in an empty folder; one record per cell, and the files read.
    The deck's code folders stay on its path, as the learner's `pip install -e .` puts them."""
    with (
        tempfile.TemporaryDirectory(prefix="deck-companion-") as folder,
        kernel.starting(kernel.ChapterKernel(Path(folder), deck_dir=deck_dir), cells) as k,
    ):
        stop.watch(k)
        try:
            return run_cells(k, cells, stop)
        finally:
            stop.forget(k)


def run_cells(k: kernel.ChapterKernel, cells: list[Cell], stop: Stop) -> tuple[list[dict], dict]:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError

    runs: list[dict] = []
    k.execute(FRESH, 30)
    k.execute(SETUP, 30)
    for cell in cells:
        if stop.event.is_set():
            raise KeyboardInterrupt
        if runs and runs[-1].get("timeout"):
            runs.append({"skipped": True})  # the kernel is still busy with the cell before
            continue
        error, timed_out = None, False
        try:
            done = k.execute(cell.code, cell.timeout)
        except CellTimeoutError:
            done, timed_out = k.nb.cells[-1], True
        except CellExecutionError as e:
            if e.ename == "KeyboardInterrupt" or stop.event.is_set():
                raise KeyboardInterrupt from None
            done = k.nb.cells[-1]
            tb = [o for o in done.outputs if o.get("output_type") == "error"]
            line = kernel.failing_line(tb[0].get("traceback", []) if tb else [], done.get("execution_count"))
            error = {"ename": e.ename, "evalue": e.evalue, "line": line}
        result = kernel.result_of([o for o in done.outputs if o.get("output_type") != "error"])
        runs.append({"result": result.to_json(), "error": error, "timeout": timed_out})
    busy = runs and (runs[-1].get("timeout") or runs[-1].get("skipped"))
    deps = {"modules": [], "reads": []} if busy else k.dependencies()
    return runs, deps


def key(cells: list[Cell], cfg: config.Config) -> dict:
    return {
        "cells": cache.digest([(c.kind, c.code, c.timeout) for c in cells]),
        "setup": cache.digest([kernel.SETUP, FRESH, SETUP]),
        **cache.surroundings(cfg),
    }


class Runs:
    """One build's companion runs: each chapter's from the cache, or started at once in worker threads.

    The chapters that must run run schedule.workers() at a time (DECKBUILD_JOBS, else one per core), each in a kernel of its own, beside the chapters'
    own runs: they need nothing from them until they are judged.
    """

    def __init__(self, plans: dict[str, list[Cell]], opts):
        self.plans, self.opts = plans, opts
        self.store = cache.Cache(opts.out / ".cache" / "companion")
        self.done: dict[str, list[dict]] = {}
        self.keys: dict[str, dict] = {}
        for chapter, cells in plans.items():
            k = key(cells, config.for_deck(opts.deck.parent))
            payload, reason = (None, "forced") if opts.force else self.store.lookup(chapter, k)
            if payload is None:
                self.keys[chapter] = k
                opts.log(
                    f"companion {chapter}: running the shown code alone, {len(cells)} cell(s) ({reason})"
                )
            else:
                opts.log(f"companion {chapter}: verdict from cache")
                self.done[chapter] = payload["runs"]
        self.stop = Stop()
        self.started = time.monotonic()
        self.pool = ThreadPoolExecutor(max_workers=max(1, min(schedule.workers(), len(self.keys))))
        self.futures = {
            chapter: self.pool.submit(run_chapter, plans[chapter], self.stop, opts.deck.parent)
            for chapter in self.keys
        }

    def results(self) -> dict[str, list[dict]]:
        """Every chapter's runs, waiting for those still running; each stored in the cache when done."""
        for chapter, future in self.futures.items():
            if chapter not in self.done:
                self.done[chapter], deps = future.result()
                self.opts.log(f"companion {chapter}: done after {time.monotonic() - self.started:.1f}s")
                self.store.store(
                    chapter, self.keys[chapter], cache.dependencies(**deps), {"runs": self.done[chapter]}
                )
        return self.done


@contextmanager
def running(rendering, opts):
    """`with running(...) as runs`: the companion runs go on while the build runs its chapters; on an error or
    Ctrl-C inside the block their kernels are killed, and none outlives it. None when the check is off."""
    if opts.companion == "off":
        yield None
        return
    runs = Runs(plan(rendering), opts)
    try:
        yield runs
    except BaseException:
        runs.stop.set()
        raise
    finally:
        runs.pool.shutdown(wait=True, cancel_futures=True)


def slide_of(where: Where, origins) -> int | None:
    """The slide a template line is on: the last slide starting at or before it in the same file."""
    starts = [o.slide for o in origins if o.file == where.file and o.line <= (where.line or 0)]
    return max(starts, default=None)


def hidden_note(cell: Cell, rendering) -> str:
    left_out = [
        str(c.where.line)
        for c in rendering.cells
        if c.kind == "snippet" and c.chapter == cell.chapter and not (c.echo or c.companion)
        if c.position < cell.position
    ]
    if not left_out:
        return "in a fresh Python, without the build's seed and set-up"
    lines = ", ".join(left_out[:3]) + (f" and {len(left_out) - 3} more" if len(left_out) > 3 else "")
    return f"without the hidden cell{'s' if len(left_out) > 1 else ''} at line {lines}"


def findings(
    cells: list[Cell], runs: list[dict], results: dict[int, CellResult], rendering
) -> list[CompanionError]:
    """Every companion cell that raised, timed out, or printed other than its slide, in slide order."""
    found = []
    for cell, run in zip(cells, runs, strict=True):
        if run.get("skipped"):
            break
        where = Where(cell.where.file, cell.where.line, cell.where.slide)
        if where.slide is None:
            where.slide = slide_of(where, rendering.origins)
        note = hidden_note(cell, rendering)
        if run["timeout"]:
            message = f"{note}, this {what(cell)} ran past its {cell.timeout:g} s timeout"
            found.append(CompanionError(PREFIX + message, where))
        elif run["error"]:
            err = run["error"]
            located = kernel.snippet_error(cell, f"raised {err['ename']}: {err['evalue']}", err["line"])
            located.where.slide = where.slide
            found.append(
                CompanionError(f"{PREFIX}{note}, this {what(cell)} {located.message}", located.where)
            )
        elif cell.kind == "snippet" and cell.show_output:
            slide_text, alone = results[cell.position].text, run["result"]["text"]
            if not same_output(slide_text, alone, cell.measured):  # a measurement's numbers never agree
                if cell.measured:
                    slide_text, alone = number_blind(slide_text), number_blind(alone)
                measured = " besides its numbers (a measured cell)" if cell.measured else ""
                found.append(
                    CompanionError(
                        f"{PREFIX}{note}, this cell prints something else{measured}",
                        where,
                        diff(slide_text, alone, ("the slide", "the shown code alone")),
                    )
                )
    return found


def what(cell: Cell) -> str:
    return "source() block" if cell.kind == "source" else "cell"


def notebook(cells: list[Cell], runs: list[dict], rendering, ok: bool, headings: list[str]) -> dict:
    """The chapter's companion notebook (nbformat v4): a heading per slide, then its code and outputs."""
    nb_cells = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": INTRO.format(chapter=cells[0].chapter) + VERDICT[ok],
        },
        code_cell(SETUP.rstrip("\n"), 1, []),
    ]
    count, slide = 1, None
    for cell, run in zip(cells, runs, strict=True):
        at = cell.where.slide or slide_of(cell.where, rendering.origins)
        if at is not None and at != slide:
            slide = at
            title = headings[at - 1] if at <= len(headings) else ""
            heading = f"### {title}（スライド {at}）" if title else f"### スライド {at}"
            nb_cells.append({"cell_type": "markdown", "metadata": {}, "source": heading})
        if run.get("skipped"):
            nb_cells.append(code_cell(cell.code.rstrip("\n"), None, []))
            continue
        count += 1
        outputs = [dict(o) for o in run["result"]["nb_outputs"]]
        for out in outputs:
            if out["output_type"] in ("execute_result", "display_data"):
                out["metadata"] = {}  # required by the schema; the kernel's was dropped as noise
            if out["output_type"] == "execute_result":
                out["execution_count"] = count
        if run["error"]:
            err = run["error"]
            ename, evalue = err["ename"], err["evalue"]
            outputs.append(
                {
                    "output_type": "error",
                    "ename": ename,
                    "evalue": evalue,
                    "traceback": [f"{ename}: {evalue}"],
                }
            )
        nb_cells.append(code_cell(cell.code.rstrip("\n"), count, outputs))
    nb = notebook_of(nb_cells)
    return nb


def check(rendering, results: dict[int, CellResult], runs: Runs | None):
    """Judge every chapter's companion run by the mode, and return what makes the notebooks to publish (a
    function: they are written after deck.md is handed to marp-cli, which does not need them).

    strict: the first companion cell, in deck order, that raised or printed other than its slide fails the
    build (CompanionError); warn: each is logged as one warning line; off (runs is None): nothing is published.
    """
    if runs is None:
        return dict
    plans, opts, done = runs.plans, runs.opts, runs.results()
    found = {chapter: findings(cells, done[chapter], results, rendering) for chapter, cells in plans.items()}
    problems = [p for chapter in plans for p in found[chapter]]
    if problems and opts.companion == "strict":
        first = problems[0]
        if len(problems) > 1:
            first.detail = (
                first.detail + "\n" if first.detail else ""
            ) + f"({len(problems) - 1} more after it)"
        raise first
    for problem in problems:
        opts.log("warning: " + problem.headline().removeprefix("error: "))
    return lambda: notebooks(rendering, plans, done, found, opts)


def notebooks(rendering, plans: dict, done: dict, found: dict, opts) -> dict[str, str]:
    """Each chapter's companion notebook as text, validated when it differs from the published one."""
    texts = {}
    headings = slides.headings(rendering.text)  # one parse for every chapter's notebook
    for chapter, cells in plans.items():
        nb = notebook(cells, done[chapter], rendering, not found[chapter], headings)
        name = f"{chapter}.ipynb"
        texts[name] = writes(nb)
        published = opts.out / "notebooks" / name
        # validated when it was first published; importing nbformat and validating costs a warm build dearly
        if not published.is_file() or published.read_text(encoding="utf-8") != texts[name]:
            validate(nb)
    return texts


def write(stage: Path, notebooks: dict[str, str]) -> None:
    """Publish the notebooks as stage/notebooks/<chapter>.ipynb."""
    if notebooks:
        (stage / "notebooks").mkdir()
        for name, text in notebooks.items():
            (stage / "notebooks" / name).write_text(text, encoding="utf-8")
