"""Column paths: the endpoint's key arrays, and path strings as the UI writes them.

The endpoint takes a path as an array of object keys (``["data", "aircraftId"]``).
As an extension, `mapper` also takes a string:

* ``data.aircraftId`` - keys separated by dots (the UI's dot notation);
* ``data."a.b"`` - a key with a dot or any other special character is written as a
  JSON string (JMESPath's quoting);
* anything else (``items[0].id``, ``tags[*].name``, ``a || b``) is a JMESPath
  expression, kept as such and evaluated with ``jmespath`` (compiled once). JMESPath
  returns ``null`` both for an explicit null and for a missing key, so such a column
  cannot tell them apart: ``mapper`` treats its ``null`` as *missing*.

Unquoted keys may contain any character except whitespace and
``. " ' [ ] { } ( ) | * @ & ! , : ? = < > ` \\``.
"""

from __future__ import annotations

import bisect
import difflib
import json
import re
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import jmespath
import jmespath.exceptions
import jmespath.functions

from .errors import OptionError, PathSyntaxError, elided, escape_controls, escaped_json, has_controls, has_lone_surrogate, json_text, preview

# Characters that end an unquoted key; most of them mean the text is a JMESPath
# expression rather than a plain chain of keys.
_SPECIAL = set(" \t\r\n\f\v.\"'[]{}()|*@&!,:?=<>`\\")
_IDENTIFIER_START = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENTIFIER_REST = _IDENTIFIER_START | set("0123456789")
#: The deepest path, a column's or the records' (each key is a nested Struct for the decoders,
#: which cannot be built past about 1,000; real records nest far less).
MAX_PATH_KEYS = 100
#: The longest JMESPath expression a path string may be, in characters (a chain of keys, however long,
#: is no expression). The library parses at about 2 µs a character (a megabyte of ``a || a || ...``
#: took 2.5 s, and check and the UI's preview each parsed it): a column's expression is a line or
#: two, and one of 64 Ki characters is no path written on purpose.
MAX_EXPRESSION_LENGTH = 65_536


@dataclass(frozen=True, slots=True)
class Path:
    """Where a column's value is in a record.

    Exactly one of ``keys`` (a plain chain of object keys) and ``expression`` (a
    JMESPath expression) is set. ``text`` is how the definition wrote it.
    """

    keys: tuple[str, ...] | None
    expression: str | None = None
    text: str = ""

    @property
    def is_plain(self) -> bool:
        return self.keys is not None

    def compiled(self) -> Any:
        """The compiled JMESPath expression (only for non-plain paths)."""
        if self.expression is None:
            raise ValueError("a plain key path has no JMESPath expression")
        return jmespath.compile(self.expression)

    def jsonpath(self) -> str:
        """The path as shown in messages: ``$.data.altitude``, ``$["a.b"]``."""
        if self.keys is None:
            return f"$.{self.expression}" if self.expression else "$"
        return "$" + "".join(_jsonpath_step(k) for k in self.keys)

    def as_array(self) -> list[str] | None:
        return list(self.keys) if self.keys is not None else None

    def __str__(self) -> str:
        return self.text or self.jsonpath()


def _jsonpath_step(key: str) -> str:
    if key and key[0] in _IDENTIFIER_START and all(c in _IDENTIFIER_REST for c in key):
        return "." + key
    # (DEL and the C1 controls as escapes too, as to_dot_notation writes them: the path is shown on terminals)
    return "[" + escape_controls(json.dumps(key, ensure_ascii=False)) + "]"


_JQ_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def jq_path(keys: tuple[str, ...] | list[str]) -> str:
    """jq's path to ``keys`` (``.data.items``, ``.["my feed"]``, ``.data["a.b"]``: a key that is
    no identifier in brackets, as its JSON string), for advice to a reader that has no
    ``--records-path`` (spark-validate, the web UI's paste and sample record)."""
    out = ""
    for k in keys:
        if _JQ_IDENTIFIER.fullmatch(k):
            out += f".{k}"
        else:  # (a control character as its JSON escape, as to_dot_notation writes it)
            out += ("" if out else ".") + f"[{escaped_json(json.dumps(k, ensure_ascii=False))}]"
    return out


def to_dot_notation(keys: tuple[str, ...] | list[str]) -> str:
    """The shortest path string that parses back to ``keys``."""
    parts: list[str] = []
    for k in keys:
        # (a control character is quoted too, as its JSON escape: a label printed raw could move a terminal's
        # cursor; a bidi or invisible one, which escape_controls escapes, could reorder or hide the text around it;
        # a first key "$" too, which unquoted reads as JSONPath's root: check warns of it, path-root)
        if k and not any(c in _SPECIAL for c in k) and not has_controls(k) and (parts or k != "$"):
            parts.append(k)
        else:
            parts.append(escaped_json(json.dumps(k, ensure_ascii=False)))
    return ".".join(parts)


def split_paths(text: str) -> list[str]:
    """Comma-separated paths (``--primary-key-fields a.b,c``), split at the commas outside their
    quoted keys: ``"a,b",c`` is the key ``a,b`` and ``c`` (a backslash in quotes escapes the next
    character, as in JSON). Each path is stripped; an empty one stays, for the caller to refuse."""
    parts: list[str] = []
    start = 0
    for i, c in _outside_quotes(text):
        if c == ",":
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts


def _outside_quotes(text: str) -> Iterator[tuple[int, str]]:
    """Each character of ``text`` outside its quoted keys, with its index (the quotes themselves
    not; a backslash in quotes escapes the next character, as in JSON)."""
    quoted = False
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if quoted and c == "\\":
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif not quoted:
            yield i, c
        i += 1


def path_from_keys(keys: list[str] | tuple[str, ...]) -> Path:
    """A path given as the endpoint's array of keys (a ``str`` subclass's key as its plain text,
    as a JSON text of the definition would give it: msgspec takes only plain ``str`` names)."""
    keys = tuple(k if k.__class__ is str else str.__str__(k) for k in keys)
    return Path(keys=keys, text=to_dot_notation(keys))


