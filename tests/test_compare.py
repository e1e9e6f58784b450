"""Expected outputs: text compared exactly (trailing white space folded), numbers within a relative tolerance."""

from deckbuild.compare import diff, matches


def test_number_within_default_tolerance_matches():
    assert matches("0.1999999999990898", "0.19999999999909", rtol=1e-9)


def test_wrong_number_does_not_match():
    assert not matches("0.11", "0.1999999999990898", rtol=1e-9)


def test_tolerance_is_settable():
    assert not matches("1.0000001", "1", rtol=1e-9)
    assert matches("1.0000001", "1", rtol=1e-6)


def test_text_around_numbers_must_be_equal():
    assert not matches("loss 0.5", "cost 0.5", rtol=1e-9)
    assert not matches("[1. 2.]", "[1. 2. 3.]", rtol=1e-9)


def test_trailing_white_space_is_folded():
    assert matches("a  \nb\n\n", "a\nb", rtol=0)


def test_nan_matches_only_nan():
    assert matches("[nan 1.]", "[nan 1.]", rtol=1e-9)
    assert not matches("nan", "1.0", rtol=1e-9)


def test_numpy_array_output_within_tolerance():
    assert matches("array([6., 8.])", "array([6.000000000001, 8.])", rtol=1e-9)


def test_diff_is_readable():
    text = diff("0 0 -> 0\n1 1 -> 1", "0 0 -> 0\n1 1 -> 0")
    assert "-1 1 -> 1" in text and "+1 1 -> 0" in text
