"""The options of one mapping run, checked once: :class:`MapOptions`.

``Mapper.map``/``validate``, the CLI and the workers all build one :class:`MapOptions`;
a bad value raises :class:`~mapper.errors.OptionError` before anything is read. Every numeric
option of the API, here and elsewhere, is read by :func:`whole_number` (integers) or
:func:`real_number` (rates, seconds, shares), so that all take the same values and say a
refusal in one shape.
"""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass

from .errors import OptionError, int_text, long_int_text, preview

__all__ = [
    "INPUT_FORMATS",
    "MAX_RECORD_SIZE",
    "MIN_RECORD_SIZE",
    "NO_WARNINGS",
    "ON_ERROR",
    "MapOptions",
    "TypedFloat",
    "TypedInt",
    "body_record_limit",
    "number_given",
    "real_number",
    "whole_number",
]

#: Batch policies: ``endpoint`` (the service's: a bad record is refused alone; a record lacking a
#: mapped value under ``allow_missing_fields: false`` discards the batch), ``reject`` (any bad record
#: discards the batch, as the IDK batch ingester does) and ``skip`` (keep the good records, with an
#: optional ``max_errors`` limit).
ON_ERROR = ("endpoint", "reject", "skip")
#: Input formats: detected from the first bytes (``auto``) or forced.
INPUT_FORMATS = ("auto", "ndjson", "json", "endpoint")
#: The default maximum record size in bytes: 16 times the endpoint's 1 MB request body limit.
MAX_RECORD_SIZE = 16 * 1024 * 1024
#: the smallest ``max_record_size`` taken
MIN_RECORD_SIZE = 1024


def body_record_limit(body: bytes) -> int:
    """The ``max_record_size`` a request body's records are mapped with: the engine's limit, or the
    body's size when larger, so that no record is refused for its size (the service limits bodies
    only, and a body may pass 16 MiB: serve's ``--max-body-bytes``, a Batcher's ``max_bytes``)."""
    return max(MAX_RECORD_SIZE, len(body))


#: No warning kind left out (``ignore_warnings``' default: the API's calls tell it by identity)
NO_WARNINGS: frozenset[str] = frozenset()


def whole_number(value: object, name: str, *, least: int | None = None, most: int | None = None, of: str = "", why: str = "") -> int:
    """``value`` as an ``int``, or an OptionError naming the option ``name`` and the value given.

    Every integer option of the API is read here, so that all take the same values: an ``int``
    or anything else that is an integer by ``operator.index`` (numpy's ``np.int64(5)``, what a
    count read from an array is), never a bool (``True`` is no count; numpy's ``np.True_`` is
    no index) nor a float (``2.0`` neither: a float count is a mistake made elsewhere). ``least``
    and ``most``, when given, are the smallest and the largest taken; ``of`` says what is counted (``bytes``), ``why`` adds a
    reason to the message. The message has one shape: ``workers must be a whole number, at
    least 1, not 2.0``.
    """
    number: int | None = None
    if not isinstance(value, bool):
        try:
            number = operator.index(value)  # type: ignore[arg-type]
        except TypeError:
            pass
    if number is None or (least is not None and number < least) or (most is not None and number > most):
        counted = f" of {of}" if of else ""
        bound = (f", at least {least:,}" if least is not None else "") + (f", at most {most:,}" if most is not None else "")
        # (a float as Python writes it, 2.0, not as a count, 2: number_given says an integral float as one)
        shown = preview(int_text(value, repr)) if isinstance(value, float) and not isinstance(value, TypedFloat) else number_given(value)
        raise OptionError(f"{name} must be a whole number{counted}{bound}{why}, not {shown}")
    return number


def real_number(
    value: object, name: str, *, above: float | None = None, least: float | None = None, most: float | None = None, of: str = "", why: str = ""
) -> float:
    """``value`` as a ``float``, or an OptionError naming the option ``name`` and the value given.

    Every option of the API that may be fractional (a rate, a number of seconds, a share) is read
    here, as :func:`whole_number` reads the integer ones, so that all take the same values: any
    real number (an ``int``, a ``float``, numpy's ``np.int64(5)`` and ``np.float32(0.5)``, what is
    read from an array), never a bool (``True`` is no rate; numpy's ``np.True_`` is no real
    number), a str (``"1"``), NaN, an infinity, nor an integer past a float's range. ``above``
    (the value must be greater), ``least`` and ``most`` bound it; ``of`` says what is counted
    (``seconds``), ``why`` adds a reason. The message has one shape: ``timeout= (--timeout) must
    be a finite number of seconds, above 0, not nan``.
    """
    number: float | None = None
    if not isinstance(value, bool) and isinstance(value, numbers.Real):
        try:
            number = float(value)
        except OverflowError:  # (an integer past a float's range, 10**400)
            pass
    if (
        number is None
        or not math.isfinite(number)
        or (above is not None and not number > above)
        or (least is not None and number < least)
        or (most is not None and number > most)
    ):
        counted = f" of {of}" if of else ""
        bounds = [
            f"above {above:,g}" if above is not None else "",
            f"at least {least:,g}" if least is not None else "",
            f"at most {most:,g}" if most is not None else "",
        ]
        bound = "".join(f", {b}" for b in bounds if b)
        raise OptionError(f"{name} must be a finite number{counted}{bound}{why}, not {number_given(value)}")
    return number


def _is_index(value: object) -> bool:
    """Whether ``value`` is an integer as :func:`whole_number` takes one (a bool is not)."""
    if isinstance(value, bool):
        return False
    try:
        operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return False
    return True


