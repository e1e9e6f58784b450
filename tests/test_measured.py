"""run(measured=True): an output of measurements (timings) is shown and recorded, but checked without its numbers."""

import json

import pytest

from conftest import build, error_line, tree_digest, write_deck
from deckbuild import companion, templates
from deckbuild.cells import Cell, CellResult
from deckbuild.compare import number_blind
from deckbuild.errors import Where

PROFILE = """\
## Profile

{% call run(measured=True) %}
import mymod
print(f"{mymod.WORD}: {mymod.VALUE} ms")
{% endcall %}
{% call run() %}
print(mymod.OTHER)
{% endcall %}
"""


def profile_deck(tmp_path, value="12.5", word="conv1", other="7"):
    pkg = tmp_path / "pkg"
    pkg.mkdir(exist_ok=True)
    (pkg / "mymod.py").write_text(f"VALUE = {value}\nWORD = {word!r}\nOTHER = {other}\n")
    return write_deck(tmp_path / "deck", {"ch.md.j2": PROFILE}), {"PYTHONPATH": str(pkg)}


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("12 ms", "7 ms"),
        ("3.5", "10.25"),
        ("1e-3", "2.5E+04"),
        ("\u22120.2", "0.3"),  # a true minus sign
        ("-0.2", "+0.3"),
        ("93%", "100%"),
        ("999 µs", "1,000 µs"),  # grouping by thousands keeps one number
        ("conv1   9.9 ms", "conv1  10.0 ms"),  # a wider number shifts its column
        ("[1. 2.]", "[3. 4.]"),
        ("nan", "inf"),
        ("第1層 2.0 ms", "第2層 3.5 ms"),  # digits in Japanese prose are numbers
    ],
)
def test_numbers_of_every_form_are_blind(a, b):
    assert number_blind(a) == number_blind(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("12 ms", "12 µs"),
        ("1 2", "1"),
        ("a\n1", "a 1"),
        ("93%", "93"),
        ("conv1: 1", "conv2: 1"),
        ("float32", "float64"),
    ],
)
def test_words_lines_and_how_many_numbers_still_count(a, b):
    assert number_blind(a) != number_blind(b)


def test_a_measured_cell_passes_when_its_numbers_change_and_is_recorded_as_measured(tmp_path):
    deck, env = profile_deck(tmp_path)
    out = tmp_path / "out"
    accepted = build(deck, out, "--accept", "--no-html", env=env, companion="off")
    assert accepted.returncode == 0, accepted.stderr
    snapshot = tmp_path / "deck" / "snapshots" / "ch.json"
    cells = json.loads(snapshot.read_text())["cells"]
    assert cells[0]["measured"] is True and cells[0]["output"] == ["conv1: 12.5 ms"]
    assert "measured" not in cells[1]
    recorded = snapshot.read_bytes()

    deck, env = profile_deck(tmp_path, value="1e-3")  # another machine, another run
    again = build(deck, out, "--no-html", env=env, companion="off")
    assert again.returncode == 0, again.stderr
    assert "conv1: 0.001 ms" in (out / "deck.md").read_text()  # the slide shows this run's measurement
    assert build(deck, out, "--accept", "--no-html", env=env, companion="off").returncode == 0
    assert snapshot.read_bytes() == recorded  # accepting keeps the recorded numbers: no churn in the diff

    deck, env = profile_deck(tmp_path, value="1e-3", other="8")  # a cell not measured: numbers still count
    plain = build(deck, out, "--no-html", env=env, companion="off")
    assert plain.returncode == 5
    assert "ch.md.j2:8: slide 2: output changed since it was recorded" in error_line(plain)


def test_a_measured_cell_whose_words_change_is_a_located_error(tmp_path):
    deck, env = profile_deck(tmp_path)
    out = tmp_path / "out"
    assert build(deck, out, "--accept", "--no-html", env=env, companion="off").returncode == 0
    before = tree_digest(out)
    deck, env = profile_deck(tmp_path, value="3.25", word="pool1")
    proc = build(deck, out, "--no-html", env=env, companion="off")
    assert proc.returncode == 5
    message = error_line(proc)
    assert "ch.md.j2:4: slide 2: output changed since it was recorded, besides its numbers" in message
    assert "-conv1: ⟨n⟩ ms\n+pool1: ⟨n⟩ ms" in proc.stderr
    assert tree_digest(out) == before


TIMING = """\
## Timing

{% call run(measured=True) %}
import time

print(f"now {time.perf_counter_ns()} ns")
{% endcall %}
"""


def test_a_real_timing_passes_the_companion_and_a_warm_build_does_not_measure_again(tmp_path):
    deck = write_deck(tmp_path / "deck", {"ch.md.j2": TIMING})
    out = tmp_path / "out"
    first = build(deck, out, "--accept", "--no-html")  # the companion's kernel measures another time
    assert first.returncode == 0, first.stderr
    shown = (out / "deck.md").read_text()
    warm = build(deck, out, "--no-html")
    assert warm.returncode == 0, warm.stderr
    assert "from cache" in warm.stderr
    assert (out / "deck.md").read_text() == shown
    forced = build(deck, out, "--no-html", "--force")
    assert forced.returncode == 0, forced.stderr
    assert (out / "deck.md").read_text() != shown


def judged(measured: bool, slide: str, alone: str) -> list:
    cell = Cell("snippet", "ch", 0, "print(t)\n", Where("ch.md.j2", 4, 2), measured=measured)
    rendering = templates.Rendering(text="", cells=[cell])
    run = {"result": {"text": alone}, "error": None, "timeout": False}
    return companion.findings([cell], [run], {0: CellResult(slide, len(slide), 1, "")}, rendering)


def test_the_companion_compares_a_measured_cell_without_its_numbers():
    assert judged(True, "conv1: 12.5 ms\n", "conv1: 9.75 ms\n") == []
    [words] = judged(True, "conv1: 12.5 ms\n", "pool1: 9.75 ms\n")
    assert "prints something else besides its numbers" in words.message
    assert "-conv1: ⟨n⟩ ms" in words.detail
    assert len(judged(False, "conv1: 12.5 ms\n", "conv1: 9.75 ms\n")) == 1
