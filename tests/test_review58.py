"""Review of session 58's change (mapper, docs): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

from cli_inproc import run_main


def test_ndjson_records_given_as_the_sink_are_told_so_when_a_later_line_is_no_json(tmp_path: Path) -> None:
    """A records file given where the sink goes was told "it looks like NDJSON records" from its first line alone;
    reading the first 20 lines (for the column entries' and sinks' hints) lost the hint for a file whose line 2..20
    is no JSON (a line cut short, a log line), the commonest records file given by mistake."""
    (tmp_path / "r.ndjson").write_text('{"a": 1}\n{"a": 2}\n{"a":\n')
    ran = run_main("check", "r.ndjson", cwd=tmp_path)
    assert ran.returncode == 2 and "it looks like NDJSON records" in ran.out, ran.out
    # (entries one a line with a broken line are not told to be joined by jq -s, which would fail on it)
    (tmp_path / "e.ndjson").write_text('{"name": "a", "path": "a", "type": "int"}\n{"name": "b", "path":\n')
    ran = run_main("check", "e.ndjson", cwd=tmp_path)
    assert "jq -s" not in ran.out and "it looks like NDJSON records" in ran.out, ran.out
