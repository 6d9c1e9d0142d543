"""Bounds on what a damaged compressed input loses, and on what ``validate --report endpoint`` holds."""

from __future__ import annotations

import io
import json
import zlib
from typing import Any

import pytest

import mapper
from mapper.errors import escaped_json

SINK = {"primary_key_fields": ["id"], "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "int"}]}
LINE = b'{"id": 1, "pad": "%s"}\n' % (b"x" * 40)


def test_a_gzip_input_damaged_after_repetitive_text_names_a_line_within_64_kib_of_the_damage() -> None:
    # 15,000 identical lines (915 KB) pack into 3 KB: the unpacker was asked for up to 512 KiB a
    # read, and a read meeting the damage dropped all it had unpacked, so the error named line
    # 9,669, the 5,331 good records after it never judged; now a read asks for 64 KiB at most
    good = 15000
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    packed = bytearray(packer.compress(LINE * good) + packer.flush(zlib.Z_FULL_FLUSH))
    damage = len(packed)  # (the next deflate block's first byte: its type made invalid)
    packed += packer.compress(LINE * 100) + packer.flush()
    packed[damage] ^= 0xFF
    try:
        mapper.compile_sink(SINK).validate(bytes(packed))
    except mapper.InputError as exc:
        said = str(exc)
    else:
        raise AssertionError("the damage was not found")
    assert said.startswith("cannot read the input: its gzip data is corrupt, damaged"), said
    line = int(said.rpartition(" (after line ")[2].rstrip(")").replace(",", ""))
    assert good - (64 << 10) // len(LINE) <= line <= good, said


def _old_text(report: Any) -> str:
    # (what validate --report endpoint printed before it wrote its answer as it went)
    return escaped_json(json.dumps(report.endpoint_answer(), ensure_ascii=False)) + "\n"


@pytest.mark.parametrize(
    ("records", "options"),
    [
        (b"", {}),  # no records: "records": []
        (b'{"id": 1}\n{"id": 2}\n', {}),  # all stored
        (b'{"id": 1}\n{"id": "x\\u202e\\u0007"}\n{"id": 3}\n{"pad": 1}\n', {}),  # some refused, a message escaped
        (b'{"id": 1}\n{"id": "x\\u202e"}\n', {"on_error": "reject"}),  # discarded (by the option)
        (b'{"id": 1}\n{"pad": 1}\n{"id": "x"}\n', {"sink": {"allow_missing_fields": False}}),  # discarded, MissingField and InvalidBody
        # past a part written (8,192 answers), refused ones on either side of its end
        (b"".join(b'{"id": %d}\n' % i if i % 4093 else b'{"id": "no"}\n' for i in range(9000)), {}),
    ],
)
def test_validate_report_endpoint_written_as_it_goes_is_the_same_text(records: bytes, options: dict[str, Any]) -> None:
    options = dict(options)
    report = mapper.compile_sink({**SINK, **options.pop("sink", {})}).validate(records, **options)
    assert report.endpoint_answer()["records"] or not records
    out = io.StringIO()
    report.write_endpoint_answer(out)
    assert out.getvalue() == _old_text(report)
