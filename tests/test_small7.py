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

import mapper
from mapper.api import _options
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
        ("workers", np.float64(2.0), "workers must be a positive integer, not np.float64(2.0)"),
        ("workers", 2.0, "workers must be a positive integer, not 2.0"),
        ("max_record_size", np.float64(4096.0), "max_record_size must be a number of bytes"),
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
