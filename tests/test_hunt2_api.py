"""The producer-facing API, differentially: the same records given each way a producer can
give them (NDJSON, a JSON array, a request body, dicts, other mappings, one at a time through
``check``, through a ``Batcher``) say the same rows, errors and warnings.

Each test here pins a disagreement the bug hunt found, or a claim it checked."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sinks import column, schema

import mapper
from tests.test_hostile import SURROGATE_SINK


class Obj(Mapping):  # type: ignore[type-arg]
    """A mapping that is not a dict, with the default repr (``<...Obj object at 0x...>``)."""

    def __init__(self, d: dict[str, Any]):
        self._d = d

    def __getitem__(self, k: str) -> Any:
        return self._d[k]

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)


PK2 = schema(column("k", "string"), column("n", "int"), primary_key_fields=["k", "n"])
PK1 = schema(column("k", "string"), primary_key_fields=["k"])


def _problems(problems: list[Any]) -> list[tuple[Any, ...]]:
    return [(p.severity, p.column, p.path, getattr(p, "code", None) or getattr(p, "kind", None), p.message) for p in problems]


@pytest.mark.parametrize("sink", [PK1, PK2], ids=["one key", "two keys"])
def test_a_key_value_that_is_any_mapping_is_warned_as_a_dict_is(sink: dict[str, Any]) -> None:
    """A primary key value that is an object is keyed as Go prints it (``map[a:1]``), which no
    producer means as a key: ``string_from_value`` on ``_id`` (``lossy_value`` under strict).
    A mapping other than a dict went without a word (and was stored under strict)."""
    m = mapper.compile_sink(sink)
    as_dict = {"k": {"a": 1}, "n": 1}
    as_obj = {"k": Obj({"a": 1}), "n": 1}
    for strict in (False, True):
        assert _problems(m.check(as_obj, strict=strict)) == _problems(m.check(as_dict, strict=strict))
        assert any(p.column == "_id" for p in m.check(as_obj, strict=strict))
    for n in (1, 3, 200):  # the few-dicts shortcut and an engine run
        by_dict = m.validate([as_dict] * n)
        by_obj = m.validate([as_obj] * n)
        assert [(w.record, w.column, w.kind) for w in by_obj.warnings] == [(w.record, w.column, w.kind) for w in by_dict.warnings]
        assert sum(w.column == "_id" for w in by_obj.warnings) == n
        assert m.validate([as_obj] * n, strict=True).failed_records == n


def test_a_mapping_in_a_message_is_shown_as_an_object_never_its_repr() -> None:
    """Messages show a JSON object as ``{...} (1 key)``; a mapping other than a dict showed its
    Python repr, ``<...Obj object at 0x7f...>`` (the primary key's warning)."""
    m = mapper.compile_sink(PK1)
    (warning,) = m.check({"k": Obj({"a": 1})})
    assert "sent {...} (1 key)" in warning.message
    assert "object at 0x" not in warning.message


AIRCRAFT = "examples/aircraft/sink.json"


@pytest.mark.parametrize("record", [[1, 2], (1,), [{"id": "a"}], None, 5, 1.5, True], ids=repr)
def test_the_batcher_refuses_a_record_that_is_no_object_as_check_does(record: Any) -> None:
    """A Python value that is not a mapping is not a record: ``not_an_object`` at ``$`` from
    ``check`` and ``validate``; ``Batcher.add`` said ``invalid_json``, as if its text were broken."""
    m = mapper.compile_sink(AIRCRAFT)
    (expected,) = m.check(record)
    assert expected.code == "not_an_object" and [e.code for e in m.validate([record]).errors] == ["not_an_object"]
    batcher = mapper.Batcher(m)
    for verdict in (batcher.add(record), batcher.add_many([record])[0]):
        assert not verdict.accepted
        assert [(e.code, e.path, e.reason) for e in verdict.errors] == [(expected.code, expected.path, expected.reason)]
    assert batcher.flush() == [] and batcher.refused == 2


@pytest.mark.parametrize("n", [1, 3, 200], ids=["one", "few", "many"])
def test_a_python_string_holding_a_surrogate_pair_is_stored_as_the_character_its_escapes_make(n: int) -> None:
    """A Python str may hold a UTF-16 surrogate pair as two code points (``"\\ud83d\\ude00"``, as a
    UTF-16 source decoded with ``surrogatepass`` gives it). Its JSON text carries the two escapes,
    which the endpoint's decoder joins into one character: the batcher's body stored 😀, while
    ``map`` of the dict stored two U+FFFD with a ``utf8_replaced`` warning (a ``lossy_value``
    error under strict). An unpaired one is still U+FFFD, warned, next to a pair too."""
    m = mapper.compile_sink(SURROGATE_SINK)
    pair, lone = "\ud83d\ude00", "\ud800"
    records = [{"k": f"a{pair}", "s": pair, "ss": [pair, "x"]}, {"k": "b", "s": f"{lone}{pair}", "ss": f"{pair},{lone}"}] * n
    expected = [
        {"_id": "a\U0001f600", "s": "\U0001f600", "ss": ["\U0001f600", "x"]},
        {"_id": "b", "s": "\ufffd\U0001f600", "ss": ["\U0001f600", "\ufffd"]},
    ] * n
    batcher = mapper.Batcher(m)
    for record in records:
        batcher.add(record)
    assert [row for body in batcher.flush() for row in body.to_batch().to_rows()] == expected  # what the endpoint gets
    for fast in (True, False):
        batch = m.map(records, fast=fast)
        assert batch.to_rows() == expected
        replaced = {(w.record % 2, w.column) for w in batch.report.warnings if w.kind == "utf8_replaced"}
        assert replaced == {(1, "s"), (1, "ss")}
        assert {e.record % 2 for e in m.validate(records, strict=True, fast=fast).errors} == {1}
    assert m.check(records[0], strict=True) == []


# --- every way in, one answer -------------------------------------------------------------

FORMS_SINK = schema(
    column("k", "string"),
    column("n", "int", path=["d", "n"], Min=-1000, Max=1000),
    column("dec", "decimal", path=["d", "dec"], Scale=2),
    column("b", "bool", path=["d", "b"]),
    column("ss", "strings", path=["d", "ss"]),
    column("ts", "timestamp", path=["t"], Unit="ms", Granularity="ms"),
    column("di", "dateInt"),
    primary_key_fields=["k", "n"],
)
_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1100, 1100),
    st.sampled_from([2**53 + 1, 2**63, 2.0**53, 4.35, 0.29, -0.0, 1e20, 12.9]),
    st.sampled_from(["", "x", "12", "4.359", "t", "a,b", "[x]", "2022-08-08", "0000-00-00", "1659981468260", "\U0001f600", "\ud83d\ude00"]),
    st.lists(st.sampled_from(["a", "", "b", 1]), max_size=3),
    st.just({"a": 1}),
)
_RECORD = st.fixed_dictionaries(
    {},
    optional={
        "k": st.one_of(st.sampled_from(["a", "b", "c"]), _VALUE),
        "d": st.one_of(st.fixed_dictionaries({}, optional={"n": _VALUE, "dec": _VALUE, "b": _VALUE, "ss": _VALUE}), _VALUE),
        "t": _VALUE,
        "di": _VALUE,
    },
)