@dataclass(frozen=True, slots=True)
class Descent:
    """A path string written with JSONPath's recursive descent (``$..x``, ``..x``, ``$.data..x[0]``): the key
    after the ``..`` (found at any depth), the keys before it (``data``; none: from the root) and what follows
    it, as written (``[0]``, ``.y``). mapper's paths (and JMESPath) have no such step: each key is named."""

    before: tuple[str, ...]
    key: str
    after: str

    def written(self, keys: tuple[str, ...]) -> str:
        """The path string that reads the key at ``keys`` (from where the descent starts, the key last) and
        what followed it: ``data.x[0]``; ``""`` when that does not parse."""
        text = to_dot_notation(self.before + keys) + self.after
        return text if _parses(text) else ""


def descent(text: str) -> Descent | None:
    """:class:`Descent` of a path string written with JSONPath's recursive descent, from the root (``$..x``,
    ``..x``, ``$.data..x``); None for any other text (``a..b`` is two dots in a row, no JSONPath)."""
    bare = text.strip(" \t\n\r")
    if bare.startswith("$.."):
        at = 1
    elif bare.startswith(".."):
        at = 0
    elif bare.startswith("$.") and ".." in bare:
        at = bare.index("..")
    else:
        return None
    head = bare[2:at] if at > 1 else ""
    try:
        before = tuple(parse_path(head).keys or ()) if head else ()
    except PathSyntaxError:
        return None
    rest = bare[at + 2 :]
    quoted = _BRACKETED_KEY.match(rest)
    if quoted is not None:  # ($..['my key'])
        key, end = _bracket_text(quoted[1]) or "", quoted.end()
    elif rest.startswith('"'):
        try:
            key, end = _read_quoted(rest, 0)
        except PathSyntaxError:
            return None
    else:
        end = 0
        while end < len(rest) and rest[end] not in _SPECIAL:
            end += 1
        key = rest[:end]
    if not key or "\0" in key:
        return None
    return Descent(before, key, rest[end:])


def descent_hint(text: str, what: str = "path") -> str:
    """For a path string written with JSONPath's recursive descent (:func:`descent`): that it is, and what to
    write instead; ``""`` for any other text. ``what``: ``path`` (a column's, from the record's first key) or
    ``records path`` (from the document's, to the array of records)."""
    found = descent(text)
    if found is None:
        return ""
    key = escape_controls(to_dot_notation([found.key]))
    start = "the record's first key" if what == "path" else "the document's first key"
    chain = [found]  # (each descent of the path: $.a..b..c holds two)
    while ".." in chain[-1].after and len(chain) <= _MOST_DESCENTS:
        later = descent("$" + chain[-1].after if chain[-1].after.startswith("..") else "$." + chain[-1].after.lstrip("."))
        if later is None:
            break
        chain.append(later)
    last = escape_controls(to_dot_notation([chain[-1].key]))
    target = f"{last}" if what == "path" else f"the array {last}"
    said = f".. is JSONPath's recursive descent ({key} at any depth), which a {what} does not take (nor does JMESPath): name each key from {start} down to {target}"
    example = _descent_example(text, chain, what == "path")
    return f"{said}, as in {elided(escape_controls(example), quote=str)}" if example else said


#: The most descents of one path :func:`descent_hint` writes an example for.
_MOST_DESCENTS = 8


def _descent_example(text: str, chain: list[Descent], after: bool) -> str:
    """The path :func:`descent_hint` shows for the descents of ``text`` (``chain``, in order): two keys on the way
    at each ``..`` (``a.b``), named by letters ``text`` holds as no key of its own (``$.a..b``: ``a.c.d.b``, not ``a.a.b.b``),
    and what follows the last (``after``: a column path's ``[0]``; a records path ends at its array); ``""`` where
    that does not parse (a ``..`` left in it: a quoted key holding one)."""
    taken = set(re.findall(r"[A-Za-z0-9_]+", text))
    free = iter([c for c in "abcdefghijklmnopqrstuvwxyz" if c not in taken] + [f"k{n}" for n in range(1, 99) if f"k{n}" not in taken])
    keys: list[str] = []
    for step in chain:
        keys += [*step.before, next(free), next(free), step.key]
    example = to_dot_notation(keys) + (chain[-1].after if after else "")
    return example if ".." not in chain[-1].after and _parses(example) else ""


def parse_path(text: str) -> Path:
    """Parse a path string into a :class:`Path`; raise :class:`PathSyntaxError` with the position
    (a ``text`` that is no ``str`` is a ``TypeError``, as Python's own parsers raise)."""
    if not isinstance(text, str):
        raise TypeError("a path string must be a str")
    if not text.isascii() and has_lone_surrogate(text):
        at = next(i for i, c in enumerate(text) if "\ud800" <= c <= "\udfff")
        raise PathSyntaxError("the path holds half of a UTF-16 surrogate pair: it is not Unicode text", text, at)
    try:
        keys = _parse_plain(text)
    except PathSyntaxError as exc:
        hint = descent_hint(text)
        if hint:  # ($..x: "empty key ... at character 3" alone)
            raise PathSyntaxError(exc.message, text, exc.position, hint) from None
        if exc.position == 0 and text.startswith(".") and not text.startswith(".."):  # (jq's .data.x: "empty key" alone)
            meant = _after_root(text[1:])
            if meant:
                raise PathSyntaxError(
                    exc.message, text, 0, f"a path starts at the record's first key, without jq's leading dot: write {elided(escape_controls(meant))}"
                ) from None
        raise
    if keys is not None:
        return Path(keys=tuple(keys), text=text)
    if len(text) > MAX_EXPRESSION_LENGTH:  # (said before the library's parse, which takes seconds a megabyte)
        raise PathSyntaxError(
            f"invalid path: the expression is {len(text):,} characters; mapper takes JMESPath expressions of at most {MAX_EXPRESSION_LENGTH:,}",
            text,
            0,
            whole=True,
        )
    return _parse_jmespath(text)


