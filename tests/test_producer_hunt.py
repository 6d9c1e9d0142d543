"""The producer's side held to one answer: ``check``, ``map``/``validate`` and the ``Batcher``
agree on a record, and on what the record's JSON text (the body the batcher sends) says."""

from __future__ import annotations

import enum
import json
from collections import OrderedDict
from collections.abc import Iterator, MutableMapping
from types import MappingProxyType
from typing import Any

import numpy as np
import orjson
from hypothesis import given
from hypothesis import strategies as st
from sinks import column, id_schema

import mapper
from tests.test_properties import FULL_SINK, SETTINGS, messy_records, typical

SINK = id_schema(column("n", "int"), column("s", "string", path=["d", "s"]))


class CaseInsensitive(MutableMapping):  # type: ignore[type-arg]
    """A mapping whose ``get`` finds a key in any case while it lists each key as set (as
    ``requests.structures.CaseInsensitiveDict`` does)."""

    def __init__(self, data: dict[str, Any]):
        self._store: dict[str, tuple[str, Any]] = {}
        self.update(data)

    def __setitem__(self, key: str, value: Any) -> None:
        self._store[key.lower()] = (key, value)

    def __getitem__(self, key: str) -> Any:
        return self._store[key.lower()][1]

    def __delitem__(self, key: str) -> None:
        del self._store[key.lower()]

    def __iter__(self) -> Iterator[str]:
        return (key for key, _value in self._store.values())

    def __len__(self) -> int:
        return len(self._store)


class Listing(dict):  # type: ignore[type-arg]
    """A dict subclass that lists only some of what it holds."""

    def __iter__(self) -> Iterator[Any]:
        return iter(["id"])

    def keys(self) -> Any:
        return ["id"]


def _rows_and_codes(m: mapper.Mapper, record: Any) -> tuple[Any, ...]:
    return (
        m.map([record]).to_rows(),
        m.map([record] * 200).to_rows()[:1],
        [(p.severity, p.column, getattr(p, "code", None) or p.kind) for p in m.check(record)],
    )


def test_a_mapping_is_read_as_the_members_its_json_text_holds() -> None:
    # A key a mapping's get gives but its iteration does not list is no member of the JSON text
    # written for it (what the batcher sends): check and map read it as missing too. They read it
    # through get, so check said "stored as sent" (n = 5) and the batcher sent {"ID":1,"N":5},
    # which stores no n: the value was lost without a word.
    m = mapper.compile_sink(SINK)
    for record in (
        CaseInsensitive({"id": 1, "N": 5, "d": CaseInsensitive({"S": "x"})}),
        {"id": 1, "N": 5, "d": CaseInsensitive({"S": "x"})},
        Listing(id=1, n=5),
        {"id": 1, "d": Listing(id=2, s="x")},
    ):
        batcher = mapper.Batcher(m)
        verdict = batcher.add(record)
        assert verdict.accepted and verdict.raw is not None
        (body,) = batcher.flush()
        sent = body.to_batch().to_rows()
        assert sent == [{"_id": 1}], (record, sent)
        assert _rows_and_codes(m, record) == _rows_and_codes(m, verdict.raw) == (sent, sent, [])
        assert m.walk(record) == m.walk(json.loads(verdict.raw))


def test_iter_batches_says_why_records_failed_as_map_does(tmp_path: Any) -> None:
    # The notes map and validate give on why records failed (NDJSON whose lines are documents
    # holding the records, UTF-16 text, a file name given as bytes) were never given by
    # iter_batches: every record of every batch refused, and nothing said why.
    m = mapper.compile_sink(SINK)
    docs = "".join(json.dumps({"records": [{"id": i}, {"id": i + 100}]}) + "\n" for i in range(6)).encode()
    named = tmp_path / "docs.ndjson"
    named.write_bytes(docs)
    utf16 = tmp_path / "utf16.ndjson"
    utf16.write_bytes("".join(json.dumps({"id": i}) + "\n" for i in range(6)).encode("utf-16"))
    for source, again in (
        (docs, lambda: docs),
        (str(named), lambda: str(named)),
        (named, lambda: named),
        (utf16, lambda: utf16),
        (str(named).encode(), lambda: str(named).encode()),
        (named.open("rb"), lambda: named.open("rb")),
        (utf16.open("rb"), lambda: utf16.open("rb")),
    ):
        expected = m.validate(again()).notes
        assert expected, source
        batches = list(m.iter_batches(source, records=4))
        assert batches and all(b.report.failed_records for b in batches)
        assert [b.report.notes for b in batches] == [expected] * len(batches), source
    # records that fail for their own values are not explained by the input's lines
    bad = b"".join(json.dumps({"id": i, "n": "x"}).encode() + b"\n" for i in range(6))
    assert [b.report.notes for b in m.iter_batches(bad, records=4)] == [[], []]


