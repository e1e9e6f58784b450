"""Recorded outputs: a changed output fails with a readable diff until `make accept` (build.py --accept)."""

import json
import shutil

from conftest import ROOT, build, error_line, tree_digest, write_deck

CHAPTER = "## Numbers\n\n{% call run() %}\nimport mymod\nprint(mymod.VALUE)\nprint('same')\n{% endcall %}\n"


def test_changed_output_fails_until_accepted(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    module = pkg / "mymod.py"
    module.write_text("VALUE = 0.25\n")
    env = {"PYTHONPATH": str(pkg)}
    deck = write_deck(tmp_path / "deck", {"ch.md.j2": CHAPTER})
    out = tmp_path / "out"

    missing = build(deck, out, "--no-html", env=env, companion="off")
    assert missing.returncode == 5
    assert "no recorded outputs" in error_line(missing) and "make accept" in error_line(missing)

    assert build(deck, out, "--accept", "--no-html", env=env, companion="off").returncode == 0
    recorded = json.loads((tmp_path / "deck" / "snapshots" / "ch.json").read_text())
    assert recorded["cells"][0]["output"] == ["0.25", "same"]

    module.write_text("VALUE = 0.2500001\n")  # as a library upgrade might
    before = tree_digest(out)
    changed = build(deck, out, "--no-html", env=env, companion="off")
    assert changed.returncode == 5
    assert "ch.md.j2:4: slide 2: output changed since it was recorded" in error_line(changed)
    assert "-0.25\n+0.2500001" in changed.stderr
    assert tree_digest(out) == before

    accepted = build(deck, out, "--accept", "--no-html", env=env, companion="off")
    assert accepted.returncode == 0, accepted.stderr
    assert "snapshots/ch.json" in accepted.stderr
    assert build(deck, out, "--no-html", env=env, companion="off").returncode == 0


def test_new_snippet_needs_accepting(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch.md.j2": "{% call run() %}\nprint(1)\n{% endcall %}\n"})
    out = tmp_path / "out"
    assert build(deck, out, "--accept", "--no-html", companion="off").returncode == 0
    (tmp_path / "deck" / "ch.md.j2").write_text(
        "{% call run() %}\nprint(1)\n{% endcall %}\n{% call run() %}\nprint(2)\n{% endcall %}\n"
    )
    proc = build(deck, out, "--no-html", companion="off")
    assert proc.returncode == 5
    assert "ch.md.j2:5: slide 2: new snippet has no recorded output" in error_line(proc)


def test_another_data_set_records_its_outputs_apart(monkeypatch, tmp_path):
    from deckbuild import snapshots

    deck = tmp_path / "deck.md.j2"
    shutil.copy(ROOT / "pyproject.toml", tmp_path)  # this project's snapshot_variant
    monkeypatch.delenv("ZERODL_MNIST", raising=False)
    assert snapshots.folder(deck) == tmp_path / "snapshots"
    monkeypatch.setenv("ZERODL_MNIST", "5k")
    assert snapshots.folder(deck) == tmp_path / "snapshots"
    monkeypatch.setenv("ZERODL_MNIST", "full")
    assert snapshots.folder(deck) == tmp_path / "snapshots" / "mnist-full"
