"""What the docs/*.md pages say, held against the code where the code was wrong (docs truth audit)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import mapper

ROOT = Path(__file__).resolve().parent.parent


def _sink(extra: dict) -> mapper.Sink:
    definition = [{"name": "id", "path": ["id"], "type": "id"}, {"name": "t", "path": ["t"], "type": "recordTime", "config": {"Granularity": "ns"}}, extra]
    return mapper.load_sink({"id_field": "id", "allow_missing_fields": True, "definition": definition})


@pytest.mark.parametrize("column", ["_POSITION", "_missing", "_Raw"])
def test_a_column_named_like_one_mapper_adds_is_refused_by_check(column: str) -> None:
    # docs/spark.md: a sink column named like one mapper adds, in any case, is refused: those
    # mapper adds start with '_', which FeatureBase's name rule refuses for a stored column
    with pytest.raises(mapper.DefinitionError) as caught:
        _sink({"name": column, "path": ["x"], "type": "int"})
    assert [p.code for p in caught.value.errors] == ["column-name"]


@pytest.mark.parametrize(
    ("column", "said"),
    [
        # the message named the sink's column the output column and mapper's the sink's
        ("t__ns", "the sink column 't__ns' clashes with the column mapper adds 't__ns'"),
    ],
)
def test_a_clash_names_which_column_is_the_sinks_and_which_mappers(column: str, said: str) -> None:
    pytest.importorskip("pyarrow")
    from mapper.spark import check_sink_columns

    with pytest.raises(mapper.OptionError) as caught:
        check_sink_columns(_sink({"name": column, "path": ["x"], "type": "int"}))
    assert str(caught.value).startswith(said + ":"), str(caught.value)


def test_a_clash_with_an_input_column_names_it_so() -> None:
    pytest.importorskip("pyarrow")
    from mapper.spark import check_sink_columns

    with pytest.raises(mapper.OptionError) as caught:
        check_sink_columns(_sink({"name": "k", "path": ["x"], "type": "int"}), ["topic", "K"])
    assert str(caught.value).startswith("the sink column 'k' clashes with the input column 'K':"), str(caught.value)
    with pytest.raises(mapper.OptionError) as caught:
        check_sink_columns(_sink({"name": "k", "path": ["x"], "type": "int"}), ["_ID"])
    assert str(caught.value).startswith("the column mapper adds '_id' clashes with the input column '_ID':"), str(caught.value)


def test_serve_names_the_sink_file_it_refuses_and_asks_for_no_option_it_lacks(tmp_path, capsys) -> None:
    # docs/send-serve.md: "mapper serve exits 2 on" a bad sink; with several SINK files the message
    # named none of them, and for a bare definition array it asked for --id-field and
    # --allow-missing-fields, which mapper serve does not take (a usage error of their own)
    from mapper.cli import main

    good = tmp_path / "good.json"
    good.write_text(json.dumps({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]}))
    bare = tmp_path / "bare.json"
    bare.write_text(json.dumps([{"name": "id", "path": ["id"], "type": "id"}]))
    assert main(["serve", str(good), str(bare), "--db", ":memory:", "--port", "0", "-q"]) == 2
    err = capsys.readouterr().err
    assert "bare.json" in err and "good.json" not in err, err
    assert "--id-field" not in err and "--allow-missing-fields" not in err, err
    assert "id_field" in err and "allow_missing_fields" in err, err  # what to write into the file

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "idd"}]}))
    assert main(["serve", str(good), str(broken), "--db", ":memory:", "--port", "0", "-q"]) == 2
    err = capsys.readouterr().err
    assert "broken.json" in err and "good.json" not in err, err


def test_a_bare_definition_arrays_hint_names_the_option_from_python_and_the_command_line() -> None:
    """A bare definition array lacks identity and policy: the hint named only the command
    line's options (--id-field), while a Python caller of load_sink needs id_field=."""
    bare = [{"name": "a", "path": ["a"], "type": "int"}]
    with pytest.raises(mapper.DefinitionError) as info:
        mapper.load_sink(bare)
    text = str(info.value)
    assert "--id-field or --primary-key-fields on the command line, id_field= or primary_key_fields= from Python" in text
    assert "--allow-missing-fields or --no-allow-missing-fields on the command line, allow_missing_fields= from Python" in text
    assert mapper.load_sink(bare, id_field="a", allow_missing_fields=True).id_field == "a"


