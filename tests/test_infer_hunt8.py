"""Floats into an ``int`` or ``id`` column judged one by one, as into a decimal (tests/test_infer_hunt7.py):
the tally of each column type counts the floats mapper validate stores as sent, changes, refuses."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as hs

import mapper
from mapper.infer import InferError, infer


def ndjson(*records: Any) -> bytes:
    return b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records)


def column(r: Any, path: str) -> dict[str, Any]:
    return next(c for c in r.body["schema"]["definition"] if ".".join(c["path"]) == path)


def tally_of(r: Any, ctype: str) -> tuple[int, int, int]:
    t = next(t for t in r.conflicts["x"]["alternatives"] if t["type"] == ctype)
    return t["exact"], t["changed"], t["refused"]


def validated(body: dict[str, Any], data: bytes, n: int) -> tuple[int, int, int]:
    """What validate does with each of the ``n`` records: stored as sent, changed (a warning on x), refused."""
    report = mapper.compile_sink(body).validate(data, on_error="skip")
    refused = {e.record for e in report.errors}
    warned = {w.record for w in report.warnings if w.column == "x"} - refused
    assert len(refused) == report.failed_records
    return n - len(warned) - len(refused), len(warned), len(refused)


# ---------------------------------------------------------------------------------------
# 1. one float with a fraction no longer counts every float changed


@pytest.mark.parametrize("ctype", ["int", "id"])
def test_one_float_truncated_does_not_count_every_float_changed(ctype: str) -> None:
    # the tally judged the floats by their extremes: one 5.5 (stored 5) made all ten "changed",
    # where validate stores the nine 5.0 as sent and warns of the one 5.5
    records = [{"id": i, "x": 5.0} for i in range(9)] + [{"id": 9, "x": 5.5}, {"id": 10, "x": "ground"}, {"id": 11, "x": "ground"}]
    data = ndjson(*records)
    r = infer(data, types={"x": ctype})
    assert column(r, "x")["type"] == ctype
    assert tally_of(r, ctype) == (9, 1, 2)
    assert validated(r.body, data, len(records)) == (9, 1, 2)


def test_the_int_alternative_beside_a_decimal_counts_as_validate_would() -> None:
    # the conflict report's int row: 3 and nine 5.0 stored as sent, 5.5 truncated, "ground" refused
    records = [{"id": i, "x": 5.0} for i in range(9)] + [{"id": 9, "x": 5.5}, {"id": 10, "x": 3}, {"id": 11, "x": "ground"}]
    data = ndjson(*records)
    r = infer(data)
    assert column(r, "x")["type"] == "decimal"
    assert tally_of(r, "int") == (10, 1, 1)
    assert validated(infer(data, types={"x": "int"}).body, data, len(records)) == (10, 1, 1)


def test_an_int_column_storing_most_values_as_sent_is_chosen_over_a_string() -> None:
    # no decimal Scale holds 1e19 (beyond int64 at Scale 0), so the candidates are string and int:
    # int stores 10 of 14 as sent (3, nine 5.0), changes one (5.5) and refuses 1e19 and two "ground";
    # judged by the extremes it stored only the 3 as sent, and the string column (2 of 14) was chosen
    records = (
        [{"id": 0, "x": 3}]
        + [{"id": i, "x": 5.0} for i in range(1, 10)]
        + [{"id": 10, "x": 5.5}, {"id": 11, "x": 1e19}, {"id": 12, "x": "ground"}, {"id": 13, "x": "ground"}]
    )
    data = ndjson(*records)
    r = infer(data)
    assert column(r, "x")["type"] == "int"
    assert tally_of(r, "int") == (10, 1, 3)
    assert validated(r.body, data, len(records)) == (10, 1, 3)


def test_floats_into_an_id_column_each_judged() -> None:
    # whole floats below 2^44 stored as sent; 2^44 and beyond (1e15 too) kept wrapped (row_wrapped, changed);
    # -0.5 truncated to 0 (changed); -1.0 and 2^64 refused; 7.25 truncated
    floats = [7.0, 7.0, 2.0**44, 2.0**50 + 2, -0.5, -1.0, 2.0**64, 7.25, 0.0, -0.0, 1e15]
    records = [{"id": i, "x": v} for i, v in enumerate(floats)] + [{"id": 99, "x": "n/a"}]
    data = ndjson(*records)
    r = infer(data, types={"x": "id"})
    assert tally_of(r, "id") == validated(r.body, data, len(records)) == (4, 5, 3)


def test_floats_into_an_int_column_each_judged() -> None:
    floats = [1.0, -2.0, 2.0**53, 2.0**62, -(2.0**63), 2.0**63, -1e19, 0.5, -0.5, 1e15 + 0.5, 3.0]
    records = [{"id": i, "x": v} for i, v in enumerate(floats)] + [{"id": 99, "x": "n/a"}]
    data = ndjson(*records)
    r = infer(data, types={"x": "int"})
    assert tally_of(r, "int") == validated(r.body, data, len(records)) == (6, 3, 3)


@pytest.mark.parametrize(("ctype", "expected"), [("int", (3, 2, 2)), ("id", (3, 2, 2)), ("decimal", (6, 0, 1))])
def test_floats_beyond_the_distinct_ones_kept_are_judged_by_their_digits(monkeypatch: pytest.MonkeyPatch, ctype: str, expected: tuple[int, int, int]) -> None:
    monkeypatch.setattr(sys.modules["mapper.infer"], "FLOAT_VALUES", 1)
    # kept: 5.0; beyond: 5.5, 6.0, 5.25, 6.0 (by their digits after the point), and 1e20 (refused by
    # both int and id: beyond their range, counted by the scan)
    floats = [5.0, 5.5, 6.0, 5.25, 6.0] + ([1e20] if ctype != "decimal" else [7.0])
    records = [{"id": i, "x": v} for i, v in enumerate(floats)] + [{"id": 9, "x": "a"}]
    data = ndjson(*records)
    r = infer(data, types={"x": ctype})
    assert tally_of(r, ctype) == expected
    assert validated(r.body, data, len(records)) == expected


def test_integers_into_an_id_column_each_judged() -> None:
    # the extremes' row_wrapped (2^44) counted every integer changed: 0 and 7 are stored as sent
    records = [{"id": i, "x": v} for i, v in enumerate([0, 7, 2**44, 2**53 + 1, 2**44 - 1, 5.0])] + [{"id": 9, "x": "n/a"}]
    data = ndjson(*records)
    r = infer(data, types={"x": "id"})
    assert tally_of(r, "id") == validated(r.body, data, len(records)) == (4, 2, 1)


def test_integers_beyond_int64_into_an_int_column_refuse_only_themselves() -> None:
    # --type x=int on integers beyond int64: the extremes' refusal counted every integer refused
    records = [{"id": i, "x": v} for i, v in enumerate([0, 7, 2**53 + 1, 2**63 - 1, 2**63 + 5, 5.0])] + [{"id": 9, "x": "n/a"}]
    data = ndjson(*records)
    r = infer(data, types={"x": "int"})
    assert tally_of(r, "int") == validated(r.body, data, len(records)) == (3, 1, 3)


# ---------------------------------------------------------------------------------------
# 2. the tally agrees with validate of the draft, value by value

#: Floats on each side of what the three column types take as sent, change and refuse.
POOL = [
    0.0, -0.0, 1.0, 5.0, 5.5, -0.5, -0.99, -1.0, -2.5, 0.1, 0.29, 4.35, 1.25, 1e15, 1e15 + 0.5,
    2.0**44 - 1, 2.0**44, 2.0**51, 2.0**53, 2.0**53 + 2, 2.0**62, 2.0**63, -(2.0**63), 2.0**64, 1e19, -1e19, 1e20, 123.456,
]  # fmt: skip


@settings(max_examples=100)
@given(
    floats=hs.lists(hs.one_of(hs.sampled_from(POOL), hs.floats(-1e6, 1e6, allow_nan=False, width=64)), min_size=1, max_size=8),
    ints=hs.lists(hs.sampled_from([0, 3, -7, 2**44 - 1, 2**44, 2**53 + 1, 2**63 - 1]), max_size=2),
    ctype=hs.sampled_from(["int", "id", "decimal"]),
)
def test_the_tally_agrees_with_validate_of_the_draft(floats: list[float], ints: list[int], ctype: str) -> None:
    # (a string beside the numbers: a path of several JSON kinds has every type's tally in its conflict row)
    values: list[Any] = [*floats, *ints, "n/a"]
    records = [{"id": i, "x": v} for i, v in enumerate(values)]
    data = ndjson(*records)
    try:
        r = infer(data, types={"x": ctype})
    except InferError:  # (no decimal Scale, or no int, holds the numbers: said so, nothing drafted)
        event("no column of the type")
        return
    assert column(r, "x")["type"] == ctype
    scale = column(r, "x").get("config", {}).get("Scale", 0)
    if ctype == "decimal" and any(abs(i) * 10**scale > 2**53 for i in ints):
        # (known: an integer times 10^Scale beyond 2^53 may be stored changed, and the scan keeps only
        # the integers' extremes: the tally counts only those beyond 2^53 changed)
        event("integers beyond 2^53 at the Scale")
        return
    event("compared")
    assert tally_of(r, ctype) == validated(r.body, data, len(records)), (floats, ints, ctype)
