"""Every way a build can fail, each with its own exit code and a one-line message naming file, line and slide."""

from dataclasses import dataclass


@dataclass
class Where:
    """A place in the deck source: template file, line, and the slide it lands on."""

    file: str
    line: int | None = None
    slide: int | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
        if self.slide is not None:
            text += f": slide {self.slide}"
        return text


class DeckError(Exception):
    """Base class: `headline()` is the one line a user sees; `detail` (a diff, say) may follow it."""

    exit_code = 1

    def __init__(self, message: str, where: Where | None = None, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.where = where
        self.detail = detail

    def headline(self) -> str:
        prefix = f"{self.where}: " if self.where else ""
        return f"error: {prefix}{self.message}"


class TemplateError(DeckError):
    """The deck file cannot be read or rendered: Jinja syntax, an undefined name, bad UTF-8."""

    exit_code = 2


class SnippetError(DeckError):
    """A snippet raised, did not compile, or ran past its timeout."""

    exit_code = 3


class ExpectationError(DeckError):
    """A snippet's real output differs from the output written in the deck."""

    exit_code = 4


class SnapshotError(DeckError):
    """A snippet's output differs from its recorded snapshot; `make accept` records the new one."""

    exit_code = 5


class FigureError(DeckError):
    """A figure script failed, or the deck references a figure that no script produces."""

    exit_code = 6


class LintError(DeckError):
    """The rendered Markdown breaks a rule of the deck (missing image, stray template syntax, …)."""

    exit_code = 7


class ToolError(DeckError):
    """An outside tool (node, marp-cli) is missing or failed."""

    exit_code = 8


class BusyError(DeckError):
    """Another build is writing the same output folder."""

    exit_code = 9


class PublishError(DeckError):
    """The outputs cannot be published where asked: the output folder is a file, cannot be written, or holds
    files this build did not write; or a file operation failed (disk full, permission denied)."""

    exit_code = 13


class Interrupted(DeckError):
    """The user pressed Ctrl-C."""

    exit_code = 130


class CompanionError(DeckError):
    """Run from the code the slides show alone (hidden cells left out), a visible cell prints something else."""

    exit_code = 12


class CheckError(DeckError):
    """The deck, looked at in a real browser, has findings: overflow, broken images, math errors, tofu, …"""

    exit_code = 10


class ConfigError(DeckError):
    """The deck's [tool.deckbuild] table in pyproject.toml has an unknown key or a value of the wrong type."""

    exit_code = 11
