"""infer's notes name a record's file when several inputs are read, as validate names it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.cli_inproc import run_main

A = [{"id": i, "v": i, "e": "x", "n": 1} for i in range(3)]
B0 = {"id": 10, "v": "x", "e": "", "n": 1}


def _files(tmp_path: Path) -> list[str]:
    (tmp_path / "a.ndjson").write_text("".join(json.dumps(r) + "\n" for r in A))
    # (1e400: a number beyond float64, written as such; a surrogate escape, which validate warns of)
    (tmp_path / "b.ndjson").write_text(json.dumps(B0) + "\n" + '{"v": 4, "e": "y", "n": 1e400, "s": "\\udc80"}\n' + "not json\n")
    return ["a.ndjson", "b.ndjson"]


def test_infer_notes_name_the_file_of_a_record_as_validate_does(tmp_path: Path) -> None:
    # `mapper infer a.ndjson b.ndjson` said "(first: record 4)" and "records 3": which file's?
    # validate says "record 4, b.ndjson line 2"; infer's notes now say its file the same way
    files = _files(tmp_path)
    r = run_main("infer", "--id-field", "id", *files, cwd=tmp_path)
    err = r.stderr.decode()
    assert r.returncode == 0, err
    assert "identity id is missing in 1 (first: record 4, b.ndjson line 2) of 5 records" in err, err  # (its line too: test_cli61)
    assert 'e: "" in 1 of 5 records (first: record 3, b.ndjson line 1)' in err, err
    assert "(the first in record 4, b.ndjson line 2, 1e400)" in err, err
    assert "(e.g. record 4, b.ndjson line 2: sent" in err, err  # (the surrogate escape: its line in its file)
    assert "  record 5, b.ndjson line 3: Invalid JSON" in err, err  # (a bad record: was "record 5, line 3, b.ndjson")
    assert "v: int 4 (records 0, 1, 2, a.ndjson; 4, b.ndjson); str 1 (records 3, b.ndjson)" in err, err
    # every record an infer note names is where validate names it (the same number, the same file)
    (tmp_path / "d.json").write_text(run_main("infer", "--id-field", "id", *files, "-q", cwd=tmp_path).stdout.decode())
    said = run_main("validate", "d.json", *files, cwd=tmp_path).stdout.decode()
    for place in ("record 3, b.ndjson line 1", "record 4, b.ndjson line 2", "record 5, b.ndjson line 3"):
        assert place in said, (place, said)
    # no record number without its file
    assert not re.search(r"record [0-9]+\)|records [0-9, ]+\)", err), err


def test_infer_notes_of_one_input_name_no_file(tmp_path: Path) -> None:
    _files(tmp_path)
    r = run_main("infer", "--id-field", "id", "b.ndjson", cwd=tmp_path)
    err = r.stderr.decode()
    assert r.returncode == 1 and "the draft refuses 2 of 3 records" in err, err  # (most of them: exit 1)
    # (its line too, as validate says it: "(first: record 1)" alone before)
    assert "identity id is missing in 1 (first: record 1, line 2) of 2 records" in err, err
    assert "(the first in record 1, line 2, 1e400)" in err, err
    assert "(e.g. record 1, line 2: sent" in err, err
    assert "  record 2, line 3: Invalid JSON" in err, err
    assert "v: str 1 (records 0); int 1 (records 1)" in err, err
    assert "b.ndjson" not in err, err
