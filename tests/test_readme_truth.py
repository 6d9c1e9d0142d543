"""What the README says, checked where an audit of it found the code saying otherwise."""

from __future__ import annotations

import shlex
import sqlite3
from pathlib import Path

import pytest
import sinks

import mapper
from mapper import Store

SETS = sinks.sink(
    sinks.column("k", "string"), sinks.column("nums", "ids"), sinks.column("tags", "strings"), name="sets", schema_type=None, primary_key_fields=["k"]
)


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        ("nums", "[true]"),  # a bool is no id (Python's bool is an int)
        ("nums", "[-1]"),  # nor is a negative number
        ("nums", '["a"]'),  # nor a string, in a set of ids
        ("tags", "[1]"),  # nor a number in a set of strings
    ],
)
def test_a_set_cell_holding_members_of_another_type_is_a_damaged_row(tmp_path: Path, column: str, cell: str) -> None:
    # README (send-serve's 500 row): a set's cell "not a JSON array of ids or strings" is a
    # damaged row, a 500 naming it; such cells were served as they stood (`[True]` in a set of ids)
    path = tmp_path / "d.db"
    with Store(path) as store:
        store.create_sink(SETS)
        store.ingest("sets", b'{"records":[{"value":{"k":"x","nums":[1],"tags":["a"]}}]}')
    con = sqlite3.connect(path)
    con.execute(f'UPDATE sets SET "{column}" = ?', (cell,))
    con.commit()
    con.close()
    with Store(path) as store:
        with pytest.raises(mapper.ServiceError) as info:
            store.rows("sets")
        assert info.value.status == 500 and "is damaged" in info.value.message and column in info.value.message, info.value.message


def test_set_cells_as_written_are_read(tmp_path: Path) -> None:
    # the check refuses only what no write makes: ids up to 2**64-1, any string
    with Store(tmp_path / "ok.db") as store:
        store.create_sink(SETS)
        store.ingest("sets", b'{"records":[{"value":{"k":"x","nums":[0, "18446744073709551615"],"tags":["a", "1"]}}]}')
        assert store.rows("sets").rows == [{"_id": "x", "nums": [0, 18446744073709551615], "tags": ["a", "1"]}]


AIRCRAFT_SINK = Path(__file__).resolve().parent.parent / "examples" / "aircraft" / "sink.json"
AIRCRAFT_RECORDS = AIRCRAFT_SINK.parent / "records.ndjson"


@pytest.mark.parametrize("wide_first", [True, False])
def test_validate_of_several_inputs_names_the_one_in_utf16(tmp_path: Path, capsys: pytest.CaptureFixture[str], wide_first: bool) -> None:
    # README (spark-validate's row): a UTF-16/UTF-32 input is "named in a note:, as validate
    # names it"; of several inputs, validate said "the input is UTF-16 text" when the first was
    # (naming none), and nothing when another was
    from mapper.cli import main

    wide = tmp_path / "wide.ndjson"
    wide.write_bytes(AIRCRAFT_RECORDS.read_text().encode("utf-16"))
    inputs = [str(wide), str(AIRCRAFT_RECORDS)] if wide_first else [str(AIRCRAFT_RECORDS), str(wide)]
    assert main(["validate", str(AIRCRAFT_SINK), *inputs]) == 1
    out = capsys.readouterr().out
    note = f"note: {wide} is UTF-16 text, not UTF-8 as JSON must be (and the endpoint reads it): convert it first, e.g. `iconv -f UTF-16 -t UTF-8 {shlex.quote(str(wide))}`"
    assert note in out.splitlines(), out
    assert "the input is UTF-16" not in out
    # one input: said as before
    assert main(["validate", str(AIRCRAFT_SINK), str(wide)]) == 1
    assert "note: the input is UTF-16 text" in capsys.readouterr().out
    # a UTF-8 input beside it that fails is not said to be UTF-16
    bad = tmp_path / "bad.ndjson"
    bad.write_text("{\n")
    assert main(["validate", str(AIRCRAFT_SINK), str(bad), str(AIRCRAFT_RECORDS)]) == 1
    assert "UTF-16" not in capsys.readouterr().out
