"""The authoring format, end to end: each feature of the README's format on a small deck built by build.py."""

import json

from conftest import build, write_deck
from deckbuild import ROOT
from deckbuild.sourcecode import get_source

CHAPTER = r"""## Chapter

<!-- _class: lead -->
<!-- presenter note with {{braces}} kept -->

{% call run() %}
from zerodl.gates import AND, truth_table
print(AND(1, 1))
{% endcall %}
{% call expect() %}
1
{% endcall %}

The bias of AND is {= value("AND.b") =}, as $b = {= value("number(AND.b)") =}$.

---

$$\frac{{a}}{b} + {{x}} + \left\{ y \right\}$$ and inline $\frac{{1}}{2}$

{= table("truth_table(AND)", header=["$x_1$", "$x_2$", "$y$"]) =}

{= source("zerodl.gates.XOR") =}

{% call display() %}
def not_run():
    raise SystemExit("display-only code is never executed")
{% endcall %}
"""


def test_features_of_the_format(tmp_path, deck_dir):
    deck = write_deck(deck_dir, {"ch.md.j2": CHAPTER})
    (tmp_path / "pyproject.toml").write_text(f"[tool.deckbuild]\ncode_dirs = [{str(ROOT / 'code')!r}]\n")
    proc = build(deck, tmp_path / "out", "--accept", "--no-html")  # the companion checks every feature too
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")

    # 1. the source shown is exactly the code under code/
    xor_source = get_source(ROOT / "code", "zerodl.gates.XOR")[0]
    assert "```python\n" + xor_source + "```" in md
    # 2. a snippet is shown with its real output after it
    assert (
        "```python\nfrom zerodl.gates import AND, truth_table\nprint(AND(1, 1))\n```\n\n```text\n1\n```" in md
    )
    # 4. values and tables come from the kernel
    assert "The bias of AND is -0.7, as $b = -0.7$." in md
    assert "| 1 | 1 | 1 |" in md and "| 0 | 1 | 0 |" in md
    # 6. LaTeX braces, Marp directives and HTML comments come through untouched
    assert r"$$\frac{{a}}{b} + {{x}} + \left\{ y \right\}$$ and inline $\frac{{1}}{2}$" in md
    assert "<!-- _class: lead -->" in md and "<!-- presenter note with {{braces}} kept -->" in md
    # display-only code is shown and never run
    assert "def not_run():" in md
    assert "SystemExit" not in proc.stderr


def test_expected_output_is_verified_with_tolerance(tmp_path, deck_dir):
    chapter = """{% call run() %}
print(0.1 + 0.2)
{% endcall %}
{% call expect() %}
0.3
{% endcall %}
"""
    deck = write_deck(deck_dir, {"ch.md.j2": chapter})
    assert build(deck, tmp_path / "out", "--accept", "--no-html", companion="off").returncode == 0
    strict = chapter.replace("{% call expect() %}", "{% call expect(rtol=0) %}")
    write_deck(deck_dir, {"ch.md.j2": strict})
    proc = build(deck, tmp_path / "out", "--accept", "--no-html", companion="off")
    assert proc.returncode == 4
    assert "+0.30000000000000004" in proc.stderr


def test_figure_reference_uses_marpit_sizing(tmp_path, deck_dir):
    figures = deck_dir / "figures_src"
    figures.mkdir(parents=True)
    (figures / "dot.py").write_text(
        "import sys\nfrom pathlib import Path\n\n\ndef main(outdir):\n"
        "    Path(outdir).mkdir(parents=True, exist_ok=True)\n"
        "    (Path(outdir) / 'dot.svg').write_text('<svg xmlns=\"http://www.w3.org/2000/svg\"/>')\n\n\n"
        "if __name__ == '__main__':\n    main(sys.argv[1])\n"
    )
    deck = write_deck(deck_dir, {"ch.md.j2": '{= figure("dot.svg", width=300) =}\n'})
    proc = build(deck, tmp_path / "out", "--accept", "--no-html", companion="off")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    assert "![w:300px center](figures/dot.svg)" in md
    assert (tmp_path / "out" / "figures" / "dot.svg").is_file()


def test_snippets_of_a_chapter_share_state_and_chapters_do_not(tmp_path, deck_dir):
    deck = write_deck(
        deck_dir,
        {
            "a.md.j2": "{% call run() %}\nx = 41\n{% endcall %}\n{% call run() %}\nprint(x + 1)\n{% endcall %}\n",
            "b.md.j2": "{% call run() %}\nprint('x' in globals())\n{% endcall %}\n",
        },
    )
    proc = build(deck, tmp_path / "out", "--accept", "--no-html", companion="off")
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    assert "```text\n42\n```" in md
    assert "```text\nFalse\n```" in md


def test_echo_false_hides_code_but_keeps_it_in_the_notebook(tmp_path, deck_dir):
    deck = write_deck(deck_dir, {"ch.md.j2": "{% call run(echo=False) %}\nimport math\n{% endcall %}\n"})
    assert build(deck, tmp_path / "out", "--accept", "--no-html", companion="off").returncode == 0
    assert "import math" not in (tmp_path / "out" / "deck.md").read_text(encoding="utf-8")
    nb = json.loads((tmp_path / "out" / "deck.ipynb").read_text(encoding="utf-8"))
    assert any("".join(c["source"]) == "import math" for c in nb["cells"] if c["cell_type"] == "code")
