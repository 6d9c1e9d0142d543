"""Work that must grow linearly with the input: each test counts operations, or times two sizes, on
inputs a real producer or sink author makes (each failed before its fix, by far)."""

from __future__ import annotations

import json
import sys
import time

import pytest
from sinks import column, id_schema

import mapper
from mapper import report as report_module


def wide_sink(n: int, ctype: str = "string") -> mapper.Mapper:
    definition = [{"name": "id", "path": ["id"], "type": "id"}]
    definition += [{"name": f"c{i}", "path": [f"c{i}"], "type": ctype} for i in range(n)]
    return mapper.compile_sink({"id_field": "id", "allow_missing_fields": True, "definition": definition})


@pytest.mark.parametrize("as_text", [True, False])
def test_one_record_warned_in_every_column_weighs_each_warning_a_few_times(monkeypatch, as_text):
    # 8,000 columns of "" in one record: each warning past 2 * KEEP sorted and weighed every
    # pending one again (18 s; 13.5 million weighings for 5,000 columns)
    n = 3000
    m = wide_sink(n)
    record = {"id": 1, **{f"c{i}": "" for i in range(n)}}
    calls = 0
    weigh = report_module.warning_weight

    def counted(w):
        nonlocal calls
        calls += 1
        return weigh(w)

    monkeypatch.setattr(report_module, "warning_weight", counted)
    rep = m.validate((json.dumps(record) + "\n").encode() if as_text else [record])
    assert sum(rep.warning_counts.values()) == n
    assert [w.column for w in rep.warnings] == [f"c{i}" for i in range(report_module.KEEP)]  # the first KEEP, in column order
    assert calls < 4 * n


def test_infer_with_thousands_of_excluded_paths_tries_no_glob_per_path(monkeypatch):
    # one --exclude per path to leave out (a script's list): every path was tried against
    # every glob (8,000 paths, 4,000 globs: 6 s)
    infer_module = sys.modules["mapper.infer"]  # (mapper.infer is the function)

    n = 2000
    calls = 0
    fnmatchcase = infer_module.fnmatch.fnmatchcase

    def counted(name, pat):
        nonlocal calls
        calls += 1
        if calls > 20 * n:
            raise AssertionError("globs tried path by path")
        return fnmatchcase(name, pat)

    monkeypatch.setattr(infer_module.fnmatch, "fnmatchcase", counted)
    text = "".join(json.dumps({"id": j, **{f"k{i}": i for i in range(n)}}) + "\n" for j in range(2))
    result = mapper.infer([text.encode()], id_field="id", exclude=[f"k{i}" for i in range(0, n, 2)] + ["k1?"])
    columns = {c["name"] for c in result.columns}
    assert columns == {"id"} | {f"k{i}" for i in range(1, n, 2)} - {f"k{i}" for i in range(11, 20, 2)}
    assert result.skipped["k0"] == "excluded by --exclude k0"
    assert result.skipped["k13"] == "excluded by --exclude k1?"


@pytest.mark.parametrize("seed", range(3))
def test_infer_glob_hit_is_the_first_glob_given_at_the_longest_prefix(seed):
    import fnmatch
    import random

    from mapper.infer import _dot, _Globs

    rnd = random.Random(seed)
    words = ["a", "b", "ab", "a.b", "x"]
    pool = ["a", "b", "a.b", "a.*", "*", "?", "[ab]", "a.b.x", "ab", "b.*", "x.a", "*.b", "a.?"]
    for _ in range(300):
        globs = tuple(rnd.choice(pool) for _ in range(rnd.randint(1, 6)))
        keys = tuple(rnd.choice(words) for _ in range(rnd.randint(1, 4)))
        want = None
        for n in range(len(keys), 0, -1):
            want = next((g for g in globs if fnmatch.fnmatchcase(_dot(keys[:n]), g)), None)
            if want is not None:
                break
        assert _Globs(globs).hit(keys) == want, (globs, keys)


PPRINTED = "{'id': 1}\n" + '{"id": 2,\n"t":\n[1, 2]}\n{"id": 3}\n{"id": 4, "s": "x\n{"id": 5}\n'


def test_values_one_after_another_read_past_broken_ones_as_before():
    from mapper.engine.reader import _values

    raws, lines, _cols = _values(PPRINTED.encode(), 1)
    assert raws == [b"{'id': 1}", b'{"id": 2,\n"t":\n[1, 2]}', b'{"id": 3}', b'{"id": 4, "s": "x', b'{"id": 5}']
    assert lines == [1, 2, 5, 6, 7]


