"""Regenerate figures from figures_src/: one script per family, each re-run only when it or what it reads changed."""

import ast
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import cache, leftovers
from .errors import FigureError, Where
from .templates import FigureRef, display_path

RUNNER_FORMAT = 1


def scripts(src: Path) -> list[Path]:
    """The scripts of a figures folder: its .py files that define a top-level main()."""
    found = []
    for path in sorted(src.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        if any(isinstance(n, ast.FunctionDef) and n.name == "main" for n in tree.body):
            found.append(path)
    return found


def run_script(script: Path, outdir: Path) -> dict:
    """Run one script in a fresh interpreter; return its dependency report.

    The runner is a session of its own that dies with the build (PR_SET_PDEATHSIG); whatever the script
    started and left running is killed with its process group. Its report is written beside `outdir`,
    in the figure cache, so a killed build leaves nothing in the temp folder."""
    deps_file = outdir.parent / f"{outdir.name}.deps.json"
    # stderr into a file, not a pipe: a process the script leaves running may hold a pipe open forever.
    err_file = outdir.parent / f"{outdir.name}.stderr.txt"
    try:
        with open(err_file, "w+", encoding="utf-8", errors="replace") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "deckbuild.figure_runner", str(script), str(outdir), str(deps_file)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env={**os.environ, "MPLBACKEND": "Agg", "PYTHONHASHSEED": "0"},
                start_new_session=True,
                preexec_fn=leftovers.die_with_parent,
            )
            try:
                proc.wait()
            finally:
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            err.seek(0)
            stderr = err.read()
        if proc.returncode != 0:
            raise script_failure(script, stderr)
        return json.loads(deps_file.read_text(encoding="utf-8"))
    finally:
        deps_file.unlink(missing_ok=True)
        err_file.unlink(missing_ok=True)


def script_failure(script: Path, stderr: str) -> FigureError:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    line_no = None
    for line in lines:
        if f'"{script}"' in line and ", line " in line:
            line_no = int(line.split(", line ")[1].split(",")[0])
    last = lines[-1] if lines else "no message"
    return FigureError(f"figure script failed: {last}", Where(display_path(script), line_no))


def build_one(
    script: Path, store: Path, figure_cache: cache.Cache, force: bool
) -> tuple[dict[str, Path], str]:
    """Files the script produces (name → cached path), and why it ran ("" when it came from the cache)."""
    name = script.stem
    key = {
        "versions": cache.versions(),
        "runner": RUNNER_FORMAT,
        "settings": cache.settings(),
        "script": cache.shown(str(script.resolve())),  # another figures folder's script of the same name
    }
    payload, reason = (None, "forced") if force else figure_cache.lookup(name, key)
    folder = store / name
    if payload is not None and all((folder / f).is_file() for f in payload["files"]):
        return {f: folder / f for f in payload["files"]}, ""
    fresh = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=store))
    try:
        report = run_script(script, fresh)
        files = sorted(p.name for p in fresh.iterdir() if p.is_file())
        if folder.exists():
            shutil.rmtree(folder)
        fresh.rename(folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    deps = cache.dependencies(report["modules"], report["reads"])
    figure_cache.store(name, key, deps, {"files": files})
    return {f: folder / f for f in files}, reason or "cache miss"


def build_all(src: Path, cache_dir: Path, log, force: bool = False) -> dict[str, Path]:
    """Every figure the scripts produce, name → file in the figure cache."""
    store = cache_dir / "figure-files"
    store.mkdir(parents=True, exist_ok=True)
    figure_cache = cache.Cache(cache_dir / "figures")
    found = scripts(src) if src.is_dir() else []
    produced: dict[str, Path] = {}
    owner: dict[str, Path] = {}
    started = time.monotonic()

    def one(script: Path):
        t = time.monotonic()
        files, reason = build_one(script, store, figure_cache, force)
        state = f"ran ({reason}) in {time.monotonic() - t:.1f}s" if reason else "from cache"
        log(f"figures: {display_path(script)}: {len(files)} file(s) {state}")
        return script, files

    with ThreadPoolExecutor(max_workers=2) as pool:
        for script, files in pool.map(one, found):
            for fname, path in files.items():
                if fname in owner:
                    raise FigureError(f"{fname} is produced by both {owner[fname].name} and {script.name}")
                owner[fname] = script
                produced[fname] = path
    if found:
        log(f"figures: {len(produced)} figure(s) ready in {time.monotonic() - started:.1f}s")
    return produced


def check_refs(refs: list[FigureRef], produced: dict[str, Path], src: Path) -> None:
    for ref in refs:
        if ref.name not in produced:
            raise FigureError(
                f"figure {ref.name!r} is not produced by any script in {display_path(src)}/", ref.where
            )
