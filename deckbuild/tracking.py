"""Record which files a process loads and reads, so the cache knows what a chapter or figure depends on.

Runs inside the chapter's kernel and inside each figure script's interpreter.
"""

import contextlib
import os
import sys


def track_reads() -> set[str]:
    """From now on, collect the absolute path of every file this process opens for reading."""
    seen: set[str] = set()

    def hook(event, args):
        if event == "open" and isinstance(args[1], str) and not set("wax") & set(args[1]):
            with contextlib.suppress(TypeError):
                seen.add(os.path.abspath(os.fsdecode(args[0])))

    sys.addaudithook(hook)  # audit hooks cannot be removed: only for processes that end with the build
    return seen


def report(reads: set[str], extra_modules: tuple[str, ...] = ()) -> dict[str, list[str]]:
    """The files of every module loaded so far, and the files read."""
    modules = {getattr(m, "__file__", None) or "" for m in list(sys.modules.values())} - {""}
    return {"modules": sorted(modules | set(extra_modules)), "reads": sorted(reads)}
