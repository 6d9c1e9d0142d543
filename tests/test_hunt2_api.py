"""The producer-facing API, differentially: the same records given each way a producer can
give them (NDJSON, a JSON array, a request body, dicts, other mappings, one at a time through
``check``, through a ``Batcher``) say the same rows, errors and warnings.

Each test here pins a disagreement the bug hunt found, or a claim it checked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Iterator

import pytest

import mapper


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


PK2 = {
    "primary_key_fields": ["k", "n"],
    "allow_missing_fields": True,
    "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "n", "path": ["n"], "type": "int"}],
}
PK1 = {"primary_key_fields": ["k"], "allow_missing_fields": True, "definition": [{"name": "k", "path": ["k"], "type": "string"}]}


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


SURROGATE_SINK = {
    "primary_key_fields": ["k"],
    "allow_missing_fields": True,
    "definition": [
        {"name": "k", "path": ["k"], "type": "string"},
        {"name": "s", "path": ["s"], "type": "string"},
        {"name": "ss", "path": ["ss"], "type": "strings"},
    ],
}


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
