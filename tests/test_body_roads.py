"""Every road that reads input in format auto tells a request body from a record the same way.

:func:`mapper.engine.reader.is_body` is the rule (an object whose ``records``, matched as Go
matches it, is an array, and either ``records`` so spelled is its only key or every item holds
a ``value``); text is told by :func:`~mapper.engine.reader.format_of`, Python objects by
:func:`~mapper.engine.reader.iter_units`. Each input below is read by each road (bytes, str, a
file, a ``.gz`` file, the decoded dict, a file object, ``iter_batches``, and the command line's
``validate FILE``, ``validate -``, ``map --workers 2``, ``send --dry-run`` and ``bench``), one-line
and pretty-printed, with and without a final newline: all of them find the same records.

Left: a document spread over lines past the head is told from its head (``HEAD_TOLD``).

Found: a one-line document over the 64 KiB head without a final newline was told from its head
alone (the line's end was looked for and not found: the input had ended), so
``{"x": 1, "records": [{"value": <70 KB>}, ...]}`` was one record there and a body of two with the
newline, or as a dict; and a document spread over lines whose first key is ``records`` was a body
whatever it held (``{"records": null}``, ``{"records": [{"id": 5}], "meta": 1}`` pretty-printed
were bodies, one-line or as dicts records).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sinks import column, id_sink

import mapper
from mapper.cli import main
from mapper.engine.reader import is_body

SINK = id_sink(column("n", "int"), column("s", "string"), name="roads", table="t", database_id="d", schema_type=None)
M = mapper.compile_sink(SINK)
R1, R2 = {"id": 1, "n": 10}, {"id": 2, "n": 20}
PAD = {"id": 3, "n": 1, "s": "x" * 70_000}  # past the 64 KiB head

#: Each: the document and whether it is a body (then its records, else one record, which fails: no ``id``).
DOCS: dict[str, tuple[Any, bool]] = {
    "Records-Value": ({"Records": [{"Value": R1}, {"Value": R2}]}, True),
    "Records-Value-big": ({"Records": [{"Value": R1}, {"Value": PAD}]}, True),
    "x-records-value": ({"x": 1, "records": [{"value": R1}, {"value": R2}]}, True),
    "x-records-value-big": ({"x": 1, "records": [{"value": PAD}, {"value": R2}]}, True),
    "aws": ({"Records": [{"eventVersion": "2.1"}]}, False),
    "aws-big": ({"Records": [{"eventVersion": "2.1", "s": "y" * 70_000}]}, False),
    "records-empty": ({"records": []}, True),
    "Records-empty": ({"Records": []}, False),
    "records-null": ({"records": None}, False),
    "records-str": ({"records": "a"}, False),
    "records-without-values-beside-meta": ({"records": [{"id": 5}], "meta": 1}, False),
    "records-empty-beside-meta": ({"records": [], "meta": 1}, False),
    "records-null-big": ({"records": None, "s": "y" * 70_000}, False),
    "records-without-values-beside-meta-big": ({"records": [{"id": 5, "s": "y" * 70_000}], "meta": 1}, False),
}
LAYOUTS = {
    "one-line": lambda doc: json.dumps(doc),
    "one-line-nl": lambda doc: json.dumps(doc) + "\n",
    "pretty": lambda doc: json.dumps(doc, indent=2),
    "pretty-nl": lambda doc: json.dumps(doc, indent=2) + "\n",
}


def _cli(argv: list[str], stdin: bytes | None = None, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", type("In", (), {"buffer": io.BytesIO(stdin), "isatty": lambda self: False})())
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _rows(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


#: Told from the head still (a document spread over lines past the 64 KiB head is not decoded
#: whole a second time to check is_body's conditions, see docs/send-serve.md): whose first key is
#: ``records`` so spelled is a body whatever that holds, where the dict and the same document on one
#: line are a record; whose ``records`` follows other keys is one record, where as a dict it is a body.
HEAD_TOLD = {"records-null-big", "records-without-values-beside-meta-big", "x-records-value-big"}
CASES = [
    pytest.param(name, layout, marks=[pytest.mark.xfail(strict=True, reason="told from the head")] if name in HEAD_TOLD and layout.startswith("pretty") else [])
    for name in DOCS
    for layout in LAYOUTS
]


@pytest.mark.parametrize(("name", "layout"), CASES)
def test_every_road_tells_a_body_as_is_body_does(name: str, layout: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc, body = DOCS[name]
    assert is_body(doc) is body  # (the oracle is the rule's)
    records = len(doc["records" if "records" in doc else "Records"]) if body else 1
    good = records if body else 0  # (a document read as a record has no id: it fails)
    text = LAYOUTS[layout](doc)
    data = text.encode()
    file, gz = tmp_path / "in.json", tmp_path / "in.json.gz"
    file.write_bytes(data)
    gz.write_bytes(gzip.compress(data))
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))

    def validated(source: Any) -> tuple[int, int, list[str]]:
        report = M.validate(source)
        return report.records, report.records - report.failed_records, sorted({e.code for e in report.errors})

    with file.open("rb") as fh:
        roads: dict[str, Any] = {
            "bytes": validated(data),
            "str": validated(text),
            "path": validated(str(file)),
            "Path": validated(file),
            "gz": validated(gz),
            "dict": validated(doc),
            "file object": validated(fh),
        }
    roads["iter_batches"] = (None, sum(len(b) for b in M.iter_batches(data, records=1000)))
    for road, argv, stdin in (("validate FILE", [str(file)], None), ("validate -", ["-"], data)):
        rc, out, _err = _cli(["validate", str(sink), *argv, "--report", "json", "-q"], stdin, monkeypatch)
        report = json.loads(out)
        roads[road] = (report["records"], report["records"] - report["failed_records"], sorted({e["code"] for e in report["errors"]}))
    for workers in ("1", "2"):
        out_file = tmp_path / f"out{workers}.ndjson"
        _cli(["map", str(sink), str(file), "-o", str(out_file), "--workers", workers, "-q"])
        roads[f"map --workers {workers}"] = (None, _rows(out_file))
    rc, out, err = _cli(["send", str(sink), str(file), "--dry-run", "--report", "json"])
    totals = json.loads(out)
    read = re.search(r"([\d,]+) records? read", err)
    assert read is not None, err
    roads["send --dry-run"] = (int(read.group(1).replace(",", "")), int(read.group(1).replace(",", "")) - totals["refused_prevalidation"])
    rc, out, err = _cli(["bench", str(sink), str(file), "--repeat", "1"])
    if records == 0:
        assert rc == 2 and "no records to measure" in err
        roads["bench"] = (0, None)
    else:
        measured = re.search(r"mapper: ([\d,]+) records?\b", out)
        assert measured is not None, (out, err)
        roads["bench"] = (int(measured.group(1).replace(",", "")), None)

    codes = [] if body else ["invalid_id"]  # (a body's records are good; the document read as a record has no id)
    want = {
        road: (None if seen[0] is None else records, None if seen[1] is None else good, *([codes] if len(seen) > 2 else [])) for road, seen in roads.items()
    }
    assert roads == want
