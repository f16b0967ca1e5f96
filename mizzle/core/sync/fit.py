"""Whether a remote value fits its column on both databases, checked before it is written.

A sync carries a value from one database to another, and the two do not hold the same
things: SQLite keeps a 300-character text in a `varchar(10)`, an integer of 2^40 in an
`integer`, a NUL inside text, `Infinity` in a `numeric(10, 2)`; PostgreSQL refuses each of
these, and would silently round `12.345` into a `numeric(10, 2)`. So `apply_remote` takes
only values that the column's declared type holds *as they are*, on either database: a
value that would be refused, truncated or rounded is the row's rejection (with this
module's reason) instead of a failure of the whole batch or a silent change. The same rule
on both databases keeps a row that one side accepted from failing forever on the other.

`problem(raw, ctype)` is given the remote value as it came (before `wire.canonical`, which
would already have rounded a numeric to its scale) and answers None or one reason.
Standard library only.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from mizzle.core.sync import wire
from mizzle.core.types import INTEGER_KINDS, JSON_KINDS, SERIAL_KINDS, ColumnType, TypeKind

#: the range each integer kind holds (PostgreSQL's; SQLite holds 64 bits in any of them)
_INTEGER_BITS = {
    TypeKind.SMALLINT: 16,
    TypeKind.INTEGER: 32,
    TypeKind.SERIAL: 32,
    TypeKind.BIGINT: 64,
    TypeKind.BIGSERIAL: 64,
}
#: the largest finite float4 (PostgreSQL's `real` refuses anything above it)
_REAL_MAX = 3.4028234663852886e38
_STRING_KINDS = frozenset({TypeKind.TEXT, TypeKind.VARCHAR, TypeKind.CHAR, TypeKind.ENUM, TypeKind.CUSTOM})
_FRACTION_KINDS = frozenset({TypeKind.TIME, TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ})
_CHECKED_KINDS = (
    frozenset(_INTEGER_BITS)
    | _STRING_KINDS
    | JSON_KINDS
    | _FRACTION_KINDS
    | {TypeKind.NUMERIC, TypeKind.REAL, TypeKind.DOUBLE}
)


@functools.lru_cache(maxsize=512)
def checker(ctype: ColumnType) -> Callable[[Any], str | None] | None:
    """`problem` for one column type, chosen once per type; None for the types where every
    value `wire.canonical` accepts fits as it is (uuid, times, booleans, bytes)."""
    if ctype.array_dims or ctype.kind in _CHECKED_KINDS:
        return functools.partial(_problem_of, ctype)
    return None


def _problem_of(ctype: ColumnType, raw: Any) -> str | None:
    return problem(raw, ctype)


def problem(raw: Any, ctype: ColumnType) -> str | None:
    """Why `raw` (a remote value that `wire.canonical` accepted for `ctype`) cannot be
    written to a column of `ctype` unchanged, or None when it can."""
    if raw is None:
        return None
    if ctype.array_dims:
        inner = ctype.element
        for item in raw:
            found = problem(item, ctype if isinstance(item, list | tuple) else inner)
            if found:
                return f"an array element: {found}"
        return None
    kind = ctype.kind
    if kind in INTEGER_KINDS or kind in SERIAL_KINDS:
        return _integer(raw, ctype)
    if kind is TypeKind.NUMERIC:
        return _numeric(raw, ctype)
    if kind in (TypeKind.REAL, TypeKind.DOUBLE):
        return _float(float(raw), ctype)
    if kind in JSON_KINDS:
        return _json(raw)
    if kind in _FRACTION_KINDS and ctype.precision is not None and ctype.precision < 6:
        return _fraction(raw, ctype.precision, kind)
    if kind in _STRING_KINDS and isinstance(raw, str):
        return _string(raw, ctype)
    return None


def _integer(raw: Any, ctype: ColumnType) -> str | None:
    bits = _INTEGER_BITS[ctype.kind]
    value = raw if type(raw) is int else int(raw) if not isinstance(raw, str) else int(raw.strip())
    if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
        return f"{value} is out of range for {ctype.kind.value} ({bits}-bit)"
    return None


def _numeric(raw: Any, ctype: ColumnType) -> str | None:
    try:
        number = Decimal(repr(raw)) if isinstance(raw, float) else Decimal(raw)
    except (TypeError, ValueError, InvalidOperation):
        return None  # wire.canonical has refused it already
    if number.is_nan():
        # PostgreSQL's numeric holds NaN, SQLite's NUMERIC affinity makes the text 'NaN' NULL
        return "NaN cannot be held by a numeric column on every database"
    if number.is_infinite():
        if ctype.precision is not None:
            return f"{number} cannot be held by {_spelled(ctype)}"
        return None
    if ctype.precision is None:
        return None
    scale = ctype.scale or 0
    with localcontext() as context:
        context.prec = 2000  # numeric(p, s) has p <= 1000: exact
        if number != number.quantize(Decimal(1).scaleb(-scale)):
            return f"{raw} has more than {scale} decimals: {_spelled(ctype)} would round it"
        whole = abs(int(number))
    whole_digits = len(str(whole)) if whole else 0
    if whole_digits > ctype.precision - scale:
        return f"{raw} is too large for {_spelled(ctype)} (at most {ctype.precision - scale} digits before the point)"
    return None


def _float(value: float, ctype: ColumnType) -> str | None:
    if math.isnan(value):
        return "NaN cannot be held by a floating-point column on every database (SQLite stores it as NULL)"
    if ctype.kind is TypeKind.REAL and math.isfinite(value) and abs(value) > _REAL_MAX:
        return f"{value!r} is out of range for real"
    return None


def _fraction(raw: Any, precision: int, kind: TypeKind) -> str | None:
    # wire.canonical keeps microseconds; PostgreSQL would round them to the precision
    micro = getattr(raw, "microsecond", None)
    if micro is None and isinstance(raw, str):
        wired = wire.canonical(raw, ColumnType(kind=kind))
        dot = wired.rfind(".")
        micro = int(wired[dot + 1 :].rstrip("Z").ljust(6, "0")) if dot >= 0 else 0
    if micro and micro % 10 ** (6 - precision):
        return f"{raw} has more fractional digits than {kind.value}({precision}) holds: it would be rounded"
    return None


def _string(text: str, ctype: ColumnType) -> str | None:
    found = _text_problem(text)
    if found:
        return found
    if ctype.length is not None:
        # char(n)'s padding blanks are not part of the value (wire.canonical strips them)
        length = len(text.rstrip(" ")) if ctype.kind is TypeKind.CHAR else len(text)
        if length > ctype.length:
            return f"{length} characters do not fit {_spelled(ctype)}"
    return None


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "text with a NUL character cannot be held by PostgreSQL"
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # only a surrogate cannot be encoded
        return f"text with a lone surrogate (U+{ord(text[err.start]):04X}) is not valid Unicode"
    return None


def _json(value: Any) -> str | None:
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{value!r} cannot be held by JSON"
    if isinstance(value, str):
        return _text_problem(value)
    if isinstance(value, list | tuple):
        return next((p for p in map(_json, value) if p), None)
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                return f"a JSON object key must be text, not {type(key).__name__}"
            found = _text_problem(key) or _json(item)
            if found:
                return found
        return None
    return f"a {type(value).__name__} is not a JSON value"


def _spelled(ctype: ColumnType) -> str:
    if ctype.kind is TypeKind.NUMERIC and ctype.precision is not None:
        return f"numeric({ctype.precision}, {ctype.scale or 0})"
    if ctype.length is not None:
        return f"{ctype.kind.value}({ctype.length})"
    return ctype.kind.value
