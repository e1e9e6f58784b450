"""The build, step by step: render → figures → run cells (cached) → verify → fill in → lint → publish."""

import contextlib
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import (
    ROOT,
    cache,
    companion,
    config,
    figures,
    headstart,
    kernel,
    lint,
    marp,
    notebook,
    progress,
    publish,
    schedule,
    snapshots,
    sourcemap,
    templates,
)
from .cells import CELL_PLACEHOLDER, Cell, CellResult
from .compare import diff, matches
from .errors import DeckError, ExpectationError
from .tags import of as tag_of


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Options:
    deck: Path = ROOT / "slides" / "deck.md.j2"
    out: Path = ROOT / "_build"
    figures_src: Path | None = None  # None: the deck's configuration says (config.figures)
    accept: bool = False
    html: bool = True
    force: bool = False
    companion: str = "strict"  # the self-sufficiency check: strict, warn or off (companion.py)
    log: object = stderr_log


@dataclass
class Report:
    written: list[Path] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)


def chapter_key(cells: list[Cell], cfg: config.Config) -> dict:
    return {
        "snippets": cache.digest([(c.kind, c.code) for c in cells]),
        "setup": cache.digest(kernel.SETUP),
        **cache.surroundings(cfg, more_code=(cfg.helpers,)),  # value()/table() see the helper module too
    }


RESULT_FIELDS = {"text": str, "chars": int, "lines": int, "digest": str, "nb_outputs": list}


def results_check(cells: list[Cell]):
    """A cached chapter's payload must hold one well-formed result per cell, or it is not used."""

    def check(payload: dict) -> None:
        results = payload["results"]
        if not isinstance(results, list) or len(results) != len(cells):
            raise ValueError(f"{len(cells)} results expected")
        for r in results:
            if set(r) != set(RESULT_FIELDS) or not all(isinstance(r[k], t) for k, t in RESULT_FIELDS.items()):
                raise ValueError("a result of the wrong shape")

    return check


def execute(
    rendering: templates.Rendering,
    opts: Options,
    report: Report,
    figures_build: figures.FigureBuild,
    figures_src: Path,
) -> tuple[dict[str, Path], dict[int, CellResult]]:
    """Figures, and results of every cell by its position in the deck; chapters from the cache or each in a
    fresh kernel, all that must run at once on every core (schedule.py). An error is the one a
    one-at-a-time build would report: figures first, then chapters in deck order."""
    chapter_cache = cache.Cache(opts.out / ".cache" / "chapters")
    durations = schedule.Durations(opts.out / ".cache" / "durations.json")
    chapters = rendering.chapters()
    order = {chapter: len(figures_build.scripts) + n for n, chapter in enumerate(chapters)}
    outs: dict[str, list[CellResult]] = {}
    early: dict[int, Exception] = {}  # a cached chapter whose outputs no longer match the deck
    jobs = figures_build.jobs(durations)
    seconds: dict[str, float] = {}
    bar = progress.Progress(opts.log, tty=sys.stderr.isatty() and opts.log is stderr_log)
    figures_build.log = bar.log
    cfg = config.for_deck(opts.deck.parent)
    for chapter, cells in chapters.items():
        key = chapter_key(cells, cfg)
        payload, reason = (
            (None, "forced") if opts.force else chapter_cache.lookup(chapter, key, results_check(cells))
        )
        if payload is not None:
            outs[chapter] = [CellResult.from_json(r) for r in payload["results"]]
            opts.log(f"chapter {chapter}: {len(cells)} cell(s) from cache")
            try:
                verify_all(cells, outs[chapter])
            except DeckError as e:
                early[order[chapter]] = e
            continue

        def work(slot, chapter=chapter, cells=cells, key=key, reason=reason):
            ran, deps = kernel.run_chapter(cells, opts.deck.parent, bar.log, slot)
            seconds[f"chapter {chapter}"] = time.monotonic() - slot.began  # its kernel started before
            bar.log(f"chapter {chapter}: ran in {seconds[f'chapter {chapter}']:.1f}s")
            chapter_cache.store(
                chapter, key, cache.dependencies(**deps), {"results": [r.to_json() for r in ran]}
            )
            verify_all(cells, ran)  # a mismatch cancels the chapters after this one
            return ran

        estimate = durations.get(f"chapter {chapter}", 1.0 + len(cells))
        announce = f"chapter {chapter}: running {len(cells)} cell(s) ({reason})"
        jobs.append(schedule.Job(f"chapter {chapter}", order[chapter], estimate, work, announce))
    stop_at = min(early, default=None)
    jobs = [j for j in jobs if stop_at is None or j.order < stop_at]
    workers = schedule.workers()
    with bar, schedule.one_blas_thread(), schedule.memo_environment(opts.out / ".cache", cfg):
        scheduler = schedule.Scheduler(jobs, workers, bar)
        done = scheduler.run()
    durations.save({**seconds, **figures_build.seconds})
    failure = scheduler.failure()
    failures = {**early, **dict([failure] if failure else [])}
    first = min(failures, default=None)
    if first is not None and first < len(figures_build.scripts):
        raise failures[first]
    produced = figures_build.produced(done)
    figures.check_refs(rendering.figures, produced, figures_src)
    if first is not None:
        raise failures[first]
    results: dict[int, CellResult] = {}
    for chapter, cells in chapters.items():
        if f"chapter {chapter}" in done:
            outs[chapter] = done[f"chapter {chapter}"]
            report.ran.append(chapter)
        else:
            report.cached.append(chapter)
        for cell, result in zip(cells, outs[chapter], strict=True):
            results[cell.position] = result
    return produced, results


