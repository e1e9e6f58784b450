"""Run one figures_src script in this process and report which project files it depended on.

Usage: python -m deckbuild.figure_runner SCRIPT OUTDIR DEPS_JSON
"""

import json
import os
import runpy
import sys

from deckbuild.tracking import report, track_reads


def main() -> None:
    script, outdir, deps_file = sys.argv[1:4]
    reads = track_reads()
    sys.argv = [script, outdir]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    with open(deps_file, "w", encoding="utf-8") as f:
        json.dump(report(reads, extra_modules=(os.path.abspath(script),)), f)


if __name__ == "__main__":
    main()
