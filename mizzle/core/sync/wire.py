"""The neutral wire form of column values: what `changes_since` returns and `apply_remote`
takes, the same whichever database a row comes from.

Each database's driver gives values of its own kinds (psycopg: `UUID`, aware `datetime`,
`Decimal`, parsed JSON, lists; sqlite3: text, 0/1, floats, JSON text), so rows are brought
to one form, by the column's neutral type, before they leave or are compared:

- uuid: `str`, lower-case 8-4-4-4-12;
- timestamptz: `YYYY-MM-DDTHH:MM:SS.mmmZ` (UTC) when the value has whole milliseconds
  (always so for `last_modified_at`), else `YYYY-MM-DDTHH:MM:SS.ffffffZ`; text without an
  offset is read as UTC (SQLite's clock);
- timestamp: the same without the `Z`; time: `HH:MM:SS.mmm` (or `.ffffff`); date: `YYYY-MM-DD`;
- numeric: decimal text, with exactly `scale` decimals for `numeric(p, s)` (SQLite holds
  12.50 as the float 12.5; a value with more decimals is kept as it is, never rounded),
  else without trailing zeros;
- real, double: `float`; integer kinds: `int`; boolean: `bool` (SQLite stores 0/1);
- json, jsonb: the parsed value (SQLite stores the text); SQL NULL is None, so a JSON `null`
  and a NULL column read alike;
- arrays: lists of the element's wire form (SQLite stores JSON text);
- bytes: `bytes`; base64 text in `Changes.to_dict()`, and accepted back as such;
- char(n): `str` without the trailing blanks PostgreSQL pads with;
- text, varchar, enum, custom: `str`.

`canonical` takes any of these spellings (a driver's value, or wire text that came through
JSON) and gives the one wire value: the dialect adapters decode what only they can tell
apart (SQLite's JSON text), then everything else is done here, once. Standard library only.
"""

from __future__ import annotations

import base64
import binascii
import functools
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any

from mizzle.core.types import INTEGER_KINDS, JSON_KINDS, SERIAL_KINDS, ColumnType, TypeKind


class WireError(ValueError):
    """A value that is not of its column's type (the message says what it is not)."""


def canonical(value: Any, ctype: ColumnType) -> Any:
    """The wire form of `value` in a column of type `ctype`; WireError when it is not one."""
    return converter(ctype)(value)


@functools.lru_cache(maxsize=512)
def converter(ctype: ColumnType) -> Callable[[Any], Any]:
    """`canonical` for one column type, chosen once: a pull converts every value of every row,
    so the choice is made per column, not per value."""
    if ctype.array_dims:
        return functools.partial(_array, ctype)
    convert: Callable[[Any, ColumnType], Any] = _CONVERTERS.get(ctype.kind, _text)

    def one(value: Any) -> Any:
        return None if value is None else convert(value, ctype)

    return one


def _array(ctype: ColumnType, value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise WireError(f"not an array: {_show(value)}")
    # PostgreSQL's catalog does not keep an array's dimensions (integer[][] reads back as
    # integer[]), so a nested list is taken as more of the same array, at any depth.
    inner = ctype.model_copy(update={"array_dims": ctype.array_dims - 1})
    return [canonical(v, ctype if isinstance(v, list | tuple) and not inner.array_dims else inner) for v in value]


def json_ready(value: Any) -> Any:
    """A wire value as JSON can carry it: bytes become base64 text (`canonical` reads it back
    by the column's type), everything else already is."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


# --- times -----------------------------------------------------------------------------------


def timestamptz_text(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` (or `.ffffffZ` when not whole milliseconds), in UTC: the text
    SQLite's triggers write, which sorts like the time itself. Naive times are taken as UTC."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return _fraction(moment) + "Z"


def _fraction(moment: datetime | time) -> str:
    precision = "microseconds" if moment.microsecond % 1000 else "milliseconds"
    return moment.isoformat(timespec=precision)


def parse_time_text(text: str) -> datetime:
    """ISO text (`...Z`, with an offset, or without one) as a datetime; WireError otherwise."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise WireError(f"not an ISO-8601 time: {_show(text)}") from None


def _timestamptz(value: Any, ctype: ColumnType) -> str:
    if isinstance(value, str):
        value = parse_time_text(value)
    if not isinstance(value, datetime):
        raise WireError(f"not a timestamp: {_show(value)}")
    return timestamptz_text(value)


def _timestamp(value: Any, ctype: ColumnType) -> str:
    if isinstance(value, str):
        value = parse_time_text(value)
    if not isinstance(value, datetime):
        raise WireError(f"not a timestamp: {_show(value)}")
    if value.tzinfo is not None:
        raise WireError(f"a timestamp without time zone has no offset: {_show(value)}")
    return _fraction(value)


def _date(value: Any, ctype: ColumnType) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10]).isoformat()
        except ValueError:
            pass
    raise WireError(f"not a date: {_show(value)}")


