"""Regenerate figures from figures_src/: one script per family, each re-run only when it or what it reads changed."""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from . import cache, leftovers, schedule
from .config import DEFAULTS, Config
from .errors import FigureError, Where
from .templates import FigureRef, display_path

RUNNER_FORMAT = 1


def scripts(src: Path) -> list[Path]:
    """The scripts of a figures folder: its .py files that define a top-level main()."""
    # a top-level `def main(` starts a line; a regular expression finds it in a tenth of a parse's time
    main = re.compile(r"^def main\s*\(", re.MULTILINE)
    return [path for path in sorted(src.glob("*.py")) if main.search(path.read_text(encoding="utf-8"))]


def run_script(script: Path, outdir: Path, slot=None) -> dict:
    """Run one script in a fresh interpreter; return its dependency report.

    The runner is a session of its own that dies with the build (PR_SET_PDEATHSIG); whatever the script
    started and left running is killed with its process group, and so is the runner when its job is
    cancelled (`slot`: a failure elsewhere need not wait for a long script). Its report is written beside
    `outdir`, in the figure cache, so a killed build leaves nothing in the temp folder."""
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
            finished = threading.Event()

            def kill() -> None:
                if not finished.is_set():  # once reaped, the group's number may belong to someone else
                    with contextlib.suppress(OSError):
                        os.killpg(proc.pid, signal.SIGKILL)

            try:
                if slot is not None:
                    slot.on_cancel(kill)
                proc.wait()
            finally:
                kill()
                proc.wait()
                finished.set()
            if slot is not None:
                slot.check()  # killed because the job was cancelled: not the script's failure
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


def figure_key(script: Path, cfg: Config) -> dict:
    return {
        "versions": cache.versions(cfg.cache_packages),
        "runner": RUNNER_FORMAT,
        "settings": cache.settings(cfg.cache_env),
        "script": cache.shown(str(script.resolve())),  # another figures folder's script of the same name
    }


def build_one(
    script: Path, store: Path, figure_cache: cache.Cache, force: bool, cfg: Config = DEFAULTS, slot=None
) -> tuple[dict[str, Path], str]:
    """Files the script produces (name → cached path), and why it ran ("" when it came from the cache)."""
    name = script.stem
    key = figure_key(script, cfg)
    folder = store / name
    payload, reason = (None, "forced") if force else figure_cache.lookup(name, key, files_check)
    if payload is not None:
        reason = damaged(folder, payload["files"])
        if not reason:
            return {f: folder / f for f in payload["files"]}, ""
    fresh = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=store))
    try:
        report = run_script(script, fresh, slot)
        files = {p.name: cache.file_sha256(p) for p in sorted(fresh.iterdir()) if p.is_file()}
        cache.clear(folder)
        folder.unlink(missing_ok=True)  # a file where the figures' folder belongs
        fresh.rename(folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)
    deps = cache.dependencies(report["modules"], report["reads"])
    figure_cache.store(name, key, deps, {"files": files})
    return {f: folder / f for f in files}, reason or "cache miss"


def files_check(payload: dict) -> None:
    """A figure entry names plain file names with their digests, nothing that could point elsewhere."""
    files = payload["files"]
    if not isinstance(files, dict):
        raise TypeError("its files are not a name → digest table")
    for fname, digest in files.items():
        if Path(fname).name != fname or fname.startswith(".") or not isinstance(digest, str):
            raise ValueError(f"bad figure file name {fname!r}")


def damaged(folder: Path, files: dict[str, str]) -> str:
    """Why the cached figure files cannot be published as they are ("" when every one verifies)."""
    for fname, digest in files.items():
        path = folder / fname
        if path.is_symlink() or not path.is_file():
            return f"cache entry corrupt: figure file {fname} is missing"
        if cache.file_sha256(path) != digest:
            return f"cache entry corrupt: figure file {fname} does not match its digest"
    return ""


class FigureBuild:
    """The figure scripts of a folder as scheduler jobs, and the files they produce."""

    def __init__(self, src: Path, cache_dir: Path, log, force: bool = False, cfg: Config = DEFAULTS):
        self.store = cache_dir / "figure-files"
        cache.make_folder(self.store)
        self.cfg = cfg
        self.figure_cache = cache.Cache(cache_dir / "figures")
        self.scripts = scripts(src) if src.is_dir() else []
        self.log, self.force = log, force
        self.seconds: dict[str, float] = {}  # how long each script that ran took, for the next build's order

    def jobs(self, durations: schedule.Durations, first_order: int = 0) -> list[schedule.Job]:
        return [
            schedule.Job(
                f"figure {script.name}",
                first_order + n,
                durations.get(f"figure {script.name}", 2.0),
                lambda slot, script=script: self.one(script, slot),
            )
            for n, script in enumerate(self.scripts)
        ]

    def one(self, script: Path, slot=None) -> dict[str, Path]:
        if slot is not None:
            slot.turn()
            slot.doing(f"figure {script.name}")
        t = time.monotonic()
        files, reason = build_one(script, self.store, self.figure_cache, self.force, self.cfg, slot)
        if reason:
            self.seconds[f"figure {script.name}"] = time.monotonic() - t
        state = f"ran ({reason}) in {time.monotonic() - t:.1f}s" if reason else "from cache"
        self.log(f"figures: {display_path(script)}: {len(files)} file(s) {state}")
        return files

    def produced(self, results: dict[str, dict[str, Path]]) -> dict[str, Path]:
        """Every figure, name → file in the figure cache; a name two scripts produce is an error."""
        produced: dict[str, Path] = {}
        owner: dict[str, Path] = {}
        for script in self.scripts:
            for fname, path in results[f"figure {script.name}"].items():
                if fname in owner:
                    raise FigureError(f"{fname} is produced by both {owner[fname].name} and {script.name}")
                owner[fname] = script
                produced[fname] = path
        return produced


def build_all(
    src: Path, cache_dir: Path, log, force: bool = False, cfg: Config = DEFAULTS
) -> dict[str, Path]:
    """Every figure the scripts produce, name → file in the figure cache (scripts run on every core)."""
    started = time.monotonic()
    figures = FigureBuild(src, cache_dir, log, force, cfg)
    durations = schedule.Durations(cache_dir / "durations.json")
    jobs = schedule.workers()
    with schedule.one_blas_thread(), schedule.memo_environment(cache_dir, cfg):
        scheduler = schedule.Scheduler(figures.jobs(durations), jobs)
        results = scheduler.run()
    durations.save(figures.seconds)
    failure = scheduler.failure()
    if failure:
        raise failure[1]
    produced = figures.produced(results)
    if figures.scripts:
        log(f"figures: {len(produced)} figure(s) ready in {time.monotonic() - started:.1f}s")
    return produced


def check_refs(refs: list[FigureRef], produced: dict[str, Path], src: Path) -> None:
    for ref in refs:
        if ref.name not in produced:
            raise FigureError(
                f"figure {ref.name!r} is not produced by any script in {display_path(src)}/", ref.where
            )
