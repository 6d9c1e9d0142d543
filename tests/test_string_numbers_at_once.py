"""Numbers and bools in string columns on the fast path, against the careful path's reports.

The ingester stores a number or a bool sent to a ``string`` column as Go's ``%v`` prints it
(``1234567`` -> ``"1.234567e+06"``) with a ``string_from_value`` warning (an error under
``strict``). The fast path formats a column's numbers at once and words their warnings when
they are read; the careful path (``fast=False``, the reference) formats and words each one
alone. Every report must be the same: the property draws records whose string columns hold
strings, ``""``, null, nothing, and numbers at the formatting's edges (the exponent form from
1e6 up and below 1e-4, 2^53 + 1 read as a float64, ints past 1e21 and past float64's range,
``-0.0``, NaN from a dict), maps them both ways under a random policy, and compares the reports
whole (warnings in order and words, counts, kept warnings and errors) and the rows, for NDJSON,
a JSON array, Python dicts, ``map``'s batches and the Batcher's verdicts.
:data:`mapper.report.KEEP` is made small so that kept and only counted warnings are both drawn.
"""

from __future__ import annotations

import functools
from typing import Any

from fast_careful import maps_as_careful, same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
import mapper.report
from mapper.types.base import ConversionError, go_number_texts, go_text

COLUMNS = [
    {"name": "s", "path": ["d", "s"], "type": "string"},
    {"name": "sm", "path": ["d", "sm"], "type": "string", "config": {"Mutex": True}},
    {"name": "dec", "path": ["dec"], "type": "decimal", "config": {"Scale": 2}},
    {"name": "n", "path": ["n"], "type": "int"},
]
#: Numbers at the edges of Go's %v of a float64 (and of Python's own float repr).
EDGES: list[Any] = [
    0, 5, -7, 999999, -999999, 1000000, -1000000, 1234567, 10**15, 2**53 - 1, 2**53, 2**53 + 1, -(2**53 + 1),
    10**16, 10**20, 10**21, 10**21 + 1, 123456789012345678901234, -(10**22), 2**63, 2**64 + 1, 10**400,
    0.0, -0.0, 0.5, 1e-4, 1e-5, -1.5e-7, 123456.7, 1234567.5, 1e16, 1e21, 1e22, 1.7976931348623157e308, 5e-324,
    True, False,
]  # fmt: skip
STRINGS = ["a", "b", "", "12"]


def sink(pk: bool) -> dict[str, Any]:
    columns = list(COLUMNS)
    if pk:
        columns.insert(0, {"name": "k", "path": ["k"], "type": "string"})
        return {"primary_key_fields": ["k"], "allow_missing_fields": True, "definition": columns}
    columns.insert(0, {"name": "id", "path": ["id"], "type": "id"})
    return {"id_field": "id", "allow_missing_fields": True, "definition": columns}


@functools.cache
def compiled(pk: bool) -> mapper.Mapper:
    return mapper.compile_sink(sink(pk))


@st.composite
def batches(draw: st.DrawFn) -> tuple[mapper.Mapper, list[dict[str, Any]]]:
    pk = draw(st.booleans())
    rng = draw(st.randoms(use_true_random=False))  # (values drawn from a seed: a draw per value is slow)
    share = draw(st.sampled_from([0.1, 0.5, 1.0]))  # of the string values that are numbers
    records = []
    for i in range(draw(st.integers(3, 30))):
        record: dict[str, Any] = {"k": rng.choice(["r", "q", 7])} if pk else {"id": i}
        d = record.setdefault("d", {})
        for name in ("s", "sm"):
            roll = rng.random()
            if roll < share:
                d[name] = rng.choice(EDGES) if rng.random() < 0.5 else rng.randrange(-(10**8), 10**8)
            elif roll < share + 0.1:
                d[name] = None
            elif roll < share + 0.2:
                continue
            else:
                d[name] = rng.choice(STRINGS)
        record["dec"] = rng.choice(["1.5", 1.005, 2])  # (a lossy value in another column: warnings of two columns interleave)
        record["n"] = rng.choice([1, 2, "x"])
        records.append(record)
    return compiled(pk), records


policies = st.fixed_dictionaries(
    {"on_error": st.sampled_from(["endpoint", "reject", "skip"]), "strict": st.booleans()},
    optional={"ignore_warnings": st.sampled_from([["string_from_value"], ["float_decimal"]])},
)


SETTINGS = settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@SETTINGS
@given(batches(), policies, st.sampled_from([3, 1000]))
def test_numbers_in_string_columns_reported_as_the_careful_path_reports_them(
    case: tuple[mapper.Mapper, list[dict[str, Any]]], policy: dict[str, Any], keep: int
) -> None:
    m, records = case
    # (JSON has no 10**400 as a Python float: the text holds the integer, past float64's range)
    maps_as_careful(m, records, policy, keep)


def test_a_dicts_odd_floats_and_ints_as_the_careful_path_words_them() -> None:
    """A caller's dicts may hold what no JSON text does: NaN, infinities (refused), an int past
    float64's range (refused), an int subclass (its own type): each as the careful path says it."""
    m = compiled(False)
    odd = [float("nan"), float("inf"), -float("inf"), 10**400, -(10**400), 2**1023 * 3 // 2, True, 1e300]
    records = [{"id": i, "d": {"s": v, "sm": v}} for i, v in enumerate(odd * 2)]
    for strict in (False, True):
        same(m.validate(records, strict=strict), m.validate(records, fast=False, strict=strict))
    stored = m.map(records, on_error="skip").to_rows()
    assert stored == m.map(records, on_error="skip", fast=False).to_rows()
    assert [r["s"] for r in stored] == [go_text(v) for v in [2**1023 * 3 // 2, True, 1e300] * 2] == ["1.348269851146737e+308", "true", "1e+300"] * 2


def test_numbers_printed_at_once_as_one_by_one() -> None:
    """``go_number_texts`` (a column's numbers at once) writes what ``go_text`` writes of each, at
    the edges of its int shortcuts (7 digits, 2^53) and of Go's exponent form, and None for what
    ``go_text`` refuses."""

    def one(v: Any) -> str | None:
        try:
            return go_text(v)
        except ConversionError:
            return None

    near = [s * (b**e + d) for b in (2, 10) for e in range(80) for d in (-2, -1, 0, 1, 2) for s in (1, -1)]
    values = [*EDGES, *near, float("nan"), float("inf"), 2.5e-5, -123456.75, 9.999999e5, 1e6 - 0.5]
    assert go_number_texts(values) == [one(v) for v in values]
    assert go_number_texts([1234567, -1234567, 2**53 + 1, 10**21, -0.0, True]) == [
        "1.234567e+06",
        "-1.234567e+06",
        "9.007199254740992e+15",
        "1e+21",
        "-0",
        "true",
    ]
