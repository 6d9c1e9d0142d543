"""Sink definitions: load every form, check everything, model it once.

A sink definition arrives in one of these forms, all loaded into one immutable
:class:`~mapper.model.Sink`:

* the full ``POST /v1/sinks`` body: ``{"name", "sink_details", "schema": {...}}``;
* a bare ``schema`` object: ``{"id_field" | "primary_key_fields", "allow_missing_fields", "definition"}``;
* a bare definition array (the ingester's header file), with the identity and the
  missing-field policy given as arguments;
* the UI's table mapping ``{"name", "table": "CREATE TABLE ...", "mapping": {...}}``
  (see :mod:`mapper.table`).

:func:`check_sink` finds *every* problem at once, each with a JSON Pointer into the
document as written; :func:`load_sink` returns the model or raises
:class:`~mapper.errors.DefinitionError` when any problem is an error. The model is
the single input of the compile stage.
"""

from __future__ import annotations

import json
import math
import os
import re
import shlex
from dataclasses import replace
from pathlib import Path as FsPath
from typing import Any, Callable, Mapping, Union

from .checks import (
    TIME_KEYS,
    Checker,
    Entries,
    Escaped,
    LongFloat,
    LongInteger,
    WrittenNumbers,
    check_column_names,
    check_entries,
    check_paths,
    check_sink_name,
    go_fold,
    json_type,
    name_refused,
    near_miss,
    split_pointer,
    unknown_key_message,
)
from .errors import (
    FILE_NAME_RULE,
    SECOND_BOM_NOTE,
    SURROGATE,
    DefinitionError,
    OptionError,
    PathSyntaxError,
    Problem,
    and_list,
    archive_of,
    article,
    as_unescaped,
    binary_kind,
    class_name,
    compression_of,
    encoding_note,
    escape_controls,
    has_lone_surrogate,
    int_text,
    long_int,
    make_pointer,
    names_a_file,
    near_file,
    new_file_beside,
    option_text,
    plain_str,
    preview,
    read_once,
    released_reason,
    shell_file,
    shown_name,
    suggest,
    text_command,
    unpacked_data_head,
)
from .model import CheckResult, Column, Sink
from .paths import parse_path, root_dollar, to_dot_notation
from .stack import roomy_stack
from .table import check_ui_mapping
from .types.base import GO_SPACE

__all__ = ["check_sink", "load_sink", "read_json_document"]

_BODY_KEYS = ("name", "sink_details", "schema")
#: A blank of a draft for the user to fill in: ``<database_id>``, ``<table>`` (see ``mapper infer``).
PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z0-9_ -]*>")
_SCHEMA_KEYS = ("type", "id_field", "primary_key_fields", "allow_missing_fields", "definition")


# ---------------------------------------------------------------------------------------
# Reading the document

#: What :func:`load_sink` and :func:`check_sink` read: a file (a path as ``str`` or ``os.PathLike``),
#: JSON text (str, or bytes-like), or the parsed value (a mapping, or a bare definition array).
#: (Each generic parametrized: a bare ``list`` is ``list[Unknown]`` to pyright, whose strict mode
#: then flags every call of ``load_sink`` as "partially unknown".)
SinkSource = Union[str, bytes, bytearray, memoryview, os.PathLike[Any], Mapping[str, Any], list[Any], tuple[Any, ...]]


class _Obj(dict):
    """A JSON object that remembers keys it saw more than once (the last one wins, as in Go)."""

    __slots__ = ("duplicates", "history")

    def __init__(self, pairs: list[tuple[str, Any]]):
        super().__init__()
        self.duplicates: list[str] = []
        #: every value of a key given more than once, in order (Go reads each in turn: a null
        #: after a value leaves most fields as they were)
        self.history: dict[str, list[Any]] = {}
        for k, v in pairs:
            if k in self:
                self.duplicates.append(k)
                self.history.setdefault(k, [self[k]]).append(v)
                del self[k]  # at its last place: keys read in order then see the winning value last, as Go does
            self[k] = v


def _parse_float(text: str) -> float:
    """A JSON number with a fraction or exponent; one beyond float64 keeps its text (:class:`LongFloat`)."""
    value = float(text)
    return LongFloat(text) if math.isinf(value) else value


def _float_parser(written: WrittenNumbers | None) -> Callable[[str], float]:
    """:func:`_parse_float`, noting in ``written`` each number whose text is not Python's (a
    plain float is kept in the document, not a subclass holding its text: a sink's body keeps
    some values as they came, and orjson writes no float subclass)."""
    if written is None:
        return _parse_float

    def parse(text: str) -> float:
        value = _parse_float(text)
        if float.__repr__(value) != text and not isinstance(value, LongFloat):
            written[id(value)] = (value, text)  # (the value held too: its id names no other while the table lives)
        return value

    return parse


def _parse_int(text: str) -> int | LongInteger:
    """A JSON integer; one too long for Python's int() (4300 digits) is kept as its text."""
    return int(text) if len(text) < 4000 else LongInteger(text)


