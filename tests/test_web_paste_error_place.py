"""Send records' refusal of a paste that cannot be sent says where in the paste box as numbers
(``line``, ``char``, ``record_line`` beside ``code`` and ``message``), and the page selects that
line from them: the words are for reading, never parsed for a place (the page read the line
with a regular expression over the message, so a reworded message lost the selection).

The route tests need no browser; the browser tests use ``tests/test_web_browser.py``'s fixtures
(Debian's chromium, skipped without it). Every server binds 127.0.0.1, every request and wait
is bounded.
"""

from __future__ import annotations

import json
import re
from typing import Any, Iterator

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mapper.endpoint import ServiceError
from mapper.serve import Server
from mapper.web.draft import PasteError, paste_records
from tests.test_web import paste_source, request, ui_server
from tests.test_web_browser import bounded as bounded  # noqa: F401  (the fixtures, used by name)
from tests.test_web_browser import browser as browser  # noqa: F401
from tests.test_web_browser import by_id, new_source, paste, read_when, text_of, wait
from tests.test_web_browser import no_script_errors as no_script_errors  # noqa: F401  (no exception left uncaught)
from tests.test_web_browser import ui_server as browser_server


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with ui_server() as srv:
        paste_source(srv)
        yield srv


def refusal(server: Server, text: str) -> dict[str, Any]:
    status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", {"text": text})
    assert status == 400, body
    got = orjson.loads(body)
    assert isinstance(got, dict)
    return got


def at(text: str, line: int, char: int) -> str:
    """The character of the paste at (line, char), both from 1."""
    return text.split("\n")[line - 1][char - 1]


# ---------------------------------------------------------------------------------------
# The route: the place as numbers


@pytest.mark.parametrize(
    ("text", "line", "record_line", "found"),
    [
        # NDJSON: the record's line, the character on it (its indent counted)
        ('{"id": "a"}\n\n   {"id": x}\n', 3, 3, "x"),
        # a pretty-printed record (`jq .`): the error's own line, not the line the record starts on
        ('{\n  "id": "a"\n}\n{\n  "id": "b",\n  "alt": \n    x\n}\n', 7, 4, "x"),
        # an array's element over lines, after the "[": the element's line counted in the paste
        ('[\n  {"id": "a"},\n  {"id": "b",\n   "alt": }\n]', 4, 3, "}"),
        # an array on one line that does not parse: the paste's as a whole (no record), chars from the line's start
        ('\n[{"id": "a"}, {"id": ]', 2, None, "]"),
    ],
)
def test_a_record_that_is_not_json_is_placed_by_numbers(server: Server, text: str, line: int, record_line: int | None, found: str) -> None:
    got = refusal(server, text)
    assert got["code"] == "InvalidBody" and "nothing was sent" in got["message"]
    assert (got["line"], got["record_line"]) == (line, record_line), got
    assert isinstance(got["char"], int) and at(text, line, got["char"]) == found, got
    assert f"char {got['char']}" in got["message"]  # the words say the same place


def test_a_document_that_does_not_parse_is_placed_as_a_whole(server: Server) -> None:
    text = '[\n  {"id": "a"},\n  {"id": "b"},,\n  {"id": "c"}\n]'
    got = refusal(server, text)
    assert (got["line"], got["record_line"]) == (3, None), got  # the paste's as a whole: no record holds it
    assert at(text, 3, got["char"]) == ","
    # cut short: the line it ends on, and no character
    got = refusal(server, '[\n  {"id": "a"},\n  {"id": "b"}\n')
    assert (got["line"], got["char"], got["record_line"]) == (4, None, None), got


def test_a_pasted_body_refused_whole_names_the_number(server: Server) -> None:
    text = '{"records": [\n  {"value": {"id": "a"}},\n  {"value": {"id": "b",\n    "alt": 1e999}}\n]}'
    got = refusal(server, text)
    assert (got["line"], got["record_line"]) == (4, None), got  # (the body is refused whole)
    assert text.split("\n")[3][got["char"] - 1 :].startswith("1e999")


def test_half_a_surrogate_pair_in_the_paste_is_placed(server: Server) -> None:
    # JSON.stringify writes a lone surrogate of the box as "\ud800": the request itself is refused
    status, _h, body = request(server, "POST", "/ui/api/sinks/nm/send", b'{"text": "{\\"id\\": \\"a\\"}\\n{\\"id\\": \\"\\ud800\\"}"}')
    got = orjson.loads(body)
    assert status == 400 and (got["line"], got["char"], got["record_line"]) == (2, 9, None), got
    assert got["message"].startswith("the records: line 2 char 9 holds U+D800")
    # the same in another field of the UI's (the New Source form's name): no paste box, no numbers
    status, _h, body = request(server, "POST", "/ui/api/draft", b'{"name": "ab\\ud800"}')
    got = orjson.loads(body)
    assert status == 400 and got["message"].startswith("the name: line 1 char 3 holds U+D800") and set(got) == {"code", "message"}, got


def test_a_refusal_with_no_place_has_no_numbers(server: Server) -> None:
    got = refusal(server, "  \n ")
    assert got["message"].startswith("nothing to send") and set(got) == {"code", "message"}


