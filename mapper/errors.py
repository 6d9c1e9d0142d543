"""The exceptions `mapper` raises, in two families that never mix.

* A bad *definition* (found while loading, checking or compiling a sink):
  :class:`DefinitionError`, carrying every :class:`Problem` found, and
  :class:`PathSyntaxError` for a path string that does not parse.
* A bad *batch* (found while mapping records): :class:`~mapper.report.BatchRejected`,
  carrying the full report (defined next to the report), and :class:`InputError` for
  input that cannot be read at all.
* A bad *option* (``on_error="drop"``, ``workers=0``): :class:`OptionError`, also a
  ``ValueError``, raised before anything is read.
* An optional package that is not installed (pyarrow for ``.parquet``):
  :class:`MissingDependencyError`, also an ``ImportError``, naming the extra to install.

Everything derives from :class:`MapperError`, so ``except mapper.MapperError``
is enough to catch anything `mapper` raises on purpose.
"""

from __future__ import annotations

import difflib
import importlib
import io
import json
import math
import os
import re
import shlex
import stat
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from types import ModuleType
from typing import Any, Callable, Literal

from ._version import DISTRIBUTION

Severity = Literal["error", "warning", "note"]


class MapperError(Exception):
    """Base class of every exception `mapper` raises on purpose."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its class, args and attributes, not as Exception pickles (its class called
        # again with its args, the message alone): a subclass whose __init__ takes other arguments
        # (BatchRejected's report, DefinitionError's problems) failed to unpickle, which breaks a
        # concurrent.futures process pool (BrokenProcessPool) and hangs a multiprocessing.Pool.
        return (_unpickled, (type(self), self.args, self.__dict__))


def _unpickled(cls: type[MapperError], args: tuple[Any, ...], state: dict[str, Any]) -> MapperError:
    """A pickled :class:`MapperError` made again, its ``__init__`` not called (see ``__reduce__``)."""
    exc = cls.__new__(cls, *args)
    exc.args = args
    exc.__dict__.update(state)
    return exc


def preview(text: str, limit: int = 60) -> str:
    """Return ``text`` cut to ``limit`` characters, saying how long it really was.

    Messages quote user input; a 10 MB column name must not become a 10 MB message.
    """
    if len(text) <= limit:
        return text
    return f"{text[:limit]}...({len(text):,} characters)"


#: The longest value a hint gives whole to be pasted (:func:`elided`).
PASTE_LENGTH = 200


def elided(text: str, limit: int = PASTE_LENGTH, quote: Callable[[str], str] = repr) -> str:
    """``text`` as a hint gives it to be pasted, quoted by ``quote`` (``repr``: a path string, as Python
    writes it; ``shlex.quote``: a shell's word; ``str``: as it is). One longer than ``limit`` is no value to
    paste: its start and end are kept, each quoted, and what was left out between them is said outside the
    quotes, ``'kkkk'(...30 of 230 characters left out...)'kk.b'``, which a shell and Python refuse pasted
    (:func:`preview` cut it inside the quotes, ``'kkkk...(230 characters)'``: a value that read as the one
    to write, and the end of the path, its ``.b[0]``, gone)."""
    if len(text) <= limit:
        return quote(text)
    keep = max(1, limit // 2)
    return f"{quote(text[:keep])}(...{len(text) - 2 * keep:,} of {len(text):,} characters left out...){quote(text[-keep:])}"


def long_int(value: Any) -> bool:
    """Whether ``value`` is an int longer than Python converts to text (4300 digits): no JSON
    writer here takes it (JSON text never gives one: :class:`mapper.checks.LongInteger`)."""
    if not isinstance(value, int):
        return False
    try:
        str(value)
    except ValueError:
        return True
    return False


def int_text(value: Any, convert: Callable[[Any], str] = str) -> str:
    """``str(value)`` (or ``convert``), but an int longer than Python converts to text (4300
    digits: a Python definition may hold one, JSON text never reaches here with it) is
    described by its size, not a ValueError from inside a message; so is a tuple (a mapping's
    key) or another container holding one."""
    try:
        return convert(value)
    except ValueError:
        if isinstance(value, (tuple, list, frozenset, set, dict)):
            # a container holding such an int (a Python mapping's key may be a tuple): its text raises the same
            return f"<a {type(value).__name__} holding an integer of thousands of digits>"
        if not isinstance(value, int):
            raise
        return f"{'-' if value < 0 else ''}{long_int_text(value)}"  # (as show() words it)


#: Past this many bits (about a million digits) a digit count would cost 10**n (0.15 s at
#: a million digits, growing faster than the size): the count is then given as "about".
_EXACT_DIGITS_BITS = 3_300_000


def long_int_text(value: int) -> str:
    """``<an integer of 5,000 digits>``: an int too long to print, named by its size (of ``abs(value)``).

    The digit count is exact: ``bits * log10(2)`` alone is one short for most numbers
    (10**5000, 5001 digits, read as 5000): 2**(bits-1) <= v < 2**bits leaves two
    candidates, told apart by one comparison with a power of ten."""
    v = abs(value)
    bits = v.bit_length()
    low = int((bits - 1) * math.log10(2)) + 1  # the digits of 2**(bits-1): v has these or one more
    if bits > _EXACT_DIGITS_BITS:
        return f"<an integer of about {low:,} digits>"
    return f"<an integer of {low + (v >= 10**low):,} digits>"  # (a count: with commas, as every other)


def suggest(word: object, choices: tuple[str, ...] | list[str]) -> str:
    """`` (did you mean 'Scale'?)`` for a near miss among ``choices``, else ``""``."""
    close = closest(word, choices)
    return f" (did you mean {close!r}?)" if close else ""


def closest(word: object, choices: tuple[str, ...] | list[str], cutoff: float = 0.6) -> str:
    """The choice ``word`` most likely meant (the same but for case first, else difflib's closest
    at ``cutoff``), else ``""``."""
    if not isinstance(word, str) or len(word) > 100:
        return ""
    lowered = {c.lower(): c for c in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return close[0] if close else ""


#: The characters that reorder or hide the text around them, shown as their escapes (``\\u202e``) by
#: messages and reports (with the C0 controls: :data:`_CONTROL`) and by the web UI's pages (its
#: ``safeText``: mapper/web/app.py writes this list into app.js as it serves it), one list for both:
#: DEL and the C1 controls; bidirectional controls (a name or a value could make the rest of a
#: message read backwards, "Trojan Source": U+202A-U+202E, U+2066-U+2069, the marks); zero-width and
#: invisible characters (U+200B, the word joiner and invisible operators, the soft hyphen, the
#: combining grapheme joiner, the Hangul fillers drawn as a blank, the Khmer and Mongolian vowel
#: signs and separator drawn as nothing, the deprecated format controls); the line and paragraph
#: separators; the byte order mark; the interlinear annotation controls; tag characters (text no one
#: sees) and the musical formatting controls. Joiners (ZWJ, ZWNJ) and variation selectors, which
#: emoji and scripts need, are left. Inclusive ranges of code points.
HIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x7F, 0x9F),
    (0xAD, 0xAD),
    (0x34F, 0x34F),
    (0x61C, 0x61C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180E, 0x180E),
    (0x200B, 0x200B),
    (0x200E, 0x200F),
    (0x2028, 0x202E),
    (0x2060, 0x2064),
    (0x2066, 0x206F),
    (0x3164, 0x3164),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF9, 0xFFFB),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE007F),
)


def _range_class(ranges: Iterable[tuple[int, int]], char: Callable[[int], str]) -> str:
    """The inside of a regular expression's character class matching ``ranges``, each code point written by ``char``."""
    return "".join(char(lo) if lo == hi else f"{char(lo)}-{char(hi)}" for lo, hi in ranges)


def hidden_js() -> str:
    """:data:`HIDDEN_RANGES` as a JavaScript regular expression literal (global), as the web UI's
    ``safeText`` matches them: a string's characters are UTF-16 units there, so a code point past
    U+FFFF is its surrogate pair (those of one range share their high surrogate)."""
    bmp = [r for r in HIDDEN_RANGES if r[1] <= 0xFFFF]
    out = "[" + _range_class(bmp, lambda n: f"\\x{n:02x}" if n <= 0xFF else f"\\u{n:04x}") + "]"
    for lo, hi in (r for r in HIDDEN_RANGES if r[0] > 0xFFFF):
        high, low = (lo - 0x10000) >> 10, [0xDC00 + ((n - 0x10000) & 0x3FF) for n in (lo, hi)]
        assert high == (hi - 0x10000) >> 10  # (one high surrogate a range: true of these)
        out += f"|\\u{0xD800 + high:04x}[\\u{low[0]:04x}-\\u{low[1]:04x}]"
    return f"/{out}/g"


#: Control characters, escaped in a shown value as JSON escapes them: a record's ESC, CR or BEL
#: printed as such moved the terminal's cursor, cleared its screen or set its title (a report
#: is read on a terminal), and a tab or a CR made the line show other than it is. With them,
#: the characters that reorder or hide the text around them, as the web UI shows them: :data:`HIDDEN_RANGES`
#: (a key named with U+202E made a message name another key; "admin\\u00ad" showed as "admin").
_CONTROL = re.compile("[\x00-\x1f" + _range_class(HIDDEN_RANGES, chr) + "]")
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    c = m.group()
    n = ord(c)
    if n > 0xFFFF:  # (a tag character: as JSON writes it, its two UTF-16 halves)
        n -= 0x10000
        return f"\\u{0xD800 + (n >> 10):04x}\\u{0xDC00 + (n & 0x3FF):04x}"
    return _ESCAPES.get(c) or f"\\u{n:04x}"


#: The characters of :data:`_CONTROL` that JSON text may hold as they are (only C0 must be escaped
#: in it): as JSON text is written, none of them is outside a string, where an escape is the same.
#: With them, the UTF-16 surrogates ``json.dumps`` leaves as they are: a file name's byte that is not
#: UTF-8 (``os.fsdecode`` makes 0xff U+DCFF) went out as that byte, and the report did not parse;
#: its escape, ``\udcff``, is the name Python's ``os.fsencode`` gives back.
_CONTROL_IN_JSON = re.compile(_CONTROL.pattern.replace("\x00-\x1f", "", 1).removesuffix("]") + "\ud800-\udfff]")


def escaped_json(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``'s or orjson's, indented or not) with the
    characters :func:`escape_controls` escapes, and the writer left as they are (DEL, C1, bidi,
    zero-width, tags), written as escapes: the same JSON value, that a terminal shows as it is
    (a file name's U+202E made the rest of a report's line read backwards)."""
    return _CONTROL_IN_JSON.sub(_escape, text)


def has_controls(text: str) -> bool:
    """Whether ``text`` holds a character :func:`escape_controls` escapes."""
    return _CONTROL.search(text) is not None


def escape_controls(text: str) -> str:
    """``text`` with its control characters written as JSON escapes them (``\\n``, ``\\u001b``), as
    :func:`show` writes a value's: for a name shown as it is, unquoted (a report's column label)."""
    return _CONTROL.sub(_escape, text)


def option_text(flag: str, value: str, limit: int | None = None) -> str:
    """A command-line option with its value, as a message suggests it and a shell and argparse take
    it: ``--records-path aircraft``, ``--type 'a b=string'``. A value starting with ``-`` is joined
    to its option by ``=`` (``--type=-x=string``): argparse reads ``--type -x=string`` as two
    options and refuses the suggestion, "argument --type: expected one argument". A value longer
    than ``limit``, its middle left out, saying so (:func:`elided`): the command kept."""
    if limit is not None and len(value) > limit:
        return f"{flag}{'=' if value.startswith('-') else ' '}{elided(value, limit, shlex.quote)}"
    if value.startswith("-"):
        return shlex.quote(f"{flag}={value}")
    return f"{flag} {shlex.quote(value)}"


def shown_name(name: str | os.PathLike[Any]) -> str:
    """A file name as a message prints it: as it is, unquoted, its control characters escaped as
    :func:`escape_controls` writes them. A name is text the user does not see whole: one holding
    an ESC printed as such drove the terminal, a newline split the message in two, a U+202E made
    the rest of the line read backwards. (A report's JSON keeps the real name.) A byte that is not
    UTF-8 (``os.fsdecode`` makes 0xff U+DCFF) is its escape too, ``\\udcff``: printed as it is, it
    failed a strict UTF-8 standard output (a UTF-8 locale's, such as en_US.UTF-8) with a traceback."""
    return _SURROGATE.sub(_escape, escape_controls(os.fsdecode(name)))


_SURROGATE = re.compile("[\ud800-\udfff]")


def pasted_name(name: str | os.PathLike[Any]) -> str:
    """A file name a message offers to be pasted (`` (did you mean 'my dir/r.ndjson'?)``): quoted as a
    shell takes it (``shlex.quote``: ``my dir/r.ndjson`` pasted was two arguments), control characters
    escaped as :func:`shown_name` writes them. Unlike :func:`shell_file`, always the name itself, but
    for ``./`` before a name starting with ``-`` (``-records.ndjson`` pasted was read as an option)."""
    text = os.fsdecode(name)
    return shown_name(shlex.quote("./" + text if text.startswith("-") else text))


def near_file(name: str | os.PathLike[Any]) -> str:
    """`` (did you mean sink.json?)`` for a file name that names none, when its directory holds
    one alike (a letter or two, or case, apart: ``sinkk.json``), named as the name was given;
    else ``""``. Only on the error path: the directory is listed (its first 1,000 names).
    A name written with Windows' backslashes (``data\\r.ndjson``) whose ``/`` form names a file
    is told that one (it was told a file alike in the current directory, another file)."""
    text = os.fsdecode(name)
    if os.sep == "/" and "\\" in text and os.path.exists(slashed := text.replace("\\", "/")):
        return f" (did you mean {pasted_name(slashed)}? directories are separated by /, not \\)"
    folder, base = os.path.split(text)
    try:
        with os.scandir(folder or ".") as entries:
            names = [e.name for _i, e in zip(range(1000), entries) if not e.name.startswith(".")]
    except (OSError, ValueError):
        return ""
    alike = closest(base, names, cutoff=0.8)
    return f" (did you mean {pasted_name(os.path.join(folder, alike))}?)" if alike and alike != base else ""


def cannot_open(name: str, exc: OSError | ValueError, what: str) -> str:
    """Why the file ``name`` cannot be read, ``exc`` the error opening it (or looking it up) gave, in the
    words every command says it in: ``no such file: r.ndjson`` (with a name alike, :func:`near_file`),
    ``/tmp is a directory, not a WHAT`` (``records file``, ``table file``), a name holding a NUL, or the
    OS's words for anything else (``cannot read r.ndjson: Permission denied``)."""
    if isinstance(exc, FileNotFoundError):
        return f"no such file: {shown_name(name)}{near_file(name)}"
    if isinstance(exc, IsADirectoryError):
        return f"{shown_name(name)} is a directory, not a {what}"
    if isinstance(exc, ValueError):
        return f"{name!r} cannot be a file name: it holds a NUL byte"
    return f"cannot read {shown_name(name)}: {exc.strerror or exc}"


def plain_str(text: str) -> str:
    """A str subclass's text as a plain ``str`` (``numpy.str_``, or one whose ``str()`` is other
    text): what a JSON text of the same definition would give, and what messages, reports and
    Arrow field names then show alike."""
    return text if text.__class__ is str else str.__str__(text)


def json_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``value`` as JSON text for a message, its non-ASCII as it is but DEL and the C1 controls
    escaped too (``json.dumps`` escapes C0 only: a CSI, 0x9b, drives an 8-bit terminal)."""
    return escape_controls(json.dumps(value, ensure_ascii=False, default=default))


def show(value: object, limit: int = 60, escaped: bool = False) -> str:
    """A short JSON-like rendering of a value for messages: ``"high"``, ``12.5``, ``[...] (3 items)``.

    ``escaped``: a str that already writes its escapes as JSON text does (``x\\ud800``, what a
    ``utf8_replaced`` warning says was sent): its backslashes are shown as they are, once."""
    if isinstance(value, str):
        inner = value[: limit * 2] if escaped else value[: limit * 2].replace("\\", "\\\\")
        text = '"' + _CONTROL.sub(_escape, inner.replace('"', '\\"')) + ('"' if len(value) <= limit * 2 else "")
        if not text.isascii():  # an unpaired surrogate as its escape: a message is text that encodes
            # (a pair, as a Python caller's str may hold one, is the character its escapes make)
            text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
            text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, float):
        # a number beyond float64 as the careful path decodes it (types.OutOfRangeNumber, an
        # infinite float) as it was written, 1e400: never an "inf" the record does not hold
        written = getattr(value, "text", None) if value.__class__ is not float else None
        text = written if isinstance(written, str) else float.__repr__(value)
    elif isinstance(value, int):
        # str() of an int of more than 4,300 digits raises; such a number is not worth printing
        text = str(value) if value.bit_length() < 4000 else long_int_text(value)
    elif isinstance(value, (list, tuple)):
        text = f"[...] ({len(value):,} item{'' if len(value) == 1 else 's'})" if value else "[]"
    elif isinstance(value, Mapping):  # (any mapping is a JSON object, as a record's: never its repr)
        text = f"{{...}} ({len(value):,} key{'' if len(value) == 1 else 's'})" if value else "{}"
    else:
        text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return text


def article(word: str) -> str:
    """``a string``, ``an int``, ``an id``: a word with its indefinite article."""
    return f"{'an' if word[:1].lower() in 'aeiou' and word[:1] else 'a'} {word}"


def and_list(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: words listed as a message says them (a caller that
    cuts a long list adds its ``N more`` as the last word)."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def class_name(value: object) -> str:
    """A Python value's class as messages name one JSON has no type for: ``numpy.bool``,
    ``builtins.int`` (module and qualified name: never a JSON type's name, which some share)."""
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def type_name(value: object) -> str:
    """The JSON type of a decoded value, as messages name it (msgspec's names)."""
    if value is None:
        return "null"
    for cls, name in _TYPE_NAMES:
        if isinstance(value, cls):
            return name
    return type(value).__name__


# bool before int: a bool is an int to isinstance
_TYPE_NAMES: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (bool, "bool"),
    (int, "int"),
    (float, "float"),
    (str, "str"),
    ((list, tuple), "array"),
    (dict, "object"),
)


def pointer_escape(token: str | int) -> str:
    """Escape one reference token of a JSON Pointer (RFC 6901). (A Python mapping's key that is an
    int past 4,300 digits, or a tuple holding one, is named by its size: :func:`int_text`.)"""
    return int_text(token).replace("~", "~0").replace("/", "~1")


def make_pointer(*tokens: str | int) -> str:
    """Build a JSON Pointer from raw tokens: ``("schema", "definition", 3)`` -> ``/schema/definition/3``."""
    return "".join("/" + pointer_escape(t) for t in tokens)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with (or worth knowing about) a sink definition.

    ``pointer`` is a JSON Pointer into the document as it was given
    (``/schema/definition/3/config/Scale``; ``""`` is the whole document).
    Only ``error`` problems make a definition invalid.
    """

    severity: Severity
    pointer: str
    message: str
    code: str

    def to_dict(self) -> dict[str, str]:
        return {"severity": self.severity, "pointer": self.pointer, "message": self.message, "code": self.code}

    def __str__(self) -> str:
        # (the pointer names keys as written, controls and all: shown escaped, as messages quote them)
        where = escape_controls(self.pointer) or "(document)"
        return f"{self.severity}: {where}: {self.message}"


class DefinitionError(MapperError):
    """A sink definition that cannot be used: unreadable, or with at least one error.

    ``problems`` holds every problem found (errors and warnings), in document order.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], source: str | None = None):
        self.problems = tuple(problems)
        self.source = source
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"invalid sink definition{f' {shown_name(source)}' if source else ''}"
        lines = [f"{head}: {len(errors):,} error{'' if len(errors) == 1 else 's'}"]
        lines += [f"  {p}" for p in errors[:20]]
        if len(errors) > 20:
            lines.append(f"  ... and {len(errors) - 20:,} more")
        super().__init__("\n".join(lines))

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


