#!/usr/bin/env python3
"""Build the executable deck: run its snippets, verify their outputs, render Markdown, notebook and HTML.

Usage: build.py [DECK] [-o OUT] [--accept] [--figures] [--force] [--no-html]
                [--companion strict|warn|off] [--pdf] [--images] [--check] [--watch [--port N]]
"""

import argparse
import atexit
import contextlib
import os
import signal
import sys
import threading
import time
from pathlib import Path

# Only what starts marp-cli: the rest of the engine is imported by run(), once node is starting (headstart.py)
from deckbuild import ROOT, browser, config, headstart, leftovers, publish
from deckbuild.errors import DeckError, Interrupted

COMPANION_MODES = ("strict", "warn", "off")  # the self-sufficiency check: fail, warn, or skip (companion.py)
COMPANION_ENV = "DECK_COMPANION"  # the default mode when --companion is not given


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("deck", nargs="?", type=Path, default=ROOT / "slides" / "deck.md.j2", help="deck template")
    p.add_argument("-o", "--out", type=Path, default=ROOT / "_build", help="output folder (default: _build)")
    p.add_argument(
        "--figures-src", type=Path, help="figure scripts folder (default: `figures` in [tool.deckbuild])"
    )
    p.add_argument("--accept", action="store_true", help="record the current outputs as the snapshots")
    p.add_argument("--figures", action="store_true", help="only regenerate every figure into OUT/figures")
    p.add_argument("--force", action="store_true", help="ignore the cache and run everything")
    p.add_argument(
        "--companion",
        choices=COMPANION_MODES,
        default=os.environ.get(COMPANION_ENV) or "strict",
        help="run the shown code alone and compare with the slides: fail, warn, or skip (default: $DECK_COMPANION or strict)",
    )
    p.add_argument("--no-html", action="store_true", help="skip marp-cli (Markdown and notebook only)")
    p.add_argument("--pdf", action="store_true", help="also render OUT/deck.pdf through Chromium")
    p.add_argument("--images", action="store_true", help="also render OUT/slides/NNN.png and OUT/contact.png")
    p.add_argument("--check", action="store_true", help="then look at every slide in headless Chromium")
    p.add_argument("--watch", action="store_true", help="rebuild on every save and serve with live reload")
    p.add_argument(
        "--port", type=int, default=8000, help="port for --watch (default 8000; 0 picks a free one)"
    )
    args = p.parse_args(argv)
    if args.companion not in COMPANION_MODES:  # argparse does not check a default ($DECK_COMPANION)
        p.error(f"${COMPANION_ENV} must be one of {', '.join(COMPANION_MODES)}, not {args.companion!r}")
    return args


def relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def stop(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: kernel shut down, staging removed


def planned(args: argparse.Namespace) -> set[str]:
    """The names this build will publish into the output folder; all of them may be replaced."""
    names = publish.FIGURES if args.figures else publish.deck_names(html=not args.no_html)
    return names | (publish.PDF if args.pdf else set()) | (publish.IMAGES if args.images else set())


def run(args: argparse.Namespace, deck: Path, out: Path, themes: Path, started):
    """The build and the views asked for, with the engine imported only now, while marp-cli (`started`,
    or None) starts. Returns the pipeline's report."""
    from deckbuild import exports, slidecheck
    from deckbuild.pipeline import Options, build, build_figures, stderr_log

    opts = Options(
        deck=deck,
        out=out,
        figures_src=args.figures_src.resolve() if args.figures_src else None,
        accept=args.accept,
        html=not args.no_html,
        force=args.force,
        companion=args.companion,
    )
    report = build_figures(opts) if args.figures else build(opts, started)
    if args.pdf:
        report.written += exports.pdf(opts.out, themes, stderr_log, opts.force)
    if args.images:
        report.written += exports.images(opts.out, themes, stderr_log, opts.force)
    if args.check:
        slides = slidecheck.check(opts.out / "deck.html")
        stderr_log(f"check: {slides} slides looked at in Chromium, no findings")
    return report


def watch_deck(args: argparse.Namespace, deck: Path, out: Path, cfg: config.Config, themes: Path) -> int:
    """--watch: rebuild on every save (each build is build.py again) and serve with live reload."""
    from deckbuild import watch
    from deckbuild.command import build_command
    from deckbuild.pipeline import Options, figures_folder, stderr_log

    figures_src = args.figures_src.resolve() if args.figures_src else None
    folders = [
        deck.parent,
        *cfg.code_dirs,
        figures_folder(Options(deck=deck, out=out, figures_src=figures_src), cfg),
        themes,
    ]
    command = build_command(deck, out, figures_src=figures_src)
    return watch.run(command, [f for f in folders if f.is_dir()], out, args.port, stderr_log)


def standard_streams() -> None:
    """Started with stdin, stdout or stderr closed (`build.py >&-`), Python has no stream there, and the
    next file opened would take the free descriptor, so a tool started later would write its messages
    into it. Put /dev/null in each closed place first."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
        except OSError:
            os.dup2(
                os.open(os.devnull, os.O_RDWR), fd
            )  # not the build's to close: it lives as long as the build
            setattr(sys, name, open(fd, mode, closefd=False))  # noqa: SIM115


def main(argv: list[str] | None = None) -> int:
    standard_streams()
    args = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, stop)
    deck, out = args.deck.resolve(), args.out.resolve()
    started = time.monotonic()
    try:
        cfg = config.for_deck(deck.parent)
        themes = cfg.theme_dir(deck.parent)
        if args.watch:
            return watch_deck(args, deck, out, cfg, themes)
        # before anything starts or is written: a clash with files no build wrote, or no Chromium for a view
        publish.claim(out, planned(args))
        if args.pdf or args.images or args.check:
            browser.find()  # without Chromium: one line at once, not after the whole build
        try:
            with leftovers.scratch(), contextlib.ExitStack() as stack:
                # After an edit, node's start-up is the longest part of the build: in a folder built before,
                # marp-cli starts before the engine is even imported (in a new one, once the folder exists)
                marp = None
                if not args.figures and (out / publish.MANIFEST).is_file():
                    marp = headstart.start(deck, out, themes, not args.no_html, args.force, stack)
                report = run(args, deck, out, themes, marp)
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted: nothing was published; the previous outputs are as they were"
            ) from None
        except OSError as e:  # disk full, permission denied, …: one line naming the file, no traceback
            raise publish.os_failure(e) from None
    except DeckError as e:
        print(e.headline(), file=sys.stderr)
        if e.detail:
            print(e.detail, file=sys.stderr)
        return e.exit_code
    names = ", ".join(relative(p) for p in report.written)
    runs = f"; ran {', '.join(report.ran)}" if report.ran else ""
    runs += f"; from cache: {', '.join(report.cached)}" if report.cached else ""
    print(f"wrote {names} in {time.monotonic() - started:.1f}s{runs}", file=sys.stderr, flush=True)
    return 0


def leave(code: int) -> None:
    """Exit without the interpreter's teardown, which frees every object one by one: 50–80 ms after a
    prose edit's build, when nothing is left to release (the build stopped what it started, removed its
    temp folder and closed its files). Exit handlers still run; a thread still running gets a normal exit."""
    if any(not t.daemon for t in threading.enumerate() if t is not threading.main_thread()):
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):  # None when the build was started with that descriptor closed
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
    os._exit(code)


if __name__ == "__main__":
    leave(main())
