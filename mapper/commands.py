"""What the commands do: ``check``, ``explain``, ``validate`` and ``map`` (and what ``infer``/``bench`` share).

The command line adds no mapping logic: the sink is loaded and checked, inputs are
read in chunks (bounded memory for ``validate``), a progress bar is drawn on a
terminal, and outputs are written atomically (:mod:`mapper.writers`; a discarded batch
leaves none). Exit codes: 0 success (a valid sink; every record would be stored),
1 the endpoint would refuse at least one record (``map`` still writes the stored ones
unless the batch is discarded), 2 usage errors, unreadable input or an invalid sink.

Input holding no records at all (an empty file, blank lines, ``[]``) is accepted, exit 0,
as the endpoint answers a request of no records; the verdict line says the input holds
none (:func:`verdict`), and of several inputs, one that holds none is named in a note.
"""

from __future__ import annotations

import argparse
import collections
import errno
import json
import math
import os
import re
import shlex
import stat
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import IO, Any, Callable, Iterator, Mapping, Sequence, TypeVar

from ._start import interruption_lost, keep_to_exit
from .batch import Batch, concat_batches
from .compiler import compile_definition
from .engine.core import Engine
from .engine.parallel import Keep, can_fork, reap, run_parallel_parts, splittable
from .engine.reader import (
    ARRAYS_AT,
    HEAD_BYTES,
    BrokenDocument,
    FirstLines,
    NdjsonChunk,
    Notice,
    ObjectRecords,
    OversizedRecord,
    RawRecords,
    chunk_size_for,
    explain_failures,
    format_of,
    head_lines,
    input_problem,
    mistyped_paths_notes,
    open_input,
    read_head,
    stdin_archive,
    unexplained,
    units_for,
)
from .engine.runner import gc_paused
from .errors import (
    ArchiveInput,
    InputError,
    MapperError,
    OptionError,
    OutputError,
    Problem,
    and_list,
    archive_text,
    binary_note,
    elided,
    encoding_note,
    escape_controls,
    escaped_json,
    file_archive,
    file_compression,
    new_file_beside,
    option_text,
    pasted_name,
    preview,
    read_once,
    shell_file,
    shown_name,
    suggest,
    text_command,
)
from .model import CheckResult, Column, Sink
from .options import MAX_RECORD_SIZE, MIN_RECORD_SIZE, RECORDS_PATH_AND_BODY, MapOptions, TypedFloat, TypedInt
from .paths import EVALUATION_ERRORS, MAX_PATH_KEYS, Descent, descent, records_path_keys, to_dot_notation
from .paths import Path as PathSpec
from .report import RecordError, Report, ValueWarning, plural
from .sink import MAX_SINK_BYTES, check_sink, check_stdin_sink, read_limited, split_pointer
from .types import LOSSY_KINDS
from .writers import (
    ROW_GROUP,
    BatchWriter,
    FormatUnknown,
    RejectsWriter,
    check_output,
    end_unwritten,
    keep_together,
    names_stdin,
    names_stdout,
    ndjson_name,
    not_ndjson,
    open_writer,
    replaces_stdout,
    same_file,
    signals_held,
)

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2


# ---------------------------------------------------------------------------------------
# Loading the sink


def field_option(text: str) -> str:
    """``--id-field``'s value (argparse ``type``): a name, never empty (which would be as if not given)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"takes a name, not {text!r}")
    return text.strip()


def file_name(text: str) -> str:
    """A file argument's value (argparse ``type``): never empty. An empty name (``--rejects
    "$UNSET"``) was taken as not given (no dead letters written, no figures) or as the working
    directory ("cannot write : it is a directory")."""
    if text in ("", "\0"):  # ("\0": an empty name after --, as mapper.cli marks what follows --)
        raise argparse.ArgumentTypeError("takes a file name, not an empty one ('')")
    return text


#: A byte of an argument that is not UTF-8, as Python hands it over: its surrogate escape
#: (``os.fsdecode``'s: 0xff is U+DCFF), which a message showed as ``\\udcff``, half of a UTF-16
#: surrogate pair the user never typed (and which a socket, an environment lookup, a JSON key
#: cannot take).
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


class _UnicodeText:
    """An option's ``type`` that refuses a value holding a byte that is not UTF-8, then reads it
    with the option's own ``type`` (``read``; none: the text as it is)."""

    def __init__(self, read: Callable[[str], Any] | None) -> None:
        self.read = read
        # argparse names the type by it in its own message for a ValueError ("invalid int value: 'x'")
        self.__name__ = getattr(read, "__name__", repr(read))

    def __call__(self, text: str) -> Any:
        escaped = _NOT_UTF8.search(text)
        if escaped is not None:
            byte = ord(escaped.group()) - 0xDC00
            raise argparse.ArgumentTypeError(
                f"the value holds the byte \\x{byte:02x}, which is not UTF-8 (at character {escaped.start() + 1}): "
                "an option's value is Unicode text; give it in UTF-8"
            )
        return text if self.read is None else self.read(text)


_Action = TypeVar("_Action", bound=argparse.Action)


def unicode_values(action: _Action) -> _Action:
    """``action`` (what ``add_argument`` returns) refusing, as a usage error, a value that holds
    a byte that is not UTF-8 (``--include $'a\\xff'``), before its ``type`` reads it: messages
    showed Python's escape of it (``\\udcff``), or a dependency failed on it later (serve
    --host: a traceback from socket.bind). It wraps the action's ``type``, argparse's public
    door for a value's text, so every command's options get it from
    :class:`mapper.cli._Parser`'s ``add_argument`` (and an argument group's options by calling
    this). File names are exempt (``type=file_name``): a file may be named by any bytes."""
    if action.nargs != 0 and action.type is not file_name and not isinstance(action.type, _UnicodeText):
        assert action.type is None or callable(action.type), action.type  # (argparse's registered type names are not used)
        # (one reader of integers for every option: int() took 1_0, Arabic-Indic digits, ' 5')
        assert action.type is not int, f"{action.option_strings}: type=int takes what int() takes; use mapper.commands.integer"
        assert action.type is not float, f"{action.option_strings}: type=float takes what float() takes; use mapper.commands.decimal"
        action.type = _UnicodeText(action.type)
    return action


#: An integer option's value: ASCII digits, a minus sign before them taken (its option's own check
#: then says what the value must be: ``--workers -1`` is ">= 1").
_INTEGER = re.compile(r"-?[0-9]+")


def integer_text(text: str) -> int | None:
    """``text`` as an integer written in ASCII digits (``-`` before them taken), else None: Python's
    ``int()`` also took ``1_0``, ``\u0663`` (Arabic-Indic three), ``\uff15`` (a full-width 5),
    ``+5`` and blanks around them (``' 5'``), which no option's help promises and no other
    program reading the same value takes."""
    return int(text) if _INTEGER.fullmatch(text) else None


def integer(text: str) -> int:
    """Every integer option's value (argparse ``type``; :func:`unicode_values` takes no other
    reader of integers): :func:`integer_text`, or a usage error naming the option (argparse
    puts it first: ``argument --workers: ...``)."""
    if integer_text(text) is None:
        raise argparse.ArgumentTypeError(f"invalid int value: {text!r} (a whole number, written in ASCII digits 0-9)")
    return TypedInt(text)  # (a refusal quotes the text typed: 99999, not 99,999)


#: A decimal option's value: ASCII digits, a minus sign before them taken, one ``.``, an exponent
#: (``1e3``, ``2.5E-1``); and the words float() reads as infinities and NaN (``inf``, ``nan``),
#: read as before: each option's own check refuses them, naming it (send's ``--timeout inf``).
_DECIMAL = re.compile(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_NOT_FINITE = re.compile(r"-?(?:inf|infinity|nan)", re.IGNORECASE)


def decimal(text: str) -> float:
    """Every decimal option's value (argparse ``type``; :func:`unicode_values` takes no other
    reader of decimals): as :func:`integer`'s, ASCII digits only, or a usage error naming the
    option. Python's ``float()`` also took ``1_0``, ``\u0663`` (Arabic-Indic three), ``\uff15``
    (a full-width 5), ``+5`` and blanks around them (``' 5'``)."""
    if not (_DECIMAL.fullmatch(text) or _NOT_FINITE.fullmatch(text)):
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r} (a decimal number, written in ASCII digits 0-9: 2, 0.5, 1e3)")
    value = float(text)
    if math.isinf(value) and not _NOT_FINITE.fullmatch(text):  # (1e400 was said "not inf", a word the user never wrote)
        raise argparse.ArgumentTypeError(f"invalid float value: {text!r} (past a float's range, about 1.8e308)")
    return TypedFloat(text)  # (a refusal quotes the text typed: 1e9, not 1,000,000,000)


def glob_option(text: str) -> str:
    """``--include`` / ``--exclude``'s value (argparse ``type``): a glob, never empty. An empty one
    (``--include "$UNSET"``) matched no path: every path was left out, noted as "not matched by
    --include " with nothing after it."""
    if not text:
        raise argparse.ArgumentTypeError("takes a glob on dot paths (data.*), not an empty one ('')")
    return text


def fields_option(text: str) -> list[str]:
    """``--primary-key-fields``'s value (argparse ``type``): comma-separated names, none of them empty."""
    names = [p.strip() for p in text.split(",")]
    if not all(names):
        raise argparse.ArgumentTypeError(f"takes comma-separated names, none of them empty (a,b), not {text!r}")
    return names


def identity_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """``--id-field``, ``--primary-key-fields`` (a list: :func:`fields_option`) and ``--(no-)allow-missing-fields`` as check_sink options."""
    return {
        "id_field": getattr(args, "id_field", None),
        "primary_key_fields": getattr(args, "primary_key_fields", None),
        "allow_missing_fields": getattr(args, "allow_missing", None),
    }


