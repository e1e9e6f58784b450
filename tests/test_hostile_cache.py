"""A cache entry is used only when it verifies: anything damaged, truncated or of the wrong shape is re-run."""

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import build, write_deck
from deckbuild import cache, pipeline
from deckbuild.cells import Cell
from deckbuild.errors import Where
from deckbuild.figures import build_one

KEY = {"snippets": "abc"}
PAYLOAD = {"results": [{"text": "45\n", "chars": 3, "lines": 1, "digest": "d", "nb_outputs": []}]}


def stored(tmp_path: Path) -> cache.Cache:
    entries = cache.Cache(tmp_path / "entries")
    entries.store("ch", KEY, {}, PAYLOAD)
    assert entries.lookup("ch", KEY) == (PAYLOAD, "")
    return entries


def rewrite(entry: Path, change) -> None:
    data = json.loads(entry.read_text(encoding="utf-8"))
    change(data)
    entry.write_text(json.dumps(data), encoding="utf-8")


def edit_output(entry: Path) -> None:
    rewrite(entry, lambda d: d["payload"]["results"][0].update(text="46\n"))


def edit_key(entry: Path) -> None:
    rewrite(entry, lambda d: d["key"].update(snippets="abc", extra=1))


def drop_digest(entry: Path) -> None:
    rewrite(entry, lambda d: d.pop("digest"))


def replace_with_dir(entry: Path) -> None:
    entry.unlink()
    entry.mkdir()
    (entry / "x").write_text("x")


DAMAGE = {
    "output edited by hand": edit_output,
    "key edited by hand": edit_key,
    "digest removed": drop_digest,
    "cut short": lambda p: p.write_bytes(p.read_bytes()[:40]),
    "empty file": lambda p: p.write_bytes(b""),
    "binary garbage": lambda p: p.write_bytes(bytes(range(256)) * 4),
    "a JSON list": lambda p: p.write_text("[]"),
    "a JSON string": lambda p: p.write_text('"entry"'),
    "null": lambda p: p.write_text("null"),
    "right format, nothing else": lambda p: p.write_text(json.dumps({"format": cache.CACHE_FORMAT})),
    "key is a list": lambda p: rewrite(p, lambda d: d.update(key=[])),
    "deps are numbers": lambda p: rewrite(p, lambda d: d.update(deps={"a.py": 1})),
    "payload is a string": lambda p: rewrite(p, lambda d: d.update(payload="x")),
    "a directory in its place": replace_with_dir,
    "a dangling symlink": lambda p: (p.unlink(), p.symlink_to(p.parent / "nowhere.json")),
    "a named pipe, which would block a read": lambda p: (p.unlink(), os.mkfifo(p)),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_entry_is_a_miss_with_a_reason_and_is_replaced(tmp_path, damage):
    entries = stored(tmp_path)
    damage(entries.path("ch"))
    payload, reason = entries.lookup("ch", KEY)
    assert payload is None
    assert reason.startswith("cache entry corrupt: "), reason
    entries.store("ch", KEY, {}, PAYLOAD)  # the re-run's result takes its place
    assert entries.lookup("ch", KEY) == (PAYLOAD, "")


def test_a_file_where_the_cache_folders_belong_is_replaced(tmp_path):
    (tmp_path / ".cache").write_text("not a folder")
    entries = cache.Cache(tmp_path / ".cache" / "chapters")
    assert entries.lookup("ch", KEY) == (None, "not cached yet")
    entries.store("ch", KEY, {}, PAYLOAD)
    assert entries.lookup("ch", KEY) == (PAYLOAD, "")
    shutil.rmtree(entries.folder)
    entries.folder.write_text("not a folder either")
    entries.store("ch", KEY, {}, PAYLOAD)
    assert entries.lookup("ch", KEY) == (PAYLOAD, "")


def test_a_sealed_payload_of_the_wrong_shape_is_a_miss(tmp_path):
    entries = cache.Cache(tmp_path)
    cells = [Cell(kind="snippet", chapter="ch", index=i, code="", where=Where("ch")) for i in range(2)]
    check = pipeline.results_check(cells)
    for bad in ({"results": PAYLOAD["results"]}, {"results": "x"}, {}, {"results": [{"text": 1}] * 2}):
        entries.store("ch", KEY, {}, bad)
        payload, reason = entries.lookup("ch", KEY, check)
        assert payload is None and reason.startswith("cache entry corrupt: "), (bad, reason)
    good = {"results": PAYLOAD["results"] * 2}
    entries.store("ch", KEY, {}, good)
    assert entries.lookup("ch", KEY, check) == (good, "")


def test_a_dependency_replaced_by_a_named_pipe_is_a_change_not_a_hang(tmp_path):
    data = tmp_path / "data.txt"
    data.write_text("1\n")
    entries = cache.Cache(tmp_path / "entries")
    entries.store("ch", KEY, {str(data): cache.file_sha256(data)}, PAYLOAD)
    data.unlink()
    os.mkfifo(data)
    cache.file_digest.cache_clear()
    assert entries.lookup("ch", KEY) == (None, f"{data} changed")


def test_an_older_format_is_named_as_such(tmp_path):
    entries = stored(tmp_path)
    rewrite(entries.path("ch"), lambda d: d.update(format=cache.CACHE_FORMAT - 1))
    assert entries.lookup("ch", KEY) == (None, "cache format changed")


# ---- figure files --------------------------------------------------------------------------------

SCRIPT = (
    "import sys\nfrom pathlib import Path\n\n\ndef main(outdir):\n"
    "    Path(outdir, 'plot.svg').write_text('<svg>' + 'x' * 1000 + '</svg>')\n\n\n"
    "if __name__ == '__main__':\n    main(sys.argv[1])\n"
)


@pytest.fixture
def figure_store(tmp_path):
    script = tmp_path / "src" / "plots.py"
    script.parent.mkdir()
    script.write_text(SCRIPT)
    store = tmp_path / "store"
    store.mkdir()
    figure_cache = cache.Cache(tmp_path / "cache")
    files, why = build_one(script, store, figure_cache, force=False)
    assert why == "not cached yet"
    return script, store, figure_cache, files["plot.svg"]


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:20])