def _parse_plain(text: str) -> list[str] | None:
    """Parse ``a.b."c.d"``; return None when the text is not a plain chain of keys.

    Raises PathSyntaxError for mistakes that are errors whatever the reading
    (an empty key between dots, an unterminated quote).
    """
    keys: list[str] = []
    i, n = 0, len(text)
    if n == 0:
        raise PathSyntaxError("empty path", text, 0)
    while True:
        if i >= n:
            raise PathSyntaxError("expected a key after '.'", text, i)
        c = text[i]
        if c == '"':
            key, i = _read_quoted(text, i)
            keys.append(key)
        elif c == ".":
            raise PathSyntaxError("empty key (two dots in a row, or a leading dot)", text, i)
        elif c in _SPECIAL:
            return None
        else:
            start = i
            while i < n and text[i] not in _SPECIAL:
                i += 1
            keys.append(text[start:i])
        if i == n:
            return keys
        if text[i] != ".":
            return None
        i += 1


#: The whitespace JMESPath's lexer skips between tokens.
_JMESPATH_SPACE = frozenset(" \t\n\r")


def skipped_spaces(path: Path) -> tuple[str, ...] | None:
    """For a plain path whose string holds whitespace outside its quoted keys (``" a "``,
    ``"a . b"``), which JMESPath skips (it reads ``["a"]``): the keys the string would be
    read as literally, the text between its dots, or ``()`` when the string quotes a key
    (no one literal reading then). None when nothing is skipped, or the path is no chain of keys."""
    if path.keys is None:
        return None
    text = path.text
    if not any(c in _JMESPATH_SPACE for _, c in _outside_quotes(text)):
        return None
    return () if '"' in text else tuple(text.split("."))


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a JSON string literal starting at ``text[start] == '"'``; return (value, end)."""
    i, n = start + 1, len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            literal = text[start : i + 1]
            try:
                value = json.loads(literal)
            except ValueError as exc:
                pos = start + getattr(exc, "pos", 0)
                raise PathSyntaxError(f"invalid quoted key: {getattr(exc, 'msg', exc)}", text, pos) from None
            if has_lone_surrogate(value):
                raise PathSyntaxError("the quoted key escapes half of a UTF-16 surrogate pair: it is not Unicode text", text, start)
            return value, i + 1
        if ord(c) < 0x20:
            raise PathSyntaxError("control character in a quoted key (escape it)", text, i)
        i += 1
    raise PathSyntaxError("unterminated quoted key", text, start)


def _parse_jmespath(text: str) -> Path:
    """:func:`_parse_jmespath_here` on a thread of its own: the library parses recursively and
    check evaluates what reads nothing of the record, so the verdict on a deep expression
    depended on how deep in its stack the caller was (a test runner's or a web handler's
    stack refused what a script's took). A new thread's stack is the same for every caller."""
    result: list[Any] = []

    def parse() -> None:
        try:
            result.append(_parse_jmespath_here(text))
        except BaseException as exc:  # (handed to the caller: raised there)
            result.append(exc)

    worker = threading.Thread(target=parse, name="mapper-path-parse", daemon=True)
    worker.start()
    worker.join()
    if isinstance(result[0], BaseException):
        raise result[0]
    return result[0]


#: The characters :data:`_SPECIAL` holds that are not white space: a key between dots holds none of them.
_NOT_IN_KEY = frozenset(_SPECIAL) - frozenset(" \t\r\n\f\v")


def _spaced_keys_hint(text: str, listed: Callable[[str], str] = str) -> str:
    """For a path string that is keys between dots, one holding white space (``data.my key``,
    which JMESPath cannot parse): how to write it (``data."my key"``, or the array of keys, its text
    quoted by ``listed``: bare, as a sink's JSON holds it; ``repr``, as an option's value is pasted); for
    an expression whose keys in dot notation hold white space (``my key.b[0]``), the expression
    with them quoted (``"my key".b[0]``), when that parses; ``""`` for any other text."""
    keys = _spaced_keys(text)
    if keys is None:
        quoted = _spaced_quoted(text)
        quoted = quoted and (_number_literals(quoted) or quoted)  # (my key[?n > 1]: the number in backticks too)
        if quoted is None or not _parses(quoted):
            return ""
        return f"a key holding white space is written in double quotes: write {elided(escape_controls(quoted))}"
    array = elided(json_text(keys), quote=listed)
    # (quoted as the expression's hint quotes what to write: a."my key" bare, pasted into a shell, lost its double quotes)
    return f"a key holding white space is written in double quotes: write {elided(escape_controls(to_dot_notation(keys)))} (or give the path as an array of keys: {array})"


def _spaced_quoted(text: str) -> str | None:
    """``text`` with each key written in dot notation that holds white space (after the path's
    start or a dot, before a dot, a bracket or the end: ``my key.b[0]``, ``a[0].my key``) in double
    quotes, as its JSON string (``"my key".b[0]``), the white space around it dropped as JMESPath
    drops it; the quoted parts of ``text`` (found by :class:`_Code`, as every check finds them) kept as
    they are. None when no key is so written."""
    code = _Code(text)
    out: list[str] = []
    changed = False
    i, n = 0, len(text)
    for start, end in zip([*code.starts, n], [*code.ends, n]):
        while i < start:  # (the text before a quoted part: no key runs into one, a quote being no key's character)
            c = text[i]
            if c in _NOT_IN_KEY:
                out.append(c)
                i += 1
                continue
            j = i
            while j < start and text[j] not in _NOT_IN_KEY:
                j += 1
            run, key = text[i:j], text[i:j].strip(" \t\n\r")
            if key and any(ch in _JMESPATH_SPACE for ch in key) and text[i - 1 : i] in ("", ".") and text[j : j + 1] in ("", ".", "["):
                out.append(to_dot_notation([key]))
                changed = True
            else:
                out.append(run)
            i = j
        out.append(text[start : end + 1])  # (a quoted key or literal, whole; the end's is empty)
        i = end + 1
    return "".join(out) if changed else None


#: A number beside a comparison in a filter, as JSONPath and most languages write one (``[?n > 1]``, ``[?1 < n]``),
#: which JMESPath reads only as a literal in backticks (`` `1` ``): the number, what is around it kept.
_BARE_NUMBER = re.compile(
    r"(?<=[=<>])(\s*)(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)(?=\s*(?:[\])&|,]|\Z))|(?<=[?(&|,])(\s*)(-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)(?=\s*[=<>!])"
)


def _number_literals(text: str) -> str | None:
    """``text`` with each number compared in a filter, outside its quoted parts, written as JMESPath's literal,
    in backticks (``items[?n > 1]``: ``items[?n > `1`]``); None when there is none."""
    code = _Code(text)
    out, at = [], 0
    for m in _BARE_NUMBER.finditer(text):
        k = bisect.bisect_right(code.starts, m.start()) - 1
        if k >= 0 and m.start() <= code.ends[k]:  # (inside a quoted key or a literal)
            continue
        space, number = (m[1], m[2]) if m[2] is not None else (m[3], m[4])
        out.append(f"{text[at : m.start()]}{space}`{number}`")
        at = m.end()
    return "".join(out) + text[at:] if out else None


def _number_literal_hint(text: str) -> str:
    """For an expression JMESPath cannot parse that compares a number written bare (``items[?n > 1]``): the
    expression with the number in backticks, when that parses; ``""`` for any other text."""
    meant = _number_literals(text)
    if meant is None or not _parses(meant):
        return ""
    return f"a number in a JMESPath expression is a literal, written in backticks: write {elided(escape_controls(meant))}"


#: A key in single quotes where a path's key stands (its start, after a dot, before a dot, a bracket or the end):
#: JMESPath's raw string literal, not a key (``'my key'.b`` is the string's ``b``: null on every record).
_SINGLE_QUOTED_KEY = re.compile(r"(?:(?<=\.)|\A)'((?:[^'\\]|\\.)*)'(?=[.\[]|\Z)")


def single_quoted_keys_hint(text: str) -> str:
    """For a path string that writes a key in single quotes (``'my key'.b``, ``data.'x'``, ``data['x']``), which
    JMESPath reads as a string, not a key: the path with those keys as keys (``"my key".b``, ``data.x``), when it
    parses; ``""`` for any other text. Said of a path refused, and of one taken (``'my key'.b`` parses: it reads
    nothing of the record), in check's warning on its expression."""
    keyed = _unbracketed(text) if "['" in text else text
    meant = _SINGLE_QUOTED_KEY.sub(lambda m: to_dot_notation([m[1].replace("\\'", "'")]), keyed)
    if meant == text or not _parses(meant):
        return ""
    keys = _parse_plain(meant)
    meant = meant if keys is None else to_dot_notation(keys)
    return f"a key in single quotes is JMESPath's string, not a key (a key is quoted in double quotes): write {elided(escape_controls(meant))}"


def _parses(text: str) -> bool:
    """Whether ``text`` parses as a path string: a chain of keys, or an expression the library
    compiles (its parse alone: what a hint says to write, tried without a hint of its own)."""
    try:
        if _parse_plain(text) is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PendingDeprecationWarning)
                jmespath.compile(text)
    except (PathSyntaxError, jmespath.exceptions.JMESPathError, ValueError, TypeError, RecursionError):
        return False
    return True