class PathSyntaxError(MapperError):
    """A path string that does not parse; ``position`` is the 0-based character index (the message
    says it counted from 1, as an editor's column: ``at character 6`` of ``data..lat``)."""

    def __init__(self, message: str, expression: str, position: int, hint: str = "", *, whole: bool = False):
        self.message = message
        self.expression = expression
        self.position = max(0, min(position, len(expression)))
        #: how to write what was meant, when that is known (a line of its own, after the caret)
        self.hint = hint
        #: the error is the expression's as a whole (its length), at no one character: said without a place
        self.whole = whole
        super().__init__(self.render())

    def render(self) -> str:
        if self.whole:  # (its start, to tell which path)
            return f"{self.message}\n  {escape_controls(preview(self.expression, 80))}"
        # Draw the caret under the offending character; for very long expressions
        # show a window around it so the caret still lines up.
        expr, pos = self.expression, self.position
        start = max(0, pos - 40)
        window = expr[start : pos + 40]
        lead = "..." if start else ""
        tail = "..." if pos + 40 < len(expr) else ""
        # one column per character: white space as a space, other unprintable ones (\r, NUL, U+2028) as U+FFFD
        shown = lead + "".join(c if c.isprintable() else " " if c in "\t\n" else "\ufffd" for c in window) + tail
        caret = " " * (len(lead) + pos - start) + "^"
        return f"{self.message} at character {pos + 1}\n  {shown}\n  {caret}" + (f"\n  {self.hint}" if self.hint else "")


