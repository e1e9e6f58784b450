"""Cell outputs in the notebook do not depend on how the kernel happened to split a print."""

from deckbuild.kernel import result_of


def stream(name: str, text: str) -> dict:
    return {"output_type": "stream", "name": name, "text": text}


def test_consecutive_pieces_of_one_stream_are_one_output_and_order_is_kept():
    result = {
        "output_type": "execute_result",
        "data": {"text/plain": "42"},
        "metadata": {},
        "execution_count": 3,
    }
    split = [
        stream("stdout", "a\n"),
        stream("stdout", "b\n"),
        stream("stderr", "w\n"),
        stream("stdout", "c\n"),
        result,
    ]
    whole = [stream("stdout", "a\nb\n"), stream("stderr", "w\n"), stream("stdout", "c\n"), result]
    assert result_of(split).nb_outputs == result_of(whole).nb_outputs
    assert [o.get("name") for o in result_of(split).nb_outputs] == ["stdout", "stderr", "stdout", None]
    assert result_of(split).text == "a\nb\nw\nc\n42"
