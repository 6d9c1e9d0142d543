"""``decimal`` columns: an int64 scaled by 10^Scale.

Strings are parsed exactly, as ``pql.ParseDecimal`` does, then truncated to Scale
digits (``decimal_truncated``); JSON numbers are float64 times ``10**Scale``, truncated
(``4.35`` at Scale 2 is stored as 434: ``float_decimal``).

Where the ingester's arithmetic breaks, mapper refuses the value and says what the
ingester would do (``pql.Decimal.ToInt64`` with ``Pow10`` defined for 0..18 only):

* a string with 19 or more digits beyond Scale (``"0.0000000000000000001"`` at Scale
  0): the ingester divides by ``Pow10(19) == 0`` and crashes, so the record can never
  be stored (``invalid_value``);
* a string needing 19 or more powers of ten (``"10"`` at Scale 18): ``Pow10`` gives 0
  and the ingester stores 0 (``out_of_range``, saying so);
* a string whose scaled value leaves int64 (``"99999999999999999"`` at Scale 2): the
  ingester's multiplication wraps silently (``out_of_range``, with the wrapped value);
* a number whose value times 10^Scale leaves int64 (``1e20`` at Scale 2): Go's
  conversion gives -9223372036854775808 on amd64 (``out_of_range``, saying so);
* a string that is no decimal but holds more than 19 significant digits before its
  other characters (``"1.2345678901234567890E-5"``): pql cuts those characters off
  unread with the digits it drops and stores the rest, 1.234567 at Scale 6
  (``out_of_range``, with that value; see :class:`MisreadDecimal`).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Callable, Union

import numpy as np

from ..errors import show
from .base import (
    FLOAT,
    INT64_MAX,
    INT64_MIN,
    STR,
    TWO51,
    ColumnType,
    ConfigRules,
    ConversionError,
    Lossy,
    Quick,
    Vector,
    arrow_validity,
    as_array,
    as_go_float,
    by_type,
    empty,
    expected,
)

if TYPE_CHECKING:
    from ..tiers import Tier

_NUMBER = Union[int, float, str]


class DecimalType(ColumnType):
    type = "decimal"
    config_keys = {"Scale": "int64"}

    def __init__(self, column: Any):
        super().__init__(column)
        self.scale = scale = self.config.scale or 0
        self._factor = 10.0**scale  # Go: math.Pow10(scale), exact for 0..19

    @classmethod
    def check_config(cls, values: dict[str, Any], invalid: set[str], rules: ConfigRules) -> dict[str, Any] | None:
        if "Scale" in invalid:
            return {"scale": 0}
        if "Scale" not in values:
            rules.warning(
                None,
                "default-scale",
                "no Scale: the ingester's default is 0, so 4.35 would be stored as 4 (a Cloud table's decimal column defaults to 2); give Scale explicitly",
            )
            return {"scale": 0}
        scale = values["Scale"]
        if not 0 <= scale <= 19:
            rules.error("Scale", "invalid-scale", f"Scale {scale} is outside 0..19")
            return None
        if scale > 18:
            rules.warning(
                "Scale",
                "large-scale",
                f"Scale {scale} cannot hold any value of magnitude 0.93 or more (only |value| < 0.9223372036854775808 fits a 64-bit "
                "integer at this scale): the ingester stores -9223372036854775808 for such numbers, and 0 or a wrapped value for such strings",
            )
        return {"scale": scale}

    def convert(self, value: Any, notes: list[Lossy] | None) -> Any:
        scale = self.scale or 0
        if isinstance(value, str):
            if value == "":
                return empty(value, notes)
            misread = False
            try:
                v, s, dropped = parse_decimal_text_ex(value)
            except MisreadDecimal as exc:  # the ingester's value goes through the checks below, then is refused
                v, s, dropped, misread = exc.value, exc.scale, False, True
            except OverflowError:
                raise ConversionError("out_of_range", f"decimal {show(value)} does not fit a 64-bit integer") from None
            except ValueError:
                raise ConversionError("invalid_value", f"Expected `decimal` (a number or a decimal string), got `str` {show(value)}") from None
            if s - scale >= 19:
                raise ConversionError(
                    "invalid_value",
                    f"decimal {show(value)} has {s - scale} digits beyond Scale {scale}: the ingester cannot convert 19 or more "
                    "(it fails with an integer divide by zero), so this record can never be stored",
                )
            stored = scale_int(v, s, scale)
            if not INT64_MIN <= stored <= INT64_MAX:
                would = 0 if scale - s >= 19 else (stored + 2**63) % 2**64 - 2**63
                raise ConversionError(
                    "out_of_range",
                    f"decimal {show(value)} at Scale {scale} does not fit a 64-bit integer (the ingester would store {format_decimal(would, scale)})",
                )
            if misread:
                raise ConversionError(
                    "out_of_range",
                    f"decimal {show(value)} is not a decimal string, but past its 19th significant digit the ingester cuts characters off "
                    f"the end unread (an exponent, a space) and would store {format_decimal(stored, scale)}",
                )
            if notes is not None and ((s > scale and scale_int(stored, scale, s) != v) or dropped):
                why = "the endpoint keeps at most 19 significant digits" if dropped else f"Scale is {scale}: extra digits are cut, not rounded"
                notes.append(Lossy("decimal_truncated", value, format_decimal(stored, scale), why))
            return stored
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise expected("`decimal` (a number or a decimal string)", value)
        f = as_go_float(value)
        product = f * self._factor
        if not -9.223372036854776e18 <= product < 9.223372036854776e18:
            raise ConversionError.showing(
                "out_of_range",
                "",
                value,
                f" at Scale {scale} does not fit a 64-bit integer (the ingester would store {format_decimal(INT64_MIN, scale)}, "
                "Go's conversion of an out-of-range float on amd64)",
            )
        stored = int(product)
        if notes is not None:
            note = decimal_note(value, stored, scale)
            if note is not None:
                notes.append(note)
        return stored

    def json_shape(self, tier: Tier) -> Any:
        return Union[int, float] if tier.exact_types else _NUMBER

    def vector(self, tier: Tier, identity: bool = False) -> Vector | None:
        return decimal_vector(self.scale or 0, tier.exact_types)

    def quick(self, tier: Tier, identity: bool = False) -> Quick | None:
        return decimal_quick(self.scale or 0) if tier.exact_types else None

    def quick_lossy(self, tier: Tier) -> Callable[[Any], str | None] | None:
        return decimal_lossy(self.scale or 0) if tier.exact_types else None

    def quick_stored(self, tier: Tier) -> Callable[[list[Any]], list[Any]] | None:
        if not tier.exact_types:
            return None
        factor = 10.0 ** (self.scale or 0)
        # vouched for: the product below 2**51 and integral once rounded, as vec_numbers stores it
        return lambda lst: [round(v * factor) for v in lst]

    def render(self) -> Callable[[Any], Any]:
        scale = self.scale or 0
        return lambda v: format_decimal(v, scale)

    def render_all(self, values: np.ndarray) -> list[Any]:
        scale = self.scale or 0
        strings = getattr(np, "strings", None)  # numpy >= 2: string ufuncs
        if strings is None or not 0 < scale < 19 or not len(values) or int(values.min()) == INT64_MIN:
            return [format_decimal(v, scale) for v in values.tolist()]
        absv = np.abs(values)
        whole, frac = np.divmod(absv, 10**scale)
        text = strings.add(strings.add(whole.astype(str), "."), strings.zfill(frac.astype(str), scale))
        neg = values < 0
        if neg.any():
            text = np.where(neg, strings.add("-", text), text)
        return text.tolist()  # type: ignore[no-any-return]

    def arrow_type(self, pa: Any) -> Any:
        return pa.decimal128(38, self.scale or 0)

    def to_arrow(self, values: np.ndarray, valid: np.ndarray, offsets: np.ndarray | None, pa: Any) -> Any:
        # A decimal128 value is the unscaled integer as 16 bytes of little-endian two's
        # complement: the stored int64 and its sign extension. Written straight into the
        # buffer, a column costs two numpy passes instead of a Decimal object per row.
        n = len(values)
        words = np.empty((n, 2), dtype="<i8")
        words[:, 0] = values
        words[:, 1] = words[:, 0] >> 63
        validity, nulls = arrow_validity(valid, pa)
        return pa.Array.from_buffers(self.arrow_type(pa), n, [validity, pa.py_buffer(words)], null_count=nulls)


# ---------------------------------------------------------------------------------------
# Decimal strings (pql.ParseDecimal + Decimal.ToInt64)


class MisreadDecimal(ValueError):
    """Text that is no decimal but that ``pql.ParseDecimal`` reads as one: ``value`` at ``scale``.

    pql copies every byte but ``.`` into the mantissa unchecked, and past 19 significant
    digits cuts bytes off its end until it fits an int64, so an exponent, a space or a
    letter at the end of a long string is cut off unread (``"1.2345678901234567890E-5"``
    is read as 1.234567890123456789).
    """

    def __init__(self, value: int, scale: int):
        super().__init__("not a decimal number")
        self.value, self.scale = value, scale


def parse_decimal_text(text: str) -> tuple[int, int]:
    """Parse a decimal string the way ``pql.ParseDecimal`` does: ``(value, scale)``.

    Raises ValueError for text that is not a decimal (:class:`MisreadDecimal` when pql
    reads it as one all the same), OverflowError when the digits do not fit.
    """
    value, scale, _dropped = parse_decimal_text_ex(text)
    return value, scale


def parse_decimal_text_ex(text: str) -> tuple[int, int, bool]:
    """Parse a decimal string the way ``pql.ParseDecimal`` does: ``(value, scale, digits dropped)``.

    A decimal is an optional sign, ASCII digits and at most one ``.``; no spaces, no
    exponent (``"."`` alone reads as 0, as in pql). When the digits do not fit an int64,
    fraction digits are dropped until they do, as pql does; raises OverflowError when
    they still do not fit, ValueError when the text is not a decimal, and
    :class:`MisreadDecimal` when it is not but pql reads it as one.
    """
    data = text.encode()  # pql walks the UTF-8 bytes
    neg = data[:1] == b"-"
    body = data[1:] if data[:1] in (b"+", b"-") else data
    if not body:
        raise ValueError("decimal string is empty")
    whole, dot, frac = body.partition(b".")
    if b"." in frac:
        raise ValueError("not a decimal number")
    whole = whole.lstrip(b"0")
    mantissa = whole + frac  # every byte, digit or not, as pql copies it
    kept = mantissa.rstrip(b"0")
    scale = len(kept) - len(whole) if dot else len(kept) - len(mantissa)
    mantissa = kept.lstrip(b"0")
    if not mantissa:
        return 0, 0, False
    digits = mantissa.isdigit()
    if len(mantissa) < 19:  # fits an int64 as it is (most strings)
        if not digits:
            raise ValueError("not a decimal number")
        return (-int(mantissa) if neg else int(mantissa)), scale, False
    # reducePrecision: cut bytes off the end, one for each fraction digit given up,
    # until 19 are left (18 if those 19 are above the limit)
    cut = len(mantissa) - 19
    if mantissa[:19] > (b"9223372036854775808" if neg else b"9223372036854775807"):
        cut += 1
    if cut > max(scale, 0):
        if not digits:
            raise ValueError("not a decimal number")
        raise OverflowError("value out of range")
    if cut:  # its trailing zeros gone, the mantissa ends in a nonzero digit: any cut drops one
        mantissa, scale = mantissa[:-cut], scale - cut
    if not mantissa.isdigit():  # strconv.ParseUint
        raise ValueError("not a decimal number")
    value = -int(mantissa) if neg else int(mantissa)
    if not digits:  # what was cut held the text's other characters
        raise MisreadDecimal(value, scale)
    return value, scale, cut > 0


def scale_int(value: int, from_scale: int, to_scale: int) -> int:
    """``Decimal.ToInt64``: move ``value`` from one scale to another, truncating toward zero."""
    diff = to_scale - from_scale
    if diff >= 0:
        return value * 10**diff
    q = abs(value) // 10 ** (-diff)
    return -q if value < 0 else q


def decimal_note(value: int | float, stored: int, scale: int) -> Lossy | None:
    """Why a JSON number stored as ``stored`` at ``scale`` differs from how it was written, if it does.

    The written number is the shortest text of the float (what a JSON writer emits).
    """
    if isinstance(value, int):
        if stored == value * 10**scale:
            return None
        return Lossy("int_precision", value, format_decimal(stored, scale), "the endpoint decodes numbers as float64; send it as a string")
    text = repr(float(value))
    if "e" not in text and "n" not in text:  # plain notation (not 1e+16, inf, nan): often exact at this scale
        whole, _, frac = text.partition(".")
        frac = frac.rstrip("0")
        if len(frac) <= scale and int(whole + frac) * 10 ** (scale - len(frac)) == stored:
            return None
    written = Decimal(text)
    exponent = written.as_tuple().exponent
    assert isinstance(exponent, int)
    frac_digits = max(0, -exponent)
    v, s = parse_decimal_text(format(written, "f"))
    exact = scale_int(v, s, scale)
    if frac_digits > scale and scale_int(exact, scale, s) != v:
        return Lossy("decimal_truncated", value, format_decimal(stored, scale), f"Scale is {scale}: extra digits are cut, not rounded")
    if exact != stored:
        return Lossy("float_decimal", value, format_decimal(stored, scale), f'send the string "{format(written, "f")}" to store it exactly')
    return None


def format_decimal(stored: int, scale: int) -> str:
    """A scaled integer as text with exactly ``scale`` digits after the point: 434, 2 -> ``"4.34"``."""
    if scale == 0:
        return str(stored)
    sign = "-" if stored < 0 else ""
    digits = str(abs(stored)).rjust(scale + 1, "0")
    return f"{sign}{digits[:-scale]}.{digits[-scale:]}"


# ---------------------------------------------------------------------------------------
# The vector form


#: Digits a decimal string read at once may hold, its integer part and ``Scale`` together:
#: below 10**15 the float64 nearest the text, times 10**scale, is within 0.25 of the
#: stored integer, so rounding it gives that integer exactly.
EXACT_DIGITS = 15


def decimal_strings(texts: list[str], scale: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The stored integers of the plain decimal strings among ``texts`` (``"-12.5"``), at once.

    Plain: an optional sign, integer digits and at most ``scale`` fraction digits,
    :data:`EXACT_DIGITS` in all (``parse_decimal_text_ex`` reads them so, with nothing cut
    and nothing to warn about). Returns (which texts were plain, their integers), None when
    none were; the rest (``".5"``, exponents, spaces, more digits) are the scalar form's.
    """
    if scale >= EXACT_DIGITS:
        return None
    pattern = _plain_decimal(scale)
    plain = np.fromiter(map(bool, map(pattern, texts)), dtype=bool, count=len(texts))
    if not plain.any():
        return None
    good = [t for t, p in zip(texts, plain.tolist()) if p] if not plain.all() else texts
    values = np.fromstring("\n".join(good), dtype=np.float64, sep="\n")
    if len(values) != len(good):  # (the pattern vouches for every text: a guard)
        return None
    return plain, np.rint(values * 10.0**scale).astype(np.int64)


