"""Each slide knows the template line it starts on, through includes, loops, calls and hidden snippets."""

import json
from pathlib import Path

from conftest import ROOT, build, write_deck
from deckbuild import templates

CHAPTER_A = """{% call run(echo=False) %}
x = 1
{% endcall %}
## A1 after a hidden snippet

{% for i in range(2) %}
- item {= i =}
{% endfor %}

---

{# a comment before the heading #}
## A2 after a comment

{% call run() %}
print(x)
{% endcall %}

---

<!-- _class: lead -->

## A3 with a directive first
"""

CHAPTER_B = """## B1 {= "from an expression" =}

---
{% if true %}

## B2 inside an if
{% endif %}
"""


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text in line)


def test_every_slide_points_at_its_first_line_in_its_own_template(deck_dir):
    deck = write_deck(deck_dir, {"a.md.j2": CHAPTER_A, "b.md.j2": CHAPTER_B})
    origins = templates.render(deck, ROOT / "code").origins
    got = [(Path(o.file).name, o.line) for o in origins]
    a, b = deck_dir / "a.md.j2", deck_dir / "b.md.j2"
    assert got == [
        ("deck.md.j2", line_of(deck, "# Test deck")),
        ("a.md.j2", line_of(a, "## A1")),
        ("a.md.j2", line_of(a, "## A2")),
        ("a.md.j2", line_of(a, "<!-- _class: lead -->")),
        ("b.md.j2", line_of(b, "## B1")),
        ("b.md.j2", line_of(b, "## B2")),
    ]


def test_the_build_publishes_the_map_beside_the_deck(deck_dir, tmp_path):
    deck = write_deck(deck_dir, {"a.md.j2": CHAPTER_A})
    # chapter A's visible print(x) needs its hidden x = 1: not self-sufficient, which is not the point here
    proc = build(deck, tmp_path / "out", "--no-html", "--accept", companion="off")
    assert proc.returncode == 0, proc.stderr
    published = json.loads((tmp_path / "out" / "deck.map.json").read_text(encoding="utf-8"))
    assert [o["slide"] for o in published] == [1, 2, 3, 4]
    assert published[1]["file"].endswith("a.md.j2") and published[1]["line"] == line_of(
        deck_dir / "a.md.j2", "## A1"
    )


def test_headings_of_every_slide_for_the_contact_sheet():
    from deckbuild.slides import headings

    text = "---\nmarp: true\n---\n\n# Title<br>line two\n\n---\n\nno heading here\n\n---\n\n### 見出し\n\n## later\n"
    assert headings(text) == ["Title line two", "", "見出し"]
