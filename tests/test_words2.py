"""Wording gaps, second round: each message says why and names what it knows (the file, the base of a share, where an answer came from)."""

from __future__ import annotations

import contextlib
import json
import shlex
from pathlib import Path

from tests.cli_inproc import run_main
from tests.test_words import SEVEN_BAD, SINK


def test_the_json_report_of_a_discarded_batch_says_why(tmp_path: Path) -> None:
    sink, data, missing = tmp_path / "sink.json", tmp_path / "r.ndjson", tmp_path / "m.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(SEVEN_BAD)
    over = json.loads(run_main("validate", sink, data, "--on-error", "skip", "--max-errors", "3", "--report", "json").out)
    assert (over["verdict"], over["reject_reason"]) == ("discarded", "7 records failed, more than max_errors allows (3)")
    strict = json.loads(json.dumps(SINK))
    strict["schema"]["allow_missing_fields"] = False
    sink.write_text(json.dumps(strict))
    missing.write_bytes(b'{"id": 1, "v": 1}\n{"id": 2}\n')
    lacking = json.loads(run_main("validate", sink, missing, "--report", "json").out)
    assert (lacking["verdict"], lacking["reject_reason"]) == ("discarded", "allow_missing_fields is false and 1 mapped value is missing")
    kept = json.loads(run_main("validate", sink, data, "--report", "json").out)
    assert (kept["verdict"], kept["reject_reason"]) == ("partial", None)  # (the key is there, null, when nothing is discarded)


def test_send_and_infer_note_a_file_given_twice(tmp_path: Path) -> None:
    sink, data = tmp_path / "sink.json", tmp_path / "r.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(b'{"id": 1, "v": 1}\n{"id": 2, "v": 2}\n')
    sent = run_main("send", "sink.json", "r.ndjson", "r.ndjson", "--dry-run", cwd=tmp_path)
    assert "mapper send: note: r.ndjson is given twice (inputs 1 and 2 of 2): its records are read and counted twice\n" in sent.err
    said = json.loads(run_main("send", "sink.json", "r.ndjson", "./r.ndjson", "--dry-run", "--report", "json", cwd=tmp_path).out)
    assert said["notes"] == ["r.ndjson (input 1) and ./r.ndjson (input 2) are the same file: its records are read and counted twice"]
    drafted = run_main("infer", "r.ndjson", "r.ndjson", "--id-field", "id", cwd=tmp_path)
    assert "note: r.ndjson is given twice (inputs 1 and 2 of 2): its records are read and counted twice\n" in drafted.err
    (tmp_path / "k.ndjson").write_bytes(b'{"k": 1}\n{"k": 2}\n')
    failed = run_main("infer", "k.ndjson", "k.ndjson", cwd=tmp_path)  # (no identity: each value repeats, because the file is read twice)
    assert failed.returncode == 2 and failed.err.endswith(
        "mapper: note: k.ndjson is given twice (inputs 1 and 2 of 2): its records are read and counted twice\n"
    )
    once = run_main("send", "sink.json", "r.ndjson", "--dry-run", cwd=tmp_path)
    assert "given twice" not in once.err


def test_the_reader_s_jq_hints_name_the_file_and_pipe_stdin_through_the_command(tmp_path: Path) -> None:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    inputs = {
        "my bodies.ndjson": (b'{"records": [{"value": {"id": 1, "v": 1}}]}\n' * 2, "`jq -c '.records[].value' {}`"),
        "arrays.ndjson": (b'[{"id": 1, "v": 1}, {"id": 2, "v": 2}]\n' * 3, "`jq -c '.[]' {}`, NDJSON of records"),
        "rows.ndjson": (b'["id", "v"]\n[1, 2]\n[3, 4]\n', "| add' {}`, NDJSON of records"),
    }
    for name, (data, command) in inputs.items():
        (tmp_path / name).write_bytes(data)
        named = run_main("validate", "sink.json", name, cwd=tmp_path).out
        assert command.format(shlex.quote(name)) in named, named
        piped = run_main("validate", "sink.json", "-", input=data, cwd=tmp_path).out  # (no file to name: ... | jq)
        assert command.split(" {}")[0].lstrip("`") in piped and "`... | jq -c " in piped and "FILE" not in piped, piped


