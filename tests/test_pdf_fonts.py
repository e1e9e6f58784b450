"""The PDF embeds its Japanese text in real fonts, never as Type 3 glyph procedures.

Chromium writes a TrueType font (IPAexGothic, IPAGothic) into the PDF as CID TrueType, but turns
the CFF outlines of Noto CJK, and any bold or oblique it has to synthesise, into unnamed Type 3
fonts that some viewers and printers render poorly. The theme therefore names TrueType fonts
first and switches synthesis off; this deck holds every kind of text the slides have.
"""

import re
import shutil
import subprocess

import pytest

from conftest import browser_required, build, write_deck

CHAPTER = r"""### 見出しは太字を求める

本文の日本語と **強調** と `インラインのコード "引用"`、数式 $\partial L / \partial(\text{入力})$。

| 列の見出し | 値 |
|:--|--:|
| 表の本文 | 1.0 |

{% call run() %}
# 日本語のコメント
print("出力の日本語", 'quote', -1.5)
{% endcall %}
"""


def fonts(pdf) -> list[dict]:
    """pdffonts' table as rows: name, type, emb."""
    out = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        m = re.match(r"(\S+)\s+(.+?)\s{2,}(\S+)\s+(yes|no)\s+(yes|no)\s+(yes|no)", line)
        assert m, line
        rows.append({"name": m[1], "type": m[2], "emb": m[4] == "yes"})
    return rows


def need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        if browser_required():
            pytest.fail(f"CI must run the PDF font test: {tool} not found (apt-get install {package})")
        pytest.skip(f"{tool} not found (apt-get install {package})")


def test_japanese_text_is_embedded_as_truetype_not_type3(chromium, deck_dir, tmp_path):
    need("pdffonts", "poppler-utils")
    families = subprocess.run(["fc-list", ":lang=ja", "family"], capture_output=True, text=True).stdout
    if "IPAexGothic" not in families or "IPAGothic" not in families:
        message = "the theme's TrueType Japanese fonts are missing (apt-get install fonts-ipaexfont-gothic fonts-ipafont-gothic)"
        if browser_required():
            pytest.fail(message)
        pytest.skip(message)
    deck = write_deck(deck_dir, {"ch1.md.j2": CHAPTER})
    out = tmp_path / "out"
    proc = build(deck, out, "--accept", "--pdf", companion="off")  # record its one output and print it
    assert proc.returncode == 0, proc.stderr
    rows = fonts(out / "deck.pdf")
    assert rows, "the PDF lists no fonts at all"
    assert [r for r in rows if r["type"] == "Type 3" or not r["emb"]] == []
    assert any(r["type"] == "CID TrueType" and "IPAexGothic" in r["name"] for r in rows)
