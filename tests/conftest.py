"""Shared helpers: small decks written into temporary folders and built with the real build.py."""

import fcntl
import functools
import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from deckbuild.command import build_command

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build.py"
DECK = ROOT / "slides" / "deck.md.j2"
OUT = ROOT / "_build"  # where `make slides` publishes the real deck
THEME = ROOT / "slides" / "themes" / "docker.css"


def pytest_configure(config):
    """The Ctrl-C tests stand for a user at a terminal. A suite started as a background job of a
    non-interactive shell inherits SIGINT ignored and would hand that on to every build it interrupts
    (an ignored signal stays ignored across exec): catch it here, so the builds get the default again."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def close_figures():
    """Figure tests draw through pyplot, which keeps every figure open until closed: close what a test
    left, so that later tests do not pile them up (matplotlib warns past 20 open figures)."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


FRONT = """---
marp: true
theme: docker
paginate: true
---

# Test deck

---

"""


# A deck's own `shared` module with an expensive result behind @memo, and a figure script drawing it:
# the small decks of test_parallel and test_determinism share one build's memo between chapters and figures.
MEMO_MODULE = """\
import numpy as np

from deckbuild.memo import memo


@memo
def trained(n):
    print("一度だけ学習する")
    return np.random.default_rng(0).normal(size=n).round(6)
"""

MEMO_FIGURE = """\
import sys
from pathlib import Path

import matplotlib.pyplot as plt

from shared import trained


def main(outdir):
    plt.rcParams["svg.hashsalt"] = "test"  # the same ids in every run
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot(trained(3), "o")
    fig.savefig(Path(outdir) / "dots.svg", metadata={"Date": None})


if __name__ == "__main__":
    main(sys.argv[1])
"""


