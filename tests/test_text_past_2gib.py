"""Text past 2 GiB in one column, made of parts each under it: Arrow's ``string`` holds 32-bit
offsets, so a column whose text passes 2 GiB is ``large_string``, and parts of ``string`` must
not be joined as one ``string``.

- ``to_arrow`` of a batch whose string column is held in parts (a ``workers`` batch, or
  ``mapper.concat`` of batches read back) joined them as ``string``: "offset overflow".
- ``read_batch`` of an ``.arrow`` or ``.parquet`` file holding such a column in several record
  batches or row groups (``mapper map`` writes a part at a time, each under 2 GiB) joined them
  as ``string`` and refused the file mapper wrote: "offset overflow".
- ``mapper map -o x.arrow`` of a part whose text passes 2 GiB after a first part under it
  (whose ``string`` fields are the file's schema) cast the part to ``string`` whole, and
  pyarrow's ArrowInvalid ended the run with a traceback.

The text is zero bytes in memory numpy asks the system for and never writes (``np.zeros``:
pages that read as zeros and take no memory until written), so only what the code under test
copies takes memory: one copy of the text (2 GiB), as a real column's would take.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sinks

import mapper
from mapper import writers
from mapper.batch import Strings

pa = pytest.importorskip("pyarrow")
pc = pytest.importorskip("pyarrow.compute")


def _memory_available() -> int:
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


pytestmark = pytest.mark.skipif(_memory_available() < 8 << 30, reason="copies a text of 2 GiB: needs 8 GiB of memory available")

#: Each of two strings: together past the 2**31 - 1 bytes a ``string`` array's offsets reach.
HALF = 2**30 + 2**20

SINK = sinks.schema(sinks.column("k", "string"), sinks.column("s", "string"), sinks.column("tags", "strings"), primary_key_fields=["k"])


def _zeros(n: int) -> np.ndarray:
    return np.zeros(n, dtype=np.uint8)  # (untouched: no memory taken until written)


def _part(text: int) -> Strings:
    """One string of ``text`` zero bytes (NUL characters), held as UTF-8."""
    return Strings.from_utf8(_zeros(text), np.array([0, text], dtype=np.int64))


def _batch(rows: int = 2) -> mapper.Batch:
    """A batch of ``rows`` rows, each ``s`` the string "x" (made another by hand)."""
    recs = b"".join(json.dumps({"k": f"k{i}", "s": "x", "tags": ["t"]}).encode() + b"\n" for i in range(rows))
    return mapper.compile_sink(SINK).map(recs)


def test_to_arrow_of_a_string_column_held_in_parts_past_2_gib_is_large_string() -> None:
    """(A set of strings' elements held in parts are read by the same code: a list of large_string.)"""
    batch = _batch()
    joined = Strings.concat([_part(HALF), _part(HALF)])
    assert joined.chunks is not None  # (held as two parts, as a workers batch's or a concat's of files read back)
    batch["s"].stored = joined
    table = batch.to_arrow()
    assert table.schema.field("s").type == pa.large_string()
    assert pc.binary_length(table.column("s")).to_pylist() == [HALF, HALF]


def test_a_field_read_in_chunks_past_2_gib_is_read_whole() -> None:
    """read_batch joins a field's chunks (an .arrow file's record batches, a .parquet file's row
    groups) into one array: of ``string`` chunks whose text passes 2 GiB together, a ``large_string``."""
    data = _zeros(HALF)
    chunk = pa.Array.from_buffers(pa.string(), 1, [None, pa.py_buffer(np.array([0, HALF], dtype=np.int32)), pa.py_buffer(data)])
    listed = pa.ListArray.from_arrays(pa.array([0, 1], pa.int32()), chunk)
    table = pa.table({"s": pa.chunked_array([chunk, chunk]), "tags": pa.chunked_array([listed, listed])})
    whole = writers._whole(table, "s", pa, "column 's'")
    assert isinstance(whole, pa.Array) and whole.type == pa.large_string()
    assert pc.binary_length(whole).to_pylist() == [HALF, HALF]
    del whole
    tags = writers._whole(table, "tags", pa, "column 'tags'")
    assert isinstance(tags, pa.Array) and tags.type == pa.list_(pa.large_string())
    assert pc.binary_length(tags.flatten()).to_pylist() == [HALF, HALF]


def test_a_part_past_2_gib_after_one_under_it_is_written_in_the_file_s_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``map -o x.arrow`` streams parts: the first's fields (``string``) are the file's, and a later
    part whose text passes 2 GiB (``large_string``) is written in pieces under it, not refused by
    pyarrow's cast. Written to /dev/null (through a link named .arrow): what is written is looked
    at as it goes to pyarrow's writer."""
    if not os.path.exists(os.devnull):  # pragma: no cover - every POSIX system has it
        pytest.skip("needs /dev/null")
    link = tmp_path / "out.arrow"
    link.symlink_to(os.devnull)
    seen: list[tuple[Any, list[int | None]]] = []
    start = writers.ArrowWriter._start

    def recording_start(self: writers.ArrowWriter, sample: Any) -> None:
        start(self, sample)
        real = self.writer

        class Recorder:
            def write_table(self, table: Any, **kw: Any) -> None:
                seen.append((table.schema, pc.binary_length(table.column("s")).to_pylist()))
                real.write_table(table, **kw)

            def __getattr__(self, name: str) -> Any:
                return getattr(real, name)

        self.writer = Recorder()

    monkeypatch.setattr(writers.ArrowWriter, "_start", recording_start)
    small = _batch(rows=1)
    big = _batch()
    big["s"].stored = Strings.from_utf8(_zeros(2 * HALF), np.array([0, HALF, 2 * HALF], dtype=np.int64))
    writer = writers.open_writer(str(link))
    writer.write(small)
    writer.write(big)
    writer.close()
    schema = seen[0][0]
    assert schema.field("s").type == pa.string()
    assert all(s.equals(schema) for s, _ in seen)
    assert [n for _, lengths in seen for n in lengths] == [1, HALF, HALF]


def test_a_row_whose_text_alone_passes_2_gib_after_a_part_under_it_is_said_and_leaves_no_file(tmp_path: Path) -> None:
    out = tmp_path / "out.arrow"
    big = _batch(rows=1)
    big["s"].stored = Strings.from_utf8(_zeros(2 * HALF), np.array([0, 2 * HALF], dtype=np.int64))
    writer = writers.open_writer(str(out))
    writer.write(_batch(rows=1))
    with pytest.raises(mapper.OutputError, match=r"cannot write .*out\.arrow: a row holds more than 2 GiB of text"):
        writer.write(big)
    assert list(tmp_path.iterdir()) == []  # (neither the file nor its temporary one)
