"""Python API leftovers of session 61 (docs/python-api.md is the contract): each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sinks

import mapper
from mapper import writers

# --- 1. one rule for text a batch holds: UTF-8 only, as Arrow's writers hold it -------------------

TEXT_SINK = sinks.schema(sinks.column("k", "string"), sinks.column("s", "string"), sinks.column("tags", "strings"), primary_key_fields=["k"])
SURROGATE = r"holds text that is not UTF-8 in row 1 \(counting from 0\): a UTF-16 surrogate, '\\ud800'"


def _text_batch() -> mapper.Batch:
    return mapper.compile_sink(json.dumps(TEXT_SINK)).map([{"k": "a", "s": "x", "tags": ["p"]}, {"k": "b", "s": "y", "tags": ["q", "r"]}])


def _edited(where: str) -> tuple[mapper.Batch, str]:
    """A mapped batch given a lone surrogate by hand, as a user can (docs/python-api.md: ``col.stored =
    edited``, ``batch.ids = objects`` or an edit in place of ``batch.ids``), and what the refusal names."""
    batch = _text_batch()
    if where == "column":
        batch["s"].stored = np.array(["x", "\ud800y"], dtype=object)
        return batch, "column 's' " + SURROGATE
    if where == "set element":
        batch["tags"].stored = np.array(["p", "q", "\ud800"], dtype=object)
        return batch, r"column 'tags' holds text that is not UTF-8 in row 1 \(counting from 0\), its element 1: a UTF-16 surrogate, '\\ud800'"
    batch.ids[1] = "\ud800"  # (ids held as objects alone: an edit in place shows everywhere)
    return batch, "its _id " + SURROGATE


WHERE = ["column", "set element", "ids edited in place"]


@pytest.mark.parametrize("where", WHERE)
def test_a_lone_surrogate_given_by_hand_is_refused_by_check_to_rows_and_every_writer_alike(tmp_path: Path, where: str) -> None:
    """A str holding ``"\\ud800"`` (mapping stores U+FFFD for one) passed ``batch.check()`` and
    ``to_rows()``; the ``.npz`` writer wrote it as ``surrogatepass`` encodes it (bytes that are no
    UTF-8, which another reader of the file meets as such) and the NDJSON writer as the escape
    ``"\\ud800"`` (which the endpoint, and mapper reading the file again, take as U+FFFD); while
    ``to_arrow`` and the ``.arrow`` / ``.parquet`` writers refused it. Now every one refuses it,
    naming the column (or _id) and row, in the same words, and writes no file."""
    batch, said = _edited(where)
    with pytest.raises(mapper.OutputError, match=said):
        batch.check()
    with pytest.raises(mapper.OutputError, match=said):
        batch.to_rows()
    outs = [("npz", writers.write_npz), ("ndjson", writers.write_ndjson)]
    if _importable("pyarrow"):
        outs += [("arrow", writers.write_arrow), ("parquet", writers.write_parquet)]
        with pytest.raises(mapper.OutputError, match=said):
            batch.to_arrow()
    for ext, write in outs:
        out = tmp_path / f"b.{ext}"
        with pytest.raises(mapper.OutputError, match=said):
            write(batch, out)
        assert not out.exists(), ext


def test_string_ids_given_by_hand_holding_a_lone_surrogate_are_refused_when_given() -> None:
    """``batch.ids = objects`` (and ``mapper.Batch(...)``) refuse an object that is no str there and
    then; a str UTF-8 has no form for is refused the same way, the row named."""
    batch = _text_batch()
    with pytest.raises(mapper.OutputError, match="the batch's _id " + SURROGATE):
        batch.ids = np.array(["a", "\ud800"], dtype=object)
    with pytest.raises(mapper.OutputError, match="the batch's _id " + SURROGATE):
        mapper.Batch(batch.sink, np.array(["a", "\ud800"], dtype=object), batch.record_index, batch.columns, batch.report)


def test_the_text_rule_lets_every_character_through_and_names_the_first_fault_only() -> None:
    """A surrogate pair's character (😀), NUL, and text past ASCII are UTF-8: kept by every output."""
    batch = _text_batch()
    batch["s"].stored = np.array(["é\x00中", "\U0001f600"], dtype=object)
    batch.check()
    assert [r["s"] for r in batch.to_rows()] == ["é\x00中", "\U0001f600"]


def test_an_npz_file_holding_a_lone_surrogate_as_an_older_mapper_wrote_it_is_refused_by_read_batch(tmp_path: Path) -> None:
    """An ``.npz`` the writer wrote before (a lone surrogate as ``surrogatepass`` encodes it) read back
    holding the str, which every output then refused or wrote as its escape: read_batch refuses it
    as it refuses any text that is not UTF-8, naming the column and row."""
    batch = _text_batch()
    out = tmp_path / "b.npz"
    writers.write_npz(batch, out)
    with np.load(out) as z:
        arrays = {k: z[k] for k in z.files}
    text = arrays["s.utf8"].tobytes()
    assert text == b"xy"
    arrays["s.utf8"] = np.frombuffer("x\ud800".encode("utf-8", "surrogatepass"), dtype=np.uint8)
    arrays["s.utf8_offsets"] = np.array([0, 1, 4], dtype=np.int64)
    np.savez(out, **arrays)
    with pytest.raises(mapper.InputError, match=r"column 's' holds text that is not UTF-8 in row 1 \(counting from 0\) \(a UTF-16 surrogate, '\\ud800'"):
        mapper.read_batch(out)


def _importable(name: str) -> bool:
    try:
        __import__(name)
    except ImportError:
        return False
    return True