def verify_all(cells: list[Cell], outs: list[CellResult]) -> None:
    for cell, result in zip(cells, outs, strict=True):
        verify(cell, result)


def verify(cell: Cell, result: CellResult) -> None:
    exp = cell.expectation
    if exp is not None and not matches(exp.text, result.text, exp.rtol):
        raise ExpectationError(
            f"output differs from the expected output written in the deck (rtol {exp.rtol:g})",
            exp.where,
            diff(exp.text, result.text),
        )
    tag_of(cell).verify(cell, result)


def filled(cell: Cell, result: CellResult) -> str:
    return tag_of(cell).fill(cell, result)


def fill(text: str, cells: list[Cell], results: dict[int, CellResult], snippets_too: bool = True) -> str:
    """Every placeholder replaced in one pass: text a cell put in is never searched for placeholders again."""
    texts = {
        cell.position: filled(cell, results[cell.position])
        for cell in cells
        if snippets_too or not cell.in_notebook
    }
    if not texts:
        return text
    return CELL_PLACEHOLDER.sub(lambda m: texts.get(int(m.group(1)), m.group(0)), text)


def accounted_code(rendering: templates.Rendering) -> set[str]:
    blocks = rendering.shown_code + [c.code for c in rendering.cells if c.kind == "snippet"]
    return {b if b.endswith("\n") else b + "\n" for b in blocks}


def check_snapshots(
    rendering: templates.Rendering, results: dict[int, CellResult], opts: Options
) -> list[Path]:
    by_chapter = {
        chapter: (cells, [results[c.position] for c in cells])
        for chapter, cells in rendering.chapters().items()
    }
    if opts.accept:
        return snapshots.accept(opts.deck, by_chapter)
    for chapter, (cells, outs) in by_chapter.items():
        snapshots.check(opts.deck, chapter, cells, outs)
    return []


def lint_once(
    markdown: str, stage: Path, opts: Options, rendering: templates.Rendering, theme_dir: Path
) -> None:
    """The lint, unless this very Markdown passed it with the same shown code, images, themes and rules (a
    whole parse of deck.md is most of a build that changed nothing). A failure is never remembered."""
    accounted = accounted_code(rendering)
    figures_dir = stage / "figures"
    key = {
        "markdown": cache.digest(markdown),
        "code": cache.digest(sorted(accounted)),
        "images": sorted(p.name for p in figures_dir.iterdir()) if figures_dir.is_dir() else [],
        "themes": cache.digest(
            {p.name: p.read_text(encoding="utf-8") for p in sorted(theme_dir.glob("*.css"))}
        ),
        "rules": cache.file_sha256(Path(lint.__file__)),
    }
    lint_cache = cache.Cache(opts.out / ".cache" / "lint")
    if not opts.force and lint_cache.lookup("deck.md", key)[0] is not None:
        return
    lint.lint(markdown, stage, opts.deck.parent, accounted, str(opts.out / "deck.md"))
    lint_cache.store("deck.md", key, {}, {"passed": True})