def _time(value: Any, ctype: ColumnType) -> str:
    if isinstance(value, str):
        try:
            value = time.fromisoformat(value.strip())
        except ValueError:
            raise WireError(f"not a time of day: {_show(value)}") from None
    if not isinstance(value, time):
        raise WireError(f"not a time of day: {_show(value)}")
    return _fraction(value.replace(tzinfo=None))


# --- numbers -----------------------------------------------------------------------------------


def _integer(value: Any, ctype: ColumnType) -> int:
    if type(value) is int:  # the common case, first
        return value
    if isinstance(value, bool):
        raise WireError(f"not an integer: {_show(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float | Decimal):
        try:
            if value == int(value):
                return int(value)
        except (ValueError, OverflowError):  # NaN, infinities
            pass
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise WireError(f"not an integer: {_show(value)}")


def _float(value: Any, ctype: ColumnType) -> float:
    if isinstance(value, bool):
        raise WireError(f"not a number: {_show(value)}")
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond any double
        raise WireError(f"not a number: {_show(value)}") from None


def _numeric(value: Any, ctype: ColumnType) -> str:
    if isinstance(value, bool):
        raise WireError(f"not a number: {_show(value)}")
    try:
        # a float's repr is the shortest text that reads back as it: 12.5, not 12.4999...
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (TypeError, ValueError, InvalidOperation):
        raise WireError(f"not a number: {_show(value)}") from None
    if not number.is_finite():
        return str(number)  # NaN, Infinity, -Infinity: as PostgreSQL spells them
    with localcontext() as context:
        context.prec = 2000  # numeric(p, s) has p <= 1000: quantize never rounds the integer part
        if ctype.scale is not None:
            # padded to the scale, never rounded: a value with more decimals (SQLite keeps
            # them) travels exactly, for the other side to reject rather than to change
            padded = number.quantize(Decimal(1).scaleb(-ctype.scale))
            number = padded if padded == number else number.normalize()
        elif number == number.to_integral_value():
            number = number.quantize(Decimal(1))
        else:
            number = number.normalize()
    return format(number, "f")


def _boolean(value: Any, ctype: ColumnType) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise WireError(f"not a boolean: {_show(value)}")


# --- everything else ---------------------------------------------------------------------------


def _uuid(value: Any, ctype: ColumnType) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            pass
    raise WireError(f"not a uuid: {_show(value)}")


def _json(value: Any, ctype: ColumnType) -> Any:
    return value  # already parsed (psycopg parses, the SQLite adapter loads the text)


def _bytes(value: Any, ctype: ColumnType) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise WireError(f"not bytes (nor base64 text): {_show(value)}")


def _text(value: Any, ctype: ColumnType) -> str:
    if type(value) is str and ctype.kind is not TypeKind.CHAR:  # the common case, first
        return value
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        text = str(value)  # SQLite's affinity may have made a number of text that looked like one
    else:
        raise WireError(f"not text: {_show(value)}")
    # PostgreSQL pads char(n) with blanks and ignores them in comparisons; SQLite keeps none
    return text.rstrip(" ") if ctype.kind is TypeKind.CHAR else text


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_CONVERTERS: dict[TypeKind, Callable[[Any, ColumnType], Any]] = {
    **{k: _integer for k in INTEGER_KINDS | SERIAL_KINDS},
    **{k: _json for k in JSON_KINDS},
    TypeKind.REAL: _float,
    TypeKind.DOUBLE: _float,
    TypeKind.NUMERIC: _numeric,
    TypeKind.BOOLEAN: _boolean,
    TypeKind.TIMESTAMPTZ: _timestamptz,
    TypeKind.TIMESTAMP: _timestamp,
    TypeKind.DATE: _date,
    TypeKind.TIME: _time,
    TypeKind.UUID: _uuid,
    TypeKind.BYTES: _bytes,
}
