"""The deck on paper and as pictures: deck.pdf, one PNG per slide, and a contact sheet of all of them.

Each is rendered by marp-cli through the system Chromium from the published deck.md, into a staging
folder swapped in at the end, and is skipped when nothing it depends on has changed.
"""

import shutil
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from . import browser, cache, marp, publish

THUMB = (320, 180)  # a quarter of a slide
COLUMNS = 5
GAP = 16
LABEL = 26


def key(out: Path, theme_dir: Path) -> dict:
    """What an export depends on: deck.md, themes, marp-cli, every published figure, and the browser."""
    markdown = (out / "deck.md").read_text(encoding="utf-8")
    figures = {p.name: cache.file_sha256(p) for p in sorted((out / "figures").glob("*"))}
    return {**marp.html_key(markdown, theme_dir), "figures": cache.digest(figures), "browser": browser.find()}


def up_to_date(exports: cache.Cache, name: str, want: dict, published: Path) -> bool:
    payload, _ = exports.lookup(name, want)
    return payload is not None and published.is_file() and cache.file_sha256(published) == payload["sha256"]


def pdf(out: Path, theme_dir: Path, log, force: bool = False) -> list[Path]:
    """`make pdf`: out/deck.pdf, local images allowed, Japanese in the fonts the slides ask for."""
    exports = cache.Cache(out / ".cache" / "exports")
    with publish.exclusive(out):
        want = key(out, theme_dir)
        if not force and up_to_date(exports, "pdf", want, out / "deck.pdf"):
            log("pdf: deck.md, themes, figures and marp-cli unchanged; kept deck.pdf")
            return []
        with publish.staging(out) as stage:
            marp.export(out / "deck.md", stage / "deck.pdf", theme_dir, "--pdf", "--pdf-outlines")
            exports.store("pdf", want, {}, {"sha256": cache.file_sha256(stage / "deck.pdf")})
            return publish.swap_in(stage, out)


def images(out: Path, theme_dir: Path, log, force: bool = False) -> list[Path]:
    """`make images`: out/slides/NNN.png for every slide, and out/contact.png with all of them."""
    exports = cache.Cache(out / ".cache" / "exports")
    with publish.exclusive(out):
        want = key(out, theme_dir)
        if not force and up_to_date(exports, "images", want, out / "contact.png"):
            log("images: deck.md, themes, figures and marp-cli unchanged; kept slides/*.png and contact.png")
            return []
        with publish.staging(out) as stage:
            rendered = stage / "render"
            rendered.mkdir()
            marp.export(out / "deck.md", rendered / "deck.png", theme_dir, "--images", "png")
            (stage / "slides").mkdir()
            pngs = []
            for png in sorted(rendered.glob("deck.*.png")):
                pngs.append(png.rename(stage / "slides" / f"{png.name.split('.')[1]}.png"))
            shutil.rmtree(rendered)
            contact_sheet(pngs, stage / "contact.png")
            exports.store("images", want, {}, {"sha256": cache.file_sha256(stage / "contact.png")})
            return publish.swap_in(stage, out)


def contact_sheet(pngs: list[Path], target: Path) -> None:
    """All slides as thumbnails in rows of COLUMNS, each numbered, so the whole deck shows at a glance."""
    rows = max(1, -(-len(pngs) // COLUMNS))
    width = COLUMNS * THUMB[0] + (COLUMNS + 1) * GAP
    height = rows * (THUMB[1] + LABEL) + (rows + 1) * GAP
    sheet = Image.new("RGB", (width, height), "#d1d5db")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=18)
    for i, png in enumerate(pngs):
        x = GAP + (i % COLUMNS) * (THUMB[0] + GAP)
        y = GAP + (i // COLUMNS) * (THUMB[1] + LABEL + GAP)
        with Image.open(png) as slide:
            sheet.paste(slide.convert("RGB").resize(THUMB, Image.Resampling.LANCZOS), (x, y))
        draw.rectangle((x - 1, y - 1, x + THUMB[0], y + THUMB[1]), outline="#6b7280")
        draw.text((x, y + THUMB[1] + 4), png.stem, fill="#111827", font=font)
    sheet.save(target, optimize=True)
