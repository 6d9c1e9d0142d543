"""Small fixes: bench's worker count, the benchmark scripts' program names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

# ---------------------------------------------------------------------------------------
# mapper bench --workers N: how many processes mapped


def _bench(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    from mapper.cli import main

    code = main(["bench", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bench_inputs(tmp_path: Path) -> tuple[Path, Path]:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps({"allow_missing_fields": True, "id_field": "k", "definition": [{"name": "k", "path": ["k"], "type": "id"}]}))
    records = tmp_path / "r.ndjson"
    records.write_text("".join(f'{{"k": {i}}}\n' for i in range(2000)))
    return sink, records


def test_bench_says_how_many_workers_mapped(bench_inputs: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    sink, records = bench_inputs
    code, out, _err = _bench(capsys, sink, records, "--repeat", "1", "--workers", "2", "--json", "-")
    assert code == 0
    assert json.loads(out)["mapper"]["workers"] == 2
    code, out, _err = _bench(capsys, sink, records, "--repeat", "1", "--workers", "2")
    assert code == 0 and out.splitlines()[0].endswith("(median of 1, 2 worker processes)"), out
    # without --workers: one process, said in the JSON and not in the table
    code, out, _err = _bench(capsys, sink, records, "--repeat", "1", "--json", "-")
    assert code == 0 and json.loads(out)["mapper"]["workers"] == 1
    code, out, _err = _bench(capsys, sink, records, "--repeat", "1")
    assert code == 0 and out.splitlines()[0].endswith("(median of 1)"), out


def test_bench_help_names_workers(capsys: pytest.CaptureFixture[str]) -> None:
    from mapper.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["bench", "--help"])
    assert exc.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "worker processes that mapped (workers: 1 without --workers)" in text
    assert "how many worker processes mapped" in text