def test_infer_s_min_presence_note_says_its_base() -> None:
    from mapper.infer import infer

    data = b'{"id": "a", "r": 1}\n{"id": "b"}\nnot json\n{"id": "c"}\n{"id": "d", "r": 2}\n'
    assert infer(data, min_presence=0.9).skipped["r"] == "present in 50.0% of the 4 records that parsed, below --min-presence 0.9"
    clean = infer(b'{"id": "a", "r": 1}\n{"id": "b"}\n', min_presence=0.9)
    assert clean.skipped["r"] == "present in 50.0% of the 2 records, below --min-presence 0.9"


def test_a_sink_file_with_a_closing_bracket_too_many_says_so(tmp_path: Path) -> None:
    sink = tmp_path / "sink.json"
    text = json.dumps(SINK)
    for extra, said in (("}", "a } with no { open at line 1 column"), ("\n]\n", "a ] with no [ open at line 2 column 1:")):
        sink.write_text(text + extra)
        out = run_main("check", "sink.json", cwd=tmp_path).out
        assert f"sink file sink.json is not valid JSON: {said}" in out and "one too many, or the definition's end is earlier" in out, out
        assert "NDJSON" not in out and "Extra data" not in out, out
    sink.write_text('{"definition": []}}')
    assert "not valid JSON: a } with no { open at line 1 column 19: one too many, or the definition's end is earlier" in run_main("check", sink).out
    sink.write_text('{"a": 1}\n{"b": 2}\n')  # (records: another value after it, not a bracket, keeps its note)
    assert "it looks like NDJSON records" in run_main("check", sink).out


def test_send_says_an_answer_not_in_the_service_s_words_may_not_be_the_service_s(tmp_path: Path) -> None:
    import socket

    from tests.test_send_faults import answer, endpoint

    page = b"<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><hr>nginx</body></html>"

    def proxy(conn: socket.socket, _head: bytes, _body: bytes, n: int) -> None:
        if n == 1:
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(page) + page)
        else:  # (the service's own refusal keeps its words)
            answer(conn, 403, b'{"code": "Forbidden", "message": "no access to this sink"}')

    sink, data = tmp_path / "sink.json", tmp_path / "r.ndjson"
    sink.write_text(json.dumps(SINK))
    data.write_bytes(b'{"id": 1, "v": 1}\n')
    with endpoint(proxy) as fake:
        foreign = run_main("send", sink, data, "--endpoint", fake.url, "-q", timeout=30)
        own = run_main("send", sink, data, "--endpoint", fake.url, "-q", timeout=30)
    assert foreign.err.startswith(
        "mapper send: stopped: a body was refused at the endpoint's address, not in the service's words: it may not be the service"
        ' (a proxy or another server): the endpoint answered 403 Forbidden (text/html): "403 Forbidden 403 Forbidden nginx"'
    ), foreign.err
    assert "the service refused" not in foreign.err
    assert own.err.startswith("mapper send: stopped: the service refused a body: 403 Forbidden: no access to this sink"), own.err


