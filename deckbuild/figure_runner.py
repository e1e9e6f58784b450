"""Run one figures_src script in this process and report which project files it depended on.

Usage: python -m deckbuild.figure_runner SCRIPT OUTDIR DEPS_JSON
"""

import contextlib
import json
import os
import runpy
import sys


def main() -> None:
    script, outdir, deps_file = sys.argv[1:4]
    reads: set[str] = set()

    def hook(event, args):
        if event == "open" and isinstance(args[1], str) and not set("wax") & set(args[1]):
            with contextlib.suppress(TypeError):
                reads.add(os.path.abspath(os.fsdecode(args[0])))

    sys.addaudithook(hook)
    sys.argv = [script, outdir]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")
    modules = sorted({getattr(m, "__file__", None) or "" for m in list(sys.modules.values())} - {""})
    with open(deps_file, "w", encoding="utf-8") as f:
        json.dump({"modules": [*modules, os.path.abspath(script)], "reads": sorted(reads)}, f)


if __name__ == "__main__":
    main()