def _spaced_keys(text: str) -> list[str] | None:
    """The keys of a path string that is keys between dots, one holding white space (``data.my key``);
    None for any other text. A key's own white space is kept, the space around it dropped, as JMESPath
    drops it around a quoted key."""
    parts = text.split(".")
    if not all(p.strip(" \t\n\r") and not any(c in _NOT_IN_KEY for c in p) for p in parts):
        return None
    keys = [p.strip(" \t\n\r") for p in parts]
    return keys if any(c in _JMESPATH_SPACE for k in keys for c in k) else None


def root_dollar(text: str) -> str | None:
    """For a path string written from the record's root, as JSONPath and mapper's own messages write
    paths (``$.data.x``, ``$``): the path string a definition means (``data.x``; ``""`` for ``$``
    alone, which names no key); None for any other string. Such a string reads a key named
    ``$`` first (a record may have one), so it is said, not refused."""
    if text == "$":
        return ""
    return text[2:] if text.startswith("$.") else None


def _root_hint(text: str) -> str:
    """For an expression JMESPath cannot parse that starts at the record's root (``$.items[0]``):
    how to write it; ``""`` for any other text."""
    if not text.startswith("$"):
        return ""
    rest = root_dollar(text)
    if rest is None and text.startswith("$["):  # ($["my key"].b, $['a']: a key in brackets, as JSONPath writes one)
        rest = _unbracketed(text[1:])
        rest = "" if rest == text[1:] else rest
    meant = _after_root(_unbracketed(rest or ""))
    instead = f": write {elided(escape_controls(meant))}" if meant else ""
    return f"a path starts at the record's first key, without JSONPath's $ for the record itself (which mapper's messages write){instead}"


def _after_root(rest: str) -> str:
    """The path string ``rest`` (what follows ``$.``) written so that it parses, as the keys and
    expression it reads (a key with white space quoted, ``my key``: ``"my key"``; a first key ``$``
    quoted, ``$.x[0]``: ``"$".x[0]``, as a key named so is written); ``""`` when it does not parse so.
    Tried without a hint of its own (the library's parse alone: no path within a path's hint)."""
    spaced = _spaced_keys(rest) if rest else None
    if spaced is not None:
        return to_dot_notation(spaced)
    meant = '"$"' + rest[1:] if rest.startswith(("$.", "$[")) or rest == "$" else rest
    meant = _spaced_quoted(meant) or meant  # ($.my key.b[0]: '"my key".b[0]')
    meant = _number_literals(meant) or meant  # ($.items[?n > 1]: 'items[?n > `1`]')
    if not meant or not _parses(meant):
        return ""
    keys = _parse_plain(meant)
    return meant if keys is None else to_dot_notation(keys)  # ($['a']: 'a', not '"a"')


#: a run of digits longer than Python's int() reads from text
_LONG_NUMBER = re.compile(r"[0-9]{4301,}")


