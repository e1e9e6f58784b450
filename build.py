#!/usr/bin/env python3
"""Build the executable deck: run its snippets, verify their outputs, render Markdown, notebook and HTML.

Usage: build.py [DECK] [-o OUT] [--accept] [--figures] [--force] [--no-html]
                [--companion strict|warn|off] [--pdf] [--images] [--check] [--watch [--port N]]
"""

import argparse
import signal
import sys
import time
from pathlib import Path

from deckbuild import ROOT, browser, companion, config, exports, leftovers, publish, slidecheck, watch
from deckbuild.command import build_command
from deckbuild.errors import DeckError, Interrupted
from deckbuild.pipeline import Options, build, build_figures, figures_folder, publishes, stderr_log


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
        choices=companion.MODES,
        default=companion.mode_from_env(),
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
    if args.companion not in companion.MODES:  # argparse does not check a default ($DECK_COMPANION)
        p.error(f"${companion.ENV} must be one of {', '.join(companion.MODES)}, not {args.companion!r}")
    return args


def relative(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def stop(signum, frame):
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C: kernel shut down, staging removed


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, stop)
    opts = Options(
        deck=args.deck.resolve(),
        out=args.out.resolve(),
        figures_src=args.figures_src.resolve() if args.figures_src else None,
        accept=args.accept,
        html=not args.no_html,
        force=args.force,
        companion=args.companion,
    )
    started = time.monotonic()
    try:
        cfg = config.for_deck(opts.deck.parent)
        themes = cfg.theme_dir(opts.deck.parent)
        if args.watch:
            figures_src = figures_folder(opts, cfg)
            folders = [opts.deck.parent, *cfg.code_dirs, figures_src, themes]
            command = build_command(opts.deck, opts.out, figures_src=opts.figures_src)
            return watch.run(command, [f for f in folders if f.is_dir()], opts.out, args.port, stderr_log)
        try:
            planned = {"figures"} if args.figures else publishes(opts)
            planned |= exports.PDF if args.pdf else set()
            planned |= exports.IMAGES if args.images else set()
            publish.claim(opts.out, planned)  # before anything runs: every step's outputs may be replaced
            if args.pdf or args.images or args.check:
                browser.find()  # without Chromium: one line at once, not after the whole build
            with leftovers.scratch():
                report = build_figures(opts) if args.figures else build(opts)
                if args.pdf:
                    report.written += exports.pdf(opts.out, themes, stderr_log, opts.force)
                if args.images:
                    report.written += exports.images(opts.out, themes, stderr_log, opts.force)
                if args.check:
                    slides = slidecheck.check(opts.out / "deck.html")
                    stderr_log(f"check: {slides} slides looked at in Chromium, no findings")
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
    stderr_log(f"wrote {names} in {time.monotonic() - started:.1f}s{runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