def test_many_broken_values_one_after_another_are_read_in_linear_time():
    # records as pprint prints them ({'id': 1, ...}: each broken, each starting a line): the
    # standard library's error counted the lines before each (40,000 records: 18 s)
    from mapper.engine.reader import _values

    record = json.dumps({"id": 1, "s": "abc", "t": [1, 2, 3]}, indent=2).replace('"', "'")
    n = 30_000
    data = ("\n".join([record] * n) + "\n").encode()
    start = time.thread_time()  # this thread's CPU time: what the reading cost, not how busy the machine was
    raws, lines, _cols = _values(data, 1)
    assert time.thread_time() - start < 2.5
    assert len(raws) == n and raws[1] == record.encode() and lines[:2] == [1, 1 + record.count("\n") + 1]


def test_small_records_of_a_wide_sink_are_mapped_in_runs_of_bounded_cells(monkeypatch):
    # a wide sink reads big chunks (2 KB a column): 20,000 records of one key each (460 KB)
    # against 2,000 columns were one run of every record times every column, 1.1 GB (the
    # bound made small here, to keep the test quick: 65,536 cells, 327 records of 200 columns)
    from mapper.engine import core
    from mapper.engine.fast import FastPath

    monkeypatch.setattr(core, "RUN_CELLS", 1 << 16, raising=False)
    n = 200
    m = wide_sink(n, "int")
    runs: list[int] = []
    run = FastPath.run

    def counted(self, data, seg, **kw):
        runs.append(kw.get("count", 0))
        return run(self, data, seg, **kw)

    monkeypatch.setattr(FastPath, "run", counted)
    records = [{"id": j, f"c{j % n}": j} for j in range(1000)]
    records[900][f"c{900 % n}"] = "x"
    text = "".join(json.dumps(r) + "\n" for r in records).encode()
    rep = m.validate(text)
    assert runs and max(runs) <= (1 << 16) // n
    assert rep.failed_records == 1 and (rep.errors[0].record, rep.errors[0].line, rep.errors[0].column) == (900, 901, f"c{900 % n}")
    batch = m.map(text, on_error="skip")
    assert len(batch) == 999 and batch["c7"].values[7] == 7 and batch["c199"].values[-1] == 999
    assert batch.record_index[-1] == 999 and batch["c100"].values[100] == 100 and not batch["c100"].present[101]


def test_many_python_records_of_a_wide_sink_are_mapped_in_runs_of_bounded_cells(monkeypatch):
    # 2,048 dicts a unit times 8,000 columns took 500 MB (the bound made small here, as above)
    from mapper.engine import core
    from mapper.engine.fast import FastPath

    monkeypatch.setattr(core, "RUN_CELLS", 1 << 16, raising=False)
    n = 200
    m = wide_sink(n, "int")
    runs: list[int] = []
    run_dicts = FastPath.run_dicts

    def counted(self, objs, *args, **kw):
        runs.append(len(objs))
        return run_dicts(self, objs, *args, **kw)

    monkeypatch.setattr(FastPath, "run_dicts", counted)
    records = [{"id": j, f"c{j % n}": j} for j in range(1000)]
    records[900][f"c{900 % n}"] = "x"
    rep = m.validate(records)
    assert runs and max(runs) <= (1 << 16) // n
    assert rep.failed_records == 1 and rep.errors[0].record == 900
    batch = m.map(records, on_error="skip")
    assert len(batch) == 999 and batch["c7"].values[7] == 7 and batch["c199"].values[-1] == 999 and batch.record_index[-1] == 999


class _Counted:
    """A connection whose reads of sqlite_master are counted."""

    def __init__(self, db):
        self.db, self.master_reads = db, 0

    def execute(self, sql, *args):
        self.master_reads += "FROM sqlite_master" in sql
        return self.db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.db, name)


def test_creating_many_sinks_reads_the_table_names_once():
    # every sink created read every table's name (4,000 sinks: 18 s)
    from mapper.store import Store

    store = Store(":memory:")
    db = store.db = _Counted(store.db)
    definition = id_schema(column("v", "int"))
    for i in range(150):
        store.create_sink(definition, sink_id=f"s{i}")
    assert db.master_reads <= 2
    assert len(store.list_sinks()) == 150


def test_a_table_another_connection_made_is_still_seen(tmp_path):
    import sqlite3

    from mapper.store import Store

    path = tmp_path / "serve.db"
    store = Store(path)
    definition = id_schema(column("v", "int"))
    store.create_sink(definition, sink_id="a1")
    other = sqlite3.connect(path)
    other.execute("CREATE TABLE B1 (x)")
    other.commit()
    other.close()
    store.create_sink(definition, sink_id="b1")
    assert store._table("b1").name == "t_b1"
    store.create_sink(definition, sink_id="a2")
    assert store._table("a2").name == "a2"
    store.close()
