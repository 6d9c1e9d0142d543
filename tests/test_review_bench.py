"""A review of ``mapper bench`` (mapper/bench.py), path by path: what it says of an input it
maps in one process though ``--workers`` was given, of a cut compressed standard input, ..."""

from __future__ import annotations

import gzip
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
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"
LINES = RECORDS.read_bytes().splitlines(keepends=True)


def _bench(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["bench", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("data", [LINES[0], b"\n\n" + LINES[0] + b"\n\n"])
def test_workers_on_an_input_of_one_range_measure_one_process(data: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # one line cannot be cut into ranges: the run maps it in this process, no worker started, yet
    # the table said "(median of 1, 1 worker process)" and "stages: not measured with --workers
    # (each worker times its own range)", the JSON stages null and stats {} (no path counts)
    path = tmp_path / "one.ndjson"
    path.write_bytes(data)
    code, out, err = _bench(capsys, SINK, path, "--repeat", "1", "--workers", "2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith("(median of 1)") and "worker" not in out, out
    assert lines[1].startswith("  stages: decode ") and lines[2].startswith("  fast path: "), out
    code, out, err = _bench(capsys, SINK, path, "--repeat", "1", "--workers", "2", "--json", "-")
    figures = json.loads(out)["mapper"]
    assert figures["workers"] == 1 and figures["stages"] is not None and figures["stats"]["fast_records"] + figures["stats"]["careful_records"] == 1, figures
    # (in the API too: measure_mapper's figures of one range)
    measured = bench.measure_mapper(compile_definition(load_sink(str(SINK))), data, 1, MapOptions(workers=2))
    assert measured.figures["workers"] == 1 and measured.figures["stages"] is not None


def test_a_cut_gzip_on_stdin_is_said_of_standard_input(tmp_path: Path) -> None:
    # "mapper: cannot read the input: Compressed file ended before ...": validate says "cannot read
    # standard input", and bench of a cut .gz file names the file
    from tests.cli_inproc import run_main

    packed = gzip.compress(b"".join(LINES))
    ran = run_main("bench", SINK, "-", "--repeat", "1", input=packed[: len(packed) // 2])
    assert ran.returncode == 2 and ran.out == ""
    assert ran.err.startswith("mapper: cannot read standard input: Compressed file ended before the end-of-stream marker was reached"), ran.err


@pytest.mark.parametrize("workers", [1, 2])
def test_refused_records_are_not_kept_as_map_keeps_none(workers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # each run kept every refused record, its text and its errors, in its report (the API's default),
    # where map and validate keep none: 100,000 refused aircraft records took 337 MB and 30 s a run
    # against 109 MB and 19 s (the collector scanning them all), a figure map never gives
    from mapper.engine import core, parallel

    reports = []
    real_finish, real_parallel = core.Engine.finish, parallel.run_parallel

    def finish(self: core.Engine) -> object:
        got = real_finish(self)
        reports.append(got[1])
        return got

    def run_parallel(*args: object, **kwargs: object) -> object:
        got = real_parallel(*args, **kwargs)  # type: ignore[arg-type]
        reports.append(got[1])
        return got

    monkeypatch.setattr(core.Engine, "finish", finish)
    monkeypatch.setattr(bench, "run_parallel", run_parallel, raising=False)
    data = b"".join(b'{"id": "r%d", "data": {"x": 1}}\n' % i for i in range(40))
    measured = bench.measure_mapper(compile_definition(load_sink(str(SINK))), data, 2, MapOptions(workers=workers))
    assert (measured.figures["workers"], measured.figures["refused"]) == (workers, 40)
    assert len(reports) == 3 and all(r.failed_records == 40 and r.rejected == [] for r in reports), [len(r.rejected) for r in reports]