# Any paste of records (NDJSON, objects pretty-printed, an array on one line or over lines, a body),
# cut or added to anywhere: when it is refused for a place, the numbers are the place its words name.
_RECORDS = st.lists(
    st.fixed_dictionaries({"id": st.text("abc", max_size=3)}, optional={"alt": st.integers(-5, 5), "tags": st.lists(st.sampled_from("xy"), max_size=2)}),
    min_size=1,
    max_size=4,
)
_LAYOUTS = {
    "ndjson": lambda rs: "\n".join(json.dumps(r) for r in rs),
    "pretty": lambda rs: "\n".join(json.dumps(r, indent=2) for r in rs),
    "array": json.dumps,
    "array over lines": lambda rs: json.dumps(rs, indent=2),
    "body": lambda rs: json.dumps({"records": [{"value": r} for r in rs]}, indent=1),
}
_WORDS = re.compile(r"\bline (\d+)")
_IN_RECORD = re.compile(r"\bat line (\d+) char (\d+) of the record\b")


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    records=_RECORDS,
    layout=st.sampled_from(sorted(_LAYOUTS)),
    edits=st.lists(st.tuples(st.floats(0, 1), st.sampled_from(["x", ",", "}", "{", '"', ":", "]", "\n", "1e999", " ", "\t", ""])), min_size=1, max_size=2),
    cut=st.floats(0.3, 1),
)
def test_the_numbers_are_the_place_the_words_name(records: list[dict[str, Any]], layout: str, edits: list[tuple[float, str]], cut: float) -> None:
    text = _LAYOUTS[layout](records)
    for where, piece in edits:
        i = int(where * len(text))
        text = text[:i] + piece + text[i:]
    text = text[: max(1, int(cut * len(text)))] if cut < 0.95 else text
    try:
        paste_records(text)
    except PasteError as err:
        lines = text.split("\n")
        assert 1 <= err.line <= len(lines)
        # the words' line: the first named (a record's, or the place's), moved to the record's own line named after it
        m = _WORDS.search(err.message)
        assert m is not None, err.message
        line = int(m.group(1))
        inner = _IN_RECORD.search(err.message, m.end())
        if inner:
            line += int(inner.group(1)) - 1
        assert err.line == line, (err.message, err.line)
        chars = re.findall(r"\bchar (\d+)", err.message)
        assert err.char == (int(chars[0]) if chars else None), (err.message, err.char)
        if err.char is not None:  # a character of that line, or just past its end (what is missing there)
            assert 1 <= err.char <= len(lines[err.line - 1]) + 1
        if err.record_line is not None:
            assert 1 <= err.record_line <= err.line
    except ServiceError as err:  # refused with no place: the words name none either
        assert _WORDS.search(err.message) is None, err.message


# ---------------------------------------------------------------------------------------
# The page: the line the numbers name, selected


def _selection(driver: Any) -> list[Any]:
    return list(
        driver.execute_script(
            "var b = document.getElementById('records');"
            "return [document.activeElement === b, b.getAttribute('aria-invalid'), b.value.slice(b.selectionStart, b.selectionEnd)];"
        )
    )


def test_the_page_selects_the_line_the_answer_names(browser: Any) -> None:  # noqa: F811
    driver = browser
    with browser_server() as server:
        new_source(driver, server, "flights", "placed", "aircraft", {"_id": "id", "altitude": "alt"}, "continue")
        by_id(driver, "create").click()
        wait(driver, lambda d: "/ui/?created=" in d.current_url, "the source created")
        driver.get(server.url + "/ui/sources/placed")
        wait(driver, lambda d: text_of(d, "source-name") == "placed", "the source page")

        # a pretty-printed record broken on its 3rd line: that line, not the record's first
        records = ['{\n  "id": "a",\n  "alt": 1\n}', '{\n  "id": "b",\n  "alt": \n    oops\n}', '{\n  "id": "c"\n}']
        paste(driver, "records", "\n".join(records))
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: "nothing was sent" in t, "the refusal")
        assert _selection(driver) == [True, "true", "    oops"]

        # The words are for reading: a service that says them otherwise (another wording, a
        # translation) places the error by its numbers all the same
        driver.execute_script(
            """
            var real = window.fetch;
            window.fetch = function (path, init) {
              return real(path, init).then(function (res) {
                if (!/\\/send$/.test(String(path)) || res.status !== 400) return res;
                return res.json().then(function (body) {
                  body.message = "Ce texte n'est pas du JSON : rien n'a été envoyé";
                  return new Response(JSON.stringify(body), {status: 400, headers: {"Content-Type": "application/json"}});
                });
              });
            };
            """
        )
        lines = [json.dumps({"id": f"r{i}", "alt": i}) for i in range(30)]
        lines[17] = '{"id": "r17", "alt": ]'
        paste(driver, "records", "\n".join(lines))
        by_id(driver, "send").click()
        read_when(driver, lambda d: text_of(d, "send-summary"), lambda t: "rien n'a été envoyé" in t, "the reworded refusal")
        assert _selection(driver) == [True, "true", lines[17]]
