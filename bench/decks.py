"""`make bench`: how long builds take, next to marp-cli alone rendering the same Markdown.

Works on a copy of slides/, code/ and figures_src/ in a temporary folder, so the edits it makes
(a heading's words, a new slide, a comment in code/zerodl/gates.py) never touch the checkout. Then zerodl's training
speed against plain float64 baselines: chapter 4's 2-layer net (bench/training.py) and chapter 6's CNN
(bench/cnn_training.py).
Usage: python -m bench.decks [--repeat N] [--edits-only] [--grow]  (from the project folder; `make bench` runs it)
--grow adds to the copy one more chapter, a copy of the last one, to see a longer deck's times before writing it.
"""

import argparse
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench import cnn_training, training
from deckbuild import ROOT, browser, figures, kernel, marp, schedule, templates
from deckbuild.command import build_command
from deckbuild.errors import ToolError
from deckbuild.marp import command

LIMITS = {"nothing": 0.3, "prose": 1.2}  # × marp-cli alone, for builds that run no snippet
COLD_LIMIT = 1.1  # a cold one-at-a-time build, × the same work done by the raw tools one after another


def timed(cmd: list[str], env: dict | None = None, cwd: Path | None = None) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"bench: command failed: {' '.join(cmd)}\n{proc.stderr}")
    return seconds, proc.stderr


def ran(stderr: str) -> list[str]:
    return re.findall(r"^chapter (\S+): running", stderr, re.MULTILINE)