def replace_file_with_dir(path: Path) -> None:
    path.unlink()
    path.mkdir()


def replace_folder_with_file(path: Path) -> None:
    shutil.rmtree(path.parent)
    path.parent.write_text("not a folder")


FIGURE_DAMAGE = {
    "truncated": truncate,
    "missing": lambda p: p.unlink(),
    "same size, other bytes": lambda p: p.write_bytes(p.read_bytes().replace(b"x", b"y")),
    "a directory in its place": replace_file_with_dir,
    "its folder replaced by a file": replace_folder_with_file,
    "a symlink to another file": lambda p: (p.unlink(), p.symlink_to(os.devnull)),
}


@pytest.mark.parametrize("damage", FIGURE_DAMAGE.values(), ids=FIGURE_DAMAGE.keys())
def test_a_damaged_figure_file_is_regenerated_not_published(figure_store, damage):
    script, store, figure_cache, path = figure_store
    whole = path.read_bytes()
    damage(path)
    files, why = build_one(script, store, figure_cache, force=False)
    assert why.startswith("cache entry corrupt: "), why
    assert files["plot.svg"].read_bytes() == whole
    assert build_one(script, store, figure_cache, force=False)[1] == ""  # and verified from now on


def test_an_entry_naming_a_file_outside_its_folder_is_not_followed(figure_store, tmp_path):
    script, store, figure_cache, _ = figure_store
    outside = tmp_path / "secret.svg"
    outside.write_text("<svg/>")
    entry = json.loads(figure_cache.path("plots").read_text())
    digest = cache.file_sha256(outside)
    figure_cache.store("plots", entry["key"], entry["deps"], {"files": {"../../secret.svg": digest}})
    files, why = build_one(script, store, figure_cache, force=False)
    assert why.startswith("cache entry corrupt: bad figure file name"), why
    assert set(files) == {"plot.svg"}


# ---- end to end ----------------------------------------------------------------------------------

CHAPTER = "## B\n\n{% call run() %}\nprint(sum(range(10)))\n{% endcall %}\n"


def test_a_hand_edited_output_is_rerun_and_never_accepted(tmp_path):
    deck = write_deck(tmp_path / "deck", {"b.md.j2": CHAPTER})
    out = tmp_path / "out"
    assert build(deck, out, "--accept", "--no-html", companion="off").returncode == 0
    entry = out / ".cache" / "chapters" / "b.json"
    rewrite(entry, lambda d: d["payload"]["results"][0].update(text="46\n"))
    proc = build(deck, out, "--accept", "--no-html", companion="off")
    assert proc.returncode == 0, proc.stderr
    assert "chapter b: running 1 cell(s) (cache entry corrupt: " in proc.stderr
    recorded = json.loads((deck.parent / "snapshots" / "b.json").read_text())
    assert recorded["cells"][0]["output"] == ["45"]
    assert "46" not in (out / "deck.md").read_text()


def test_a_truncated_cached_figure_is_never_published(tmp_path):
    deck = write_deck(tmp_path / "deck", {"f.md.j2": '## F\n\n{= figure("plot.svg", width=400) =}\n'})
    (deck.parent / "figures_src").mkdir()
    (deck.parent / "figures_src" / "plots.py").write_text(SCRIPT)
    out = tmp_path / "out"
    assert build(deck, out, "--no-html", companion="off").returncode == 0, "first build"
    whole = (out / "figures" / "plot.svg").read_bytes()
    truncate(out / ".cache" / "figure-files" / "plots" / "plot.svg")
    proc = build(deck, out, "--no-html", companion="off")
    assert proc.returncode == 0, proc.stderr
    assert "ran (cache entry corrupt: figure file plot.svg does not match its digest)" in proc.stderr
    assert (out / "figures" / "plot.svg").read_bytes() == whole
