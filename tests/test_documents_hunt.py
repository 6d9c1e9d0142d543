"""Records inside documents and streaming from Python: faults a hunt over ``records_path``
(``--records-path``) and ``Mapper.iter_batches`` found, one small case each."""

from __future__ import annotations

import json

import mapper
from tests.test_documents import SINK, run_cli


def planes(first: int, n: int) -> list[dict[str, object]]:
    return [{"hex": f"a{i:05x}", "alt_baro": 1000 + i, "flight": f"F{i}"} for i in range(first, first + n)]


def test_infer_reads_on_past_a_broken_line_of_ndjson_of_documents(tmp_path):
    # a dump1090 capture a line with one line cut in the middle: validate refuses that line
    # alone (one record); infer stopped the whole run on it (exit 2), drafting nothing
    lines = [
        json.dumps({"now": 1, "aircraft": planes(0, 3)}),
        json.dumps({"now": 2, "aircraft": planes(3, 3)})[:-9],
        json.dumps({"now": 3, "aircraft": planes(6, 3)}),
    ]
    path = tmp_path / "capture.ndjson"
    path.write_text("\n".join(lines) + "\n")
    report = mapper.compile_sink(SINK).validate(path, records_path="aircraft")
    assert (report.records, report.failed_records, [(e.record, e.line, e.code) for e in report.errors]) == (7, 1, [(3, 2, "invalid_json")])
    r = mapper.infer(path, records_path="aircraft")
    assert (r.records, r.objects, r.bad_records, r.unusable) == (7, 6, 1, None)
    assert r.bad_examples[0]["line"] == 2 and r.bad_examples[0]["reason"] == "Invalid JSON: the JSON document is truncated"
    cli = run_cli("infer", str(path), "--records-path", "aircraft", "--report", "json")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["bad_records"] == 1
    # the first line broken: the same (the others are read on)
    path.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    r = mapper.infer(path, records_path="aircraft")
    assert (r.records, r.objects, r.bad_records, r.bad_examples[0]["line"]) == (7, 6, 1, 1)
