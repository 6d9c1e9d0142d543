"""Found by a hunt running infer -> check -> validate -> map -> read_batch on the real corpora
in ../shared/data (read in place, never copied; the real-data test skips when it is absent)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import mapper
from mapper import writers
from mapper.engine.reader import records_path_off_note

pytest.importorskip("pyarrow.parquet")

DATA = Path(os.environ.get("MAPPER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _wide_batch(columns: int) -> mapper.Batch:
    definition = [{"name": "id", "path": ["id"], "type": "id"}] + [{"name": f"c{i}", "path": [f"c{i}"], "type": "string"} for i in range(columns)]
    sink = {"id_field": "id", "allow_missing_fields": True, "definition": definition}
    record = b'{"id": %d, ' + b", ".join(b'"c%d": "v"' % i for i in range(columns)) + b"}\n"
    return mapper.compile_sink(sink).map(b"".join(record % n for n in range(3)))


@pytest.mark.parametrize("ext", ["parquet", "arrow"])
def test_read_batch_of_a_wide_file_takes_time_in_its_columns_not_their_square(ext: str, tmp_path: Path) -> None:
    # the draft of all 273 GitHub webhook payloads has 2,962 columns: its 268-row Parquet file
    # took 20 s to read back (3.6 s to map), as each column asked pyarrow for the list of the
    # table's 5,924 field names (2.8 ms each) to look itself and its presence field up in it
    batch = _wide_batch(2000)
    path = tmp_path / f"x.{ext}"
    (writers.write_parquet if ext == "parquet" else writers.write_arrow)(batch, str(path))
    start = time.process_time()  # the CPU time of this process (pyarrow's threads too), not the wall clock of a busy machine
    back = mapper.read_batch(path)
    took = time.process_time() - start
    assert back.count == 3 and back.to_rows()[2]["c1999"] == "v"
    assert took < 4.5, f"read_batch of 2,000 columns took {took:.1f} s"  # (about 0.3 s now, 6 s before: room for a busy machine)


HEADER_NOTE = (
    "the first line is an array of 3 names and the lines after it arrays of 3 values, a header and its rows, not records:"
    " make each row an object (`jq -c -n 'input as $h | inputs | [$h, .] | transpose | map({(.[0]): .[1]}) | add' FILE`,"
    " NDJSON of records) and give that instead"
)
HEADER_AND_ROWS = '["asin","brand","rating"]\n["B01","Nokia",3]\n["B02","Motorola",2.9]\n["B03","",4.5]\n'


def test_infer_on_ndjson_of_a_header_and_rows_says_how_to_make_them_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # simdjson's amazon_cellphones.ndjson (a header line of 9 names, then 792 arrays of 9
    # values): infer said only "no records to infer a sink from: 793 records read, not JSON
    # objects (record 0, line 1: Expected `object`, got `array` [...] (9 items) ...)"
    from mapper import cli

    path = tmp_path / "rows.ndjson"
    path.write_text(HEADER_AND_ROWS)
    code = cli.main(["infer", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and err.endswith(f"\nnote: {HEADER_NOTE.replace(' FILE`', f' {path}`')}\n"), err
    sink = {"primary_key_fields": ["asin"], "allow_missing_fields": True, "definition": [{"name": "asin", "path": ["asin"], "type": "string"}]}
    assert mapper.compile_sink(sink).validate(path.read_bytes()).notes == [HEADER_NOTE]
    # the header alone, rows of another length, or a header of repeated or non-string names: no such note
    for text in ('["a","b","c"]\n', '["a","b","c"]\n[1,2]\n[1,2,3]\n', '["a","a","c"]\n[1,2,3]\n[1,2,3]\n', '["a",1,"c"]\n[1,2,3]\n'):
        assert not any("header" in n for n in mapper.compile_sink(sink).validate(text.encode()).notes), text


def test_infer_on_the_real_amazon_header_and_rows_names_the_jq_that_makes_its_records(capsys: pytest.CaptureFixture[str]) -> None:
    path = DATA / "json-corpora" / "amazon_cellphones.ndjson"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data is only on the development machines)")
    from mapper import cli

    code = cli.main(["infer", str(path)])
    err = capsys.readouterr().err
    assert code == 2 and "note: the first line is an array of 9 names and the lines after it arrays of 9 values" in err, err


def test_records_read_with_a_records_path_they_do_not_hold_are_told_to_leave_it_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the dump1090 aircraft already one a line (../shared/data/adsb/aircraft.ndjson) read with
    # --records-path aircraft, as the README shows for the snapshot: infer said only "118
    # documents read, none holding the --records-path array (... no key `aircraft`)", not that
    # no line holds any records, so each is likely one itself
    from mapper import cli

    note = f"note: {records_path_off_note()}"
    path = tmp_path / "aircraft.ndjson"
    path.write_text('{"hex":"a46304","alt_baro":3900,"mlat":[]}\n{"hex":"a3f500","alt_baro":"ground","mlat":[]}\n')
    code = cli.main(["infer", str(path), "--records-path", "aircraft"])
    err = capsys.readouterr().err
    assert code == 2 and "none holding the --records-path array" in err and err.endswith(f"\n{note}\n"), err
    with pytest.raises(mapper.InferError) as info:
        mapper.infer([{"hex": "a46304", "mlat": []}, {"hex": "a3f500"}], records_path="aircraft")
    assert note in str(info.value)
    # documents holding arrays of objects elsewhere are told where they are, not this
    path.write_text('{"planes":[{"hex":"a"}]}\n{"planes":[{"hex":"b"}]}\n')
    code = cli.main(["infer", str(path), "--records-path", "aircraft"])
    err = capsys.readouterr().err
    assert code == 2 and "--records-path planes" in err and "leave --records-path out" not in err, err


def test_a_type_given_to_integers_beyond_2_53_still_says_they_are_stored_changed(tmp_path: Path) -> None:
    # twitter's statuses with --type id=string (the README's example of a --type keeping the
    # identity): the 100 ids became the primary key, each _id stored as Go prints the float64
    # ("5.058749240958157e+17" for 505874924095815681), and infer said nothing: the --type
    # dropped the path's notes, and a twin's path had none to drop
    twin = [{"id": 505874924095815681 + i, "id_str": str(505874924095815681 + i), "k": f"k{i}"} for i in (0, 1000)]
    note = "id: integers beyond 2^53 (e.g. 505874924095816681, stored as 505874924095816704): the endpoint decodes numbers as float64"
    for records in (twin, [{k: v for k, v in r.items() if k != "id_str"} for r in twin]):
        for ctype in ("string", "id", "decimal"):
            result = mapper.infer(records, types={"id": ctype})
            assert any(n.startswith(note) for n in result.notes), (ctype, result.notes)
    # a number the endpoint refuses stays said under a --type too
    result = mapper.infer([{"k": "a", "n": 1}, {"k": "b", "n": float("inf")}], types={"n": "string"})
    assert any(n.startswith("n: ") and "whatever the column type" in n for n in result.notes), result.notes