class InputError(MapperError):
    """Input that cannot be read at all (no such file, unreadable stream, unknown format)."""


class OutputError(MapperError):
    """An output that cannot be written: a missing or read-only directory, a full disk, an input's own path."""


class OptionError(MapperError, ValueError):
    """An option that makes no sense (``on_error="drop"``, ``workers=0``, ``max_errors=-1``).

    Raised when the options are checked, before any input is read.
    """


def check_function(name: str, value: Any, *, optional: bool = True) -> None:
    """An :class:`OptionError` unless ``value``, given as the option ``name=``, is a function (any
    callable), or None where ``optional``: the one check, and message, of the hooks a caller
    passes (``on_retry=``, ``before_sending=``, ``admit=``), made when they are given, not at
    their first call (a TypeError then, in the middle of a send or once a body was stored)."""
    if not callable(value) and not (optional and value is None):
        raise OptionError(f"{name}= is a function{' (or None)' if optional else ''}, not {value!r}")


class MissingDependencyError(MapperError, ImportError):
    """An optional package a feature needs is not installed; the message names the extra to install."""


def optional_import(module: str, extra: str, what: str) -> ModuleType:
    """Import an optional dependency, or raise :class:`MissingDependencyError` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"{what} needs {module.split('.')[0]}: pip install '{DISTRIBUTION}[{extra}]' (from a checkout of mapper: pip install -e '.[{extra}]')"
        ) from None


class AnnotatedModule:
    """An optional extra's module as the annotations of a module that does not import it name it
    (``-> pyarrow.Table``, the module imported for type checkers alone): set at run time in the
    module's own name (``pyarrow = AnnotatedModule("pyarrow")``), so that ``typing.get_type_hints``
    reads those annotations (a NameError otherwise) without ``import mapper`` importing the extra.
    A name asked of it imports the module then; ``typing.Any`` when the extra is not installed."""

    __slots__ = ("_module",)

    def __init__(self, module: str):
        self._module = module

    def __getattr__(self, name: str) -> Any:
        try:
            module = importlib.import_module(self._module)
        except ImportError:
            return Any
        return getattr(module, name)

    def __repr__(self) -> str:
        return f"<the module {self._module}, imported when a name is asked of it>"


#: A second byte order mark opening an input, a record's text given alone (``Mapper.check``,
#: ``Batcher.add``, an item of the records given), a records file or a sink definition: the first,
#: taken off, is counted by no position, so the second stands at char 1 (line 1 column 1), where the
#: mark :func:`mapper.engine.gojson.bom_note` says of would be the first.
SECOND_BOM_NOTE = ": a second byte order mark (U+FEFF): the input's first, which may open it, is taken off and not counted"


#: A UTF-16 surrogate code point: no UTF-8 and no JSON text carries one as text. Decoded
#: JSON holds only unpaired ones (an escaped pair decodes to one character); a Python
#: caller's str may also hold a pair as two code points (``"\ud83d\ude00"``, from
#: ``surrogatepass``), which JSON sends as the character it makes (gojson.has_unpaired).
SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """Whether ``text`` holds a UTF-16 surrogate code point (JSON's ``"\\ud800"`` decoded, or a Python
    caller's string: there it may be half of a pair, see :func:`mapper.engine.gojson.has_unpaired`)."""
    return not text.isascii() and SURROGATE.search(text) is not None


def as_unescaped(text: str) -> str:
    """The string the endpoint's decoder makes of ``text``'s JSON escapes: a surrogate pair
    (``"\\ud83d\\ude00"``, a Python caller's two code points) joined into its character, an
    unpaired surrogate U+FFFD, as Go's ``unquote`` does (UTF-16's own decoding does both)."""
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


#: The rule of :func:`names_a_file`, for the messages of a str read the wrong way.
FILE_NAME_RULE = "a str is a file name unless it holds JSON text: starts with { or [, or has a newline; a pathlib.Path is always a file"


def names_a_file(text: str) -> bool:
    """Whether a str given as a sink definition or as records names a file, not JSON text.

    It names a file unless it starts with ``{`` or ``[`` (after blanks), holds a newline,
    is blank, or is longer than any file name (4096 characters): one rule for
    ``load_sink`` and ``Mapper.map``. A file whose name looks like JSON text is given as
    a :class:`pathlib.Path` (or any ``os.PathLike``), which always names a file: the
    command line passes its files so.
    """
    head = text.lstrip(" \t\r\ufeff")
    return bool(head) and head[0] not in "{[" and "\n" not in text and len(text) <= 4096


def record_file_note(record: object) -> str | None:
    """Why a record given to a one-record call (``Mapper.check``, ``Batcher.add``) that names
    a file was not read from it: a ``os.PathLike``, or a str naming a file that exists
    (such a str is taken as the record's JSON text, and is not JSON). None otherwise."""
    if isinstance(record, os.PathLike):
        name = os.fspath(record)
    elif isinstance(record, str) and names_a_file(record) and os.path.isfile(record):
        name = record
    else:
        return None
    return f"{show(name)} names a file: one record is a mapping or its JSON text; map() and validate() read files"


#: The start of JSON text in UTF-32 or UTF-16 (a byte order mark, or ``{`` / ``[`` with its zero bytes).
_WIDE_TEXT = (
    ("UTF-32", re.compile(rb"\A(?:\xff\xfe\x00\x00|\x00\x00\xfe\xff|[{\[]\x00\x00\x00|\x00\x00\x00[{\[])")),
    ("UTF-16", re.compile(rb"\A(?:\xff\xfe|\xfe\xff|[{\[]\x00|\x00[{\[])")),
)


def shell_file(name: str | os.PathLike[Any] | None) -> str:
    """A file's name as a hint's shell command takes it (``shlex.quote``, control characters escaped
    as :func:`shown_name` writes them), or ``FILE`` where there is no name to give: standard input
    (``-``, a stream read once by a ``/dev/`` name: ``/dev/stdin``, a ``<(...)`` pipe; a stream's ``<stdin>``:
    :func:`read_once`), or not known; ``./`` before a name starting with ``-``, as :func:`pasted_name` writes it."""
    text = None if name is None else os.fsdecode(name)
    if not text or read_once(text):
        return "FILE"
    return pasted_name(text)


#: Compressed data by its first bytes: what mapper's reader unpacks (gzip, bzip2, xz) and names (zstd).
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"\x28\xb5\x2f\xfd", "zstd"))
#: The name endings of each: how a file that is not read again (a pipe by its name) is told.
_PACKED_ENDINGS = ((".gz", "gzip"), (".bz2", "bzip2"), (".xz", "xz"), (".zst", "zstd"))