def check_cli_sink(args: argparse.Namespace) -> CheckResult:
    """SINK checked: a file, whatever its name looks like ([prod].json is no JSON text, so a
    Path), or ``-``: standard input (``mapper infer r.ndjson | mapper check -``), unless the
    command reads its records from there too."""
    if args.sink != "-":
        return check_sink(Path(args.sink), **identity_overrides(args))
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # (a text stream alone: a StringIO a program calling mapper.cli.main put there)
        text: str = sys.stdin.read(MAX_SINK_BYTES + 1)  # (characters: more than that many bytes once encoded, as check_sink says)
        return check_stdin_sink(text.encode("utf-8", "surrogateescape"), **identity_overrides(args))
    return check_stdin_sink(read_limited(buffer), **identity_overrides(args))  # (bounded: `mapper check - < /dev/zero`)


def load_cli_sink(args: argparse.Namespace, quiet: bool = False) -> Sink | None:
    """Load the sink for a command; print its errors and return None when it is invalid."""
    result = load_cli_result(args, quiet)
    return None if result is None else result.sink


def load_cli_result(args: argparse.Namespace, quiet: bool = False) -> CheckResult | None:
    """:func:`load_cli_sink`'s check of the sink, its ``sink`` set (None when it is invalid)."""
    if names_stdin(args.sink) and hasattr(args, "records") and any(map(names_stdin, _inputs(args))):  # (records default to stdin)
        print("mapper: SINK and RECORDS cannot both be standard input (-): give one of them as a file", file=sys.stderr)
        return None
    result = check_cli_sink(args)
    if result.sink is None:
        print(f"mapper: invalid sink {shown_name(args.sink)}:", file=sys.stderr)
        print_problems(result.problems, sys.stderr, only_errors=True)
        swapped = _sink_given_as_records(args)
        if swapped is not None:
            sink, command = swapped
            print(f"mapper: {shown_name(sink)} is a sink definition: the sink comes first, then the records ({command})", file=sys.stderr)
        for said in _descents_held(args, result.problems):
            print(f"mapper: {said}", file=sys.stderr)
        return None
    again = _sink_as_its_records(args)
    if again is not None:
        print(again, file=sys.stderr)
        return None
    if not quiet:
        warnings = [p for p in result.problems if p.severity == "warning"]
        if warnings:
            print(f"mapper: {plural(len(warnings), 'warning')} about {shown_name(args.sink)} (see: {_check_command(args)})", file=sys.stderr)
    return result


#: The most of a file given as RECORDS :func:`_sink_given_as_records` reads to tell whether it is a sink
#: definition: a larger file is taken to be records, unread (a definition of a thousand columns is 200 KiB).
SNIFF_BYTES = 1 << 20


def _sink_given_as_records(args: argparse.Namespace) -> tuple[str, str] | None:
    """When SINK is refused and a file given as RECORDS is a sink definition (``mapper validate r.ndjson sink.json``:
    the two given the other way round), that file and the command with the two swapped, to be pasted
    (the sink's error said "mapper validate SINK RECORDS" alone); else None. Only on the error path:
    each of the first few records files is checked as a sink when it is no larger than :data:`SNIFF_BYTES`
    and its text names a definition (a records file is not read whole: 8 of them were, up to 64 MiB each)."""
    if not hasattr(args, "records"):
        return None
    overrides = identity_overrides(args)
    for name in [r for r in args.records if not read_once(r) and r != args.sink][:8]:
        try:
            if not os.path.isfile(name) or os.path.getsize(name) > SNIFF_BYTES:
                continue
            with open(name, "rb") as fh:
                text = fh.read(SNIFF_BYTES)
            # (a definition's text names its entries, or is their bare array: `--id-field id` gives the rest)
            if not (b'"definition"' in text or b'"mapping"' in text or text.lstrip()[:1] == b"[") or check_sink(text, **overrides).sink is None:
                continue
        except (OSError, ValueError, MapperError):
            continue
        swapped = {args.sink: pasted_name(name), name: pasted_name(args.sink)}
        return name, _with_positionals(args, lambda _k, word: swapped.get(word))  # noqa: B023 (called before the loop goes on)
    return None


def _descents_held(args: argparse.Namespace, problems: Sequence[Problem]) -> list[str]:
    """For each column path of the refused SINK written with JSONPath's recursive descent (``$..x``, refused
    with what it is): where the first records of the RECORDS hold its key, the path to write when they hold
    it at one place (:func:`descent_said`). Only on the error path: the sink's text read again (a file), and
    the first records as a passing run under allow_missing_fields true reads them (:func:`_rereadable`)."""
    pointers = [p.pointer for p in problems if p.code == "path-syntax" and p.severity == "error"]
    if not pointers or not hasattr(args, "records") or read_once(args.sink):
        return []
    try:
        if os.path.getsize(args.sink) > MAX_SINK_BYTES:
            return []
        doc = json.loads(Path(args.sink).read_bytes())
    except (OSError, ValueError, RecursionError):
        return []
    found = [(pointer, d) for pointer in pointers if isinstance(text := _at_pointer(doc, pointer), str) and (d := descent(text)) is not None]
    inputs = _inputs(args)
    if not found or not _rereadable(inputs[0]):
        return []
    try:  # (how the records are read, as the command reads them: send has no mapping options of validate's)
        options = MapOptions(
            input_format=getattr(args, "input_format", None) or "auto",
            records_path=records_path_option(getattr(args, "records_path", None)),
            max_record_size=max_record_size_option(getattr(args, "max_record_size", None)),
        )
    except MapperError:  # (an option of its own refused: said once the sink is fixed)
        return []
    sample = _sample_records(inputs, options, b"")
    if not sample:
        return []
    looked = "the records" if len(sample) < UNMATCHED_SAMPLE else f"the first {len(sample):,} records"
    return [f"{escape_controls(pointer)}: {said}" for pointer, d in found if (said := descent_said(d, descent_places(sample, d), looked))]


def _at_pointer(doc: Any, pointer: str) -> Any:
    """The value at a JSON Pointer (RFC 6901) into a decoded document, or None where it names none."""
    for token in split_pointer(pointer):
        if isinstance(doc, dict):
            doc = doc.get(token)
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return None
    return doc


def _with_positionals(args: argparse.Namespace, instead: Callable[[int, str], str | None]) -> str:
    """The command line as given, to be pasted: each positional argument (SINK, then RECORDS) given as
    ``instead`` of its place among them (0: SINK) and its word says (already quoted for a shell; None:
    kept); every other word, an option's value naming the same file among them (``--rejects r.ndjson``),
    kept as it was."""
    given = getattr(args, "argv", None) or ["mapper", args.command, args.sink, *args.records]
    at = getattr(args, "positionals", None) or list(range(2, len(given)))
    changed = {i: instead(k, given[i]) for k, i in enumerate(at)}
    return " ".join(changed.get(i) or shown_name(shlex.quote(word)) for i, word in enumerate(given))


def _sink_as_its_records(args: argparse.Namespace) -> str | None:
    """When a file given as RECORDS is the SINK file itself (``mapper validate sink.json sink.json``): the
    usage error saying so, with the command that gives the records after it and the one that checks the
    sink alone (its one record, the definition, was refused for every column, and a note said "the sink
    comes first, then the records (mapper validate SINK RECORDS)": the order the user had kept); else None."""
    if not hasattr(args, "records") or read_once(args.sink):
        return None
    for name in args.records:
        if read_once(name) or not (name == args.sink or same_file(name, args.sink)):
            continue
        also = f" (as {shown_name(name)})" if name != args.sink else ""
        command = _with_positionals(args, lambda k, word: "RECORDS" if k and word == name else None)  # noqa: B023 (called before the loop goes on)
        return (
            f"mapper: {shown_name(args.sink)} is given as SINK and as RECORDS{also}: it is the sink definition, not records;"
            f" give the records after it ({command}), or check the sink alone ({_check_command(args)})"
        )
    return None


def _check_command(args: argparse.Namespace) -> str:
    """The ``mapper check`` that shows the warnings of the sink as this command loaded it: with the
    identity and policy options it was given (``--primary-key-fields id,id`` is warned of, and a
    plain ``mapper check SINK`` said the sink was ok, without a warning). A sink read from a stream
    read once (``-``, ``/dev/stdin``, a ``<(...)`` pipe) is piped to it again, as the other hints
    on standard input say it: ``... | mapper check -`` (``mapper check -`` alone waited on the terminal)."""
    given = identity_overrides(args)
    again = read_once(args.sink)
    words = ["mapper", "check", "-" if again else pasted_name(args.sink)]  # (one word however the name is spelt: `my sink.json`)
    if given["id_field"] is not None:
        words += ["--id-field", shlex.quote(given["id_field"])]
    if given["primary_key_fields"] is not None:
        words += ["--primary-key-fields", shlex.quote(",".join(given["primary_key_fields"]))]
    if given["allow_missing_fields"] is not None:
        words.append("--allow-missing-fields" if given["allow_missing_fields"] else "--no-allow-missing-fields")
    return text_command(" ".join(words), args.sink) if again else " ".join(words)


def print_problems(problems: Sequence[Problem], out: Any, only_errors: bool = False) -> None:
    for p in problems:
        if only_errors and p.severity != "error":
            continue
        where = escape_controls(p.pointer) or "(document)"  # (keys as written: an ESC or a newline among them)
        first, *rest = p.message.split("\n")
        print(f"  {p.severity}: {where}: {first}", file=out)
        for line in rest:
            print(f"      {line}", file=out)


