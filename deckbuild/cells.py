"""What a deck asks the kernel to run: snippets shown on slides, and values or tables put into prose."""

import re
from dataclasses import dataclass, field

from .errors import Where
from .literal import Place

DEFAULT_TIMEOUT = 60.0
DEFAULT_RTOL = 1e-9
MARKER_PREFIX = "\u27e6deck-"  # ⟦deck-…, the start of every placeholder
# A cell's placeholder, its position in group 1: one scan finds them all (searching the deck for each of
# hundreds of cells, or compiling a pattern of all of them, was a tenth of a prose edit's build)
CELL_PLACEHOLDER = re.compile(re.escape(MARKER_PREFIX) + r"cell:(\d+)\u27e7")


@dataclass
class Expectation:
    """Output the author wrote in the deck, checked against the real one."""

    text: str
    rtol: float
    where: Where


@dataclass
class Cell:
    """One unit of code run in a chapter's kernel, in deck order.

    kind names the tag that made it (deckbuild/tags.py: "snippet" for run(), "value", "table"); the tag
    decides how the cell fills the slide, the notebook and the snapshot. "source" is a source()
    block, never run by the build, only in the companion notebook (companion.py).
    """

    kind: str
    chapter: str
    index: int
    code: str
    where: Where
    timeout: float = DEFAULT_TIMEOUT
    echo: bool = True
    show_output: bool = True
    companion: bool = False  # a hidden snippet that also goes into the learner's companion notebook
    measured: bool = (
        False  # run(measured=True): its numbers (timings) change from run to run and are not compared
    )
    expectation: Expectation | None = None
    position: int = 0  # index among all cells of the deck
    raw: bool = False  # value()/table(raw=True): the author asks for the text as markup
    call: str = ""  # the tag call as the author wrote it, for the snapshot
    place: Place = field(default_factory=Place)  # where the placeholder lands in the rendered Markdown

    @property
    def placeholder(self) -> str:
        """Stands in the rendered text until the cell's output is known; never left in the output."""
        return f"{MARKER_PREFIX}cell:{self.position}\u27e7"  # ⟦deck-cell:N⟧

    @property
    def in_notebook(self) -> bool:
        from .tags import of  # the tag registry imports this module

        return of(self).in_notebook


@dataclass
class CellResult:
    """What a cell printed: its whole text (capped), and the outputs in notebook form."""

    text: str
    chars: int
    lines: int
    digest: str
    nb_outputs: list = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "text": self.text,
            "chars": self.chars,
            "lines": self.lines,
            "digest": self.digest,
            "nb_outputs": self.nb_outputs,
        }

    @classmethod
    def from_json(cls, data: dict) -> "CellResult":
        return cls(**data)