def compression_of(head: bytes) -> str | None:
    """The compression of bytes starting with ``head`` (``gzip``, ``bzip2``, ``xz``, ``zstd``), or None;
    its name is the tool's that unpacks it (``gzip -dc``)."""
    for magic, name in _COMPRESSED:
        if head.startswith(magic) and (magic != b"BZh" or head[3:4].isdigit()):
            return name
    return None


def file_compression(name: str | os.PathLike[Any]) -> str | None:
    """The compression of the file ``name`` (:func:`compression_of`), or None: a regular file's by
    its first bytes, as mapper's reader tells it, whatever its name; else (a named pipe, read once;
    a file gone) by its name's ending (``.gz``). Only on the error path, for a hint's command: a
    file's answer is kept while it is unchanged (its size and time), so a hint given per record
    reads it once."""
    text = os.fsdecode(name)
    try:
        st = os.stat(text)
    except (OSError, ValueError):
        st = None
    if st is not None and stat.S_ISREG(st.st_mode):
        packed = _head_compression(text, st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if packed != "?":
            return packed
    return next((packed for ending, packed in _PACKED_ENDINGS if text.lower().endswith(ending)), None)


@lru_cache(maxsize=16)
def _head_compression(name: str, _dev: int, _ino: int, _size: int, _mtime: int) -> str | None:
    """:func:`compression_of` the first bytes of regular file ``name`` (as it is: its device,
    inode, size and time key the cache); ``"?"`` when it cannot be read."""
    try:
        with open(name, "rb") as f:
            return compression_of(f.read(6))
    except OSError:
        return "?"


#: Standard input as mapper's reader last found it: the stream, and its compression (gzip, bzip2,
#: xz: unpacked as read), or None (see :func:`stdin_read`).
_STDIN: list[Any] = [None, None]


def stdin_read(stream: Any, packed: str | None) -> None:
    """Note how the reader found standard input, ``stream``: compressed as ``packed`` or not (None),
    for the command a hint on it gives (:func:`text_command`); it cannot be read again to tell."""
    _STDIN[:] = [stream, packed]


#: Streams read once by a name (``/dev/stdin``, a ``<(...)`` pipe's ``/dev/fd/63``) as mapper's reader last
#: opened each: the name -> the stream's identity (device, inode) and its compression, or None (see :func:`stream_opened`).
_OPENED: dict[str, tuple[tuple[int, int], str | None]] = {}


def stream_opened(name: str, stream: Any, packed: str | None) -> None:
    """Note how the reader found the stream read once it opened by ``name`` (``/dev/stdin``): compressed as
    ``packed`` or not (None), as :func:`stdin_read` notes standard input read as ``-`` (the file object
    ``stream`` is the one opened: its identity tells a later stream given the same name from it)."""
    try:
        found = os.fstat(stream.fileno())
    except (OSError, AttributeError, ValueError):
        return
    _OPENED[name] = ((found.st_dev, found.st_ino), packed)


def read_once(text: str) -> bool:
    """Whether the input named ``text`` is a stream read once (standard input, ``/dev/stdin``, a
    ``<(...)`` pipe's ``/dev/fd/63``, another ``/dev/`` name but a file's), whose text a hint's command
    takes through a pipe, as it came. A file under ``/dev/`` (``/dev/shm``, a tmpfs) is named as any
    file is: it was told ``... | mapper check -`` where ``mapper check /dev/shm/s.json`` shows it."""
    if text == "-" or text.startswith("<") or text == "/dev/stdin" or text.startswith("/dev/fd/"):
        return True
    if not text.startswith("/dev/"):
        return False
    try:  # (asked of a hint's name only, not per record)
        return not stat.S_ISREG(os.stat(text).st_mode)
    except (OSError, ValueError):
        return True


def _stdin_packed(text: str) -> str | None:
    """The compression standard input came in, as the reader found it (:func:`stdin_read`), when the
    stream read once named ``text`` is it, or the stream the reader opened by that name (:func:`stream_opened`);
    else None (another stream, or one not compressed)."""
    stream, packed = _STDIN
    if text in ("-", "/dev/stdin", "<stdin>") and stream is not None and stream is getattr(sys.stdin, "buffer", None):
        return packed  # type: ignore[no-any-return]
    opened = _OPENED.get(text)  # (/dev/stdin is opened by its name, unpacked as a file is: `validate s.json /dev/stdin < db.gz`)
    if opened is None:
        return None
    try:
        now = os.stat(text)
    except (OSError, ValueError):
        return None
    return opened[1] if opened[0] == (now.st_dev, now.st_ino) else None  # (not the stream the reader opened so: unknown)


def text_command(command: str, file: str | os.PathLike[Any] | None, stdin: bool = False) -> str:
    """The shell command a hint gives that runs ``command`` (``jq -c '.[]'``, ``iconv -f UTF-16 -t UTF-8``)
    on the text of the input ``file``, named as :func:`shell_file` names it: ``jq -c '.[]' 'a 1.ndjson'``
    (``stdin``: a command that reads standard input only, ``tr '\\r' '\\n' < 'a 1.ndjson'``). Of a compressed
    file (:func:`file_compression`: mapper reads its text unpacked, and those tools cannot), its
    text unpacked into it: ``gzip -dc 'a 1.ndjson.gz' | jq -c '.[]'``. Of standard input (or another
    stream read once, no file to name), what it came from piped through it, unpacked first if it came
    compressed (:func:`stdin_read`): ``... | gzip -dc | jq -c '.[]'``. ``FILE`` without a name."""
    text = None if file is None else os.fsdecode(file)
    if text and read_once(text):
        packed = _stdin_packed(text)
        return f"... | {packed} -dc | {command}" if packed else f"... | {command}"
    shown = shell_file(file)
    packed = None if file is None or shown == "FILE" else file_compression(file)
    if packed is not None:
        return f"{packed} -dc {shown} | {command}"
    return f"{command} < {shown}" if stdin else f"{command} {shown}"


#: Compressions mapper does not unpack (nor tell by their first bytes), whose hint a caller asks
#: for by the tool that unpacks them (:func:`unpacked_file`'s ``tool``): its files' ending.
_TOOL_ENDINGS = ((".lz4", "lz4"), (".snappy", "snzip"))


def unpacked_file(file: str | os.PathLike[Any] | None, ending: str, tool: str | None = None, stem: str = "records") -> tuple[str, str]:
    """The input ``file`` as a command that reads a file (not a stream: ``mapper serve --db``) takes it:
    ``("", name)``, its name as :func:`shell_file` gives it; of a compressed file, the command that
    writes its text out first, and that file's name, beside it: its own without the compression's
    ending (``db.sqlite.gz``: ``db.sqlite``, as ``gzip -d`` names it), else with ``ending`` added
    (``-2``, ``-3`` before it: a file of that name is not written over, as ``>`` would):
    ``("gzip -dc db.sqlite.gz > db.sqlite, then ", "db.sqlite")``. ``tool``: the one that unpacks
    it, when the caller knows (``lz4``, ``snzip``: a frame format Spark cannot read). Of a stream read
    once (standard input: no file to name), what it came from written into a new file, ``stem`` and
    ``ending``, unpacked if it came compressed: ``("... | gzip -dc > sink.json, then ", "sink.json")``,
    ``("... > serve.db, then ", "serve.db")`` (``mapper serve --db FILE`` named no file given)."""
    text = None if file is None else os.fsdecode(file)
    if text and read_once(text):
        packed = tool or _stdin_packed(text)
        out = _unused(stem, ending)
        return (f"... | {packed} -dc > {out}, then " if packed else f"... > {out}, then "), out
    shown = shell_file(file)
    packed = tool or (None if file is None or shown == "FILE" else file_compression(file))
    if file is None or shown == "FILE":
        return "", shown
    text = os.fsdecode(file)
    # (every compression's ending dropped, whichever the data's: a name's own kind ending, .ndjson, .db, is then kept)
    layers, member = ([packed], None) if tool is not None else packed_layers(text, packed, ending) if packed or os.path.isfile(text) else ([], None)
    if packed is None and member is None:  # (neither compressed nor a tar archive: the file given as it is)
        return "", shown
    unpack = f"{packed} -dc {shown}" + "".join(f" | {inner} -dc" for inner in layers[1:])
    if member is not None:  # (a tar archive: the file in it written out, never the archive's bytes given as the file)
        stem, kind = _kind_split(os.path.basename(member) if member else _unpacked_stem(text), ending)
        out = _unused(stem, kind, own=text)
        taken = shown_name(shlex.quote(member)) if member else "FILE"
        return f"tar -xOf {shown} {taken} > {out} (tar -tf {shown} lists the files it holds), then ", out
    stem, kind = _kind_split(_unpacked_stem(text), ending)
    out = _unused(stem, kind, own=text)
    return f"{unpack} > {out}, then ", out


#: The first bytes of an SQLite database file (the file ``mapper serve --db`` names).
SQLITE_MAGIC = b"SQLite format 3\x00"


def database_instead(name: str, made: bool = True) -> str | None:
    """What the regular file ``name``, which SQLite found is no database, is instead, and what to give ``mapper serve
    --db`` (a database file, read and written in place), as the records inputs name an archive (:func:`archive_what`):
    a compressed database, with the command that writes it out (``gzip -dc serve.db.gz > serve.db, then give serve.db``);
    a tar or ZIP archive (compressed or not), with the command that writes out the database it holds, or saying it
    holds none; compressed data or a file whose text is no database (JSON text: records, a sink definition); None when
    there is nothing more to say than SQLite's "file is not a database". ``made``: a new file's name would be made a
    database (serving), and the words say so (not ``--query``'s, which reads one). Only on the error path."""
    packed = file_compression(name)
    if packed == "?" or not os.path.isfile(name):
        return None
    layers = packed_layers(name, packed)[0] if packed else []
    head = _unpacked_head(name, layers, 512)
    if head.startswith(SQLITE_MAGIC):
        if not packed:
            return None
        unpack, out = unpacked_file(name, ".db", stem="serve")
        return f"it is {packed}-compressed data: {unpack}give {out}"
    give = "give --db the database file serve keeps its sinks in" + (", or a new file's name: serve makes it" if made else "")
    kind = archive_of(head)
    if kind is not None and len(layers) <= 1:
        what = archive_what(kind, packed)
        member = _database_member(name, kind, packed)
        if member is None:
            return f"it is {what}, and none of the files it holds is an SQLite database: {give}"
        shown = shell_file(name)
        stem, ending = _kind_split(os.path.basename(member), ".db")
        out = _unused(stem, ending, own=name)
        taken = shown_name(shlex.quote(member))
        command = f"tar -xOf {shown} {taken}" if kind == "tar" else f"unzip -p {shown} {taken}"
        return f"it is {what}, not a database file: serve reads and writes its database in place, never inside an archive; write it out, {command} > {out}, then give {out}"
    json_text = head.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] in (b"{", b"[")
    said = "JSON text" if json_text else binary_kind(head)[0]
    sink = "; a sink definition is given as SINK, after the options" if json_text and made else ""
    if packed:
        return f"it is {packed}-compressed data, and its text is {said or 'no database either'}: {give}{sink}"
    return None if not said else f"it is {said}, not a database: {give}{sink}"