def test_the_lone_cr_hint_names_the_file(tmp_path: Path) -> None:
    import mapper
    from mapper.engine.parallel import FileRange, _map_range
    from mapper.options import MapOptions

    sink, lone = tmp_path / "sink.json", tmp_path / "mac lines.ndjson"
    sink.write_text(json.dumps(SINK))
    lone.write_bytes(b'{"id": 1, "v": 1}\r{"id": 2, "v": 2}\r')
    named, unnamed = "`tr '\\r' '\\n' < 'mac lines.ndjson'`", "`... | tr '\\r' '\\n'`"
    assert named in run_main("validate", "sink.json", "mac lines.ndjson", cwd=tmp_path).out
    assert unnamed in run_main("validate", "sink.json", "-", input=lone.read_bytes(), cwd=tmp_path).out
    assert named in run_main("infer", "mac lines.ndjson", cwd=tmp_path).err
    m = mapper.compile_sink(SINK)
    hint = named.replace("'mac lines.ndjson'", f"'{lone}'")
    assert m.validate(lone).errors[0].reason.endswith(hint)
    assert next(m.iter_batches(lone, records=10)).report.errors[0].reason.endswith(hint)
    assert m.validate(lone.read_bytes()).errors[0].reason.endswith("`tr '\\r' '\\n' < FILE`")  # (bytes: no input to name)
    size = lone.stat().st_size  # (a worker's range of the file: --workers N)
    part = _map_range(m.compiled, FileRange(lone, 0, size), MapOptions(), False, True, whole=True)
    assert part.report.errors[0].reason.endswith(hint)


def test_a_document_s_hints_and_notes_name_the_file(tmp_path: Path) -> None:
    """The jq and tr commands the reader's document errors and lone-CR note give name the file,
    shell-quoted, in every report (text, JSON, --rejects) and from the API: they said FILE."""
    import io

    import mapper

    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    arrays, snaps, mac = tmp_path / "my arrays.json", tmp_path / "snap shots.json", tmp_path / "mac doc.json"
    arrays.write_bytes(b'[{"id": 1, "v": 1},\n{"id": 2, "v": 2}]\n[{"id": 3, "v": 3}]\n')
    snaps.write_bytes(json.dumps([{"aircraft": [{"id": 1, "v": 1}]}, {"aircraft": [{"id": 2, "v": 2}]}]).encode())
    mac.write_bytes(b'[{"id": 1, "v": 1},\r{"id": 2, "v": "x"}]\r')
    jq = "(`jq -c '.[]' {}`) and give that"
    # arrays one after another (a document read whole): the text report, the JSON one, the dead letter
    out = run_main("validate", "sink.json", "my arrays.json", "--report", "json", "--rejects", "r.ndjson", cwd=tmp_path).out
    assert jq.format("'my arrays.json'") + " instead" in json.loads(out)["errors"][0]["message"]
    assert jq.format("'my arrays.json'") in json.loads((tmp_path / "r.ndjson").read_text())["errors"][0]["message"]
    assert jq.replace("jq -c '.[]' {}", "... | jq -c '.[]'") in run_main("validate", "sink.json", "-", input=arrays.read_bytes(), cwd=tmp_path).out
    m = mapper.compile_sink(SINK)
    assert m.validate(arrays).errors[0].reason.endswith(jq.format(shlex.quote(str(arrays))) + " instead")
    assert m.validate(arrays.read_bytes()).errors[0].reason.endswith(jq.format("FILE") + " instead")
    # a document's elements that each hold the records path
    with_path = jq.format("'snap shots.json'") + " with --records-path aircraft"
    assert with_path in run_main("validate", "sink.json", "snap shots.json", "--records-path", "aircraft", cwd=tmp_path).out
    assert with_path in run_main("infer", "snap shots.json", "--records-path", "aircraft", cwd=tmp_path).err
    with snaps.open("rb") as fh:  # (an open file's name)
        assert m.validate(fh, records_path="aircraft").errors[0].reason.endswith(with_path.replace("'snap shots.json'", shlex.quote(str(snaps))))
    # the lone-CR note of a document read whole
    tr = "`tr '\\r' '\\n' < {}`"
    assert json.loads(run_main("validate", "sink.json", "mac doc.json", "--report", "json", cwd=tmp_path).out)["notes"][0].endswith(tr.format("'mac doc.json'"))
    assert m.validate(mac).notes[0].endswith(tr.format(shlex.quote(str(mac))))
    assert m.validate(io.BytesIO(mac.read_bytes())).notes[0].endswith(tr.format("FILE"))