def notes_key(markdown: str, opts: Options, marp_cache: cache.Cache) -> dict:
    """marp.notes_key (each slide's comments: a whole parse of deck.md), remembered for this very Markdown."""
    by_text = {"markdown": cache.digest(markdown), "marp-cli": marp.version()}
    known, _ = (None, "") if opts.force else marp_cache.lookup("notes-key", by_text)
    if known is not None:
        return known["key"]
    key = marp.notes_key(markdown)
    marp_cache.store("notes-key", by_text, {}, {"key": key})
    return key


def start_marp(
    name: str,
    markdown: str,
    theme_dir: Path,
    opts: Options,
    stage: Path,
    marp_cache: cache.Cache,
    early: marp.Render | None = None,
) -> list[tuple[marp.Render, dict]]:
    """Start marp-cli for deck.html or the presenter notes when what it depends on changed (the render and
    its cache key); otherwise copy the published file, still right, into stage and start nothing."""
    notes = name == "deck.notes.txt"
    key = notes_key(markdown, opts, marp_cache) if notes else marp.html_key(markdown, theme_dir)
    payload, _ = (None, "") if opts.force else marp_cache.lookup(name, key)
    published = opts.out / name
    if payload and published.is_file() and cache.file_sha256(published) == payload["sha256"]:
        shutil.copy2(published, stage / name)
        if early is not None:
            early.stop()  # the guess was wrong: free the core
        opts.log(f"marp: {name} is still right for deck.md, themes and marp-cli; kept it")
        return []
    if early is not None:
        early.feed(stage / "deck.md", markdown)
        return [(early, key)]
    source = stage / "deck.md"
    if notes:
        source = marp_cache.folder / "notes.md"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(marp.notes_source(markdown), encoding="utf-8")
    flags = ("--notes",) if notes else ()
    return [(marp.Render(source, stage / name, theme_dir, *flags), key)]


def figures_folder(opts: Options, cfg: config.Config) -> Path:
    """--figures-src, else the configuration's figures folder, else figures_src/ beside the deck."""
    return opts.figures_src or cfg.figures or opts.deck.parent / "figures_src"


def write_notebook(
    rendering: templates.Rendering, results: dict[int, CellResult], opts: Options, stage: Path
) -> None:
    """deck.ipynb into stage: the published one when what it is made of has not changed (building and
    validating it costs as much as the rest of a build that changed nothing)."""
    partly = fill(rendering.text, rendering.cells, results, snippets_too=False)
    key = {
        "text": cache.digest(partly),
        "outputs": cache.digest([results[c.position].nb_outputs for c in rendering.cells if c.in_notebook]),
        "cells": cache.digest([c.code for c in rendering.cells if c.in_notebook]),  # same output, new code
        "code": cache.file_sha256(Path(notebook.__file__)),
        "setup": cache.digest(kernel.SETUP),
    }
    nb_cache = cache.Cache(opts.out / ".cache" / "notebook")
    payload, _ = (None, "") if opts.force else nb_cache.lookup("deck.ipynb", key)
    published = opts.out / "deck.ipynb"
    if payload and published.is_file() and cache.file_sha256(published) == payload["sha256"]:
        shutil.copy2(published, stage / "deck.ipynb")
        return
    nb = notebook.document(partly, rendering.cells, results)
    # Markdown text cannot break the schema: a notebook shaped like one validated before is valid too
    shape = {"cells": cache.digest(skeleton(nb)), "code": key["code"]}
    if opts.force or nb_cache.lookup("shape", shape)[0] is None:
        notebook.validate(nb)
        nb_cache.store("shape", shape, {}, {"validated": True})
    (stage / "deck.ipynb").write_text(notebook.writes(nb), encoding="utf-8")
    nb_cache.store("deck.ipynb", key, {}, {"sha256": cache.file_sha256(stage / "deck.ipynb")})


def skeleton(nb: dict) -> dict:
    """The notebook with its Markdown text left out."""
    cells = [{**c, "source": ""} if c["cell_type"] == "markdown" else c for c in nb["cells"]]
    return {**nb, "cells": cells}


UNTRIED = object()  # build's `started` when its caller did not try to start marp-cli


