"""A newcomer's walk of the README and docs/*.md (stop 61): where following them hit something the docs or the code
did not say, held here."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

import pytest

from tests.cli_inproc import run_main


def test_serve_on_a_port_taken_says_what_to_do(tmp_path: Path) -> None:
    # the README's walk-through starts `mapper serve` in another shell; its web UI tour (docs/send-serve.md) starts a
    # second one on the same default port: "cannot listen on 127.0.0.1:8080: Address already in use", and no word of --port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_main("serve", "--db", ":memory:", "--port", port, "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.out == ""
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in proc.err
    assert "give another --port, or 0 for a free one)" in proc.err, proc.err


def test_a_server_on_a_port_taken_names_the_keyword_from_python() -> None:
    import mapper
    from mapper.serve import App, Server

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        try:
            Server(App(mapper.Store()), port=port)
        except mapper.MapperError as exc:
            said = str(exc)
        else:
            raise AssertionError("a Server listened on a port taken")
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in said
    assert "give another port= (--port), or 0 for a free one)" in said, said


def test_serve_on_an_address_of_no_interface_says_which_to_give(tmp_path: Path) -> None:
    # 192.0.2.1 (TEST-NET-1, RFC 5737) is no address of this machine
    proc = run_main("serve", "--db", ":memory:", "--host", "192.0.2.1", "--port", "0", "-q", cwd=tmp_path)
    assert proc.returncode == 2
    assert "cannot listen on 192.0.2.1:0: Cannot assign requested address" in proc.err
    assert "give --host 127.0.0.1 for this machine only, 0.0.0.0 for every interface" in proc.err, proc.err


ROOT = Path(__file__).resolve().parent.parent


def test_the_body_fit_refusal_send_serve_md_quotes_is_the_commands() -> None:
    # docs/send-serve.md quoted `a body must fit in one second of the limits: --body-records (20) <= --records-per-s (10)`;
    # the command says it otherwise. The quote is taken from the page, so the two cannot drift apart again.
    page = (ROOT / "docs" / "send-serve.md").read_text(encoding="utf-8")
    quoted = re.search(r"`--records-per-s 10 --body-records 20` is refused, `([^`]+)`", page)
    assert quoted is not None, "docs/send-serve.md no longer shows the refusal of --records-per-s 10 --body-records 20"
    proc = run_main("send", "examples/aircraft/sink.json", "examples/aircraft/records.ndjson", "--dry-run", "--records-per-s", "10", "--body-records", "20")
    assert proc.returncode == 2
    assert proc.err.strip() == quoted.group(1)


def _anchor(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation but ``-`` and ``_`` dropped, spaces as ``-``."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_of_the_docs_names_a_file_and_heading_that_exist() -> None:
    # docs/performance-log.md kept the README's own text with its links, docs/performance.md, which from docs/ named
    # docs/docs/performance.md; nothing checked a link of the pages
    pages = [ROOT / "README.md", ROOT / "examples" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    headings = {
        page: {_anchor(h) for h in re.findall(r"^#+\s+(.*)$", re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S), re.M)} for page in pages
    }
    broken = []
    for page in pages:
        for link in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", link):
                continue
            path, _, fragment = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            if not target.exists():
                broken.append(f"{page.relative_to(ROOT)}: {link} (no file {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target})")
            elif fragment and target.suffix == ".md" and fragment not in headings.get(target, set()):
                broken.append(f"{page.relative_to(ROOT)}: {link} (no such heading)")
    assert not broken, "\n".join(broken)


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.S | re.M)


def test_the_python_snippets_of_the_readme_and_python_api_md_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a newcomer pastes them into a script: each must run as shown, on the example's files under the names the
    # snippets use (Spark's, README's second block, needs a Spark session: tests/test_spark.py runs map_dataframe)
    pytest.importorskip("pyarrow")
    pytest.importorskip("pandas")
    pytest.importorskip("polars")
    import mapper

    example = ROOT / "examples" / "aircraft"
    lines = (example / "records.ndjson").read_bytes()
    records = [json.loads(line) for line in lines.splitlines()]
    for name in ("sink.json", "records.ndjson"):
        (tmp_path / name).write_bytes((example / name).read_bytes())
    (tmp_path / "big.ndjson").write_bytes(lines * 3)
    (tmp_path / "aircraft.json").write_text(json.dumps({"now": 1659981468.3, "aircraft": records}))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FEATUREBASE_TOKEN", raising=False)  # (a newcomer against mapper serve has none: it read os.environ[...])
    assert run_main("map", "sink.json", "records.ndjson", "-o", "out.parquet", "-q", cwd=tmp_path).returncode == 0
    readme = _python_blocks(ROOT / "README.md")
    api = _python_blocks(ROOT / "docs" / "python-api.md")
    assert len(readme) == 2 and "map_dataframe" in readme[1] and len(api) == 3
    for blocks in ([readme[0]], api):  # (python-api.md's blocks go on from each other: the producer's uses its first's m)
        names: dict[str, object] = {
            "os": os,
            "records": records,
            "record": records[0],
            "ndjson_bytes": lines,
            "text": lines.splitlines()[0].decode(),
            "url": "http://127.0.0.1:9/v2/sinks/aircraft_positions",  # (nothing is sent: no body of 500 records fills up)
            "other": mapper.compile_sink("sink.json").map(records),
        }
        for block in blocks:
            exec(compile(block, "<docs>", "exec"), names)
        assert isinstance(names["m"], mapper.Mapper) and isinstance(names["batch"], mapper.Batch)


def test_serve_refused_for_a_port_taken_creates_no_sink_in_the_database(tmp_path: Path) -> None:
    # docs/cli.md: a start refused leaves the database's sinks as they were; a port taken was found only after the
    # SINKs had been created in it, so the README's step 2 beside a serve already running made its sink there
    import mapper

    db = tmp_path / "fb.db"
    mapper.Store(str(db)).close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = run_main("serve", ROOT / "examples" / "aircraft" / "sink.json", "--db", db, "--port", port, "-q", cwd=tmp_path)
    assert proc.returncode == 2 and "Address already in use" in proc.err
    store = mapper.Store(str(db))
    try:
        assert store.list_sinks() == []
    finally:
        store.close()


def test_the_toward_epoch_example_holds_with_the_layout_docs_types_md_names() -> None:
    # docs/types.md's toward_epoch example, "1969-12-31T12:00:00Z" at Unit d is day 0, is refused with a dateInt's default
    # Layout (2006-01-02: "extra text"); the page now names the Layout it needs, and both are held here
    import mapper

    page = (ROOT / "docs" / "types.md").read_text(encoding="utf-8")
    row = next(line for line in page.splitlines() if line.startswith("| `toward_epoch`"))
    layout = re.search(r"with a Layout that holds the time \(`([^`]+)`; the default `2006-01-02` refuses it, `invalid_value`\)", row)
    assert layout is not None, row
    sink = {
        "id_field": "id",
        "allow_missing_fields": True,
        "definition": [
            {"name": "id", "path": ["id"], "type": "id"},
            {"name": "given", "path": ["t"], "type": "dateInt", "config": {"Unit": "d", "Layout": layout.group(1)}},
            {"name": "plain", "path": ["t"], "type": "dateInt", "config": {"Unit": "d"}},
        ],
    }
    m = mapper.compile_sink(json.dumps(sink))
    said = [(p.column, getattr(p, "kind", None) or getattr(p, "code", None)) for p in m.check('{"id": 1, "t": "1969-12-31T12:00:00Z"}')]
    assert said == [("plain", "invalid_value"), ("given", "toward_epoch")]
    assert m.map('{"id": 1, "t": "1969-12-31T12:00:00Z"}', on_error="skip").to_rows() == []
    only = mapper.compile_sink(json.dumps({**sink, "definition": sink["definition"][:2]}))
    assert only.map('{"id": 1, "t": "1969-12-31T12:00:00Z"}').to_rows() == [{"_id": 1, "given": 0}]


def test_no_page_holds_a_merge_conflicts_markers() -> None:
    # (a cherry-pick's conflict once landed in docs/python-api.md with both sides and their markers: Python files
    # would not compile so, but a page reads on)
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "examples").rglob("*.md"))]
    marked = [
        f"{page.relative_to(ROOT)}:{n}"
        for page in pages
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if line.startswith(("<<<<<<< ", ">>>>>>> ")) or line == "======="
    ]
    assert not marked, marked