def _database_member(name: str, kind: str, packed: str | None) -> str | None:
    """The name of the first file, among the first entries of the archive ``name`` (``kind``: tar, compressed once as
    ``packed``; or ZIP, not compressed), that is an SQLite database (:data:`SQLITE_MAGIC`); None when there is none."""
    if kind == "zip" and packed:
        return None
    return next((member for member, head in _members(name, kind) if head(len(SQLITE_MAGIC)) == SQLITE_MAGIC), None)


def _members(name: str, kind: str) -> Iterator[tuple[str, Callable[[int], bytes]]]:
    """The regular files among the first :data:`_MOST_MEMBERS` entries of the archive ``name`` (``kind``: ``zip``, or a tar,
    compressed once or not), by name (none that reads as an option, ``-x``), each with a function reading its first bytes
    (``b""`` when it cannot be read), as long as the archive reads: the one walk of an archive's files that the words
    naming one to write out use (a sink definition in it, a database). Only on the error path."""
    import tarfile
    import zipfile

    def read(opened: Callable[[], Any], size: int) -> bytes:
        try:
            member = opened()
            if member is None:
                return b""
            with member:
                return bytes(member.read(size))
        except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, ValueError, NotImplementedError):
            return b""

    try:
        if kind == "zip":
            with zipfile.ZipFile(name) as archive:
                for info in archive.infolist()[:_MOST_MEMBERS]:
                    if not info.is_dir() and not info.filename.startswith("-"):
                        yield info.filename, partial(read, partial(archive.open, info))
            return
        with tarfile.open(name, mode="r|*") as tar:
            for _n, entry in zip(range(_MOST_MEMBERS), tar):
                if entry.isfile() and not entry.name.startswith("-"):
                    yield entry.name, partial(read, partial(tar.extractfile, entry))
    except (OSError, EOFError, tarfile.TarError, zipfile.BadZipFile, ValueError, NotImplementedError):
        return


def _named_member(name: str, kind: str, ending: str) -> str | None:
    """The first file of the archive ``name`` (:func:`_members`) whose name ends in ``ending`` (``.json``), else its
    first file; None when it holds none or cannot be read."""
    names = [member for member, _head in _members(name, kind)]
    return next((n for n in names if n.lower().endswith(ending)), names[0] if names else None)


#: The Python modules that unpack the compressions mapper's reader unpacks (zstd has none in Python 3.11's library).
_UNPACKERS = {"gzip": "gzip", "bzip2": "bz2", "xz": "lzma"}
#: How many compressions :func:`packed_layers` looks through, and how many entries of a tar archive for a file.
_MOST_LAYERS, _MOST_MEMBERS = 4, 16


def packed_layers(name: str, packed: str | None, ending: str = "") -> tuple[list[str], str | None]:
    """The compressions of the regular file ``name``, outer first, from ``packed`` (its own, :func:`file_compression`):
    ``["gzip", "gzip"]`` of a file compressed twice, which one ``gzip -dc`` leaves gzip data (mapper unpacks one layer
    of records, none of a sink or a database); and, when its text is a tar archive (``records.tar.gz``), the name
    of the first regular file in it (``""`` when none is found in its first entries), else None. A stream read once,
    or data Python cannot unpack (zstd), is ``packed`` alone; a file not compressed (``packed`` None), no layers, and the
    name of the first file in it when it is a tar archive. Only on the error path, for a hint's command."""
    layers = [packed] if packed else []
    head = b""
    while len(layers) <= _MOST_LAYERS:
        head = _unpacked_head(name, layers, 512)
        inner = compression_of(head)
        if inner is None:
            break
        layers.append(inner)
    if not tar_header(head):
        return layers, None
    return layers, (_named_member(name, "tar", ending) or "") if len(layers) <= 1 else ""


