"""An unpaired surrogate escape (``"\\ud800"``) in a record's JSON text is warned at the column
that maps its value, as a Python caller's dict holding the lone surrogate is: the endpoint's
decoder reads it as U+FFFD. It was one warning of the whole record (column None, path ``$``),
the decoder having replaced it before any column was known, also where nothing maps it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sinks import column, id_schema

import mapper
from mapper.engine.careful import CarefulPath

SINK = id_schema(column("s", "string"), column("k", "string", path=["a", "k"]), column("tags", "strings"), column("q", "string", path="q.r || q.x"))
M = mapper.compile_sink(SINK)


def _said(problems: Any) -> list[tuple[Any, ...]]:
    """Each warning and error, as a dict's check says it (no line: a dict has none; what was sent
    is each input's own, see below)."""
    return [(p.severity, p.record, p.column, p.path, p.code if p.severity == "error" else (p.kind, p.stored)) for p in problems]


RECORDS = [
    ('{"id": 1, "s": "x\\ud800y"}', ("s", "$.s"), "escape \\ud800 at char 18"),
    ('{"id": 1, "a": {"k": "\\uDC00"}}', ("k", "$.a.k"), "escape \\uDC00 at char 23"),
    ('{"id": 1, "tags": ["a", "\\ud800"]}', ("tags", "$.tags"), "escape \\ud800 at char 26"),
    # (a JMESPath expression's names no place in the text: the value, as a dict's)
    ('{"id": 1, "q": {"r": "\\udbff"}}', ("q", "$.q.r || q.x"), "\\udbff"),
    ('{"id": 1, "\\ufffd": 1, "q": {"\\udfff": 1, "r": "\\ud800\\ud800"}}', ("q", "$.q.r || q.x"), "\\ud800\\ud800"),
    ('{"id": 1, "s": "\\ud800", "a": {"k": "x"}, "s": "y\\udfff"}', ("s", "$.s"), "escape \\udfff at char 50"),  # (Go keeps the later "s")
]


@pytest.mark.parametrize("text, where, sent", RECORDS, ids=["top", "nested", "in a set", "jmespath", "keys too", "a name given twice"])
def test_an_unpaired_escape_is_warned_at_the_column_that_maps_it(text: str, where: tuple[str, str], sent: str) -> None:
    data = (text + "\n").encode()
    report = M.validate(data)
    (w,) = report.warnings
    assert (w.record, w.line, w.column, w.path, w.kind, w.sent) == (0, 1, *where, "utf8_replaced", sent), (w.column, w.path, w.sent)
    assert report.warning_counts == {(where[0], "utf8_replaced"): 1}
    # where and what, as the dict it decodes to (Python's decoder keeps the lone surrogate) says it;
    # what was sent, the text's escape where it has it (a dict's, its value)
    record = json.loads(text)
    assert _said(M.check(text)) == _said(M.check(data)) == _said(M.check(record))
    assert [p.reason for p in M.check(text)] == [w.reason]
    assert [(w.column, w.stored) for w in M.validate([record]).warnings] == [(w.column, w.stored)]


def test_an_unpaired_escape_nothing_maps_is_not_said() -> None:
    # (a dict holding it says nothing: what the endpoint stores is as sent)
    text = '{"id": 1, "s": "ok", "z": "\\ud800", "a": {"\\udc00": "x"}}'
    assert M.check(json.loads(text)) == []
    report = M.validate((text + "\n").encode())
    assert (report.warnings, report.error_count) == ([], 0)
    assert M.check(text) == []
    strict = M.validate((text + "\n").encode(), strict=True)
    assert strict.error_count == 0, strict.errors  # (was one lossy_value error: the record refused)


def test_stored_as_the_endpoint_reads_it_and_warned_once_per_value() -> None:
    data = b'{"id": 1, "s": "ok"}\n{"id": 2, "s": "\\ud800!", "a": {"k": "\\ud83d\\ude00"}}\n'
    batch = M.map(data)
    assert batch.to_rows()[1]["s"] == "\ufffd!" and batch.to_rows()[1]["k"] == "\U0001f600"  # (a pair: the character it makes)
    (w,) = batch.report.warnings
    assert (w.record, w.line, w.column, w.sent, w.stored) == (1, 2, "s", "escape \\ud800 at char 17", "\ufffd!")


