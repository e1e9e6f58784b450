"""The deck's own settings: the `[tool.deckbuild]` table of the pyproject.toml nearest above the deck.

Everything the engine must know about a subject is here, so the engine itself names none:

    [tool.deckbuild]
    code_dirs = ["code"]                 # the subject's importable code: source() reads it; the kernel
                                         # and the figure scripts get it on their PYTHONPATH
    figures = "figures_src"              # the figure scripts (build.py's --figures-src overrides it)
    themes = "slides/themes"             # the Marp themes (default: themes/ beside the deck)
    helpers = "mypackage.slide_text"     # a module whose functions value() and table() see
    cache_env = ["MY_DATA"]              # environment settings that change outputs: part of every cache key
    cache_packages = ["numpy", "matplotlib"]   # package versions in every cache key (Python's always is)
    snapshot_variant = { env = "MY_DATA", default = ["", "small"], folder = "data-{value}" }
                                         # outputs under another value of env are recorded apart

Paths are relative to the pyproject.toml. A deck with no such file above it gets the defaults.
The file is read once per process (for_deck is cached).
"""

import os
import tomllib
from dataclasses import dataclass, fields
from functools import cache, partial
from pathlib import Path

from .errors import ConfigError, Where

DEFAULT_PACKAGES = ("numpy", "matplotlib")  # what the engine itself uses in the kernel and the figure runner


@dataclass(frozen=True)
class SnapshotVariant:
    """Outputs recorded apart when the environment setting `env` holds a value outside `default`."""

    env: str
    default: tuple[str, ...] = ("",)
    folder: str = "{value}"  # the sub-folder of snapshots/, "{value}" replaced by the setting's value


@dataclass(frozen=True)
class Config:
    """The deck's settings, typed; every field has a default that names no subject."""

    code_dirs: tuple[Path, ...] = ()
    figures: Path | None = None
    themes: Path | None = None
    helpers: str = ""
    cache_env: tuple[str, ...] = ()
    cache_packages: tuple[str, ...] = DEFAULT_PACKAGES
    snapshot_variant: SnapshotVariant | None = None
    source: Path | None = None  # the pyproject.toml it came from

    def theme_dir(self, deck_dir: Path) -> Path:
        """The themes folder: the configured one, else themes/ beside the deck."""
        return self.themes or deck_dir / "themes"


def find(folder: Path) -> Path | None:
    """The pyproject.toml in folder or the nearest folder above it."""
    for candidate in (folder, *folder.parents):
        path = candidate / "pyproject.toml"
        if path.is_file():
            return path
    return None


@cache
def for_deck(folder: Path) -> Config:
    """The configuration of the deck in folder (read once)."""
    path = find(Path(folder).resolve())
    return load(path) if path else DEFAULTS


def load(path: Path) -> Config:
    """Read and check [tool.deckbuild]; anything wrong is a one-line ConfigError naming the file and line."""
    text = path.read_text(encoding="utf-8")
    try:
        table = tomllib.loads(text).get("tool", {}).get("deckbuild", {})
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", Where(os.path.relpath(path, Path.cwd()))) from None
    known = {f.name for f in fields(Config)} - {"source"}
    base = path.parent
    shown = os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)

    def fail(key: str, message: str):
        raise ConfigError(f"[tool.deckbuild] {key}: {message}", Where(shown, line_of(text, key)))

    for key in table:
        if key not in known:
            fail(key, f"unknown key (known: {', '.join(sorted(known))})")
    values: dict = {"source": path}
    for key, value in table.items():
        if key in ("code_dirs", "cache_env", "cache_packages"):
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                fail(key, "must be a list of strings")
            values[key] = tuple(base / v for v in value) if key == "code_dirs" else tuple(value)
        elif key in ("figures", "themes", "helpers"):
            if not isinstance(value, str) or not value:
                fail(key, "must be a string")
            values[key] = value if key == "helpers" else base / value
        elif key == "snapshot_variant":
            values[key] = variant(value, partial(fail, key))
    return Config(**values)


def variant(value, fail) -> SnapshotVariant:
    if not isinstance(value, dict) or not isinstance(value.get("env"), str):
        fail('must be a table with env = "NAME" (and default = […], folder = "…{value}…")')
    unknown = set(value) - {"env", "default", "folder"}
    if unknown:
        fail(f"unknown key {sorted(unknown)[0]!r} (known: default, env, folder)")
    default = value.get("default", [""])
    if not isinstance(default, list) or not all(isinstance(v, str) for v in default):
        fail("default must be a list of strings")
    folder = value.get("folder", "{value}")
    if not isinstance(folder, str) or "{value}" not in folder:
        fail('folder must be a string holding "{value}"')
    return SnapshotVariant(value["env"], tuple(default), folder)


def line_of(text: str, key: str) -> int | None:
    """The line a key is written on (the first such line after [tool.deckbuild])."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "[tool.deckbuild]"), 0)
    for i, line in enumerate(lines[start:], start=start + 1):
        if line.lstrip().startswith(key) and line.lstrip()[len(key) :].lstrip().startswith("="):
            return i
    return None


DEFAULTS = Config()  # a deck with no [tool.deckbuild]
