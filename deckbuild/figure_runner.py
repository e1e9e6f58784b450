"""Run one figures_src script in this process and report which project files it depended on.

Usage: python -m deckbuild.figure_runner SCRIPT OUTDIR DEPS_JSON
"""

import json
import os
import runpy
import sys
from pathlib import Path

from deckbuild import config
from deckbuild.tracking import report, track_reads


def main() -> None:
    script, outdir, deps_file = sys.argv[1:4]
    reads = track_reads()
    sys.argv = [script, outdir]
    folder = Path(script).resolve().parent
    # the script's own folder (its shared helpers), then the code folders of the configuration above it
    sys.path[:0] = [str(folder), *(str(p) for p in config.for_deck(folder).code_dirs)]
    runpy.run_path(script, run_name="__main__")
    with open(deps_file, "w", encoding="utf-8") as f:
        json.dump(report(reads, extra_modules=(os.path.abspath(script),)), f)


if __name__ == "__main__":
    main()
