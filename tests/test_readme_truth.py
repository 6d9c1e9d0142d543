"""What the README says, checked where an audit of it found the code saying otherwise."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import mapper
from mapper import Store

SETS = {
    "name": "sets",
    "sink_details": {"database_id": "6a2e8f6c-1b7e-4c1a-9d1e-2f3a4b5c6d7e", "table": "sets"},
    "schema": {
        "primary_key_fields": ["k"],
        "allow_missing_fields": True,
        "definition": [
            {"name": "k", "path": ["k"], "type": "string"},
            {"name": "nums", "path": ["nums"], "type": "ids"},
            {"name": "tags", "path": ["tags"], "type": "strings"},
        ],
    },
}


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
