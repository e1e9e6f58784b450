"""Lint of the rendered Markdown, and the check that Marp really applied the deck's theme."""

import pytest

from conftest import THEME, build, error_line, write_deck
from deckbuild.errors import LintError
from deckbuild.lint import lint

FRONT = "---\nmarp: true\ntheme: docker\n---\n\n# Title\n\n---\n\n"


@pytest.fixture
def deck_folder(tmp_path):
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "docker.css").write_text(THEME.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "figures").mkdir()
    (tmp_path / "figures" / "real.svg").write_text("<svg/>")
    return tmp_path


def check(md: str, folder, accounted=()):
    lint(md, folder, folder, {c if c.endswith("\n") else c + "\n" for c in accounted}, "deck.md")


def test_clean_markdown_passes(deck_folder):
    md = (
        FRONT
        + "![w:300px](figures/real.svg)\n\n$$\\frac{{a}}{b}$$\n\n```python\nx = 1\n```\n<!-- {{note}} -->\n"
    )
    check(md, deck_folder, accounted=["x = 1"])


@pytest.mark.parametrize(
    ("body", "message", "slide"),
    [
        ("![w:300px](figures/missing.svg)\n", "image 'figures/missing.svg' does not exist", 2),
        ("![x](https://example.org/a.png)\n", "remote image", 2),
        ("text\n\n```python\nprint('never run')\n```\n", "neither executed nor display-only", 2),
        ("Hello {{ name }}\n", "template syntax left", 2),
        ("Hello {% if x %}\n", "template syntax left", 2),
        ("5 である確率は $7.14%$ だった\n", "starts a TeX comment", 2),
        ("$$\n\\frac{\\partial L}{delta{x}}\n$$\n", "write \\delta", 2),
        ("$y = \\frac{1}{1 + \\text{exp}(-x)} + frac{1}{2}$\n", "write \\frac", 2),
        ("a\n\n---\n\nleft \u27e6deck-cell:3\u27e7\n", "build marker", 3),
    ],
)
def test_broken_rule_is_reported_with_its_slide(deck_folder, body, message, slide):
    with pytest.raises(LintError) as caught:
        check(FRONT + body, deck_folder)
    assert message in caught.value.message
    assert caught.value.where.slide == slide


def test_unknown_theme_is_refused(deck_folder):
    with pytest.raises(LintError, match="theme 'nosuch' does not exist"):
        check(FRONT.replace("docker", "nosuch"), deck_folder)


def test_marp_falling_back_to_its_default_theme_fails_the_build(tmp_path):
    """A CSS file that mentions the theme but never declares it: Marp would quietly use its default."""
    deck = write_deck(tmp_path / "deck", {"ch.md.j2": "## Hello\n"})
    front = (tmp_path / "deck" / "deck.md.j2").read_text().replace("theme: docker", "theme: ghost")
    (tmp_path / "deck" / "deck.md.j2").write_text(front)
    (tmp_path / "deck" / "themes" / "ghost.css").write_text('section::after { content: "@theme ghost"; }\n')
    proc = build(deck, tmp_path / "out", "--accept", companion="off")
    assert proc.returncode == 8
    assert "did not apply theme 'ghost'" in error_line(proc)
    assert not (tmp_path / "out" / "deck.html").exists()
