"""The deck's [tool.deckbuild] table: one typed configuration, and an engine that names no subject."""

import ast
import re
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT, build, error_line, write_deck
from deckbuild import cache, config, pipeline, snapshots
from deckbuild.command import build_command
from deckbuild.errors import ConfigError

PROJECT = """[project]
name = "talk"

[tool.deckbuild]
code_dirs = ["lib"]
helpers = "talkhelpers"
cache_env = ["TALK_DATA"]
cache_packages = ["numpy"]
snapshot_variant = { env = "TALK_DATA", default = ["", "small"], folder = "data-{value}" }
"""

CHAPTER = """## A

{% call run() %}
import shapes
print(shapes.area(2))
{% endcall %}

{= source("shapes.area") =}

面積は {= value("twice(shapes.area(1))") =}。
"""


def project(tmp_path: Path, text: str = PROJECT) -> Path:
    """A project folder: pyproject.toml, lib/ with the subject's code, and a deck in slides/."""
    (tmp_path / "pyproject.toml").write_text(text)
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "shapes.py").write_text("def area(r):\n    return 3 * r * r\n")
    (lib / "talkhelpers.py").write_text("def twice(v):\n    return 2 * v\n")
    return write_deck(tmp_path / "slides", {"a.md.j2": CHAPTER})


def test_the_code_folders_the_helpers_and_source_come_from_the_configuration(tmp_path):
    deck = project(tmp_path)
    out = tmp_path / "out"
    proc = build(deck, out, "--accept", "--no-html")
    assert proc.returncode == 0, proc.stderr
    md = (out / "deck.md").read_text()
    assert "12" in md  # the kernel imported lib/shapes.py
    assert "def area(r):\n    return 3 * r * r" in md  # source() read it
    assert "面積は 6。" in md  # value() saw the configured helper


