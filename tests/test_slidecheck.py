"""The per-slide browser checks: each kind of finding fires on a small deck made to fail that way.

The decks are built with the real build.py and looked at by the real check (`build.py --check`) in the
system Chromium; every finding must name its template file and line, its slide and its heading.
"""

import re
import subprocess
from pathlib import Path

import pytest

from conftest import build, write_deck
from deckbuild import marp, slidecheck

FINDING = re.compile(
    r"^(?P<file>\S+\.md\.j2):(?P<line>\d+): slide (?P<slide>\d+) «(?P<heading>[^»]*)»: (?P<kind>\w+): "
)

# A figure script that writes one good picture and one corrupt file, as a buggy script might.
FIGURES = """
import sys
from pathlib import Path


def main(outdir):
    outdir = Path(outdir)
    (outdir / "dot.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><circle cx="20" cy="20" r="18"/></svg>'
    )
    (outdir / "broken.png").write_bytes(b"this is not a PNG file at all")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    ax.set_title("readable only when shown large", fontsize=8)
    ax.tick_params(labelsize=8)
    fig.savefig(outdir / "tiny.svg")


if __name__ == "__main__":
    main(sys.argv[1])
"""

# Slide 1 is the test deck's title; these follow it, one defect per slide except the clean ones.
MANY = """## Too many items

{% for i in range(24) %}
- item {= i =}
{% endfor %}

---

## Too wide a table

| a | b | c | d | e | f | g | h |
|---|---|---|---|---|---|---|---|
{% for i in range(2) %}
| 1234567890 | 1234567890 | 1234567890 | 1234567890 | 1234567890 | 1234567890 | 1234567890 | 1234567890 |
{% endfor %}

---

## A broken picture

{= figure("broken.png", width=300) =}

---

## A picture scaled to nothing

![w:0px](figures/dot.svg)

---

## An unclosed brace

$$ \\frac{1}{x $$

---

## An unknown macro

Inline $\\nosuchmacro{x}$ math.

---

## Tiny text

<span style="font-size:9px">fine print nobody can read</span>

---

## Code too wide for the slide

{% call display() %}
answer = "{= "and on " * 30 =}"
{% endcall %}

---

## A box that cuts its text

<div style="width: 300px; overflow: hidden; white-space: nowrap">this sentence is much longer than its three hundred pixel box</div>

---

## Code too long for the slide

{% call display() %}
{% for i in range(30) %}
line_{= i =} = {= i =}
{% endfor %}
{% endcall %}

---

## A figure with tiny text

{= figure("tiny.svg", width=400) =}

---

## A run in a font without Japanese

<span style="font-family: 'DejaVu Sans'">この一文だけ別のフォント</span>

---

## 日本語のスライド

{= figure("dot.svg", width=80) =}

ここは何も問題がない。数式 $y = ax + b$ も正しい。
"""

FOUR = """## Overflowing

{% for i in range(24) %}
- item {= i =}
{% endfor %}

---

## Broken image

{= figure("broken.png", width=300) =}

---

## Math error

$$ \\frac{1}{x $$

---

## Font

日本語の文章
"""


def findings(proc) -> list[dict]:
    return [m.groupdict() for line in proc.stderr.splitlines() if (m := FINDING.match(line))]


def line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if text in line)


def made_to_fail(deck_dir: Path, chapter: str) -> Path:
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    (deck_dir / "figures_src").mkdir()
    (deck_dir / "figures_src" / "pictures.py").write_text(FIGURES, encoding="utf-8")
    return deck


