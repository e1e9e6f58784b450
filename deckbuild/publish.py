"""Outputs appear all at once or not at all, and a build only ever replaces what a build published.

A build writes into a staging folder inside the output folder and swaps it in at the end: each old entry is
moved aside into a journal folder, the new one moved in, and the manifest of every file the builds published
(`.deckbuild-manifest.json`) replaced last: that is the commit. A failure, Ctrl-C or SIGTERM before the
commit moves everything back; a build killed outright (SIGKILL) mid-swap is rolled back by the next build,
which finds its journal. A file or folder the manifest does not list is never replaced: the build refuses
with one line naming it. One build at a time per output folder (a lock).
"""

import contextlib
import fcntl
import json
import os
import shutil
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

from .errors import BusyError, PublishError, Where

MANIFEST = ".deckbuild-manifest.json"
LOCK = ".lock"
CACHE = ".cache"
BOOKKEEPING = (LOCK, CACHE, MANIFEST)  # the build's own files in the output folder, never outputs
# Everything this engine published before it kept a manifest: an old `_build/` holding only these (and its
# lock) is adopted as the build's own on its first build with a manifest.
LEGACY = {
    "deck.md",
    "deck.map.json",
    "deck.ipynb",
    "deck.html",
    "deck.notes.txt",
    "figures",
    "notebooks",
    "deck.pdf",
    "slides",
    "contact.png",
}


