"""Chapters 3-4 as a lesson: presenter notes on every slide, no typed page references, one prose style."""

import re

import pytest

from deckbuild import ROOT

CHAPTERS = ["ch3_learning.md.j2", "ch4_backpropagation.md.j2"]


def slides(name):
    text = (ROOT / "slides" / name).read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # template comments are not on the slide
    return [s for s in re.split(r"^---$", text, flags=re.M) if s.strip()]


def notes(slide):
    """The presenter notes: HTML comments other than Marp directives (`<!-- _class: … -->`)."""
    return [n for n in re.findall(r"<!--(.*?)-->", slide, flags=re.S) if not n.strip().startswith("_")]


def prose(slide):
    """The slide's own text: no code, no notes, no template calls."""
    slide = re.sub(r"\{%.*?%\}.*?\{%.*?%\}", "", slide, flags=re.S)
    slide = re.sub(r"<!--.*?-->|\{=.*?=\}", "", slide, flags=re.S)
    return slide


@pytest.mark.parametrize("name", CHAPTERS)
def test_every_slide_has_presenter_notes(name):
    for slide in slides(name):
        heading = re.search(r"^#+ (.*)$", slide, flags=re.M)
        assert notes(slide), f"{name}: slide «{heading and heading.group(1)}» has no presenter notes"
        assert all(n.strip() for n in notes(slide))


@pytest.mark.parametrize("name", CHAPTERS)
def test_no_slide_points_at_another_by_position(name):
    """A typed （次のページ） pointed at the wrong slide once; slides say what they mean instead."""
    for slide in slides(name):
        assert not re.search(
            r"次のページ|前のページ|次のスライド|前のスライド|次の \d 枚|前の \d 枚", prose(slide)
        )


@pytest.mark.parametrize("name", CHAPTERS)
def test_prose_is_written_in_the_plain_style(name):
    """である体 throughout: no です／ます at the end of a sentence."""
    for slide in slides(name):
        assert not re.search(r"(です|ます|でした|ました|ません)[。）]", slide)


def test_the_bias_gradient_is_never_called_a_column_sum():
    """「列方向の和」 reads both ways in Japanese; the sum is over the batch axis (axis=0)."""
    sources = [ROOT / "slides" / name for name in CHAPTERS] + sorted((ROOT / "figures_src").glob("*.py"))
    for path in sources:
        assert "列方向" not in path.read_text(encoding="utf-8"), path.name
