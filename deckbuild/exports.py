"""The deck on paper and as pictures: deck.pdf, one PNG per slide, and a contact sheet of all of them.

Each is rendered by marp-cli through the system Chromium from the published deck.md, into a staging
folder swapped in at the end, and is skipped when nothing it depends on has changed.
"""

import importlib.util
import shutil
from pathlib import Path

from . import browser, cache, marp, publish, slides

THUMB = (320, 180)  # a quarter of a slide
COLUMNS = 5
GAP = 16
LABEL = 26


def key(out: Path, theme_dir: Path) -> dict:
    """What an export depends on: deck.md, themes, marp-cli, every published figure, and the browser."""
    markdown = (out / "deck.md").read_text(encoding="utf-8")
    figures = {p.name: cache.file_sha256(p) for p in sorted((out / "figures").glob("*"))}
    return {**marp.html_key(markdown, theme_dir), "figures": cache.digest(figures), "browser": browser.find()}


def refresh(out: Path, theme_dir: Path, name: str, marker: str, render, log, force: bool) -> list[Path]:
    """Re-render an export into staging and swap it in, unless `out/marker` is still what the inputs give."""
    exports = cache.Cache(out / ".cache" / "exports")
    with publish.exclusive(out):
        want = key(out, theme_dir)
        payload, _ = exports.lookup(name, want)
        published = out / marker
        if (
            not force
            and payload
            and published.is_file()
            and cache.file_sha256(published) == payload["sha256"]
        ):
            log(f"{name}: deck.md, themes, figures and marp-cli unchanged; kept {marker}")
            return []
        with publish.staging(out) as stage:
            render(stage)
            exports.store(name, want, {}, {"sha256": cache.file_sha256(stage / marker)})
            return publish.swap_in(stage, out)


def pdf(out: Path, theme_dir: Path, log, force: bool = False) -> list[Path]:
    """`make pdf`: out/deck.pdf, local images allowed, Japanese in the fonts the slides ask for."""

    def render(stage: Path) -> None:
        marp.export(out / "deck.md", stage / "deck.pdf", theme_dir, "--pdf", "--pdf-outlines")

    return refresh(out, theme_dir, "pdf", "deck.pdf", render, log, force)


def images(out: Path, theme_dir: Path, log, force: bool = False) -> list[Path]:
    """`make images`: out/slides/NNN.png for every slide, and out/contact.png with all of them."""

    def render(stage: Path) -> None:
        rendered = stage / "render"
        rendered.mkdir()
        marp.export(out / "deck.md", rendered / "deck.png", theme_dir, "--images", "png")
        (stage / "slides").mkdir()
        pngs = [
            png.rename(stage / "slides" / f"{png.name.split('.')[1]}.png")
            for png in sorted(rendered.glob("deck.*.png"))
        ]
        shutil.rmtree(rendered)
        titles = slides.headings((out / "deck.md").read_text(encoding="utf-8"))
        contact_sheet(pngs, titles, stage / "contact.png")

    return refresh(out, theme_dir, "images", "contact.png", render, log, force)


def label_font(size: int):
    """IPAexGothic from the japanize-matplotlib wheel (the figures' font), so headings read in Japanese."""
    from PIL import ImageFont

    spec = importlib.util.find_spec("japanize_matplotlib")
    return ImageFont.truetype(
        str(Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"), size
    )


def contact_sheet(pngs: list[Path], titles: list[str], target: Path) -> None:
    """All slides as thumbnails in rows of COLUMNS, each with its number and heading, to see the deck at a glance."""
    from PIL import Image, ImageDraw  # only here: every build imports this module, few make images

    rows = max(1, -(-len(pngs) // COLUMNS))
    width = COLUMNS * THUMB[0] + (COLUMNS + 1) * GAP
    height = rows * (THUMB[1] + LABEL) + (rows + 1) * GAP
    sheet = Image.new("RGB", (width, height), "#d1d5db")
    draw = ImageDraw.Draw(sheet)
    font = label_font(16)
    for i, png in enumerate(pngs):
        x = GAP + (i % COLUMNS) * (THUMB[0] + GAP)
        y = GAP + (i // COLUMNS) * (THUMB[1] + LABEL + GAP)
        with Image.open(png) as slide:
            sheet.paste(slide.convert("RGB").resize(THUMB, Image.Resampling.LANCZOS), (x, y))
        draw.rectangle((x - 1, y - 1, x + THUMB[0], y + THUMB[1]), outline="#6b7280")
        title = titles[i] if i < len(titles) else ""
        label = f"{png.stem} {title}"
        while font.getlength(label) > THUMB[0] and len(label) > len(png.stem) + 1:
            label = label[:-2] + "…"
        draw.text((x, y + THUMB[1] + 4), label, fill="#111827", font=font)
    sheet.save(target, optimize=True)
