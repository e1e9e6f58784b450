"""What a deck asks the kernel to run: snippets shown on slides, and values or tables put into prose."""

from dataclasses import dataclass, field

from .errors import Where

DEFAULT_TIMEOUT = 60.0
DEFAULT_RTOL = 1e-9
MARKER_PREFIX = "\u27e6deck-"  # ⟦deck-…, the start of every placeholder


@dataclass
class Expectation:
    """Output the author wrote in the deck, checked against the real one."""

    text: str
    rtol: float
    where: Where


@dataclass
class Cell:
    """One unit of code run in a chapter's kernel, in deck order.

    kind is "snippet" (code shown on a slide, output injected after it), "value" (one line of
    output put into prose) or "table" (a Markdown table put into the slide); "source" is a source()
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
    expectation: Expectation | None = None
    position: int = 0  # index among all cells of the deck

    @property
    def placeholder(self) -> str:
        """Stands in the rendered text until the cell's output is known; never left in the output."""
        return f"{MARKER_PREFIX}cell:{self.position}\u27e7"  # ⟦deck-cell:N⟧

    @property
    def in_notebook(self) -> bool:
        return self.kind == "snippet"


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
