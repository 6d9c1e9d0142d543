"""bench's figures hold figures only: where documents held null at the records path rides beside
them (``Measured.null_records_at``), not under an internal key of the dict ``--json`` writes (it was
popped before the write; forgetting the pop would have put it in the file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapper import bench
from mapper.cli import main
from mapper.compiler import compile_definition
from mapper.options import MapOptions
from mapper.sink import load_sink

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORD = json.loads((ROOT / "examples" / "aircraft" / "records.ndjson").read_text().splitlines()[0])

TOP_KEYS = {"records", "bytes", "mapper", "command"}
FIGURE_KEYS = {"seconds", "records", "workers", "stored", "refused", "records_per_s", "mb_per_s", "stages", "stats", "runs", "notes"}


def _docs(tmp_path: Path, *docs: object) -> Path:
    path = tmp_path / "docs.ndjson"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def test_measure_mapper_gives_null_records_at_beside_the_figures() -> None:
    compiled = compile_definition(load_sink(str(SINK)))
    data = (json.dumps({"r": [RECORD]}) + "\n" + json.dumps({"r": None}) + "\n").encode()
    measured = bench.measure_mapper(compiled, data, 1, MapOptions(records_path=("r",)))
    assert measured.null_records_at == "r"
    assert set(measured.figures) == FIGURE_KEYS
    assert measured.figures["records"] == 1
    plain = bench.measure_mapper(compiled, json.dumps({"r": [RECORD]}).encode() + b"\n", 1, MapOptions(records_path=("r",)))
    assert plain.null_records_at is None and set(plain.figures) == FIGURE_KEYS


@pytest.mark.parametrize("to_stdout", [False, True])
def test_json_figures_keep_their_keys(to_stdout: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = _docs(tmp_path, {"r": [RECORD]}, {"r": None}, {"r": [RECORD]})
    out = tmp_path / "figures.json"
    status = main(["bench", str(SINK), str(docs), "--records-path", "r", "--repeat", "1", "--json", "-" if to_stdout else str(out)])
    said = capsys.readouterr()
    assert status == 0, said.err
    figures = json.loads(said.out if to_stdout else out.read_text())
    assert set(figures) == TOP_KEYS
    assert set(figures["mapper"]) == FIGURE_KEYS
    assert figures["records"] == figures["mapper"]["records"] == 2


def test_documents_all_null_still_say_where_and_the_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = _docs(tmp_path, {"r": None}, {"r": None})
    out = tmp_path / "figures.json"
    status = main(["bench", str(SINK), str(docs), "--records-path", "r", "--repeat", "1", "--json", str(out)])
    err = capsys.readouterr().err.splitlines()
    assert status == 2 and not out.exists()
    assert err[0] == "mapper: no records to measure: the input holds none (null at `r`, read as an empty array)"
    assert any(line.startswith("mapper: note: ") and "null" in line for line in err[1:]), err
