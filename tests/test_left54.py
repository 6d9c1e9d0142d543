"""Stop 54's small gaps: a compressed JSON document cut short (validate, map, send), send's reading
of a record opening with a byte order mark, hints for compressed standard input, a store in a
directory that cannot be written, and the invisible characters messages escape."""

from __future__ import annotations

import gzip
import io
import lzma
from pathlib import Path
from typing import Callable

import pytest

import mapper

SINK = {"primary_key_fields": ["id"], "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "int"}]}
PACKERS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "xz": lambda text: lzma.compress(text, preset=0)}
#: 3,000 records of 60 bytes (well past the head read first: 64 KiB), one a line, in a JSON array and in a request body
PAD = b"x" * 40
ARRAY = b"[\n" + b",\n".join(b'{"id": %d, "pad": "%s"}' % (i, PAD) for i in range(3000)) + b"\n]\n"
BODY = b'{"records": [\n' + b",\n".join(b'{"value": {"id": %d, "pad": "%s"}}' % (i, PAD) for i in range(3000)) + b"\n]}\n"


def _cut(kind: str, text: bytes) -> bytes:
    packed = PACKERS[kind](text)
    return packed[: len(packed) * 2 // 3]


@pytest.mark.parametrize(("kind", "fmt"), [("gzip", "json"), ("gzip", "endpoint"), ("xz", "json")])
def test_a_compressed_document_cut_short_is_an_input_error_naming_the_last_line_never_mapped_as_its_part(kind: str, fmt: str, tmp_path: Path) -> None:
    # (bzip2 finds the damage in its first block: "in line 1")
    # the document's whole read took the text before the failing read and left the error to a next
    # read that never came: the part read was mapped as the document, its last record "truncated",
    # the records after the cut lost unsaid (PARTIAL: 1,979 of 1,980 records would be stored)
    cut = _cut(kind, ARRAY if fmt == "json" else BODY)
    path = tmp_path / "r.z"
    path.write_bytes(cut)
    m = mapper.compile_sink(SINK)
    for given in (lambda: path, lambda: cut, lambda: io.BytesIO(cut)):
        for auto in (True, False):
            with pytest.raises(mapper.InputError, match=r"^cannot read .* \((?:after|in) line [\d,]+\)$"):
                m.validate(given(), input_format="auto" if auto else fmt)
