"""A Batcher judges a dict by the JSON text it sends (orjson writes ``1e-6``, ``1e20``), and
said a float of it as that text writes it, where ``check`` of the same dict says it as Python
does (``1e-06``, ``1e+20``: the dict has no text of its own, docs/python-api.md). One wording
for one record: a dict's verdict says its floats as ``check`` of the dict does; a record given
as text is said as its text writes it, by both."""

from __future__ import annotations

import pytest
from sinks import column, id_schema

import mapper

SINK = id_schema(column("d", "decimal", Scale=2), column("i", "int"), column("s", "string"), column("ts", "timestamp"), column("n", "ids"))

RECORDS = [
    {"id": 1, "d": 1e-6},
    {"id": 1, "i": 1e-6},
    {"id": 1, "s": 1e20},
    {"id": 1, "ts": 1e-6},
    {"id": 1e-7},
    {"id": 1, "n": [1, 2.5e-7]},
]


def _words(problems) -> list[tuple[str, str | None, str]]:
    return [(e.code, e.path, e.reason) for e in problems if e.severity == "error"]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("record", RECORDS, ids=repr)
def test_a_dict_s_verdict_says_its_floats_as_check_does(record: dict, strict: bool) -> None:
    m = mapper.compile_sink(SINK)
    checked = _words(m.check(record, strict=strict))
    assert _words(mapper.Batcher(m, strict=strict, max_records=10).add(record).errors) == checked
    # in a chunk of others, through add_many too
    verdicts = mapper.Batcher(m, strict=strict, max_records=10).add_many([{"id": 7}, record, {"id": 8}])
    assert _words(verdicts[1].errors) == checked


def test_the_words_are_python_s():
    m = mapper.compile_sink(SINK)
    (error,) = mapper.Batcher(m, strict=True, max_records=10).add({"id": 1, "d": 1e-6}).errors
    assert error.reason.startswith("more digits than Scale: sent 1e-06,"), error.reason
    (error,) = mapper.Batcher(m, max_records=10).add({"id": 1, "ts": 1e-6}).errors
    assert error.reason.endswith("got `float` 1e-06"), error.reason


def test_a_text_record_is_still_said_as_its_text_writes_it():
    m = mapper.compile_sink(SINK)
    raw = b'{"id": 1, "d": 1e-6}'
    (error,) = mapper.Batcher(m, strict=True, max_records=10).add(raw).errors
    assert "sent 1e-6," in error.reason
    assert _words(m.check(raw, strict=True)) == [(error.code, error.path, error.reason)]


def test_a_chunk_the_fast_path_judges_says_them_so_too():
    m = mapper.compile_sink(SINK)
    records = [{"id": k} for k in range(60)]
    records[30] = {"id": 1, "ts": 1e-6}
    verdicts = mapper.Batcher(m, strict=True, max_records=100).add_many(records)
    assert _words(verdicts[30].errors) == _words(m.check(records[30], strict=True))
    assert [k for k, v in enumerate(verdicts) if not v.accepted] == [30]