@pytest.mark.parametrize("command", ["serve", "send"])
def test_a_token_variable_of_white_space_is_named(command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    """--token-env naming a variable that holds only white space: the error named no variable
    for serve ("the token (token, --token-env) is empty or white space") nor for send."""
    from mapper.cli import main
    from mapper.endpoint import env_token

    monkeypatch.setenv("MAPPER_TEST_TOKEN", " \t ")
    sink, records = "examples/aircraft/sink.json", "examples/aircraft/records.ndjson"
    monkeypatch.chdir(ROOT)
    args = {
        "serve": ["serve", sink, "--db", str(tmp_path / "db.sqlite"), "--port", "0", "--token-env", "MAPPER_TEST_TOKEN"],
        "send": ["send", sink, records, "--endpoint", "http://127.0.0.1:9/v2/sinks/x", "--token-env", "MAPPER_TEST_TOKEN"],
    }[command]
    assert main(args) == 2
    assert "the environment variable MAPPER_TEST_TOKEN (--token-env) holds only white space" in capsys.readouterr().err
    monkeypatch.setenv("MAPPER_TEST_TOKEN", " tok ")
    assert env_token("MAPPER_TEST_TOKEN") == " tok "  # (a token's surrounding blanks are the sender's to strip, as before)


@pytest.mark.parametrize(
    ("call", "said"),
    [
        (lambda s: s.rows("a", offset=-1), "offset= must be a whole number of rows, at least 0, not -1"),
        (lambda s: s.rows("a", limit=-1), "limit= must be a whole number of rows, at least 0 (or None), not -1"),
        (lambda s: list(s.iter_rows("a", 0)), "page= must be a whole number of rows, at least 1, not 0"),
        (lambda s: list(s.iter_rows("a", offset=-2)), "offset= must be a whole number of rows, at least 0, not -2"),
        (lambda s: list(s.iter_rows("a", limit=-1)), "limit= must be a whole number of rows, at least 0 (or None), not -1"),
    ],
)
def test_a_negative_count_of_rows_is_an_option_error(call: Any, said: str) -> None:
    # docs/python-api.md: "a negative count ... is an OptionError naming the parameter"; Store.rows
    # read offset=-1 as 0 and answered limit=-1 with no rows and a page saying limit -1, where
    # GET /v2/sinks/<id>/rows and serve --query refuse them
    with mapper.Store() as store:
        store.create_sink(
            {
                "name": "a",
                "sink_details": {"database_id": "d", "table": "a"},
                "schema": {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]},
            }
        )
        store.ingest("a", b'{"records": [{"value": {"id": 1}}]}')
        with pytest.raises(mapper.OptionError, match=re.escape(said)):
            call(store)
        assert store.rows("a", offset=0, limit=0).rows == [] and [r["_id"] for r in store.iter_rows("a", 1)] == [1]


def test_a_store_clock_that_is_no_function_is_refused_when_given() -> None:
    # Store(clock=5) was taken, and create_sink then raised TypeError: 'int' object is not callable
    with pytest.raises(mapper.OptionError, match=r"clock= is a function, not 5"):
        mapper.Store(clock=5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"max_depth": "2"}, "max_depth (--max-depth) must be a whole number, at least 1, not '2'"),
        ({"max_depth": -1}, "max_depth (--max-depth) must be a whole number, at least 1, not -1"),
        ({"min_presence": None}, "min_presence (--min-presence) must be a finite number, at least 0, at most 1 (a share of the records), not None"),
        ({"min_presence": float("nan")}, "min_presence (--min-presence) must be a finite number, at least 0, at most 1 (a share of the records), not nan"),
        ({"name": 5}, "invalid sink name 5 (name, --name)"),
        ({"input_format": None}, "unknown input format None (input_format, --input-format)"),
        ({"id_field": "id", "primary_key_fields": ["id"]}, "give either id_field or primary_key_fields"),
    ],
)
def test_a_bad_parameter_of_infer_is_an_option_error_naming_it(options: dict[str, Any], said: str) -> None:
    # docs/python-api.md (and infer's docstring): a wrong type, None where none is taken, a negative
    # count or a NaN is an OptionError naming the parameter; infer raised a bare InferError naming
    # only the command line's option (--max-depth), not a ValueError (still an InferError, as it was)
    with pytest.raises(mapper.OptionError, match=re.escape(said)) as caught:
        mapper.infer([b'{"id": 1}'], **options)
    assert isinstance(caught.value, mapper.InferError) and isinstance(caught.value, ValueError)