def build(opts: Options, started=UNTRIED) -> Report:
    """Build the deck into opts.out; on any error nothing in opts.out changes. `started`: the marp-cli that
    build.py started for deck.html before it imported the engine (headstart.start), or None when it started
    none; its caller stops it."""
    report = Report()
    opts.deck = opts.deck.resolve()
    cfg = config.for_deck(opts.deck.parent)
    figures_src = figures_folder(opts, cfg)
    theme_dir = cfg.theme_dir(opts.deck.parent)
    built_before = (opts.out / publish.MANIFEST).is_file()  # a folder a build already published to
    with contextlib.ExitStack() as stack:
        # node and marp-cli take longer to start than this process takes to fill the Markdown in: in a
        # folder built before (nothing to create), they start before anything else of an edit's build
        args = (opts.deck, opts.out, theme_dir, opts.html, opts.force, stack)
        if started is UNTRIED:
            started = headstart.start(*args) if built_before else None
        # What can fail without writing comes first: a clash or a bad deck creates no output folder.
        publish.apart(opts.out.resolve(), opts.deck.parent)
        publish.claim(opts.out, publish.deck_names(opts.html))  # a clash fails before any work
        # compiled templates and source() texts are cached only in a folder a build already published to
        jinja_cache = opts.out / ".cache" / "jinja" if built_before else None
        source_cache = opts.out / ".cache" / "source" if built_before else None
        rendering = templates.render(opts.deck, cfg.code_dirs, jinja_cache, source_cache)
        if opts.html:
            marp.command()  # fail before the long part when node or marp-cli is missing
        stack.enter_context(publish.exclusive(opts.out))
        if not built_before:
            started = headstart.start(*args)
        figures_build = figures.FigureBuild(figures_src, opts.out / ".cache", opts.log, opts.force, cfg)
        for cell in rendering.cells:
            kernel.precheck(cell)  # a syntax error is reported before any kernel starts, the companion's too
        with companion.running(rendering, opts) as runs:  # the companion kernels run beside the chapters'
            produced, results = execute(rendering, opts, report, figures_build, figures_src)
            notebooks = companion.check(rendering, results, runs)  # judged now, written after marp-cli starts
        recorded = check_snapshots(rendering, results, opts)
        markdown = fill(rendering.text, rendering.cells, results)
        with publish.staging(opts.out) as stage:
            if rendering.figures:
                (stage / "figures").mkdir()
                for name in sorted({ref.name for ref in rendering.figures}):
                    shutil.copy2(produced[name], stage / "figures" / name)
            (stage / "deck.md").write_text(markdown, encoding="utf-8")
            (stage / "deck.map.json").write_text(sourcemap.dump(rendering.origins), encoding="utf-8")
            renders = []
            marp_cache = cache.Cache(opts.out / ".cache" / "marp")
            try:
                if opts.html:  # marp-cli takes longest: start it first, stop it if the lint fails
                    renders += start_marp("deck.html", markdown, theme_dir, opts, stage, marp_cache, started)
                lint_once(markdown, stage, opts, rendering, theme_dir)
                if opts.html:
                    renders += start_marp("deck.notes.txt", markdown, theme_dir, opts, stage, marp_cache)
                write_notebook(rendering, results, opts, stage)
                companion.write(stage, notebooks())
                for render, key in renders:
                    render.wait()
                    if render is started:  # it wrote beside the cache: into stage with the others
                        os.replace(render.target, stage / "deck.html")
                        render.target = stage / "deck.html"
                    marp_cache.store(
                        render.target.name, key, {}, {"sha256": cache.file_sha256(render.target)}
                    )
            finally:
                for render, _ in renders:
                    render.stop()
            report.written = publish.swap_in(stage, opts.out)
    report.written += recorded
    return report


def build_figures(opts: Options) -> Report:
    """`make figures`: regenerate every figure and publish all of them to opts.out/figures."""
    report = Report()
    cfg = config.for_deck(opts.deck.resolve().parent)
    publish.claim(opts.out, publish.FIGURES)
    with publish.exclusive(opts.out):
        produced = figures.build_all(figures_folder(opts, cfg), opts.out / ".cache", opts.log, True, cfg)
        with publish.staging(opts.out) as stage:
            (stage / "figures").mkdir()
            for name, path in sorted(produced.items()):
                shutil.copy2(path, stage / "figures" / name)
            report.written = publish.swap_in(stage, opts.out)
    return report
