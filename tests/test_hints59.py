"""Hints and notes that name something that works when pasted (session hints59): each test failed before its fix."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from cli_inproc import run_main
from sinks import column, sink

import mapper.commands

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = ROOT / "examples" / "aircraft" / "records.ndjson"
_MIB = 1 << 20


def _command(said: str, before: str) -> list[str]:
    """The words of the command in parentheses after ``before`` in ``said``."""
    match = re.search(re.escape(before) + r" \((mapper [^()]*)\)", said)
    assert match is not None, said
    return shlex.split(match[1])


# ---------------------------------------------------------------------------------------
# 1. the sink given twice, as SINK and as RECORDS


@pytest.mark.parametrize(
    ("command", "records"),
    [
        (["validate", "sink.json", "sink.json"], "sink.json"),
        (["validate", "sink.json", "./sink.json", "--allow-missing-fields"], "./sink.json"),
        (["map", "sink.json", "-o", "o.npz", "sink.json"], "sink.json"),
        (["bench", "sink.json", "sink.json", "--repeat", "1"], "sink.json"),
    ],
)
def test_the_sink_given_as_its_own_records_is_told_so_and_the_commands_that_work(tmp_path: Path, command: list[str], records: str) -> None:
    """``mapper validate sink.json sink.json`` mapped the definition as one record, an error per column, and ended with
    "the sink comes first, then the records (mapper validate SINK RECORDS)": the order given. Now a usage error saying
    the file is the sink, with the command that gives the records after it (run here with them) and check's."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    (tmp_path / "r.ndjson").write_bytes(RECORDS.read_bytes())
    ran = run_main(*command, cwd=tmp_path)
    assert ran.returncode == 2 and "Missing value" not in ran.out + ran.err, ran.out + ran.err
    assert "mapper: sink.json is given as SINK and as RECORDS" in ran.err and "it is the sink definition, not records" in ran.err, ran.err
    words = _command(ran.err, "give the records after it")
    assert words.count("RECORDS") == 1 and words[:3] == ["mapper", command[0], "sink.json"], words
    again = run_main(*[("r.ndjson" if w == "RECORDS" else w) for w in words[1:]], "--allow-missing-fields", cwd=tmp_path)
    assert again.returncode == 0, again.err
    check = _command(ran.err, "or check the sink alone")
    assert check[:3] == ["mapper", "check", "sink.json"] and run_main(*check[1:], cwd=tmp_path).returncode == 0


def test_records_given_twice_as_sink_and_records_are_told_what_they_were_before(tmp_path: Path) -> None:
    """Not a sink: the sink's own error, as before, and no word of a sink given as records."""
    (tmp_path / "r.ndjson").write_bytes(RECORDS.read_bytes())
    ran = run_main("validate", "r.ndjson", "r.ndjson", cwd=tmp_path)
    assert ran.returncode == 2 and "mapper: invalid sink r.ndjson" in ran.err and "given as SINK and as RECORDS" not in ran.err, ran.err


# ---------------------------------------------------------------------------------------
# 5. the sink and the records given the other way round: files sniffed by a prefix, positional arguments swapped alone


def test_records_and_sink_swapped_keep_an_option_naming_the_same_word(tmp_path: Path) -> None:
    """``mapper validate aircraft sink --records-path aircraft`` (a records file named as its records path) was told
    ``mapper validate sink aircraft --records-path sink``: every word equal to a file's name swapped."""
    (tmp_path / "sink").write_bytes(SINK.read_bytes())
    (tmp_path / "aircraft").write_text(json.dumps({"aircraft": [json.loads(line) for line in RECORDS.read_text().splitlines()]}))
    ran = run_main("validate", "aircraft", "sink", "--records-path", "aircraft", cwd=tmp_path)
    assert ran.returncode == 2, ran.err
    words = _command(ran.err, "the sink comes first, then the records")
    assert words == ["mapper", "validate", "sink", "aircraft", "--records-path", "aircraft"], words
    assert run_main(*words[1:], cwd=tmp_path).returncode == 0


