"""Small fixes of stop 55: hints that paste, bench's read error placed, a planted link named, the web UI's keys."""

from __future__ import annotations

import gzip
import os
import re
import shlex
from pathlib import Path

import pytest
from cli_inproc import run_main

ROOT = Path(__file__).parents[1]
SINK = ROOT / "examples" / "aircraft" / "sink.json"
RECORDS = (ROOT / "examples" / "aircraft" / "records.ndjson").read_bytes()


# ---------------------------------------------------------------------------------------
# 1. a "did you mean" hint names a file as a shell takes it


def test_did_you_mean_quotes_a_name_a_shell_would_split(tmp_path: Path) -> None:
    """``did you mean my dir/records.ndjson?`` pasted gave the command two arguments, ``my`` and
    ``dir/records.ndjson``: the name is quoted as the other hints' commands quote theirs."""
    (tmp_path / "my dir").mkdir()
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    (tmp_path / "my dir" / "records.ndjson").write_bytes(RECORDS)
    p = run_main("validate", "sink.json", "my dir/record.ndjson", cwd=tmp_path)
    assert p.returncode == 2 and p.err == "mapper: no such file: my dir/record.ndjson (did you mean 'my dir/records.ndjson'?)\n", p.err
    p = run_main("validate", "sink.json", "my dir\\records.ndjson", cwd=tmp_path)
    assert p.err.endswith("(did you mean 'my dir/records.ndjson'? directories are separated by /, not \\)\n"), p.err
    p = run_main("map", "sink.json", "my dir/records.ndjson", "-o", "my dir/o$x.json", cwd=tmp_path)
    assert p.returncode == 2 and "(did you mean 'my dir/o$x.ndjson'? JSON rows, one a line)" in p.err, p.err
    p = run_main("map", "sink.json", "my dir/records.ndjson", "-o", "my dir/o.npz.gz", cwd=tmp_path)
    assert p.returncode == 2 and "write 'my dir/o.npz' and compress it afterwards (gzip 'my dir/o.npz')" in p.err, p.err
    # what is shown is what the shell gives back: the name as it is
    assert shlex.split("'my dir/o$x.ndjson'") == ["my dir/o$x.ndjson"]
    p = run_main("validate", "sink.json", "records.ndjso", cwd=tmp_path / "my dir")
    assert p.err.endswith("(did you mean records.ndjson?)\n"), p.err  # (a plain name stays unquoted)


# ---------------------------------------------------------------------------------------
# 2. bench's read error on a cut compressed input says where, as validate's and send's do


