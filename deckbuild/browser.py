"""The system Chromium: found on PATH or through CHROME_PATH, never downloaded, with a temp folder of its own.

Every browser run (Playwright's, or marp-cli's for PDF and PNG) gets a private TMPDIR that is removed
afterwards, so browser profiles do not pile up in the temp folder, even after Ctrl-C; after a SIGKILL the
next build sweeps it (deckbuild.leftovers).
"""

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from . import leftovers
from .errors import ToolError

FOLDER = leftovers.PREFIX + "browser-"
# The longest browser folder path: Chromium's lock socket lives under it, and a socket path must stay under 108 bytes
SHORT_TMP = 62
NAMES = ("chromium", "chromium-browser", "google-chrome-stable", "google-chrome")
INSTALL = (
    "install Chromium and Japanese fonts (Debian: apt-get install chromium fonts-noto-cjk) or set CHROME_PATH"
)


def find() -> str:
    """The browser to use: $CHROME_PATH, else the first Chromium on PATH; a one-line error when there is none."""
    chosen = os.environ.get("CHROME_PATH")
    if chosen:
        if Path(chosen).is_file() and os.access(chosen, os.X_OK):
            return chosen
        raise ToolError(f"CHROME_PATH={chosen} is not an executable browser: {INSTALL}")
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return found
    raise ToolError(f"no Chromium found on PATH: {INSTALL}")


@contextmanager
def private_tmp():
    """A fresh temp folder for one browser run, removed with everything in it afterwards."""
    base = tempfile.gettempdir()
    if len(os.path.join(base, FOLDER + "12345678")) > SHORT_TMP and os.access("/tmp", os.W_OK):
        base = "/tmp"  # a long TMPDIR would make Chromium fail to start
        leftovers.sweep(base)  # outside the build's temp folder: sweep what killed builds left there
    with leftovers.private_dir(base, prefix=FOLDER) as folder:
        yield str(folder)


@contextmanager
def environment(tmp: str):
    """os.environ with TMPDIR pointing at `tmp` while the block runs (Playwright's driver reads it at start)."""
    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = tmp
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = old


@contextmanager
def page(width: int = 1280, height: int = 720):
    """A Playwright page in headless system Chromium; the browser and its profile are gone afterwards."""
    executable = find()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with private_tmp() as tmp, environment(tmp), sync_playwright() as pw:
        try:
            browser = pw.chromium.launch(executable_path=executable, env={**os.environ, "TMPDIR": tmp})
        except PlaywrightError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ToolError(f"{executable} did not start: {first}") from None
        try:
            yield browser.new_page(viewport={"width": width, "height": height})
        finally:
            browser.close()
