"""`make watch`: a real server on 127.0.0.1 that rebuilds on save, reloads the browser, and survives a bad save."""

import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import build, error_line, write_deck
from deckbuild.command import build_command

CHAPTER = """## {= "First" =} heading

{% call run() %}
print(6 * 7)
{% endcall %}
"""

WAIT = 90  # seconds: an upper bound on one rebuild, never a speed claim


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def status(base: str) -> dict:
    return json.loads(get(base + "/__status"))


def wait_for(base: str, builds: int) -> dict:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        now = status(base)
        if now["builds"] >= builds:
            return now
        time.sleep(0.2)
    pytest.fail(f"no build number {builds} within {WAIT}s: {status(base)}")


class Events(threading.Thread):
    """Reads the server-sent events as a browser's EventSource would."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.received = url, []

    def run(self):
        with urllib.request.urlopen(self.url, timeout=WAIT) as stream:
            for raw in stream:
                line = raw.decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    self.received.append(json.loads(line[6:]))


@contextmanager
def watch(deck: Path, out: Path):
    """`build.py --watch` on a free port: yields its address and its log; Ctrl-C stops it cleanly."""
    figures = deck.parent / "figures_src"
    figures.mkdir(exist_ok=True)
    proc = subprocess.Popen(
        build_command(deck, out, "--watch", "--port", "0", figures_src=figures),
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DECK_COMPANION": "off"},  # serving is the subject, not self-sufficiency
    )
    first = proc.stderr.readline()
    match = re.search(r"serving (http://127\.0\.0\.1:\d+)/deck\.html", first)
    assert match, first
    log = []
    threading.Thread(target=lambda: log.extend(proc.stderr), daemon=True).start()
    try:
        yield match.group(1), log
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
        assert any("watch: stopped" in line for line in log)


@pytest.fixture
def watching(deck_dir, tmp_path):
    deck = write_deck(deck_dir, {"ch.md.j2": CHAPTER})
    out = tmp_path / "out"
    assert build(deck, out, "--accept", companion="off").returncode == 0
    with watch(deck, out) as (base, log):
        yield base, deck_dir / "ch.md.j2", log


def test_rebuilds_on_save_reloads_and_survives_a_broken_build(watching):
    base, chapter, log = watching
    first = wait_for(base, 1)
    assert first["ok"], first
    with urllib.request.urlopen(base + "/", timeout=10) as response:  # the root redirects to the deck
        assert response.url.endswith("/deck.html")
    assert get(base + "/deck.md").startswith("---")
    page = get(base + "/deck.html")
    assert "First heading" in page and 'new EventSource("/__events")' in page
    events = Events(base + "/__events")
    events.start()
    deadline = time.monotonic() + 10
    while not events.received and time.monotonic() < deadline:
        time.sleep(0.05)

    # a prose edit: the deck changes, no snippet re-runs
    chapter.write_text(CHAPTER.replace('{= "First" =}', "Second"), encoding="utf-8")
    second = wait_for(base, 2)
    assert second["ok"] and second["good"] == 2, second
    assert "from cache: ch" in second["ran"] and "ran ch" not in second["ran"]
    assert "Second heading" in get(base + "/deck.html")

    # a broken save: the error is reported, the last good deck is still served
    chapter.write_text("## Broken\n\n{% if %}\n", encoding="utf-8")
    third = wait_for(base, 3)
    assert not third["ok"] and third["good"] == 2
    assert re.search(r"ch\.md\.j2:3: slide 2: template syntax", third["error"]), third
    assert "Second heading" in get(base + "/deck.html")

    # the next good save recovers
    chapter.write_text(CHAPTER.replace('{= "First" =}', "Third"), encoding="utf-8")
    fourth = wait_for(base, 4)
    assert fourth["ok"] and fourth["good"] == 4
    assert "Third heading" in get(base + "/deck.html")

    deadline = time.monotonic() + 10
    while len(events.received) < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [(e["builds"], e["ok"], e["good"]) for e in events.received] == [
        (1, True, 1),
        (2, True, 2),
        (3, False, 2),
        (4, True, 4),
    ]
    assert any("build failed; still serving the last good deck" in line for line in log)


def test_the_open_deck_reloads_itself_and_shows_a_failed_build(chromium, watching):
    """In Chromium: a failed build shows a banner over the last good deck; a good one reloads, same slide."""
    from deckbuild import browser

    base, chapter, _ = watching
    wait_for(base, 1)
    with browser.page() as page:
        page.goto(base + "/deck.html#2")
        page.wait_for_function(
            "() => typeof EventSource !== 'undefined' && document.querySelector('#deck-watch-error')"
        )
        assert page.locator("section h2").first.inner_text() == "First heading"
        chapter.write_text("## Broken\n\n{% if %}\n", encoding="utf-8")
        banner = page.locator("#deck-watch-error")
        banner.wait_for(state="visible", timeout=WAIT * 1000)
        assert "ch.md.j2:3: slide 2: template syntax" in banner.inner_text()
        assert page.locator("section h2").first.inner_text() == "First heading"
        chapter.write_text(CHAPTER.replace('{= "First" =}', "Fixed"), encoding="utf-8")
        page.wait_for_function(
            "() => document.querySelector('section h2')?.textContent === 'Fixed heading'", timeout=WAIT * 1000
        )
        assert page.url.endswith("/deck.html#2")
        assert not page.locator("#deck-watch-error").is_visible()


def test_a_port_in_use_is_one_line_error(deck_dir, tmp_path):
    deck = write_deck(deck_dir, {"ch.md.j2": "## x\n"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            build_command(deck, tmp_path / "out", "--watch", "--port", str(port)),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 8
    assert error_line(proc) == (
        f"error: cannot serve on 127.0.0.1:{port} (Address already in use): try `make watch PORT={port + 1}`"
    )


def test_a_first_build_that_fails_serves_a_waiting_page_until_one_succeeds(deck_dir, tmp_path):
    deck = write_deck(deck_dir, {"ch.md.j2": "## Not yet\n\n{% if %}\n"})
    with watch(deck, tmp_path / "out") as (base, _):
        first = wait_for(base, 1)
        assert not first["ok"] and first["good"] == 0
        page = get(base + "/deck.html")
        assert "最初のビルドが成功すると" in page and "let good = 0;" in page
        (deck_dir / "ch.md.j2").write_text("## Now it builds\n", encoding="utf-8")
        second = wait_for(base, 2)
        assert second["ok"] and second["good"] == 2
        assert "Now it builds" in get(base + "/deck.html")