def test_send_s_lone_cr_hint_names_the_file(tmp_path: Path) -> None:
    sink, lone = tmp_path / "sink.json", tmp_path / "mac lines.ndjson"
    sink.write_text(json.dumps(SINK))
    lone.write_bytes(b'{"id": 1, "v": 1}\r{"id": 2, "v": 2}\r')
    named = "`tr '\\r' '\\n' < 'mac lines.ndjson'`"
    sent = run_main("send", "sink.json", "mac lines.ndjson", "--dry-run", "--rejects", "dead.ndjson", cwd=tmp_path)
    assert json.loads((tmp_path / "dead.ndjson").read_text())["errors"][0]["message"].startswith(
        f"Invalid JSON: trailing characters at char 19; the lines end in a lone CR (carriage return) and NDJSON lines end in LF (\\n): convert them first, e.g. {named}"
    ), sent.err
    assert "`... | tr '\\r' '\\n'`" in run_main("send", "sink.json", "-", "--dry-run", input=lone.read_bytes(), cwd=tmp_path).err


def test_validate_s_note_on_the_first_lines_of_several_inputs_names_the_file(tmp_path: Path) -> None:
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    for name in ("a 1.ndjson", "b.ndjson"):
        (tmp_path / name).write_bytes(b'[{"id": 1, "v": 1}, {"id": 2, "v": 2}]\n[{"id": 3, "v": 3}]\n')
    notes = json.loads(run_main("validate", "sink.json", "a 1.ndjson", "b.ndjson", "--report", "json", cwd=tmp_path).out)["notes"]
    said = (
        "a 1.ndjson: each of the first 2 lines holds a JSON array of objects, not one record: if those are the records, put them"
        " one a line (`jq -c '.[]' 'a 1.ndjson'`, NDJSON of records) and give that instead"
    )
    assert notes == [said]
    # (and bench's, which read the files into memory: one input's named, several's as validate's)
    assert f"mapper: note: {said}\n" in run_main("bench", "sink.json", "a 1.ndjson", "b.ndjson", "--repeat", "1", cwd=tmp_path).err
    assert "(`jq -c '.[]' b.ndjson`" in run_main("bench", "sink.json", "b.ndjson", "--repeat", "1", cwd=tmp_path).err


def test_the_serve_database_note_names_the_file(tmp_path: Path) -> None:
    import sqlite3

    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    with contextlib.closing(sqlite3.connect(tmp_path / "my db.sqlite")) as db:
        db.execute("create table t (x)")
    said = "(mapper serve --db {} --query SINK_ID prints the rows a mapper serve database holds)"
    assert said.format("'my db.sqlite'") in run_main("validate", "sink.json", "my db.sqlite", cwd=tmp_path).out
    assert said.format("'my db.sqlite'") in run_main("check", "my db.sqlite", cwd=tmp_path).out
    (tmp_path / "r.ndjson").write_bytes(b'{"id": 1, "v": 1}\n')  # (of several inputs, its own note)
    assert (
        f"note: my db.sqlite is an SQLite database, not JSON text: give the records as NDJSON, a JSON array or a request body {said.format(shlex.quote('my db.sqlite'))}"
        in (run_main("validate", "sink.json", "r.ndjson", "my db.sqlite", cwd=tmp_path).out)
    )
    # (standard input: no FILE to give --db, written to a file first; test_hints57)
    assert (
        "(... > serve.db, then " + said[1:].format("serve.db")
        in run_main("validate", "sink.json", "-", input=(tmp_path / "my db.sqlite").read_bytes(), cwd=tmp_path).out
    )


def _packed(path: Path, data: bytes, tool: str) -> None:
    import bz2
    import gzip
    import lzma

    path.write_bytes({"gzip": lambda d: gzip.compress(d, mtime=0), "bzip2": bz2.compress, "xz": lzma.compress}[tool](data))


