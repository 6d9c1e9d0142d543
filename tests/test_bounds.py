"""Bounds on what a damaged compressed input loses, and on what ``validate --report endpoint`` holds."""

from __future__ import annotations

import zlib

import mapper

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
