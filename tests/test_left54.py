"""Stop 54's small gaps: a compressed JSON document cut short (validate, map, send), send's reading
of a record opening with a byte order mark, hints for compressed standard input, a store in a
directory that cannot be written, and the invisible characters messages escape."""

from __future__ import annotations

import gzip
import io
import json
import lzma
from pathlib import Path
from typing import Any, Callable

import pytest

import mapper
from mapper.cli import main

SINK = {"primary_key_fields": ["id"], "allow_missing_fields": True, "definition": [{"name": "id", "path": ["id"], "type": "int"}]}
PACKERS: dict[str, Callable[[bytes], bytes]] = {"gzip": gzip.compress, "xz": lambda text: lzma.compress(text, preset=0)}
#: 3,000 records of 60 bytes (well past the head read first: 64 KiB), one a line, in a JSON array and in a request body
PAD = b"x" * 40
ARRAY = b"[\n" + b",\n".join(b'{"id": %d, "pad": "%s"}' % (i, PAD) for i in range(3000)) + b"\n]\n"
BODY = b'{"records": [\n' + b",\n".join(b'{"value": {"id": %d, "pad": "%s"}}' % (i, PAD) for i in range(3000)) + b"\n]}\n"


def _cut(kind: str, text: bytes) -> bytes:
    packed = PACKERS[kind](text)
    return packed[: len(packed) * 2 // 3]


@pytest.mark.parametrize(("kind", "fmt"), [("gzip", "json"), ("gzip", "endpoint"), ("xz", "json")])
def test_a_compressed_document_cut_short_is_an_input_error_naming_the_last_line_never_mapped_as_its_part(kind: str, fmt: str, tmp_path: Path) -> None:
    # (bzip2 finds the damage in its first block: "in line 1")
    # the document's whole read took the text before the failing read and left the error to a next
    # read that never came: the part read was mapped as the document, its last record "truncated",
    # the records after the cut lost unsaid (PARTIAL: 1,979 of 1,980 records would be stored)
    cut = _cut(kind, ARRAY if fmt == "json" else BODY)
    path = tmp_path / "r.z"
    path.write_bytes(cut)
    m = mapper.compile_sink(SINK)
    for given in (lambda: path, lambda: cut, lambda: io.BytesIO(cut)):
        for auto in (True, False):
            with pytest.raises(mapper.InputError, match=r"^cannot read .* \((?:after|in) line [\d,]+\)$"):
                m.validate(given(), input_format="auto" if auto else fmt)


def _send(capsys: pytest.CaptureFixture[str], *args: Any) -> tuple[int, str, str]:
    code = main(["send", *[str(a) for a in args], "--dry-run"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sink(tmp_path: Path) -> Path:
    path = tmp_path / "sink.json"
    path.write_text(json.dumps({"name": "s", "sink_details": {"database_id": "d", "table": "t"}, "schema": {"type": "json", **SINK}}))
    return path


@pytest.mark.parametrize(("fmt", "kind"), [("json", "gzip"), ("endpoint", "gzip"), ("ndjson", "gzip"), ("ndjson", "xz")])
def test_send_of_a_compressed_input_cut_short_names_the_last_line_read_as_validate_does(
    fmt: str, kind: str, sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # send's own reader read a document (or NDJSON's 1 MiB blocks) with a buffered read: its error named
    # no line, and the lines unpacked before the failing read were dropped (0 records read of 1,994);
    # xz, damaged in the first read after the head: the head's whole lines were dropped too
    text = ARRAY if fmt == "json" else BODY if fmt == "endpoint" else ARRAY[2:-3].replace(b",\n", b"\n") + b"\n"
    path = tmp_path / "r.z"
    if kind == "gzip":
        path.write_bytes(_cut("gzip", text))
    else:
        packed = bytearray(PACKERS["xz"](text))
        packed[len(packed) * 9 // 10] ^= 0xFF  # (past the first 64 KiB of text: the head read first is whole)
        path.write_bytes(packed)
    code, _out, err = _send(capsys, sink, path, "--input-format", fmt)
    with pytest.raises(mapper.InputError) as caught:
        mapper.compile_sink(SINK).validate(path, input_format=fmt)
    line = str(caught.value).rpartition(" (after line ")[2]
    assert line[:1].isdigit() and line.endswith(")"), caught.value
    said = (
        "Compressed file ended before the end-of-stream marker was reached" if kind == "gzip" else "its xz data is corrupt, damaged (`xz -t` on it fails too)"
    )
    assert code == 2 and f"an input could not be read: cannot read {path}: {said} (after line {line}\n" in err, err
    if fmt == "ndjson":  # (the records before the cut are judged and counted, as validate's stream maps them before its error)
        lines = int(line.rstrip(")").replace(",", ""))
        assert f"dry run: {lines:,} records read, {lines:,} would be sent" in err, err


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        (b'{"id": 1}\n' + BOM + b'{"id": 2}\n', "ndjson"),  # a line after the first opening with a mark
        (BOM + BOM + b'{"id": 1}\n{"id": 2}\n', "ndjson"),  # the first line with a second mark
        (b'{"id": 1}\n' + BOM + b'{"id": 2}\n', "json"),  # objects one after another (files joined, each with its mark)
        (b'{"id": 1} ' + BOM + b'{"id": 2}\n', "json"),  # the same on one line
    ],
)
def test_send_refuses_a_record_opening_with_a_byte_order_mark_inside_an_input_as_validate_does(
    text: bytes, fmt: str, sink: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # send gave each record's text to the batcher, which takes a mark off a text given alone: the
    # record validate refuses (invalid_json, "a byte order mark ... but not a record within one") was sent
    path, rejects = tmp_path / "r.json", tmp_path / "rejects.ndjson"
    path.write_bytes(text)
    report = mapper.compile_sink(SINK).validate(path, input_format=fmt)
    assert [e.code for e in report.errors] == ["invalid_json"], report.errors
    code, _out, err = _send(capsys, sink, path, "--input-format", fmt, "--rejects", rejects)
    assert code == 1 and "2 records read, 1 would be sent in 1 body" in err and ", 1 refused by pre-validation" in err, err
    (letter,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    error = report.errors[0]
    said = f"{error.reason} (record {error.record}, line {error.line})"
    assert [(e["code"], e["message"], e["line"]) for e in letter["errors"]] == [(error.code, said, error.line)], letter


def _unprivileged(call: Callable[[], Any]) -> Any:
    """``call()`` as a process without the right to write where permissions say no: as it is for a
    user; for root, in a thread whose effective capabilities lack the overrides of file permissions
    (Linux's are a thread's own: the rest of the test process keeps them)."""
    import os
    import threading

    if os.geteuid() != 0:
        return call()
    import ctypes

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        capget, capset = libc.capget, libc.capset
    except (OSError, AttributeError):
        pytest.skip("no capget/capset: root writes where permissions say no")
    out: dict[str, Any] = {}

    def run() -> None:
        header, data = Header(0x20080522, 0), (Data * 2)()  # (_LINUX_CAPABILITY_VERSION_3)
        if capget(ctypes.byref(header), data) != 0:
            out["skip"] = True
            return
        kept = data[0].effective
        data[0].effective &= ~0b1110  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER
        if capset(ctypes.byref(header), data) != 0:
            out["skip"] = True
            return
        try:
            out["result"] = call()
        except BaseException as exc:  # (raised in the test's thread)
            out["error"] = exc
        finally:
            data[0].effective = kept
            capset(ctypes.byref(header), data)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if out.get("skip"):
        pytest.skip("capabilities cannot be set: root writes where permissions say no")
    if "error" in out:
        raise out["error"]
    return out.get("result")


def test_a_store_in_a_directory_it_cannot_write_says_so_naming_the_directory(tmp_path: Path) -> None:
    # Store(path) said SQLite's "attempt to write a readonly database" of a database whose directory it
    # may not write (SQLite writes the -wal and -shm files beside it), and "unable to open database
    # file" of a new one there: neither named the directory, nor what to do
    from mapper.endpoint import ServiceError
    from mapper.store import Store

    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "serve.db"
    Store(path).close()
    folder.chmod(0o555)
    try:
        for name, verb in (("serve.db", "write"), ("new.db", "create")):
            with pytest.raises(ServiceError) as caught:
                _unprivileged(lambda: Store(folder / name))  # noqa: B023 - (called at once)
            said = caught.value.message
            assert said.startswith(f"cannot {verb} the database {folder / name}: its directory {folder} cannot be written"), said
            assert "readonly" not in said and "unable to open" not in said, said
        store = _unprivileged(lambda: Store(path, writable=False))  # (what serve --query opens: read all the same)
        assert store.list_sinks() == []
        store.close()
        assert sorted(p.name for p in folder.iterdir()) == ["serve.db"]
    finally:
        folder.chmod(0o755)


ARRAYS = b'[{"id": 1}, {"id": 2}]\n[{"id": 3}]\n'  # NDJSON whose lines hold arrays of the records (the note's jq puts them one a line)


@pytest.mark.parametrize(("packer", "command"), [(None, "... | jq -c '.[]'"), (gzip.compress, "... | gzip -dc | jq -c '.[]'")])
def test_a_hint_on_standard_input_gives_the_command_to_pipe_it_through_not_a_file_placeholder(
    packer: Callable[[bytes], bytes] | None, command: str, sink: Path, tmp_path: Path
) -> None:
    # `gzip -c r.ndjson | mapper validate sink.json -` was told to run `jq -c '.[]' FILE`: no file to
    # name, and jq of the file the user has would read gzip data; standard input's text goes through
    # the command as it came, unpacked first when it came compressed
    from cli_inproc import run_main

    data = ARRAYS if packer is None else packer(ARRAYS)
    ran = run_main("validate", sink, "-", input=data)
    assert ran.returncode == 1 and f"put them one a line (`{command}`, NDJSON of records)" in ran.out, ran.out
    assert "FILE" not in ran.out + ran.err
    path = tmp_path / "r.ndjson"
    path.write_bytes(data)  # (a file is named as before: gzip -dc r.ndjson | jq -c '.[]')
    named = f"gzip -dc {path} | jq -c '.[]'" if packer else f"jq -c '.[]' {path}"
    assert f"(`{named}`, NDJSON of records)" in run_main("validate", sink, path).out


def test_hints_named_and_text_command_of_standard_input() -> None:
    from mapper.engine.reader import LONE_CR_NOTE, hints_named
    from mapper.errors import text_command

    assert text_command("tr '\\r' '\\n'", "-", stdin=True) == "... | tr '\\r' '\\n'"
    assert LONE_CR_NOTE.endswith("`tr '\\r' '\\n' < FILE`")
    assert hints_named(LONE_CR_NOTE, "-").endswith("`... | tr '\\r' '\\n'`")
    assert hints_named(LONE_CR_NOTE, None) == LONE_CR_NOTE  # (bytes given to the library: no input to name)


def test_messages_escape_the_characters_the_web_ui_escapes_one_list_for_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the web UI's safeText escaped the soft hyphen, the Hangul fillers, the deprecated format controls,
    # the musical formatting ones...; messages (errors._CONTROL) did not: a column "admin\u00ad" showed as "admin"
    import re

    app_js = Path(mapper.__file__).parent / "web" / "static" / "app.js"
    hidden = {  # (the web UI's, tests/test_serve_security.py's HIDDEN_TEXTS: those messages let through first)
        "a\u202eb": "a\\u202eb",
        "zero\u200bwidth\ufeff": "zero\\u200bwidth\\ufeff",
        "line\u2028para\u2029": "line\\u2028para\\u2029",
        "tag\U000e0041": "tag\\udb40\\udc41",
        "soft\u00adhyphen\u034f": "soft\\u00adhyphen\\u034f",
        "hangul\u3164\u115f\u1160\uffa0": "hangul\\u3164\\u115f\\u1160\\uffa0",
        "\u17b4\u17b5\u180e\u206a\u206f": "\\u17b4\\u17b5\\u180e\\u206a\\u206f",
        "\ufff9shown\ufffahidden\ufffb": "\\ufff9shown\\ufffahidden\\ufffb",
        "music\U0001d173\U0001d17a": "music\\ud834\\udd73\\ud834\\udd7a",
        "\U0001f468\u200d\U0001f469 \u2764\ufe0f \u0644\u0627\u200c": "\U0001f468\u200d\U0001f469 \u2764\ufe0f \u0644\u0627\u200c",  # (joiners, selectors)
    }
    from mapper.errors import _CONTROL, escape_controls, hidden_js
    from mapper.web.app import load_assets

    for text, shown in hidden.items():
        assert escape_controls(text) == shown, text
    # the served script's list is the messages' (and the file's own is the same)
    served = load_assets()["app.js"][0].decode()
    assert f"  var HIDDEN = {hidden_js()};" in served and f"  var HIDDEN = {hidden_js()};" in app_js.read_text()
    # read as JavaScript reads it (UTF-16 units), that list is the messages' but for C0 (which the pages show as text)
    js = re.compile(hidden_js()[1:-2])
    bmp = "".join(map(chr, range(0x10000)))  # (lone surrogates too: JavaScript's strings hold them)
    assert [m.start() for m in js.finditer(bmp)] == [m.start() for m in _CONTROL.finditer(bmp) if m.start() >= 0x20]
    for c in [*range(0x1D170, 0x1D17E), *range(0xDFFF0, 0xE0082)]:
        units = chr(0xD800 + ((c - 0x10000) >> 10)) + chr(0xDC00 + ((c - 0x10000) & 0x3FF))
        assert bool(js.fullmatch(units)) is bool(_CONTROL.fullmatch(chr(c))), hex(c)
    # on the command line: a column named with a soft hyphen and a Hangul filler
    name = "admin\u00ad\u3164"
    sink = tmp_path / "sink.json"
    sink.write_text(json.dumps({"id_field": name, "allow_missing_fields": True, "definition": [{"name": name, "path": ["id"], "type": "id"}]}))
    records = tmp_path / "r.ndjson"
    records.write_text('{"x": 1}\n')
    assert main(["validate", str(sink), str(records)]) == 1
    out = capsys.readouterr().out
    assert "admin\\u00ad\\u3164" in out and "\u00ad" not in out and "\u3164" not in out, out