def parse_max_errors(text: str | None) -> int | float | None:
    """``--max-errors``: a count (``10``) or a percentage from 0 to 100 (``5%``)."""
    if text is None:
        return None
    if text.endswith("%") and _SHARE.fullmatch(text[:-1]):  # (ASCII digits, as every integer option's: integer_text)
        value = float(text[:-1]) / 100.0
        if 0 <= value <= 1:
            return value
    elif (n := integer_text(text)) is not None and n >= 0:
        return n
    raise OptionError(f"--max-errors takes a count (10) or a percentage from 0 to 100 (5%), in ASCII digits, not {text!r}")


#: ``--max-errors``' percentage: ASCII digits, a decimal point among them taken (``2.5``, ``.5``).
_SHARE = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")


def max_record_size_option(text: str | None) -> int:
    """``--max-record-size``: a byte count, ``1048576``, ``512K``, ``16M``, ``1G`` (binary: K is
    1024; 16M when not given), at least 1K."""
    if text is None:
        return MAX_RECORD_SIZE
    m = re.fullmatch(r"([0-9]+)([kKmMgG]?)(?:i?[bB])?", text)  # (ASCII digits, no blanks: as every integer option's, integer_text)
    if not m:
        raise OptionError(f"--max-record-size takes a number of bytes in ASCII digits (1048576, 512K, 16M, 1G), not {text!r}")
    size = int(m.group(1)) * 1024 ** " KMG".index(m.group(2).upper() or " ")
    if size < MIN_RECORD_SIZE:
        raise OptionError(f"--max-record-size must be at least 1K (1024 bytes), not {text!r}")
    return size


def records_path_option(text: str | None, inputs: Sequence[str] = ()) -> tuple[str, ...] | None:
    """``--records-path``: its keys, or an OptionError naming the option as the command line spells it
    (the API's message says ``records_path``). One written with JSONPath's recursive descent (``$..aircraft``)
    is told where the first of ``inputs`` (the RECORDS) holds arrays under that key (:func:`descent_records`)."""
    if text is None:
        return None
    # (a byte of the argument that is not UTF-8, which the path's own check took for half of a
    # UTF-16 surrogate pair, is refused by its type, as in every option: unicode_values)
    try:
        return records_path_keys(_keys_listed(text) or text)
    except OptionError as exc:
        message = str(exc)
        message = "--records-path" + message[len("records_path") :] if message.startswith("records_path") else message
        found = descent(text)
        said = descent_records(inputs[0], found) if found is not None and inputs else ""
        raise OptionError(f"{message}\n  {said}" if said else message) from None


def _keys_listed(text: str) -> list[str] | None:
    """The keys of ``--records-path`` given as a JSON array of strings (``'["my feed"]'``, as the API's list
    and a sink's path are written, and as a key holding white space is told it may be given); None for any
    other text (``[0]``, ``[*]``, ``["a", 1]``: read as a path string, whose refusal says what to write)."""
    if not text.lstrip(" \t\r\n").startswith("["):
        return None
    try:
        keys = json.loads(text)
    except ValueError:
        return None
    return keys if isinstance(keys, list) and keys and all(isinstance(k, str) for k in keys) else None


#: How many places a recursive descent's hint names (:func:`descent_said`), and how many values it looks through.
DESCENT_PLACES, DESCENT_VALUES = 4, 200_000
#: The largest document (its text, unpacked) :func:`descent_records` reads for the arrays a descent means.
DESCENT_BYTES = 16 << 20


def descent_places(values: Sequence[Any], found: Descent, arrays: bool = False) -> list[tuple[str, ...]]:
    """The keys (from ``found.before``) at which the decoded ``values`` hold ``found.key``, through objects alone
    (``arrays``: only where it holds an array, as a records path's does), the shallowest and first seen first."""
    places: dict[tuple[str, ...], None] = {}
    budget = DESCENT_VALUES
    for value in values:
        for key in found.before:
            value = value.get(key) if isinstance(value, dict) else None
        queue: collections.deque[tuple[Any, tuple[str, ...]]] = collections.deque([(value, ())])
        while queue and budget > 0:
            node, keys = queue.popleft()
            budget -= 1
            if not isinstance(node, dict) or len(found.before) + len(keys) >= MAX_PATH_KEYS:
                continue
            for key, held in node.items():
                if isinstance(key, str):
                    if key == found.key and (not arrays or isinstance(held, list)):
                        places.setdefault((*keys, key), None)
                    queue.append((held, (*keys, key)))
    return list(places)


def descent_said(found: Descent, places: list[tuple[str, ...]], looked: str, records_path: bool = False) -> str:
    """What ``looked`` (``the first 3 records``, ``feed.json``) holds where a recursive descent reads (``places``:
    :func:`descent_places`): the one path to write, or the first few to choose from; that it holds none. ``""`` of a
    path holding a second descent (``$.a..b..c``): the places of its first key are none to write (``a.x.b``, said
    "write" for a records path meaning the arrays at ``c``)."""
    if ".." in found.after:
        return ""
    key = escape_controls(to_dot_notation([found.key]))
    written = [to_dot_notation(found.before + p) if records_path else found.written(p) for p in places]
    written = [w for w in written if w]
    verb = "hold" if looked.endswith("records") else "holds"
    if not written:
        return (f"{looked} {verb} no array at a key {key}" if records_path else f"{looked} {verb} no key {key}") if not places else ""
    if len(written) == 1:
        held = f"one array at a key {key}" if records_path else f"the key {key} at one place"
        return f"{looked} {verb} {held}: write {elided(escape_controls(written[0]))}"
    shown = ", ".join(elided(escape_controls(w)) for w in written[:DESCENT_PLACES])
    more = f" and {len(written) - DESCENT_PLACES:,} more" if len(written) > DESCENT_PLACES else ""
    held = f"{len(written):,} arrays at a key {key}" if records_path else f"the key {key} at {len(written):,} places"
    return f"{looked} {verb} {held}: {shown}{more} (write the one meant)"


def descent_records(name: str, found: Descent) -> str:
    """Where the records file ``name`` (a document, unpacked, of at most :data:`DESCENT_BYTES`; NDJSON: its first
    line) holds arrays at the key a records path's recursive descent reads (:func:`descent_said`); ``""`` when it
    cannot be read so (a stream read once, a larger file, no JSON). Only on the error path."""
    if read_once(name) or not os.path.isfile(name):
        return ""
    try:
        with _opened(name) as fh:
            text = fh.read(DESCENT_BYTES + 1)
    except (OSError, MapperError):
        return ""
    if len(text) > DESCENT_BYTES:
        return ""
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        try:
            doc = json.loads(text.split(b"\n", 1)[0])
        except (ValueError, RecursionError):
            return ""
    return descent_said(found, descent_places([doc], found, arrays=True), shown_name(name), records_path=True)


def map_options(args: argparse.Namespace) -> MapOptions:
    """The engine options of ``validate``/``map``/``bench``, checked once; a bad value is an OptionError
    naming the option as typed (``--workers``), not the API's parameter (``workers``)."""
    if args.max_errors is not None and args.on_error != "skip":
        raise OptionError(f"--max-errors only applies with --on-error skip (the policy is {args.on_error}): add --on-error skip, or drop --max-errors")
    workers = getattr(args, "workers", 1)
    if workers < 1:
        raise OptionError(f"--workers takes a number of processes >= 1, not {workers}")
    max_record_size = max_record_size_option(getattr(args, "max_record_size", None))
    if getattr(args, "records_path", None) is not None and args.input_format == "endpoint":
        raise OptionError(f"--records-path does not go with --input-format endpoint: {RECORDS_PATH_AND_BODY}")
    return MapOptions(
        on_error=args.on_error,
        max_errors=parse_max_errors(args.max_errors),
        strict=args.strict,
        input_format=args.input_format,
        workers=workers,
        max_record_size=max_record_size,
        records_path=records_path_option(getattr(args, "records_path", None), _inputs(args) if hasattr(args, "records") else ()),
        ignore_warnings=ignored_warnings(args),
    )


def stdin_once(records: list[str]) -> None:
    """Refuse RECORDS naming standard input more than once (``- -``, ``- /dev/stdin``): it is one
    stream, read once (a pipe's second reading held nothing, a redirected file's was read twice),
    so the run would count records that are not there, or miss that they are."""
    named = [name for name in records if names_stdin(name)]
    if len(named) > 1:
        if len(set(named)) == 1:
            given = f"'{named[0]}' " + ("twice" if len(named) == 2 else f"{len(named)} times")
        else:
            given = " and ".join(f"'{n}'" for n in named)
        raise OptionError(f"RECORDS name standard input more than once ({given}): it is one stream, read once; name it once")


def stdout_on_input(inputs: list[str], what: str | None, it: str = "it") -> None:
    """Refuse standard output redirected to one of ``inputs`` (``validate SINK r.ndjson > r.ndjson``):
    the shell emptied the file before the run, which read no records and said so, exit 0. ``what``:
    what the command writes there, as the message says it (``validate writes its report``; None:
    nothing asked for); ``it``: its pronoun."""
    for name in inputs:
        if same_file("/dev/stdout", "/dev/stdin" if name == "-" else name):
            shown = "the file standard input reads" if name == "-" else shown_name(name)
            if what is None:
                raise OutputError(f"standard output is redirected to {shown}, an input (a > empties it before the run starts): redirect it elsewhere")
            raise OutputError(f"{what} to standard output, which is redirected to {shown}, an input: write {it} elsewhere")


def check_inputs(records: list[str]) -> None:
    """Refuse, before any is read, RECORDS naming standard input more than once (:func:`stdin_once`)
    or a file that cannot be read (none there, a directory, not readable: :func:`~mapper.engine.reader.input_problem`),
    every such file said at once: a missing second file was found only once the first had been read
    and mapped (``send``: sent), and a run fixed for it found the next. (validate, map, bench, infer, send; each then
    refuses those that are an archive, :func:`check_archives`, once it has checked its outputs)"""
    stdin_once(records)
    problems = [said for said in map(input_problem, records) if said is not None]
    if len(problems) == 1:
        raise InputError(problems[0])
    if problems:
        raise InputError(f"{len(problems)} of the {len(records)} RECORDS cannot be read: {'; '.join(problems)}")