def test_figure_scripts_come_from_the_configured_folder_and_import_the_configured_code(tmp_path):
    deck = project(tmp_path, PROJECT + 'figures = "figs"\n')
    (tmp_path / "figs").mkdir()
    (tmp_path / "figs" / "plots.py").write_text(
        "import sys\nfrom pathlib import Path\n\nimport shapes\n\n\ndef main(outdir):\n"
        "    Path(outdir, 'area.svg').write_text(f'<svg>{shapes.area(2)}</svg>')\n\n\n"
        "if __name__ == '__main__':\n    main(sys.argv[1])\n"
    )
    (deck.parent / "a.md.j2").write_text('## A\n\n{= figure("area.svg", width=400) =}\n')
    out = tmp_path / "out"
    proc = subprocess.run(build_command(deck, out, "--no-html"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert (out / "figures" / "area.svg").read_text() == "<svg>12</svg>"


def test_a_helpers_module_that_cannot_be_imported_is_named_at_the_value_that_needs_it(tmp_path):
    deck = project(tmp_path, PROJECT.replace('"talkhelpers"', '"nosuch.helpers"'))
    proc = build(deck, tmp_path / "out", "--no-html", companion="off")
    assert proc.returncode == 3
    assert error_line(proc) == (
        f"error: {deck.parent / 'a.md.j2'}:10: slide 2: raised ImportError: helpers = 'nosuch.helpers' of "
        "[tool.deckbuild] in pyproject.toml cannot be imported (No module named 'nosuch')"
    )


def test_the_themes_come_from_the_configured_folder(tmp_path):
    deck = project(tmp_path, PROJECT + 'themes = "style"\n')
    (deck.parent / "themes").rename(tmp_path / "style")
    out = tmp_path / "out"
    proc = build(deck, out, "--accept", companion="off")
    assert proc.returncode == 0, proc.stderr
    assert "docker" in (out / "deck.html").read_text(encoding="utf-8")


def test_the_configured_setting_keys_the_cache_and_names_the_snapshot_folder(tmp_path):
    deck = project(tmp_path)
    out = tmp_path / "out"
    assert build(deck, out, "--accept", "--no-html", companion="off").returncode == 0
    proc = build(deck, out, "--accept", "--no-html", env={"TALK_DATA": "big"}, companion="off")
    assert proc.returncode == 0, proc.stderr
    assert "chapter a: running 1 cell(s) (TALK_DATA changed)" in proc.stderr.replace("2 cell(s)", "1 cell(s)")
    assert (deck.parent / "snapshots" / "data-big" / "a.json").is_file()
    assert snapshots.folder(deck) == deck.parent / "snapshots"


def test_the_configuration_is_typed_and_its_paths_are_relative_to_it(tmp_path):
    project(tmp_path)
    cfg = config.load(tmp_path / "pyproject.toml")
    assert cfg.code_dirs == (tmp_path / "lib",)
    assert cfg.cache_env == ("TALK_DATA",) and cfg.helpers == "talkhelpers"
    assert cfg.snapshot_variant == config.SnapshotVariant("TALK_DATA", ("", "small"), "data-{value}")
    assert cfg.theme_dir(tmp_path / "slides") == tmp_path / "slides" / "themes"
    key = pipeline.chapter_key([], cfg)
    assert set(key["versions"]) == {"python", "numpy"} and key["settings"] == {"TALK_DATA": ""}
    assert key["code"] == [str(tmp_path / "lib"), "talkhelpers"]
    with pytest.raises(AttributeError):
        cfg.helpers = "other"  # frozen: read once, never changed


@pytest.mark.parametrize(
    "line, message",
    [
        ('cache_evn = ["X"]', "cache_evn: unknown key (known: cache_env, "),
        ('code_dirs = "lib"', "code_dirs: must be a list of strings"),
        ("helpers = 3", "helpers: must be a string"),
        ('snapshot_variant = { env = "X", folder = "x" }', 'folder must be a string holding "{value}"'),
        ('snapshot_variant = { env = "X", fodler = "x-{value}" }', "unknown key 'fodler'"),
    ],
)
def test_a_wrong_key_is_one_line_naming_pyproject_and_its_line(tmp_path, line, message):
    deck = project(tmp_path, "[tool.deckbuild]\n\n" + line + "\n")
    proc = build(deck, tmp_path / "out", "--no-html")
    assert proc.returncode == ConfigError.exit_code == 11
    headline = error_line(proc)
    assert headline.startswith(f"error: {tmp_path / 'pyproject.toml'}:3: [tool.deckbuild] "), headline
    assert message in headline
    assert not (tmp_path / "out").exists()


def test_a_deck_without_configuration_gets_defaults_that_name_no_subject(tmp_path):
    cfg = config.for_deck(tmp_path)
    assert cfg == config.DEFAULTS and cfg.code_dirs == () and cfg.cache_env == ()
    assert cache.versions(cfg.cache_packages).keys() == {"python", "numpy", "matplotlib"}


def test_a_variant_value_cannot_leave_the_snapshot_folder(tmp_path, monkeypatch):
    deck = project(tmp_path)
    monkeypatch.setenv("TALK_DATA", "../../elsewhere")
    with pytest.raises(Exception, match="cannot name a snapshot folder"):
        snapshots.folder(deck)


def test_the_engine_names_no_subject_and_imports_nothing_from_code():
    subject_modules = {p.stem for p in (ROOT / "code").iterdir() if p.is_dir() or p.suffix == ".py"}
    for path in sorted((ROOT / "deckbuild").rglob("*")):
        if path.suffix not in (".py", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"zerodl|mnist", text, re.IGNORECASE), path
        if path.suffix == ".py":
            for node in ast.walk(ast.parse(text)):
                names = []
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0:
                    names = [node.module or ""]
                assert not {n.split(".")[0] for n in names} & subject_modules, (path, names)


def test_the_real_deck_is_configured():
    cfg = config.for_deck(ROOT / "slides")
    assert cfg.source == ROOT / "pyproject.toml"
    assert cfg.code_dirs == (ROOT / "code",) and cfg.themes == ROOT / "slides" / "themes"
