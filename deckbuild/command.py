"""The build's command line, assembled in one place: `make watch` rebuilds, the benchmarks and the tests run it."""

import sys
from pathlib import Path

from . import ROOT

BUILD_PY = ROOT / "build.py"


def build_command(deck: Path, out: Path, *flags: str, figures_src: Path | None = None) -> list[str]:
    """`python build.py DECK -o OUT [--figures-src DIR] FLAGS…` with this very Python."""
    command = [sys.executable, str(BUILD_PY), str(deck), "-o", str(out)]
    if figures_src is not None:
        command += ["--figures-src", str(figures_src)]
    return command + list(flags)