@pytest.mark.parametrize("stdin", [False, True], ids=["file", "stdin"])
def test_bench_says_the_line_a_cut_compressed_input_was_read_to(tmp_path: Path, stdin: bool) -> None:
    """``bench SINK cut.ndjson.gz`` said ``cannot read cut.ndjson.gz: Compressed file ended ...``
    without validate's ``(after line N)``: where the file was cut, the line to look at."""
    (tmp_path / "sink.json").write_bytes(SINK.read_bytes())
    packed = gzip.compress(RECORDS * 40)
    (tmp_path / "cut.ndjson.gz").write_bytes(packed[: len(packed) // 2])
    name, given = ("-", packed[: len(packed) // 2]) if stdin else ("cut.ndjson.gz", None)
    v = run_main("validate", "sink.json", name, input=given, cwd=tmp_path)
    b = run_main("bench", "sink.json", name, "--repeat", "1", input=given, cwd=tmp_path)
    said = v.err.strip().splitlines()[-1]
    assert v.returncode == 2 and re.search(r" \(after line [1-9][0-9]*\)$", said), v.err
    assert b.returncode == 2 and b.err.strip() == said, (b.err, said)


# ---------------------------------------------------------------------------------------
# 3. an output leading through another user's link names that link


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="a link of another user's is made by root alone")
def test_an_output_leading_through_another_user_s_link_names_that_link(tmp_path: Path) -> None:
    """``-o out.ndjson``, this user's own link to /tmp/x.ndjson, another user's link: said "out.ndjson:
    it is a symbolic link of another user's in /tmp", of this user's own link, in a directory it is not in."""
    from mapper.errors import OutputError
    from mapper.writers import check_output

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    planted = shared / "x.ndjson"
    os.symlink(tmp_path / "victim.ndjson", planted)
    os.lchown(planted, 12345, 12345)
    own = tmp_path / "out.ndjson"
    os.symlink(planted, own)
    with pytest.raises(OutputError) as info:
        check_output(str(own))
    assert str(info.value) == (
        f"cannot write {own}: it leads through {planted}, a symbolic link of another user's in {shared}, a directory any user may write to "
        "(anyone may have made it, to have this run write where it points): name the file itself"
    ), info.value
    with pytest.raises(OutputError) as info:  # (the link itself: said as before)
        check_output(str(planted))
    assert str(info.value).startswith(f"cannot write {planted}: it is a symbolic link of another user's in {shared}, "), info.value
    assert not (tmp_path / "victim.ndjson").exists()


# ---------------------------------------------------------------------------------------
# 4. names and UI mapping keys lower-cased as FeatureBase's Go does (strings.ToLower)


def test_go_lower_is_the_simple_mapping_for_every_character() -> None:
    """Go's strings.ToLower maps rune by rune (Unicode's simple mapping); Python's str.lower uses
    the full one where it is longer: the table holds exactly those characters, each mapped to one."""
    from mapper.table import _FULL_LOWER_LONGER, go_lower

    longer = [c for c in map(chr, range(0x20000)) if len(c.lower()) != 1]
    rest = "".join(map(chr, range(0x20000, 0x110000)))  # (planes 2 on: no character with a case, told at C speed)
    assert rest.lower() == rest
    assert sorted(_FULL_LOWER_LONGER) == longer == ["\u0130"]
    assert _FULL_LOWER_LONGER["\u0130"] == "i"  # (UnicodeData.txt 0130's simple lowercase: 0069)
    assert go_lower("İD") == "id" and go_lower("PRİCE") == "price" and go_lower("ΟΔΟΣ") == "οδοσ"  # (no final sigma: rune by rune)
    assert go_lower("\u212aM") == "km" and go_lower("Bar") == "bar"


def test_a_quoted_column_name_and_its_mapping_key_are_lower_cased_as_featurebase_does() -> None:
    """``CREATE TABLE t (_id ID, "PRİCE" INT)`` (İ: a Turkish keyboard's capital i) is the column
    ``price`` to FeatureBase (strings.ToLower): mapper made it ``pri̇ce`` (U+0307 inside), warned that
    FeatureBase refuses the statement, and refused the mapping key ``PRİCE`` as no column; the web
    UI's preview showed it unmapped."""
    import json

    import mapper
    from mapper.table import analyze_create_table
    from mapper.web import database_id, draft
    from mapper.web.catalog import Catalog

    sql = 'CREATE TABLE t (_id ID, "PRİCE" INT)'
    table, problems = analyze_create_table(sql)
    assert table is not None and [c.name for c in table.columns] == ["_id", "price"] and not problems, problems
    assert table.column("PRİCE").name == "price"
    doc = {"name": "s", "table": sql, "mapping": {"_İD": "id", "PRİCE": "p"}, "allow_missing_fields": False}
    result = mapper.check_sink(doc)
    assert not [p for p in result.problems if p.severity == "error"], result.problems
    dup = mapper.check_sink({**doc, "table": 'CREATE TABLE t (_id ID, "PRİCE" INT, price INT)'})
    assert [p.code for p in dup.problems] == ["duplicate-column"], dup.problems  # (FeatureBase: "duplicate column 'price'")
    cat = Catalog()
    cat.add("local", sql)
    sample = json.dumps({"id": 7, "p": 3})
    out = draft(
        {
            "name": "s",
            "database_id": database_id("local"),
            "table": "t",
            "columns": {"_İD": {"path": "id"}, "PRİCE": {"path": "p"}},
            "allow_missing_fields": False,
            "sample": sample,
        },
        cat,
    )
    assert out["valid"], out["problems"]
    found = {c["column"]: c["found"] for c in out["preview"]["columns"]}
    assert found == {"_id": {"kind": "value", "text": "7"}, "price": {"kind": "value", "text": "3"}}, found