def shown(path: Path) -> str:
    """A path as the user typed it, more or less: relative to the working folder when it is under it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def os_failure(e: OSError, what: str = "") -> PublishError:
    """An OSError as a one-line error naming the file (its final name, not the staging copy's)."""
    name = e.filename or "?"
    parts = Path(os.fspath(name)).parts
    final = Path(*[p for p in parts if not p.startswith((".staging-", ".swap-"))])
    return PublishError(f"{what}{e.strerror or e}", Where(shown(final)))


def leaves(root: Path, name: str) -> list[str]:
    """Every file, symlink or other non-folder under root/name, as paths relative to root (links not followed)."""
    top = root / name
    if not top.is_dir() or top.is_symlink():
        return [name] if os.path.lexists(top) else []
    found = []
    for folder, dirs, files in os.walk(top):
        for entry in files + [d for d in dirs if (Path(folder) / d).is_symlink()]:
            found.append((Path(folder) / entry).relative_to(root).as_posix())
    return sorted(found)


def bookkeeping(name: str) -> bool:
    return name in BOOKKEEPING or name.startswith((".staging-", ".swap-"))


def owned(out: Path) -> set[str]:
    """The files of `out` that builds published: the manifest's, or an old build folder's, adopted whole."""
    manifest = out / MANIFEST
    if manifest.is_file():
        try:
            return set(json.loads(manifest.read_text(encoding="utf-8"))["files"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise PublishError(
                "the manifest of published files is damaged; delete the output folder and build again",
                Where(shown(manifest)),
            ) from None
    if not out.is_dir():
        return set()
    names = [p.name for p in out.iterdir() if not bookkeeping(p.name)]
    if (out / LOCK).is_file() and set(names) <= LEGACY:
        return {leaf for name in names for leaf in leaves(out, name)}
    return set()


# What each step publishes into the output folder: named here so that build.py can claim them before it
# imports the rest of the engine (a refused build starts nothing and writes nothing).
DECK = frozenset({"deck.md", "deck.map.json", "deck.ipynb", "figures", "notebooks"})
DECK_HTML = frozenset({"deck.html", "deck.notes.txt"})
FIGURES = frozenset({"figures"})
PDF = frozenset({"deck.pdf"})
IMAGES = frozenset({"slides", "contact.png"})


def deck_names(html: bool) -> frozenset[str]:
    """What a deck build publishes: deck.html and the presenter notes only when it renders HTML."""
    return DECK | DECK_HTML if html else DECK


def claim(out: Path, names: set[str]) -> None:
    """Refuse, before any work, an output folder where publishing `names` would replace what no build wrote."""
    if os.path.lexists(out) and not out.is_dir():
        raise PublishError("the output path is a file, not a folder", Where(shown(out)))
    if not out.is_dir():
        return
    if any(out.glob(".swap-*")):
        with exclusive(out):
            pass  # a build was killed in the middle of its swap: roll it back before judging the folder
    mine = owned(out)
    for name in sorted(names):
        for leaf in leaves(out, name):
            if leaf not in mine:
                raise PublishError(
                    "not written by a build, and the build would replace it: "
                    "move it away or choose an empty or new output folder",
                    Where(shown(out / leaf)),
                )


def apart(out: Path, source: Path) -> None:
    """Refuse an output folder that is the deck's own folder or holds it: outputs never go among the sources."""
    if out == source or out in source.parents:
        raise PublishError(
            "the output folder holds the deck itself; choose a folder of its own (the default is _build)",
            Where(shown(out)),
        )


@contextmanager
def exclusive(out: Path):
    """Hold the output folder's lock; a second build at the same time fails at once."""
    if os.path.lexists(out) and not out.is_dir():
        raise PublishError("the output path is a file, not a folder", Where(shown(out)))
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = open(out / LOCK, "a+")  # noqa: SIM115 - held for the whole build
    except OSError as e:
        raise os_failure(e, "cannot write the output folder: ") from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.seek(0)
        holder = lock.read().strip() or "?"
        lock.close()
        raise BusyError(
            f"another build is already writing {out} (pid {holder}); wait for it to finish"
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    try:
        for journal in sorted(out.glob(".swap-*")):
            roll_back(out, journal)  # a build killed in the middle of its swap
        for old in out.glob(".staging-*"):
            shutil.rmtree(old, ignore_errors=True)  # left by a build that was killed: we hold the lock
        yield
    finally:
        lock.close()


@contextmanager
def staging(out: Path):
    """A fresh folder inside `out`; removed on failure, so the previous outputs stay as they were."""
    stage = out / f".staging-{os.getpid()}"
    try:
        stage.mkdir()
    except OSError as e:
        raise os_failure(e, "cannot write the output folder: ") from None
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


@contextmanager
def signals_deferred():
    """Ctrl-C and SIGTERM only noted while the block runs (main thread only: elsewhere they cannot arrive)."""
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    kinds = (signal.SIGINT, signal.SIGTERM)
    saved = {kind: signal.getsignal(kind) for kind in kinds}
    for kind in kinds:
        signal.signal(kind, lambda signum, frame: noted.append(signum))
    try:
        yield noted
    finally:
        for kind, handler in saved.items():
            signal.signal(kind, handler)


def move(source: Path, target: Path) -> None:
    """One rename (a seam for the tests that break a swap in the middle)."""
    os.rename(source, target)


def swap_in(stage: Path, out: Path) -> list[Path]:
    """Publish every entry of the staging folder into `out` at once: all of them, or (on any failure) none."""
    names = sorted(p.name for p in stage.iterdir())
    claim(out, set(names))
    kept = {f for f in owned(out) if f.split("/")[0] not in names}
    files = {leaf for name in names for leaf in leaves(stage, name)}
    journal = out / f".swap-{os.getpid()}"
    plan = {
        "stage": stage.name,
        "names": [{"name": n, "had_old": os.path.lexists(out / n)} for n in names],
    }
    try:
        (stage / MANIFEST).write_text(json.dumps({"files": sorted(kept | files)}, indent=1), encoding="utf-8")
        (journal / "old").mkdir(parents=True)
        (journal / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
    except OSError as e:
        shutil.rmtree(journal, ignore_errors=True)
        raise os_failure(e, "cannot write the output folder: ") from None
    target = out
    with signals_deferred() as noted:
        try:
            for item in plan["names"]:
                target = out / item["name"]
                if item["had_old"]:
                    move(target, journal / "old" / item["name"])
                move(stage / item["name"], target)
                if noted:
                    raise KeyboardInterrupt
            os.replace(stage / MANIFEST, out / MANIFEST)  # the commit
        except OSError as e:
            roll_back(out, journal)
            raise PublishError(
                f"could not be replaced ({e.strerror or e}); nothing was published, "
                "the previous outputs are as they were",
                Where(shown(target)),
            ) from None
        except BaseException:
            roll_back(out, journal)
            raise
    shutil.rmtree(journal, ignore_errors=True)
    return [out / name for name in names]


def roll_back(out: Path, journal: Path) -> None:
    """Undo an unfinished swap from its journal (or, when it had committed, just drop the old versions)."""
    try:
        plan = json.loads((journal / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        plan = None  # killed while writing the journal: nothing was moved yet
    stage = out / plan["stage"] if plan else out
    if plan and (stage / MANIFEST).exists():  # not committed: put every old entry back
        for item in reversed(plan["names"]):
            name = item["name"]
            target, old = out / name, journal / "old" / name
            moved_in = not os.path.lexists(stage / name) and os.path.lexists(target)
            if item["had_old"] and not os.path.lexists(old):
                continue  # never moved aside: out/name is still the old one
            if moved_in:
                with contextlib.suppress(OSError):
                    os.rename(target, stage / name)
            if os.path.lexists(target):
                remove(target)
            if item["had_old"]:
                os.rename(old, target)
    shutil.rmtree(journal, ignore_errors=True)


def remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