def check_archives(records: list[str], args: argparse.Namespace | None = None) -> None:
    """Refuse, before any is read, RECORDS that are an archive (tar, compressed or not; ZIP: :func:`~mapper.errors.file_archive`),
    standard input too, by its first read peeked (:func:`~mapper.engine.reader.stdin_archive`; after the outputs are
    checked, since that waits for a pipe's first bytes), with the command, ``args``' own, that reads the text of the files
    each holds (:func:`_archives_read`): its headers were read as records (a tar.gz of NDJSON files was "PARTIAL: 2 of 4
    would be stored"; a ZIP piped in, records refused and a note on the "ZIP archive" after them)."""
    archives = {name: found for name in records if (found := stdin_archive() if name == "-" else None if read_once(name) else file_archive(name)) is not None}
    if archives:
        raise ArchiveInput(archives, _archives_read(records, archives, args))


@contextmanager
def archives_told(records: list[str], args: argparse.Namespace) -> Iterator[None]:
    """Reading ``records`` (the command's RECORDS, ``["-"]`` for none) inside: an input the reader refuses as an archive
    (standard input whose first read did not tell, :func:`check_archives`; ``/dev/stdin``, a ``<(...)`` pipe) said as
    check_archives says one, with ``args``' own command line reading the text of the files it holds (the reader's gave
    ``... | mapper ... -``)."""
    try:
        yield
    except ArchiveInput as exc:
        if exc.command is not None:
            raise
        raise ArchiveInput(exc.archives, _archives_read(records, exc.archives, args)) from None


def archives_said(records: list[str], archives: dict[str, tuple[str, str | None]], args: argparse.Namespace) -> str:
    """What :func:`check_archives` says of ``archives`` among ``records``, with ``args``' command line (send's words for
    an input its reader refused as one, as its run stopped: :class:`~mapper.send.InputStopped`)."""
    return str(ArchiveInput(archives, _archives_read(records, archives, args)))


def _archives_read(records: list[str], archives: dict[str, tuple[str, str | None]], args: argparse.Namespace | None) -> str:
    """The command line ``args`` gave, to be pasted, reading the text of the files in each of the ``archives``
    among ``records`` instead (``tar -xOf recs.tar.gz | mapper validate sink.json -``; several, or standard
    input given too: each as ``<(tar -xOf a.tar)``); ``""`` when there is none to give (a .npz file, or no ``args``)."""
    if args is None or any(kind == "npz" for kind, _packed in archives.values()):
        return ""

    def out(name: str) -> str:
        return archive_text(name, *archives[name])

    first = 0 if getattr(args, "sink", None) is None else 1  # (the positionals' first is SINK, but infer's)
    (name, *others) = archives
    if not others and records.count(name) == 1 and ("-" not in records or name == "-"):  # (named twice: '- -' is refused)
        return f"{out(name)} | {_with_positionals(args, lambda k, word: '-' if k >= first and word == name else None)}"
    return _with_positionals(args, lambda k, word: f"<({out(word)})" if k >= first and word in archives else None)


def check_paths(sink: str, records: list[str], outputs: list[tuple[str, str]], in_place: Sequence[str] = ()) -> None:
    """Refuse, before reading, outputs that cannot be written or that would overwrite an input (the sink
    file or one of the RECORDS) or each other. ``in_place``: the flags whose files are opened and written
    in place, not replaced (see :func:`check_output`)."""
    inputs = ["/dev/stdin" if name == "-" else name for name in (sink, *records)]  # read from a file or a pipe: that one
    for i, (flag, path) in enumerate(outputs):
        check_output(path, replaced=flag not in in_place)
        for k, name in enumerate(inputs):
            if same_file(path, name):
                # which input: "also an input" left the user to guess it was the sink definition
                what = "the SINK file (the sink definition)" if k == 0 else "also an input"
                raise OutputError(f"{flag} {shown_name(path)} is {what}: it would be overwritten")
        for flag2, other in outputs[:i]:
            if same_file(path, other):
                raise OutputError(f"{flag2} and {flag} name the same file {shown_name(path)}")
        if flag == "--rejects" and (said := not_ndjson(path)) is not None:  # (-o's format is its extension's: open_writer)
            raise OutputError(
                f"--rejects {shown_name(path)}: the name says {said}, but the refused records are written as NDJSON text, uncompressed: "
                f"name the file {shown_name(ndjson_name(path))}"
            )


# ---------------------------------------------------------------------------------------
# check, explain


class ReaderGone(BrokenPipeError):
    """Standard output's reader went away (``mapper validate ... | head -1``) as a command wrote the
    report of a status already settled (validate's verdict, check's validity): that status
    stands. It was 0 whatever the verdict once the report outgrew the pipe (a rejected batch's
    report, with its examples, does), so the exit status hung on the report's length."""

    def __init__(self, status: int):
        super().__init__(errno.EPIPE, os.strerror(errno.EPIPE))
        self.status = status


def reported(status: int, write: Callable[[], object]) -> int:
    """``status``, once ``write`` has written its report to standard output (flushed: a reader gone
    shows here), or :class:`ReaderGone` carrying it."""
    try:
        write()
        interruption_lost()  # (one a library dropped: the report not let out, as if the interruption came now)
        sys.stdout.flush()
    except BrokenPipeError:
        raise ReaderGone(status) from None
    return status


def cmd_check(args: argparse.Namespace) -> int:
    stdout_on_input([args.sink], "check writes its report")  # (check sink.json > sink.json: the shell emptied it, "sink file is empty")
    if args.format == "json":
        try:
            result = check_cli_sink(args)
        except InputError as exc:  # (standard input closed) said in the JSON asked for, as an unreadable file is, not only on stderr
            result = CheckResult(None, (Problem("error", "", str(exc), "unreadable"),))
        return reported(EXIT_OK if result.valid else EXIT_USAGE, lambda: print(escaped_json(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))))
    result = check_cli_sink(args)
    return reported(EXIT_OK if result.valid and result.sink is not None else EXIT_USAGE, lambda: _print_check(args, result))


def _print_check(args: argparse.Namespace, result: CheckResult) -> None:
    if result.valid and result.sink is not None:
        print(f"ok: {result.sink.summary()}")
        if result.problems:
            print_problems(result.problems, sys.stdout)
        return
    errors = len(result.errors)
    warnings = len(result.warnings)
    print(f"invalid: {shown_name(args.sink)}: {plural(errors, 'error')}, {plural(warnings, 'warning')}")
    print_problems(result.problems, sys.stdout)


def cmd_explain(args: argparse.Namespace) -> int:
    stdout_on_input([args.sink], "explain writes the source")
    result = load_cli_result(args, quiet=True)
    if result is None or result.sink is None:
        return EXIT_USAGE
    sink = result.sink
    compiled = compile_definition(sink)
    print(f"# {compiled.filename}")
    print(f"# {sink.summary()}")
    # the definition's warnings (and notes) as check says them: the source alone showed a column
    # entry's misspelt key, say, as nothing at all (comments, so the output stays Python)
    for p in result.problems:
        first, *rest = p.message.split("\n")
        print(f"# {p.severity}: {escape_controls(p.pointer) or '(document)'}: {escape_controls(first)}")
        for line in rest:
            print(f"#     {escape_controls(line)}")
    if compiled.fast_unavailable:
        print(f"# fast path off: {compiled.fast_unavailable}")
    print(compiled.source, end="")
    return EXIT_OK


# ---------------------------------------------------------------------------------------
# validate, map


