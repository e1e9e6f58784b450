"""Look at every slide of deck.html in headless Chromium and report what a person would wince at.

Five kinds of finding, each naming the slide, its heading and the template line it comes from:
overflow (content leaving the slide or cut inside a code block or table), image (failed to load or
scaled to nothing), math (MathJax/KaTeX errors), font (Japanese drawn without a Japanese font: tofu),
theme (the deck's theme not applied) — and small (text shrunk below a readable size).
"""

import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import browser, slides, sourcemap
from .errors import CheckError, ToolError, Where

PROBE = Path(__file__).with_name("probe.js")
# Marp's viewer skips drawing the slides not on screen, and hides list items not yet stepped to.
# Show every slide as it looks when it is on screen, all steps done, so all can be looked at at once.
ALL_ON_SCREEN = """
svg.bespoke-marp-slide { content-visibility: visible !important; }
[data-bespoke-marp-fragment=inactive] { visibility: visible !important; }
"""
TOLERANCE_PX = 3  # rounding slack before content counts as overflowing
MIN_FONT_PX = 16  # on a 1280×720 slide; the deck's smallest text (code on a `small` slide) is 18px
MIN_FIGURE_FONT_PX = 12  # tick labels and legends of a figure may be smaller than prose, not unreadable

# Text in an SVG figure: matplotlib draws glyphs as paths scaled by size/100 ("scale(0.12 -0.12)" is
# 12 units); other tools write <text font-size="…">. Units are the SVG's own (its viewBox).
GLYPH_SCALE = re.compile(r"scale\((\d*\.?\d+) -\1\)")
# Inside one text group, mathtext draws sub- and superscripts as glyphs scaled down again ("scale(0.7)").
NESTED_SCALE = re.compile(r"<use\b[^>]*?scale\((\d*\.?\d+)\)")
TEXT_SIZE = re.compile(r"<text\b[^>]*?font-size[:=]\s*\"?(\d*\.?\d+)")
SVG_WIDTH = re.compile(r"<svg\b[^>]*?(?:viewBox=\"[-\d.]+ [-\d.]+ ([\d.]+)|width=\"([\d.]+))")


@dataclass
class Finding:
    slide: int
    heading: str
    kind: str
    message: str
    origin: sourcemap.SlideOrigin | None = None

    def __str__(self) -> str:
        where = f"{self.origin.file}:{self.origin.line}: " if self.origin else ""
        return f"{where}slide {self.slide} «{self.heading}»: {self.kind}: {self.message}"


@cache
def japanese_fonts() -> frozenset[str]:
    """Font families fontconfig says can draw Japanese (the browser draws with the same fontconfig)."""
    try:
        out = subprocess.run(
            ["fc-list", ":lang=ja", "family"], capture_output=True, text=True, check=True
        ).stdout
    except FileNotFoundError:
        raise ToolError(
            "fc-list not found: install fontconfig (Debian: apt-get install fontconfig)"
        ) from None
    return frozenset(name.strip() for line in out.splitlines() for name in line.split(","))


GENERIC_FAMILIES = {
    "serif",
    "sans-serif",
    "monospace",
    "cursive",
    "fantasy",
    "system-ui",
    "ui-sans-serif",
    "ui-serif",
    "ui-monospace",
    "math",
    "emoji",
}


def asked_fonts(css_family: str) -> list[str]:
    """The families a computed `font-family` value names, unquoted."""
    return [name.strip().strip("\"'") for name in css_family.split(",") if name.strip()]


def font_problem(text: dict, fonts: list[dict], capable: frozenset[str]) -> str | None:
    """Why these Japanese characters are not drawn right, or None.

    Tofu: fewer glyphs came from Japanese-capable fonts than there are Japanese characters.
    Fallback: they came from a font the text never asked for (and no generic family let the browser
    choose), so the slide looks different, or Chinese, on a machine with other fonts.
    """
    drawn = sum(f["glyphCount"] for f in fonts if f["familyName"] in capable or f["isCustomFont"])
    if drawn < text["chars"]:
        others = ", ".join(sorted({f["familyName"] for f in fonts if f["familyName"] not in capable}))
        return (
            f"Japanese text «{text['text']}» is drawn in {others or 'no font'}, "
            f"which has no Japanese glyphs (tofu): {browser.INSTALL}"
        )
    asked = asked_fonts(text["family"])
    if any(name.lower() in GENERIC_FAMILIES for name in asked):
        return None
    fallback = sorted(
        {f["familyName"] for f in fonts if f["familyName"] in capable and f["familyName"] not in asked}
    )
    if fallback:
        return (
            f"Japanese text «{text['text']}» is drawn in {', '.join(fallback)}, a fallback the browser chose: "
            f"none of the fonts it asks for ({', '.join(asked)}) can draw Japanese here"
        )
    return None