def _parse_jmespath_here(text: str) -> Path:
    try:
        with warnings.catch_warnings():  # jmespath warns on its old `literal` syntax; it still parses
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            parsed = jmespath.compile(text)
    except jmespath.exceptions.JMESPathError as exc:
        pos = getattr(exc, "lex_position", None)
        if not isinstance(pos, int):
            pos = len(text)
        msg = getattr(exc, "msg", None) or str(exc).splitlines()[0]
        # (the library quotes the token it did not expect as decoded: a quoted key's \u001b is an ESC, and a token may be the whole path)
        # (white space around the path JMESPath skips: ` $.a` is told as `$.a` is)
        bare = text.strip(" \t\n\r")
        hint = _root_hint(bare) or _spaced_keys_hint(bare) or _number_literal_hint(bare) or single_quoted_keys_hint(bare)
        raise PathSyntaxError(f"invalid path: {escape_controls(preview(msg, 200))}", text, pos, hint) from None
    except RecursionError:  # the library parses recursively too
        raise PathSyntaxError(TOO_DEEP, text, 0) from None
    except (ValueError, TypeError) as exc:  # jmespath internals on hostile input
        long_number = _LONG_NUMBER.search(text)
        if long_number is not None:  # the lexer's int() of an index or slice bound
            digits = long_number.end() - long_number.start()
            raise PathSyntaxError(
                f"invalid path: a number of {digits:,} digits (an index or slice bound takes at most 4,300)", text, long_number.start()
            ) from None
        raise PathSyntaxError(f"invalid path: {escape_controls(preview(f'{exc.__class__.__name__}: {exc}', 200))}", text, 0) from None
    try:
        keys = _field_chain(parsed.parsed)
        if keys is not None:
            return Path(keys=tuple(keys), text=text)
        if _evaluation_frames(parsed.parsed) > MAX_EVALUATION_FRAMES:  # it would fail on every record
            raise PathSyntaxError(TOO_DEEP, text, 0)
        _check_expression(parsed.parsed, text, None)
        growth = _growth(parsed.parsed)
    except RecursionError:  # pragma: no cover - parsed on a thread of its own, the checks recurse less than the bound lets the library
        raise PathSyntaxError(TOO_DEEP, text, 0) from None
    if growth > MAX_GROWTH:
        raise PathSyntaxError(
            f"invalid path: the expression can repeat a record's values more than {MAX_GROWTH:,} times over"
            " (multi-selects like [@, @] feeding one another): its result could outgrow any memory",
            text,
            0,
        )
    if not _reads_record(parsed.parsed):
        # nothing in it reads the record (floor(`1e400`)): what it does on {} it does on every record
        try:
            parsed.search({})
        except EVALUATION_ERRORS as exc:
            raise PathSyntaxError(f"invalid path: it reads nothing of the record, and its evaluation fails: {evaluation_failure(exc)}", text, 0) from None
    return Path(keys=None, expression=text, text=text)


#: What evaluating a parsed expression can raise on some record: the library's own errors,
#: and those of the Python operations its functions apply to the values (floor() of an
#: infinity is an OverflowError, a deep value a RecursionError).
EVALUATION_ERRORS = (jmespath.exceptions.JMESPathError, TypeError, ValueError, ArithmeticError, RecursionError)


def evaluation_failure(exc: BaseException) -> str:
    """Why the evaluation of an expression failed (one of :data:`EVALUATION_ERRORS`), in a line: cut
    short, controls escaped (the library's words quote the value its function refused, whole and raw)."""
    if isinstance(exc, jmespath.exceptions.JMESPathError):
        text = str(exc).splitlines()[0]
    else:
        text = f"{exc.__class__.__name__}: {exc}"
    return escape_controls(preview(text, 200))


#: The nodes that read the value an expression is evaluated on (``a``, ``@``, the ``[*]`` of a projection).
_READING = frozenset({"field", "current", "identity"})


def _reads_record(tree: Any) -> bool:
    """Whether any node of a parsed expression reads its input (walked without recursion)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") in _READING:
                return True
            stack.extend(node.get("children") or ())
    return False


#: Why an expression is refused that Python's stack cannot evaluate (the web form says it too).
TOO_DEEP = "invalid path: the expression is too long or nested too deeply to evaluate"

#: The most Python frames the library's evaluation of an expression may nest (see
#: :func:`_evaluation_frames`): Python allows 1,000, and the caller's own frames, the
#: engine's and the functions' work on the values need the rest.
MAX_EVALUATION_FRAMES = 600

#: Frames the library's evaluation nests per node: ``visit`` and ``visit_<kind>`` for
#: every node; an expression reference's body runs under the function's ``call_function``,
#: the function itself, a key function and the reference's ``visit`` as well.
_FRAMES = {"expref": 6}


def _evaluation_frames(tree: Any) -> int:
    """An upper bound on the Python frames the jmespath library nests to evaluate a parsed
    expression: its interpreter recurses down the tree, the frames of every node on the
    way adding up (``a | a | ...``: 2 a step; ``{a: {a: ...}}``: 4 a level, the key and
    its value being nodes of their own). Walked without recursion, so that any depth is
    measured, whatever the stack of the caller; the interpreter's depth does not depend
    on the record but through how far it reads, which this bound does not count on."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, above = stack.pop()
        if isinstance(node, dict):
            here = above + _FRAMES.get(str(node.get("type")), 2)
            deepest = max(deepest, here)
            stack.extend((child, here) for child in node.get("children") or ())
    return deepest


#: How many times over an expression may repeat the values of the record it reads (see :func:`_growth`).
MAX_GROWTH = 256

#: Nodes that put their children's results side by side: the growth adds up.
_SIDE_BY_SIDE = frozenset({"multi_select_list", "multi_select_dict", "function_expression", "key_val_pair", "expref"})
#: Nodes whose result is a boolean: their children are evaluated all the same.
_BOOLEAN = frozenset({"comparator", "not_expression", "or_expression", "and_expression"})