@functools.lru_cache(maxsize=1)
def _forms_mapper() -> mapper.Mapper:
    return mapper.compile_sink(FORMS_SINK)  # (once: compiling costs more than an example)


def _deep_obj(v: Any) -> Any:
    if isinstance(v, dict):
        return Obj({k: _deep_obj(x) for k, x in v.items()})
    if isinstance(v, list):
        return tuple(_deep_obj(x) for x in v)
    return v


def _seen(batch: mapper.Batch, base: int = 0) -> tuple[dict[int, Any], list[Any], list[Any]]:
    rows = {i + base: row for i, row in zip(batch.record_index.tolist(), batch.to_rows())}
    errors = sorted((e.record + base, e.column, e.path, e.code, e.reason) for e in batch.report.errors)
    warnings = sorted((w.record + base, w.column, w.path, w.kind, repr(w.stored)) for w in batch.report.warnings)
    return rows, errors, warnings


@settings(max_examples=6, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(_RECORD, min_size=1, max_size=6), st.sampled_from([1, 2, 3]))
@example(
    [{"k": "a", "d": {"n": 7, "dec": "4.359", "b": 1, "ss": "a,b"}, "t": 1659981468260, "di": "2022-08-08"}, {"k": {"a": 1}, "d": {"n": 2000}, "t": "x"}], 43
)
def test_every_way_in_gives_the_same_rows_errors_and_warnings(records: list[dict[str, Any]], times: int) -> None:
    """The same records as NDJSON (bytes, str), a JSON array, a request body, JSON texts, dicts,
    other mappings with tuples, a generator; mapped, validated (the few-records shortcuts below
    128 values and, in the example of 130 records, the engine above), in batches, one at a time
    by ``check``, and through a Batcher's bodies: the same rows, errors (codes, records, paths,
    reasons) and warnings."""
    m = _forms_mapper()
    records = (records * times)[: max(len(records), 130 if times == 43 else 0)]
    lines = [json.dumps(r).encode() for r in records]
    forms: dict[str, Any] = {
        "ndjson": b"\n".join(lines) + b"\n",
        "str": "\n".join(x.decode() for x in lines),
        "array": b"[" + b",".join(lines) + b"]",
        "body": b'{"records":[' + b",".join(b'{"value":' + x + b"}" for x in lines) + b"]}",
        "texts": [x.decode() for x in lines],
        "dicts": records,
        "mappings": [_deep_obj(r) for r in records],
    }
    expected = _seen(m.map(records, on_error="skip"))
    for name, data in [*forms.items(), ("generator", None)]:
        given_ = (r for r in records) if data is None else data
        assert _seen(m.map(given_, on_error="skip")) == expected, name
        if name in ("ndjson", "dicts"):
            assert _seen(m.map(data, on_error="skip", fast=False)) == expected, name
        report = m.validate((r for r in records) if data is None else data, on_error="skip")
        assert sorted((e.record, e.column, e.path, e.code, e.reason) for e in report.errors) == expected[1], name
        assert sorted((w.record, w.column, w.path, w.kind, repr(w.stored)) for w in report.warnings) == expected[2], name
    rows: dict[int, Any] = {}
    errors: list[Any] = []
    base = 0
    for batch in m.iter_batches(forms["ndjson"], records=7, on_error="skip"):
        got = _seen(batch, base)
        rows.update(got[0])
        errors += got[1]
        base += batch.report.records
    assert (rows, sorted(errors)) == expected[:2]
    checked = [(i, p.column, p.path, p.code, p.reason) for i, r in enumerate(records) for p in m.check(r) if p.severity == "error"]
    assert sorted(checked) == expected[1]
    batcher = mapper.Batcher(m, max_records=5)
    verdicts = [batcher.add(r) for r in records]
    assert sorted((v.index, e.column, e.path, e.code, e.reason) for v in verdicts for e in v.errors) == expected[1]
    sent = {body.indices[i]: row for body in batcher.flush() for i, row in zip(body.to_batch().record_index.tolist(), body.to_batch().to_rows())}
    assert sent == expected[0]


def test_a_message_shows_a_python_strings_surrogate_pair_as_the_character_it_makes() -> None:
    """A message quotes a value as it arrives: a pair as its character (its JSON text's error said
    😀, the dict's ``\\ud83d\\ude00``), an unpaired surrogate as its escape."""
    m = mapper.compile_sink(FORMS_SINK)
    for value, shown in (("\ud83d\ude00", '"\U0001f600"'), ("\ud800", '"\\ud800"')):
        (error,) = [p for p in m.check({"k": "a", "d": value}) if p.severity == "error"]
        assert f"(got `str` {shown})" in error.reason
        if value == "\ud83d\ude00":
            assert [p.reason for p in m.check(json.dumps({"k": "a", "d": value}))] == [error.reason]