def test_each_kind_of_finding_names_its_slide_heading_and_line(chromium, deck_dir, tmp_path):
    deck = made_to_fail(deck_dir, MANY)
    proc = build(deck, tmp_path / "out", "--check")
    assert proc.returncode == 10, proc.stderr
    found = findings(proc)
    by_slide = {}
    for f in found:
        by_slide.setdefault(int(f["slide"]), set()).add(f["kind"])
        # the line named is the slide's heading in the template
        assert f["file"].endswith("ch.md.j2")
        assert int(f["line"]) == line_of(deck_dir / "ch.md.j2", "## " + f["heading"]), f
    assert by_slide == {
        2: {"overflow"},
        3: {"overflow"},
        4: {"image"},
        5: {"image"},
        6: {"math"},
        7: {"math"},
        8: {"small"},
        9: {"small"},
        10: {"overflow"},
        11: {"overflow", "small"},  # Marp shrinks a tall code block, and it still does not fit
        12: {"small"},
        13: {"font"},
    }, proc.stderr
    assert "failed to load" in proc.stderr and "scaled to nothing" in proc.stderr
    assert r"undefined control sequence \nosuchmacro" in proc.stderr
    assert re.search(
        r"slide 10 .*div «this sentence.*» is \d+px wider than its box and is cut off", proc.stderr
    )
    assert re.search(r"slide 11 .*code block «line_0 = 0 line_1 = 1.*» runs \d+px below", proc.stderr)
    assert re.search(
        r"slide 12 .*figure figures/tiny\.svg: its smallest text is drawn at \d\.\dpx", proc.stderr
    )
    assert f"error: {tmp_path / 'out' / 'deck.html'}: {len(found)} finding(s) on 12 slide(s)" in proc.stderr
    # which Japanese font fontconfig falls back to depends on the fonts installed (Noto CJK, IPA, …)
    assert re.search(
        r"«この一文だけ別のフォント» is drawn in [^,]+, a fallback the browser chose", proc.stderr
    )


def test_four_defects_give_four_findings_including_tofu(chromium, deck_dir, tmp_path):
    """The issue's example: overflow, broken image, LaTeX error and Japanese drawn without a Japanese font.

    No Japanese font is installed for the browser here (fontconfig sees only DejaVu), as on a machine
    without fonts-noto-cjk; slide 5 is the deck's only Japanese text.
    """
    fonts = tmp_path / "fontconfig"
    fonts.mkdir()
    (fonts / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{fonts / 'cache'}</cachedir></fontconfig>",
        encoding="utf-8",
    )
    deck = made_to_fail(deck_dir, FOUR)
    proc = build(deck, tmp_path / "out", "--check", env={"FONTCONFIG_FILE": str(fonts / "fonts.conf")})
    assert proc.returncode == 10, proc.stderr
    found = findings(proc)
    assert [(int(f["slide"]), f["kind"]) for f in found] == [
        (2, "overflow"),
        (3, "image"),
        (4, "math"),
        (5, "font"),
    ]
    template = deck_dir / "ch.md.j2"
    assert [int(f["line"]) for f in found] == [
        line_of(template, "## Overflowing"),
        line_of(template, "## Broken image"),
        line_of(template, "## Math error"),
        line_of(template, "## Font"),
    ]
    assert "«日本語の文章»" in proc.stderr and "tofu" in proc.stderr


def test_a_theme_marp_did_not_apply_is_a_finding(chromium, tmp_path):
    """The build already refuses such HTML; the browser check catches it too, e.g. in HTML made by hand."""
    md = tmp_path / "deck.md"
    md.write_text("---\nmarp: true\ntheme: nosuchtheme\n---\n\n# One\n\n---\n\n# Two\n", encoding="utf-8")
    (tmp_path / "themes").mkdir()
    subprocess.run(
        [*marp.command(), "--no-stdin", "-o", str(tmp_path / "deck.html"), str(md)],
        check=True,
        capture_output=True,
    )
    found, count = slidecheck.inspect(tmp_path / "deck.html", "nosuchtheme")
    assert count == 2
    assert [(f.slide, f.kind) for f in found] == [(1, "theme"), (2, "theme")]
    assert "'nosuchtheme' is not applied" in found[0].message


def test_checking_before_any_build_says_what_to_run(tmp_path):
    with pytest.raises(slidecheck.CheckError, match="run `make slides` first"):
        slidecheck.inspect(tmp_path / "deck.html")