def main() -> int:
    parser = argparse.ArgumentParser(description="Measure the deck's builds against marp-cli alone.")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement (the median is shown)")
    parser.add_argument(
        "--edits-only",
        action="store_true",
        help="only the builds that run no snippet (nothing changed, a prose-only edit) against marp-cli alone",
    )
    parser.add_argument(
        "--grow",
        action="store_true",
        help="measure a deck one chapter longer: the copy gets its last chapter twice (labels renamed, snapshots copied)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="deck-bench-"))
    try:
        for folder in ("slides", "code", "figures_src"):
            shutil.copytree(ROOT / folder, work / folder, ignore=shutil.ignore_patterns("__pycache__"))
        # the copy's own [tool.deckbuild]: its code/ comes first on the kernel's and the figure scripts' path
        shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
        if args.grow:
            grow(work / "slides")
        out = work / "_build"
        env = dict(os.environ)
        build = build_command(work / "slides" / "deck.md.j2", out)
        rows = []

        if args.edits_only:
            timed(build, env)  # the cold build the edits start from, not measured
        else:
            serial, log = timed([*build, "-o", str(work / "_serial")], {**env, "DECKBUILD_JOBS": "1"})
            rows.append(("cold build, one job at a time", [serial], ran(log)))
            cold, log = timed(build, env)
            rows.append(("cold build, every core", [cold], ran(log)))
            raw = raw_tools(work, out, env)

        marp = [*command(), "--no-stdin", "--html", "--theme-set", str(work / "slides" / "themes")]
        marp += ["-o", str(work / "marp-alone.html"), str(out / "deck.md")]
        # marp-cli alone is timed just before each build it is compared with, so that a change in the
        # machine's load hits both sides of the ratio alike (on a shared machine it swings by 20 %)
        alone, warm = [], []
        for _ in range(args.repeat):
            alone.append(timed(marp, cwd=out)[0])
            warm.append(timed(build, env))
        rows.append(
            (
                "second build, nothing changed",
                [s for s, _ in warm],
                sorted({c for _, e in warm for c in ran(e)}),
            )
        )

        chapter = sorted((work / "slides").glob("ch1_*.md.j2"))[0]
        prose = []
        # words changed in a slide: deck.html is rendered again, the notes are not
        for n in range(args.repeat):
            alone.append(timed(marp, cwd=out)[0])
            text = chapter.read_text(encoding="utf-8")
            chapter.write_text(text.replace("\n## ", f"\n## 改{n} ", 1), encoding="utf-8")
            prose.append(timed(build, env))
        rows.append(("prose-only edit", [s for s, _ in prose], sorted({c for _, e in prose for c in ran(e)})))
        if args.edits_only:
            return 0 if edits(rows, statistics.median(alone)) else 1
        added = []
        for n in range(args.repeat):  # a new slide changes the notes' slide count too: both are rendered
            with chapter.open("a", encoding="utf-8") as f:
                f.write(f"\n---\n\n### 追記 {n}\n\n文章だけの変更。\n")  # a slide of its own: no overflow
            added.append(timed(build, env))
        rows.append(
            ("new slide, prose only", [s for s, _ in added], sorted({c for _, e in added for c in ran(e)}))
        )

        gates = work / "code" / "zerodl" / "gates.py"
        code = []
        for n in range(args.repeat):
            with gates.open("a", encoding="utf-8") as f:
                f.write(f"\n# bench edit {n}\n")
            code.append(timed(build, env))
        rows.append(
            (
                "edit in code/zerodl/gates.py",
                [s for s, _ in code],
                sorted({c for _, e in code for c in ran(e)}),
            )
        )

        base = statistics.median(alone)
        print(f"{'step':<34} {'median s':>9} {'× marp':>7}  chapters executed")
        print(f"{'marp-cli alone on deck.md':<34} {base:>9.2f} {1:>7.2f}  -")
        print(
            f"{'raw tools one after another':<34} {raw:>9.2f} {raw / base:>7.2f}  all (plain python, jupyter execute, marp-cli)"
        )
        for name, seconds, chapters in rows:
            m = statistics.median(seconds)
            print(f"{name:<34} {m:>9.2f} {m / base:>7.2f}  {', '.join(chapters) or 'none'}")
        verdicts = [serial / raw <= COLD_LIMIT]
        print(
            f"{'ok  ' if verdicts[-1] else 'FAIL'} cold build, one job at a time: {serial / raw:.2f}× the raw tools"
            f" (limit {COLD_LIMIT}×); every core: {cold:.1f}s, {cold / raw:.2f}× the raw tools"
        )
        verdicts.append(edits(rows[2:4], base, table=False))
        importing = sorted(
            p.name.removesuffix(".md.j2")
            for p in (work / "slides").glob("ch*.md.j2")
            if "zerodl.gates" in p.read_text()
        )
        ratio = statistics.median(rows[4][1]) / base
        print(
            f"info new slide, prose only: {ratio:.2f}× marp-cli (deck.html and the presenter notes rendered)"
        )
        verdicts.append(rows[5][2] == importing)
        print(
            f"{'ok  ' if verdicts[-1] else 'FAIL'} code edit re-ran {rows[5][2]}; chapters importing zerodl.gates: {importing}"
        )
        print()
        views(build, env, chapter, args.repeat)
        print()
        trained = trainings(args.repeat)  # run and printed even when a deck verdict failed
        return 0 if all(verdicts) and trained == 0 else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


def trainings(repeat: int) -> int:
    """Both training comparisons, one after the other (each prints its own table and verdicts); 0 if both pass."""
    codes = [training.main(["--repeat", str(repeat)])]
    print()
    codes.append(cnn_training.main(["--repeat", str(repeat)]))
    return 0 if codes == [0, 0] else 1


def grow(slides: Path) -> None:
    """Include the deck's last chapter a second time, as a chapter of its own: its labels renamed (a label is
    given once), its recorded outputs copied under its name (the same cells print the same)."""
    deck = slides / "deck.md.j2"
    text = deck.read_text(encoding="utf-8")
    last = re.findall(r'\{%\s*include\s+"([^"]+)"\s*%\}', text)[-1]
    copy = last.replace(".md.j2", "_copy.md.j2")
    chapter = (slides / last).read_text(encoding="utf-8")
    labels = re.findall(r'label\("([^"]+)"\)', chapter)
    for name in labels:
        chapter = re.sub(rf'(label|ref)\("{re.escape(name)}"', rf'\1("{name}-copy"', chapter)
    (slides / copy).write_text(chapter, encoding="utf-8")
    deck.write_text(text.rstrip("\n") + f'\n\n---\n\n{{% include "{copy}" %}}\n', encoding="utf-8")
    stem, copied = last.removesuffix(".md.j2"), copy.removesuffix(".md.j2")
    recorded = json.loads((slides / "snapshots" / f"{stem}.json").read_text(encoding="utf-8"))
    recorded["chapter"] = copied
    (slides / "snapshots" / f"{copied}.json").write_text(
        json.dumps(recorded, ensure_ascii=False), encoding="utf-8"
    )


def edits(rows: list, base: float, table: bool = True) -> bool:
    """The verdicts on the builds that run no snippet (nothing changed, a prose-only edit): × marp-cli alone."""
    if table:
        print(f"{'step':<34} {'median s':>9} {'× marp':>7}  chapters executed")
        print(f"{'marp-cli alone on deck.md':<34} {base:>9.2f} {1:>7.2f}  -")
        for name, seconds, chapters in rows:
            m = statistics.median(seconds)
            print(f"{name:<34} {m:>9.2f} {m / base:>7.2f}  {', '.join(chapters) or 'none'}")
    verdicts = []
    for (name, seconds, chapters), limit in zip(rows, LIMITS.values(), strict=True):
        ratio = statistics.median(seconds) / base
        verdicts.append(ratio <= limit and not chapters)
        print(
            f"{'ok  ' if verdicts[-1] else 'FAIL'} {name}: {ratio:.2f}× marp-cli (limit {limit}×), no snippet run"
        )
    return all(verdicts)


def raw_tools(work: Path, out: Path, env: dict) -> float:
    """Seconds the plain tools take for a cold build's work, one after another: each figure script in a
    python of its own, each chapter's cells (after the set-up cell) as a notebook run by `jupyter execute`,
    each companion notebook (the self-sufficiency check) the same way, marp-cli for deck.html and for the
    presenter notes. BLAS gets one thread, as in the build."""
    # the kernels' own environment (the deck's code folders and value()/table() helpers), one BLAS thread
    env = {**env, **kernel.kernel_env(work / "slides"), **dict.fromkeys(schedule.BLAS_THREADS, "1")}
    raw = work / "raw"
    raw.mkdir()
    seconds = 0.0
    for script in figures.scripts(work / "figures_src"):
        seconds += timed([sys.executable, str(script), str(raw)], env)[0]
    import nbformat

    rendering = templates.render(work / "slides" / "deck.md.j2", work / "code")
    jupyter = Path(sys.executable).with_name("jupyter-execute")
    for chapter, cells in rendering.chapters().items():
        codes = [kernel.SETUP, *(c.code for c in cells)]
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in codes])
        path = work / "slides" / f"raw-{chapter}.ipynb"  # beside the deck, as the build runs it
        nbformat.write(nb, path)
        seconds += timed([str(jupyter), str(path)], {**env, "MPLBACKEND": "Agg"}, cwd=path.parent)[0]
    # the self-sufficiency check's work: each chapter's companion notebook, run on its own in an empty folder
    for companion in sorted((out / "notebooks").glob("*.ipynb")):
        alone = raw / f"companion-{companion.stem}"
        alone.mkdir()
        shutil.copy2(companion, alone / companion.name)
        seconds += timed(
            [str(jupyter), str(alone / companion.name)], {**env, "MPLBACKEND": "Agg"}, cwd=alone
        )[0]
    themes = work / "slides" / "themes"
    seconds += timed(marp.arguments(out / "deck.md", raw / "deck.html", themes), cwd=out)[0]
    notes = marp.arguments(out / "deck.md", raw / "deck.notes.txt", themes, "--notes")
    seconds += timed(notes, marp.notes_env(), cwd=out)[0]
    return seconds


