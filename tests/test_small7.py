"""Small fixes from a review: each test names what it guards."""

from __future__ import annotations

import dataclasses
import inspect
import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mapper
from mapper.api import _options
from mapper.engine import reader
from mapper.engine.gojson import BODY_BOM_PROBLEM, bom_note
from mapper.engine.parallel import can_fork, cuts_for
from mapper.options import MAX_RECORD_SIZE, MapOptions
from mapper.writers import write_arrow, write_npz

SINK = {
    "id_field": "k",
    "allow_missing_fields": True,
    "definition": [{"name": "k", "path": ["k"], "type": "id"}, {"name": "i", "path": ["i"], "type": "int"}],
}
M = mapper.compile_sink(json.dumps(SINK))
RECORDS = [{"k": r, "i": r} for r in range(30)]


# --- what a file says of its input (mapper.batch.Inputs.said) -------------------------------------


@pytest.mark.parametrize(("write", "ext"), [(write_npz, "npz"), (write_arrow, "arrow")])
def test_a_discarded_batch_mapped_twice_writes_the_same_bytes(write: Any, ext: str, tmp_path: Path) -> None:
    """A discarded batch (no rows, its records not all failed) is a batch as mapped: its file names
    no input (it named a random one: two runs of the same input wrote different bytes)."""

    def discarded() -> mapper.Batch:
        batch = next(M.iter_batches([{"k": 1, "i": "x"}, {"k": 2, "i": 2}], on_error="reject"))
        assert batch.report.accepted is False and batch.count == 0 and batch.report.failed_records == 1
        return batch

    first, second = tmp_path / f"first.{ext}", tmp_path / f"second.{ext}"
    write(discarded(), first)
    write(discarded(), second)
    assert first.read_bytes() == second.read_bytes()
    back = mapper.read_batch(first)
    assert back.report.records == 2 and back.report.input_token is None


@pytest.mark.parametrize(("write", "ext"), [(write_npz, "npz"), (write_arrow, "arrow")])
def test_slices_joined_then_written_join_back_with_the_rest(write: Any, ext: str, tmp_path: Path) -> None:
    """Slices of one batch joined (``concat``) are still part of their input: the file of them
    names it, so that read back it joins the file of the other rows as one input (not two, the
    records counted twice)."""
    whole = M.map(RECORDS)
    head = mapper.concat([whole[0:10], whole[10:20]])
    assert head.sliced
    write(head, tmp_path / f"head.{ext}")
    write(whole[20:], tmp_path / f"tail.{ext}")
    joined = mapper.concat([mapper.read_batch(tmp_path / f"head.{ext}"), mapper.read_batch(tmp_path / f"tail.{ext}")])
    assert joined.report.records == 30
    assert joined.record_index.tolist() == list(range(30))
    assert joined == whole


# --- a byte order mark's note (mapper.engine.gojson.bom_note) -------------------------------------


@pytest.mark.parametrize("what", ["record", "document", "value", "request body"])
def test_the_byte_order_mark_note_is_one_sentence_for_every_place(what: str) -> None:
    """``bom_note`` says the same sentence of whatever it is given (it had one of its own for
    "request body", its one caller's words: those are that caller's, BODY_BOM_PROBLEM)."""
    assert bom_note(what) == f": a byte order mark (U+FEFF), which may open an input (a file's first bytes) but not a {what} within one"


def test_a_body_opening_with_a_byte_order_mark_is_said_in_the_services_words() -> None:
    """The request body's sentence, now said where it is used: the same words as before."""
    assert BODY_BOM_PROBLEM == (
        "invalid character at char 1: a byte order mark (U+FEFF), which a file may start with but a request body may not: "
        "the service's decoder refuses the body (send it without one)"
    )


# --- the options memo (mapper.api._options) -------------------------------------------------------