class Progress:
    """A progress line on stderr (records, MB, records/s), only on a terminal, after one second."""

    def __init__(self, enabled: bool, stream: IO[str] | None = None):
        stream = sys.stderr if stream is None else stream  # looked up now: sys.stderr may have been replaced
        try:
            self.enabled = enabled and stream.isatty()
        except (ValueError, AttributeError):  # a closed or odd stream: no progress bar
            self.enabled = False
        self.stream = stream
        self.start = time.monotonic()
        self.last = 0.0
        self.shown = False
        self.bytes = 0

    def due(self) -> float | None:
        """Seconds since the start when a new line is due (after one second, every 0.2 s), else None."""
        if not self.enabled:
            return None
        now = time.monotonic()
        elapsed = now - self.start
        if elapsed < 1.0 or now - self.last < 0.2:
            return None
        self.last = now
        return elapsed

    def show(self, text: str) -> None:
        self.stream.write(f"\r{text} ")
        self.stream.flush()
        self.shown = True

    def update(self, records: int, nbytes: int) -> None:
        elapsed = self.due()
        if elapsed is not None:
            self.show(f"{plural(records, 'record')}  {nbytes / 1e6:,.1f} MB  {records / elapsed:,.0f} records/s")

    def clear(self) -> None:
        """Take the progress line off the terminal, for a line written in its place (the next update draws it again)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

    def close(self) -> None:
        self.clear()


class _UsageExit(Exception):
    pass


def one_process_reason(names: list[str], options: MapOptions) -> str | None:
    """Why ``--workers`` maps these inputs in one process (said on stderr), or None when it
    cuts the input into ranges, one per worker (validate, map and bench alike)."""
    if len(names) > 1:
        return "several inputs"
    if names[0] == "-":  # (redirected from a regular file too: read from where the descriptor stands)
        return "standard input is read as it comes, not cut into ranges (name the file instead of -)"
    if not Path(names[0]).is_file():
        return "the input is not a regular file, so it cannot be cut into ranges"
    if not splittable(Path(names[0]), options):
        if compression := file_compression(names[0]):  # (NDJSON, as like as not: "not NDJSON" said it was not)
            return f"the input is {compression}-compressed, read from its start only (not cut at line ends)"
        return "the input is not NDJSON (a JSON document, a request body or a compressed file cannot be cut at line ends)"
    if not can_fork():
        return "this platform cannot fork worker processes"
    return None


def _inputs(args: argparse.Namespace) -> list[str]:
    records = list(getattr(args, "records", None) or [])
    return records or ["-"]


def ignored_warnings(args: argparse.Namespace) -> frozenset[str]:
    """``--ignore-warning KIND`` (repeatable, or comma-separated; ``all`` for every kind), checked."""
    kinds: set[str] = set()
    for text in getattr(args, "ignore_warning", None) or ():
        if not text.replace(",", "").strip():  # (--ignore-warning "$UNSET" silenced nothing, without a word)
            raise OptionError(f"--ignore-warning {text!r} names no warning kind; the kinds are {', '.join(LOSSY_KINDS)}, or all")
        for kind in (k.strip() for k in text.split(",")):
            if kind == "all":
                kinds.update(LOSSY_KINDS)
            elif kind in LOSSY_KINDS:
                kinds.add(kind)
            elif kind:
                raise OptionError(
                    f"--ignore-warning: unknown warning kind {kind!r}{suggest(kind, list(LOSSY_KINDS))}; the kinds are {', '.join(LOSSY_KINDS)}, or all"
                )
    return frozenset(kinds)


def stdin_note(inputs: list[str], quiet: bool) -> None:
    """Say so when the records are about to be read from a terminal (it looks like a hang otherwise)."""
    if quiet or "-" not in inputs:
        return
    try:
        tty = sys.stdin.isatty()
    except (ValueError, AttributeError):  # a closed or odd stdin
        tty = False
    if tty:
        print("mapper: reading records from standard input (the terminal); end with Ctrl-D, or give RECORDS files instead", file=sys.stderr)


class Run:
    """What :func:`stream_batch` gives back: the batch (None when discarded or not built), the report and the sink."""

    def __init__(self, batch: Batch | None, report: Report, sink: Sink):
        self.batch, self.report, self.sink = batch, report, sink

    def column_paths(self) -> dict[str, PathSpec]:
        """Each column's path (shown as the definition wrote it, ``data.icaoId``), for the text report."""
        return {c.name: c.path for c in self.sink.columns}


#: ``map`` hands rows to its writer every this many records (its memory is about a part's).
DRAIN_RECORDS = ROW_GROUP  # rows written as they are mapped, a Parquet row group at a time


def stream_batch(args: argparse.Namespace, *, output: bool, writer: BatchWriter | None = None) -> Run:
    """Run the engine over every input; return the batch, the report and the sink.

    With a ``writer`` (``map``), rows go to it part by part as they are mapped and the
    batch returned is None: the writer is closed if the batch is accepted, aborted
    (nothing written under the output's name) if not.
    """
    with _unwritten_if_failing(args.rejects):  # (a FIFO for the refused records, not opened yet: its reader given its end of file)
        compiled, inputs, options, parallel = _prepare_run(args, output)
    # The refused records' file is kept only with the rows (renamed into place with them, _write_all): a run
    # that fails (exit 2) leaves both outputs as they were, not the new rows beside the old letters.
    rejects = RejectsWriter(args.rejects) if args.rejects else None
    ok = False
    try:
        with archives_told(inputs, args):
            if parallel:
                run = _parallel_run(compiled, Path(inputs[0]), args, options, output, writer, rejects)
            else:
                run = _one_process_run(compiled, inputs, args, options, output, writer, rejects)
        ok = True
        return run
    except ReaderGone:  # (the rows' reader went away: the verdict stands, and so do its refused records)
        ok = True
        raise
    finally:
        if writer is not None and not ok:
            writer.abort()
        if rejects is not None:
            rejects.close(ok)


def _prepare_run(args: argparse.Namespace, output: bool) -> tuple[Any, list[str], MapOptions, bool]:
    """What :func:`stream_batch` checks and loads before any record is read: the outputs (each
    writable, none an input), the sink compiled, the inputs, the options, and whether the run is
    cut into ranges (``--workers N``)."""
    options = map_options(args)
    inputs = _inputs(args)
    check_inputs(inputs)
    outputs = [("-o", args.output)] if getattr(args, "output", None) else []
    if args.rejects == "-":  # not stdout: that carries the report or the rows
        raise OptionError("--rejects takes a file name, not '-' (standard output carries the report or the rows); /dev/stderr works")
    if args.rejects and outputs == [("-o", "-")] and names_stdout(args.rejects):  # (mixed into the rows, or the file they go to replaced)
        raise OptionError(f"--rejects {shown_name(args.rejects)} is standard output, which -o - writes the rows to; name another file (/dev/stderr works)")
    if args.rejects and not output and replaces_stdout(args.rejects):  # (validate's report goes to standard output)
        raise OptionError(
            f"--rejects {shown_name(args.rejects)} is the file standard output is redirected to: writing it would replace the report; name another file (--rejects /dev/stdout writes them before the report, through standard output, as the records are read)"
        )
    if args.rejects:
        outputs.append(("--rejects", args.rejects))
    if outputs[:1] == [("-o", "-")] or not output:  # (the shell emptied it, > FILE, before the run: it read no records and said so, exit 0)
        stdout_on_input([args.sink, *inputs], "-o - writes the rows" if output else "validate writes its report", "them" if output else "it")
    check_paths(args.sink, inputs, outputs)
    sink = load_cli_sink(args, quiet=args.quiet)
    if sink is None:
        raise _UsageExit()
    check_archives(inputs, args)  # (once the outputs and the sink are checked: standard input's first read is waited for)
    compiled = compile_definition(sink)
    parallel = False
    if options.workers > 1:
        why = one_process_reason(inputs, options)
        parallel = why is None
        if why is not None and not args.quiet:
            print(f"mapper: --workers {options.workers}: {why}: mapping in one process", file=sys.stderr)
    return compiled, inputs, options, parallel


def _parallel_run(
    compiled: Any,
    path: Path,
    args: argparse.Namespace,
    options: MapOptions,
    output: bool,
    writer: BatchWriter | None,
    rejects: RejectsWriter | None,
) -> Run:
    """:func:`stream_batch` with ``--workers N`` on one file (see :func:`_parallel_parts`).
    The workers end while the parts are written: they are waited for after."""
    ended: list[Any] = []
    try:
        parts, report = _parallel_parts(compiled, path, args, options, output, rejects, to_writer=writer is not None, ended=ended)
        since = len(report.notes)
        explain = unexplained(report, options)
        paths = report.records and options.records_path is None
        if explain or paths:
            with _opened(str(path)) as fh:  # (a regular file: read again from its start, once for both notes)
                head = read_head(fh, HEAD_BYTES if explain else MISTYPED_HEAD)
            if explain:
                explain_failures(report, head, path)
            if paths:
                _note_mistyped(report, compiled.sink, head)
        note_unmatched(report, compiled.sink, [str(path)], options, since)
        if writer is not None:  # the processes' parts one after the other, not joined first
            _write_all(writer, parts, report, rejects)
            keep_to_exit(parts)  # (the command line's: freed by its end, not string by string)
            return Run(None, report, compiled.sink)
        return Run(concat_batches(parts) if parts is not None else None, report, compiled.sink)
    finally:
        reap(ended)


def _one_process_run(
    compiled: Any,
    inputs: list[str],
    args: argparse.Namespace,
    options: MapOptions,
    output: bool,
    writer: BatchWriter | None,
    rejects: RejectsWriter | None,
) -> Run:
    """:func:`stream_batch` in this process, reading the inputs one after the other."""
    stdin_note(inputs, args.quiet)
    engine = Engine(compiled, options, output=output, keep_rejected=False, keep_failed=getattr(args, "report", None) == "endpoint", on_reject=rejects)
    progress = Progress(not args.quiet)
    nbytes = 0
    first_lines = FirstLines(options.records_path is None)  # the first input's, to explain its records if they fail
    empty: list[str] = []  # of several inputs, those that hold no records (noted: the verdict covers them all)
    twice = inputs_twice(inputs)  # (before reading: a file named twice is read twice, its records counted twice)
    firsts: list[tuple[str, int, int, bytes]] = []  # of several inputs, each one's records, failed ones and first bytes (_note_wide)

    def noted(report: Report) -> None:
        """The run's notes on its inputs, once all are read (written or not)."""
        _note_empty(report, empty)
        report.notes.extend(twice)
        since = len(report.notes)
        _note_wide(report, firsts)
        if unexplained(report, options):
            explain_first(report, first_lines.head, inputs)
        _note_mistyped(report, compiled.sink, first_lines.head)
        note_unmatched(report, compiled.sink, inputs, options, since, first_lines.head)

    try:
        for name in inputs:
            engine.rb.source = name if len(inputs) > 1 else None
            engine.rb.input_name = name
            before, failed_before = engine.n, engine.rb.report.failed_records
            first = None
            with _opened(name) as fh:
                for unit in units_for(fh, options, chunk_size_for(len(compiled.stored_index))):
                    if first is None and len(inputs) > 1 and isinstance(unit, NdjsonChunk):
                        first = bytes(unit.data[:256])
                    first_lines.see(unit)
                    engine.feed(unit)
                    nbytes += _unit_size(unit)
                    progress.update(engine.n, nbytes)
                    if writer is not None and engine.n - engine.drained >= DRAIN_RECORDS:
                        writer.write(engine.drain())
            first_lines.keep = False  # (the first input's lines only)
            if engine.n == before and len(inputs) > 1:
                empty.append(name)
            if first is not None:
                firsts.append((name, engine.n - before, engine.rb.report.failed_records - failed_before, first))
        if writer is not None:
            part, report = engine.finish_stream()
            noted(report)
            _write_all(writer, [part] if report.accepted else None, report, rejects)
            return Run(None, report, compiled.sink)
    finally:
        progress.close()
    batch, report = engine.finish()
    noted(report)
    return Run(batch, report, compiled.sink)


