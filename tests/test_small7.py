"""Small fixes from a review: each test names what it guards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper.engine.gojson import BODY_BOM_PROBLEM, bom_note
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
