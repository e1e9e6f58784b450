"""Render Markdown to HTML with the pinned marp-cli, and make sure the deck's theme was really applied."""

import os
import shutil
import subprocess
from pathlib import Path

from . import ROOT, slides
from .errors import ToolError, Where

MARP_JS = ROOT / "node_modules" / "@marp-team" / "marp-cli" / "marp-cli.js"


def command() -> list[str]:
    """`node marp-cli.js`, or a clear error saying how to get either."""
    node = os.environ.get("NODE") or shutil.which("node")
    if not node or not Path(node).exists():
        raise ToolError(
            "node not found: install Node.js 20 or newer (Debian: apt-get install nodejs npm), then run `make slides`"
        )
    marp = Path(os.environ.get("MARP_CLI", MARP_JS))
    if not marp.is_file():
        raise ToolError(
            f"marp-cli not found at {marp}: run `npm ci` in {ROOT} (`make slides` does it for you)"
        )
    return [node, str(marp)]


def render_html(markdown: Path, html: Path, theme_dir: Path) -> None:
    args = [*command(), "--no-stdin", "--html", "--theme-set", str(theme_dir), "-o", str(html), str(markdown)]
    proc = subprocess.run(args, capture_output=True, text=True, cwd=markdown.parent)
    if proc.returncode != 0 or not html.is_file():
        message = (proc.stderr or proc.stdout).strip().splitlines()
        raise ToolError(f"marp-cli failed: {message[-1] if message else f'exit {proc.returncode}'}")
    check_theme(markdown, html)


def check_theme(markdown: Path, html: Path) -> None:
    """Marp falls back to its default theme without a word; we do not."""
    theme = slides.front_matter(markdown.read_text(encoding="utf-8")).get("theme")
    if theme and f'data-theme="{theme}"' not in html.read_text(encoding="utf-8"):
        raise ToolError(
            f"marp-cli did not apply theme {theme!r} (is its CSS valid?)", Where(markdown.name, 1, 1)
        )