def test_a_compressed_input_s_hints_unpack_it_into_their_commands(tmp_path: Path) -> None:
    """mapper reads a .gz, .bz2 or .xz input unpacked, and jq, tr and iconv read no compressed
    file: the commands the hints give read its text through the tool that unpacks it
    (`gzip -dc 'a 1.ndjson.gz' | jq -c '.[]'`), where they were given the compressed file."""
    import mapper

    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    inputs = {  # name: (text, tool, the command run on the text)
        "a 1.ndjson.gz": (b'[{"id": 1, "v": 1}, {"id": 2, "v": 2}]\n' * 3, "gzip", "jq -c '.[]'"),
        "mac lines.ndjson.bz2": (b'{"id": 1, "v": 1}\r{"id": 2, "v": 2}\r', "bzip2", "tr '\\r' '\\n'"),
        "mac doc.json.xz": (b'[{"id": 1, "v": 1},\r{"id": 2, "v": "x"}]\r', "xz", "tr '\\r' '\\n'"),
        "wide.ndjson.gz": ('{"id": 1, "v": 1}\n{"id": 2, "v": 2}\n'.encode("utf-16"), "gzip", "iconv -f UTF-16 -t UTF-8"),
        "rows.ndjson.gz": (b'["id", "v"]\n[1, 2]\n[3, 4]\n', "gzip", "jq -c -n 'input as $h"),
        "bodies.ndjson.gz": (b'{"records": [{"value": {"id": 1, "v": 1}}]}\n' * 2, "gzip", "jq -c '.records[].value'"),
        "arrays.json.gz": (b'[{"id": 1, "v": 1},\n{"id": 2, "v": 2}]\n[{"id": 3, "v": 3}]\n', "gzip", "jq -c '.[]'"),
    }
    for name, (text, tool, command) in inputs.items():
        _packed(tmp_path / name, text, tool)
        said = run_main("validate", "sink.json", name, cwd=tmp_path).out
        assert f"`{tool} -dc {shlex.quote(name)} | {command}" in said, said
        assert f"{shlex.quote(name)}`" not in said, said
    # infer and send (the reader's hints, named after), and the API (an open file's name too)
    assert "`bzip2 -dc 'mac lines.ndjson.bz2' | tr '\\r' '\\n'`" in run_main("infer", "mac lines.ndjson.bz2", cwd=tmp_path).err
    assert "`gzip -dc 'a 1.ndjson.gz' | jq -c '.[]'`" in run_main("send", "sink.json", "a 1.ndjson.gz", "--dry-run", cwd=tmp_path).err
    sent = run_main("send", "sink.json", "mac lines.ndjson.bz2", "--dry-run", cwd=tmp_path).err
    assert "`bzip2 -dc 'mac lines.ndjson.bz2' | tr '\\r' '\\n'`" in sent, sent
    m = mapper.compile_sink(SINK)
    arrays = tmp_path / "arrays.json.gz"
    with arrays.open("rb") as fh:
        assert m.validate(fh).errors[0].reason.endswith(f"(`gzip -dc {shlex.quote(str(arrays))} | jq -c '.[]'`) and give that instead")
    # by its first bytes, as the reader unpacks it, whatever its name
    (tmp_path / "plain").write_bytes((tmp_path / "wide.ndjson.gz").read_bytes())
    assert "`gzip -dc plain | iconv -f UTF-16 -t UTF-8`" in run_main("validate", "sink.json", "plain", cwd=tmp_path).out


def test_text_command_reads_a_file_s_text() -> None:
    import gzip
    import os
    import tempfile

    from mapper.errors import text_command, unpacked_file

    with tempfile.TemporaryDirectory() as tmp:
        plain, packed = os.path.join(tmp, "a b.ndjson"), os.path.join(tmp, "a b.ndjson.gz")
        Path(plain).write_bytes(b"{}\n")
        Path(packed).write_bytes(gzip.compress(b"{}\n"))
        assert text_command("jq -c .", plain) == f"jq -c . {shlex.quote(plain)}"
        assert text_command("tr a b", plain, stdin=True) == f"tr a b < {shlex.quote(plain)}"
        assert text_command("tr a b", packed, stdin=True) == f"gzip -dc {shlex.quote(packed)} | tr a b"
        assert text_command("jq .", os.path.join(tmp, "gone.zst")) == f"zstd -dc {shlex.quote(os.path.join(tmp, 'gone.zst'))} | jq ."  # (by its name: no bytes)
        assert (text_command("jq .", "-"), text_command("jq .", None)) == ("... | jq .", "jq . FILE")  # (standard input: piped through it)
        assert unpacked_file(plain, ".db") == ("", shlex.quote(plain))
        Path(plain).unlink()  # (the name without .gz, when no file holds it: never written over)
        assert unpacked_file(packed, ".ndjson") == (f"gzip -dc {shlex.quote(packed)} > {shlex.quote(plain)}, then ", shlex.quote(plain))
        Path(plain).write_bytes(b"{}\n")
        assert unpacked_file(packed, ".ndjson")[1] == shlex.quote(os.path.join(tmp, "a b-2.ndjson"))
        assert unpacked_file(packed, ".db")[1] == shlex.quote(plain + ".db")  # (a database is named as one: hints58)


