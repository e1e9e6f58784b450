"""An edit in a folder built before starts marp-cli first of all: node's start-up is longer than the
whole of the build's own work before the Markdown exists, so it must not wait for the templates."""

import os
import shutil
import subprocess
import sys

import pytest

from conftest import BUILD, EDITED, build, error_line
from deckbuild import marp, pipeline, templates
from deckbuild.command import build_command
from deckbuild.errors import TemplateError


def in_process(deck, out, monkeypatch) -> list[str]:
    """Build in this process, saying in which order marp-cli and the templates started."""
    order: list[str] = []
    started, rendered = marp.Render.__init__, templates.render

    def render_started(self, markdown, *args, **kw):
        order.append("marp" if markdown is None else f"marp {markdown.name}")
        started(self, markdown, *args, **kw)

    def templates_rendered(*args, **kw):
        order.append("templates")
        return rendered(*args, **kw)

    monkeypatch.setattr(marp.Render, "__init__", render_started)
    monkeypatch.setattr(templates, "render", templates_rendered)
    opts = pipeline.Options(
        deck=deck, out=out, figures_src=deck.parent / "figures_src", log=lambda m: None, companion="off"
    )
    try:
        pipeline.build(opts)
    finally:
        monkeypatch.undo()
    return order


def test_an_edit_starts_marp_before_the_templates_render(built_before, monkeypatch):
    deck, out = built_before
    (deck.parent / "ch1.md.j2").write_text(EDITED.replace("本文です。", "本文を直した。"), encoding="utf-8")
    assert in_process(deck, out, monkeypatch)[:2] == ["marp", "templates"]
    assert "本文を直した。" in (out / "deck.html").read_text(encoding="utf-8")
    assert not list((out / ".cache" / "marp").glob("early-*"))


# build.py run as a user would, telling which parts of the engine were imported when marp-cli started
SPY = """
import runpy, subprocess, sys
real = subprocess.Popen.__init__
def spy(self, args, *rest, **kw):
    if any("marp-cli" in str(a) for a in args):
        engine = ("markdown_it", "jinja2", "nbformat", "deckbuild.pipeline", "deckbuild.companion")
        print("marp started; engine imported:", [m for m in engine if m in sys.modules], file=sys.stderr)
    real(self, args, *rest, **kw)
subprocess.Popen.__init__ = spy
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def test_build_py_starts_marp_before_it_imports_the_engine(built_before):
    deck, out = built_before
    (deck.parent / "ch1.md.j2").write_text(EDITED.replace("本文です。", "本文を直した。"), encoding="utf-8")
    command = [sys.executable, "-c", SPY, str(BUILD), str(deck), "-o", str(out)]
    command += ["--figures-src", str(deck.parent / "figures_src")]
    proc = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "DECK_COMPANION": "strict"}
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == "marp started; engine imported: []"
    assert "本文を直した。" in (out / "deck.html").read_text(encoding="utf-8")


def test_a_template_error_stops_the_early_marp_and_leaves_the_outputs(built_before, monkeypatch):
    deck, out = built_before
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    (deck.parent / "ch1.md.j2").write_text(EDITED + "{= nowhere =}\n", encoding="utf-8")
    with pytest.raises(TemplateError):
        in_process(deck, out, monkeypatch)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not list((out / ".cache" / "marp").glob("early-*"))


def test_a_refused_build_after_an_edit_starts_no_marp_and_writes_nothing(built_before, tmp_path):
    """The clash refusal and the missing-Chromium refusal come before the early marp-cli start: nothing
    runs and nothing is written (not even the marp cache folder) for a build that cannot go ahead."""
    deck, out = built_before
    (deck.parent / "ch1.md.j2").write_text(EDITED.replace("本文です。", "本文を直した。"), encoding="utf-8")
    shutil.rmtree(out / ".cache")
    (out / "deck.pdf").write_bytes(b"%PDF- the author's own file")
    proc = build(deck, out, "--pdf", companion="off")
    assert proc.returncode == 13 and "deck.pdf" in error_line(proc), proc.stderr
    assert not (out / ".cache").exists()
    (out / "deck.pdf").unlink()
    proc = build(
        deck, out, "--check", companion="off", env={"CHROME_PATH": str(tmp_path / "no-such-browser")}
    )
    assert proc.returncode == 8 and "is not an executable browser" in error_line(proc), proc.stderr
    assert not (out / ".cache").exists()


def test_a_build_started_with_stdout_and_stderr_closed_still_succeeds(built_before):
    deck, out = built_before
    (deck.parent / "ch1.md.j2").write_text(EDITED.replace("本文です。", "本文を直した。"), encoding="utf-8")
    command = build_command(deck, out, figures_src=deck.parent / "figures_src")
    proc = subprocess.run(
        ["sh", "-c", 'exec "$@" >&- 2>&-', "sh", *command], env={**os.environ, "DECK_COMPANION": "off"}
    )
    assert proc.returncode == 0
    assert "本文を直した。" in (out / "deck.html").read_text(encoding="utf-8")
