"""marp-cli started before the Markdown exists, after an edit: node's start-up overlaps the build's own work.

Only the standard library, the configuration and marp.py are imported here, so that build.py can start
marp-cli before it imports the rest of the engine (markdown-it, Jinja, nbformat: a tenth of a second).
"""

import contextlib
import os
from pathlib import Path

from . import config, marp
from .errors import ToolError


def edited(deck: Path, out: Path, theme_dir: Path) -> bool:
    """A guess: a source of the deck (template, theme, code) is newer than the published deck.html."""
    try:
        made = (out / "deck.html").stat().st_mtime
        folder = deck.parent
        sources = [*folder.glob("*.j2"), *folder.glob("*/*.j2"), *theme_dir.glob("*.css")]
        for code_dir in config.for_deck(folder).code_dirs:
            sources += code_dir.rglob("*.py") if code_dir.is_dir() else []
        return not all(p.stat().st_mtime <= made for p in sources)
    except OSError:
        return True


def start(
    deck: Path, out: Path, theme_dir: Path, html: bool, force: bool, stack: contextlib.ExitStack
) -> marp.Render | None:
    """marp-cli for deck.html reading its Markdown from standard input (Render.feed), when the build will
    render deck.html and `edited` (or --force) says it must; stopped and its output removed when the build
    leaves `stack`. When the guess is wrong, start_marp stops it or starts marp-cli itself. Without node
    or marp-cli it starts nothing: marp.command() says so after the templates, as a build that starts it
    late does."""
    if not html or not deck.is_file() or not (force or edited(deck, out, theme_dir)):
        return None
    folder = out / ".cache" / "marp"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        render = marp.Render(None, folder / f"early-{os.getpid()}.html", theme_dir)
    except ToolError:
        return None
    stack.callback(render.target.unlink, missing_ok=True)
    stack.callback(render.stop)
    return render