class TypedInt(int):
    """An integer option's value read from a command line (:func:`mapper.commands.integer`), keeping the text
    typed: a refusal quotes that (``--port ... not 99999``; :func:`number_given` said ``99,999``, a number
    the user never wrote). What reads it (:func:`whole_number`, ``operator.index``) returns a plain ``int``."""

    typed: str

    def __new__(cls, text: str) -> TypedInt:
        self = super().__new__(cls, text)
        self.typed = text
        return self


class TypedFloat(float):
    """A decimal option's value read from a command line (:func:`mapper.commands.decimal`), keeping the text
    typed, as :class:`TypedInt` does (``--timeout ... not 1e9``, not ``1,000,000,000``)."""

    typed: str

    def __new__(cls, text: str) -> TypedFloat:
        self = super().__new__(cls, text)
        self.typed = text
        return self


def number_given(value: object) -> str:
    """A number as a message says it, as it was given: an int with its thousands separated (``1,000,000``), an
    integral float below 10**18 as one (``1e6``, ``1,000,000``), another float as Python writes it, its thousands
    separated too (``2.5``, ``1,234.5678``, ``nan``, ``1e+20``: ``:g`` cut ``1234.5678`` to ``1,234.57``), an integer of 31 digits or more by its size
    (``<an integer of 401 digits>``: ``:g`` of one past a float's range raised OverflowError, ``:,`` past 4,300 digits
    ValueError), and what is no int nor float (a bool, numpy's integers, a str) as its repr: ``True``, ``np.int64(5)``.
    A command line's value (:class:`TypedInt`, :class:`TypedFloat`) is the text typed: ``99999``, ``1e9``."""
    if isinstance(value, (TypedInt, TypedFloat)):
        return value.typed
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{'-' if value < 0 else ''}{long_int_text(value)}" if abs(value) >= 10**30 else f"{value:,}"
    if isinstance(value, float):  # (numpy's float64 too: said as a number, as a command line's option was written)
        return f"{value:,.0f}" if math.isfinite(value) and value == int(value) and abs(value) < 1e18 else f"{float(value):,}"
    return preview(int_text(value, repr))


def check_max_record_size(value: object) -> int:
    """``value`` as the byte count ``max_record_size`` takes (a whole number, at least :data:`MIN_RECORD_SIZE`), or an OptionError."""
    return whole_number(value, "max_record_size", least=MIN_RECORD_SIZE, of="bytes")


#: Why a records path and a request body do not go together (said by every reader of the options).
RECORDS_PATH_AND_BODY = "a request body's records are the values of its items; drop one of them"


@dataclass(frozen=True, slots=True)
class MapOptions:
    """How to map one batch (see :meth:`mapper.Mapper.map` for each option)."""

    on_error: str = "endpoint"
    max_errors: int | float | None = None
    strict: bool = False
    input_format: str = "auto"
    workers: int = 1
    fast: bool = True
    #: a record (an NDJSON line, a JSON array element, a body's value) longer than this
    #: many bytes is refused (code ``too_large``), and reading goes on at the next one
    max_record_size: int = MAX_RECORD_SIZE
    #: the records are the array at these keys of each document (see mapper.paths.records_path_keys)
    records_path: tuple[str, ...] | None = None
    #: warning kinds left out of the report, only counted (``--ignore-warning``; see
    #: :meth:`mapper.report.Report.silence`): left out as they come, so the warnings kept
    #: in full are the first of the others, in every process of ``workers=N`` too
    ignore_warnings: frozenset[str] = NO_WARNINGS

    def __post_init__(self) -> None:
        if self.on_error not in ON_ERROR:
            raise OptionError(f"on_error must be one of {', '.join(map(repr, ON_ERROR))}, not {self.on_error!r}")
        m = self.max_errors
        if m is not None:
            # a count when it is an integer (np.int64(3) too), else a share (np.float32(0.01) too): read
            # as every number of the API is, said as the one option that takes either
            try:
                m = whole_number(m, "max_errors", least=0) if _is_index(m) else real_number(m, "max_errors", least=0, most=1)
            except OptionError:
                raise OptionError(
                    f"max_errors must be a count (an int >= 0) or a share of the records (a float from 0.0 to 1.0), not {number_given(m)}"
                ) from None
            object.__setattr__(self, "max_errors", m)
        if m is not None and self.on_error != "skip":
            raise OptionError(f"max_errors only applies with on_error='skip' (the policy is {self.on_error!r}): drop it or choose skip")
        if not isinstance(self.strict, bool):
            raise OptionError(f"strict must be True or False, not {self.strict!r}")
        if self.input_format not in INPUT_FORMATS:
            raise OptionError(f"unknown input format {self.input_format!r}; use one of {', '.join(INPUT_FORMATS)}")
        object.__setattr__(self, "workers", whole_number(self.workers, "workers", least=1))
        if not isinstance(self.fast, bool):
            raise OptionError(f"fast must be True or False, not {self.fast!r}")
        object.__setattr__(self, "max_record_size", check_max_record_size(self.max_record_size))
        if not isinstance(self.ignore_warnings, frozenset) or not all(isinstance(k, str) for k in self.ignore_warnings):
            raise OptionError(f"ignore_warnings must be a frozenset of warning kinds, not {self.ignore_warnings!r}")
        rp = self.records_path
        if rp is not None and (not isinstance(rp, tuple) or not rp or not all(isinstance(k, str) for k in rp)):
            raise OptionError(f"records_path must be a non-empty tuple of keys, not {rp!r}")
        if rp is not None and self.input_format == "endpoint":  # (it was ignored: each item, {"value": ...}, read as a record)
            raise OptionError(f"records_path does not go with input_format='endpoint': {RECORDS_PATH_AND_BODY}")
