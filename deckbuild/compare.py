"""Compare a snippet's real output with the one written in the deck: text exactly, numbers within a tolerance."""

import difflib
import math
import re

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?\b(?:nan|inf)\b")


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


def diff(expected: str, actual: str, labels=("expected (deck)", "actual (kernel)")) -> str:
    lines = difflib.unified_diff(
        fold(expected).splitlines(), fold(actual).splitlines(), labels[0], labels[1], lineterm="", n=2
    )
    return "\n".join(lines)