def explain_first(report: Report, head: bytes | bytearray | memoryview, inputs: list[str]) -> None:
    """The note on why records failed read from the first input's first lines (``head``:
    :func:`~mapper.engine.reader.explain_failures`), its commands naming that file; of several
    inputs, the note names it first, as send's and infer's do (``a.ndjson: each line holds ...``):
    its "FILE" and "the first 2 lines" said of none, or of all of them. (validate, map, bench)"""
    before = len(report.notes)
    explain_failures(report, head, inputs[0])
    if len(inputs) > 1 and len(report.notes) > before:
        report.notes[-1] = f"{'standard input' if inputs[0] == '-' else shown_name(inputs[0])}: {report.notes[-1]}"


#: The most of an input's start :func:`_note_mistyped` reads (again, after a run of several processes).
MISTYPED_HEAD = 1 << 16


def _note_mistyped(report: Report, sink: Sink, head: bytes | bytearray | memoryview) -> None:
    """Note each column whose path the input's first NDJSON records (``head``) do not hold, when
    they hold one a near miss away (:func:`~mapper.engine.reader.mistyped_paths_notes`)."""
    if report.records and head:
        columns = [(c.name, c.path.keys) for c in sink.columns if c.path.keys]
        report.notes.extend(
            mistyped_paths_notes(head_lines(memoryview(head)[:MISTYPED_HEAD]), report.records, columns)
        )  # (a line cut there is no record: left out)


#: How many records :func:`note_unmatched` reads again for the keys they hold (and how many units it reads for them).
UNMATCHED_SAMPLE, UNMATCHED_UNITS = 100, 16
#: How many of those keys the note names.
UNMATCHED_KEYS = 8


def unmatched_columns(report: Report, sink: Sink) -> int:
    """How many columns (the identity's left out) the run found in no record: every one of them
    when every record read as an object missed every one (``missing`` counted per column, as
    the report counts it), else 0. Under ``allow_missing_fields: true`` a missing value is no
    error and nothing is counted: 0."""
    whole = sum(n for (column, _code), n in report.error_counts.items() if column is None)  # (records refused whole: no object to hold a path)
    objects = report.records - whole
    columns = _besides_identity(sink)
    if objects <= 0 or not columns:
        return 0
    return len(columns) if all(report.error_counts.get((c.name, "missing"), 0) == objects for c in columns) else 0


def _besides_identity(sink: Sink) -> list[Column]:
    """The sink's columns that are not its identity's (``id_field``, ``primary_key_fields``)."""
    ids = {c.name for c in sink.identity_columns}
    return [c for c in sink.columns if c.name not in ids]


def _sample_records(inputs: list[str], options: MapOptions, head: bytes | bytearray | memoryview, data: bytes | None = None) -> list[Any]:
    """Up to :data:`UNMATCHED_SAMPLE` of the first input's records, decoded: from ``head`` (its
    first NDJSON lines, kept as it was read: its first unit, 64 KiB, which holds fewer of long
    records, 14 of twitter's 100) when it holds them all, else read again from its start (a file,
    not a stream read once: the head's alone; ``data``: its text, in memory, bench's); records that
    do not decode are left out."""
    texts: list[Any] = list(head_lines(memoryview(head), UNMATCHED_SAMPLE)) if head else []
    # (a file read again only if regular: a FIFO named as a path, opened again, waits for a writer that is gone)
    if len(texts) < UNMATCHED_SAMPLE and (data is not None or (not read_once(inputs[0]) and os.path.isfile(inputs[0]))):
        again: list[Any] = []
        try:
            with nullcontext(data) if data is not None else _opened(inputs[0]) as fh:
                for n, unit in enumerate(units_for(fh, options, unpack=data is None)):
                    if isinstance(unit, NdjsonChunk):
                        again += head_lines(unit.data, UNMATCHED_SAMPLE - len(again))
                    elif isinstance(unit, RawRecords):
                        again += unit.raws[: UNMATCHED_SAMPLE - len(again)]
                    elif isinstance(unit, ObjectRecords):  # pragma: no cover - a command reads no Python objects
                        again += unit.objs[: UNMATCHED_SAMPLE - len(again)]
                    if len(again) >= UNMATCHED_SAMPLE or n >= UNMATCHED_UNITS:
                        break
        except (OSError, MapperError):  # (gone or changed since it was read: the head's, if any)
            again = []
        if len(again) > len(texts):
            texts = again
    records = []
    for text in texts:
        try:
            records.append(json.loads(bytes(text)) if isinstance(text, (bytes, bytearray, memoryview)) else text)
        except (ValueError, RecursionError):
            continue
    return records


def unheld_columns(sample: list[Any], sink: Sink) -> int:
    """How many columns (the identity's left out) none of the records ``sample`` that are objects holds the
    path of: every one of them when no such record holds any, else 0 (:func:`unmatched_columns` of a run
    under ``allow_missing_fields: true``, which counts no missing value: told from the first records). A
    key holding null holds its path; an expression holds it when it gives a value (its error: held, unsaid)."""
    objects = [r for r in sample if isinstance(r, dict)]
    columns = _besides_identity(sink)
    if not objects or not columns:
        return 0
    for column in columns:
        keys, found = column.path.keys, None
        if keys is None:
            try:
                search = column.path.compiled().search
                found = any(search(r) is not None for r in objects)
            except EVALUATION_ERRORS:
                return 0
        else:
            found = any(_holds(r, keys) for r in objects)
        if found:
            return 0
    return len(columns)


def _holds(record: dict[str, Any], keys: tuple[str, ...]) -> bool:
    """Whether a decoded record holds the path ``keys``: its last key's value null or not, or null on the way
    (a path under an object that is null is null there, not missing, as the endpoint reads it)."""
    value: Any = record
    for key in keys:
        if value is None:
            return True
        if not isinstance(value, dict) or key not in value:
            return False
        value = value[key]
    return True


def unmatched_note(columns: int, sample: list[Any], sink: Sink, inputs: list[str], options: MapOptions, records: int | None = None, *, total: int) -> str:
    """The note on a run whose records hold none of the sink's paths (``columns``: how many,
    :func:`unmatched_columns`): the top-level keys the records (``sample``: the first ones) hold that
    no column's path starts with, the most held first, and the ``mapper infer`` command that drafts a
    sink from them; ``""`` when the records hold no keys (nothing to say the sink misses). ``records``:
    the run's count, when the sample alone told that no record holds a path (:func:`unheld_columns`,
    under ``allow_missing_fields: true``, where every record is stored, those columns null); ``total``:
    the run's count, which the keys' counts are said against (of a stream's first unit, 14 of 100
    records, "the first 14 records hold", not "the records": "(in 14)" read as 14 of them all)."""
    held: dict[str, int] = {}
    for record in sample:
        if isinstance(record, dict):
            for key in record:
                if isinstance(key, str):
                    held[key] = held.get(key, 0) + 1
    if not held:
        return ""
    read = {c.path.keys[0] for c in sink.columns if c.path.keys}
    unread = sorted((k for k in held if k not in read), key=lambda k: -held[k])  # (stable: ties in the records' order)
    said = ", ".join(f"{escape_controls(json.dumps(k, ensure_ascii=False))} (in {held[k]:,})" for k in unread[:UNMATCHED_KEYS])
    more = f" and {len(unread) - UNMATCHED_KEYS:,} more" if len(unread) > UNMATCHED_KEYS else ""
    whole = len(sample) < UNMATCHED_SAMPLE and len(sample) >= total
    looked = "the records" if whole else f"the first {len(sample):,} records"
    keys = f"; {looked} hold keys no column reads, the most held first: {said}{more}" if unread else ""
    names = [n for n in inputs if not read_once(n)] if len(inputs) > 1 else inputs
    given = "... | mapper infer -" if len(names) == 1 and read_once(names[0]) else "mapper infer " + " ".join(shell_file(n) for n in names or ["FILE"])
    if options.input_format != "auto":
        given += " " + option_text("--input-format", options.input_format)
    if options.records_path is not None:
        given += " " + option_text("--records-path", to_dot_notation(options.records_path))
    besides = " besides the identity" if sink.identity_columns else ""
    told = records is not None and len(sample) < records  # (the first records alone were read for it)
    where = "in each of them" if told else "in every record"
    if columns == 1:
        name = _besides_identity(sink)[0].name
        every = f"its one column{besides}, {escape_controls(json.dumps(name, ensure_ascii=False))}, is missing {where}"
    else:
        every = f"each of its {columns:,} columns{besides} is missing {where}"
    if records is not None:  # (allow_missing_fields: true: nothing else says so, and the run may well pass)
        every += f"; under allow_missing_fields true such records are stored with {'it' if columns == 1 else 'those columns'} null"
    none = f"none of the first {len(sample):,} records holds" if told else "no record holds"
    return (
        f"{none} the path of any column the sink maps ({every}): the sink and the records may not belong together{keys}"
        f" (`{given} > {new_file_beside(None, '.json', stem='sink')}` drafts a sink from the records)"
    )


