"""Chapter 1's gates against the logic they are named after."""

import pytest

from zerodl.gates import AND, INPUTS, NAND, OR, XOR, Perceptron, sum_table, truth_table

LOGIC = {
    AND: lambda a, b: a and b,
    OR: lambda a, b: a or b,
    NAND: lambda a, b: not (a and b),
    XOR: lambda a, b: a != b,
}


@pytest.mark.parametrize("gate", list(LOGIC), ids=["AND", "OR", "NAND", "XOR"])
def test_gate_matches_its_logic(gate):
    assert [y for _, _, y in truth_table(gate)] == [int(LOGIC[gate](a, b)) for a, b in INPUTS]


@pytest.mark.parametrize("gate", [AND, OR, NAND], ids=["AND", "OR", "NAND"])
def test_sum_table_is_consistent_with_output(gate):
    for _, _, s, y in sum_table(gate):
        assert y == (1 if s > 0 else 0)


def test_bias_alone_moves_or_to_and():
    assert truth_table(Perceptron(w=(0.5, 0.5), b=-0.2)) == truth_table(OR)
    assert truth_table(Perceptron(w=(0.5, 0.5), b=-0.7)) == truth_table(AND)


def test_nand_is_and_with_every_sign_flipped():
    """The deck says so on the NAND slide."""
    assert NAND.w == tuple(-w for w in AND.w) and NAND.b == -AND.b