def test_records_and_sink_swapped_read_no_records_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each file given as RECORDS was checked as a sink, read whole up to 64 MiB (8 of them: 512 MiB read on the
    error path of a sink that was refused); now only one of at most SNIFF_BYTES (1 MiB) whose text names a definition."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    line = RECORDS.read_text().splitlines()[0] + "\n"
    big = tmp_path / "big.ndjson"
    big.write_text(line * (2 * _MIB // len(line)))
    (tmp_path / "r.ndjson").write_bytes(RECORDS.read_bytes())
    given: list[Any] = []
    real = mapper.commands.check_sink

    def check_sink(source: Any, **options: Any) -> Any:
        given.append(source)
        return real(source, **options)

    monkeypatch.setattr(mapper.commands, "check_sink", check_sink)
    ran = run_main("validate", "r.ndjson", "big.ndjson", "r.ndjson", "sink.json", cwd=tmp_path)
    assert ran.returncode == 2 and "mapper: sink.json is a sink definition" in ran.err, ran.err
    # the refused SINK itself, then the one records file that names a definition, by a prefix of its text
    assert [type(g).__name__ for g in given[1:]] == ["bytes"] and len(given[1]) <= _MIB, given[1:]


# ---------------------------------------------------------------------------------------
# 4. a dot path whose key holds a space: what to write, quoted to be pasted


def _sink_doc(path: Any) -> dict[str, Any]:
    return sink(column("k", "string"), column("v", "string", path=path), name="s", table="t", primary_key_fields=["k"])


@pytest.mark.parametrize(("given", "meant"), [("a.my key", 'a."my key"'), ("my key", '"my key"'), ("a.my key.b", 'a."my key".b')])
def test_a_dot_path_with_a_spaced_key_is_told_what_to_write_quoted_for_a_shell(tmp_path: Path, given: str, meant: str) -> None:
    """``a.my key`` was told ``a."my key"`` bare, where ``$.my key.b[0]`` is told ``write '"my key".b[0]'``: pasted into
    a shell (``infer --type``, ``--primary-key-fields``), the bare one lost its double quotes, and read 'a.my key' again."""
    (tmp_path / "s.json").write_text(json.dumps(_sink_doc(given)))
    ran = run_main("check", "s.json", cwd=tmp_path)
    assert ran.returncode == 2, ran.out
    match = re.search(r"is written in double quotes: write ('[^']*') \(or give", ran.out)
    assert match is not None, ran.out
    assert shlex.split(match[1]) == [meant], match[1]  # (one word to a shell: the path meant)
    (tmp_path / "s.json").write_text(json.dumps(_sink_doc(meant)))
    fixed = run_main("check", "s.json", cwd=tmp_path)
    assert fixed.returncode == 0 and "warning" not in fixed.out, fixed.out


# ---------------------------------------------------------------------------------------
# 3. a compressed sink: the file its hint unpacks it to is named as the text it holds, and the command makes it


def _packed(data: bytes, layers: str) -> bytes:
    import bz2
    import gzip
    import lzma

    for layer in layers.split(","):
        data = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[layer](data)
    return data


@pytest.mark.parametrize(
    ("name", "layers", "there", "unpack", "out"),
    [
        ("entries.ndjson.gz", "gz", [], "gzip -dc entries.ndjson.gz", "entries.ndjson"),  # (was entries.ndjson.json)
        ("sink.jsonl.bz2", "bz2", [], "bzip2 -dc sink.jsonl.bz2", "sink.jsonl"),  # (was sink.jsonl.json)
        ("entries.ndjson.xz", "xz", ["entries.ndjson"], "xz -dc entries.ndjson.xz", "entries-2.ndjson"),
        ("sink.json.gz", "gz", [], "gzip -dc sink.json.gz", "sink.json"),
        ("sink.json.gz", "bz2", [], "bzip2 -dc sink.json.gz", "sink.json"),  # (named gz, bzip2 by its bytes)
        ("sink", "gz", [], "gzip -dc sink", "sink.json"),
        ("sink.gz", "gz", [], "gzip -dc sink.gz", "sink.json"),
        # compressed twice: one gzip -dc left compressed data in sink.json, which check then refused again
        ("sink.json.gz.gz", "gz,gz", [], "gzip -dc sink.json.gz.gz | gzip -dc", "sink.json"),
        ("entries.ndjson.gz.xz", "gz,xz", [], "xz -dc entries.ndjson.gz.xz | gzip -dc", "entries.ndjson"),  # (was entries.ndjson.gz.json)
    ],
)
def test_a_compressed_sinks_hint_unpacks_it_to_a_file_named_as_its_text(
    tmp_path: Path, name: str, layers: str, there: list[str], unpack: str, out: str
) -> None:
    import shutil
    import subprocess

    (tmp_path / name).write_bytes(_packed(SINK.read_bytes(), layers))
    for taken in there:
        (tmp_path / taken).write_text("{}")
    ran = run_main("check", name, cwd=tmp_path)
    assert ran.returncode == 2 and f"(unpack it first: {unpack} > {out}, then give {out})" in ran.out, ran.out
    if all(shutil.which(tool) for tool in ("gzip", "bzip2", "xz")):  # (the command, pasted, makes a sink check takes)
        subprocess.run(f"{unpack} > {out}", shell=True, cwd=tmp_path, check=True)
        assert run_main("check", out, cwd=tmp_path).returncode == 0


def test_a_compressed_tar_archive_given_as_the_sink_is_told_the_tar_that_takes_its_file_out(tmp_path: Path) -> None:
    """``sink.tar.gz`` was told ``gzip -dc sink.tar.gz > sink.tar.json``: a tar archive named as a sink."""
    import io
    import tarfile

    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        archive.add(SINK, arcname="conf/aircraft.json")
    (tmp_path / "sink.tar.gz").write_bytes(packed.getvalue())
    ran = run_main("check", "sink.tar.gz", cwd=tmp_path)
    assert ran.returncode == 2 and "sink file sink.tar.gz is a gzip-compressed tar archive, not JSON text" in ran.out, ran.out
    assert (
        "(unpack it first: tar -xOf sink.tar.gz conf/aircraft.json > aircraft.json (tar -tf sink.tar.gz lists the files it holds), then give aircraft.json)"
        in ran.out
    )
    import shutil
    import subprocess

    if shutil.which("tar"):
        subprocess.run("tar -xOf sink.tar.gz conf/aircraft.json > aircraft.json", shell=True, cwd=tmp_path, check=True)
        assert run_main("check", "aircraft.json", cwd=tmp_path).returncode == 0


# ---------------------------------------------------------------------------------------
# 6. a sink whose paths no record holds, under allow_missing_fields true: every row stored all-null, exit 0, unsaid

SAID = "the sink and the records may not belong together"
#: Records of another feed (the aircraft sink reads data.*, timestamp and id: these hold id alone of them).
OTHER = [{"id": f"r{i}", "hex": f"a{i}", **({"alt": 100 * i} if i else {})} for i in range(5)]


def _allowing(tmp_path: Path, records: list[Any], allow: bool = True) -> None:
    doc = json.loads(SINK.read_text())
    doc["schema"]["allow_missing_fields"] = allow
    (tmp_path / "sink.json").write_text(json.dumps(doc))
    (tmp_path / "r.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records))


def _said(notes: list[str]) -> str:
    found = [n for n in notes if SAID in n]
    assert len(found) == 1, notes
    return found[0]


@pytest.mark.parametrize("given", [[], ["--allow-missing-fields"]])
def test_validate_under_allow_missing_fields_says_no_record_holds_the_sinks_paths(tmp_path: Path, given: list[str]) -> None:
    """Under allow_missing_fields true no missing value is counted, so the note (from the run's counts) was never
    given: every record was ACCEPTED, exit 0, every column but the identity null, and nothing said so."""
    _allowing(tmp_path, OTHER, allow=not given)
    ran = run_main("validate", "sink.json", "r.ndjson", *given, "--report", "json", cwd=tmp_path)
    assert ran.returncode == 0, ran.err  # (the exit status is the endpoint's verdict: every record would be stored)
    note = _said(json.loads(ran.out)["notes"])
    assert note.startswith("no record holds the path of any column the sink maps (each of its 13 columns besides the identity is missing in every record;")
    assert "under allow_missing_fields true such records are stored with those columns null" in note, note
    assert '"hex" (in 5), "alt" (in 4)' in note and "`mapper infer r.ndjson > sink-2.json`" in note, note
    text = run_main("validate", "sink.json", "r.ndjson", *given, cwd=tmp_path)
    assert text.returncode == 0 and f"note: {note}" in text.out, text.out


def test_map_and_bench_under_allow_missing_fields_say_it_too(tmp_path: Path) -> None:
    _allowing(tmp_path, OTHER)
    ran = run_main("map", "sink.json", "r.ndjson", "-o", "out.parquet", cwd=tmp_path)
    assert ran.returncode == 0 and SAID in ran.err, ran.err
    bench = run_main("bench", "sink.json", "r.ndjson", "--repeat", "1", cwd=tmp_path)
    assert bench.returncode == 0 and _said(bench.err.splitlines()).startswith("mapper: note: no record holds the path"), bench.err
    figures = run_main("bench", "sink.json", "r.ndjson", "--repeat", "1", "--json", "-", cwd=tmp_path)
    assert figures.returncode == 0 and "under allow_missing_fields true" in _said(json.loads(figures.out)["mapper"]["notes"])


def test_bench_says_it_of_records_refused_for_the_sinks_paths(tmp_path: Path) -> None:
    """bench said "0 of 5 records would be stored ... (mapper validate says why)" and validate's notes, but not this one."""
    _allowing(tmp_path, OTHER, allow=False)
    bench = run_main("bench", "sink.json", "r.ndjson", "--repeat", "1", cwd=tmp_path)
    assert bench.returncode == 0 and "0 of 5 records would be stored" in bench.err, bench.err
    assert "(each of its 13 columns besides the identity is missing in every record)" in _said(bench.err.splitlines())


@pytest.mark.parametrize("command", [["validate"], ["bench", "--repeat", "1"]])
def test_a_document_whose_records_are_in_an_array_is_told_the_records_path_not_to_draft_a_sink(tmp_path: Path, command: list[str]) -> None:
    """A dump1090 document read without --records-path: the reader's note names `aircraft`; the note that the
    sink and the records may not belong together came after it, proposing `mapper infer doc.json > sink.json`
    (a sink of one record, `now` and `aircraft`), where the sink fits the records the document holds."""
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps({"now": 1, "aircraft": [json.loads(line) for line in RECORDS.read_text().splitlines()]}))
    ran = run_main(command[0], SINK, doc, *command[1:], cwd=tmp_path)
    said = ran.out + ran.err  # (validate says its notes in the report, on stdout; bench on stderr)
    assert "use --records-path aircraft" in said and "may not belong together" not in said, said


def test_of_more_records_than_it_reads_it_says_the_first_ones(tmp_path: Path) -> None:
    _allowing(tmp_path, [{"id": f"r{i}", "hex": "a"} for i in range(150)])
    note = _said(json.loads(run_main("validate", "sink.json", "r.ndjson", "--report", "json", cwd=tmp_path).out)["notes"])
    assert note.startswith("none of the first 100 records holds the path of any column the sink maps") and "missing in each of them;" in note, note


@pytest.mark.parametrize(
    "records",
    [
        [*OTHER, {"id": "x", "data": {"lat": 1.5}}],  # (one record holds one column's path: the records are the sink's, some lack keys)
        [{"id": "x", "data": None}],  # (data null: a path under it is null there, not missing)
    ],
)
def test_not_under_allow_missing_fields_when_a_record_holds_a_path(tmp_path: Path, records: list[Any]) -> None:
    _allowing(tmp_path, records)
    ran = run_main("validate", "sink.json", "r.ndjson", "--report", "json", cwd=tmp_path)
    assert ran.returncode == 0 and not [n for n in json.loads(ran.out)["notes"] if SAID in n], ran.out


# ---------------------------------------------------------------------------------------
# 2. JSONPath's recursive descent ($..x): refused as "empty key" alone; now said what it is, and where the records hold x

_WRITE = re.compile(r"write ('[^']*')")


@pytest.mark.parametrize(
    ("given", "key", "example"),
    [("$..x", "x", "a.b.x"), ("..x", "x", "a.b.x"), ("$.data..x[0]", "x", "data.a.b.x[0]"), ("$..['my key'].b", '"my key"', 'a.c."my key".b')],
)
def test_a_column_path_with_recursive_descent_is_told_what_it_is_and_what_to_write(given: str, key: str, example: str) -> None:
    from mapper.errors import PathSyntaxError
    from mapper.paths import parse_path

    with pytest.raises(PathSyntaxError) as caught:
        parse_path(given)
    hint = caught.value.hint
    assert hint.startswith(f".. is JSONPath's recursive descent ({key} at any depth), which a path does not take"), hint
    assert hint.endswith(f"as in {example}"), hint
    parse_path(example)  # (what it shows parses)


@pytest.mark.parametrize("given", ['$..["\\q"]', '$..["\\u12"].b', '$.a..["\\x"]'])
def test_a_descent_into_a_bracketed_key_that_is_no_json_string_is_a_path_error_not_a_traceback(given: str) -> None:
    from mapper.errors import PathSyntaxError
    from mapper.paths import parse_path

    with pytest.raises(PathSyntaxError):  # (json.loads's JSONDecodeError escaped from the hint)
        parse_path(given)


@pytest.mark.parametrize("where", ["records path", "column path"])
def test_a_descent_into_a_bracketed_key_that_is_no_json_string_is_a_usage_error_naming_where(tmp_path: Path, where: str) -> None:
    bad = '$..["\\q"]'
    (tmp_path / "sink.json").write_text(json.dumps(_sink_doc(bad if where == "column path" else ["v"])))
    (tmp_path / "r.ndjson").write_text('{"k": "1", "v": "x"}\n')
    more = ["--records-path", bad] if where == "records path" else []
    ran = run_main("validate", "sink.json", "r.ndjson", *more, cwd=tmp_path)
    named = "--records-path" if where == "records path" else "/schema/definition/1/path"
    assert ran.returncode == 2 and named in ran.err and "JSONDecodeError" not in ran.err, ran.err


def test_a_records_path_with_recursive_descent_is_told_what_it_is() -> None:
    from mapper.errors import OptionError
    from mapper.paths import records_path_keys

    with pytest.raises(OptionError) as caught:
        records_path_keys("$..aircraft[*]")
    assert "recursive descent (aircraft at any depth), which a records path does not take" in str(caught.value), caught.value


def test_validate_tells_a_column_path_with_recursive_descent_where_the_records_hold_its_key(tmp_path: Path) -> None:
    doc = json.loads(SINK.read_text())
    entries = doc["schema"]["definition"]
    at = next(i for i, e in enumerate(entries) if e["name"] == "lat")
    entries[at]["path"] = "$..lat"
    (tmp_path / "sink.json").write_text(json.dumps(doc))
    (tmp_path / "r.ndjson").write_bytes(RECORDS.read_bytes())
    ran = run_main("validate", "sink.json", "r.ndjson", cwd=tmp_path)
    assert ran.returncode == 2 and "recursive descent" in ran.err, ran.err
    line = next(x for x in ran.err.splitlines() if x.startswith(f"mapper: /schema/definition/{at}/path: "))
    assert line.endswith("the records hold the key lat at one place: write 'data.lat'"), line
    entries[at]["path"] = shlex.split(_WRITE.findall(line)[0])[0]  # (what it says, written in)
    (tmp_path / "sink.json").write_text(json.dumps(doc))
    assert run_main("validate", "sink.json", "r.ndjson", cwd=tmp_path).returncode == 0
    # held at two places: both named, each a path that reads one of them
    (tmp_path / "r.ndjson").write_text(json.dumps({"id": "a", "data": {"lat": 1}, "pos": {"lat": 2}}) + "\n")
    entries[at]["path"] = "$..lat"
    (tmp_path / "sink.json").write_text(json.dumps(doc))
    ran = run_main("validate", "sink.json", "r.ndjson", cwd=tmp_path)
    assert "the records hold the key lat at 2 places: 'data.lat', 'pos.lat' (write the one meant)" in ran.err, ran.err


def test_validate_tells_a_records_path_with_recursive_descent_the_array_it_means(tmp_path: Path) -> None:
    aircraft = [json.loads(line) for line in RECORDS.read_text().splitlines()]
    (tmp_path / "feed.json").write_text(json.dumps({"now": 1, "feed": {"aircraft": aircraft}}))
    ran = run_main("validate", SINK, "feed.json", "--records-path", "$..aircraft[*]", cwd=tmp_path)
    assert ran.returncode == 2 and "feed.json holds one array at a key aircraft: write 'feed.aircraft'" in ran.err, ran.err
    again = run_main("validate", SINK, "feed.json", "--records-path", shlex.split(_WRITE.findall(ran.err)[-1])[0], cwd=tmp_path)
    assert again.returncode == 0, again.err
    (tmp_path / "two.json").write_text(json.dumps({"a": {"aircraft": aircraft}, "b": {"aircraft": aircraft}, "c": {"aircraft": 1}}))
    ran = run_main("validate", SINK, "two.json", "--records-path", "$..aircraft", cwd=tmp_path)
    assert "two.json holds 2 arrays at a key aircraft: 'a.aircraft', 'b.aircraft' (write the one meant)" in ran.err, ran.err


@pytest.mark.parametrize("command", [["send", "--dry-run"], ["bench", "--repeat", "1"], ["map", "-o", "o.ndjson"]])
def test_every_command_taking_a_sink_and_records_tells_where_they_hold_a_descents_key(tmp_path: Path, command: list[str]) -> None:
    """send has none of validate's mapping options: reading its records for the hint failed on one (a traceback)."""
    doc = json.loads(SINK.read_text())
    doc["schema"]["definition"][3]["path"] = "$..lat"
    (tmp_path / "sink.json").write_text(json.dumps(doc))
    (tmp_path / "r.ndjson").write_bytes(RECORDS.read_bytes())
    ran = run_main(command[0], "sink.json", "r.ndjson", *command[1:], cwd=tmp_path)
    assert ran.returncode == 2 and "mapper: /schema/definition/3/path: the records hold the key lat at one place: write 'data.lat'" in ran.err, ran.err


# ---------------------------------------------------------------------------------------
# 5. (stop 60) --records-path as a JSON array of keys: the hint for a key holding white space offers it, pasted as it is


def _feed(tmp_path: Path) -> None:
    (tmp_path / "sink.json").write_text(json.dumps(_sink_doc(["v"])))
    (tmp_path / "doc.json").write_text(json.dumps({"my feed": [{"k": "a", "v": "x"}, {"k": "b", "v": 2}]}))


def test_a_records_path_given_as_a_json_array_of_keys_reads_what_the_quoted_path_reads(tmp_path: Path) -> None:
    _feed(tmp_path)
    listed = run_main("validate", "sink.json", "doc.json", "--records-path", '["my feed"]', "--report", "json", cwd=tmp_path)
    quoted = run_main("validate", "sink.json", "doc.json", "--records-path", '"my feed"', "--report", "json", cwd=tmp_path)
    assert listed.returncode == quoted.returncode == 0, (listed.err, quoted.err)
    assert json.loads(listed.out)["records"] == 2 and json.loads(listed.out) == json.loads(quoted.out)


def test_the_array_a_records_path_with_a_spaced_key_is_told_to_give_runs_when_pasted(tmp_path: Path) -> None:
    _feed(tmp_path)
    told = run_main("validate", "sink.json", "doc.json", "--records-path", "my feed", cwd=tmp_path)
    assert told.returncode == 2, told.err
    said = re.search(r"as an array of keys: ('\[[^']*\]')\)", told.err)
    assert said is not None, told.err
    (pasted,) = shlex.split(said[1])  # (one word for a shell: the bare ["my feed"] was two)
    ran = run_main("validate", "sink.json", "doc.json", "--records-path", pasted, "--report", "json", cwd=tmp_path)
    assert ran.returncode == 0 and json.loads(ran.out)["records"] == 2, ran.err


@pytest.mark.parametrize(("given", "said"), [("[0]", "takes no index"), ('["a", 1]', "invalid path"), ("[]", "leave the records path out")])
def test_an_array_that_is_no_list_of_keys_is_still_read_as_a_path_and_told_what_to_write(tmp_path: Path, given: str, said: str) -> None:
    _feed(tmp_path)
    ran = run_main("validate", "sink.json", "doc.json", "--records-path", given, cwd=tmp_path)
    assert ran.returncode == 2 and said in ran.err, ran.err