def test_figure_text_size_is_read_from_the_svg(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.set_title("title", fontsize=20)
    ax.set_xlabel("label", fontsize=9)
    ax.tick_params(labelsize=11)
    plt.rcParams["svg.fonttype"] = "path"
    fig.savefig(tmp_path / "f.svg")
    ax.set_xlabel("$w^{(1)}_{12}$", fontsize=12)  # mathtext sub/superscripts are drawn at 0.7 of their base
    fig.savefig(tmp_path / "math.svg")
    plt.close(fig)
    assert slidecheck.smallest_text(tmp_path / "f.svg") == pytest.approx((9, 4 * 72))
    assert slidecheck.smallest_text(tmp_path / "math.svg")[0] == pytest.approx(12 * 0.7, rel=0.05)
    (tmp_path / "t.svg").write_text('<svg viewBox="0 0 500 100"><text font-size="13">a</text></svg>')
    assert slidecheck.smallest_text(tmp_path / "t.svg") == (13, 500)
    (tmp_path / "none.svg").write_text('<svg width="10" height="10"><circle r="3"/></svg>')
    assert slidecheck.smallest_text(tmp_path / "none.svg") is None


CAPABLE = frozenset({"Noto Sans CJK JP", "Noto Sans Mono CJK JP"})


def platform(*fonts: tuple[str, int]) -> list[dict]:
    return [{"familyName": name, "glyphCount": n, "isCustomFont": False} for name, n in fonts]


@pytest.mark.parametrize(
    "family, fonts, verdict",
    [
        ('"Noto Sans CJK JP", sans-serif', platform(("Noto Sans CJK JP", 6)), None),
        (
            '"DejaVu Sans Mono", monospace',
            platform(("Noto Sans Mono CJK JP", 4), ("DejaVu Sans Mono", 2)),
            None,
        ),
        ('"Noto Sans CJK JP"', platform(("DejaVu Sans", 6)), "tofu"),
        ('"Noto Sans CJK JP"', platform(("Noto Sans CJK JP", 2), ("DejaVu Sans", 4)), "tofu"),
        ('"DejaVu Sans"', platform(("Noto Sans CJK JP", 4), ("DejaVu Sans", 2)), "fallback"),
        ('"Hiragino Sans", Meiryo', platform(("Noto Sans CJK JP", 4)), "fallback"),
    ],
)
def test_japanese_must_be_drawn_by_a_japanese_font_it_asks_for(family, fonts, verdict):
    text = {"text": "日本語の文", "chars": 4, "family": family}
    message = slidecheck.font_problem(text, fonts, CAPABLE)
    if verdict is None:
        assert message is None
    else:
        assert message and verdict in message


WIDE_CODE = """## Plain

Nothing here.

---

## Code too wide for the slide

{% call display() %}
answer = "{= "and on " * 30 =}"
{% endcall %}
"""


def test_probe_waits_for_marp_to_scale_code_after_a_layout_change(chromium, deck_dir, tmp_path):
    """Marp scales code from a ResizeObserver, which runs only between frames. The check makes every slide
    visible and then measures; here both happen in one task, so a probe that measured at once would see the
    second slide's code before Marp shrank it (as a busy machine sometimes did) and miss the finding."""
    from deckbuild import browser

    deck = write_deck(deck_dir, {"ch.md.j2": WIDE_CODE})
    proc = build(deck, tmp_path / "out", companion="off")
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "out" / "deck.html").resolve()
    probe = slidecheck.PROBE.read_text(encoding="utf-8").strip().rstrip(";")
    together = (
        "async (opts) => { const style = document.createElement('style');"
        f" style.textContent = {slidecheck.ALL_ON_SCREEN!r}; document.head.append(style);"
        f" return await ({probe})(opts); }}"
    )
    options = {"tolerance": slidecheck.TOLERANCE_PX, "minFontPx": slidecheck.MIN_FONT_PX}
    with browser.page() as page:
        for attempt in range(6):  # an unwaited probe loses this race most times, not every time
            page.goto(html.as_uri(), wait_until="load")
            slides = page.evaluate(together, options)
            kinds = {s["number"]: {f["kind"] for f in s["findings"]} for s in slides}
            assert kinds[3] == {"small"}, (attempt, kinds)
            assert kinds[2] == set()
