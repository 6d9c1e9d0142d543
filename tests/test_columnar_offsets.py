"""Offsets are checked by one function (``mapper.batch.check_offsets``): a hand-built batch's
before a conversion, a file's as ``read_batch`` reads it (once), each refused in the same words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mapper
import mapper.batch
from mapper.errors import OutputError
from mapper.writers import npz_arrays
from tests.test_columnar import _text_batch

#: An edit of the arrays ``npz_arrays`` makes of :func:`_text_batch` (columns ``s`` and ``ss``,
#: three rows), the same edit of the batch itself, and the words both refusals say.
_EDITS = [
    (
        "a set's offsets go back",
        lambda z: z.__setitem__("ss.offsets", np.array([0, 3, 1, 3])),
        lambda b: setattr(b["ss"], "offsets", np.array([0, 3, 1, 3])),
        "column 'ss' cannot be read: its set offsets go back at row 1 (counting from 0): 3 then 1",
    ),
    (
        "a set's offsets start past 0",
        lambda z: z.__setitem__("ss.offsets", np.array([1, 2, 3, 3])),
        lambda b: setattr(b["ss"], "offsets", np.array([1, 2, 3, 3])),
        "column 'ss' cannot be read: its set offsets start at 1, not 0",
    ),
    (
        "strings' offsets go back",
        lambda z: z.__setitem__("s.utf8_offsets", np.array([0, 4, 2, 6])),
        lambda b: setattr(b["s"], "stored", mapper.batch.Strings.from_utf8(np.frombuffer(b"abcdef", np.uint8), np.array([0, 4, 2, 6]), b["s"].valid)),
        "column 's' cannot be read: its string offsets go back at row 1 (counting from 0): 4 then 2",
    ),
    (
        "strings' offsets past the text",
        lambda z: z.__setitem__("s.utf8_offsets", np.array([0, 2, 4, 1_000_000])),
        lambda b: setattr(b["s"], "stored", mapper.batch.Strings.from_utf8(np.frombuffer(b"abcdef", np.uint8), np.array([0, 2, 4, 1_000_000]), b["s"].valid)),
        "column 's' cannot be read: its string offsets run from 0 to 1000000, outside its 6 bytes of text",
    ),
]


@pytest.mark.parametrize("case, edit_file, edit_batch, words", _EDITS, ids=[e[0] for e in _EDITS])
def test_bad_offsets_are_refused_in_the_same_words_in_a_file_and_in_a_batch(tmp_path: Path, case: str, edit_file: Any, edit_batch: Any, words: str) -> None:
    # writers and batch each had their own offsets check, in other words (a file's: "has offsets
    # that do not run from 0 to its 3 items in order", naming neither row nor values)
    arrays = npz_arrays(_text_batch())
    edit_file(arrays)
    np.savez(tmp_path / "edited.npz", **arrays)
    with pytest.raises(mapper.InputError) as caught:
        mapper.read_batch(tmp_path / "edited.npz")
    assert str(caught.value) == f"cannot read {tmp_path / 'edited.npz'} as a mapper batch: {words}"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    batch = _text_batch()
    edit_batch(batch)
    with pytest.raises(OutputError) as refused:
        batch.to_rows()
    assert str(refused.value) == words


@pytest.mark.parametrize("ext", ["npz", "arrow", "parquet"])
def test_read_batch_checks_each_offsets_array_once(tmp_path: Path, ext: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # read_batch checked a file's offsets itself, then again in Batch.check (a string set's
    # element text three times: its reader, the set check, the strings check)
    if ext != "npz":
        pytest.importorskip("pyarrow")
    path = tmp_path / f"b.{ext}"
    _write(_text_batch(), path)
    seen: list[str] = []
    real = mapper.batch.check_offsets

    def counting(offsets: Any, rows: int, what: str, text: int | None = None) -> int:
        seen.append(what)
        return real(offsets, rows, what, text)

    monkeypatch.setattr(mapper.batch, "check_offsets", counting)
    back = mapper.read_batch(path)
    # the _id strings, column s's strings, the set offsets of ii and ss and ss's elements' strings: each once
    assert sorted(seen) == [
        "column 'ii' cannot be read: its set offsets",
        "column 's' cannot be read: its string offsets",
        "column 'ss' cannot be read: its set offsets",
        "column 'ss' cannot be read: its string offsets",
        "its _id cannot be read: its string offsets",
    ], seen
    assert back.to_rows() == _text_batch().to_rows()


def _write(batch: mapper.Batch, path: Path) -> None:
    from mapper.writers import open_writer

    w = open_writer(str(path))
    w.write(batch)
    w.close()
