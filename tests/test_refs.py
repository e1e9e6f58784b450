"""Cross-references are generated from labels, never typed: ref() links to the slide that holds a label()."""

import re

import pytest

from conftest import build, error_line, write_deck

DECK = """\
## First

before: {= ref("later") =}; as a number: {= ref("later", text="slide {slide}") =}

---

## Middle

{= label("middle") =}
text

---

## Later

{= label("later") =}
back to {= ref("middle") =}
"""


def build_deck(deck_dir, tmp_path, chapter: str):
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    return build(deck, tmp_path / "out", "--no-html")


def test_ref_links_to_the_slide_of_its_label_forwards_and_backwards(deck_dir, tmp_path):
    proc = build_deck(deck_dir, tmp_path, DECK)
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    # the test deck's title is slide 1, so "First" is slide 2, "Middle" 3, "Later" 4
    assert "before: [Later](#4); as a number: [slide 4](#4)" in md
    assert "back to [Middle](#3)" in md
    assert "label" not in md and "\u27e6" not in md


def test_a_slide_inserted_before_the_label_moves_the_link(deck_dir, tmp_path):
    moved = DECK.replace("## Middle", "## Inserted\n\n---\n\n## Middle")
    proc = build_deck(deck_dir, tmp_path, moved)
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    assert "before: [Later](#5)" in md and "back to [Middle](#4)" in md


def test_an_unknown_label_is_a_located_error(deck_dir, tmp_path):
    proc = build_deck(deck_dir, tmp_path, DECK.replace('ref("middle")', 'ref("midle")'))
    assert proc.returncode == 2, proc.stderr
    assert (
        "ch.md.j2:17: slide 4: ref(): no slide has the label 'midle' (labels: later, middle)"
        in error_line(proc)
    )


def test_a_label_used_twice_is_a_located_error(deck_dir, tmp_path):
    proc = build_deck(deck_dir, tmp_path, DECK.replace('label("later")', 'label("middle")'))
    assert proc.returncode == 2, proc.stderr
    assert "ch.md.j2:16: slide 4: label(): 'middle' is already the label of" in error_line(proc)
    assert error_line(proc).endswith("ch.md.j2:9")  # where it was first given


def test_ref_text_takes_only_heading_and_slide(deck_dir, tmp_path):
    proc = build_deck(deck_dir, tmp_path, DECK.replace('text="slide {slide}"', 'text="{page}"'))
    assert proc.returncode == 2, proc.stderr
    assert "ch.md.j2:3: slide 2: ref(): text may use {heading} and {slide}" in error_line(proc)


def test_the_real_decks_cross_references_name_the_slides_they_link_to():
    from conftest import DECK
    from deckbuild import config, slides, templates

    text = templates.render(DECK, config.for_deck(DECK.parent).code_dirs).text
    links = re.findall(r"\[([^\]]+)\]\(#(\d+)\)", text)
    assert links, "the deck uses ref() at least once"
    headings = slides.headings(text)
    for shown, n in links:
        assert shown == headings[int(n) - 1], (shown, n)


EVERYWHERE = """\
## Start {= ref("end") =}

{= ref("end") =} at the start of a line, and in the middle: {= ref("end", text="{slide}") =}.

- a list item {= ref("end") =}
  > a quote {= ref("end") =}

Setext {= ref("end") =}
---

```text
{= ref("end") =}
```

<!-- a note {= ref("end") =} -->

    indented {= ref("end") =}

---

## End of HEADING

{= label("end") =}
"""


def parsed_fresh(text: str) -> list:
    from deckbuild import slides

    body = slides.split_front_matter(text)[1]
    return [(t.type, t.map, t.level, t.content, t.info, t.markup) for t in slides.block_parser().parse(body)]


@pytest.mark.parametrize(
    ("heading", "extra", "parses"),
    [
        ("$a$ `c` *d*", "", 1),
        ("$a$ `c`", "| a |\n|---|\n| {= ref('end') =} |\n\n", 2),  # a ref in a table cell
        ("$a|b$", "", 2),  # a `|` in a link's text can make its line a table's header (the setext line here)
    ],
    ids=["prose", "table cell", "pipe"],
)
def test_the_text_is_parsed_once_and_its_blocks_are_those_of_a_fresh_parse(
    deck_dir, monkeypatch, heading, extra, parses
):
    """The text after resolving refs gets the blocks of the parse before (a second parse of the whole deck
    was a tenth of a prose edit's build); where that is not sure to be exact, it is parsed again."""
    from deckbuild import slides, templates

    chapter = EVERYWHERE.replace("HEADING", heading).replace("---\n\n## End", extra + "---\n\n## End")
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    parser, seen = slides.block_parser(), []
    monkeypatch.setattr(
        parser, "parse", lambda text, *a: seen.append(text) or type(parser).parse(parser, text, *a)
    )
    slides._blocks.clear()
    slides._whole.clear()
    rendering = templates.render(deck, [])
    assert len(seen) == parses
    body = slides.split_front_matter(rendering.text)[1]
    given = [(t.type, t.map, t.level, t.content, t.info, t.markup) for t in slides.block_tokens(body)]
    assert given == parsed_fresh(rendering.text)
    assert "](#3)" in rendering.text and "\u27e6" not in rendering.text
