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


# ---------------------------------------------------------------------------------------
# The benchmark scripts, run with -m: their help names them so

_ROOT = Path(__file__).parents[1]


@pytest.mark.parametrize("script", ["documents_rss", "serve_load", "gen", "spark_bench", "warnings_cost"])
def test_benchmark_help_names_the_module_run(script: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    monkeypatch.syspath_prepend(str(_ROOT))
    module = importlib.import_module(f"benchmarks.{script}")
    with pytest.raises(SystemExit) as exc:
        module.main(["--help"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: python -m benchmarks.{script} ")


def test_contenders_run_as_a_script_says_it_is_a_library() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "benchmarks.contenders", "--help"], cwd=_ROOT, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, ""), done
    assert "benchmarks.contenders is a library" in done.stderr and "python -m benchmarks.run" in done.stderr, done.stderr