def test_a_text_fitting_a_body_is_taken_whatever_blanks_come_before_it() -> None:
    # The batcher measures a record without the blanks around it (they are not sent), but judged
    # it with the blanks before it (an error's char counts them) under an engine limit of
    # max_bytes: a record that fits a body, given after enough blanks, was refused too_large
    # with the engine's words ("more than the 2,000 a record may have (--max-record-size,
    # max_record_size=)"), an option the batcher has not; check took it.
    from mapper.endpoint import body_size

    m = mapper.compile_sink(SINK)
    max_bytes = 2000
    shell = json.dumps({"id": 1, "d": {"s": ""}}, separators=(",", ":"))
    raw = json.dumps({"id": 1, "d": {"s": "x" * (max_bytes - body_size(1, len(shell)))}}, separators=(",", ":"))
    assert body_size(1, len(raw)) == max_bytes  # (the biggest record a body holds)
    for lead in (" " * 5000, "\n" * 3000, "\r\n\t " * 700):
        assert m.check(lead + raw) == []
        for add in (lambda b, r: b.add(r), lambda b, r: b.add_many([r])[0], lambda b, r: b.add(r.encode())):
            batcher = mapper.Batcher(m, max_bytes=max_bytes)
            verdict = add(batcher, lead + raw)
            assert verdict.accepted, verdict.errors
            (body,) = batcher.flush()
            assert len(body.data) == max_bytes and body.raws == [raw.encode()]
        # a record one byte too big is still the batcher's own too_large, whatever comes before it
        verdict = mapper.Batcher(m, max_bytes=max_bytes - 1).add(lead + raw)
        assert [e.code for e in verdict.errors] == ["too_large"] and "request body" in verdict.errors[0].reason


# --- one verdict for a record: check, validate, the Batcher and the record's JSON text ---------------


class _Level(enum.IntEnum):
    HIGH = 5


class _Text(str):
    pass


#: Python values a producer's dict may hold: some read as their JSON type, some refused by name.
PY_VALUES = st.sampled_from(
    [
        (0, 1),
        _Level.HIGH,
        _Text("12"),
        np.float64(2.5),
        np.str_("ab"),
        np.int64(4),
        float("nan"),
        float("inf"),
        b"xy",
        frozenset([1]),
        OrderedDict(a=1),
        MappingProxyType({"i": 1}),
        {1: 2},
        2**70,
        -(2**64),
        "\ud800",
    ]
)


@st.composite
def producer_records(draw: Any) -> list[Any]:
    out = []
    for record in draw(messy_records(max_records=3)):
        if draw(st.integers(0, 2)) == 0:
            key = draw(st.sampled_from(["id", "ts", "unmapped", "d", "e"]))
            value = draw(PY_VALUES)
            if key in ("d", "e") and isinstance(record.get(key), dict):
                record[key] = {**record[key], draw(st.sampled_from(sorted(typical))): value}
            else:
                record[key] = value
        if draw(st.integers(0, 4)) == 0:
            record = MappingProxyType(record)
        out.append(record)
    return out


def _codes(problems: Any) -> list[tuple[Any, ...]]:
    return [(p.column, p.path, p.code) for p in problems if p.severity == "error"]


def _all(problems: Any) -> list[tuple[Any, ...]]:
    return [(p.severity, p.column, p.path, p.code if p.severity == "error" else p.kind) for p in problems]


@SETTINGS
@given(producer_records(), st.booleans())
def test_check_validate_the_batcher_and_the_json_text_agree_on_a_record(records: list[Any], strict: bool) -> None:
    m = mapper.compile_sink(FULL_SINK)
    batcher = mapper.Batcher(m, strict=strict, max_records=2)
    verdicts = []
    for record in records:
        checked = m.check(record, strict=strict)
        verdict = batcher.add(record)
        verdicts.append(verdict)
        # the batcher's verdict is check's errors (their words may show a float as the text writes it)
        assert _codes(verdict.errors) == _codes(checked), record
        validated = m.validate([record], on_error="skip", strict=strict)
        if not _codes(checked):  # (validate of a dict reads its mapped values only: check judges its text too)
            assert verdict.accepted and verdict.raw is not None
            assert _all([*validated.errors, *validated.warnings]) == _all(checked), record
            # the text sent says the same, and stores the rows map makes of the record
            assert _all(m.check(verdict.raw, strict=strict)) == _all(checked), record
            assert m.map(verdict.raw, strict=strict).to_rows() == m.map([record], strict=strict).to_rows()
        try:
            text = orjson.dumps(record)
        except TypeError:
            continue
        if verdict.raw == text:  # (orjson wrote it as the batcher does: no value it would have changed)
            assert _all(m.check(text, strict=strict)) == _all(checked), record
    # the bodies hold the accepted records' texts, in order, each once
    assert [raw for body in batcher.flush() for raw in body.raws] == [v.raw for v in verdicts if v.accepted]


def test_a_check_run_inside_another_on_the_same_thread_leaves_the_outer_its_own_errors(monkeypatch: Any) -> None:
    # a signal handler's (or a finalizer's) check landing while this thread checked a text shared
    # its checker: the outer's errors went to the inner's list, and a bad record read as good ([])
    from mapper.engine import check as engine_check

    m = mapper.compile_sink(SINK)
    real = engine_check.map_few
    inner: list[Any] = []

    def map_few(*args: Any, **kwargs: Any) -> Any:
        monkeypatch.setattr(engine_check, "map_few", real)  # (once)
        inner.append(m.check(b'{"id": 1, "n": 3}'))
        return real(*args, **kwargs)

    monkeypatch.setattr(engine_check, "map_few", map_few)
    assert [e.code for e in m.check(b'{"id": 2, "n": "x"}')] == ["invalid_value"]
    assert inner == [[]]
