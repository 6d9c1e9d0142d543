"""Review of the engine and Python API's newer paths: each test here failed before its fix."""

from __future__ import annotations

import pytest

import mapper

SINK = {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}


@pytest.mark.parametrize("stray", [b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"])
def test_a_stray_byte_order_mark_line_in_utf8_ndjson_is_not_called_utf16(stray):
    # only the first line fails (the rest is UTF-8 records, stored): the input is no UTF-16 text
    m = mapper.compile_sink(SINK)
    rep = m.validate(stray + b'\n{"id": 1}\n{"id": 2}\n')
    assert rep.failed_records == 1 and rep.records == 3
    assert not any("UTF-16" in n or "UTF-32" in n for n in rep.notes), rep.notes


@pytest.mark.parametrize(
    ("encoding", "name"), [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-16-be", "UTF-16"), ("utf-32", "UTF-32"), ("utf-32-be", "UTF-32")]
)
def test_text_really_in_utf16_or_utf32_is_still_named(encoding, name):
    m = mapper.compile_sink(SINK)
    rep = m.validate('{"id": 1}\n{"名": "東京"}\n'.encode(encoding))
    assert rep.failed_records and any(f"the input is {name} text" in n for n in rep.notes), rep.notes
