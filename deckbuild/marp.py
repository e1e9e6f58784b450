"""Render Markdown to HTML with the pinned marp-cli, and make sure the deck's theme was really applied."""

import contextlib
import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from . import ROOT, browser, slides
from .cache import digest
from .errors import ToolError, Where

HTML_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
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


def version() -> str:
    try:
        return json.loads((MARP_JS.parent / "package.json").read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return "unknown"


def html_key(markdown: str, theme_dir: Path) -> dict:
    """Everything the HTML depends on: the Markdown, the themes and the marp-cli version."""
    themes = {p.name: p.read_text(encoding="utf-8") for p in sorted(theme_dir.glob("*.css"))}
    return {"markdown": digest(markdown), "themes": digest(themes), "marp-cli": version()}


def slide_comments(markdown: str) -> list[list[str]]:
    """Each slide's HTML comments as Marp reads them: comment blocks and inline comments, not in code."""
    _, body = slides.split_front_matter(markdown)
    found: list[list[str]] = [[]]
    for tok in slides.tokens(body):
        if tok.type == "hr" and tok.level == 0:
            found.append([])
        elif tok.type == "html_block" and tok.content.lstrip().startswith("<!--"):
            found[-1] += HTML_COMMENT.findall(tok.content)  # inside another HTML block, Marp ignores one
        elif tok.type == "inline":
            found[-1] += [
                c.content
                for c in tok.children or []
                if c.type == "html_inline" and c.content.startswith("<!--")
            ]
    return found


def notes_key(markdown: str) -> dict:
    """Everything the notes depend on: each slide's comments (a prose edit leaves them alone)."""
    return {"notes": digest(slide_comments(markdown)), "marp-cli": version()}


def notes_source(markdown: str) -> str:
    """deck.md reduced to its front matter and each slide's comments: marp-cli writes the same notes from it,
    in half the time of the whole deck."""
    front, _ = slides.split_front_matter(markdown)
    return front + "\n\n---\n\n".join("\n\n".join(c) for c in slide_comments(markdown)) + "\n"


def arguments(markdown: Path | None, target: Path, theme_dir: Path, *flags: str) -> list[str]:
    """marp-cli rendering `markdown` (None: its standard input) to `target` with HTML and the deck's themes."""
    source = ["--no-stdin"] if markdown else []
    args = [*command(), *source, "--html", "--theme-set", str(theme_dir), *flags, "-o", str(target)]
    return args + ([str(markdown)] if markdown else [])


def last_line(out: str, err: str, returncode: int) -> str:
    lines = (err or out).strip().splitlines()
    return lines[-1] if lines else f"exit {returncode}"


class Render:
    """marp-cli running in the background, so the notebook can be written meanwhile.

    `--notes` makes it write the presenter notes (the slides' HTML comments) as text instead of HTML.
    With markdown None, marp-cli starts at once and reads the Markdown from its standard input, given
    later by feed(): node's start-up then overlaps the build's own work.
    """

    def __init__(self, markdown: Path | None, target: Path, theme_dir: Path, *flags: str):
        self.markdown, self.target = markdown, target
        self.feeder: threading.Thread | None = None
        self.proc = subprocess.Popen(
            arguments(markdown, target, theme_dir, *flags),
            cwd=(markdown or target).parent,
            stdin=subprocess.DEVNULL if markdown else subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=notes_env() if "--notes" in flags else None,
        )

    def feed(self, markdown: Path, text: str) -> None:
        """Give a render started without Markdown its text (also written at `markdown`, for the theme check)."""
        self.markdown = markdown
        stdin, self.proc.stdin = self.proc.stdin, None

        def write() -> None:
            with contextlib.suppress(OSError), stdin:  # OSError: marp-cli was stopped meanwhile
                stdin.write(text)

        self.feeder = threading.Thread(target=write, daemon=True)
        self.feeder.start()

    def wait(self) -> None:
        if self.feeder is not None:
            self.feeder.join()
        out, err = self.proc.communicate()
        if self.proc.returncode != 0 or not self.target.is_file():
            raise ToolError(
                f"marp-cli could not render {self.target.name}: {last_line(out, err, self.proc.returncode)}"
            )
        if self.target.suffix == ".html":
            check_theme(self.markdown, self.target)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        if self.feeder is not None:
            self.feeder.join()


def notes_env() -> dict:
    """marp-cli insists on finding a browser before writing notes, though it never starts one for them.

    Without Chromium (`make slides` does not need it) it is pointed at node, so the notes still come out.
    """
    try:
        chromium = browser.find()
    except ToolError:
        chromium = command()[0]
    return {**os.environ, "CHROME_PATH": chromium}


def render_html(markdown: Path, html: Path, theme_dir: Path) -> None:
    Render(markdown, html, theme_dir).wait()


def export(markdown: Path, target: Path, theme_dir: Path, *flags: str) -> None:
    """PDF or PNGs through the system Chromium, local images allowed, in a temp folder removed afterwards."""
    chromium = browser.find()
    browser_flags = ["--allow-local-files", "--browser", "chrome", "--browser-path", chromium]
    args = arguments(markdown, target, theme_dir, *browser_flags, "--browser-timeout", "120", *flags)
    with browser.private_tmp() as tmp:
        env = {**os.environ, "TMPDIR": tmp, "CHROME_PATH": chromium}
        proc = subprocess.run(args, cwd=markdown.parent, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise ToolError(
            f"marp-cli could not render {target.name}: {last_line(proc.stdout, proc.stderr, proc.returncode)}"
        )


def check_theme(markdown: Path, html: Path) -> None:
    """Marp falls back to its default theme without a word; we do not: every slide carries the named theme."""
    text = markdown.read_text(encoding="utf-8")
    directives = slides.theme_directives(text)
    theme = slides.front_matter(text).get("theme") or (directives[-1][1] if directives else None)
    if not theme:
        return
    wanted = f'data-theme="{theme}"'.encode()
    # the HTML's bytes, not its text: this runs after marp-cli, and decoding 2 MB of deck takes longer than this
    for n, section in enumerate(re.findall(rb"<section\b[^>]*>", html.read_bytes()), 1):
        if wanted not in section:
            raise ToolError(
                f"marp-cli did not apply theme {theme!r} to slide {n} (is its CSS valid?)",
                Where(markdown.name, 1, n),
            )