def _records_hint(text: str, file: str | None = None) -> str:
    """A definition that is several JSON values, one a line, is NDJSON: records given where the sink goes;
    or the definition's entries one a line (``{"name": ..., "path": ..., "type": ...}``), told the command
    that makes them the JSON array a definition is (``jq -s . entries.ndjson > entries.json``, ``file`` named
    as :func:`~mapper.errors.shell_file` names it); or sink definitions one a line, told to give one."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    kind = _lines_kind(lines)
    if kind is None:
        return ""
    if kind == "entries":
        out = new_file_beside(file, ".json", stem="definition")
        return (
            f": it is column entries, one a line (NDJSON), not one JSON document: a definition is a JSON array of them "
            f"(make it one: {text_command('jq -s .', file)} > {out}, then give {out})"
        )
    if kind == "sinks":
        out = new_file_beside(file, ".json", stem="sink")
        return f": it holds {len(lines):,} sink definitions, one a line (NDJSON): give one, a JSON document (the first: {text_command('head -n 1', file)} > {out}, then give {out})"
    said = (
        ": it looks like NDJSON records (one JSON value a line), not a sink definition; the sink comes first, then the records (mapper validate SINK RECORDS)"
    )
    if file is None or kind != "records":
        return said
    return f"{said}; {_infer_said(file)}"


def _lines_kind(lines: list[str]) -> str | None:
    """What the non-blank ``lines`` of a definition's text are, when they are several JSON values, one a line (NDJSON):
    ``"entries"`` (column entries, ``{"name", "path", ...}``), ``"sinks"`` (whole definitions), ``"records"`` (objects,
    anything else), ``"values"`` (arrays: records still, no command drafts a sink from them); else None."""
    if len(lines) < 2:
        return None
    try:
        first = json.loads(lines[0])
    except ValueError:
        return None
    if not isinstance(first, (dict, list)):
        return None
    try:
        head = [json.loads(ln) for ln in lines[:20]]
    except ValueError:  # (a later line no JSON, cut short: records still, as its first line says; no entries or sinks to join)
        head = []
    if head and all(isinstance(d, dict) and "name" in d and "path" in d for d in head):  # (column entries, a line each)
        return "entries"
    if head and all(isinstance(d, dict) and ("schema" in d or "definition" in d) for d in head):  # (whole sinks, a line each)
        return "sinks"
    return "records" if isinstance(first, dict) else "values"


def _infer_said(file: str) -> str:
    """What drafts a sink from the records in ``file`` (named as :func:`~mapper.errors.shell_file` names it; standard
    input, what it came from piped to ``mapper infer -``), in backquotes, then ``drafts a sink from them``."""
    given = "... | mapper infer -" if read_once(file) else f"mapper infer {shell_file(file)}"
    return f"`{given} > {new_file_beside(None, '.json', stem='sink')}` drafts a sink from them"


def _packed_records(data: bytes, what: str, file: str | None) -> DefinitionError | None:
    """The error of a definition (``what``, the file ``file``) given as compressed data whose text is NDJSON records
    (``rr.ndjson.gz`` given as SINK), saying so: it was told to write the text out and give it (``gzip -dc rr.ndjson.gz >
    rr.ndjson, then give rr.ndjson``), the records as the sink. None for any other data (a compressed definition is told
    to be unpacked, :func:`~mapper.errors.binary_kind`). Only on the error path: 64 KiB of the text unpacked."""
    size = 1 << 16
    head = unpacked_data_head(data, size)
    lines = [ln for ln in head.decode("utf-8", "replace").splitlines() if ln.strip()]
    if len(head) == size:
        lines = lines[:-1]  # (the last may be cut)
    if _lines_kind(lines) != "records":
        return None
    packed = compression_of(data[:6])
    said = (
        f"{what} is {packed}-compressed NDJSON records: SINK is the sink definition, a JSON document (the POST /v1/sinks "
        "body), and the records come after it, compressed as they are (mapper validate SINK RECORDS)"
    )
    return DefinitionError([Problem("error", "", f"{said}; {_infer_said(file)}" if file is not None else said, "invalid-utf8")])


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _not_text(data: bytes, what: str, file: str | None) -> DefinitionError | None:
    """The error of a definition (``what``, the file ``file``) given as bytes that are no JSON text, saying what they are
    (:func:`~mapper.errors.binary_kind`: an archive, compressed data, a file mapper wrote), or None when that is not known."""
    if (records := _packed_records(data, what, file)) is not None:
        return records
    kind, instead = binary_kind(data[:512], compressed=True, file=file)
    if not kind:
        return None
    said = f"{what} is {kind}, not JSON text: a sink definition is a JSON document, the POST /v1/sinks body{f' ({instead})' if instead else ''}"
    return DefinitionError([Problem("error", "", said, "invalid-utf8")])


def read_json_document(data: bytes | str, what: str = "document", written: WrittenNumbers | None = None, file: str | None = None) -> Any:
    """Parse strict JSON (no NaN, UTF-8 only), raising DefinitionError with line and column.

    Objects come back as dicts that remember duplicate keys. ``written``: filled with each
    number whose text Python writes otherwise (``1e3``, read as 1000.0), for messages to
    quote it as it was written (:meth:`mapper.checks.Checker.show`). A text nested past
    :data:`SHOWN_DEPTH` levels is refused (``too-deep``), whatever this Python's decoder reads.
    """
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            data = data[3:]
        elif note := encoding_note(data[:256], what, file):  # (UTF-16's "{" is "{" and a NUL: valid UTF-8, then "invalid JSON at column 2")
            raise DefinitionError([Problem("error", "", note, "invalid-utf8")])
        if archive_of(data[:512]) is not None and (refused := _not_text(data, what, file)) is not None:
            raise refused  # (a tar archive, a ZIP of text: valid UTF-8, said "not valid JSON: Expecting value at line 1 column 1")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            refused = _not_text(data, what, file)
            if refused is not None:  # (out.npz, a serve database, a .gz given as SINK: "not UTF-8: invalid byte 0xf7 at line 1 column 15" said not what it is)
                raise refused from None
            line = data.count(b"\n", 0, exc.start) + 1
            col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
            raise DefinitionError(
                [Problem("error", "", f"{what} is not UTF-8: invalid byte 0x{data[exc.start]:02x} at line {line} column {col}", "invalid-utf8")]
            ) from None
    else:  # a str of a file read with its byte order mark (read_text() keeps it as U+FEFF), as its bytes
        text = data[1:] if data.startswith("\ufeff") else data
    if not text.strip():
        raise DefinitionError([Problem("error", "", f"{what} is empty", "empty")])
    try:
        doc = json.loads(text, object_pairs_hook=_Obj, parse_constant=_reject_constant, parse_int=_parse_int, parse_float=_float_parser(written))
        if _deeper_than_shown(doc):  # (read by this Python's decoder, but past SHOWN_DEPTH: refused as on every Python, where it passes them)
            raise RecursionError
        return doc
    except json.JSONDecodeError as exc:
        if exc.msg.startswith("Unexpected UTF-8 BOM"):  # (Python's words name its own remedy)
            # (a text's first mark is taken off above: this one, at its start, is a second, said as a records file's is)
            raise DefinitionError([Problem("error", "", f"{what} is not valid JSON at line 1 column 1{SECOND_BOM_NOTE}", "invalid-json")]) from None
        hint = _records_hint(text, file) if exc.msg == "Extra data" else ""
        msg = exc.msg
        if msg == "Invalid control character at" and exc.pos < len(text):  # (Python's words end in "at", for its own " line ...")
            msg = f"control character U+{ord(text[exc.pos]):04X} in a string (write it as \\u{ord(text[exc.pos]):04x})"
        elif msg == "Unterminated string starting at":  # (Python's words end in "at" too; the text ends inside the string)
            msg = 'a string is never closed: the text ends before its closing " (one left out, or the text cut short); the string starts'
        said = (
            _not_json_said(text, exc.pos)
            or (_unclosed_said(text, exc.pos) if msg.startswith("Expecting") else "")
            or (_unopened_said(text, exc.pos) if msg == "Extra data" else "")
            or f"{msg} at line {exc.lineno} column {exc.colno}{hint}"
        )
        raise DefinitionError([Problem("error", "", f"{what} is not valid JSON: {said}", "invalid-json")]) from None
    except ValueError as exc:  # NaN / Infinity (the hook is not told where: the first one outside a string is it)
        at = next((m.start() for m in _JSON_TOKEN.finditer(text) if m.group() in _CONSTANTS), 0)
        raise DefinitionError([Problem("error", "", f"{what} is not valid JSON: {exc} at {_place(text, at)}", "invalid-json")]) from None
    except RecursionError:
        at = _too_deep_at(text)
        raise DefinitionError(
            [Problem("error", "", f"{what} is nested too deeply to be a sink definition: past {SHOWN_DEPTH} levels at {_place(text, at)}", "too-deep")]
        ) from None


#: A YAML mapping's first line: a key, a colon and a space or the line's end (``name: x``, ``schema:``).
_YAML_KEY = re.compile(r"[A-Za-z_][\w.-]*:(?:[ \t]|$)")


def _not_json_said(text: str, pos: int) -> str:
    """What a definition holds at ``pos``, where the decoder stopped, that JSON has not and a
    hand-written sink often does (a comment, a trailing comma, single quotes: JSON5's; YAML),
    with where it is and what to do; ``""`` for any other error (the decoder's words say it)."""

    if not text[:pos].strip():  # (nothing JSON read: the first value is no JSON at all)
        for i, line in enumerate(text.splitlines(), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                if _YAML_KEY.match(line) or line.strip() == "---":
                    shown = escape_controls(line.strip()[:60])
                    return f"it looks like YAML (`{shown}` at line {i}): a sink is a JSON document, the POST /v1/sinks body: convert it to JSON"
                break
    rest = text[pos : pos + 2]
    if rest in ("//", "/*") or rest[:1] == "#":
        return f"a comment at {_place(text, pos)}: JSON has none (remove it)"
    comma, closing = -1, ""
    if rest[:1] in ("}", "]"):  # (the decoder stopped at the closing bracket: before Python 3.13)
        before = len(text[:pos].rstrip())
        if before and text[before - 1] == ",":
            comma, closing = before - 1, rest[0]
    elif rest[:1] == ",":  # (at the comma itself: 3.13's json, "Illegal trailing comma before end of object")
        after = text[pos + 1 :].lstrip()[:1]
        if after in ("}", "]") and text[:pos].rstrip()[-1:] not in ("[", "{", ",", ":"):  # (after a value: [,] lacks one)
            comma, closing = pos, after
    if closing:
        kind = "an object" if closing == "}" else "an array"
        return f"a trailing comma in {kind} at {_place(text, comma)}: JSON allows none before the closing {closing} (remove it)"
    if rest[:1] in _TYPOGRAPHIC_QUOTES:
        quote = rest[0]
        return (
            f'a typographic quote {quote} (U+{ord(quote):04X}) at {_place(text, pos)}: JSON strings take the ASCII double quote " '
            "(an editor or a chat app made them: write the ASCII quotes)"
        )
    if rest[:1] == "'":
        end = text.find("'", pos + 1)
        word = text[pos + 1 : end] if 0 < end - pos <= 40 and "\n" not in text[pos:end] else "..."
        return f"a string in single quotes at {_place(text, pos)}: JSON strings take double quotes ({escape_controls(json.dumps(word, ensure_ascii=False))})"
    return ""


def _unclosed_said(text: str, pos: int) -> str:
    """Where the decoder, ``Expecting`` more at ``pos``, ran out of text: the innermost bracket
    left open, with its place (json's own words, "Expecting ',' delimiter" at the end of the
    text, said nothing of it); ``""`` if text goes on after ``pos``."""
    if text[pos:].strip():
        return ""
    opened = _open_brackets(text[:pos])
    if not opened:
        return ""
    inner = opened[-1]
    closing = "}" if text[inner] == "{" else "]"
    more = f" (and {len(opened) - 1} bracket{'s' if len(opened) > 2 else ''} around it)" if len(opened) > 1 else ""
    return f"the {text[inner]} opened at {_place(text, inner)}{more} is never closed: the text ends before its {closing} (one left out, or the text cut short)"


def _unopened_said(text: str, pos: int) -> str:
    """What the extra data at ``pos``, after a whole JSON value, is when it is a closing bracket: one
    no bracket opened (json's own words, "Extra data at line 1 column 17", said nothing of it; nor
    did a note that NDJSON records were given, for a lone ``]`` on the next line); ``""`` otherwise."""
    closing = text[pos : pos + 1]
    if closing not in ("}", "]"):
        return ""
    opening = "{" if closing == "}" else "["
    return f"a {closing} with no {opening} open at {_place(text, pos)}: one too many, or the definition's end is earlier"


def _place(text: str, i: int) -> str:
    """Character ``i`` of ``text`` as an editor shows it: ``line L column C``, both from 1."""
    return f"line {text.count(chr(10), 0, i) + 1} column {i - (text.rfind(chr(10), 0, i) + 1) + 1}"


def _open_brackets(text: str) -> list[int]:
    """Where each ``{`` or ``[`` still open at the end of ``text`` stands, outermost first (``text``
    is JSON that parsed up to its end: its strings are whole)."""
    opened: list[int] = []
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok in ("{", "["):
            opened.append(m.start())
        elif tok in ("}", "]") and opened:
            opened.pop()
    return opened


#: Quotes a word processor or a chat app writes for ASCII ones (curly, low-9, angle, fullwidth, primes):
#: a sink pasted through one holds them where JSON takes only ``"``.
_TYPOGRAPHIC_QUOTES = frozenset("\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\uff02\uff07\u2032\u2033")


#: A definition's text nested past this many levels is refused (``too-deep``), where it passes
#: them, on every Python: a definition needs a few, and the decoder's own limit depends on the
#: Python (its recursion limit: about 990 levels up to 3.11, 1,500 on 3.12, 10,000 from 3.13), so
#: a text with an extra key nested 3,000 levels deep was read on 3.13 and refused on 3.11. A
#: Python definition too deep for the checks (Python's recursion limit) is named where it passes them too.
SHOWN_DEPTH = 100


def _deeper_than_shown(doc: Any) -> bool:
    """Whether a decoded definition holds an object or array past :data:`SHOWN_DEPTH` levels (the
    values of a key given twice counted too: they are in the text). Level by level, no recursion."""
    level = [doc] if isinstance(doc, (dict, list)) else []
    for _depth in range(SHOWN_DEPTH):
        below: list[Any] = []
        for value in level:
            if isinstance(value, dict):
                below.extend(v for v in value.values() if isinstance(v, (dict, list)))
                if isinstance(value, _Obj) and value.history:
                    below.extend(v for vs in value.history.values() for v in vs if isinstance(v, (dict, list)))
            else:
                below.extend(v for v in value if isinstance(v, (dict, list)))
        if not below:
            return False
        level = below
    return True


def _too_deep_at(text: str) -> int:
    """Where JSON ``text`` opens its object or array past :data:`SHOWN_DEPTH` levels (0 if it does not)."""
    depth = 0
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if tok in ("{", "["):
            depth += 1
            if depth > SHOWN_DEPTH:
                return m.start()
        elif tok in ("}", "]"):
            depth -= 1
    return 0


def _too_deep_where(doc: Any) -> tuple[str | int, ...]:
    """Where a Python definition holds a container past :data:`SHOWN_DEPTH` levels (``()`` if nowhere)."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        value, where = stack.pop()
        if isinstance(value, Mapping):
            items: list[tuple[str | int, Any]] = [(k, v) for k, v in value.items() if isinstance(k, str)]
        elif isinstance(value, (list, tuple)):
            items = list(enumerate(value))
        else:
            continue
        if len(where) >= SHOWN_DEPTH:
            return where
        stack.extend((v, (*where, k)) for k, v in reversed(items))
    return ()


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+')
#: The words Python's decoder takes for numbers and JSON has not.
_CONSTANTS = frozenset({"NaN", "Infinity", "-Infinity"})


_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)")


def escaped_values(text: str | bytes, keys: frozenset[str]) -> Escaped:
    """Where valid JSON ``text`` writes a string with a backslash escape as the value of a
    key in ``keys`` (folded: :func:`~mapper.checks.go_fold`): the pointers, as tuples of keys and indices, each with
    the escapes (``\\u005a``, ``\\n``: each once, in order) of every value the key is given
    there, in order (``()`` for a value written without one: a key given twice is read
    twice by Go's decoder, and only the values written with escapes are refused).

    The parsed document no longer shows how a string was written; a Go type that reads
    its own raw text (``time.Time``) does see it. Walks the tokens with a stack, so any
    depth costs no recursion; text without a backslash is not walked at all.
    """
    if isinstance(text, bytes):
        if b"\\" not in text:
            return {}
        text = text.decode("utf-8", "replace")
    if "\\" not in text:
        return {}
    found: dict[tuple[str | int, ...], list[tuple[str, ...]]] = {}
    where: list[str | int] = []  # the key or index of each open container
    objects: list[bool] = []  # whether each open container is an object
    want_key = False
    value_next = False  # the token is the value of the object key before it
    for m in _JSON_TOKEN.finditer(text):
        tok = m.group()
        if value_next and tok not in ("}", "]", ",", ":") and isinstance(where[-1], str) and go_fold(where[-1]) in keys:
            escapes = tuple(dict.fromkeys(e.group() for e in _ESCAPE.finditer(tok))) if tok[0] == '"' else ()
            found.setdefault(tuple(where), []).append(escapes)
        value_next = False
        if tok in ("{", "["):
            objects.append(tok == "{")
            where.append(0)
            want_key = tok == "{"
        elif tok in ("}", "]"):
            objects.pop()
            where.pop()
            want_key = False
        elif tok == ",":
            if objects[-1]:
                want_key = True
            else:
                where[-1] = int(where[-1]) + 1
        elif tok == ":":
            want_key = False
            value_next = bool(objects) and objects[-1]
        elif tok[0] == '"' and want_key:
            where[-1] = json.loads(tok)
    return {at: values for at, values in found.items() if any(values)}


def _is_file(text: str) -> bool:
    """Whether ``text`` names an existing file (a name too long, or holding a NUL, names none)."""
    try:
        return FsPath(text).is_file()
    except (OSError, ValueError):
        return False


#: The largest definition read (a file, standard input, bytes): one of 10,000 columns takes a few
#: MB, and `mapper check /dev/zero` read until memory ran out.
MAX_SINK_BYTES = 64 << 20


def _too_large(what: str) -> DefinitionError:
    return DefinitionError(
        [Problem("error", "", f"{what} is larger than {MAX_SINK_BYTES >> 20} MiB: no sink definition is (are those the records?)", "too-large")]
    )


def _str_too_large(text: str) -> bool:
    """Whether a definition given as a str is larger than :data:`MAX_SINK_BYTES` by the bytes rule:
    its UTF-8 text's size (an unpaired surrogate counted as the 3 bytes ``surrogatepass`` writes).
    Measured without a copy of the whole: a character is 1 to 4 bytes, so most texts are
    told by their length alone (an ASCII str's is its size), the others encoded 1 MiB of
    characters at a time until the limit is passed."""
    n, limit = len(text), MAX_SINK_BYTES
    if n > limit or text.isascii() or 4 * n <= limit:
        return n > limit
    size, step = 0, 1 << 20
    for at in range(0, n, step):
        size += len(text[at : at + step].encode("utf-8", "surrogatepass"))
        if size > limit:
            return True
    return False


def read_limited(stream: Any) -> bytes:
    """At most one byte more than :data:`MAX_SINK_BYTES` of a binary stream (enough to tell it is too large)."""
    return stream.read(MAX_SINK_BYTES + 1)


#: a JSON escape of a UTF-16 surrogate: UTF-8 text without one holds no lone surrogate
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _read_source(source: SinkSource, written: WrittenNumbers, piped: str | None = None) -> tuple[Any, str | None, Escaped, bool, bool]:
    """Turn any accepted source into (parsed JSON value, display name, where a time is written with
    an escape, whether it may hold a lone surrogate, whether its text starts with a UTF-8 byte order
    mark); ``written`` gets the numbers of a JSON text written otherwise than Python writes them
    (:func:`read_json_document`); ``piped``: the name of the stream read once a text came from
    (``-``), for a hint's command (None: a text a program gave).

    UTF-8 bytes with no surrogate escape hold none (a 50 MB definition's walk for them took
    longer than reading it), a str or Python objects may."""
    if isinstance(source, (dict, list, tuple, Mapping)):
        return source, None, {}, True, False
    if isinstance(source, (bytearray, memoryview)):  # bytes-like, as records may be
        released = released_reason(source, "the sink definition")
        if released is not None:  # (a ValueError from inside)
            raise DefinitionError([Problem("error", "", released, "unreadable")])
        source = bytes(source)
    if isinstance(source, bytes) and len(source) > MAX_SINK_BYTES:
        raise _too_large("the sink definition")
    if isinstance(source, str) and _str_too_large(source):  # (no file name is that long: it is the text)
        raise _too_large("the sink definition (a str, measured as its UTF-8 bytes, as bytes are)")
    if isinstance(source, bytes) or (isinstance(source, str) and not names_a_file(source)):
        surrogates = not isinstance(source, bytes) or _SURROGATE_ESCAPE.search(source) is not None
        try:
            bom = source.startswith(b"\xef\xbb\xbf") if isinstance(source, bytes) else source.startswith("\ufeff")
            return read_json_document(source, "sink definition", written, piped), None, escaped_values(source, TIME_KEYS), surrogates, bom
        except DefinitionError as exc:
            if isinstance(source, str) and _is_file(source):
                # a file named like JSON text ([prod].json) was meant: say how to give it
                (problem,) = exc.problems
                raise DefinitionError([replace(problem, message=f"{problem.message} ({FILE_NAME_RULE})")]) from None
            raise
    if isinstance(source, (str, os.PathLike)):
        path = FsPath(os.fsdecode(source))  # (a PathLike may name it in bytes: os.scandir(b"dir"))
        try:
            with path.open("rb") as stream:
                data = read_limited(stream)
        except FileNotFoundError:
            said = f"no such file: {shown_name(preview(str(path), 200))}{near_file(path)}"
            raise DefinitionError([Problem("error", "", said, "unreadable")], str(path)) from None
        except IsADirectoryError:
            raise DefinitionError(
                [Problem("error", "", f"{shown_name(preview(str(path), 200))} is a directory, not a sink file", "unreadable")], str(path)
            ) from None
        except OSError as exc:
            raise DefinitionError(
                [Problem("error", "", f"cannot read {shown_name(preview(str(path), 200))}: {exc.strerror}", "unreadable")], str(path)
            ) from None
        except ValueError:  # the OS takes no NUL in a file name
            raise DefinitionError([Problem("error", "", f"{preview(repr(str(path)), 200)} cannot be a file name: it holds a NUL byte", "unreadable")]) from None
        if len(data) > MAX_SINK_BYTES:
            raise DefinitionError(_too_large(f"sink file {shown_name(preview(str(path), 200))}").problems, str(path))
        try:
            doc = read_json_document(data, f"sink file {shown_name(preview(str(path), 200))}", written, str(path))
            return doc, str(path), escaped_values(data, TIME_KEYS), _SURROGATE_ESCAPE.search(data) is not None, data.startswith(b"\xef\xbb\xbf")
        except DefinitionError as exc:
            raise DefinitionError(exc.problems, str(path)) from None
    raise DefinitionError(  # (named by its class, as a value with no JSON form is: "a int" read wrong)
        [
            Problem(
                "error",
                "",
                f"cannot read a sink definition from a Python {class_name(source)}: give a file name (str or os.PathLike),"
                " its JSON text (str or bytes), or the definition as dicts and lists",
                "unreadable",
            )
        ]
    )


def check_sink(
    source: SinkSource,
    *,
    id_field: str | None = None,
    primary_key_fields: list[str] | tuple[str, ...] | None = None,
    allow_missing_fields: bool | None = None,
    name: str | None = None,
) -> CheckResult:
    """Load and check a sink definition, collecting every problem.

    ``source`` is a file path, JSON text (str, or bytes-like) or the parsed value (a str is a
    file name unless it holds JSON text: :func:`~mapper.errors.names_a_file`). The keyword
    arguments give (or override) the identity and the missing-field policy, which a bare
    definition array does not carry.
    """
    return _check_sink(source, None, id_field=id_field, primary_key_fields=primary_key_fields, allow_missing_fields=allow_missing_fields, name=name)


def check_stdin_sink(data: bytes, **options: Any) -> CheckResult:
    """:func:`check_sink` of a definition's text read from standard input (``mapper check -``): its
    hints' commands take what it came from through a pipe (``... | jq '.sink'``), where a text a
    program gives has no file to name (``FILE``)."""
    return _check_sink(data, "-", **options)


@roomy_stack  # (its text decoded in C a level each, before its depth is told: on a stack that holds the deepest, see on_roomy_stack)
def _check_sink(
    source: SinkSource,
    stream: str | None,
    *,
    id_field: str | None = None,
    primary_key_fields: list[str] | tuple[str, ...] | None = None,
    allow_missing_fields: bool | None = None,
    name: str | None = None,
) -> CheckResult:
    """:func:`check_sink`; ``stream``: the name of the stream read once a text came from (``-``), else None.
    Run on a stack that holds the deepest text (both :func:`check_sink` and :func:`check_stdin_sink` come here)."""
    try:
        written: WrittenNumbers = {}
        doc, display, escaped, surrogates, bom = _read_source(source, written, stream)
    except DefinitionError as exc:
        return CheckResult(None, exc.problems, exc.source)
    ck = Checker(escaped, written)
    if bom:
        ck.warning((), "bom", _bom_said(display))
    overrides = {
        "id_field": id_field,
        "primary_key_fields": _names_option(primary_key_fields),
        "allow_missing_fields": allow_missing_fields,
        "name": name,
    }
    if name is not None:
        _check_name_option(ck, name)
    try:
        # a text that is not Unicode is an error where it is, and the rest is checked all the same
        unicode = _unicode_text(ck, doc) if surrogates else True
        # (a definition holding itself is checked no further: every check would go round it)
        sink = None if any(p.code == "cycle" for p in ck.problems) else _check_document(ck, doc, overrides, display or stream)
        if not unicode:
            sink = None
    except RecursionError:
        ck.error(_too_deep_where(doc), "too-deep", f"the definition is nested too deeply: past {SHOWN_DEPTH} levels here")
        sink = None
    if sink is not None and name is not None:  # the option names the sink, whatever the form
        sink = replace(sink, name=name)
    problems = tuple(ck.problems)
    has_errors = any(p.severity == "error" for p in problems)
    if sink is not None and not has_errors:
        sink = replace(sink, problems=problems, source=display)
        object.__setattr__(sink, "_checked", True)  # (its columns checked: compiling does not check them again)
        return CheckResult(sink, problems, display)
    return CheckResult(None, problems, display)


def _bom_said(file: str | None) -> str:
    """The warning for a definition whose text starts with a UTF-8 byte order mark: taken off, as a
    records file's is, but the service's decoder (Go's encoding/json, as idk's ParseHeader) refuses
    the text so (``file``: the sink file's name; None: the text was given)."""
    what = f"sink file {shown_name(preview(file, 200))}" if file is not None else "the sink definition's text"
    fix = f" (`sed -i '1s/^\\xEF\\xBB\\xBF//' {shell_file(file)}`)" if file is not None else ""
    return (
        f"{what} starts with a UTF-8 byte order mark (U+FEFF, the bytes EF BB BF at offset 0): mapper takes it off, as it takes one off a"
        " records file, but the service's JSON decoder refuses a definition so (Go: invalid character 'ï' looking for beginning of value)"
        f" when it is sent as the POST /v1/sinks body or given to the ingester: save it without the mark{fix}"
    )


def _names_option(value: Any) -> Any:
    """The ``primary_key_fields=`` option as a tuple: a str is comma-separated names (as
    ``--primary-key-fields`` and infer() take it), not its characters; a value that is no
    list of names is kept as it is, for the checker to refuse by name."""
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(","))
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _check_name_option(ck: Checker, name: Any) -> None:
    """The ``name=`` option, by the sink name rule: its problems name the option, not a place in the document."""
    own = Checker()
    check_sink_name(own, {"name": name}, ())
    for p in own.problems:
        ck.add(p.severity, (), p.code, f"the name option: {p.message}")


def _unicode_text(ck: Checker, doc: Any) -> bool:
    """Whether every key and string of the definition is Unicode text; each that is not is an error.

    JSON text may escape half of a UTF-16 pair on its own (``"\\ud800"``), and Python
    objects may hold one: that is no text the endpoint can store (Go reads U+FFFD) nor
    mapper can compile or write, so the definition is refused where it holds one.
    Python objects may also hold themselves (``d["definition"] = [d]``): no JSON text does,
    and the walk went round for ever; such a value is an error (``cycle``) where it is.
    """
    good = True
    # where each value is, as a link to its parent's (a pointer is spelled out only for an
    # error: definitions may nest junk 50,000 deep, and copying paths would be quadratic);
    # a link holds the parent too, to tell a value holding itself from one held twice
    stack: list[tuple[Any, Any]] = [(doc, None)]
    seen: set[int] = set()

    def where(link: Any) -> tuple[str | int, ...]:
        keys: list[str | int] = []
        while link is not None:
            link, key, _parent = link
            keys.append(key)
        return tuple(reversed(keys))

    def holder(link: Any, value: Any) -> Any:
        """The link of the ancestor that ``value`` is, or False."""
        while link is not None:
            parent_link, _key, parent = link
            if parent is value:
                return parent_link
            link = parent_link
        return False

    while stack:
        value, link = stack.pop()
        if isinstance(value, str):
            if has_lone_surrogate(value):
                ck.error(where(link), "invalid-unicode", f"the text {ascii(value)[:80]} {_surrogates_held(value)}")
                good = False
            continue
        if not isinstance(value, (Mapping, list, tuple)):
            continue
        if id(value) in seen:
            outer = holder(link, value)
            if outer is not False:
                at = make_pointer(*where(outer)) or "the whole document"
                ck.error(where(link), "cycle", f"this value holds itself (it is the one at {at}): a definition is a tree of values, as its JSON text")
                good = False
            continue  # (a value held twice is walked once)
        seen.add(id(value))
        if isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and has_lone_surrogate(key):
                    ck.error(where(link), "invalid-unicode", f"the key {ascii(key)[:80]} {_surrogates_held(key)}")
                    good = False
                else:
                    stack.append((item, (link, key, value)))
        else:
            stack.extend((item, (link, i, value)) for i, item in enumerate(value))
    return good


_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _surrogates_held(text: str) -> str:
    """What a text holding surrogates holds, for its error: half of a pair, or only whole pairs
    as two code points each (a Python str may hold an emoji so), which are no text either."""
    if SURROGATE.search(_PAIR.sub("", text)) is not None:
        return "holds an unpaired UTF-16 surrogate: it is not Unicode text"
    joined = as_unescaped(text)
    return (
        f"holds a UTF-16 surrogate pair as two code points, not the character they make ({ascii(joined)[:80]}):"
        " give the character itself (text.encode('utf-16', 'surrogatepass').decode('utf-16') makes it)"
    )


def load_sink(
    source: SinkSource | Sink,
    *,
    id_field: str | None = None,
    primary_key_fields: list[str] | tuple[str, ...] | None = None,
    allow_missing_fields: bool | None = None,
    name: str | None = None,
) -> Sink:
    """Load a sink definition; raise :class:`~mapper.errors.DefinitionError` if it has errors.

    Warnings do not stop loading; they are kept on ``Sink.problems``. A loaded
    :class:`~mapper.model.Sink` is returned as it is: the options are for a definition
    still to be read, and given with a Sink they are an :class:`~mapper.errors.OptionError`
    (they were dropped without a word).
    """
    if isinstance(source, Sink):
        given = {"id_field": id_field, "primary_key_fields": primary_key_fields, "allow_missing_fields": allow_missing_fields, "name": name}
        named = [k for k, v in given.items() if v is not None]
        if named:
            raise OptionError(
                f"{', '.join(named)} cannot change a loaded Sink (it is returned as it is): give them with the definition "
                "(its file, text or dict) to load_sink or compile_sink"
            )
        return source
    result = check_sink(
        source,
        id_field=id_field,
        primary_key_fields=primary_key_fields,
        allow_missing_fields=allow_missing_fields,
        name=name,
    )
    if result.sink is None:
        raise DefinitionError(result.problems, result.source)
    return result.sink


def _check_document(ck: Checker, doc: Any, overrides: dict[str, Any], file: str | None = None) -> Sink | None:
    """The sink ``doc`` defines, in whichever form, its problems into ``ck``; ``file``: the sink
    file's name, which a hint's command names (None: the definition was given as text or objects)."""
    if isinstance(doc, (list, tuple)):
        return _check_schema_parts(ck, {"definition": doc}, (), overrides, form="definition", definition_where=())
    if not isinstance(doc, Mapping):
        ck.error(
            (),
            "not-a-definition",
            f"a sink definition is a JSON object (the POST /v1/sinks body or its schema) or an array of column entries, not {json_type(doc)}",
        )
        return None
    ck.duplicates(doc, ())
    form = _likely_form(doc)
    if form == "ui":
        return check_ui_mapping(ck, doc, overrides)
    if form == "body":
        return _check_body(ck, doc, overrides)
    if form == "schema":
        ck.unknown_keys(doc, _SCHEMA_KEYS, (), "the schema")
        return _check_schema_parts(ck, doc, (), overrides, form="schema", definition_where=("definition",))
    held = _held_definition(doc, file)
    if held:
        ck.error((), "not-a-definition", f"not a sink definition: {held}")
        return None
    ck.error(
        (),
        "not-a-definition",
        'not a sink definition: expected the POST /v1/sinks body (with "schema"), a schema object '
        f'(with "definition"), an array of column entries, or a UI mapping ("table" and "mapping"){_records_document_hint(doc, file)}',
    )
    return None


def _records_document_hint(doc: Mapping[Any, Any], file: str | None) -> str:
    """For an object that is no definition holding an array of objects at a key of its own (dump1090's
    ``{"now": ..., "aircraft": [...]}``, a search API's ``statuses``: records given where the sink goes),
    what drafts a sink from those records: ``mapper infer pi.json --records-path aircraft > sink.json``
    (``file`` named as :func:`~mapper.errors.shell_file` names it; standard input, what it came from piped
    to ``mapper infer -``); else ``""`` (a definition given as text or objects, no file: no command). Only on the error path."""
    if file is None:
        return ""
    key = next((k for k, v in doc.items() if isinstance(k, str) and isinstance(v, list) and v and all(isinstance(e, Mapping) for e in v[:100])), None)
    if key is None:
        return ""
    dotted = to_dot_notation([key])
    if len(dotted) > 200:  # (no path to give whole)
        return ""
    given = "... | mapper infer -" if read_once(file) else f"mapper infer {shell_file(file)}"
    command = f"{given} {option_text('--records-path', dotted)}"
    return (
        f"; it looks like records (an array of objects at {escape_controls(preview(dotted, 200))!r}): the sink comes first, then the records "
        f"(`{command} > {new_file_beside(None, '.json', stem='sink')}` drafts a sink from them)"
    )


_FORM_NAMES = {"body": "the POST /v1/sinks body", "schema": "a schema object", "ui": "a UI table mapping"}
_JQ_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _held_definition(doc: Mapping[Any, Any], file: str | None = None) -> str:
    """Where an object that is no definition holds one, a level down (an API's answer wrapping
    it, ``{"sink": {...}}``, ``{"sinks": [{...}]}``), said with the jq that takes it out of
    ``file`` (shell-quoted; of standard input, what it came from piped through it, ``... | jq '.sink'``;
    ``FILE`` for a definition given otherwise); else ``""``."""
    for key, value in doc.items():
        if not isinstance(key, str):
            continue  # pragma: no cover - JSON keys are strings
        jq = f".{key}" if _JQ_KEY.fullmatch(key) else f".[{json.dumps(key)}]"
        where: tuple[str | int, ...] = (key,)
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            value, where, jq = value[0], (key, 0), f"{jq}[0]"
        if not isinstance(value, Mapping):
            continue
        form = "ui" if "table" in value and "mapping" in value else "body" if "schema" in value else "schema" if "definition" in value else None
        if form is not None:
            quoted = shlex.quote(jq) if "'" in jq else f"'{jq}'"
            command = text_command(f"jq {escape_controls(quoted)}", file)  # (standard input: what it came from, piped through jq)
            return f"it holds one at {escape_controls(make_pointer(*where))} ({_FORM_NAMES[form]}): give that object alone (`{command}`)"
    return ""


def _likely_form(doc: Mapping[Any, Any]) -> str | None:
    """The form an object most likely means: ``ui``, ``body`` or ``schema`` (None: none).

    The key members first (``table`` and ``mapping``, ``schema``, ``definition``); then a
    form's other keys, or a near miss of a key member (``schem``): such a document is
    checked as that form, and says what it lacks, beside all its other problems."""
    if "table" in doc and "mapping" in doc:
        return "ui"
    if "schema" in doc:
        return "body"
    if "definition" in doc:
        return "schema"
    keys = [k for k in doc if isinstance(k, str)]

    def has(*wanted: str) -> bool:
        return any(k in wanted or suggest(k, wanted) for k in keys)

    if has("table", "mapping"):
        return "ui"
    if has("schema", "sink_details") or "name" in doc:  # (a UI mapping's name came with a table or a mapping)
        return "body"
    if has("definition", "id_field", "primary_key_fields") or "allow_missing_fields" in doc:
        return "schema"
    return None


def _check_body(ck: Checker, doc: Mapping[str, Any], overrides: dict[str, Any]) -> Sink | None:
    ck.unknown_keys(doc, _BODY_KEYS, (), "the POST /v1/sinks body")
    # (the name option, given, replaces it: check_sink checks it for every form)
    name = check_sink_name(ck, doc, ()) if "name" in doc or overrides.get("name") is None else None
    details = doc.get("sink_details")
    left_out: dict[Any, tuple[str, str]] = {}  # (sink_details' entries no JSON writer here takes: unwritable_details)
    if "sink_details" not in doc:
        ck.error(("sink_details",), "missing", 'sink_details is required: {"database_id": "<uuid>", "table": "<table>"}' + near_miss(doc, "sink_details"))
    elif not isinstance(details, Mapping):
        ck.error(("sink_details",), "wrong-type", f"sink_details must be an object, not {json_type(details)}")
        details = None
    else:
        ck.duplicates(details, ("sink_details",))
        # an unknown key whose value is left out: one warning saying both (it was two, "unknown key ...;
        # it is ignored", then, far below, "... holds the number 1e400 ...: it is left out")
        left_out = unwritable_details(details)
        for key in details:
            if key in _DETAILS_KEYS:
                continue
            if key in left_out:
                # (code unknown-key, as every key nothing reads has, in the schema and an entry too: a key that
                # is no string among them; what its value is said in the words. It was not-json or long-integer,
                # the code of a value a known key holds, so a filter of the unknown keys missed these)
                _code, why = left_out[key]
                ck.warning(("sink_details", int_text(key)), "unknown-key", _left_out_said(key, why))
            else:
                ck.warning(("sink_details", int_text(key)), "unknown-key", unknown_key_message(key, "sink_details", _DETAILS_KEYS))
        for key in ("database_id", "table"):
            value = details.get(key)
            if key not in details:
                ck.error(("sink_details", key), "missing", f"sink_details.{key} is required")
            elif not isinstance(value, str) or not value:
                ck.error(("sink_details", key), "wrong-type", f"sink_details.{key} must be a non-empty string, not {ck.show(value)}")
        for key in ("database_id", "table"):
            value = details.get(key)
            if isinstance(value, str) and PLACEHOLDER.fullmatch(value):
                # a draft's blank to fill (mapper infer writes them): said once, as a note, not
                # warned about by every later validate and map (mapping does not read it)
                ck.note(
                    ("sink_details", key),
                    "placeholder",
                    f"sink_details.{key} is the placeholder {value!r}: fill it in before creating the sink (mapping does not use it)",
                )
        db = details.get("database_id")
        if (
            isinstance(db, str)
            and db
            and not PLACEHOLDER.fullmatch(db)
            and not re.fullmatch(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", db)
        ):
            ck.warning(("sink_details", "database_id"), "not-a-uuid", f"database_id {preview(db)!r} does not look like a database UUID")
    schema = doc.get("schema")
    if "schema" not in doc:
        ck.error(
            ("schema",),
            "missing",
            'schema is required: {"id_field" or "primary_key_fields", "allow_missing_fields", "definition"}' + near_miss(doc, "schema"),
        )
        return None
    if not isinstance(schema, Mapping):
        ck.error(("schema",), "wrong-type", f"schema must be an object, not {json_type(schema)}")
        return None
    ck.duplicates(schema, ("schema",))
    ck.unknown_keys(schema, _SCHEMA_KEYS, ("schema",), "the schema")
    sink = _check_schema_parts(ck, schema, ("schema",), overrides, form="body", definition_where=("schema", "definition"))
    if sink is None:
        return None
    kept = None
    if isinstance(details, Mapping):  # kept as written (to_body), but for what no JSON writer here takes
        kept = {k: v for k, v in details.items() if k not in left_out}  # (made its own, read-only in depth, by Sink itself, as every Sink's is)
        for k in _DETAILS_KEYS:  # (an unknown key's said with its unknown-key warning)
            if k in left_out:
                code, why = left_out[k]
                ck.warning(("sink_details", k), code, _left_out_said(k, why))
    try:
        return replace(sink, name=name, sink_details=kept)
    except DefinitionError:  # (its sink_details too deep to copy: said where, as every definition too deep is)
        raise RecursionError from None


#: the keys of sink_details the service reads
_DETAILS_KEYS = ("database_id", "table")


def unwritable_details(details: Mapping[Any, Any]) -> dict[Any, tuple[str, str]]:
    """The entries of ``sink_details`` no JSON writer here takes, left out of the sink's: each key's
    (problem code, words). A key too: a Python mapping's key may be an integer too long for text
    (which json.dumps writes as text), or another that is not a string."""
    found: dict[Any, tuple[str, str]] = {}
    for k, v in details.items():
        if long_int(k):
            found[k] = ("long-integer", "is an integer of thousands of digits")
        elif not isinstance(k, str):
            found[k] = ("not-json", "is a key that is not a string")
        elif has_lone_surrogate(k):
            found[k] = ("invalid-unicode", f"is a key that {_surrogates_held(k)}")
        elif (why := _unwritable(v)) is not None:
            found[k] = why
    return found


def _left_out_said(key: Any, why: str) -> str:
    """The warning of a ``sink_details`` entry left out (:func:`unwritable_details`), saying too that its key is
    unknown, as its unknown-key warning would (a key that is no string is unknown, as it says)."""
    unknown = isinstance(key, str) and key not in _DETAILS_KEYS
    said = f"sink_details.{escape_controls(preview(int_text(key)))}"
    return f"{'unknown key ' if unknown else ''}{said}{suggest(key, _DETAILS_KEYS) if unknown else ''} {why}: it is left out"


def _unwritable(value: Any) -> tuple[str, str] | None:
    """Why a value a sink's ``sink_details`` hold cannot be written as the JSON it was given as,
    as (problem code, words); None: it can. An integer too long for JSON writers
    (:class:`LongInteger`, or a Python int of a Python definition), a float JSON has no text
    for, or a Python value of no JSON type."""
    if isinstance(value, LongInteger) or long_int(value):
        return "long-integer", "holds an integer of thousands of digits"
    if isinstance(value, str) and has_lone_surrogate(value):  # (the writers' UTF-8 has no form for it; load_sink refuses it)
        return "invalid-unicode", f"holds the text {ascii(value)[:80]}, which {_surrogates_held(value)}"
    if value is None or isinstance(value, (str, bool, int)):
        return None
    if isinstance(value, LongFloat):  # (as written: "holds inf" said what Python read, not the number given)
        return "not-json", (
            f"holds the number {preview(value.text, 80)}, beyond the float64 range the service decodes numbers into (its POST /v1/sinks refuses the body)"
        )
    if isinstance(value, float):
        return None if math.isfinite(value) else ("not-json", f"holds {value!r}, which JSON has no text for")
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str):
                found: tuple[str, str] | None = ("not-json", f"holds the key {preview(int_text(k, repr))}, which is not a string")
            elif has_lone_surrogate(k):
                found = ("invalid-unicode", f"holds the key {ascii(k)[:80]}, which {_surrogates_held(k)}")
            else:
                found = _unwritable(v)
            if found is not None:
                return found
        return None
    if isinstance(value, (list, tuple)):
        return next((found for found in map(_unwritable, value) if found is not None), None)
    return "not-json", f"holds a {type(value).__name__}, which JSON has no type for"


def _shared_name(ck: Checker, where: tuple[str | int, ...], what: str, indices: list[int], definition_where: tuple[str | int, ...]) -> str:
    """An identity naming a name several entries give is ambiguous: an error at ``where``; then
    `` (the first entry of that name, /definition/0)``, for the message judging its type on
    that entry, else ``""``."""
    if len(indices) < 2:
        return ""
    first = make_pointer(*definition_where, indices[0])
    shown = [make_pointer(*definition_where, i) for i in indices[:4]]
    entries = and_list(shown if len(indices) <= 4 else [*shown, f"{len(indices) - 4:,} more"])
    ck.error(
        where,
        "ambiguous-column",
        f"{what} is ambiguous: entries {entries} share the name (the ingester refuses a definition whose names repeat); "
        f"mapper judges the identity on the first, {first}",
    )
    return f" (the first entry of that name, {first})"


def _check_schema_parts(
    ck: Checker,
    schema: Mapping[str, Any],
    where: tuple[str | int, ...],
    overrides: dict[str, Any],
    *,
    form: str,
    definition_where: tuple[str | int, ...],
) -> Sink | None:
    """Check a schema's parts (its type, identity, missing-field policy and definition) with the
    options that override them, in that order; the Sink, or None when something is wrong
    (every problem found is on ``ck``)."""
    if "type" in schema and schema["type"] != "json":
        ck.error(where + ("type",), "invalid-value", f'schema type must be "json", not {ck.show(schema["type"])}')

    # Identity: exactly one of id_field / primary_key_fields.
    ov_id, ov_pk = overrides.get("id_field"), overrides.get("primary_key_fields")
    if ov_id is not None or ov_pk is not None:
        id_field, pk_fields = _identity_options(ck, schema, where, ov_id, ov_pk, form)
        id_where = pk_where = where
    else:
        id_field, pk_fields = _identity_in_schema(ck, schema, where, form)
        id_where, pk_where = where + ("id_field",), where + ("primary_key_fields",)

    allow_missing = _missing_policy(ck, schema, where, overrides.get("allow_missing_fields"), form)

    # The definition. The checks across entries (identity, colliding paths) run on the
    # entries that check even when others do not: one pass reports all it can know.
    entries = check_entries(ck, schema.get("definition"), "definition" in schema, definition_where, form, near_miss(schema, "definition"))
    checked = entries.columns if entries is not None else []
    columns = checked if entries is not None and entries.ok else None

    by_name: dict[str, Any] = {}
    for c in checked:
        by_name.setdefault(c.name, c)
    if entries is not None:
        # (a column with errors of its own is still its type: an identity of a wrong type is said too;
        # a name two entries give is the first one's, the later a duplicate: judged and said so)
        if id_field is not None:
            _check_id_column(ck, id_field, id_where, entries.named, list(by_name.values()), definition_where)
        if pk_fields is not None:
            pk_fields = _check_key_columns(ck, pk_fields, pk_where, where, entries.named, list(by_name.values()), definition_where)
        if check_column_names(ck, entries, _unstored_key(id_field, pk_fields, entries.named)):
            columns = None
        check_paths(ck, checked, lambda c: entries.place(c.index, "path"))
    named = [(entries.place(c.index, "name"), c.name) for c in checked] if entries is not None else []
    reserved = (id_field is not None or pk_fields is not None) and _stores_reserved_id(ck, named, id_field, pk_fields)
    if reserved or columns is None or allow_missing is None or (id_field is None and pk_fields is None):
        return None
    sink = Sink(
        columns=tuple(columns),
        allow_missing_fields=allow_missing,
        id_field=id_field,
        primary_key_fields=pk_fields if id_field is None else None,
        form=form,
    )
    return sink


def _identity_options(
    ck: Checker, schema: Mapping[str, Any], where: tuple[str | int, ...], ov_id: Any, ov_pk: Any, form: str
) -> tuple[str | None, tuple[str, ...] | None]:
    """The identity given as options (``id_field=`` / ``primary_key_fields=``, or the command
    line's): (id_field, primary_key_fields), each None when not given or not usable (said at
    ``where``). Giving both is an error; a schema's own identity is replaced (a note)."""
    if ov_id is not None and ov_pk is not None:
        ck.error(where, "identity", "give either id_field or primary_key_fields, not both")
    if ("id_field" in schema or "primary_key_fields" in schema) and form != "definition":
        ck.note(where, "overridden", "the identity given as an option replaces the one in the definition")
    id_field = plain_str(ov_id) if isinstance(ov_id, str) else ov_id
    pk_fields = tuple(map(plain_str, ov_pk)) if isinstance(ov_pk, tuple) and all(isinstance(p, str) for p in ov_pk) else ov_pk
    if id_field is not None and (not isinstance(id_field, str) or not id_field):  # (a Python caller's: the command line's is a name)
        ck.error(where, "identity", f"the id_field option must be a column name (a non-empty str), not {json_type(id_field)} {ck.show(id_field)}")
        id_field = None
    if pk_fields is not None and (not isinstance(pk_fields, tuple) or not pk_fields or not all(isinstance(p, str) and p for p in pk_fields)):
        ck.error(where, "identity", f"the primary_key_fields option must be a non-empty list of column names, not {json_type(pk_fields)} {ck.show(pk_fields)}")
        pk_fields = None
    return id_field, pk_fields


def _identity_in_schema(ck: Checker, schema: Mapping[str, Any], where: tuple[str | int, ...], form: str) -> tuple[str | None, tuple[str, ...] | None]:
    """The identity a schema gives: (id_field, primary_key_fields), each None when absent or not
    usable. Exactly one must be there (a bare definition array is told it takes them as options);
    an id_field must be a non-empty string, primary_key_fields a non-empty array of names."""
    id_field: str | None = None
    pk_fields: tuple[str, ...] | None = None
    has_id, has_pk = "id_field" in schema, "primary_key_fields" in schema
    if has_id and has_pk:
        ck.error(where, "identity", "give exactly one of id_field and primary_key_fields, not both")
    elif not has_id and not has_pk:
        hint = (
            " (a bare definition array takes it as an option: --id-field or --primary-key-fields on the command line, id_field= or primary_key_fields= from Python)"
            if form == "definition"
            else ""
        )
        ck.error(where, "identity", f"the record identity is missing: give id_field or primary_key_fields{hint}")
    if has_id:
        value = schema["id_field"]
        if not isinstance(value, str) or not value:
            ck.error(where + ("id_field",), "wrong-type", f"id_field must be the name of a column (a non-empty string), not {ck.show(value)}")
        else:
            id_field = plain_str(value)
    if has_pk:
        value = schema["primary_key_fields"]
        pk_where = where + ("primary_key_fields",)
        if not isinstance(value, (list, tuple)) or not value:
            # (a name where an array of one is meant, as id_field takes it: the array written out)
            names = [n.strip(GO_SPACE) for n in value.split(",")] if isinstance(value, str) else []  # ("a,b", as --primary-key-fields takes them)
            fix = f" (write [{', '.join(ck.show(n) for n in names)}])" if names and all(names) else ""
            ck.error(pk_where, "wrong-type", f"primary_key_fields must be a non-empty array of column names, not {ck.show(value)}{fix}")
        else:
            good = True
            for i, item in enumerate(value):
                if not isinstance(item, str) or not item.strip(GO_SPACE):
                    ck.error(pk_where + (i,), "wrong-type", f"a primary key field must be a column name, not {ck.show(item)}")
                    good = False
            if good:
                pk_fields = tuple(map(plain_str, value))
    return id_field, pk_fields


def _missing_policy(ck: Checker, schema: Mapping[str, Any], where: tuple[str | int, ...], option: Any, form: str) -> bool | None:
    """Whether records may miss fields: the ``allow_missing_fields`` option (which must be a
    bool: "no" is truthy, never taken for a policy; a schema's other value gets a note), else
    the schema's, which is required and must be true or false; None when not usable."""
    if option is not None and not isinstance(option, bool):
        ck.error(where, "wrong-type", f"the allow_missing_fields option must be True or False, not {json_type(option)} {ck.show(option)}")
        return None
    if option is not None:
        if "allow_missing_fields" in schema and form != "definition" and schema["allow_missing_fields"] != option:
            ck.note(where + ("allow_missing_fields",), "overridden", f"allow_missing_fields is overridden by the option ({str(option).lower()})")
        return option
    if "allow_missing_fields" not in schema:
        hint = (
            " (a bare definition array takes it as an option: --allow-missing-fields or --no-allow-missing-fields on the command line, allow_missing_fields= from Python)"
            if form == "definition"
            else ""
        )
        ck.error(
            where + (("allow_missing_fields",) if form != "definition" else ()),
            "missing",
            f"allow_missing_fields is required: true stores records with missing values as nulls, false discards the whole batch{hint}",
        )
        return None
    if not isinstance(schema["allow_missing_fields"], bool):
        ck.error(
            where + ("allow_missing_fields",),
            "wrong-type",
            f"allow_missing_fields must be true or false, not {ck.show(schema['allow_missing_fields'])}",
        )
        return None
    return schema["allow_missing_fields"]


def _unknown_column_hint(ck: Checker, word: str, columns: list[Column]) -> str:
    """For an identity field that names no column: the column whose path it is, when it names one's path
    (``id``, ``$.data.id``: a path where a column's name goes), ``(the column 'record_id' reads the path
    id: an identity field names a column, not a path)``; else the name alike (:meth:`Checker.suggest`)."""
    try:
        path = parse_path(word)
    except PathSyntaxError:
        path = None
    keys = None if path is None or path.keys is None else path.keys[1:] if path.keys[0] == "$" and root_dollar(word) else path.keys
    found = next((c for c in columns if keys and c.path.keys == keys), None)
    if found is not None:
        return f" (the column {preview(found.name)!r} reads the path {preview(word)!r}: an identity field names a column, not a path: write {preview(found.name)!r})"
    return ck.suggest(word, [c.name for c in columns])


def _check_id_column(
    ck: Checker, id_field: str, id_where: tuple[str | int, ...], named: Mapping[str, Any], columns: list[Column], definition_where: tuple[str | int, ...]
) -> None:
    """The id_field must name a column of the definition (``named``: name to (entry indices,
    type)), and one of type id or int; a name several entries give is ambiguous (said too)."""
    given = named.get(id_field)
    if given is None:
        ck.error(id_where, "unknown-column", f"id_field {preview(id_field)!r} names no column of the definition{_unknown_column_hint(ck, id_field, columns)}")
        return
    first = _shared_name(ck, id_where, f"id_field {preview(id_field)!r}", given[0], definition_where)
    ctype = given[1]
    if ctype is not None and ctype not in ("id", "int"):
        ck.error(id_where, "identity-type", f"id_field {preview(id_field)!r} is {article(ctype)} column{first}; it must be of type id or int")


def _check_key_columns(
    ck: Checker,
    pk_fields: tuple[str, ...],
    pk_where: tuple[str | int, ...],
    where: tuple[str | int, ...],
    named: Mapping[str, Any],
    columns: list[Column],
    definition_where: tuple[str | int, ...],
) -> tuple[str, ...]:
    """Each primary key field must name a column of the definition (``named``: name to (entry
    indices, type)) that is not a strings column; surrounding spaces (which the ingester trims)
    and a field listed twice are warnings (the ingester takes it, joining the value with itself, ``"7|7"``:
    a key that says nothing the field once does not, and differs from it). Returns the fields trimmed as
    the ingester uses them."""
    seen: dict[str, int] = {}
    for i, pk in enumerate(pk_fields):
        pkw = pk_where + ((i,) if pk_where != where else ())
        if pk != pk.strip(GO_SPACE):  # (as Go's strings.TrimSpace: str.strip() trims \x1c-\x1f too)
            ck.warning(pkw, "whitespace", f"primary key field {preview(pk)!r} has surrounding spaces; the ingester trims them")
            pk = pk.strip(GO_SPACE)
        if pk in seen:
            ck.warning(pkw, "duplicate", f"primary key field {preview(pk)!r} is listed twice (as field {seen[pk]} too); the key joins its value twice")
        seen.setdefault(pk, i)
        given = named.get(pk)
        if given is None:
            ck.error(pkw, "unknown-column", f"primary key field {preview(pk)!r} names no column of the definition{_unknown_column_hint(ck, pk, columns)}")
            continue
        first = _shared_name(ck, pkw, f"primary key field {preview(pk)!r}", given[0], definition_where)
        if given[1] == "strings":
            ck.error(pkw, "identity-type", f"primary key field {preview(pk)!r} is a strings column{first}; a set of strings cannot be a key")
    return tuple(p.strip(GO_SPACE) for p in pk_fields)


def _unstored_key(id_field: str | None, pk_fields: tuple[str, ...] | None, named: Mapping[str, tuple[list[int], str | None]]) -> str | None:
    """The name of the identity's own column when the ingester does not store it (idk's
    batchFromSchema skips it): an id_field's, or a lone primary key's of type string."""
    if id_field is not None:
        return id_field
    if pk_fields is not None and len(pk_fields) == 1 and named.get(pk_fields[0], ([], None))[1] == "string":
        return pk_fields[0]
    return None


def _stores_reserved_id(ck: Checker, named: list[tuple[tuple[str | int, ...], str]], id_field: str | None, pk_fields: tuple[str, ...] | None) -> bool:
    """Whether a stored column is named ``_id`` (an error at the name's place, ``named``: (place,
    name) of each column): the table's record identity, which it would write over. The
    identity's own column is not stored (an id_field, or a single primary key), so it may have
    that name. Checked on the entries that check, whatever else is wrong."""
    key = id_field if id_field is not None else (pk_fields[0] if pk_fields is not None and len(pk_fields) == 1 else None)
    for where, name in named:
        if name == "_id" and name != key:
            ck.error(
                where,
                "reserved-name",
                "_id is the record's identity in the table (what id_field / primary_key_fields make): "
                "a stored column cannot have that name; name it otherwise, or make it the identity",
            )
            return True
    return False


def built_name_problems(sink: Sink, pointers: list[str]) -> list[Problem]:
    """The errors of the column names of a Sink built in Python (its columns' places ``pointers``),
    by the rules load_sink applies to a definition's: FeatureBase's name rule where the column is
    stored (:func:`check_column_names`), and no stored ``_id`` (:func:`_stores_reserved_id`). A
    name that is no str, and an identity that names no column, are the caller's to say."""
    ck = Checker()
    entries = Entries(columns=[], ok=True, named={})
    named: list[tuple[tuple[str | int, ...], str]] = []
    for place, c in enumerate(sink.columns):
        if isinstance(c.name, str) and c.name:
            entries.named.setdefault(c.name, ([], c.type if isinstance(c.type, str) else None))[0].append(place)
            named.append(((place, "name"), c.name))
            if name_refused(c.name, c.type):
                entries.refused.append((place, (place, "name"), c.name))
    id_field = sink.id_field if isinstance(sink.id_field, str) else None
    keys = sink.primary_key_fields
    pk_fields = tuple(keys) if id_field is None and isinstance(keys, (tuple, list)) and all(isinstance(k, str) for k in keys) else None
    check_column_names(ck, entries, _unstored_key(id_field, pk_fields, entries.named))
    if id_field is not None or pk_fields is not None:
        _stores_reserved_id(ck, named, id_field, pk_fields)
    return [replace(p, pointer=f"{pointers[int(split_pointer(p.pointer)[0])]}/name") for p in ck.problems if p.severity == "error"]