def _growth(node: Any, worst: list[int] | None = None) -> int:
    """An upper bound on how many times over an expression's result can hold the values of
    its input (``a``: 1; ``[@, @]``: 2; ``[@, @] | [@, @]``: 4). Chained multi-selects of
    the same value double it at each step: 30 of them make a result of 2^30 times the
    record from a 200-byte path, which no walk of it (nor the endpoint) finishes.

    What is checked is the largest growth of any part (``worst``), as every part is
    evaluated (the one inside a filter's condition or ``to_string`` too). A function given
    an expression reference (``map(&e, array)``, ``sort_by``) runs it on each element: the
    growths multiply. Distinct plain keys side by side (``{a: x.a, b: x.b}``) select
    separate parts of their input: together once, and once more for each that repeats,
    or contains, another.
    """
    top = worst is None
    worst = [1] if worst is None else worst
    result = _node_growth(node, worst)
    worst[0] = max(worst[0], result)
    return worst[0] if top else result


def _node_growth(node: Any, worst: list[int]) -> int:
    if not isinstance(node, dict):
        return 1
    kind = node.get("type")
    children = [c for c in node.get("children") or () if isinstance(c, dict)]
    cap = MAX_GROWTH + 1
    if kind in _BOOLEAN:
        for child in children:
            _growth(child, worst)
        return 1
    if kind == "filter_projection" and len(children) == 3:  # [left, right, condition]: the condition runs per element
        return min(_growth(children[0], worst) * _growth(children[1], worst) * _growth(children[2], worst), cap)
    if not children:
        return 1
    if kind in _SIDE_BY_SIDE and not (kind == "function_expression" and any(c.get("type") == "expref" for c in children)):
        values = [c["children"][0] if c.get("type") == "key_val_pair" and c.get("children") else c for c in children]  # {k: v}: v
        chains = [_field_chain(v) for v in values]
        keys = [k for k in chains if k is not None]
        overlapping = _overlapping(keys)
        rest = sum(_growth(v, worst) for v, k in zip(values, chains) if k is None)
        return min((1 + overlapping if keys else 0) + rest, cap)
    total = 1  # chained (and anything else, to be safe): each step can repeat what the one before made
    for child in children:
        total = min(total * _growth(child, worst), cap)
    return total


def _overlapping(keys: list[list[str]]) -> int:
    """How many of the key paths side by side select a part once more: one that repeats an
    earlier one, or lies inside another (another is a prefix of it). Looked up in a set: a
    test of each pair made a multi-select of 4,000 keys take 3 s to check."""
    every = {tuple(k) for k in keys}
    earlier: set[tuple[str, ...]] = set()
    count = 0
    for key in keys:
        path = tuple(key)
        if path in earlier or any(path[:m] in every for m in range(1, len(path))):
            count += 1
        earlier.add(path)
    return count


def _check_expression(node: Any, text: str, parent: str | None, code: _Code | None = None) -> None:
    """Refuse what the jmespath library parses but fails on wherever it is evaluated: an
    unknown function, a function given the wrong number of arguments, a slice step of 0,
    an expression reference (``&a``) anywhere but as a function's argument. Located at the
    function's name, the slice or the ``&``: the AST holds no positions, so they are found
    in the text outside quotes, each after the one before (``code``)."""
    if not isinstance(node, dict):
        return
    code = _Code(text) if code is None else code
    kind = node.get("type")

    if kind == "function_expression":
        name = node.get("value")
        at = code.find(r"(?<![A-Za-z0-9_])" + re.escape(str(name)) + r"\s*\(")
        spec = _FUNCTIONS.get(str(name))
        if spec is None:
            near = difflib.get_close_matches(str(name), list(_FUNCTIONS), n=1)
            raise PathSyntaxError(f"invalid path: unknown function {name}()" + (f" (did you mean {near[0]}()?)" if near else ""), text, at)
        given, signature = len(node.get("children") or ()), spec["signature"]
        variadic = bool(signature) and signature[-1].get("variadic", False)
        if given < len(signature) or (given > len(signature) and not variadic):
            wanted = ("at least " if variadic else "") + (f"{len(signature)} argument" + ("" if len(signature) == 1 else "s"))
            raise PathSyntaxError(f"invalid path: {name}() takes {wanted}, not {given}", text, at)
    elif kind == "slice" and len(node.get("children") or ()) == 3 and node["children"][2] == 0:
        # (a slice's bounds are integers: no colon in them, so the pattern cannot backtrack over a literal's colons)
        raise PathSyntaxError("invalid path: a slice step cannot be 0", text, code.find(r"\[[^\[\]:]*:[^\[\]:]*:\s*-?0+\s*\]"))
    elif kind == "expref":
        at = code.find(r"(?<!&)&(?!&)")
        if parent != "function_expression":
            raise PathSyntaxError("invalid path: an expression reference (&...) is only a function's argument, as in sort_by(a, &b)", text, at)
    children = list(node.get("children") or ())
    if kind == "filter_projection" and len(children) == 3:  # [left, right, condition]: the condition is written before right
        children = [children[0], children[2], children[1]]
    for child in children:
        _check_expression(child, text, kind, code)


class _Code:
    """An expression's text, where its quoted keys and literals are (``"..."``, ``'...'``,
    backticks: found once), and how far the checks have found their tokens in it (``at``).
    Each search goes on from there and skips a quoted part whole: the checks of an expression
    take time linear in its length (a search of the whole text for each node, and a match
    tested against every quoted part, made 8,000 function calls 26 s)."""

    __slots__ = ("text", "at", "starts", "ends")

    def __init__(self, text: str):
        self.text, self.at = text, 0
        self.starts: list[int] = []
        self.ends: list[int] = []  # (the closing quote's index: a match there is inside too)
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c in "\"'`":
                j = i + 1
                while j < n and text[j] != c:
                    j += 2 if text[j] == "\\" else 1
                self.starts.append(i)
                self.ends.append(j)
                i = j + 1
            else:
                i += 1

    def find(self, pattern: str) -> int:
        """Where ``pattern`` first matches at or after :attr:`at` outside the quoted parts (0
        when nowhere); the next search starts after it."""
        regex, pos = re.compile(pattern), self.at
        while (m := regex.search(self.text, pos)) is not None:
            at = m.start()
            k = bisect.bisect_right(self.starts, at) - 1
            if k < 0 or at > self.ends[k]:
                self.at = at + 1
                return at
            pos = self.ends[k] + 1  # (any match starting in that quoted part is in it too)
        return 0


