"""A user's hunt in ``mapper bench``: what it says when there is nothing to measure, or when
most of what it measures is the sink refusing the records. Behaviour only: no timing asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapper.cli import main

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"


def _bench(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(["bench", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("data", ["", "\n  \r\n\n", "[]"])
def test_no_records_is_an_error_not_a_figure_of_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: str) -> None:
    # printed "mapper: 0 records, 0.0 MB: 0 records/s, 0.0 MB/s (median of 1)", exit 0: a figure
    # a script took for a measurement of the sink
    empty = tmp_path / "empty.ndjson"
    empty.write_text(data)
    code, out, err = _bench(capsys, SINK, empty, "--repeat", "1")
    assert (code, out) == (2, ""), (code, out)
    assert err.startswith("mapper: no records to measure: the input holds none (empty, blank lines only, or an empty array)"), err
    figures = tmp_path / "figures.json"
    code, out, err = _bench(capsys, SINK, empty, "--repeat", "1", "--json", figures)
    assert (code, out) == (2, "") and "no records to measure" in err
    assert not figures.exists()  # (no figures of nothing left behind)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.ndjson"]
    code, out, err = _bench(capsys, SINK, empty, "--repeat", "1", "--json", "-")
    assert (code, out) == (2, "") and "no records to measure" in err


def test_no_records_in_several_inputs_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.ndjson"
    empty.write_text("")
    code, out, err = _bench(capsys, SINK, empty, empty, "--repeat", "1")
    assert (code, out) == (2, "") and err.startswith("mapper: no records to measure: none of the 2 inputs holds any"), err


def _refused(tmp_path: Path, bad: int, good: int = 0) -> Path:
    path = tmp_path / "mixed.ndjson"
    lines = [json.dumps({"id": f"r{i}", "data": {"x": 1}}) for i in range(bad)]
    path.write_text("".join(line + "\n" for line in lines) + "".join(RECORDS.read_text().splitlines(keepends=True)[:good]))
    return path


def test_mostly_refused_says_the_figures_are_of_refusing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # said only "the figures include refusing the others" of 0 stored of 5: the figure is all refusals
    code, out, err = _bench(capsys, SINK, _refused(tmp_path, 5), "--repeat", "1")
    assert code == 0
    assert "mapper: note: 0 of 5 records would be stored, 5 refused: the figures are mostly of refusing them, not of mapping" in err, err
    # the table itself says how many were refused, so -q (which silences the note) still tells
    assert out.startswith("mapper: 5 records (5 refused), "), out
    code, out, err = _bench(capsys, SINK, _refused(tmp_path, 5), "--repeat", "1", "-q")
    assert code == 0 and err == "" and out.startswith("mapper: 5 records (5 refused), "), (out, err)


def test_a_few_refused_keep_the_milder_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _bench(capsys, SINK, _refused(tmp_path, 1, good=3), "--repeat", "1", "--on-error", "skip")
    assert code == 0
    assert "mapper: note: 3 of 4 records would be stored: the figures include refusing the other 1" in err, err
    assert "mostly" not in err
    assert out.startswith("mapper: 4 records (1 refused), "), out


def test_a_batch_discarded_for_a_few_refused_is_not_called_refusing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # on_error reject: 1 bad record of 4 discards the batch, stored 0; the note said the figures were
    # mostly of refusing, when 3 of the 4 records were mapped (and the JSON had no count of the refused)
    code, out, err = _bench(capsys, SINK, _refused(tmp_path, 1, good=3), "--repeat", "1", "--on-error", "reject")
    assert code == 0
    assert "mapper: note: 0 of 4 records would be stored: 1 refused and the others discarded with the batch: the figures are of mapping them all" in err, err
    assert "mostly" not in err
    assert out.startswith("mapper: 4 records (1 refused, the batch discarded), "), out
    code, out, err = _bench(capsys, SINK, _refused(tmp_path, 1, good=3), "--repeat", "1", "--on-error", "reject", "--json", "-")
    figures = json.loads(out)["mapper"]
    assert (figures["records"], figures["stored"], figures["refused"]) == (4, 0, 1)


def test_all_stored_table_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _bench(capsys, SINK, RECORDS, "--repeat", "1")
    assert code == 0 and err == "" and out.startswith("mapper: 3 records, ") and "refused" not in out.splitlines()[0], out


def test_workers_table_says_refused_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _bench(capsys, SINK, _refused(tmp_path, 5), "--repeat", "1", "--workers", "2", "-q")
    assert code == 0 and out.startswith("mapper: 5 records (5 refused), "), out


# benchmarks/processes.py: a pyarrow script that cannot run was timed as a figure


def test_processes_does_not_time_a_failed_pyarrow_script() -> None:
    import sys

    from benchmarks import processes

    # the script's traceback exits 1, which mapper's partial batch also does: taken as a run
    with pytest.raises(RuntimeError, match="failed"):
        processes._medians({"pyarrow": [sys.executable, "-c", "import sys; sys.exit(1)"]}, 1)
    assert processes._medians({"mapper": [sys.executable, "-c", "import sys; sys.exit(1)"]}, 1)["mapper"] > 0  # (mapper's 1: partial)


def _fake_medians(seen: list[str], times: dict[str, float]):  # type: ignore[no-untyped-def]
    def medians(cmds: dict[str, list[str]], repeat: int) -> dict[str, float]:
        seen.extend(cmds)
        return {name: times.get(name, 1.0) for name in cmds}

    return medians


def test_processes_skips_pyarrow_when_it_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from benchmarks import processes

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    seen: list[str] = []
    monkeypatch.setattr(processes, "_medians", _fake_medians(seen, {}))
    result = processes.measure(records=10, repeat=1, formats=("npz",))
    assert not [name for name in seen if name.startswith("pyarrow")], seen
    assert "pyarrow is not installed" in result["skipped"] and result["formats"]["npz"]["ratio"] is None
    text = processes.format_result(result)
    assert "pyarrow script skipped" in text and "note: pyarrow is not installed" in text


def test_processes_gives_no_ratio_of_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    # a few records: the pyarrow script took less than its own fixed cost, and the ratio printed was -1.29x
    from benchmarks import processes

    times = {"mapper": 0.5, "mapper fixed": 0.4, "pyarrow": 0.4, "pyarrow fixed": 0.45}
    monkeypatch.setattr(processes, "_medians", _fake_medians([], times))
    result = processes.measure(records=10, repeat=1, formats=("npz",))
    assert result["formats"]["npz"]["ratio"] is None
    assert "pyarrow/mapper -\n" in processes.format_result(result) + "\n"


# benchmarks/*.py: a bad flag is a usage error naming the flag, not a traceback or a figure of nothing


@pytest.mark.parametrize(
    "module, argv, said",
    [
        ("producers", ["--records", "0", "--repeat", "1"], "argument --records: 0 is not above 0"),  # orjson's 'zero-length document'
        ("warnings_cost", ["--records", "10", "--repeat", "0"], "argument --repeat: 0 is not above 0"),
        ("processes", ["--records", "10", "--repeat", "0", "--formats", ""], "argument --repeat: 0 is not above 0"),
        ("serve_load", ["--clients", "0", "--bodies", "1", "--records", "1"], "argument --clients: 0 is not above 0"),  # ran: MISMATCH
        ("run", ["--records", "0", "--no-rss", "--contenders", "mapper"], "argument --records: 0 is not above 0"),
        ("rss", ["--contender", "mapper", "--generate", "x"], "argument --generate: 'x' is not a whole number"),
        ("rss", ["--contender", "nope", "--generate", "1"], "unknown contender(s) nope"),  # a ValueError's traceback
        ("rss", ["--contender", "mapper", "--data", "/nonexistent/records.ndjson"], "--data /nonexistent/records.ndjson: No such file"),
        ("documents_rss", ["--mb", "0"], "argument --mb: 0 is not above 0"),
        ("bigfile", ["--size-gb", "0"], "argument --size-gb: 0 is not a size above 0"),  # ZeroDivisionError after writing nothing
        ("bigfile", ["--size-gb", "0.00001", "--path", "/nonexistent/big.ndjson"], "no such directory /nonexistent"),
    ],
)
def test_benchmark_scripts_refuse_bad_flags(module: str, argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    import importlib

    mod = importlib.import_module(f"benchmarks.{module}")
    with pytest.raises(SystemExit) as exc:
        mod.main(argv)
    assert exc.value.code == 2
    out, err = capsys.readouterr()
    assert said in err and "Traceback" not in err, err


def test_run_with_your_own_sink_and_data_refuses_what_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import run

    empty = tmp_path / "empty.ndjson"
    empty.write_text("\n")
    cases = [
        ([str(SINK), str(tmp_path / "missing.ndjson")], "missing.ndjson: No such file"),
        ([str(RECORDS), str(RECORDS)], f"--sink {RECORDS}: invalid sink definition"),  # the records given as the sink
        ([str(SINK), str(empty)], "holds no records: nothing to measure"),  # a table of 0 records/s
    ]
    for (sink, data), said in cases:
        with pytest.raises(SystemExit) as exc:
            run.main(["--sink", sink, "--data", data, "--no-rss", "--contenders", "mapper", "--json", str(tmp_path / "out.json")])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert said in err, err
    assert not (tmp_path / "out.json").exists()


def test_bigfile_skips_an_arrow_output_without_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # wrote the file, ran map, which refused (exit 2), and printed its seconds, records/s and a PASS of peak RSS
    import importlib.util

    from benchmarks import bigfile

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "pyarrow" else real(name, *a))
    path = tmp_path / "big.ndjson"
    assert bigfile.main(["--size-gb", "0.00001", "--path", str(path), "--map-to", "parquet"]) == 0
    out, err = capsys.readouterr()
    assert "skipped: --map-to parquet needs pyarrow" in err and "records/s" not in out, (out, err)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def _with_pyspark(monkeypatch: pytest.MonkeyPatch) -> None:
    """The spark extra found whether or not it is installed (the tests of what is looked for after it)."""
    import importlib.machinery
    import importlib.util

    real = importlib.util.find_spec
    present = {name: importlib.machinery.ModuleSpec(name, None) for name in ("pyspark", "pyarrow", "pandas")}
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: real(name, *a) or present.get(name))


@pytest.mark.parametrize("lacking", ["pyspark", "java"])
def test_spark_bench_skips_without_pyspark_or_java(lacking: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # wrote the records, then each master's child died on the import with a traceback, exit 1
    import importlib.util
    import shutil

    from benchmarks import spark_bench

    real = importlib.util.find_spec
    if lacking == "java":
        monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
        monkeypatch.delenv("JAVA_HOME", raising=False)
        _with_pyspark(monkeypatch)  # (Java is looked for once pyspark is found)
    else:
        monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == lacking else real(name, *a))

    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("a master's child ran")

    monkeypatch.setattr(spark_bench.subprocess, "run", no_child)
    assert spark_bench.main(["--records", "10", "--repeat", "1", "--json", str(tmp_path / "spark.json")]) == 0
    err = capsys.readouterr().err
    said = "pyspark is not installed (pip install 'featurebase-mapper[spark]')" if lacking == "pyspark" else "Java is not on PATH"
    assert err.startswith("skipped: ") and said in err, err
    assert list(tmp_path.iterdir()) == []


def test_spark_bench_looks_for_java_where_spark_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Spark's launcher runs $JAVA_HOME/bin/java when JAVA_HOME is set, else the PATH's java: the
    # benchmark looked at the PATH alone, so with Java in JAVA_HOME only it said "skipped: Java is
    # not on PATH" (and ran `java -version` for its figures, a FileNotFoundError after every run);
    # with a JAVA_HOME that holds no java, each master's child died starting Spark
    from benchmarks import spark_bench

    home, bare = tmp_path / "jdk", tmp_path / "bin"
    (home / "bin").mkdir(parents=True)
    bare.mkdir()
    java = home / "bin" / "java"
    java.write_text("#!/bin/sh\necho 'openjdk version \"17.0.99\" 2026-01-01' >&2\n")
    java.chmod(0o755)
    monkeypatch.setenv("JAVA_HOME", str(home))
    monkeypatch.setenv("PATH", str(bare))
    _with_pyspark(monkeypatch)  # (Java is looked for once the spark extra is found)
    assert spark_bench._missing() is None
    assert spark_bench._java_version() == 'openjdk version "17.0.99" 2026-01-01'
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "gone"))
    monkeypatch.setenv("PATH", str(home / "bin"))
    assert spark_bench._missing() == f"JAVA_HOME ({tmp_path / 'gone'}) has no bin/java: Spark runs that one; set JAVA_HOME to a JDK (Java 17), or unset it"
    monkeypatch.delenv("JAVA_HOME")
    assert spark_bench._missing() is None and spark_bench._java_version().startswith('openjdk version "17.0.99"')


def test_spark_bench_masters_keep_their_bracketed_commas() -> None:
    # local[N,F] (N threads, F task retries) is one master: --masters "local[4,2],local[1]" was cut at
    # every comma, into "local[4" and "2]", each child failing on its master with a Java trace
    from benchmarks import spark_bench

    assert spark_bench._masters("local[4,2], local[1],,local[*]") == ["local[4,2]", "local[1]", "local[*]"]
    assert spark_bench._masters("local-cluster[2,1,1024],spark://h:7077") == ["local-cluster[2,1,1024]", "spark://h:7077"]


def test_run_with_your_own_sink_gives_a_figure_and_a_note_for_a_discarded_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # allow_missing_fields false and a record missing its fields: the endpoint discards the batch, so
    # map raises BatchRejected; the table said "failed: discarded: ..." with no figure, where mapper
    # bench measures the mapping and says what the figures are of
    from benchmarks import run

    data = tmp_path / "missing.ndjson"
    data.write_text(json.dumps({"id": "x1", "timestamp": 1659981468260, "data": {"aircraftId": "A"}}) + "\n" + RECORDS.read_text())
    out_json = tmp_path / "out.json"
    assert run.main(["--sink", str(SINK), "--data", str(data), "--no-rss", "--contenders", "mapper", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    row = json.loads(out_json.read_text())["result"]["contenders"][0]
    assert row["status"] == "ok" and row["records"] == 4 and row["records_per_s"], row
    assert (row["stored"], row["refused"]) == (0, 1), row
    note = "note: mapper: 0 of 4 records would be stored: 1 refused and the others discarded with the batch: the figures are of mapping them all"
    assert note in out, out
    assert "failed" not in out, out


def test_run_with_your_own_sink_all_stored_has_no_refusal_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks import run

    out_json = tmp_path / "out.json"
    assert run.main(["--sink", str(SINK), "--data", str(RECORDS), "--no-rss", "--contenders", "mapper", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    row = json.loads(out_json.read_text())["result"]["contenders"][0]
    assert row["status"] == "ok" and (row["records"], row["stored"], row["refused"]) == (3, 3, 0), row
    assert "would be stored" not in out, out
