"""The reader's piecewise decoding of broken JSON (:func:`mapper.engine.reader._decode_at`): the
same verdict as the standard library's decoder on the whole text, in time linear in the input
(counted in characters the decoder is handed or counts, not in wall time)."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from mapper.engine import reader


def _whole(text: str, pos: int) -> int | None:
    try:
        return json.JSONDecoder().raw_decode(text, pos)[1]
    except (ValueError, RecursionError):
        return None


def _pieced(text: str, pos: int, bound: int) -> int | None:
    try:
        return reader._decode_at(json.JSONDecoder(), text, pos, bound)
    except (ValueError, RecursionError):
        return None


_PIECES = [
    '{"a": 1}',
    "1.",
    "5",
    "e",
    "-",
    '{"b": 12',
    "34}",
    '{"a":',
    "[1,",
    "2]",
    "}",
    "]",
    '"s"',
    "'x'",
    ",",
    ":",
    "  ",
    "\t",
    '"b": [',
    "{",
    "[",
    "tru",
    "true",
    "1.5e3",
    '"\\u00e9"',
    '"x\r',
]


@pytest.mark.parametrize("peek", [1 << 10, 3, 8], ids=["as read", "a 3-character look first", "an 8-character look first"])
def test_decoded_in_pieces_as_in_the_whole_text(monkeypatch: Any, peek: int) -> None:
    # any text of JSON fragments over lines, from any value's start, cut first at any line end
    # after it: the value ends where the whole text's decode ends it, or both refuse it
    monkeypatch.setattr(reader, "_PEEK", peek)
    rnd = random.Random(7)
    for _ in range(400):
        text = "\n".join("".join(rnd.choice(_PIECES) for _ in range(rnd.randint(1, 4))) for _ in range(rnd.randint(1, 12)))
        starts = [i for i, ch in enumerate(text) if ch in '{["-1' and (i == 0 or text[i - 1] in " \n,[:")]
        for pos in starts[:8]:
            cuts = [i for i, ch in enumerate(text) if ch == "\n" and i > pos] + [len(text)]
            for bound in cuts[:5]:
                assert _pieced(text, pos, bound) == _whole(text, pos), (text, pos, bound)


class _Counting(json.JSONDecoder):
    """A decoder counting the characters each decode costs: the value read, or, refused, the
    text up to the error (the standard library counts its lines), and a piece's copy."""

    cost = 0
    whole = 0  # (the length of the text read: a decode of all of it copies nothing)

    def raw_decode(self, s: str, idx: int = 0) -> Any:
        if len(s) != _Counting.whole:
            _Counting.cost += len(s)
        try:
            obj, end = super().raw_decode(s, idx)
        except json.JSONDecodeError as exc:
            _Counting.cost += exc.pos
            raise
        _Counting.cost += end - idx
        return obj, end


def _cost(monkeypatch: Any, read: Any, text: str) -> int:
    monkeypatch.setattr(reader.json, "JSONDecoder", _Counting)
    _Counting.cost, _Counting.whole = 0, len(text)
    read(text.encode())
    return _Counting.cost


def _linear(monkeypatch: Any, read: Any, make: Any, n: int) -> None:
    small, large = make(n), make(4 * n)
    ratio = _cost(monkeypatch, read, large) / _cost(monkeypatch, read, small)
    assert ratio < 6, f"4 times the input cost {ratio:.1f} times as much"  # (quadratic: 16)


def test_broken_values_each_spanning_a_value_line_are_read_in_linear_time(monkeypatch: Any) -> None:
    # a value still open at the next line starting with `[` (`{"a":` then `[1],` on the next
    # line), then broken: it was decoded again in the whole text, whose error counts the lines
    # before it (each value the length of the text before it, quadratic)
    def make(n: int) -> str:
        return "{'x': 0}\n" + "{\"a\":\n[1],\n'x': 1}\n" * n

    found = reader._values(make(3).encode(), 1)
    assert found is not None and found[0][:5] == [b"{'x': 0}", b'{"a":', b"[1]", b",\n'x': 1}", b'{"a":']
    _linear(monkeypatch, lambda data: reader._values(data, 1), make, 500)


def test_pprinted_records_are_read_in_linear_time(monkeypatch: Any) -> None:
    # (each broken, each starting a line: test_scaling's, in characters)
    record = json.dumps({"id": 1, "s": "abc", "t": [1, 2, 3]}, indent=2).replace('"', "'")
    _linear(monkeypatch, lambda data: reader._values(data, 1), lambda n: "\n".join([record] * n) + "\n", 500)


@pytest.mark.parametrize("open_", [True, False], ids=["each left open", "each missing a comma"])
def test_broken_elements_of_a_pretty_printed_array_are_read_in_linear_time(monkeypatch: Any, open_: bool) -> None:
    def make(n: int) -> str:
        good = json.dumps([{"id": i, "n": i % 10} for i in range(n)], indent=2)
        if open_:
            return good.replace("\n  },", ",\n  ", n)  # (each element but the last left open)
        return good.replace('"id"', '"id" 0', n)

    found = reader._elements(make(3).encode(), 1)
    assert found is not None and len(found[0]) == 3 and found[1] == [2, 6, 10]
    _linear(monkeypatch, lambda data: reader._elements(data, 1), make, 200)


def test_values_on_a_long_line_after_a_broken_one_are_read_in_linear_time(monkeypatch: Any) -> None:
    # each decoded up to the next line starting with { or [ (the long line's end): a copy of the
    # rest of the line each, quadratic (test_review_session3's, in characters)
    def make(n: int) -> str:
        return "{'a': 1}\n" + "".join('{"x": [{"id": %d}]}' % i for i in range(n)) + "\n{'b': 2}\n{\"x\": []}"

    found = reader._values(make(3).encode(), 1)
    assert found is not None and found[0][1:4] == [b'{"x": [{"id": 0}]}', b'{"x": [{"id": 1}]}', b'{"x": [{"id": 2}]}']
    _linear(monkeypatch, lambda data: reader._values(data, 1), make, 2000)
