"""The build, step by step: render → figures → run cells (cached) → verify → fill in → lint → publish."""

import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import ROOT, cache, figures, kernel, lint, marp, notebook, publish, snapshots, sourcemap, templates
from .cells import Cell, CellResult
from .compare import diff, matches
from .errors import ExpectationError, SnippetError
from .slides import fence

MAX_LINES = 40  # lines of output shown on a slide before it is cut
MAX_CHARS = 4000


def stderr_log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Options:
    deck: Path = ROOT / "slides" / "deck.md.j2"
    out: Path = ROOT / "_build"
    code_dir: Path = ROOT / "code"
    figures_src: Path = ROOT / "figures_src"
    accept: bool = False
    html: bool = True
    force: bool = False
    log: object = stderr_log


@dataclass
class Report:
    written: list[Path] = field(default_factory=list)
    ran: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)


def chapter_key(cells: list[Cell]) -> dict:
    return {
        "snippets": cache.digest([(c.kind, c.code) for c in cells]),
        "setup": cache.digest(kernel.SETUP),
        "versions": cache.versions(),
        "settings": cache.settings(),
    }


def execute(rendering: templates.Rendering, opts: Options, report: Report) -> dict[int, CellResult]:
    """Results of every cell, by its position in the deck; each chapter from the cache or a fresh kernel."""
    chapter_cache = cache.Cache(opts.out / ".cache" / "chapters")
    results: dict[int, CellResult] = {}
    for chapter, cells in rendering.chapters().items():
        key = chapter_key(cells)
        payload, reason = (None, "forced") if opts.force else chapter_cache.lookup(chapter, key)
        if payload is not None:
            outs = [CellResult.from_json(r) for r in payload["results"]]
            opts.log(f"chapter {chapter}: {len(cells)} cell(s) from cache")
            report.cached.append(chapter)
        else:
            for cell in cells:
                kernel.precheck(cell)
            opts.log(f"chapter {chapter}: running {len(cells)} cell(s) ({reason})")
            started = time.monotonic()
            outs, deps = kernel.run_chapter(cells, opts.deck.parent, opts.log)
            opts.log(f"chapter {chapter}: ran in {time.monotonic() - started:.1f}s")
            chapter_cache.store(
                chapter, key, cache.dependencies(**deps), {"results": [r.to_json() for r in outs]}
            )
            report.ran.append(chapter)
        for cell, result in zip(cells, outs, strict=True):
            verify(cell, result)
            results[cell.position] = result
    return results


def verify(cell: Cell, result: CellResult) -> None:
    exp = cell.expectation
    if exp is not None and not matches(exp.text, result.text, exp.rtol):
        raise ExpectationError(
            f"output differs from the expected output written in the deck (rtol {exp.rtol:g})",
            exp.where,
            diff(exp.text, result.text),
        )
    if cell.kind == "value" and "\n" in result.text:
        raise SnippetError("value() must give one line of text; use table() for several", cell.where)


def shown_output(result: CellResult) -> str:
    """The output as a slide shows it: cut after MAX_LINES lines or MAX_CHARS characters, with a visible note."""
    shown = "\n".join(result.text.splitlines()[:MAX_LINES])[:MAX_CHARS]
    if len(shown) < result.chars:
        kept = shown.count("\n") + 1
        shown += (
            f"\n… 出力が長いため省略（全 {result.lines:,} 行・{result.chars:,} 文字のうち {kept} 行を表示）"
        )
    return shown


def filled(cell: Cell, result: CellResult) -> str:
    if cell.kind in ("value", "table"):
        return result.text
    parts = []
    if cell.echo:
        parts.append(fence(cell.code, "python"))
    if cell.show_output and result.text:
        parts.append(fence(shown_output(result), "text"))
    return "\n".join(parts).rstrip("\n")


def fill(text: str, cells: list[Cell], results: dict[int, CellResult], snippets_too: bool = True) -> str:
    for cell in cells:
        if snippets_too or not cell.in_notebook:
            text = text.replace(cell.placeholder, filled(cell, results[cell.position]))
    return text


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


def start_marp(
    name: str, markdown: str, theme_dir: Path, opts: Options, stage: Path, marp_cache: cache.Cache
) -> list[tuple[marp.Render, dict]]:
    """Start marp-cli for deck.html or the presenter notes when what it depends on changed (the render and
    its cache key); otherwise copy the published file, still right, into stage and start nothing."""
    notes = name == "deck.notes.txt"
    key = marp.notes_key(markdown) if notes else marp.html_key(markdown, theme_dir)
    payload, _ = (None, "") if opts.force else marp_cache.lookup(name, key)
    published = opts.out / name
    if payload and published.is_file() and cache.file_sha256(published) == payload["sha256"]:
        shutil.copy2(published, stage / name)
        opts.log(f"marp: {name} is still right for deck.md, themes and marp-cli; kept it")
        return []
    source = stage / "deck.md"
    if notes:
        source = marp_cache.folder / "notes.md"
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(marp.notes_source(markdown), encoding="utf-8")
    flags = ("--notes",) if notes else ()
    return [(marp.Render(source, stage / name, theme_dir, *flags), key)]


PUBLISHES = {"deck.md", "deck.map.json", "deck.ipynb", "figures"}
PUBLISHES_HTML = {"deck.html", "deck.notes.txt"}


def publishes(opts: Options) -> set[str]:
    """The names a build publishes into opts.out, claimed before any work so that a clash fails at once."""
    return PUBLISHES | (PUBLISHES_HTML if opts.html else set())


def build(opts: Options) -> Report:
    """Build the deck into opts.out; on any error nothing in opts.out changes."""
    report = Report()
    opts.deck = opts.deck.resolve()
    # What can fail without writing comes first: a bad deck or a clash creates no output folder.
    rendering = templates.render(opts.deck, opts.code_dir)
    publish.apart(opts.out.resolve(), opts.deck.parent)
    publish.claim(opts.out, publishes(opts))
    if opts.html:
        marp.command()  # fail before the long part when node or marp-cli is missing
    with publish.exclusive(opts.out):
        produced = figures.build_all(opts.figures_src, opts.out / ".cache", opts.log, force=opts.force)
        figures.check_refs(rendering.figures, produced, opts.figures_src)
        results = execute(rendering, opts, report)
        recorded = check_snapshots(rendering, results, opts)
        markdown = fill(rendering.text, rendering.cells, results)
        theme_dir = opts.deck.parent / "themes"
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
                    renders += start_marp("deck.html", markdown, theme_dir, opts, stage, marp_cache)
                lint.lint(
                    markdown, stage, opts.deck.parent, accounted_code(rendering), str(opts.out / "deck.md")
                )
                if opts.html:
                    renders += start_marp("deck.notes.txt", markdown, theme_dir, opts, stage, marp_cache)
                partly = fill(rendering.text, rendering.cells, results, snippets_too=False)
                nb = notebook.build(partly, rendering.cells, results)
                (stage / "deck.ipynb").write_text(nb, encoding="utf-8")
                for render, key in renders:
                    render.wait()
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
    publish.claim(opts.out, {"figures"})
    with publish.exclusive(opts.out):
        produced = figures.build_all(opts.figures_src, opts.out / ".cache", opts.log, force=True)
        with publish.staging(opts.out) as stage:
            (stage / "figures").mkdir()
            for name, path in sorted(produced.items()):
                shutil.copy2(path, stage / "figures" / name)
            report.written = publish.swap_in(stage, opts.out)
    return report