def test_the_options_are_taken_by_the_names_of_map_options_fields() -> None:
    """``_options`` takes MapOptions' fields by name (it took ``*args`` and read ``args[1]`` as
    max_errors by its place): its parameters are the fields, in their order (MapOptions is made of
    them in that order)."""
    assert list(inspect.signature(_options).parameters) == [f.name for f in dataclasses.fields(MapOptions)]
    given = {"on_error": "skip", "max_errors": np.float64(-0.0), "strict": False, "input_format": "auto", "workers": 1, "fast": True}
    given |= {"max_record_size": MAX_RECORD_SIZE, "records_path": None, "ignore_warnings": frozenset()}
    _options(**{**given, "max_errors": np.float64(0.0)})
    made = _options(**given)
    assert made == MapOptions(**given) and math.copysign(1.0, made.max_errors) == -1.0  # (-0.0 == 0.0: a share is no key)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("workers", np.float64(2.0), f"workers must be a whole number, at least 1, not {np.float64(2.0)!r}"),  # (numpy < 2 writes it 2.0)
        ("workers", 2.0, "workers must be a whole number, at least 1, not 2.0"),
        ("max_record_size", np.float64(4096.0), "max_record_size must be a whole number of bytes"),
        ("strict", np.float64(1.0), "strict must be True or False"),
    ],
)
def test_a_float_given_for_another_option_is_refused_by_its_name_every_time(option: str, value: Any, message: str) -> None:
    """A float is checked as max_errors only where it is max_errors: given for another option, it is
    that option's OptionError, on every call (a refused value is never kept)."""
    for _ in range(2):
        with pytest.raises(mapper.OptionError, match=re.escape(message)):
            M.map(RECORDS[:1], **{option: value})


# --- string ids given by hand (mapper.Batch(...)) -------------------------------------------------

PK_SINK = {
    "primary_key_fields": ["k"],
    "allow_missing_fields": True,
    "definition": [{"name": "k", "path": ["k"], "type": "string"}, {"name": "s", "path": ["s"], "type": "string"}],
}
PK = mapper.compile_sink(json.dumps(PK_SINK))


def test_a_batch_made_by_hand_with_an_id_that_is_no_str_is_refused_naming_the_row(tmp_path: Path) -> None:
    """``Batch(...)`` checks string ids given as objects, as ``batch.ids = ...`` does: they reached
    the conversions unchecked (to_rows gave the int as the _id, write_npz raised numpy's "sequence
    item 1: expected str instance, int found" from inside the UTF-8 conversion, naming nothing)."""
    mapped = PK.map([{"k": f"r{i}", "s": f"v{i}"} for i in range(3)])
    with pytest.raises(
        mapper.OutputError, match=re.escape("the batch's _id cannot be made so: row 1 (counting from 0) holds an int, 7, where str objects are held")
    ):
        mapper.Batch(mapped.sink, np.array(["a", 7, "c"], dtype=object), mapped.record_index, mapped.columns, mapped.report)
    made = mapper.Batch(mapped.sink, np.array(["a", "b", "c"], dtype=object), mapped.record_index, mapped.columns, mapped.report)
    write_npz(made, tmp_path / "made.npz")
    assert [row["_id"] for row in mapper.read_batch(tmp_path / "made.npz").to_rows()] == ["a", "b", "c"]
    assert made[1:].ids.tolist() == ["b", "c"] and mapper.concat([made, mapped]).ids.tolist() == ["a", "b", "c", "r0", "r1", "r2"]


# --- a workers=N run's document failure (mapper.engine.parallel.merge_reports) ---------------------

BIG_DOCUMENT = json.dumps({"data": [{"k": i, "i": i} for i in range(20000)]})


@pytest.mark.skipif(not can_fork(), reason="workers need fork")
@pytest.mark.parametrize(
    "lines",
    [
        [BIG_DOCUMENT, '{"data": [{"k": 1}'],  # a later part's one document, truncated
        [BIG_DOCUMENT, '{"nodata": 1}'],  # ... holding no records
        [BIG_DOCUMENT[:-2], '{"data": [{"k": 1}]}', '{"data": [{"k": 2}]}'],  # the first part's one document, truncated
    ],
)
def test_a_part_failing_as_one_document_is_one_record_of_the_input_as_in_one_process(lines: list[str]) -> None:
    """NDJSON of documents cut into ``workers=2`` parts: a part holding one document that fails is
    one record of the input, as one process reads it, not the input's document failure (the report
    said ``document_error`` as of an input read whole, where ``workers=1`` says none)."""
    text = ("\n".join(lines) + "\n").encode()
    assert len(cuts_for(text, 2)) == 3  # (two parts, the document failing alone in one)
    one, two = (M.validate(text, records_path=["data"], on_error="skip", workers=w) for w in (1, 2))
    assert one.document_failure is None and one.failed_records == 1
    assert two.document_failure is None and two.document_error is None
    assert two.to_dict() == one.to_dict()


# --- a request body is decoded once (mapper.engine.reader.detect_format) ---------------------------


