"""What makes a small edit fast keeps the outputs right: marp-cli started early, the notebook reused."""

import json
import subprocess

from conftest import build, write_deck
from deckbuild import marp

CHAPTER = """\
## 見出し

本文です。

{% call run() %}
print(1 + 1)
{% endcall %}
"""


def test_an_edit_starts_marp_before_the_markdown_exists_and_gives_what_marp_gives(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch1.md.j2": CHAPTER})
    out = tmp_path / "out"
    assert build(deck, out, "--accept").returncode == 0
    chapter = deck.parent / "ch1.md.j2"
    chapter.write_text(CHAPTER.replace("本文です。", "本文を直しました。"), encoding="utf-8")
    proc = build(deck, out)
    assert proc.returncode == 0, proc.stderr
    alone = tmp_path / "alone.html"
    subprocess.run(marp.arguments(out / "deck.md", alone, deck.parent / "themes"), cwd=out, check=True)
    assert (out / "deck.html").read_bytes() == alone.read_bytes()
    assert "本文を直しました。" in (out / "deck.html").read_text(encoding="utf-8")
    assert not list((out / ".cache" / "marp").glob("early-*"))  # its output moved into the deck


def test_the_published_notebook_is_reused_only_while_it_is_right(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch1.md.j2": CHAPTER})
    out = tmp_path / "out"
    assert build(deck, out, "--accept", "--no-html").returncode == 0
    notebook = out / "deck.ipynb"
    good = notebook.read_bytes()
    notebook.write_text(
        notebook.read_text(encoding="utf-8").replace("本文です。", "書き換え"), encoding="utf-8"
    )
    assert build(deck, out, "--no-html").returncode == 0
    assert notebook.read_bytes() == good  # a hand-edited notebook does not verify: built again
    (deck.parent / "ch1.md.j2").write_text(CHAPTER.replace("本文です。", "新しい本文。"), encoding="utf-8")
    assert build(deck, out, "--no-html").returncode == 0
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    assert any("新しい本文。" in "".join(c["source"]) for c in cells)
