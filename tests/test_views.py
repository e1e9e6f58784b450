"""The deck as people see it: the real one in a browser with zero findings and as a PDF; slide pictures.

The real deck's looks use the deck the run built once (conftest's `deck_build`), in a copy of `_build/`
with its cache (`deck_copy`), so the build before each look runs nothing and `_build/` gets no PDF that
`make slides` would not write. Slide pictures are checked on a small deck (one picture per slide is the
engine's promise, and rendering all the real slides to pictures costs half a minute). CI never skips
them (conftest's `chromium`).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from conftest import DECK, ROOT, build, error_line, write_deck
from deckbuild import exports
from deckbuild.command import build_command


def build_deck(out: Path, *args: str, env: dict | None = None):
    return build(DECK, out, *args, env=env, figures=ROOT / "figures_src")


def slide_count(out: Path) -> int:
    return len(json.loads((out / "deck.map.json").read_text(encoding="utf-8")))


def headings(out: Path) -> list[str]:
    md = (out / "deck.md").read_text(encoding="utf-8")
    return [re.sub(r"<br>|\s+", "", h) for h in re.findall(r"^#{1,3} (.+)$", md, re.MULTILINE)]


@pytest.fixture
def tmpdir_env():
    """A short, empty TMPDIR of the test's own: the browser runs must leave nothing in it."""
    folder = Path(tempfile.mkdtemp(prefix="dk", dir="/tmp"))
    yield {"TMPDIR": str(folder)}
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def real_looks(deck_copy):
    """(Asked for after `chromium`, which skips or fails the tests without a browser.) One look at the real deck: --check and --pdf in one run (one build, one browser), in a temp folder
    of its own that the browser runs must leave empty."""
    folder = Path(tempfile.mkdtemp(prefix="dk", dir="/tmp"))
    proc = build_deck(deck_copy, "--check", "--pdf", env={"TMPDIR": str(folder)})
    left = list(folder.iterdir())
    shutil.rmtree(folder, ignore_errors=True)
    return proc, left


def test_real_deck_has_no_browser_findings(chromium, real_looks, deck_copy):
    proc, left = real_looks
    assert proc.returncode == 0, proc.stderr
    assert f"check: {slide_count(deck_copy)} slides looked at in Chromium, no findings" in proc.stderr
    assert left == [], "browser profiles were left in the temp folder"


def test_pdf_has_every_slide_with_its_japanese_text(chromium, real_looks, deck_copy):
    proc, left = real_looks
    assert proc.returncode == 0, proc.stderr
    pdf = deck_copy / "deck.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1)) == slide_count(deck_copy)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    squeezed = re.sub(r"\s+", "", text)
    missing = [h for h in headings(deck_copy) if re.sub(r"\$[^$]*\$", "", h) not in squeezed]
    assert not missing, f"headings not found as text in the PDF: {missing}"
    assert left == [], "browser profiles were left in the temp folder"

    written = pdf.stat().st_mtime_ns
    again = build_deck(deck_copy, "--pdf")
    assert again.returncode == 0 and "kept deck.pdf" in again.stderr
    assert pdf.stat().st_mtime_ns == written


def test_images_one_png_per_slide_and_a_contact_sheet(chromium, deck_dir, tmp_path):
    # A small deck of more slides than a contact-sheet row, with Japanese and math: rendering each of the real
    # deck's slides to a picture took half a minute, and the PDF and --check already render every one of them.
    slides = [f"## 見出し {i}\n\n本文 $x^{i}$\n" for i in range(exports.COLUMNS + 1)]
    deck = write_deck(deck_dir, {"ch.md.j2": "\n---\n\n".join(slides)})
    out = tmp_path / "out"
    proc = build(deck, out, "--images")
    assert proc.returncode == 0, proc.stderr
    pngs = sorted((out / "slides").glob("*.png"))
    count = slide_count(out)
    assert count == len(slides) + 1  # the title slide
    assert [p.name for p in pngs] == [f"{i:03d}.png" for i in range(1, count + 1)]
    for png in pngs:
        with Image.open(png) as im:
            assert im.size == (1280, 720)
    with Image.open(out / "contact.png") as sheet:
        rows = -(-count // exports.COLUMNS)
        assert sheet.height >= rows * exports.THUMB[1] and sheet.width >= exports.COLUMNS * exports.THUMB[0]
        # every thumbnail holds a slide, not the sheet's grey background
        for i in range(count):
            x = exports.GAP + (i % exports.COLUMNS) * (exports.THUMB[0] + exports.GAP)
            y = exports.GAP + (i // exports.COLUMNS) * (exports.THUMB[1] + exports.LABEL + exports.GAP)
            tile = sheet.crop((x + 2, y + 2, x + exports.THUMB[0] - 2, y + exports.THUMB[1] - 2))
            assert len(tile.getcolors(maxcolors=1 << 16) or range(99)) > 5, i + 1


def test_without_chromium_pdf_and_check_fail_with_one_line_and_write_nothing(deck_dir, tmp_path):
    deck = write_deck(deck_dir, {"ch.md.j2": "## 見出し\n\n本文\n\n<!-- 発表者用のメモ -->\n"})
    out = tmp_path / "out"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "node").symlink_to(shutil.which("node"))
    env = {"PATH": str(bin_dir), "CHROME_PATH": ""}
    for flag in ("--pdf", "--check", "--images"):
        proc = build(deck, out, flag, env=env)
        assert proc.returncode == 8, proc.stderr
        assert "no Chromium found on PATH" in error_line(proc)
        assert "apt-get install chromium fonts-noto-cjk" in error_line(proc)
    assert not out.exists()  # refused before the build: not even deck.md was written
    plain = build(deck, out, env=env)  # `make slides` needs no browser, presenter notes included
    assert plain.returncode == 0, plain.stderr
    assert (out / "deck.html").is_file() and "発表者用のメモ" in (out / "deck.notes.txt").read_text(
        encoding="utf-8"
    )

    proc = build(deck, out, "--pdf", env={"CHROME_PATH": str(tmp_path / "no-such-browser")})
    assert proc.returncode == 8 and "is not an executable browser" in error_line(proc)


def test_ctrl_c_during_the_pdf_leaves_no_pdf_no_staging_and_no_browser_files(
    chromium, deck_dir, tmp_path, tmpdir_env
):
    deck = write_deck(deck_dir, {"ch.md.j2": "## 見出し\n\n本文\n"})
    out = tmp_path / "out"
    assert build(deck, out).returncode == 0
    proc = subprocess.Popen(
        build_command(deck, out, "--pdf", figures_src=deck_dir),
        env={**os.environ, **tmpdir_env},
        stderr=subprocess.PIPE,
        text=True,
    )
    tmp = Path(tmpdir_env["TMPDIR"])
    deadline = time.monotonic() + 60
    while not list(tmp.rglob("deckbuild-browser-*")) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert list(tmp.rglob("deckbuild-browser-*")), "marp-cli never started"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted: nothing was published" in stderr
    assert not (out / "deck.pdf").exists() and not list(out.glob(".staging-*"))
    deadline = time.monotonic() + 5  # the browser marp-cli started is gone with its folder
    while list(tmp.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # and nothing comes back
    assert list(tmp.iterdir()) == []