_PLAIN_DECIMALS: dict[int, Callable[[str], Any]] = {}


def _plain_decimal(scale: int) -> Callable[[str], Any]:
    found = _PLAIN_DECIMALS.get(scale)
    if found is None:
        fraction = rf"(?:\.[0-9]{{0,{scale}}})?" if scale else r"\.?"
        found = _PLAIN_DECIMALS[scale] = re.compile(rf"[+-]?[0-9]{{1,{EXACT_DIGITS - scale}}}{fraction}").fullmatch
    return found


def decimal_quick(scale: int) -> Quick:
    """The exact tier's JSON numbers, one by one as :func:`decimal_vector`'s ``vec_numbers``
    vouches for them: the product below 2**51, and the number written with at most
    ``scale`` fraction digits, so the product rounds and truncates to the same integer.

    Asked as one test: the truncated product, divided back, is the number. (It implies
    the two: below 2**51 the product of ``t / factor`` and ``factor`` is within 0.5 of
    ``t``, so it rounds to ``t`` too; a test holds it to the two tests, value by value.)
    """
    factor = 10.0**scale
    low, high = -TWO51, TWO51

    def quick(lst: list[Any]) -> int:
        i = 0
        try:
            for v in lst:
                product = v * factor  # an int as numpy converts it (an int too big for a float raises)
                if not low < product < high or int(product) / factor != v:  # (an int below 2**51 is its float)
                    return i
                i += 1
        except OverflowError:
            pass
        return i

    quick.inline = ("decimal", factor, low, high)  # type: ignore[attr-defined]  # (see quick_inline)
    return quick


