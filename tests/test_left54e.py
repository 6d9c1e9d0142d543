"""Small gaps found by review: an unpack hint written over records.ndjson, decimal options that
took what Python's float() takes, a records-path hint quoting keys whole, fractional limits.

All in-process and cheap: no JVM, no sockets, no sleeps."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import mapper

# ---------------------------------------------------------------------------------------
# 1. spark-validate's hint for an lz4/snappy frame-format file: beside the input, never over a file


@pytest.mark.parametrize("name, tool, out", [("frame.ndjson.lz4", "lz4", "frame.ndjson"), ("framed.ndjson.snappy", "snzip", "framed.ndjson")])
def test_frame_format_hint_unpacks_beside_the_input_never_over_a_file(tmp_path: Path, monkeypatch: Any, name: str, tool: str, out: str) -> None:
    from mapper.spark import check_inputs

    magic = b"\x04\x22\x4d\x18" if tool == "lz4" else b"\xff\x06\x00\x00sNaPpY"
    (tmp_path / name).write_bytes(magic + b"\x00" * 12)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "records.ndjson").write_text("keep\n")  # (the hint's old target, in the current directory)
    with pytest.raises(mapper.OptionError) as info:
        check_inputs([str(tmp_path / name)])
    text = str(info.value)
    assert f"unpack it first ({tool} -dc {tmp_path / name} > {tmp_path / out})" in text
    assert "records.ndjson" not in text
    (tmp_path / out).write_text("there\n")  # a file of that name: not written over
    with pytest.raises(mapper.OptionError) as info:
        check_inputs([str(tmp_path / name)])
    assert f"{tool} -dc {tmp_path / name} > {tmp_path / name}.ndjson)" in str(info.value)