def font_findings(page, slide_list: list[dict]) -> list[Finding]:
    """Elements whose Japanese characters are not drawn by a Japanese font they ask for, asked of Chromium itself."""
    marked = {m["marker"]: (s, m) for s in slide_list for m in s["japanese"]}
    if not marked:
        return []
    capable = japanese_fonts()
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    query = {"nodeId": root, "selector": "[data-deckcheck-ja]"}
    found = []
    for node_id in cdp.send("DOM.querySelectorAll", query)["nodeIds"]:
        attrs = cdp.send("DOM.getAttributes", {"nodeId": node_id})["attributes"]
        marker = dict(zip(attrs[::2], attrs[1::2], strict=True)).get("data-deckcheck-ja")
        if marker not in marked:
            continue
        slide, text = marked[marker]
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node_id})["fonts"]
        message = font_problem(text, fonts, capable)
        if message:
            found.append(Finding(slide["number"], slide["heading"], "font", message))
    return found


def smallest_text(svg: Path) -> tuple[float, float] | None:
    """(smallest text size, width) of an SVG figure, both in its own units; None if it has no text."""
    try:
        text = svg.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    sizes = [float(s) for s in TEXT_SIZE.findall(text)]
    for group in re.split(r"<g id=\"text_", text)[1:]:
        base = GLYPH_SCALE.search(group)
        if base:
            nested = [float(k) for k in NESTED_SCALE.findall(group)]
            sizes.append(float(base.group(1)) * 100 * min([1.0, *nested]))
    width = SVG_WIDTH.search(text)
    if not sizes or not width:
        return None
    return min(sizes), float(width.group(1) or width.group(2))


def figure_text_findings(slide_list: list[dict], folder: Path) -> list[Finding]:
    """Figures whose smallest text, at the width the slide shows them, is below MIN_FIGURE_FONT_PX."""
    found = []
    for s in slide_list:
        for image in s["images"]:
            measured = smallest_text(folder / image["src"]) if image["src"].endswith(".svg") else None
            if measured is None:
                continue
            size, width = measured
            shown = size * image["width"] / width
            if shown < MIN_FIGURE_FONT_PX:
                message = (
                    f"figure {image['src']}: its smallest text is drawn at {shown:.1f}px (shown {image['width']:.0f}px "
                    f"wide), below the {MIN_FIGURE_FONT_PX}px that reads on a slide; enlarge its text or show it wider"
                )
                found.append(Finding(s["number"], s["heading"], "small", message))
    return found


def theme_findings(slide_list: list[dict], theme: str | None) -> list[Finding]:
    return [
        Finding(
            s["number"],
            s["heading"],
            "theme",
            f"theme {theme!r} is not applied (Marp drew the slide with {s['theme'] or 'its default'!r})",
        )
        for s in slide_list
        if theme and s["theme"] != theme
    ]


def inspect(html: Path, theme: str | None = None) -> tuple[list[Finding], int]:
    """Every finding on every slide of `html`, and the number of slides; `theme` is the theme they must carry."""
    html = html.resolve()
    if not html.is_file():
        raise CheckError("no deck to check: run `make slides` first", Where(str(html)))
    with browser.page() as page:
        page.goto(html.as_uri(), wait_until="load")
        page.add_style_tag(content=ALL_ON_SCREEN)
        options = {"tolerance": TOLERANCE_PX, "minFontPx": MIN_FONT_PX}
        slide_list = page.evaluate(PROBE.read_text(encoding="utf-8"), options)
        findings = [Finding(s["number"], s["heading"], **f) for s in slide_list for f in s["findings"]]
        findings += font_findings(page, slide_list)
    findings += figure_text_findings(slide_list, html.parent)
    findings += theme_findings(slide_list, theme)
    origins = sourcemap.load(html.with_suffix(".map.json"))
    for f in findings:
        f.origin = origins.get(f.slide)
    return sorted(findings, key=lambda f: f.slide), len(slide_list)


def check(html: Path) -> int:
    """Raise CheckError listing every finding; return the number of slides checked when there is none."""
    markdown = html.with_suffix(".md")
    theme = (
        slides.front_matter(markdown.read_text(encoding="utf-8")).get("theme") if markdown.is_file() else None
    )
    findings, count = inspect(html, theme)
    if findings:
        pages = len({f.slide for f in findings})
        raise CheckError(
            f"{len(findings)} finding(s) on {pages} slide(s) in a real browser",
            Where(str(html)),
            "\n".join(str(f) for f in findings),
        )
    return count