def decimal_lossy(scale: int) -> Callable[[Any], str | None]:
    """The warning kind :func:`decimal_vector`'s ``vec_numbers`` gives one JSON number of the
    exact tier (``float_decimal``, ``decimal_truncated``), or None where it gives none or
    leaves the number to the scalar converter (its product not below 2**51): the same tests,
    value by value."""
    factor = 10.0**scale
    low, high, trunc = -TWO51, TWO51, math.trunc

    def kind(v: Any) -> str | None:
        try:
            product = v * factor
        except OverflowError:
            return None
        if not low < product < high:
            return None
        nearest = round(product)
        if nearest / factor != v:
            return "decimal_truncated"
        return "float_decimal" if trunc(product) != nearest else None

    return kind


def decimal_vector(scale: int, exact: bool) -> Vector:
    """JSON numbers times ``10**scale`` at once, and plain decimal strings (:func:`decimal_strings`)."""
    factor = 10.0**scale

    def vec(lst: list[Any], out: np.ndarray) -> Any:
        if exact:
            try:  # ints and floats only; ints round as the endpoint's decoder does
                arr = np.array(lst, dtype=np.float64)
            except (OverflowError, ValueError, TypeError):
                return None
        else:
            a = as_array(lst)
            if a is not None and a.dtype.kind in "if":
                arr = a.astype(np.float64)
            else:  # strings, nulls, missing values: convert the numbers and plain decimal strings, leave the rest
                objs, types = by_type(lst)
                sel = np.flatnonzero(types <= FLOAT)
                texts = np.flatnonzero(types == STR)
                strings = decimal_strings(objs[texts].tolist(), scale) if len(texts) else None
                if not len(sel) and strings is None:
                    return None
                ok = np.zeros(len(lst), dtype=bool)
                lossy: list[tuple[str, np.ndarray]] = []
                if strings is not None:
                    done = texts[strings[0]]
                    out[done] = strings[1]
                    ok[done] = True
                if not len(sel):
                    return ok, lossy
                try:
                    arr = objs[sel].astype(np.float64)
                except OverflowError:
                    return ok, lossy
                part = np.zeros(len(sel), dtype=out.dtype)
                result = vec_numbers(arr, part)
                out[sel] = part
                ok[sel] = True if result[0] is None else result[0]
                for kind, mask in result[1]:
                    full = np.zeros(len(lst), dtype=bool)
                    full[sel[mask]] = True
                    lossy.append((kind, full))
                return ok, lossy
        return vec_numbers(arr, out)

    def vec_numbers(arr: np.ndarray, out: np.ndarray) -> Any:
        product = arr * factor
        t = np.trunc(product)
        # Below 2**51 the float product is within 0.25 of the written number times
        # 10**scale, so rounding it recovers that number exactly and the tests below are
        # exact; bigger products (large values, high scales) go to the scalar converter.
        if np.abs(product).max() < TWO51:
            ok = None
            out[:] = t
        else:
            ok = np.abs(product) < TWO51
            out[:] = np.where(ok, t, 0.0)
        nearest = np.rint(product)
        short = nearest / factor == arr  # the written number has at most `scale` digits
        lossy = []
        changed = short & (t != nearest)
        if ok is not None:
            changed &= ok
            short |= ~ok
        if changed.any():
            lossy.append(("float_decimal", changed))
        if not short.all():
            lossy.append(("decimal_truncated", ~short))
        return ok, lossy

    return vec
