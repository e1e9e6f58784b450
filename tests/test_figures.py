"""Figures: Japanese text in a real Japanese font, and every script reproducible."""

import sys
import warnings
from pathlib import Path

from deckbuild import ROOT
from deckbuild.figures import scripts

sys.path.insert(0, str(ROOT / "figures_src"))
import figstyle


def test_japanese_text_uses_a_japanese_font(tmp_path):
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    figstyle.setup()
    found = font_manager.findfont(font_manager.FontProperties(family=plt.rcParams["font.family"]))
    assert Path(found).name == "ipaexg.ttf"
    fig, ax = plt.subplots()
    ax.set_title("パーセプトロンの重みとバイアス")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (tofu) is a warning in matplotlib
        figstyle.save(fig, tmp_path, "jp")
    assert (tmp_path / "jp.svg").stat().st_size > 1000


def test_every_figure_family_has_a_script():
    names = {p.name for p in scripts(ROOT / "figures_src")}
    assert {"perceptron_diagram.py", "gate_regions.py", "xor_circuit.py"} <= names
    assert "figstyle.py" not in names


def test_a_script_of_the_same_name_in_another_folder_is_not_served_from_the_cache(tmp_path):
    from deckbuild import cache
    from deckbuild.figures import build_one

    store, figure_cache = tmp_path / "store", cache.Cache(tmp_path / "cache")
    store.mkdir()
    for folder, figure_name in (("a", "first"), ("b", "second")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "plots.py").write_text(
            "import sys\nfrom pathlib import Path\n\n\ndef main(outdir):\n"
            f"    Path(outdir, '{figure_name}.svg').write_text('<svg/>')\n\n\n"
            "if __name__ == '__main__':\n    main(sys.argv[1])\n"
        )
    first, _ = build_one(tmp_path / "a" / "plots.py", store, figure_cache, force=False)
    second, why = build_one(tmp_path / "b" / "plots.py", store, figure_cache, force=False)
    assert set(first) == {"first.svg"} and set(second) == {"second.svg"} and why


def test_a_figure_width_is_written_only_in_the_deck():
    for script in sorted((ROOT / "figures_src").glob("*.py")):
        assert "DISPLAY_WIDTH" not in script.read_text(encoding="utf-8"), script.name


def test_rendering_records_each_figure_with_the_width_its_slide_shows(tmp_path):
    from conftest import content_width, write_deck
    from deckbuild import templates

    deck = write_deck(tmp_path, {"a.md.j2": '{= figure("a.svg", width=300) =}\n\n{= figure("b.svg") =}\n'})
    figures = templates.render(deck, ()).figures
    assert [(f.name, f.width) for f in figures] == [("a.svg", 300), ("b.svg", None)]
    assert content_width() == 1280 - 2 * 76  # docker.css: a 1280px slide, 76px padding left and right