def _big_body() -> bytes:
    items = [{"value": {"k": i, "i": i * 7, "pad": "abcdefghij" * 3}} for i in range(4000)]
    return json.dumps({"records": items}, separators=(",", ":")).encode()


def test_a_request_body_whole_is_not_decoded_to_tell_its_format(monkeypatch: pytest.MonkeyPatch) -> None:
    """A complete body ``{"records": [...]}`` is told from its one member, its records skipped: the
    detection decoded all of it into Python objects (~10 ms a MB), and the body's reader then again."""
    body = _big_body()
    assert len(body) > reader.HEAD_SIZE
    decoded: list[int] = []
    real = reader._decoded

    def counted(line: bytes) -> Any:
        decoded.append(len(line))
        return real(line)

    monkeypatch.setattr(reader, "_decoded", counted)
    assert reader.format_of(body) == "endpoint"
    assert max(decoded, default=0) < reader.HEAD_SIZE, decoded
    report = M.validate(body)
    assert report.records == 4000 and report.failed_records == 0
    assert max(decoded, default=0) < reader.HEAD_SIZE, decoded


#: texts that start as a body does, and what they may hold or break
_BODY_TEXTS = [
    b'{"records": []}',
    b'{"records": [{"value": {"k": 1}}]}',
    b'{"records"  :\t[ {"value": 1} ] }',
    b'{"records": [{"value": {"k": 1}}], "other": 1}',
    b'{"records": [{"nothing": 1}], "other": 1}',
    b'{"records": [1], "records": null}',
    b'{"records": null, "records": [1]}',
    b'{"records": [1], "Records": [2]}',
    b'{"records": null}',
    b'{"records": 5}',
    b'{"records": {"value": 1}}',
    b'{"records": [{"value": "\xff"}]}',
    b'{"records": [{"value": 1e400}]}',
    b'{"records": [{"value": "\\ud800"}]}',
    b'{"records": [{"value": 01}]}',
    b'{"records": [{"value": [1,]}]}',
    b'{"records": [{"value": {"k": 1}}]',
    b'{"records": [{"value": {"k": 1}}]} x',
    b'{"records": [{"value": {"k": 1}}]}\n{"k": 2}',
    b'{"records": [{"value": {"k": 1}}]}\n[1]',
    b'{"records": [\n{"value": {"k": 1}},\n{"value": {"k": 2}}\n]}',
    b'{"records": [\n{"value": 1}\n{"value": 2}\n',
    b'{"records": [' + b"[" * 3000 + b"]" * 3000 + b"]}",
]


def _told_by_the_rules(text: bytes, complete: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    """The format the rules tell without the body's short cut (the oracle: a body decoded whole)."""
    with monkeypatch.context() as m:
        m.setattr(reader, "_records_only", lambda text: False)
        return reader.detect_format(text, complete=complete)


@pytest.mark.parametrize("text", _BODY_TEXTS)
def test_a_body_told_without_decoding_it_is_told_as_the_rules_tell_it(text: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    for complete in (True, False):
        assert reader.detect_format(text, complete=complete) == _told_by_the_rules(text, complete, monkeypatch)
    assert reader.format_of(text) == reader.detect_format(text, complete=True)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["value", "Value", "key", "records", "k"]), inner, max_size=3),
    max_leaves=8,
)


#: a records member: an array of items (holding a value, or not) most often, else any value
_RECORDS = st.lists(st.fixed_dictionaries({"value": _JSON_VALUES}) | _JSON_VALUES, max_size=3) | _JSON_VALUES


@given(
    records=_RECORDS,
    others=st.lists(st.tuples(st.sampled_from(["records", "Records", "other"]), _RECORDS), max_size=2),
    cut=st.none() | st.integers(0, 200),
    junk=st.sampled_from(["", "", "", "x", ",", "\n", "\n{}", "\n[1]", "]", "}"]),
    indent=st.sampled_from([None, 1]),
)
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_texts_starting_as_a_body_are_told_as_the_rules_tell_them(
    records: Any, others: list[tuple[str, Any]], cut: int | None, junk: str, indent: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Property: any text opening ``{"records":`` (other members after it, duplicates, written on
    one line or spread over lines, cut short or with more after it) is told the same format with
    the short cut as by the rules alone."""
    pairs = [("records", records), *others]
    text = ("{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v, indent=indent)}" for k, v in pairs) + "}").encode()
    text = (text if cut is None else text[:cut]) + junk.encode()
    for complete in (True, False):
        assert reader.detect_format(text, complete=complete) == _told_by_the_rules(text, complete, monkeypatch)