#: The jmespath library's functions: name -> {"signature": (argument specs...)}.
_FUNCTIONS: dict[str, Any] = jmespath.functions.Functions.FUNCTION_TABLE


def _field_chain(node: dict[str, Any]) -> list[str] | None:
    """Reduce a JMESPath AST that is only ``field`` / ``subexpression`` nodes to its keys."""
    kind = node.get("type")
    if kind == "field":
        return [node["value"]]
    if kind == "subexpression":
        out: list[str] = []
        for child in node.get("children", []):
            sub = _field_chain(child)
            if sub is None:
                return None
            out.extend(sub)
        return out
    return None


def records_path_keys(value: Any) -> tuple[str, ...]:
    """Where a document's records are, as the keys to them: ``"aircraft"``,
    ``"data.items"``, ``'meta."a.b"'`` or ``["data", "items"]``.

    Only a chain of object keys (the records are the array it reaches); raises
    :class:`~mapper.errors.OptionError` otherwise, with what was wrong.
    """
    if isinstance(value, (list, tuple)):
        if not value or not all(isinstance(k, str) for k in value):
            raise OptionError(f"records_path as a list must hold one or more keys (strings), not {value!r}"[:300])
        for key in value:  # (as the dotted form refuses one: the document was "Invalid JSON", a codec's words)
            if has_lone_surrogate(key):
                raise OptionError(f"records_path: the key {preview(key)!r} holds half of a UTF-16 surrogate pair: it is not Unicode text")
        return _not_too_deep(tuple(value))
    if not isinstance(value, str):
        raise OptionError(f"records_path must be a dotted path (aircraft, data.items) or a list of keys, not {type(value).__name__}")
    try:
        path = parse_path(value)
    except PathSyntaxError as exc:
        # (the hint a column's path string gets names a column path: $.items[0] was told "write 'items[0]'", refused in turn)
        hint = descent_hint(value, "records path") or _records_hint(value) or _spaced_keys_hint(value.strip(" \t\n\r"), repr)
        if hint or root_dollar(value) is not None or value.startswith("$["):
            exc = PathSyntaxError(exc.message, exc.expression, exc.position, hint or _RECORDS_ROOT, whole=exc.whole)
        raise OptionError(f"records_path: {exc}") from None
    if path.keys is None:
        hint = _records_hint(value)
        instead = f"; {hint}" if hint else ""
        raise OptionError(f"records_path must be a chain of keys (aircraft, data.items, or a list of keys), not the expression {value!r}{instead}")
    literal = skipped_spaces(path)
    if literal is not None:  # (refused, not read: an option has no warning to carry, and a sink path string gets one)
        raise OptionError(spaces_reason(value, path.keys, literal, records_path=True))
    rest = root_dollar(value)
    if rest is not None:  # ($.items: a sink's path string gets a path-root warning; refused here, as spaces are)
        raise OptionError(_root_reason(value, rest, path.keys))
    return _not_too_deep(path.keys)


#: Why a records path written to the array's elements (``items[*]``, ``items[]``) is written to the array instead.
_ARRAY_ITSELF = "a records path names the array that holds the records, without [*] or [] for its elements"
#: Why a records path written from the document's root (``$.items.*``) is refused, when no path it means is known.
_RECORDS_ROOT = "a records path starts at the document's first key, without JSONPath's $ for the document itself (which mapper's messages write)"
#: What a document that is itself an array of records needs (``$[*]``, ``[]``, ``$``).
_NO_RECORDS_PATH = "leave the records path out (a document that is itself an array of records is read so)"
#: An array's elements or one of them, last in a path (``[*]``, ``[]``, ``[0]``, ``[-1]``; spaces around, as JMESPath skips them).
_LAST_SELECTOR = re.compile(r"\s*\[\s*(\*|-?[0-9]+)?\s*\]\s*\Z")
#: A key in brackets, as JSONPath and mapper's messages write one that is no identifier (``["a.b"]``, ``['my feed']``).
_BRACKETED_KEY = re.compile(r"""\[\s*("(?:[^"\\]|\\.)*"|'[^'\\]*')\s*\]""")


def _records_hint(text: str) -> str:
    """:func:`_records_hint_of` ``text``; of one with white space at its start or end (`` $.items[*]``, as
    a shell's quotes keep it), where that says nothing, what it says of the text without it, the white space
    named as part of the records path given; or that text itself, when it is a records path that is taken."""
    hint = _records_hint_of(text)
    if not hint and text.startswith(".") and not text.startswith(".."):  # (jq's .aircraft, .aircraft[], .[])
        said = _records_hint_of("$" + text) or (f"write {elided(escape_controls(text[1:]))}" if _taken(text[1:]) else "")
        return (
            f"jq's leading dot is no part of a records path, which starts at the document's first key; {said.replace(_RECORDS_ROOT + ': ', '')}" if said else ""
        )
    bare = text.strip(" \t\n\r")
    if hint or not bare or bare == text:
        return hint
    said = _records_hint_of(bare) or (f"write {elided(escape_controls(bare))}" if _taken(bare) else "")
    if not said:
        return ""
    where = "at its start and end" if text[0] != bare[0] and text[-1] != bare[-1] else "at its start" if text[0] != bare[0] else "at its end"
    what = "white space" if any(c in text for c in "\t\n\r") else "spaces" if len(text) - len(bare) > 1 else "space"
    return f"the {what} {where} {'are' if what == 'spaces' else 'is'} part of the records path given; {said}"