def _unpacked_head(name: str | bytes, layers: list[str], size: int) -> bytes:
    """The first ``size`` bytes of file ``name`` (or of the bytes ``name``: a file's, read) unpacked through ``layers``;
    ``b""`` when one cannot be (zstd, cut data)."""
    import contextlib
    import lzma
    import zlib

    with contextlib.ExitStack() as stack:
        try:
            stream: Any = io.BytesIO(name) if isinstance(name, bytes) else stack.enter_context(open(name, "rb"))
            for layer in layers:
                module = _UNPACKERS.get(layer)
                if module is None:
                    return b""
                stream = stack.enter_context(importlib.import_module(module).open(stream))
            return stream.read(size)  # type: ignore[no-any-return]
        except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error):  # (gzip's BadGzipFile is an OSError)
            return b""


def unpacked_data_head(data: bytes, size: int) -> bytes:
    """The first ``size`` bytes of ``data`` (a file's bytes, read whole) unpacked, one layer of the compression its
    first bytes say (:func:`compression_of`); ``b""`` when it is none, or cannot be unpacked (zstd, cut or corrupt data)."""
    packed = compression_of(data[:6])
    return _unpacked_head(data, [packed], size) if packed else b""


def tar_header(head: bytes) -> bool:
    """Whether ``head`` starts with a tar archive's first header: its checksum right (the sum of its 512 bytes, the
    checksum's own 8 counted as blanks; signed bytes too, as old tars summed them), and POSIX tar's magic (``ustar``,
    GNU's too) at byte 257, or, of an old v7 archive (no magic), a name padded with NUL bytes, octal mode, size and
    time fields ended by a NUL or a blank, and an entry kind: NUL bytes no JSON text holds, so no records file is taken
    for one, however its first 512 bytes read (a JSON text saying ``mustard`` at byte 257 is no archive either)."""
    if len(head) < 512:
        return False
    field = head[148:156].replace(b"\x00", b" ").strip()
    if not field or field.strip(b"01234567"):
        return False
    said = int(field, 8)
    blanked = sum(head[:148]) + 8 * 32 + sum(head[156:512])
    if said != blanked and said != blanked - 256 * sum(b >= 128 for b in head[:148] + head[156:512]):
        return False
    if head[257:262] == b"ustar":
        return True
    name = head[:100].partition(b"\x00")
    return (
        name[0] != b""
        and name[2].count(0) == len(name[2])
        and head[156:157] in _V7_TYPES
        and all(map(_V7_FIELD.fullmatch, (head[100:108], head[124:136], head[136:148])))
        and b"\x00" in head[100:512]
    )


#: A v7 tar header's numeric field: octal digits (blanks before them), ended by a NUL or a blank.
_V7_FIELD = re.compile(rb" *[0-7]+[ \x00]+")
#: A v7 tar entry's kinds (a file, or ``0`` to ``7``: links, devices, a directory, a FIFO).
_V7_TYPES = frozenset(b"\x00" if k == 0 else bytes([k]) for k in (0, *b"01234567"))


def archive_of(head: bytes) -> str | None:
    """``"tar"`` or ``"zip"`` when ``head`` (an input's first 512 bytes or more, its compression unpacked)
    starts such an archive, whose files' text mapper does not read out of it; else None."""
    if tar_header(head):
        return "tar"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    return None


def file_archive(name: str) -> tuple[str, str | None] | None:
    """The archive (:func:`archive_of`) the regular file ``name`` is, and its compression (one layer, as
    mapper unpacks records: ``("tar", "gzip")`` of ``recs.tar.gz``), or None: not one, not a regular
    file, not readable (the reader says why). Reads its first 512 bytes, unpacked."""
    try:
        if not stat.S_ISREG(os.stat(name).st_mode):
            return None
        with open(name, "rb") as f:
            head = f.read(6)
    except (OSError, ValueError):
        return None
    packed = compression_of(head)
    if packed == "zstd":
        return None  # (refused as zstd, which mapper cannot unpack)
    kind = archive_of(_unpacked_head(name, [packed] if packed else [], 512))
    if kind == "zip" and not packed:  # (its central directory read: a .npz file, or no ZIP; a compressed one is told by its start)
        kind = zip_kind(name)
    return None if kind is None else (kind, packed)


class ArchiveInput(InputError):
    """RECORDS that are archives (tar, compressed or not; ZIP), refused before any is read (``check_archives``) or by the
    reader once their first bytes tell (standard input whose first read did not, a ``<(...)`` pipe, ``/dev/stdin``):
    ``archives``, each input's name as given (``-``: standard input; ``""``: an input with no name, bytes) -> its kind and
    compression (:func:`file_archive`), said by :func:`archive_refusal` with ``command``, the command line that reads the
    text of the files each holds instead (None: the reader's, which knows no command line: a command gives its own, and
    the two say the same thing)."""

    def __init__(self, archives: Mapping[str, tuple[str, str | None]], command: str | None = None) -> None:
        self.archives = dict(archives)
        self.command = command
        super().__init__(archive_refusal(self.archives, command))

    def __reduce__(self) -> tuple[Any, ...]:  # (pickled as it was made: a worker's error reaches its parent)
        return type(self), (self.archives, self.command)


def archive_refusal(archives: Mapping[str, tuple[str, str | None]], command: str | None) -> str:
    """Why RECORDS that are ``archives`` (see :class:`ArchiveInput`) are not read, and what to give instead: ``command``
    (``tar -xOf recs.tar.gz | mapper validate sink.json -``), or, None, the one that writes the text of the one archive
    named, piped to mapper (``tar -xOf recs.tar | mapper ... -``); none for a .npz file (``mapper.read_batch`` reads it
    back) nor an input with no name. The one wording of every refusal of an archive, before reading or in it."""
    said = and_list(
        [
            f"{'standard input' if name == '-' else shown_name(name) if name else 'the input'} is {archive_what(kind, packed)}"
            for name, (kind, packed) in archives.items()
        ]
    )
    held = "the files it holds" if len(archives) == 1 else "the files they hold"
    if any(kind == "npz" for kind, _packed in archives.values()):
        command = ""
    elif command is None:  # (the reader's: the one input it read, named, its text piped to mapper)
        name, (kind, packed) = next(iter(archives.items()))
        command = f"{archive_text(name, kind, packed)} | mapper ... -" if name and len(archives) == 1 else ""
    return f"{said}, not records: mapper reads NDJSON, a JSON array or a request body, never {held}" + (f"; give their text, e.g. {command}" if command else "")


def zip_kind(name: str) -> str | None:
    """``"npz"`` when the ZIP archive ``name`` holds numpy arrays alone (``.npy``: a ``.npz`` file, as
    ``mapper map -o out.npz`` writes), ``"zip"`` for another, None when it is none (its first bytes alone say ``PK``)."""
    import zipfile

    try:
        with zipfile.ZipFile(name) as archive:
            names = archive.namelist()
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        return None
    return "npz" if names and all(n.endswith(".npy") for n in names) else "zip"


def archive_what(kind: str, packed: str | None) -> str:
    """What an archive (``kind``, compressed as ``packed``: :func:`file_archive`) is, said: ``a gzip-compressed tar archive``."""
    if kind == "npz":
        return "a .npz file (as mapper map -o out.npz writes: mapper.read_batch reads it back)"
    what = "ZIP archive" if kind == "zip" else "tar archive"
    return f"{'an' if packed == 'xz' else 'a'} {packed}-compressed {what}" if packed else f"a {what}"


def archive_text(name: str, kind: str, packed: str | None) -> str:
    """The shell command that writes the text of the files the archive ``name`` holds (``kind``, compressed as ``packed``:
    :func:`file_archive`) to standard output, for a hint to pipe into mapper: ``tar -xOf recs.tar.gz`` (tar tells a file's
    compression itself), ``unzip -p recs.zip``; a compressed ZIP written out unpacked first, beside it and never over a file,
    as unzip reads no compressed file nor pipe (``gzip -dc x.zip.gz > x.zip && unzip -p x.zip``). Of standard input, or
    another stream read once (:func:`read_once`), what it came from piped in (``... | tar -xzOf -``: GNU tar tells no pipe's
    compression), or, for unzip, written to a file first (``... > records.zip && unzip -p records.zip``)."""
    if name == "-" and (file := stdin_file()) is not None:  # (`< r.zip`: the file named, as unzip needs one)
        name = file
    if read_once(name):
        if kind == "tar":
            return f"... | tar -x{_TAR_UNPACKS.get(packed or '', '')}Of -"
        out = _unused("records", ".zip")
        return f"... | {packed} -dc > {out} && unzip -p {out}" if packed else f"... > {out} && unzip -p {out}"
    shown = pasted_name(name)
    if kind == "tar":
        return f"tar -xOf {shown}"
    if not packed:
        return f"unzip -p {shown}"
    stem, ending = _kind_split(_unpacked_stem(name), ".zip")
    out = _unused(stem, ending, own=name)
    return f"{packed} -dc {shown} > {out} && unzip -p {out}"