def write_deck(folder: Path, chapters: dict[str, str], front: str = FRONT) -> Path:
    """A deck.md.j2 that includes one file per chapter, with the real theme beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "themes").mkdir(exist_ok=True)
    shutil.copy(THEME, folder / "themes" / THEME.name)
    includes = "\n---\n\n".join(f'{{% include "{name}" %}}' for name in chapters)
    (folder / "deck.md.j2").write_text(front + includes + "\n", encoding="utf-8")
    for name, text in chapters.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder / "deck.md.j2"


def build(
    deck: Path,
    out: Path,
    *args: str,
    env: dict | None = None,
    figures: Path | None = None,
    companion: str = "strict",
    **kw,
):
    """Run build.py as a user would; returns the finished process (stdout and stderr as text).

    The self-sufficiency check is strict for every deck, the real one included, whatever the caller's shell
    says. A test whose subject is not that check may pass companion="off": one kernel less per chapter run.
    """
    cmd = build_command(deck, out, *args, figures_src=figures or deck.parent / "figures_src")
    full_env = {**os.environ, "DECK_COMPANION": companion, **(env or {})}
    return subprocess.run(cmd, capture_output=True, text=True, env=full_env, timeout=300, **kw)


@functools.cache
def shown_widths(deck: Path = DECK) -> dict[str, list[float]]:
    """Each figure of a deck (the real one by default) → the widths (px) its slides show it at, read by
    rendering the deck's templates (figure(width=…)); a figure given no width is as wide as the slide's content."""
    from deckbuild import config, templates

    rendering = templates.render(deck, config.for_deck(deck.parent).code_dirs)
    widths: dict[str, set[float]] = {}
    for ref in rendering.figures:
        widths.setdefault(ref.name.removesuffix(".svg"), set()).add(ref.width or content_width())
    return {name: sorted(w) for name, w in widths.items()}


def content_width() -> float:
    """The width of a slide's content in the theme: the section's width less its left and right padding."""
    css = THEME.read_text(encoding="utf-8")
    width = float(re.search(r"^\s*width:\s*(\d+)px", css, re.MULTILINE).group(1))
    sides = re.search(r"^\s*padding:\s*(\d+)px\s+(\d+)px", css, re.MULTILINE).group(2)
    return width - 2 * float(sides)


def unreadable_figures(folder: Path) -> list[str]:
    """Figures in folder whose smallest text is below the readable size at a width the deck shows them."""
    from deckbuild.slidecheck import MIN_FIGURE_FONT_PX, smallest_text

    found = []
    for path in sorted(folder.glob("*.svg")):
        for shown in shown_widths().get(path.stem, []):
            size, width = smallest_text(path)
            if size * shown / width < MIN_FIGURE_FONT_PX:
                found.append(f"{path.stem} at {shown:g}px: {size * shown / width:.1f}px text")
    return found


def tree_digest(folder: Path) -> dict[str, str]:
    """Every published file under folder with its sha256 (the cache and lock are not outputs)."""
    digests = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if path.is_file() and rel.parts[0] not in (".cache", ".lock"):
            digests[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def error_line(proc) -> str:
    lines = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture
def deck_dir(tmp_path: Path) -> Path:
    return tmp_path / "deck"


@pytest.fixture(scope="session")
def deck_build() -> Path:
    """The real deck built once per run, exactly as `make slides` builds it, into `_build/`.

    After `make slides` its cache is warm and this takes about a second; on a fresh clone it is the run's
    one full build. Tests read what it published and never write into `_build/` anything `make slides`
    would not (the browser exports run on a copy: `deck_copy`).
    """
    # `make test` runs the suite on several workers (pytest-xdist), each with its own session: the first
    # to get here builds; the others wait for it and build nothing, so no test ever reads `_build/` while
    # a build is swapping its outputs in
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")  # shared by the workers of one run; unset without xdist
    # the lock lives in the checkout (pytest's own ignored cache folder), so a run leaves nothing in /tmp
    lock = ROOT / ".pytest_cache" / "deckbuild-real-deck.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as held:  # holds the id of the run that built last
        fcntl.flock(held, fcntl.LOCK_EX)
        held.seek(0)
        if run and held.read() == run:
            return OUT
        proc = build(DECK, OUT, figures=ROOT / "figures_src")
        assert proc.returncode == 0, proc.stderr
        held.truncate(0)
        held.write(run or "")
    return OUT


@pytest.fixture(scope="session")
def deck_copy(deck_build, tmp_path_factory) -> Path:
    """A copy of the built real deck, cache included (so building into it again runs nothing), for the
    commands that add files `make slides` does not write: --pdf, --images."""
    copy = tmp_path_factory.mktemp("real-deck") / "out"
    shutil.copytree(deck_build, copy, symlinks=True, ignore=shutil.ignore_patterns(".lock"))
    return copy


# A one-chapter deck with one snippet: what an edit of a deck built before is tried on (test_early_marp, test_speed).
EDITED = """\
## 見出し

本文です。

{% call run() %}
print(1 + 1)
{% endcall %}
"""


@pytest.fixture(scope="session")
def edited_base(tmp_path_factory) -> Path:
    """EDITED built once (HTML included, without the companion: an edit's path is the subject)."""
    base = tmp_path_factory.mktemp("edited")
    deck = write_deck(base / "deck", {"ch1.md.j2": EDITED})
    proc = build(deck, base / "out", "--accept", companion="off")
    assert proc.returncode == 0, proc.stderr
    return base


@pytest.fixture
def built_before(edited_base, tmp_path) -> tuple[Path, Path]:
    """This test's copy of EDITED and its outputs (the files' times kept: they say whether a source is
    newer than deck.html): (deck template, output folder)."""
    shutil.copytree(edited_base / "deck", tmp_path / "deck")
    shutil.copytree(edited_base / "out", tmp_path / "out", symlinks=True)
    return tmp_path / "deck" / "deck.md.j2", tmp_path / "out"


def browser_required() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("DECK_REQUIRE_BROWSER"))


@pytest.fixture
def chromium():
    """Chromium for the browser tests: skipped without it on a developer's machine, a failure in CI."""
    from deckbuild import browser
    from deckbuild.errors import ToolError

    try:
        return browser.find()
    except ToolError as e:
        if browser_required():
            pytest.fail(f"CI must run the browser tests: {e.message}")
        pytest.skip(e.message)