@pytest.mark.parametrize(
    "data, kw",
    [
        (b'[{"id": 1, "s": "ok"},\n {"id": 2, "s": "x\\ud800y"}]', {}),
        (b'{"data": [{"id": 1, "s": "ok"},\n {"id": 2, "s": "x\\ud800y"}]}', {"records_path": "data"}),
    ],
    ids=["array", "records path"],
)
def test_records_of_a_json_document_too(data: bytes, kw: dict[str, Any]) -> None:
    (w,) = M.validate(data, **kw).warnings
    assert (w.record, w.line, w.column, w.path, w.sent) == (1, 2, "s", "$.s", "escape \\ud800 at char 19")


def test_strict_refuses_the_value_at_its_column() -> None:
    (err,) = M.validate(b'{"id": 1, "s": "\\ud800"}\n', strict=True).errors
    assert (err.code, err.column, err.path) == ("lossy_value", "s", "$.s")


@pytest.mark.parametrize(
    "sink, text",
    [
        (SINK, '{"id": "\\ud800", "s": "\\udc00"}'),
        (
            {
                "primary_key_fields": ["s", "z"],
                "allow_missing_fields": True,
                "definition": [*SINK["definition"][1:], {"name": "z", "path": ["z"], "type": "string"}],
            },
            '{"s": "a\\ud800", "z": "\\udc00"}',
        ),
    ],
    ids=["id", "primary key"],
)
def test_an_identity_holding_one_is_said_as_a_dicts(sink: dict[str, Any], text: str) -> None:
    m = mapper.compile_sink(sink)
    said = _said(m.check(text))
    assert said == _said(m.check(json.loads(text))) and any(p[0] == "warning" and p[2] in ("s", "z") for p in said), said
    report = m.validate((text + "\n").encode())
    assert [(w.column, w.path) for w in report.warnings] == [(p[2], p[3]) for p in said if p[0] == "warning"]


def test_invalid_utf8_is_still_warned_for_the_whole_record() -> None:
    # (its bytes are gone once decoded: the value that held them is not known)
    (w,) = M.validate(b'{"id": 1, "s": "x\xffy"}\n').warnings
    assert (w.column, w.path, w.kind, w.sent) == (None, "$", "utf8_replaced", "byte 0xff at char 18")


def test_only_lines_holding_an_escape_are_read_one_by_one(monkeypatch: Any) -> None:
    # (the clean lines stay on the fast path: what it costs is the careful path's, for those lines)
    seen: list[bytes] = []
    raw = CarefulPath.raw

    def counted(self: CarefulPath, data: bytes, *args: Any) -> None:
        seen.append(data)
        raw(self, data, *args)

    monkeypatch.setattr(CarefulPath, "raw", counted)
    m = mapper.compile_sink({**SINK, "definition": SINK["definition"][:4]})  # (no JMESPath expression: every record read fast)
    lines = [b'{"id": %d, "s": "v%d", "a": {"k": "\\u00e9"}}' % (i, i) for i in range(2000)]
    lines[1500] = b'{"id": 1500, "s": "\\ud800"}'
    report = m.validate(b"\n".join(lines) + b"\n")
    assert seen == [lines[1500]] and [(w.record, w.column) for w in report.warnings] == [(1500, "s")]


def test_a_key_holding_one_is_read_as_it_arrives() -> None:
    # the endpoint reads `"k\ud800"` as the key "k\ufffd": a path naming that key reads its
    # value (nothing replaced in what is stored), a JMESPath expression's too, and its keys are so
    sink = id_schema(column("p", "string", path=["k\ufffd"]), column("j", "string", path='"k\ufffd"'), column("ks", "string", path="join(',', keys(@))"))
    m = mapper.compile_sink(sink)
    text = '{"id": 1, "k\\ud800": "v"}'
    assert m.check(text) == m.check(json.loads(text)) == []
    rows = m.map((text + "\n").encode()).to_rows()
    assert (rows[0]["p"], rows[0]["j"], rows[0]["ks"]) == ("v", "v", "id,k\ufffd")
