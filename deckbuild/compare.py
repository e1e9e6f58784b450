"""Compare a snippet's real output with the one written in the deck: text exactly, numbers within a tolerance;
and, for a measured output (run(measured=True): timings), its words and layout with the numbers left out."""

import difflib
import math
import re

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")


# What a measured output's numbers may look like: 12, 3.5, 12., .5, 1e-3, 1.2E+03, -0.2, −0.2 (a true minus),
# +7, 1,234.5 (thousands grouped by commas: 999 → 1,000 stays one number), nan, inf; in 93% or 12ms the
# digits are the number and % or ms a word. Digits after a Latin letter or _ are part of a name (conv1,
# float32), compared as words; after Japanese text (層1) they are a number.
MEASURED_NUMBER = re.compile(
    r"(?<![A-Za-z_])[-+\u2212]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][-+\u2212]?\d+)?"
    r"|[-+\u2212]?\b(?:nan|inf)\b"
)
ANY_NUMBER = "\u27e8n\u27e9"  # ⟨n⟩, which no output's number is


def fold(text: str) -> str:
    """Trailing white space on each line and trailing blank lines do not count."""
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")


def tokens(text: str) -> tuple[list[str], list[str]]:
    """Split text into the words between numbers, and the numbers."""
    return NUMBER.split(text), NUMBER.findall(text)


def close(a: str, b: str, rtol: float) -> bool:
    x, y = float(a), float(b)
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return x == y or math.isclose(x, y, rel_tol=rtol, abs_tol=0.0)


def matches(expected: str, actual: str, rtol: float) -> bool:
    expected, actual = fold(expected), fold(actual)
    if expected == actual:
        return True
    words_e, nums_e = tokens(expected)
    words_a, nums_a = tokens(actual)
    if words_e != words_a or len(nums_e) != len(nums_a):
        return False
    return all(close(e, a, rtol) for e, a in zip(nums_e, nums_a, strict=True))


def number_blind(text: str) -> str:
    """A measured output as compared: every number replaced by ⟨n⟩, runs of spaces and tabs made one (a number
    printed wider shifts its column), trailing white space folded. Words, line count and the number of numbers
    remain."""
    blind = MEASURED_NUMBER.sub(ANY_NUMBER, fold(text))
    return re.sub(r"[ \t]+", " ", blind)


def same_output(a: str, b: str, measured: bool) -> bool:
    """Two outputs of one cell are the same: exactly, or for a measured cell, but for their numbers."""
    return number_blind(a) == number_blind(b) if measured else a == b


def diff(expected: str, actual: str, labels=("expected (deck)", "actual (kernel)")) -> str:
    lines = difflib.unified_diff(
        fold(expected).splitlines(), fold(actual).splitlines(), labels[0], labels[1], lineterm="", n=2
    )
    return "\n".join(lines)