def note_unmatched(
    report: Report, sink: Sink, inputs: list[str], options: MapOptions, since: int, head: bytes | bytearray | memoryview = b"", data: bytes | None = None
) -> None:
    """The note of :func:`unmatched_note` when the run found none of the sink's paths in any
    record (:func:`unmatched_columns`, from what the run counted); only then are records read
    again, a few (:func:`_sample_records`). None when the notes made after the first ``since``
    said why already (each record a document holding the records, UTF-16 text, a path mistyped:
    the sink may well fit records it cannot read, and a draft of those records would not)."""
    if len(report.notes) != since or not report.records or any(ARRAYS_AT in n for n in report.notes):
        return  # (the records a document holds elsewhere: the reader's note names where)
    columns = unmatched_columns(report, sink)
    if columns and (note := unmatched_note(columns, _sample_records(inputs, options, head, data), sink, inputs, options, total=report.records)):
        report.notes.append(note)
    elif sink.allow_missing_fields and (head or _rereadable(inputs[0], data)):  # (no missing value counted: the first records tell)
        sample = _sample_records(inputs, options, head, data)
        columns = unheld_columns(sample, sink)
        if columns and (note := unmatched_note(columns, sample, sink, inputs, options, report.records, total=report.records)):
            report.notes.append(note)


#: The largest input, not NDJSON, :func:`note_unmatched` reads again for its first records under
#: ``allow_missing_fields: true`` (a document is decoded whole to give its first records: 1.3 s for 50 MB,
#: on every run that passes; NDJSON's first lines are read as the run reads them, kept).
REREAD_BYTES = 4 << 20


def _rereadable(name: str, data: bytes | None = None) -> bool:
    """Whether :func:`_sample_records` may read the input ``name`` (its text ``data``, in memory) again, each run
    under ``allow_missing_fields: true`` (no run's count says its records miss the sink's paths): a regular file
    of NDJSON, or of at most :data:`REREAD_BYTES`."""
    if data is not None:
        return len(data) <= REREAD_BYTES or format_of(data[:HEAD_BYTES]) == "ndjson"
    if read_once(name):
        return False
    try:
        if os.path.getsize(name) <= REREAD_BYTES:
            return os.path.isfile(name)
        with open(name, "rb") as fh:
            return format_of(fh.read(HEAD_BYTES)) == "ndjson"
    except OSError:
        return False


def _note_wide(report: Report, firsts: list[tuple[str, int, int, bytes]]) -> None:
    """Of several inputs, the note naming each one in UTF-16 or UTF-32 text whose every record
    failed (``firsts``: name, its records, those that failed, its first bytes), as spark-validate
    names it; the first input's head alone said "the input is UTF-16 text" of them all, another's nothing."""
    for name, records, failed, first in firsts:
        if records and failed == records and (note := encoding_note(first, shown_name(name), name) or binary_note(first, shown_name(name), name)):
            report.notes.append(note)


def inputs_twice(inputs: list[str], done: str = "read and mapped") -> list[str]:
    """The notes naming each file given more than once among the inputs, by the same name or by
    two (a link, ``./a.ndjson``): its records are read and mapped each time (not an error: it may
    be meant), where they went unseen in the total. Regular files only (a pipe is read once).
    ``done``: what the command does with each record (``read and sent``: ``send``'s notes, infer's too)."""
    places: dict[tuple[int, int], list[int]] = {}
    for i, name in enumerate(inputs):
        try:
            st = os.stat("/dev/stdin" if name == "-" else name)
        except OSError:  # (said when it is opened)
            continue
        if stat.S_ISREG(st.st_mode):
            places.setdefault((st.st_dev, st.st_ino), []).append(i)
    notes = []
    for at in places.values():
        if len(at) > 1:
            times = "twice" if len(at) == 2 else f"{len(at)} times"
            names = ["standard input" if inputs[i] == "-" else shown_name(inputs[i]) for i in at]
            if len(set(names)) == 1:
                said = f"{names[0]} is given {times} (inputs {and_list([str(i + 1) for i in at])} of {len(inputs)})"
            else:
                said = f"{and_list([f'{n} (input {i + 1})' for n, i in zip(names, at)])} are the same file"
            notes.append(f"{said}: its records are {done} {times}")
    return notes


def _note_empty(report: Report, empty: list[str]) -> None:
    """The note naming the inputs, of several, that held no records (a producer's file left empty
    goes unseen in a total otherwise); none when no input held any: the verdict line says so."""
    if empty and report.records:
        report.notes.append(f"{_names(empty)} {'holds' if len(empty) == 1 else 'hold'} no records (empty, blank lines only, or an empty array)")


def _names(names: list[str]) -> str:
    """``a.ndjson``, ``a.ndjson and b.ndjson``, ``a.ndjson, b.ndjson and 3 more``."""
    shown = [shown_name(n) for n in (names[:3] if len(names) <= 3 else names[:2])]
    rest = [f"{len(names) - 2} more"] if len(names) > 3 else []
    return and_list(shown + rest)


def no_records_held(inputs: int, null_at: str | None = None) -> str:
    """What the input (or ``inputs`` inputs) that held no records is, in validate's words, which
    ``infer`` and ``bench`` say too: ``the input holds none (empty, blank lines only, or an empty array)``;
    when documents held null at the records path ``null_at`` (as written: a request body's
    ``{"records": null}``, :attr:`Report.null_records_at`), that: ``the input holds none (null at `records`, read as an empty array)``."""
    held = "the input holds none" if inputs == 1 else f"none of the {inputs:,} inputs holds any"
    if null_at is None:
        return f"{held} (empty, blank lines only, or an empty array)"
    if inputs == 1:
        return f"{held} (null at `{null_at}`, read as an empty array)"
    return f"{held} (empty, blank lines only, an empty array, or null at `{null_at}`)"


def verdict(report: Report, inputs: int = 1) -> str:
    """:meth:`Report.summary`, and for no records at all, that the input held none (said plainly:
    the verdict stays ``accepted``, exit 0, as the endpoint answers a request of no records; a
    pipeline that must have records tests ``records`` in ``--report json``)."""
    text = report.summary()
    if report.records == 0 and report.verdict == "accepted":
        text += f": {no_records_held(inputs, report.null_records_at)}, so nothing would be stored"
    return text


def _write_all(writer: BatchWriter, last: list[Batch] | None, report: Report, rejects: RejectsWriter | None = None) -> None:
    """The last parts written and the output kept; None: the batch is discarded, the output dropped
    (a write that fails drops it too: :meth:`BatchWriter.write`). ``rejects`` is flushed before
    the rows are renamed into place: a write of it that fails (a full disk) fails the run with
    the rows not kept; then both are renamed, SIGINT and SIGTERM held till both are (:func:`signals_held`),
    a rename that fails taking the other back (:func:`keep_together`). Rows to standard output or a FIFO whose reader went away (``-o - |
    head``): :class:`ReaderGone`, with the status the report settled (1 when records were
    refused: it was 0)."""
    if last is None:
        writer.abort()
        return
    try:
        for part in last:
            writer.write(part)
        if rejects is not None:
            rejects.flush()
        writer.finish()
        # both renamed into place at once: a Ctrl-C or SIGTERM between the renames left the new
        # rows beside the refused records of the run before (or none); one that comes now is
        # taken once both are in place
        with signals_held() if rejects is not None else nullcontext():
            if rejects is None:
                writer.close()
            else:  # (a rename that fails takes the other back: keep_together)
                keep_together(writer, rejects)
    except BrokenPipeError:
        raise ReaderGone(EXIT_OK if report.error_count == 0 else EXIT_REJECTED) from None


def _parallel_parts(
    compiled: Any,
    path: Path,
    args: argparse.Namespace,
    options: MapOptions,
    output: bool,
    rejects: RejectsWriter | None,
    to_writer: bool = False,
    ended: list[Any] | None = None,
) -> tuple[list[Batch] | None, Report]:
    """``--workers N`` on one file: every process reads the file (see :mod:`mapper.engine.parallel`).

    As in one process, refused records are not kept: ``rejects`` gets them in record
    order as the parts finish (the workers spool theirs), and memory stays bounded
    however many are refused.
    """
    keep = Keep(rejected=False, failed=getattr(args, "report", None) == "endpoint", on_reject=rejects)
    with gc_paused():
        return run_parallel_parts(compiled, path, options, output=output, keep=keep, ended=ended, to_writer=output and to_writer, cli=True)


@contextmanager
def _opened(name: str) -> Iterator[Any]:
    fh = open_input(name)
    try:
        yield fh
    finally:
        if fh is not getattr(sys.stdin, "buffer", None):  # (a text-only stdin, a StringIO, has none)
            fh.close()


def _unit_size(unit: Any) -> int:
    if isinstance(unit, NdjsonChunk):
        return len(unit.data)
    if isinstance(unit, RawRecords):
        return sum(len(r) for r in unit.raws)
    if isinstance(unit, OversizedRecord):
        return unit.line_size or unit.size
    assert isinstance(unit, (ObjectRecords, BrokenDocument, Notice))
    return len(unit.raw) if isinstance(unit, BrokenDocument) else 0


def _report_style(args: argparse.Namespace) -> dict[str, Any]:
    """How the text report is laid out: ``--group``, ``--examples``, ``-q``."""
    examples = getattr(args, "examples", None)
    group = getattr(args, "group", None)
    report = getattr(args, "report", "text")
    if report != "text" and (group is not None or examples is not None):
        # (they were ignored: the JSON and the endpoint's answer hold every error kept, each with its record and column)
        given = and_list([option_text(flag, str(value)) for flag, value in (("--group", group), ("--examples", examples)) if value is not None])
        raise OptionError(
            f"{given} {'does' if ' and ' not in given else 'do'} not go with --report {report}: "
            f"{'it lays' if ' and ' not in given else 'they lay'} out the text report only, and --report {report} lists every error kept, "
            f"each with its record; drop {'it' if ' and ' not in given else 'them'}, or give --report text"
        )
    if examples is not None and examples < 0:
        raise OptionError(f"--examples takes a count >= 0, not {examples}")
    return {"group": group or "column", "examples": examples, "inputs": len(_inputs(args))}


