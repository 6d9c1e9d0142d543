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


def test_an_idle_timeout_no_socket_takes_is_refused_when_the_server_is_made() -> None:
    """``Server(idle_timeout=1e10)`` (a typo for 1e1, or "for ever") was taken, then every connection ended on
    ``OverflowError: timestamp out of range for platform time_t`` (a line on stderr each, no answer): bounded as
    every wait of the API is (send's --timeout, --backoff: a day), None still meaning no timeout."""
    import pytest

    import mapper
    from mapper.serve import App, Server
    from mapper.store import Store

    with Store(":memory:") as store:
        with pytest.raises(mapper.OptionError, match=r"the idle timeout \(idle_timeout=\) must be a finite number of seconds, above 0, at most 86,400"):
            Server(App(store), idle_timeout=1e10)
        server = Server(App(store), idle_timeout=86_400)  # (the most taken, mapper.endpoint.MAX_WAIT; None: none)
        server.httpd.server_close()