def test_a_compressed_serve_database_is_unpacked_before_serve_reads_it(tmp_path: Path) -> None:
    import gzip
    import sqlite3

    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps(SINK))
    with contextlib.closing(sqlite3.connect(tmp_path / "my db.sqlite")) as db:
        db.execute("create table t (x)")
    (tmp_path / "my db.sqlite.gz").write_bytes(gzip.compress((tmp_path / "my db.sqlite").read_bytes()))
    (tmp_path / "my db.sqlite").unlink()
    said = run_main("validate", "sink.json", "my db.sqlite.gz", cwd=tmp_path).out
    assert "(gzip -dc 'my db.sqlite.gz' > 'my db.sqlite', then mapper serve --db 'my db.sqlite' --query SINK_ID prints the rows" in said, said


def test_spark_validate_s_jq_reads_a_compressed_file_s_text(tmp_path: Path) -> None:
    import argparse
    import gzip

    import pytest

    import mapper
    from mapper.spark import _check_input_options, check_inputs

    array = tmp_path / "a b.json.gz"
    array.write_bytes(gzip.compress(json.dumps([{"id": 1}, {"id": 2}], indent=2).encode()))
    quoted = shlex.quote(str(array))
    with pytest.raises(mapper.OptionError) as info:
        check_inputs([str(array)])
    out = shlex.quote(str(tmp_path / "a b.ndjson"))  # (beside it, never over a file: not records.ndjson in the current directory)
    assert f"e.g. gzip -dc {quoted} | jq -c '.[]' > {out} (an array) or gzip -dc {quoted} | jq -c . > {out}" in str(info.value)
    with pytest.raises(mapper.OptionError) as info:
        _check_input_options(argparse.Namespace(records_path="data", paths=[str(array)], input_format=None))
    assert str(info.value).endswith(f"e.g. gzip -dc {quoted} | jq -c '.data[]' > {out}")


def test_send_notes_a_document_s_lone_crs_as_validate_does(tmp_path: Path) -> None:
    """send read a JSON document without validate's note on lines ending in a lone CR (its
    records' lines count LF ends only, fewer than an editor shows)."""
    sink, mac = tmp_path / "sink.json", tmp_path / "mac doc.json"
    sink.write_text(json.dumps(SINK))
    mac.write_bytes(b'[{"id": 1, "v": 1},\r{"id": 2, "v": "x"}]\r')
    note = json.loads(run_main("validate", "sink.json", "mac doc.json", "--report", "json", cwd=tmp_path).out)["notes"][0]
    assert note.endswith("`tr '\\r' '\\n' < 'mac doc.json'`")
    sent = json.loads(run_main("send", "sink.json", "mac doc.json", "--dry-run", "--report", "json", cwd=tmp_path).out)
    assert note in sent["notes"], sent["notes"]
    mac.write_bytes(b'[{"id": 1, "v": 1},\r{"id": 2, "v": 2}]\r')  # (as validate: only when a record was refused)
    assert not any(
        "lone CR" in n for n in json.loads(run_main("send", "sink.json", "mac doc.json", "--dry-run", "--report", "json", cwd=tmp_path).out)["notes"]
    )
