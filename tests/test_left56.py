"""Small gaps earlier sessions noticed and left (session left56): each test failed before its fix."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

from cli_inproc import run_main

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"


# ---------------------------------------------------------------------------------------
# compressed input on standard input: a hint's command is one the user can run


def test_a_compressed_sink_on_standard_input_is_unpacked_from_the_pipe(tmp_path: Path) -> None:
    """``mapper check - < sink.json.gz`` (and ``/dev/stdin``) was told ``gzip -dc FILE > sink.json``: no FILE was given."""
    packed = gzip.compress(SINK.read_bytes())
    for name in ("-", "/dev/stdin"):
        c = run_main("check", name, input=packed, cwd=tmp_path)
        assert c.returncode == 2 and "(unpack it first: ... | gzip -dc > sink.json, then give sink.json)" in c.out, c.out
        assert "FILE" not in c.out, c.out


def test_hints_on_a_sink_or_records_from_standard_input_pipe_what_it_came_from(tmp_path: Path) -> None:
    """A sink on standard input wrapped in an API's answer was told ``jq '.result' FILE``, one in UTF-16
    ``iconv -f UTF-16 -t UTF-8 FILE``, and zstd records on ``/dev/stdin`` ``zstd -dc FILE | mapper ... -``:
    no FILE was given (a text a program gives keeps FILE: it has no input to pipe)."""
    import json

    import mapper

    wrapped = json.dumps({"result": json.loads(SINK.read_text())}).encode()
    for name in ("-", "/dev/stdin"):
        c = run_main("check", name, input=wrapped, cwd=tmp_path)
        assert "give that object alone (`... | jq '.result'`)" in c.out, c.out
    c = run_main("check", "-", input=SINK.read_text().encode("utf-16"), cwd=tmp_path)
    assert "convert it first, e.g. `... | iconv -f UTF-16 -t UTF-8`" in c.out, c.out
    z = run_main("validate", SINK, "/dev/stdin", input=b"\x28\xb5\x2f\xfd" + bytes(20), cwd=tmp_path)
    assert z.returncode == 2 and "give it unpacked (... | zstd -dc | mapper ... -)" in z.err, z.err
    assert "(`jq '.result' FILE`)" in mapper.check_sink(wrapped).problems[0].message


def test_a_compressed_database_on_standard_input_is_unpacked_before_serve_reads_it(tmp_path: Path) -> None:
    """``mapper validate SINK - < serve.db.gz`` was told ``mapper serve --db FILE --query SINK_ID``: the
    file to give serve is the unpacked one, which nothing had written."""
    db = tmp_path / "a.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    v = run_main("validate", SINK, "-", input=gzip.compress(db.read_bytes()), cwd=tmp_path)
    assert "(... | gzip -dc > serve.db, then mapper serve --db serve.db --query SINK_ID prints the rows" in v.out, v.out


# ---------------------------------------------------------------------------------------
# Store(path) of another program's SQLite database


def test_store_refuses_another_programs_database_as_serve_does_writing_nothing(tmp_path: Path) -> None:
    """``Store(path)`` from Python wrote mapper's tables into another program's database and switched it to
    WAL journaling for good (``mapper serve --db`` refuses it): refused now, naming the file and why."""
    import pytest

    from mapper.errors import MapperError
    from mapper.store import Store

    other = tmp_path / "app.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    conn.close()
    before = other.read_bytes()
    for writable in (True, False):
        with pytest.raises(MapperError) as caught:
            Store(other, writable=writable)
        said = str(caught.value)
        assert f"{other} holds no sinks of mapper serve (it is another program's database, holding 'users'" in said, said
        assert "give Store(path) a new file, or one serve stored into" in said, said
    assert other.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["app.db"]


# ---------------------------------------------------------------------------------------
# a records path written to the array's elements


def test_a_records_path_to_the_arrays_elements_is_told_the_path_of_the_array_itself() -> None:
    """``records_path="$.items[*]"`` (JSONPath's elements of the array) was told to "write 'items[*]'",
    which is refused in turn ("must be a chain of keys"), and ``items[*]`` / ``items[]`` said no more."""
    import pytest

    from mapper.errors import OptionError
    from mapper.paths import records_path_keys

    for text, chain in (("$.items[*]", "items"), ("$.data.items[]", "data.items"), ("items[*]", "items"), ("data.items[]", "data.items")):
        with pytest.raises(OptionError) as caught:
            records_path_keys(text)
        said = str(caught.value)
        assert said.endswith(f"a records path names the array that holds the records, without [*] or [] for its elements: write {chain!r}"), said
        assert records_path_keys(chain) == tuple(chain.split("."))  # (what it says to write is taken)
    for text in ("items[0]", "a.b[*][*]", "[*]"):  # (no array named so: said as before)
        with pytest.raises(OptionError, match="chain of keys") as caught:
            records_path_keys(text)
        assert "write" not in str(caught.value), text


def test_a_records_path_to_the_elements_with_spaces_is_told_a_path_that_is_taken() -> None:
    """``items [*]`` was told to "write 'items '", which is refused in turn (JMESPath drops the space)."""
    import pytest

    from mapper.errors import OptionError
    from mapper.paths import records_path_keys

    for text, chain in (("items [*]", "items"), ("$. items[*]", "items"), ("data. items[]", "data.items"), ('"a.b" []', '"a.b"')):
        with pytest.raises(OptionError) as caught:
            records_path_keys(text)
        assert str(caught.value).endswith(f"without [*] or [] for its elements: write {chain!r}"), (text, str(caught.value))
        assert records_path_keys(chain)  # (taken)