@contextmanager
def _unwritten_if_failing(*paths: str | None) -> Iterator[None]:
    """Outputs not opened yet (``-o``, ``--rejects``) when what runs first fails (an option, the
    output's format): a FIFO's reader is given its end of file, not left waiting for ever."""
    try:
        yield
    except BaseException:
        for path in paths:
            if path:
                end_unwritten(path)
        raise


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        with _unwritten_if_failing(args.rejects):
            style = _report_style(args)
        result = stream_batch(args, output=False)
    except _UsageExit:
        return EXIT_USAGE
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return reported(EXIT_OK if result.report.error_count == 0 else EXIT_REJECTED, lambda: _print_validate(args, result, style))


def _print_validate(args: argparse.Namespace, result: Run, style: dict[str, Any]) -> None:
    report = result.report
    if args.report == "json":
        sys.stdout.write(escaped_json(json.dumps(report.to_dict(), ensure_ascii=False)) + "\n")
    elif args.report == "endpoint":
        report.write_endpoint_answer(sys.stdout)  # (as it goes: 10 million records' answer held whole was 600 MB)
    else:
        print_report(report, sys.stdout, columns=result.column_paths(), brief=args.quiet, **style)


def _stdout_by_name(args: argparse.Namespace, out: str) -> str:
    """Why ``-o OUT`` naming standard output without an extension (``/dev/stdout``, ``/dev/fd/1``) is refused, with the
    command that writes there: its name tells no format, and ``-o -`` is map's NDJSON on standard output (``bench
    --json /dev/stdout`` writes its one format there; map's .npz, .parquet and .arrow are written to files)."""
    given = list(getattr(args, "argv", None) or ())
    words, changed = [], False
    for i, word in enumerate(given):
        if word == out and i and given[i - 1] in ("-o", "--output"):
            words.append("-")
        elif word in (f"-o{out}", f"--output={out}"):
            words.append(f"{word[: -len(out)]}-")
        else:
            words.append(shown_name(shlex.quote(word)))
            continue
        changed = True
    command = " ".join(words) if changed else "mapper map SINK RECORDS -o -"  # (main(argv) called without the words: the form)
    return (
        f"cannot tell the output format of {shown_name(out)}, standard output by a name: NDJSON rows on standard output are -o -"
        f" ({command}); .npz, .parquet and .arrow are written to a file (-o out.npz)"
    )


def cmd_map(args: argparse.Namespace) -> int:
    out = args.output
    try:
        with _unwritten_if_failing(out, args.rejects):
            style = _report_style(args)
            try:
                writer = open_writer(out)  # the format (and pyarrow, for .parquet/.arrow) checked before anything is read
            except FormatUnknown:
                if names_stdout(out):  # (-o /dev/stdout: no format by its name)
                    raise OutputError(_stdout_by_name(args, out)) from None
                raise
        try:
            result = stream_batch(args, output=True, writer=writer)
        except BaseException:  # (a sink refused, an option, Ctrl-C before any record: a FIFO's reader is given its end of file, not left waiting)
            writer.abort()
            raise
    except _UsageExit:
        return EXIT_USAGE
    except MapperError as exc:
        print(f"mapper: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report = result.report
    target = "stdout" if out == "-" else shown_name(out)
    if not report.accepted:
        if not args.quiet:  # (exit 1, as a partial batch's whose rows are written: said, an earlier run's file not taken for this one's)
            print_report(report, sys.stderr, columns=result.column_paths(), **style)
            left = f"; {target} is left as it was" if out != "-" and os.path.isfile(out) else ""
            print(f"mapper: the batch is discarded: nothing written to {target}{left}", file=sys.stderr)
        return EXIT_REJECTED
    if not args.quiet:
        if report.failed_records:
            print_report(report, sys.stderr, columns=result.column_paths(), **style)
        else:  # (an input of several that held no records)
            for note in report.notes:
                print(f"mapper: note: {note}", file=sys.stderr)
        print(f"mapper: {verdict(report, style['inputs'])}; {plural(writer.rows, 'row')} written to {target}", file=sys.stderr)
    return EXIT_OK if report.error_count == 0 else EXIT_REJECTED


# ---------------------------------------------------------------------------------------
# The human report

#: Examples per group (``--group column``) and records shown (``--group record``) by default.
EXAMPLES = {"column": 3, "record": 10}


def print_report(
    report: Report,
    out: IO[str],
    *,
    columns: Mapping[str, PathSpec] | None = None,
    group: str = "column",
    examples: int | None = None,
    brief: bool = False,
    inputs: int = 1,
) -> None:
    """The text report: the verdict line, then the errors and warnings with examples.

    ``columns`` maps each column to its path, so that an entry names both the sink's
    column and where the sender put the value (``lat (path data.lat)``). ``group``:
    ``column`` groups by (column, code) with counts, largest first; ``record`` lists
    each record's errors and warnings together, in record order. ``examples``: examples
    per group, or records listed (defaults: :data:`EXAMPLES`). ``brief``: the verdict
    line only (``-q``). ``inputs``: how many inputs were read (for the words of no records: :func:`verdict`).
    """
    head, _, rest = verdict(report, inputs).partition(": ")
    print(f"{head.upper()}: {rest}", file=out)
    if brief:
        return
    columns = columns or {}
    n = EXAMPLES[group] if examples is None else examples
    if group == "record":
        _print_records(report, out, columns, n)
    else:
        _print_groups("errors:", report.errors_by_column(), out, n, columns)
        _print_groups("warnings (values the endpoint stores differently from how they were sent):", report.warnings_by_column(), out, n, columns)
    if report.total_errors > len(report.errors):
        print(f"(counts cover all {plural(report.total_errors, 'error')}; the first {len(report.errors):,} are kept in full)", file=out)
    if report.total_warnings > len(report.warnings):  # (a group past them shows no example: said why)
        print(f"(counts cover all {plural(report.total_warnings, 'warning')}; the first {len(report.warnings):,} are kept in full)", file=out)
    if report.silenced_warnings:
        silenced = ", ".join(f"{kind} {count:,}" for kind, count in sorted(report.silenced_warnings.items()))
        print(f"silenced warnings (--ignore-warning): {silenced}", file=out)
    for note in report.notes:
        print(f"note: {note}", file=out)


def _label(column: str | None, columns: Mapping[str, PathSpec]) -> str:
    """``lat (path data.lat)``: the sink's column and the path in the record; ``(record)`` for the record as a whole."""
    if column is None:
        return "(record)"
    path = columns.get(column)
    # (controls as escapes: a name the definition gives may hold an ESC or a newline, and check only
    # warns of it; cut as long values are: a JMESPath path may be kilobytes; the JSON report keeps it whole)
    name = escape_controls(column)
    return f"{name} (path {escape_controls(preview(str(path), 100))})" if path is not None else name


def record_place(record: int, file: str | os.PathLike[Any] | None, line: int | None) -> str:
    """``record 4, line 2``, or ``record 4, b.ndjson line 2`` when the run read several files (a
    ``file`` named), ``record 4, b.ndjson`` where the line is not known: a record's place as
    validate says it, and infer (its notes and bad records) alike."""
    return f"record {record}{_place(file, line)}"


def _place(file: str | os.PathLike[Any] | None, line: int | None) -> str:
    if line is None:
        return f", {shown_name(file)}" if file else ""
    return f", {shown_name(file)} line {line}" if file else f", line {line}"


def _elsewhere(item: RecordError | ValueWarning, columns: Mapping[str, PathSpec]) -> str:
    """`` at `$.data` `` where the entry's path is not its column's own (a value on the way that is not an object)."""
    if not item.path or item.column is None:
        return ""
    own = columns.get(item.column)
    return "" if own is not None and own.jsonpath() == item.path else f" at `{item.path}`"


def _where(item: RecordError | ValueWarning, columns: Mapping[str, PathSpec]) -> str:
    """``record 4, line 2`` (``record 4, b.ndjson line 2`` with several files), and the path where it is not the column's own."""
    return f"{record_place(item.record, item.file, item.line)}{_elsewhere(item, columns)}"


def _print_groups(title: str, groups: list[tuple[str | None, str, int, list[Any]]], out: IO[str], examples: int, columns: Mapping[str, PathSpec]) -> None:
    """Groups of (column, code or kind, count, first entries), each with a few examples."""
    if not groups:
        return
    print(title, file=out)
    for column, code, count, items in groups:
        print(f"  {_label(column, columns)}  {code}  {plural(count, 'time')}", file=out)
        for item in items[:examples]:
            print(f"    {_where(item, columns)}: {item.reason}", file=out)


def _print_records(report: Report, out: IO[str], columns: Mapping[str, PathSpec], limit: int) -> None:
    """``--group record``: each record's errors and warnings together, in record order."""
    by_record: dict[int, list[RecordError | ValueWarning]] = {}
    items: list[RecordError | ValueWarning] = [*report.errors, *report.warnings]
    for item in items:
        by_record.setdefault(item.record, []).append(item)
    if not by_record:
        return
    order = sorted(by_record)
    print("by record (errors, then warnings, of each record):", file=out)
    for rec in order[:limit]:
        items = by_record[rec]
        errors = [i for i in items if isinstance(i, RecordError)]
        warnings = [i for i in items if isinstance(i, ValueWarning)]
        counts = ", ".join(t for t in (plural(len(errors), "error") if errors else "", plural(len(warnings), "warning") if warnings else "") if t)
        print(f"  {record_place(rec, items[0].file, items[0].line)}: {counts}", file=out)
        for e in errors:
            print(f"    error    {_label(e.column, columns)}  {e.code}{_elsewhere(e, columns)}: {e.reason}", file=out)
        for w in warnings:
            print(f"    warning  {_label(w.column, columns)}  {w.kind}{_elsewhere(w, columns)}: {w.reason}", file=out)
    if len(order) > limit:
        print(f"  ... and {plural(len(order) - limit, 'more record')} (--examples N lists more)", file=out)