def stdin_file() -> str | None:
    """The regular file standard input reads (``mapper validate sink.json - < r.zip``), named as the user would, relative to
    the current directory when it is inside it; None for a pipe, a terminal, or where the system does not say (no /proc)."""
    try:
        opened = os.fstat(0)
        if not stat.S_ISREG(opened.st_mode):
            return None
        path = os.readlink("/proc/self/fd/0")
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    if (found.st_dev, found.st_ino) != (opened.st_dev, opened.st_ino):  # (renamed, removed: "(deleted)")
        return None
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


#: The option GNU tar reads a compressed archive from a pipe with (it tells a file's compression itself, a pipe's not:
#: ``tar -xOf -`` on gzip data is "Archive is compressed. Use -z option").
_TAR_UNPACKS = {"gzip": "z", "bzip2": "j", "xz": "J"}


#: The endings a file of each kind a hint writes (:func:`unpacked_file`'s ``ending``) may have: a name that
#: holds one keeps it (``serve.sqlite.gz``: ``serve.sqlite``).
_KIND_ENDINGS = {
    ".db": (".db", ".sqlite", ".sqlite3", ".db3"),
    ".json": (".json", ".ndjson", ".jsonl"),
    ".ndjson": (".ndjson", ".jsonl", ".json"),
    ".zip": (".zip",),
}


def _kind_split(name: str, ending: str) -> tuple[str, str]:
    """``name`` (a compressed file's, its compression's ending dropped) as the stem and the ending of the
    file of kind ``ending`` a hint writes it out to: its own ending of that kind, last (``serve.db``:
    ``serve``, ``.db``) or before others (``serve.db.bak``: ``serve``, ``.db``), else ``ending`` after the
    whole name (``serve``: ``serve``, ``.db``). :func:`_unused` adds ``-2``, ``-3`` between them while
    a file of that name is there (``serve-2.db``: ``serve.db.gz`` with ``serve.db`` beside it was told
    ``serve.db.gz.db``)."""
    folder, base = os.path.split(name)
    lowered = base.lower()
    for kind in _KIND_ENDINGS.get(ending, (ending,)):
        at = lowered.rfind(kind + ".") if not lowered.endswith(kind) else len(base) - len(kind)
        if at > 0:  # (a name that is only the ending, .db, keeps it: no hidden file named by its ending alone)
            return os.path.join(folder, base[:at]), base[at : at + len(kind)]
    return name, ending


#: The endings of a compressed file's or an archive's name, which no database file SQLite opens has (``serve --db``).
_ARCHIVE_ENDINGS = (
    *(end for end, _ in (*_PACKED_ENDINGS, *_TOOL_ENDINGS)),
    *(".tgz", ".tbz2", ".txz", ".tar", ".zip", ".7z", ".lzma", ".rar"),
)


def packed_database_name(name: str) -> tuple[str, str, str | None] | None:
    """For a database file not made yet, ``name``: its compressions' or archive's endings (``.gz``, ``.tar.gz``), the
    name to give the database instead, as :func:`shell_file` gives it (its endings of those kinds dropped, its own
    database ending kept, else ``.db`` added; ``-2`` before it while a file of that name is there: ``s3.db.tar.gz``,
    ``s3.db``), and that name when a file of it is there (``s3.db.gz`` beside ``s3.db``: the database meant, most
    likely), else None; None when it has no such ending. A name that is endings alone (``.gz``, ``.db``) is
    ``(name, serve.db, None)``, its whole name the endings: a hidden file named by its ending, no name. (A database is SQLite's file, read and
    written in place: made under a compressed file's name, it was taken for compressed data by the hints, and by
    whoever reads the name.)"""
    folder, given = os.path.split(name)
    base = given
    while (end := next((e for e in _ARCHIVE_ENDINGS if base.lower().endswith(e)), None)) is not None:
        base = base[: -len(end)]
    if given and base.lower() in ("", *_KIND_ENDINGS[".db"]):  # (endings alone: no name)
        return given, _unused(os.path.join(folder, "serve"), ".db"), None
    if base == given:
        return None
    stem, kind = _kind_split(os.path.join(folder, base), ".db")
    meant = os.path.join(folder, base)
    return given[len(base) :], _unused(stem, kind), shell_file(meant) if os.path.isfile(meant) else None


def _unused(stem: str, ending: str, own: str = "") -> str:
    """Where a hint's command writes (``> NAME``), as :func:`shell_file` gives it: the first of
    ``stem + ending``, then ``-2`` ... ``-9`` before ``ending``, that no file (nor link) has and is
    not the input's ``own`` (the last if all are taken): never over a file (``>`` would empty one
    before it is read)."""
    names = [stem + ending, *(f"{stem}-{n}{ending}" for n in range(2, 10))]
    return shell_file(next((name for name in names if name != own and not os.path.lexists(name)), names[-1]))


#: The endings of a JSON text file's name, which :func:`new_file_beside` drops before adding its own.
_JSON_ENDINGS = (".ndjson", ".jsonl", ".json")


def _unpacked_stem(name: str) -> str:
    """``name`` without its compressions' endings (``r.ndjson.gz.gz``: ``r.ndjson``; a name that is only an ending keeps it)."""
    packed = [end for end, _ in (*_PACKED_ENDINGS, *_TOOL_ENDINGS)]
    while (end := next((e for e in packed if name.lower().endswith(e)), None)) and not name[: -len(end)].endswith("/"):
        name = name[: -len(end)]
    return name


def new_file_beside(file: str | os.PathLike[Any] | None, ending: str, stem: str = "FILE") -> str:
    """The name of a new file beside the input ``file`` for a hint's command to write (``> NAME``), as
    :func:`shell_file` gives it: ``file``'s own without its compressions' endings and then a JSON one,
    with ``ending`` (``search.json.gz``, ``.ndjson``: ``search.ndjson``), ``-2``, ``-3`` before
    ``ending`` while a file of that name is there (``pad.ndjson.gz``: ``pad-2.ndjson.gz``): never
    over a file, as :func:`unpacked_file` writes (``> records.ndjson`` in the current directory
    replaced whatever was there). ``FILE`` and ``ending`` (``FILE.ndjson``) without a name; given a
    ``stem`` (``sink``), that and ``ending``, never over a file, as from a file (``sink.json``, ``sink-2.json``)."""
    if file is None or shell_file(file) == "FILE":
        return f"FILE{ending}" if stem == "FILE" else _unused(stem, ending)
    own = os.fsdecode(file)
    stem = _unpacked_stem(own)
    end = next((end for end in _JSON_ENDINGS if stem.lower().endswith(end)), "")
    if end and not stem[: -len(end)].endswith("/"):  # (a name that is only the ending keeps it: no hidden ".ndjson")
        stem = stem[: -len(end)]
    return _unused(stem, ending, own)


def unpacked_text_name(file: str | os.PathLike[Any] | None) -> str:
    """Where a hint writes the text of the input ``file``, every layer of compression unpacked, as
    :func:`shell_file` gives it: beside the file, its name without its compressions' endings
    (``r.ndjson.gz.gz``: ``r.ndjson``; ``.ndjson`` added to a name that says no JSON), or
    ``records.ndjson`` where there is no name (standard input); never a file there (``-2``,
    ``-3`` before the ending: ``> records.ndjson`` replaced the user's records of that name)."""
    stem = "records.ndjson" if shell_file(file) == "FILE" else _unpacked_stem(os.fsdecode(file))  # type: ignore[arg-type]
    base, ext = os.path.splitext(stem)
    if ext.lower() not in _JSON_ENDINGS:
        base, ext = stem, ".ndjson"
    return _unused(base, ext)