def _records_hint_of(text: str) -> str:
    """How to write a refused records path written as JSONPath or JMESPath reads the records, from
    the document's root or not (``$.items[*]``, ``items[]``, ``$["a.b"].items[0]``, ``$[*]``): the
    records path naming the array (``items``, ``"a.b".items``), written as it parses back to the keys
    (spaces JMESPath drops around a key dropped: ``items [*]`` is ``items``, not ``items ``), escaped for
    a message; or to leave the records path out, for the document itself (``$[*]``). ``""`` when no
    records path is known that the text means. What it says to write is a records path that is taken."""
    rooted = text == "$" or text.startswith(("$.", "$["))
    rest = text[2:] if text.startswith("$.") else text[1:] if rooted else text
    rest = _unbracketed(rest)
    last = _LAST_SELECTOR.search(rest)
    index = last[1] if last is not None and last[1] not in (None, "*") else None
    if last is not None:
        rest = rest[: last.start()]
    elif not rooted:
        return ""
    if not rest.strip(" \t\n\r"):  # ($[*], [], $[0]: the document itself)
        return (
            _NO_RECORDS_PATH
            if index is None
            else f"a records path takes no index ([{index}]): leave it out to read each element of a document that is itself an array as a record"
        )
    spaced = _spaced_keys(rest)
    try:
        keys = parse_path(rest).keys if spaced is None else tuple(spaced)
    except PathSyntaxError:
        return ""
    if keys is None:
        return ""
    chain = to_dot_notation(keys)
    if not _taken(chain):  # (too deep, or a key no records path can hold)
        return ""
    shown = elided(escape_controls(chain))
    if index is not None:
        return f"a records path names the array that holds the records by its keys alone, with no index ([{index}]): {shown} reads every element of that array as a record"
    return f"{_ARRAY_ITSELF if last is not None else _RECORDS_ROOT}: write {shown}"


def _unbracketed(rest: str) -> str:
    """``rest``, a path after JSONPath's ``$`` or ``$.``, with its keys in brackets as JSONPath writes a key
    that is no identifier (``["a.b"]``, ``['my feed']``) written as keys after dots (``"a.b"``, ``"my feed"``),
    the dot put before a first key dropped (``["a.b"].items``: ``"a.b".items``)."""
    keyed = _BRACKETED_KEY.sub(lambda m: "." + _bracketed_key(m[1]), rest)
    return keyed[1:] if keyed != rest and rest.startswith("[") else keyed


def _bracketed_key(quoted: str) -> str:
    """A key JSONPath writes in brackets, ``"a.b"`` or ``'my feed'``, as dot notation writes it
    (``"a.b"``, ``"my feed"``; ``'a'``: ``a``); a double-quoted one that is no JSON string as it is."""
    key = _bracket_text(quoted)
    return quoted if key is None else to_dot_notation([key])


def _bracket_text(quoted: str) -> str | None:
    """The key a JSONPath bracket holds, ``"a.b"`` or ``'my feed'`` (quotes included): ``a.b``, ``my feed``;
    None for a double-quoted one that is no JSON string (``"\\q"``)."""
    if quoted[0] != '"':
        return quoted[1:-1]
    try:
        key = json.loads(quoted)
    except ValueError:
        return None
    return key if isinstance(key, str) else None


def _taken(text: str) -> bool:
    """Whether :func:`records_path_keys` takes ``text`` (a hint's records path)."""
    try:
        records_path_keys(text)
    except OptionError:
        return False
    return True


def _root_reason(text: str, rest: str, keys: tuple[str, ...]) -> str:
    """Why a records path written from the document's root, as JSONPath and mapper's messages
    write paths (``$.items``, ``$``), is refused: it would read a key named ``$`` first; what to
    write instead (``rest``: the path without ``$.``; ``""`` for ``$`` alone)."""
    if rest:  # (as the keys after the $ parse back: $.$.items is told '"$".items', not '$.items', itself refused)
        instead = f"write it {elided(escape_controls(to_dot_notation(keys[1:])))}"
    else:
        instead = "leave the records path out (a document that is itself an array of records is read so)"
    quoted = elided(chr(34) + "$" + chr(34) + text[1:])
    return (
        f"records_path {preview(text, 200)!r} would read a key named '$' first: a records path starts at the document's first key, "
        f"not at the document itself as JSONPath's $ (which mapper's messages write); {instead}, or, if the document has a key '$', "
        f"quote it: {quoted} (in Python, or give the list {elided(json_text(list(keys)), quote=str)})"
    )


def spaces_reason(text: str, keys: tuple[str, ...], literal: tuple[str, ...], records_path: bool = False) -> str:
    """Why a path string whose whitespace around its keys JMESPath drops (``" a "`` reads the key
    ``a``) reads otherwise than it looks, and how to write a key that holds the whitespace
    (``literal``: the keys read literally, ``()`` when the string quotes one): a sink path's
    ``path-spaces`` warning, or with ``records_path`` the refusal of a records path."""
    what = "whitespace" if any(c in text for c in "\t\n\r") else "spaces"
    if literal:
        dotted, listed = elided(to_dot_notation(literal)), elided(json_text(list(literal)), quote=str)
        spaced = (
            f"quote it: {dotted} (in Python, or give the list {listed})"
            if records_path
            else f"quote it: {dotted} as a path string, or {listed} as an array of keys"
        )
    else:
        spaced = (
            "put them inside its quotes (in Python, or give the list of keys)"
            if records_path
            else "put them inside its quotes, or give the path as an array of keys"
        )
    reads = f"records_path {preview(text, 200)!r} would read" if records_path else f"the path {preview(text, 200)!r} reads"
    return (
        f"{reads} the keys {preview(json_text(list(keys)), 200)}: JMESPath drops the {what} around its keys; "
        f"write it {elided(to_dot_notation(keys))}, or, if a key holds the {what}, {spaced}"
    )


def _not_too_deep(keys: tuple[str, ...]) -> tuple[str, ...]:
    # (a path of 1,000 keys was read as a document "nested too deeply", code invalid_json)
    if len(keys) > MAX_PATH_KEYS:
        raise OptionError(f"records_path has {len(keys):,} keys; mapper takes paths of at most {MAX_PATH_KEYS}")
    return keys
