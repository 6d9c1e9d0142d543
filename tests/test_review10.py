"""review10: fixes found reviewing the session's change (see each test's docstring)."""

from __future__ import annotations

import json

from mapper.engine.reader import BOM, HEAD_BYTES, input_note


def _snapshot_lines(n: int) -> bytes:
    """``n`` lines, each a dump1090 snapshot of about 1.8 MB: three of them run past HEAD_BYTES."""
    doc = {"now": 1, "aircraft": [{"hex": f"abc{i:05d}", "alt": i, "flight": "XYZ"} for i in range(40000)]}
    line = json.dumps(doc, separators=(",", ":")).encode()
    return b"\n".join([line] * n) + b"\n"


def test_input_note_bom_led_head_cut_at_head_bytes():
    """A BOM-led head cut at HEAD_BYTES gets the note its text without the BOM gets: input_note
    stripped the BOM before head_lines, which then took the shorter head for a whole input and
    its cut last line for a line (not JSON: no note at all)."""
    data = _snapshot_lines(5)
    plain = input_note(data[:HEAD_BYTES], 5, 5, 0)
    assert "arrays of objects are at `aircraft`" in plain
    assert input_note((BOM + data)[:HEAD_BYTES], 5, 5, 0) == plain