def encoding_note(head: bytes, subject: str = "the input", file: str | os.PathLike[Any] | None = None) -> str:
    """The note on JSON text written in UTF-16 or UTF-32 (a Windows tool's "Unicode"), which no
    JSON reader of the endpoint's takes (JSON is UTF-8, RFC 8259): every record of such an
    input fails "invalid character at char 1", a sink definition "invalid byte 0xff", which
    says nothing of why; else ``""``. ``head``: the text's first bytes (256 are plenty);
    ``file``: its name, for the command that converts it (:func:`shell_file`)."""
    for name, start in _WIDE_TEXT:
        if start.match(head) and _reads_as_json(head, name):
            return f"{subject} is {name} text, not UTF-8 as JSON must be (and the endpoint reads it): convert it first, e.g. `{text_command(f'iconv -f {name} -t UTF-8', file)}`"
    return ""


#: The first bytes of files that are no JSON text, and what each is (a file mapper map wrote, the
#: database mapper serve stored into, among them): named as such, with where the data is read
#: (``{file}``: the file's name, shell-quoted, :func:`shell_file`).
_BINARY_FORMATS = (
    (b"PK\x03\x04", "a ZIP archive (a .npz file, as mapper map -o out.npz writes, is one)", "mapper.read_batch reads a .npz file mapper wrote back"),
    (b"PK\x05\x06", "a ZIP archive (a .npz file, as mapper map -o out.npz writes, is one)", "mapper.read_batch reads a .npz file mapper wrote back"),
    (b"PAR1", "a Parquet file", "mapper.read_batch reads a .parquet file mapper wrote back"),
    (b"ARROW1", "an Arrow IPC file", "mapper.read_batch reads an .arrow file mapper wrote back"),
    (b"\x93NUMPY", "a numpy .npy file", ""),
    (SQLITE_MAGIC, "an SQLite database", "mapper serve --db {file} --query SINK_ID prints the rows a mapper serve database holds"),
)


def binary_note(head: bytes, subject: str = "the input", file: str | os.PathLike[Any] | None = None) -> str:
    """The note on an input that is no text at all (every record of it refused "invalid character
    at char 1", which says nothing of why): a file mapper map wrote (.npz, .parquet, .arrow), a
    serve database, or bytes holding NUL; else ``""``. Asked after :func:`encoding_note` (UTF-16
    text holds NULs too). ``head``: the input's first bytes; ``file``: its name, for the command
    that reads it (:func:`shell_file`). Compressed data (a records input's text, its one layer of
    compression unpacked, as every command unpacks one: gzip in gzip) is said so, with the command
    that unpacks the rest (the outer layer's tool first, as :func:`text_command` gives it)."""
    packed = compression_of(head)
    if packed is not None:
        return (
            f"{subject} is compressed twice: its text, once unpacked, is {packed}-compressed data again, not JSON text "
            f"(mapper unpacks one layer of compression): unpack both first, e.g. `{text_command(f'{packed} -dc', file)} > {unpacked_text_name(file)}`"
        )
    what, instead = binary_kind(head, file=file)
    if not what:
        return ""
    return f"{subject} is {what}, not JSON text: give the records as NDJSON, a JSON array or a request body{f' ({instead})' if instead else ''}"


def binary_kind(head: bytes, compressed: bool = False, file: str | os.PathLike[Any] | None = None) -> tuple[str, str]:
    """What bytes that are no text are, by their first bytes (``head``), and where such data is
    read instead (or ``""``); ``("", "")`` for text. ``compressed``: name compressed data too
    (a sink file: records are unpacked as they are read, a definition is not; ``file``, its name,
    goes in the command that unpacks it, and in the one that reads a serve database)."""
    if compressed and head.startswith((b"PK\x03\x04", b"PK\x05\x06")) and file is not None and os.path.isfile(file):
        # (a sink file that is a ZIP archive, not a .npz file: the sink definition written out of it, as of a tar)
        name = os.fsdecode(file)
        member = _named_member(name, "zip", ".json") if zip_kind(name) == "zip" else None
        if member is not None:
            stem, ending = _kind_split(os.path.basename(member), ".json")
            out = _unused(stem, ending, own=name)
            taken = shown_name(shlex.quote(member))
            shown = shell_file(file)
            return archive_what("zip", None), f"unpack it first: unzip -p {shown} {taken} > {out} (unzip -l {shown} lists the files it holds), then give {out}"
    for magic, what, instead in _BINARY_FORMATS:
        if head.startswith(magic):
            if "{file}" not in instead:
                return what, instead
            unpack, name = unpacked_file(file, ".db", stem="serve")  # (a compressed database, an input unpacked as read: written out first)
            return what, unpack + instead.format(file=name)
    if compressed and tar_header(head):  # (a sink file that is a tar archive: its ASCII and NULs read as "not valid JSON")
        unpack, name = unpacked_file(file, ".json", stem="sink") if file is not None and not read_once(os.fsdecode(file)) else ("", "")
        return archive_what("tar", None), f"unpack it first: {unpack}give {name}" if unpack else ""
    if compressed and (packed := compression_of(head)) is not None:
        # (the text written beside it, never over a file: `> sink.json` in the current directory
        # replaced whatever definition was there)
        # (standard input, or another stream read once: what it came from unpacked)
        unpack, name = unpacked_file(file, ".json", tool=packed if read_once(os.fsdecode(file)) else None, stem="sink") if file is not None else ("", "")
        if unpack:
            layers, member = packed_layers(os.fsdecode(file), packed) if file is not None and os.path.isfile(file) else ([packed], None)
            what = f"{packed}-compressed data" + "".join(f", {inner}-compressed inside" for inner in layers[1:])
            return (archive_what("tar", packed) if member is not None else what), f"unpack it first: {unpack}give {name}"
        return (
            f"{packed}-compressed data",
            f"unpack it first: {packed} -dc {shell_file(file)} > {_unused('sink', '.json')}",
        )
    if b"\x00" in head[:256]:
        return "binary data (it holds NUL bytes)", ""
    return "", ""


def _reads_as_json(head: bytes, name: str) -> bool:
    """Whether ``head`` read as ``name`` (UTF-16 or UTF-32, its byte order from the mark or the
    zero bytes) starts with JSON text (a JSON value's first character after blanks): a byte order mark alone
    (a stray line of UTF-8 NDJSON, the records after it stored) is no such text."""
    unit = 2 if name == "UTF-16" else 4
    if head[:unit] in (b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        codec = name.lower()  # (the mark says the byte order, and is dropped)
    else:
        codec = f"{name.lower()}-{'le' if head[:1] in (b'{', b'[') else 'be'}"
    text = head[: min(len(head), 256) // unit * unit].decode(codec, errors="replace")
    first = text.lstrip("\ufeff \t\r\n")[:1]
    return first != "" and first in '{["-0123456789tfn'


def released_reason(value: Any, what: str) -> str | None:
    """Why ``value``, given as ``what`` (``the records``), cannot be read when it is a memoryview already released
    (``memoryview.release()``: its bytes are gone, and every use of it was a ValueError from inside); None for anything else."""
    if not isinstance(value, memoryview):
        return None
    try:
        value.nbytes  # noqa: B018 - (the one question a released view refuses without reading it)
    except ValueError:
        return f"{what} came as a released memoryview: its bytes are gone (memoryview.release() was called before they were read); give it unreleased, or bytes(view)"
    return None


def scalar_array_reason(value: Any, what: str) -> str | None:
    """Why ``value``, given as ``what`` (``the records``), cannot be read when it is a 0-dimensional numpy
    array (``np.array(text)``, ``np.array(record, dtype=object)``): it holds one value, and, an ``ndarray``
    having ``__iter__``, it passes for an iterable whose iteration is numpy's TypeError ("iteration over a
    0-d array") from inside; None for anything else (numpy is not imported to tell)."""
    if getattr(value, "ndim", None) != 0 or not any(k.__module__ == "numpy" and k.__name__ == "ndarray" for k in type(value).__mro__):
        return None
    return (
        f"{what} came as a 0-dimensional numpy array ({show(value)}): it holds one value and has no items to read; "
        "give that value (array.item()) or a one-dimensional array"
    )


def given_bytes(value: bytes | bytearray | memoryview, what: str) -> bytes:
    """``bytes(value)``, or for a memoryview already released an :class:`InputError` saying so (:func:`released_reason`)."""
    try:
        return bytes(value)
    except ValueError:
        released = released_reason(value, what)
        if released is None:  # pragma: no cover - (bytes() of a bytes-like raises nothing else)
            raise
        raise InputError(released) from None


def no_set_reason(records: Any, call: str) -> str:
    """Why records given as a set are refused: a set has no order, so records would be
    numbered (and cut into batches and bodies) differently from run to run, and equal
    records given twice are one."""
    return (
        f"{call} was given the records as a {type(records).__name__}, which has no order (records would be numbered differently "
        f"from run to run) and holds equal records once: pass them as a list (list(records), or sorted(records) for a stable order)"
    )
