"""Issue 15, "a newcomer's first hour": one test (at least) per item of the issue.

Each test is named after the item it holds to; the README says what was chosen where the
issue left a choice. Real data from ../shared/data is read in place, skipped when absent.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import mapper
from mapper._version import DISTRIBUTION
from mapper.cli import main
from mapper.infer import InferError, infer

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
SEED = ROOT / "examples" / "aircraft" / "records.ndjson"
README = (ROOT / "README.md").read_text()
# ../shared/data: next to the checkout, or next to the directory of worktrees
DATA = Path(
    os.environ.get("MAPPER_SHARED_DATA")
    or next((p for p in (ROOT.parent / "shared" / "data", ROOT.parents[1] / "shared" / "data") if p.is_dir()), ROOT.parent / "shared" / "data")
)


@dataclass
class Ran:
    returncode: int
    out: str
    err: str


def run(*args: Any, input: bytes = b"") -> Ran:
    """``mapper ARGS`` in this process (what ``python -m mapper`` runs), stdin from ``input``.

    In process rather than a subprocess per call: these tests stay quick on a busy machine
    (tests/test_cli.py runs them in this process too, through tests/cli_inproc.py, with real
    pipes on descriptors 0-2, and holds that to ``python -m mapper`` run as a subprocess).
    """
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", write_through=True)  # with .buffer: map -o - writes bytes
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", write_through=True)
    stdin = io.TextIOWrapper(io.BytesIO(input))
    saved = sys.stdin
    sys.stdin = stdin
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main([str(a) for a in args])
            except SystemExit as exc:  # argparse: usage errors, --help, --version
                code = int(exc.code or 0)
    finally:
        sys.stdin = saved
    return Ran(code, out_bytes.getvalue().decode(), err_bytes.getvalue().decode())


def ndjson(*records: Any) -> bytes:
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def seed(i: int = 0, **data: Any) -> dict[str, Any]:
    """A seed-page aircraft record, its data fields overridden."""
    rec = json.loads(SEED.read_text().splitlines()[i])
    rec["data"].update(data)
    return rec


def corpus(rel: str) -> Path:
    path = DATA / rel
    if not path.is_file():
        pytest.skip(f"{path} is not here (../shared/data is only on the development machines)")
    return path


@pytest.fixture()
def bad(tmp_path: Path) -> Path:
    """Two aircraft records: one with two errors and a warning, one cut off."""
    path = tmp_path / "bad.ndjson"
    path.write_bytes(ndjson(seed(1, lat="bad", track=999, icaoId=5), b'{"id": "x", "timestamp": 1'))
    return path


# ---------------------------------------------------------------------------------------
# Reports


def test_text_report_names_the_sink_column_and_the_path_the_sender_wrote(bad: Path) -> None:
    p = run("validate", SINK, bad)
    assert p.returncode == 1
    assert "  lat (path data.lat)  invalid_value  1 time\n" in p.out
    assert "  track (path data.track)  out_of_range  1 time\n" in p.out
    assert "  icao_id (path data.icaoId)  string_from_value  1 time\n" in p.out
    assert "  (record)  invalid_json  1 time\n" in p.out  # the record as a whole: no column, no path


def test_several_files_name_the_file_of_each_error_and_warning_in_text_and_json(bad: Path, tmp_path: Path) -> None:
    other = tmp_path / "other.ndjson"
    other.write_bytes(ndjson(seed(0)))  # a float_decimal warning (long -43.416)
    p = run("validate", SINK, other, bad)
    assert f"record 1, {bad} line 1: Expected `decimal`" in p.out
    assert f"record 2, {bad} line 2: Invalid JSON" in p.out
    assert f"record 0, {other} line 1: float arithmetic" in p.out
    report = json.loads(run("validate", SINK, other, bad, "--report", "json").out)
    assert {w["file"] for w in report["warnings"]} == {str(other), str(bad)}
    assert all(e["file"] == str(bad) for e in report["errors"])
    assert all(str(bad) in w["message"] or str(other) in w["message"] for w in report["warnings"])
    # one file: no file names anywhere
    one = json.loads(run("validate", SINK, bad, "--report", "json").out)
    assert not any("file" in e for e in one["errors"] + one["warnings"])


def test_group_record_shows_each_records_errors_and_warnings_together(bad: Path) -> None:
    p = run("validate", SINK, bad, "--group", "record")
    lines = p.out.splitlines()
    start = lines.index("  record 0, line 1: 2 errors, 1 warning")
    assert lines[start + 1].startswith("    error    lat (path data.lat)  invalid_value: Expected `decimal`")
    assert lines[start + 2].startswith("    error    track (path data.track)  out_of_range: value 999")
    assert lines[start + 3].startswith("    warning  icao_id (path data.icaoId)  string_from_value:")
    assert lines[start + 4] == "  record 1, line 2: 1 error"
    # --examples caps the records listed
    p = run("validate", SINK, bad, "--group", "record", "--examples", "1")
    assert "record 1, line 2" not in p.out and "... and 1 more record (--examples N lists more)" in p.out


def test_a_kind_of_warning_can_be_silenced_and_is_still_counted(tmp_path: Path) -> None:
    path = tmp_path / "empty.ndjson"
    path.write_bytes(ndjson(*[seed(1, reg="", icaoId=7) for _ in range(5)]))
    p = run("validate", SINK, path, "--ignore-warning", "empty_string")
    assert "empty_string" not in p.out.split("silenced")[0] and "string_from_value" in p.out
    assert "silenced warnings (--ignore-warning): empty_string 5" in p.out
    assert "; 5 warnings" in p.out.splitlines()[0]  # the verdict counts what is shown
    report = json.loads(run("validate", SINK, path, "--ignore-warning", "empty_string,string_from_value", "--report", "json").out)
    assert report["warnings"] == [] and report["warning_counts"] == []
    assert report["silenced_warnings"] == {"empty_string": 5, "string_from_value": 5}
    assert json.loads(run("validate", SINK, path, "--ignore-warning", "all", "--report", "json").out)["silenced_warnings"]
    # --strict errors are not warnings: no option silences them
    strict = run("validate", SINK, path, "--strict", "--ignore-warning", "all")
    assert strict.returncode == 1 and "lossy_value" in strict.out
    p = run("validate", SINK, path, "--ignore-warning", "empty_strin")
    assert p.returncode == 2 and "unknown warning kind 'empty_strin' (did you mean 'empty_string'?)" in p.err
    for blank in ("", " , "):  # found by a bug hunt: --ignore-warning "$UNSET" was taken, silencing nothing without a word
        p = run("validate", SINK, path, "--ignore-warning", blank)
        assert p.returncode == 2 and p.out == "" and f"--ignore-warning {blank!r} names no warning kind; the kinds are float_truncated" in p.err
    # the API: the same on a report
    report_obj = mapper.compile_sink(SINK).validate(path.read_bytes())
    report_obj.silence({"empty_string"})
    assert report_obj.silenced_warnings == {"empty_string": 5} and all(w.kind != "empty_string" for w in report_obj.warnings)
    # an unknown kind (a typo) silenced nothing without a word (found by a bug hunt): named, as on the CLI
    with pytest.raises(mapper.OptionError, match=r"silence: unknown warning kind 'string_from_valu' \(did you mean 'string_from_value'\?\)"):
        report_obj.silence({"string_from_valu"})
    report_obj.silence("string_from_value")  # one kind as a str, not its letters
    assert report_obj.silenced_warnings == {"empty_string": 5, "string_from_value": 5}
    from mapper.engine.runner import run as run_engine

    options = mapper.MapOptions(ignore_warnings=frozenset({"bogus"}))  # (what --ignore-warning fills in)
    with pytest.raises(mapper.OptionError, match="ignore_warnings: unknown warning kind 'bogus'"):
        run_engine(mapper.compile_sink(SINK).compiled, path.read_bytes(), options, output=False)


def test_examples_caps_the_examples_of_each_group(tmp_path: Path) -> None:
    path = tmp_path / "many.ndjson"
    path.write_bytes(ndjson(*[seed(i % 3, track=400 + i) for i in range(6)]))
    assert run("validate", SINK, path).out.count("is out of range") == 3  # the default
    assert run("validate", SINK, path, "--examples", "5").out.count("is out of range") == 5
    zero = run("validate", SINK, path, "--examples", "0")
    assert "is out of range" not in zero.out and "track (path data.track)  out_of_range  6 times" in zero.out
    assert run("validate", SINK, path, "--examples", "-1").returncode == 2


def test_quiet_prints_the_verdict_line_only_and_nothing_on_stderr(bad: Path) -> None:
    p = run("validate", SINK, bad, "-q")
    assert p.returncode == 1 and p.err == ""
    assert p.out.splitlines() == [p.out.splitlines()[0]] and p.out.startswith("REFUSED: both records would be refused")
    # asked-for JSON is still printed in full
    assert json.loads(run("validate", SINK, bad, "-q", "--report", "json").out)["failed_records"] == 2
    m = run("map", SINK, bad, "-o", "-", "-q")
    assert m.err == "" and m.out == ""


def test_skip_where_every_record_fails_is_refused_not_accepted_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "all-bad.ndjson"
    path.write_bytes(ndjson(seed(0, track=999)))
    p = run("validate", SINK, path, "--on-error", "skip")
    assert p.returncode == 1
    assert p.out.startswith("REFUSED: the only record would be refused (out_of_range 1)")
    assert "ACCEPTED" not in p.out
    report = json.loads(run("validate", SINK, path, "--on-error", "skip", "--report", "json").out)
    assert (report["verdict"], report["success_count"], report["error_count"]) == ("refused", 0, 1)
    m = run("map", SINK, path, "--on-error", "skip", "-o", "-")
    assert m.returncode == 1 and m.out == "" and "refused: the only record would be refused" in m.err


def test_counts_are_worded_in_the_singular_and_with_the_right_article(tmp_path: Path) -> None:
    one = tmp_path / "one.ndjson"
    one.write_bytes(ndjson(seed(0)))
    out = run("validate", SINK, one).out + run("map", SINK, one, "-o", "-").err
    two = tmp_path / "two.ndjson"
    two.write_bytes(ndjson(seed(0, track=999), seed(1, track=999), seed(2)))
    out += run("validate", SINK, two, "--on-error", "skip", "--max-errors", "1").out
    draft = tmp_path / "draft.ndjson"
    draft.write_bytes(ndjson({"id": 1, "v": 1}, {"id": 2, "v": "x"}))
    out += run("infer", draft).err
    bad_sink = tmp_path / "bad-sink.json"
    bad_sink.write_text(json.dumps([{"name": "a", "path": ["a"], "type": "string"}]))
    out += run("check", bad_sink, "--id-field", "a", "--allow-missing-fields").out
    assert "ACCEPTED: 1 record, it would be stored" in out
    assert "1 row written" in out
    assert "2 records failed (out_of_range 2), more than max_errors allows (1)" in out
    assert "inferred 2 columns from 2 records" in out and "1 conflict, 0 paths skipped" in out
    assert "1 error, 0 warnings" in out and "is a string column" in out
    for wrong in ("(s)", "1 records", "1 conflicts", "1 errors", "1 times", "1 rows", " a int ", " a id "):
        assert wrong not in out, wrong
    checked = mapper.check_sink([{"name": "a", "path": ["a"], "type": "int", "config": {"Scale": 2}}], id_field="a", allow_missing_fields=True)
    assert "does not apply to an int column" in checked.problems[0].message


def _infer_reason(data: bytes, **options: Any) -> str:
    (example,) = infer(ndjson({"id": 1}) + data, **options).bad_examples
    return str(example["reason"])


def _validate_reason(data: bytes, **options: Any) -> str:
    sink = [{"name": "id", "path": ["id"], "type": "int"}]
    report = mapper.compile_sink(mapper.load_sink(sink, id_field="id", allow_missing_fields=True)).validate(ndjson({"id": 1}) + data, **options)
    (error,) = report.errors
    return error.reason


@pytest.mark.parametrize(
    "record",
    [b'{"id": 2, "v": ', b'{"id": 2} x', b'{"id": tru}', b'{"id": 2, "v": [1, 2}', b"[1, 2]", b'"text"'],
    ids=["truncated", "trailing", "bad-literal", "bad-bracket", "array", "string"],
)
def test_infer_and_validate_word_each_fault_alike(record: bytes) -> None:
    assert _infer_reason(record) == _validate_reason(record)


def test_infer_and_validate_word_an_oversized_record_alike() -> None:
    record = b'{"id": 2, "v": "' + b"x" * 2000 + b'"}'
    assert _validate_reason(record, max_record_size=1024).startswith(_infer_reason(record, max_record_size=1024))


def test_infer_reads_as_records_what_validate_reads_as_records() -> None:
    # invalid UTF-8 (replaced, as Go does) and a number beyond float64 (refused by the endpoint in any column)
    result = infer(ndjson({"id": 1, "v": "a", "n": 5}, b'{"id": 2, "v": "\xff", "n": 6}', b'{"id": 3, "v": "b", "n": 1e400}'))
    assert result.bad_records == 0 and result.records == 3
    assert any(n.startswith("n: 1 number beyond the float64 range") and "record 2" in n for n in result.notes)
    assert "only numbers beyond the float64 range" in infer(ndjson({"id": 1}, b'{"id": 2, "n": 1e400}')).skipped["n"]


# ---------------------------------------------------------------------------------------
# check

STAGED = {
    "name": "s",
    "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "t"},
    "schema": {
        "id_field": "rid",
        "allow_missing_fields": "no",
        "definition": [
            {"name": "rid", "path": ["id"], "type": "string"},
            {"name": "a", "path": ["data"], "type": "string"},
            {"name": "b", "path": ["data", "x"], "type": "int"},
            {"name": "a", "path": ["data", "x"], "type": "int"},
            {"name": "c", "path": ["q"], "type": "decimal", "config": {"Scale": 99}},
        ],
    },
}


def test_check_reports_everything_it_can_know_in_one_pass() -> None:
    result = mapper.check_sink(STAGED)
    got = {(p.severity, p.code, p.pointer) for p in result.problems}
    assert got == {
        ("error", "wrong-type", "/schema/allow_missing_fields"),
        ("error", "duplicate-name", "/schema/definition/3/name"),
        ("error", "invalid-scale", "/schema/definition/4/config/Scale"),
        # these three were only found once the errors above were fixed
        ("error", "identity-type", "/schema/id_field"),
        ("warning", "same-path", "/schema/definition/3/path"),
        ("warning", "prefix-path", "/schema/definition/2/path"),
        ("warning", "prefix-path", "/schema/definition/3/path"),
    }
    # fixing the first errors brings no new ones: every problem was there at once
    fixed = json.loads(json.dumps(STAGED))
    fixed["schema"]["allow_missing_fields"] = True
    fixed["schema"]["definition"][3]["name"] = "d"
    fixed["schema"]["definition"][4]["config"]["Scale"] = 2
    after = {(p.severity, p.code, p.pointer) for p in mapper.check_sink(fixed).problems}
    assert after <= got
    # an identity naming an entry that has errors of its own is not called unknown
    broken = {"id_field": "n", "allow_missing_fields": True, "definition": [{"name": "n", "path": ["n"], "type": "nope"}]}
    assert [p.code for p in mapper.check_sink(broken).errors] == ["unknown-type"]


def test_check_json_summarises_a_valid_sink() -> None:
    p = run("check", SINK, "--format", "json")
    data = json.loads(p.out)
    assert data["valid"] is True
    assert data["summary"] == run("check", SINK).out.splitlines()[0].removeprefix("ok: ")
    sink = data["sink"]
    assert sink["name"] == "aircraft_positions" and sink["primary_key_fields"] == ["record_id"] and sink["allow_missing_fields"] is False
    assert sink["types"] == {"string": 8, "timestamp": 1, "decimal": 2, "int": 3}
    assert sink["columns"][12] == {"name": "icao_id", "path": "data.icaoId", "type": "string", "pointer": "/schema/definition/12"}
    invalid = json.loads(run("check", "--format", "json", ROOT / "examples" / "aircraft" / "definition.json").out)
    assert set(invalid) == {"valid", "problems"} and invalid["valid"] is False


# ---------------------------------------------------------------------------------------
# infer


def test_the_database_id_placeholder_is_said_once_by_infer_not_by_every_validate(tmp_path: Path) -> None:
    p = run("infer", SEED)
    assert p.returncode == 0
    assert p.err.count("<database_id>") == 1 and "fill in" in p.err
    draft = tmp_path / "draft.json"
    draft.write_text(p.out)
    v = run("validate", draft, SEED)
    assert v.returncode == 0 and v.err == ""  # no "1 warning about draft.json (see: mapper check ...)"
    assert "see: mapper check" not in run("map", draft, SEED, "-o", "-").err
    c = run("check", draft)
    assert "note: /sink_details/database_id: sink_details.database_id is the placeholder '<database_id>'" in c.out
    assert not [x for x in mapper.check_sink(draft).problems if x.severity == "warning"]
    # a real database id that is no UUID is still a warning
    body = json.loads(p.out)
    body["sink_details"]["database_id"] = "prod"
    assert [x.code for x in mapper.check_sink(body).problems if x.severity == "warning"] == ["not-a-uuid"]


def test_a_mixed_type_path_takes_the_type_storing_most_values_and_offers_the_choice(tmp_path: Path) -> None:
    rows = [{"hex": f"a{i}", "alt_baro": "ground" if i % 10 == 3 else 1000 + i} for i in range(40)]
    path = tmp_path / "adsb.ndjson"
    path.write_bytes(ndjson(*rows))
    p = run("infer", path)
    body = json.loads(p.out)
    (alt,) = [e for e in body["schema"]["definition"] if e["path"] == ["alt_baro"]]
    assert alt["type"] == "int"
    assert 'int       36 stored as sent, 4 refused with their records, e.g. "ground"  (chosen)' in p.err
    assert "string    4 stored as sent, 36 changed (see mapper validate's warnings)  --type alt_baro=string" in p.err
    draft = tmp_path / "draft.json"
    draft.write_text(p.out)
    report = json.loads(run("validate", draft, path, "--report", "json").out)
    assert report["error_counts"] == [{"column": "alt_baro", "code": "invalid_value", "count": 4}] and report["warning_counts"] == []
    # the alternative, taken
    body = json.loads(run("infer", path, "--type", "alt_baro=string").out)
    assert [e["type"] for e in body["schema"]["definition"] if e["path"] == ["alt_baro"]] == ["string"]
    assert run("infer", path, "--type", "alt_baro=float").returncode == 2


def test_adsb_alt_baro_is_an_int_column() -> None:
    result = infer(corpus("adsb/aircraft.ndjson"))
    c = result.conflicts["alt_baro"]
    assert c["type"] == "int" and c["refused"] == 10 and c["example_refused"] == "ground"
    report = mapper.compile_sink(result.body).validate(corpus("adsb/aircraft.ndjson").read_bytes())
    assert ("alt_baro", "string_from_value") not in report.warning_counts


def test_an_identity_is_never_stored_changed_the_exact_string_twin_is_taken() -> None:
    big = 505874924095815681
    rows = [{"id": big + i, "id_str": str(big + i), "text": f"t{i}"} for i in range(5)]
    result = infer(ndjson(*rows))
    schema = result.body["schema"]
    assert schema["id_field"] == "id_str" and schema["definition"][0] == {"name": "id_str", "path": ["id_str"], "type": "id"}
    assert "id" in result.skipped and "2^53" in result.skipped["id"]
    batch = mapper.compile_sink(result.body).map(ndjson(*rows))
    assert [int(x) for x in batch.ids] == [big + i for i in range(5)]  # exact
    assert not batch.report.warnings
    # without a twin, an id beyond 2^53 is not taken as the identity
    lone = [{"id": big + i, "name": f"n{i}"} for i in range(3)]
    assert infer(ndjson(*lone)).body["schema"]["primary_key_fields"] == ["name"]


def test_twitter_statuses_take_id_str() -> None:
    result = infer(corpus("json-corpora/twitter-statuses.ndjson"))
    assert result.body["schema"]["id_field"] == "id_str"
    assert "in_reply_to_status_id" in result.skipped  # its exact twin in_reply_to_status_id_str is mapped


def test_identity_candidates_are_listed_and_a_chosen_key_is_checked_for_uniqueness() -> None:
    rows = [{"user": {"login": f"u{i % 2}", "node": f"N{i}"}} for i in range(6)]
    with pytest.raises(InferError) as info:  # no field in every record: the closest are listed
        infer(ndjson({"seq": 0.5}, *rows[1:]))
    message = str(info.value)
    assert (
        "the closest: user.node (in 83.3% of the 6 records; as a primary key: every value distinct), user.login (in 83.3% of the 6 records; as a primary key: values repeat)"
        in message
    )
    # the fallback prefers a field whose values all differ, and says so
    result = infer(ndjson(*rows))
    assert result.body["schema"]["primary_key_fields"] == ["user_node"]
    assert any("every value distinct" in n for n in result.notes)
    # a chosen key whose values repeat: upserts, said
    result = infer(ndjson(*rows), primary_key_fields=["user.login"])
    assert any("user.login: its values repeat" in n for n in result.notes)
    # uniqueness is checked past the first thousand values too
    many = [{"id": f"k{i}"} for i in range(3000)] + [{"id": "k17"}]
    assert any("its values repeat" in n for n in infer(ndjson(*many)).notes)
    assert not any("repeat" in n for n in infer(ndjson(*many[:3000])).notes)


# ---------------------------------------------------------------------------------------
# Options and messages


def test_the_distribution_name_is_ours_and_hints_name_it() -> None:
    name = re.search(r'^name = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert name is not None and name.group(1) == DISTRIBUTION == "featurebase-mapper"
    assert f"pip install '{DISTRIBUTION}[arrow]'" in README
    assert DISTRIBUTION in run("--version").out
    err = mapper.MissingDependencyError
    try:
        mapper.errors.optional_import("no_such_module_for_mapper", "arrow", "something")
    except err as exc:
        assert f"pip install '{DISTRIBUTION}[arrow]' (from a checkout of mapper: pip install -e '.[arrow]')" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("no MissingDependencyError")


def test_max_errors_without_skip_is_a_usage_error_and_workers_on_stdin_says_what_happens() -> None:
    p = run("validate", SINK, SEED, "--max-errors", "3")
    assert p.returncode == 2 and "--max-errors only applies with --on-error skip" in p.err
    p = run("validate", SINK, "--workers", "2", input=SEED.read_bytes())
    assert p.returncode == 0 and "--workers 2: standard input is read as it comes" in p.err and "mapping in one process" in p.err


def test_help_and_usage_say_what_the_commands_take() -> None:
    map_help = " ".join(run("map", "--help").out.split())
    assert "SINK [RECORDS ...]" in map_help and "none: stdin" in map_help
    assert run("map", SINK, "-o", "-", input=SEED.read_bytes()).out.count("\n") == 3  # RECORDS optional, as for validate
    p = run("validate")
    assert p.returncode == 2 and p.err.strip().endswith("the following arguments are required: SINK")
    bench = " ".join(run("bench", "--help").out.split())
    assert "--repeat N" in bench and "--json FILE" in bench and "median" in bench and "--rejects" not in bench
    assert run("bench", SINK, SEED, "--rejects", "x.ndjson").returncode == 2
    assert "`mapper --version`" in README and "--json FILE" in README and "--repeat" in README


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pty")
def test_validate_on_a_terminal_says_it_reads_stdin() -> None:
    import pty
    import select

    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "mapper", "validate", str(SINK)], stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env
    )
    os.close(slave)
    try:
        assert proc.stderr is not None
        ready, _w, _x = select.select([proc.stderr], [], [], 30)
        assert ready, "nothing said while waiting on the terminal"
        line = proc.stderr.readline().decode()
        assert "reading records from standard input" in line and "Ctrl-D" in line
        os.write(master, SEED.read_bytes() + b"\x04")
        out, _err = proc.communicate(timeout=30)
        assert out.decode().startswith("ACCEPTED: 3 records")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)


def test_input_detection_hints(tmp_path: Path) -> None:
    # NDJSON whose lines are arrays: read a line at a time (each is one record that is not an object)
    arrays = tmp_path / "arrays.ndjson"
    arrays.write_bytes(b'["asin", "brand"]\n["B1", "Nokia"]\n["B2", "Moto"]\n')
    report = json.loads(run("validate", SINK, arrays, "--report", "json").out)
    assert report["error_counts"] == [{"column": None, "code": "not_an_object", "count": 3}]
    assert [e["line"] for e in report["errors"]] == [1, 2, 3]
    # a value spread over lines, then more: the hint to force NDJSON
    spread = tmp_path / "spread.ndjson"
    spread.write_bytes(b'[\n"a", 1]\n["b", 2]\n')
    assert "if each line is a record, say so with --input-format ndjson" in run("validate", SINK, spread).out
    # SINK and RECORDS swapped
    p = run("validate", SEED, SINK)
    assert p.returncode == 2 and "it looks like NDJSON records" in p.err and "the sink comes first, then the records" in p.err


def test_the_max_record_size_is_kept_below_the_chunk_size(tmp_path: Path) -> None:
    path = tmp_path / "big.ndjson"
    path.write_bytes(ndjson(seed(0), seed(1, reg="x" * 2000), seed(2)))
    for args in ([path], []):
        report = json.loads(run("validate", SINK, *args, "--max-record-size", "1K", "--report", "json", input=path.read_bytes()).out)
        assert [(e["record"], e["code"]) for e in report["errors"]] == [(1, "too_large")]


def test_to_arrow_and_to_pandas_are_in_the_readme() -> None:
    assert "batch.to_arrow()" in README and "batch.to_pandas()" in README
    assert hasattr(mapper.Batch, "to_arrow") and hasattr(mapper.Batch, "to_pandas")


def test_every_item_is_in_the_readme() -> None:
    """Each item is named in the README's overview and documented in full in docs/cli.md, which it links."""
    cli = (ROOT / "docs" / "cli.md").read_text()
    assert "(docs/cli.md)" in README
    for needle in ("--group column|record", "--examples N", "--ignore-warning KIND", "--type PATH=TYPE", "featurebase-mapper", "examples/README.md"):
        assert needle in README, needle
    for needle in (
        "### `--group column|record`",
        "### `--examples N`",
        "### `--ignore-warning KIND`",
        "### infer's choices",
        "* `--type PATH=TYPE`",
    ):
        assert needle in cli, needle
    assert re.search(r"### `-q`, `--quiet`\n\nnothing on stderr", cli)
