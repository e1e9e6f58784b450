"""Shared figure settings: Agg backend, a shipped Japanese font, and byte-reproducible SVG output."""

import importlib.util
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib import font_manager

# The two colours of every learning curve: training data (and Batch Norm on), test data (and off).
TRAIN_COLOR, TEST_COLOR = "#08519c", "#e6550d"


def japanese_font_path() -> Path:
    """IPAexGothic, shipped inside the japanize-matplotlib wheel (read as a file, never imported)."""
    spec = importlib.util.find_spec("japanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("japanize-matplotlib is not installed: run `make figures`, which installs it")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"


def setup() -> None:
    """Use the Japanese font for text, Computer Modern for formulas, and make SVG output deterministic."""
    path = japanese_font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    plt.rcParams.update(
        {
            "font.family": name,
            # $…$ in Computer Modern, the look of the slides' MathJax formulas (its default TeX font)
            "mathtext.fontset": "cm",
            # a true minus sign (U+2212, which IPAexGothic has) on the ticks, as in the formulas, not a hyphen
            "axes.unicode_minus": True,
            "svg.hashsalt": "zerodl-deck",
            "svg.fonttype": "path",
            "figure.dpi": 100,
        }
    )


def save(fig, outdir: Path, name: str) -> Path:
    """Write `name`.svg into outdir without timestamps, so two runs give the same bytes."""
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"{name}.svg"
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return path
