"""Chapters 3-4 as a lesson: presenter notes on every slide, no typed page references, one prose style."""

import re
import subprocess
import sys

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


# ---- self-sufficiency: what the slides show, typed in order, gives what the slides print

REPLAY = r"""
import contextlib, io, re, sys
md = open(sys.argv[1], encoding="utf-8").read()
parts = re.split(r"^## (第\d章.*)$", md, flags=re.M)
for title, body in zip(parts[1::2], parts[2::2]):
    if not title.startswith(("第3章", "第4章")):
        continue
    namespace, methods, printed = {}, [], None
    owner = re.search(r"`class (\w+):` の中に", body)

    def define_class():
        # methods shown one slide at a time are typed into one class, as the slide says
        source = f"class {owner.group(1)}:\n" + "\n".join(
            "\n".join("    " + line if line else line for line in m.splitlines()) for m in methods
        )
        exec(source, namespace)
        methods.clear()

    for kind, code in re.findall(r"```(python|text)\n(.*?)```", body, flags=re.S):
        if kind == "python" and owner and re.match(r"def \w+\(self", code):
            methods.append(code)
            printed = None
        elif kind == "python":
            if methods:
                define_class()
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(code, namespace)
            printed = out.getvalue()
        elif printed is not None:
            if printed.rstrip() != code.rstrip():
                sys.exit(f"{title}: the slide shows\n{code}\nbut the code prints\n{printed}")
            printed = None
    print(title, "ok")
"""


def test_chapters_3_and_4_run_from_what_the_slides_show(builds, tmp_path):
    """No hidden helper, constant or print option: the shown code alone reproduces every shown output."""
    script = tmp_path / "replay.py"
    script.write_text(REPLAY, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script), str(builds[0] / "deck.md")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:] + proc.stdout[-3000:]
    assert proc.stdout.split("\n")[:2] == ["第3章 ニューラルネットワークの学習 ok", "第4章 誤差逆伝播法 ok"]