def test_a_bad_option_of_mapper_infer_still_names_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    from mapper.cli import main

    assert main(["infer", str(ROOT / "examples" / "aircraft" / "records.ndjson"), "--max-depth", "0"]) == 2
    assert capsys.readouterr().err == "mapper: max_depth (--max-depth) must be a whole number, at least 1, not 0\n"


def test_string_ids_are_read_only_only_where_held_as_utf8_too(tmp_path: Path) -> None:
    # docs/python-api.md said "a string column's values, ids and .utf8 are read-only": ids held as
    # objects alone are writable, and an edit shows everywhere (batch.check() names a non-str one)
    m = mapper.compile_sink(ROOT / "examples" / "aircraft" / "sink.json")
    batch = m.map(ROOT / "examples" / "aircraft" / "records.ndjson")
    assert not batch["reg"].values.flags.writeable
    batch.ids[0] = "edited"
    assert batch.to_rows()[0]["_id"] == "edited" and batch.to_arrow().column("_id")[0].as_py() == "edited"
    from mapper.writers import write_npz

    write_npz(batch, tmp_path / "b.npz")
    back = mapper.read_batch(tmp_path / "b.npz")
    assert back.ids[0] == "edited" and not back.ids.flags.writeable


def test_a_records_text_opening_with_a_byte_order_mark_is_taken_off_and_sent_without_it() -> None:
    # docs/python-api.md said a byte order mark before a record's text given to check or
    # Batcher.add "is invalid JSON there ... and the error says so"; both take it off (and the
    # Batcher sends the text without it); only a mark further on is refused
    sink = ROOT / "examples" / "aircraft" / "sink.json"
    text = (ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes().splitlines()[1]
    m = mapper.compile_sink(sink)
    assert m.check(b"\xef\xbb\xbf" + text) == m.check(text) == []
    (problem,) = m.check(b" \xef\xbb\xbf" + text)
    assert problem.code == "invalid_json" and "a byte order mark (U+FEFF), which may open an input" in problem.reason
    with mapper.Batcher(sink) as batcher:
        assert batcher.add(b"\xef\xbb\xbf" + text).accepted
        (body,) = batcher.flush()
    assert b"\xef\xbb\xbf" not in body.data


def test_a_table_without_its_record_index_reads_back_numbered_in_order(tmp_path: Any) -> None:
    """docs/formats.md: "a table written with record_index=False comes back with the rows
    numbered in order". Of a batch with a refused record among its rows, the table still said
    which records were refused, and read_batch refused it: "it says record 2 was refused, and
    holds its row 2 (counting from 0): edited or damaged"."""
    pq = pytest.importorskip("pyarrow.parquet")
    sink = mapper.load_sink({"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]})
    batch = mapper.compile_sink(sink).map(b'{"id": 1}\n{"id": 2}\n{"id": "bad"}\n{"id": 4}\n', on_error="skip")
    assert list(batch.record_index) == [0, 1, 3]
    pq.write_table(batch.to_arrow(record_index=False), tmp_path / "t.parquet")
    back = mapper.read_batch(tmp_path / "t.parquet")
    assert list(back.record_index) == [0, 1, 2] and list(back.ids) == [1, 2, 4]
    assert back.report.records == 3 and back.report.notes  # counted from its rows, and said so
    # rows that are records 0..n-1 keep the counts, refused records after them included
    pq.write_table(batch[0:2].to_arrow(record_index=False), tmp_path / "s.parquet")
    back = mapper.read_batch(tmp_path / "s.parquet")
    assert (back.report.records, back.report.failed_records, list(back.record_index)) == (4, 1, [0, 1])


def test_a_compressed_sink_files_hint_writes_beside_it_never_over_a_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/formats.md: a hint's command that needs a file "writes the text out first beside it, to
    its name without .gz, never over a file". A compressed sink file's said `gzip -dc
    d/s.json.gz > sink.json`: into the current directory, over the sink.json there."""
    import gzip

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sink.json").write_text("{}")  # another definition, which the hint would replace
    (tmp_path / "d").mkdir()
    packed = tmp_path / "d" / "s.json.gz"
    packed.write_bytes(gzip.compress(b'{"id_field": "id"}'))
    said = mapper.check_sink("d/s.json.gz").problems[0].message
    assert said.endswith("(unpack it first: gzip -dc d/s.json.gz > d/s.json, then give d/s.json)"), said
    (tmp_path / "d" / "s.json").write_text("{}")  # taken: another name, beside it
    said = mapper.check_sink("d/s.json.gz").problems[0].message
    assert "> d/s-2.json, then give d/s-2.json)" in said and "> sink.json" not in said, said  # (not d/s.json.gz.json: hints58)


@pytest.mark.parametrize(
    ("given", "said"),
    [(["--offset", "3"], "--offset pages"), (["--limit", "2"], "--limit pages"), (["--offset", "0", "--limit", "2"], "--offset and --limit page")],
)
def test_serves_paging_options_without_query_are_a_usage_error(given: list[str], said: str, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/cli.md: `--offset`, `--limit` page the rows `--query` prints. Without --query they
    were ignored and the server started, listening (on 8080) where rows were meant to be printed."""
    from mapper.cli import main

    db = tmp_path / "db.sqlite"
    assert main(["serve", "--db", str(db), "--port", "0", *given]) == 2
    assert f"mapper serve: {said} the rows --query prints: give --query SINK_ID" in capsys.readouterr().err
    assert not db.exists()  # refused before the store is opened


def _doc(name: str) -> str:
    """A docs page's text, its line breaks and runs of blanks one space (a quote may wrap)."""
    return " ".join((ROOT / "docs" / name).read_text(encoding="utf-8").split())


def _said(message: str, path: str) -> str:
    """``message`` with the file ``path`` (as the code names it) written ``FILE``, as the docs write it."""
    return " ".join(message.replace(path, "FILE").split())


def test_serves_refusals_of_another_programs_database_are_the_ones_send_serve_md_quotes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/send-serve.md said serve --db refuses another program's database "in the words --query says
    of it (`FILE holds no sinks of mapper serve (it is another program's database, holding 'users': ...)`)":
    --query says `(--db names the file serve stored into)`; the two share their opening alone."""
    import sqlite3

    from mapper.cli import main

    db = tmp_path / "other.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE users (x)")
    con.commit()
    con.close()
    doc = _doc("send-serve.md")
    for argv in (["serve", "--db", str(db), "--port", "0"], ["serve", "--db", str(db), "--query", "a"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("mapper serve: ") and err.count("\n") == 1, err
        said = _said(err[len("mapper serve: ") :], str(db))
        assert f"`{said}`" in doc, said


def test_serves_answers_quoted_in_send_serve_md_are_the_codes() -> None:
    """The words docs/send-serve.md's error table quotes for a rows page too long, a body without a
    Content-Type (or curl -d's), a write the database refused, and a request met by a stop."""
    import sqlite3
    from email.message import Message

    import orjson

    from mapper.errors import shown_name
    from mapper.serve import App
    from mapper.store import _write_error, closed_error

    doc = _doc("send-serve.md")
    sink = {
        "name": "a",
        "sink_details": {"database_id": "d", "table": "a"},
        "schema": {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]},
    }
    with mapper.Store() as store:
        store.create_sink(sink)
        app = App(store)
        answers = [app.dispatch("GET", "/v2/sinks/a/rows?limit=20000", Message(), lambda limit: b"")]
        for ctype in (None, "application/x-www-form-urlencoded"):
            headers = Message()
            if ctype:
                headers["Content-Type"] = ctype
            answers.append(app.dispatch("POST", "/v2/sinks/a", headers, lambda limit: b'{"records": [{"value": {"id": 1}}]}'))
        said = [orjson.loads(a.body)["message"] for a in answers]
        locked = _write_error(store, "cannot store the request", sqlite3.OperationalError("database is locked")).message
        said.append(_said(locked, shown_name(store.path)))
        said.append(_said(closed_error(store, stored=True).message, shown_name(store.path)))
    for text in said:
        assert text in doc, text


def test_messages_formats_and_python_api_md_quote_are_the_codes() -> None:
    """A second byte order mark, a Java narrow form in a Layout and a Sender's keyword, in the words
    docs/formats.md and docs/python-api.md quote (each said otherwise before this stop)."""
    formats, api = _doc("formats.md"), _doc("python-api.md")
    m = mapper.compile_sink(ROOT / "examples" / "aircraft" / "sink.json")
    (problem,) = m.check(b"\xef\xbb\xbf\xef\xbb\xbf{}")
    assert problem.reason.startswith("Invalid JSON: "), problem.reason
    assert problem.reason[len("Invalid JSON: ") :] in formats, problem.reason
    assert problem.reason.split(": ", 2)[2] in api, problem.reason
    layout = {"name": "t", "path": ["t"], "type": "timestamp", "config": {"Layout": "yyyy-MMMMM-dd"}}
    (said,) = [
        p.message
        for p in mapper.check_sink(
            {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}, layout]}
        ).problems
    ]
    assert said.endswith("; MMMMM (java.time's narrow form, one letter) has no Go layout: none is suggested"), said
    assert said.rsplit("; ", 1)[1] in formats, said
    with pytest.raises(mapper.OptionError) as caught:
        mapper.Sender("http://127.0.0.1:9/v2/sinks/x", timeout=0)
    assert f"`{caught.value}`" in api, str(caught.value)


def test_sends_wait_options_and_the_ui_refresh_bound_are_as_send_serve_md_says(capsys: pytest.CaptureFixture[str]) -> None:
    """docs/send-serve.md's options table said nothing of --timeout's and the waits' bounds, which
    mapper send refuses (exit 2); and the web UI's longest refresh is the one the page names."""
    from mapper.cli import main
    from mapper.web.app import MAX_REFRESH_SECONDS

    doc = _doc("send-serve.md")
    sink, records = str(ROOT / "examples" / "aircraft" / "sink.json"), str(ROOT / "examples" / "aircraft" / "records.ndjson")
    for option, value, prefix in (("--timeout", "0", "mapper send: "), ("--backoff", "1e6", "")):
        assert main(["send", sink, records, "--endpoint", "http://127.0.0.1:9/v2/sinks/x", option, value]) == 2
        err = capsys.readouterr().err.strip()
        assert f"`{prefix}{err[len('mapper send: ') :]}`" in doc, err
    assert f"up to {MAX_REFRESH_SECONDS:,}, about 24 days" in doc


def test_a_link_at_the_dead_letters_claim_is_refused_in_the_words_send_serve_md_quotes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/send-serve.md quoted `... with .FILE.claim: it is a symbolic link`: the claim is named by its whole path."""
    from mapper.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / ".bad.ndjson.claim").symlink_to(tmp_path / "elsewhere")
    sink, records = str(ROOT / "examples" / "aircraft" / "sink.json"), str(ROOT / "examples" / "aircraft" / "records.ndjson")
    assert main(["send", sink, records, "--endpoint", "http://127.0.0.1:9/v2/sinks/x", "--rejects", "bad.ndjson"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"mapper send: cannot claim the dead letters bad.ndjson with {tmp_path}/.bad.ndjson.claim: it is a symbolic link", err
    assert f"`{err.replace(str(tmp_path), '/tmp')}`" in _doc("send-serve.md")
    assert not (tmp_path / "elsewhere").exists()


def test_the_throttling_answer_send_serve_md_quotes_is_the_codes() -> None:
    """The limits said as given (--records-per-s 1.5 was said '2 records/s'), in the words the page quotes."""
    from mapper.endpoint import Limits, ServiceError
    from mapper.serve import App

    with mapper.Store() as store:
        app = App(store, limits=Limits(records_per_s=1.5, bytes_per_s=1_000_000))
        app.admit("a", 1, 10)
        with pytest.raises(ServiceError) as caught:
            app.admit("a", 1, 10)
    assert caught.value.code == "ResourceThroughputExceeded"
    assert f"`{caught.value.message}`" in _doc("send-serve.md"), caught.value.message


def test_sink_details_are_read_only_in_depth_on_every_sink() -> None:
    """docs/python-api.md says every Sink's sink_details are a read-only view of its own copy of what
    was given, however the Sink was made: a Sink built or changed by hand (dataclasses.replace) held
    the very dict it was given (stop 55 said so; now it holds its own, as a loaded one does)."""
    import dataclasses
    import pickle

    sink = mapper.load_sink(
        {
            "name": "a",
            "sink_details": {"database_id": "d", "table": "a", "x": {"y": [1]}},
            "schema": {"id_field": "id", "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "id"}]},
        }
    )
    with pytest.raises(TypeError):
        sink.sink_details["x"]["z"] = 1  # type: ignore[index]
    assert sink.sink_details["x"]["y"] == (1,) and pickle.loads(pickle.dumps(sink)).sink_details["x"]["y"] == (1,)
    given = {"database_id": "d", "table": "a", "x": {"y": [1]}}
    changed = dataclasses.replace(sink, sink_details=given)
    given["x"]["y"].append(2)
    assert changed.sink_details is not given and changed.sink_details["x"]["y"] == (1,) and changed == sink
    doc = _doc("python-api.md")
    assert "however it was made (`load_sink`, the class, `dataclasses.replace`)" in doc
    assert "holds the very mapping it was given" not in doc
