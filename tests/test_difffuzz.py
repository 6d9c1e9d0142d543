"""Differential fuzzing: random sinks x random records, every road through the engine compared.

Where the other hypothesis tests fix the sink (test_fuzz, test_few_*, test_quick_*) or one column
type (test_oracle), these draw the sink too: every column type with its config (Min/Max, Scale
0..19, Unit/Epoch/Granularity/Layout, CustomUnit), paths 1-4 deep sharing prefixes (some in dot
notation), id_field or a primary key of one or two fields, allow_missing_fields either way; and
records written as JSON text (duplicate keys, ``-0``, ``1e400``, 2^64, numeric strings with
spaces and signs, nulls and non-objects on the way to a path, unicode keys). The roads that must
agree exactly (rows, ``_id``, record_index, masks, (record, column, code) errors, (record, column,
kind) warnings, verdict): fast vs careful, NDJSON (bytes, str, CRLF with a BOM, gzip) vs JSON
array vs request body vs a document's records_path vs a list of texts vs a list of dicts (and of
Mappings holding tuples), workers=1 vs 2, iter_batches + concat vs map, check / validate of one record vs
the batch, the Batcher's verdicts vs validate's refusals. Derandomized by the "repeatable" profile (tests/conftest.py):
CI sees the same examples; ``--hypothesis-profile=explore`` draws new ones.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sinks import column, schema

import mapper
from mapper.engine.parallel import can_fork

sys.path.insert(0, str(Path(__file__).resolve().parent))
from difffuzz_gen import beyond_float, cases, errors_of, report_snapshot, snapshot, typed_cases, warnings_of  # noqa: E402

SETTINGS = settings(max_examples=140, suppress_health_check=list(HealthCheck))  # (the seed: the profile, tests/conftest.py; 200 until stop 54: CI time)


#: anything at all, values of the columns' types (the vector forms' ground), and wild keys and paths
#: (quotes, dots, empty keys, a path inside another's value, JMESPath expressions: the careful path)
CASES = st.one_of(cases(), typed_cases(max_records=12), cases(wild=True), typed_cases(max_records=12, wild=True))


class _Mapping(Mapping[str, Any]):
    """A record that is a Mapping, not a dict (read through its ``get``)."""

    def __init__(self, d: dict[str, Any]):
        self.d = d

    def __getitem__(self, k: str) -> Any:
        return self.d[k]

    def __iter__(self) -> Iterator[str]:
        return iter(self.d)

    def __len__(self) -> int:
        return len(self.d)


def _python(v: Any) -> Any:
    """The record as other Python objects: mappings that are no dict, tuples for arrays."""
    if isinstance(v, dict):
        return _Mapping({k: _python(x) for k, x in v.items()})
    if isinstance(v, list):
        return tuple(_python(x) for x in v)
    return v


def _ndjson(texts: list[str]) -> bytes:
    return ("\n".join(texts) + "\n").encode()


def _policy(m: mapper.Mapper, data: Any, **kw: Any) -> tuple[str, dict[str, Any]]:
    try:
        return "stored", snapshot(m.map(data, **kw))
    except mapper.BatchRejected as exc:
        return "discarded", report_snapshot(exc.report)


@SETTINGS
@given(CASES)
def test_every_input_form_and_both_paths_map_alike(case: tuple[dict[str, Any], list[str], bool]) -> None:
    sink, texts, plain = case
    m = mapper.compile_sink(sink)
    nd = _ndjson(texts)
    base = snapshot(m.map(nd, on_error="skip"))
    assert snapshot(m.map(nd, on_error="skip", fast=False)) == base
    assert snapshot(m.map(("[" + ",".join(texts) + "]").encode(), on_error="skip", input_format="json")) == base
    assert snapshot(m.map(list(texts), on_error="skip")) == base
    if not any(beyond_float(t) for t in texts):  # (a body holding 1e400 anywhere is refused whole: README)
        body = '{"records":[' + ",".join('{"value":%s}' % t for t in texts) + "]}"
        assert snapshot(m.map(body.encode(), on_error="skip", input_format="endpoint")) == base
        doc = '{"meta":1,"data":{"items":[' + ",".join(texts) + "]}}"
        assert snapshot(m.map(doc.encode(), on_error="skip", records_path="data.items")) == base
    assert snapshot(m.map(nd.decode(), on_error="skip")) == base
    assert snapshot(m.map(io.BytesIO(b"\xef\xbb\xbf" + nd.replace(b"\n", b"\r\n")), on_error="skip")) == base
    assert snapshot(m.map(io.BytesIO(gzip.compress(nd)), on_error="skip")) == base
    if plain:
        dicts = [json.loads(t) for t in texts]
        assert snapshot(m.map(dicts, on_error="skip")) == base
        assert snapshot(m.map(dicts, on_error="skip", fast=False)) == base
        assert snapshot(m.map([_python(d) for d in dicts], on_error="skip")) == base
    report = base["errors"], base["warnings"], base["verdict"], base["counts"]
    for records in (nd, texts, *([dicts] if plain else [])):  # (validate of a few records has roads of its own)
        assert tuple(report_snapshot(m.validate(records, on_error="skip")).values()) == report
    # the endpoint's policy (a missing value discards the batch) and strict mode, both paths
    assert _policy(m, nd) == _policy(m, nd, fast=False)
    assert _policy(m, nd, strict=True, on_error="skip") == _policy(m, nd, strict=True, on_error="skip", fast=False)


@SETTINGS
@given(CASES)
def test_one_record_at_a_time_says_what_the_batch_says(case: tuple[dict[str, Any], list[str], bool]) -> None:
    sink, texts, plain = case
    m = mapper.compile_sink(sink)
    base = snapshot(m.map(_ndjson(texts), on_error="skip"))
    for i, t in enumerate(texts):
        want = ([e for e in base["errors"] if e[0] == i], [w for w in base["warnings"] if w[0] == i])
        one = m.validate(t.encode() + b"\n", on_error="skip")
        assert ([(i, *e[1:]) for e in errors_of(one)], [(i, *w[1:]) for w in warnings_of(one)]) == want
        forms: list[Any] = [t] if not beyond_float(t) else []  # (check reads a text whole: 1e400 anywhere is said)
        if plain:
            forms.append(json.loads(t))
        for form in forms:
            problems = m.check(form)
            got = (
                sorted({(i, p.column, p.code) for p in problems if isinstance(p, mapper.RecordError)}, key=repr),
                sorted({(i, p.column, p.kind) for p in problems if isinstance(p, mapper.ValueWarning)}, key=repr),
            )
            assert got == want, form


@SETTINGS
@given(CASES)
def test_batches_joined_and_the_batchers_verdicts_agree_with_map(case: tuple[dict[str, Any], list[str], bool]) -> None:
    sink, texts, plain = case
    m = mapper.compile_sink(sink)
    nd = _ndjson(texts)
    base = snapshot(m.map(nd, on_error="skip"))
    for k in (1, 3):
        assert snapshot(mapper.concat(m.iter_batches(nd, records=k, on_error="skip"))) == base
    refused = sorted({e[0] for e in base["errors"]})
    batcher = mapper.Batcher(m, max_records=3)
    # (the batcher reads a text whole, as check does: 1e400 anywhere refuses it; README)
    assert [i for i, t in enumerate(texts) if not batcher.add(t).accepted and not beyond_float(t)] == [i for i in refused if not beyond_float(texts[i])]
    if plain:
        batcher = mapper.Batcher(m, max_records=3)
        assert [i for i, t in enumerate(texts) if not batcher.add(json.loads(t)).accepted] == refused


@pytest.mark.skipif(not can_fork(), reason="workers need fork")
@settings(max_examples=25, suppress_health_check=list(HealthCheck))
@given(cases(max_records=40))
def test_two_workers_map_as_one_process(case: tuple[dict[str, Any], list[str], bool]) -> None:
    sink, texts, _plain = case
    m = mapper.compile_sink(sink)
    nd = _ndjson(texts)
    assert snapshot(m.map(nd, on_error="skip", workers=2)) == snapshot(m.map(nd, on_error="skip"))


# --- what the fuzzing found, minimized ---------------------------------------------------------


@pytest.mark.parametrize("key", [["b", "a"], ["b"]])
@pytest.mark.parametrize("value", ['"99999999999999999"', "99999999999999"])
def test_a_stored_primary_key_id_column_warns_of_a_wrapped_row_on_the_fast_path(key: list[str], value: str) -> None:
    # The fast path converted an `id` column that is a primary key field as the record's identity
    # (a column, which does not wrap), but such a column is stored as a field too, whose rows of
    # 2^44 or more FeatureBase wraps: the careful path, and a record or two, warned row_wrapped,
    # `map` of three records on the fast path did not.
    sink = schema(column("a", "id"), column("b", "id"))
    m = mapper.compile_sink(dict(sink, primary_key_fields=key))
    data = ('{"a":1,"b":%s}\n{"a":1,"b":2}\n{"a":1,"b":3}\n' % value).encode()
    for fast in (True, False):
        for report in (m.map(data, fast=fast).report, m.validate(data, fast=fast)):
            assert [(w.record, w.column, w.kind) for w in report.warnings if w.kind == "row_wrapped"] == [(0, "b", "row_wrapped")]