def watch_latency(build: list[str], env: dict, chapter: Path, repeat: int) -> list[float]:
    """Seconds from saving a prose edit to `make watch` serving the rebuilt deck."""
    proc = subprocess.Popen([*build, "--watch", "--port", "0"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        base = re.search(r"(http://127\.0\.0\.1:\d+)", proc.stderr.readline()).group(1)
        threading.Thread(target=proc.stderr.read, daemon=True).start()

        def builds() -> dict:
            with urllib.request.urlopen(base + "/__status", timeout=10) as r:
                return json.loads(r.read())

        while builds()["builds"] < 1:
            time.sleep(0.05)
        seconds = []
        for n in range(repeat):
            before = builds()["builds"]
            time.sleep(0.5)
            started = time.perf_counter()
            with chapter.open("a", encoding="utf-8") as f:
                f.write(f"\n---\n\n### watch の計測 {n}\n")
            while (state := builds())["builds"] == before:
                time.sleep(0.02)
            if not state["ok"]:
                sys.exit(f"bench: watch build failed: {state['error']}")
            seconds.append(time.perf_counter() - started)
        return seconds
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def views(build: list[str], env: dict, chapter: Path, repeat: int) -> None:
    """The deck as people see it: browser checks, PDF, slide pictures, and live preview."""
    print(f"{'looking at the deck':<38} {'median s':>9}")
    try:
        browser.find()
    except ToolError as e:
        print(f"(no browser steps: {e.message})")
    else:
        steps = [
            (
                "make check (build cached + Chromium)",
                [timed([*build, "--check"], env)[0] for _ in range(repeat)],
            ),
            ("make pdf, first time", [timed([*build, "--pdf"], env)[0]]),
            ("make pdf, nothing changed", [timed([*build, "--pdf"], env)[0] for _ in range(repeat)]),
            ("make images, first time", [timed([*build, "--images"], env)[0]]),
        ]
        for name, seconds in steps:
            print(f"{name:<38} {statistics.median(seconds):>9.2f}")
    latency = watch_latency(build, env, chapter, repeat)
    print(f"{'watch: prose save → deck served':<38} {statistics.median(latency):>9.2f}")


if __name__ == "__main__":
    sys.exit(main())
