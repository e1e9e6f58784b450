"""Re-run only what changed: cache entries keyed on their inputs and validated against the files they read."""

import json
import os
import platform
import shutil
import sys
import sysconfig
import tempfile
import threading
from functools import cache
from hashlib import sha256
from pathlib import Path

from . import ROOT

CACHE_FORMAT = 3  # bumped when what an entry holds changes (2: stream outputs merged, 3: sealed by a digest)
SKIPPED_SUFFIXES = (".pyc", ".so", ".pth")
IGNORED_DIRS = ("/proc/", "/dev/", "/sys/", "/etc/")


@cache
def package_version(name: str) -> str:
    """An installed package's version, read from its dist-info folder name (importlib.metadata is slow to import)."""
    for folder in sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]:
        dist = name.replace("-", "_")  # the dist-info folder's spelling of "japanize-matplotlib"
        for info in sorted(Path(folder).glob(f"{dist}-*.dist-info")):
            return info.name[len(dist) + 1 : -len(".dist-info")]
    return "not installed"


def versions(packages: tuple[str, ...]) -> dict[str, str]:
    """Python's version and those of the packages the deck names (cache_packages): a change can change outputs."""
    return {"python": platform.python_version(), **{name: package_version(name) for name in packages}}


def settings(names: tuple[str, ...]) -> dict[str, str]:
    """The environment settings the deck names (cache_env): another value can mean other outputs."""
    return {name: os.environ.get(name, "") for name in names}


def digest(value) -> str:
    return sha256(json.dumps(value, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def file_sha256(path: Path) -> str:
    return sha256(path.read_bytes()).hexdigest()


# Figure scripts' cache entries are checked in threads at once, and share dependencies (a 6 MB font): without
# the lock each thread would read and hash the file while the other does
_reading = threading.Lock()


def digest_once(path: str) -> str | None:
    """file_digest, one thread at a time: a file is read once per build however many entries depend on it."""
    with _reading:
        return file_digest(path)


@cache
def file_digest(path: str) -> str | None:
    """A dependency's digest, read once per build (None when the file is gone or is no regular file)."""
    if not os.path.isfile(path):  # a pipe in its place would block the read forever
        return None
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


def surroundings(cfg, more_code: tuple[str, ...] = ()) -> dict:
    """What a run's outputs depend on besides its own cells: package versions, the data settings the deck
    names, and where its code comes from (another code folder may hold other modules of the same names)."""
    return {
        "versions": versions(cfg.cache_packages),
        "settings": settings(cfg.cache_env),
        "code": [shown(str(p)) for p in cfg.code_dirs] + list(more_code),
    }


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
    return {shown(p): digest_once(p) for p in sorted(keep)}


def changed(deps: dict[str, str]) -> list[str]:
    return [path for path, known in deps.items() if digest_once(absolute(path)) != known]


class Cache:
    """One JSON entry per name under a folder, sealed with a digest over its content.

    Entries are written atomically, so an interrupted build leaves no bad entry; an entry damaged
    afterwards (edited by hand, cut short, overwritten) fails its digest and is a miss, never trusted.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.json"

    def lookup(self, name: str, key: dict, check=None) -> tuple[dict | None, str]:
        """(payload, "") on a hit; (None, why it must run) on a miss.

        check(payload), when given, raises ValueError, KeyError or TypeError on a payload of the
        wrong shape: that entry is a miss too, so no cached entry can crash a build.
        """
        path = self.path(name)
        if not path.exists() and not path.is_symlink():
            return None, "not cached yet"
        if not path.is_file():  # a folder, a dangling link, a pipe that would block the read forever
            return None, "cache entry corrupt: not a regular file"
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            return None, "cache entry corrupt: not UTF-8 text"
        except OSError as e:
            return None, f"cache entry corrupt: cannot be read ({e.strerror or type(e).__name__})"
        if not text.strip():
            return None, "cache entry corrupt: empty file"
        try:
            entry = json.loads(text)
        except ValueError:
            return None, "cache entry corrupt: not complete JSON"
        if not isinstance(entry, dict) or entry.get("format") != CACHE_FORMAT:
            if isinstance(entry, dict) and isinstance(entry.get("format"), int):
                return None, "cache format changed"
            return None, "cache entry corrupt: not an entry of this cache"
        problem = shape_problem(entry)
        if problem:
            return None, f"cache entry corrupt: {problem}"
        if entry["digest"] != seal(entry):
            return None, "cache entry corrupt: its content does not match its digest"
        old = entry["key"]
        differing = [k for k in key if old.get(k) != key[k]]
        if differing:
            return None, explain(differing, old, key)
        stale = changed(entry["deps"])
        if stale:
            more = f" and {len(stale) - 3} more" if len(stale) > 3 else ""
            return None, ", ".join(stale[:3]) + more + " changed"
        if check is not None:
            try:
                check(entry["payload"])
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                return None, f"cache entry corrupt: {e or type(e).__name__}"
        return entry["payload"], ""

    def store(self, name: str, key: dict, deps: dict[str, str | None], payload: dict) -> None:
        make_folder(self.folder)
        entry = {"format": CACHE_FORMAT, "key": key, "deps": deps, "payload": payload}
        entry["digest"] = seal(entry)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(entry, f, ensure_ascii=False)
            clear(self.path(name))
            os.replace(tmp, self.path(name))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def seal(entry: dict) -> str:
    """The digest of an entry: over its format, key, dependencies and payload together."""
    return digest({k: entry[k] for k in ("format", "key", "deps", "payload")})


def shape_problem(entry: dict) -> str:
    """What is wrong with the envelope of an entry ("" when nothing is)."""
    kinds = {"key": dict, "deps": dict, "payload": dict, "digest": str}
    for field, kind in kinds.items():
        if not isinstance(entry.get(field), kind):
            return f"its {field!r} is missing or not a {kind.__name__}"
    if not all(isinstance(v, str | None) for v in entry["deps"].values()):
        return "its 'deps' are not file digests"
    return ""


def make_folder(folder: Path) -> None:
    """Create a cache folder; a file where it (or the cache folder above it) belongs is the cache's own, damaged."""
    for path in (folder.parent, folder):
        if (path.exists() or path.is_symlink()) and not path.is_dir():
            path.unlink()
    folder.mkdir(parents=True, exist_ok=True)


def clear(path: Path) -> None:
    """Make room for a file at path: whatever is there that is not a regular file goes."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.is_symlink():
        path.unlink()


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
