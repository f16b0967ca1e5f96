"""A value typed in the studio's form, turned into what the driver binds for a column of a
given type, or refused with the reason: a value either arrives in the database unchanged or
not at all (SQLite, which converts or accepts anything, would otherwise change it silently).
And the other way: a value read from the database as JSON for the page."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.core.model import Column, Schema
from mizzle.core.types import INTEGER_KINDS, JSON_KINDS, SERIAL_KINDS, TEXT_KINDS, TypeKind


class ValueRefused(MizzleError):
    """A value that would not arrive unchanged in its column."""


#: The text forms SQLite holds dates and times in (the dialect's storage forms: TEXT, ISO 8601,
#: timestamptz in UTC with a `Z`), so that they sort as the server's do.
SQLITE_TEXT_FORMS: dict[TypeKind, tuple[re.Pattern[str], str]] = {
    TypeKind.DATE: (re.compile(r"\d{4}-\d{2}-\d{2}"), "YYYY-MM-DD"),
    TypeKind.TIME: (re.compile(r"\d{2}:\d{2}:\d{2}(\.\d{1,6})?"), "HH:MM:SS[.fff]"),
    TypeKind.TIMESTAMP: (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?"), "YYYY-MM-DDTHH:MM:SS[.fff]"),
    TypeKind.TIMESTAMPTZ: (
        re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z"),
        "YYYY-MM-DDTHH:MM:SS[.fff]Z",
    ),
}


@dataclass(frozen=True)
class Storage:
    """How a database holds values (each backend's entry in `backends.BACKENDS`)."""

    #: arrays are bound as lists (PostgreSQL's arrays) rather than as JSON text
    native_arrays: bool
    #: a decimal is bound exactly (numeric); else it must survive a 64-bit float (SQLite)
    exact_decimals: bool
    #: the text forms dates and times must be in (SQLite holds them as TEXT); none: the
    #: database parses them and refuses what it cannot read (its message is the reason)
    text_forms: dict[TypeKind, tuple[re.Pattern[str], str]]


INT64 = (-(2**63), 2**63 - 1)
INTEGER_RANGES = {
    TypeKind.SMALLINT: (-(2**15), 2**15 - 1),
    TypeKind.INTEGER: (-(2**31), 2**31 - 1),
    TypeKind.SERIAL: (-(2**31), 2**31 - 1),
    TypeKind.BIGINT: INT64,
    TypeKind.BIGSERIAL: INT64,
}


def bound(value: Any, column: Column, schema: Schema, storage: Storage) -> Any:
    """The driver value for `value` (as the page sent it: JSON) in `column` of a database
    that stores values as `storage` says; ValueRefused naming the column and the reason
    when it would not arrive as sent."""
    if value is None:
        if not column.nullable:
            raise ValueRefused(f"{column.name}: cannot be empty (NOT NULL)")
        return None
    try:
        if column.type.array_dims:
            if not isinstance(value, list):
                raise ValueRefused("expects a JSON array")
            return value if storage.native_arrays else json.dumps(value)
        return _scalar(value, column, schema, storage)
    except ValueRefused as err:
        if str(err).startswith(f"{column.name}:"):
            raise
        raise ValueRefused(f"{column.name}: {err}") from None


def _scalar(value: Any, column: Column, schema: Schema, storage: Storage) -> Any:
    kind = column.type.kind
    if kind in INTEGER_KINDS or kind in SERIAL_KINDS:
        number = _integer(value)
        low, high = INTEGER_RANGES[kind]
        if not low <= number <= high:
            raise ValueRefused(f"{number} is out of range for {kind.value}")
        return number
    if kind is TypeKind.BOOLEAN:
        if not isinstance(value, bool):
            raise ValueRefused(f"expects true or false, not {value!r}")
        return value
    if kind in (TypeKind.REAL, TypeKind.DOUBLE):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueRefused(f"expects a number, not {value!r}")
        return float(value)
    if kind is TypeKind.NUMERIC:
        return _numeric(value, storage)
    text = _text(value)
    if kind in TEXT_KINDS:
        if column.type.length is not None and len(text) > column.type.length:
            raise ValueRefused(f"{len(text)} characters, more than {kind.value}({column.type.length}) holds")
        return text
    if kind is TypeKind.ENUM:
        values = next((e.values for e in schema.enums if e.name == column.type.name), None)
        if values is not None and text not in values:
            raise ValueRefused(f"{text!r} is not one of {', '.join(values)}")
        return text
    if kind is TypeKind.UUID:
        try:
            # the canonical form (lower case, dashes), as PostgreSQL prints a uuid and sync sends it
            return str(uuid.UUID(text))
        except ValueError:
            raise ValueRefused(f"{text!r} is not a UUID") from None
    if kind in JSON_KINDS:
        try:
            json.loads(text)
        except ValueError as err:
            raise ValueRefused(f"not valid JSON: {err}") from None
        return text
    if kind is TypeKind.BYTES:
        try:
            return base64.b64decode(text, validate=True)
        except ValueError:
            raise ValueRefused("expects base64 text") from None
    if kind in storage.text_forms:
        pattern, form = storage.text_forms[kind]
        if not pattern.fullmatch(text):
            raise ValueRefused(f"{text!r} is not in SQLite's storage form {form}")
    # PostgreSQL parses dates, times, enums and its own types from the text (psycopg sends a
    # str untyped), and refuses what it cannot read: its message is the reason.
    return text


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueRefused(f"expects an integer, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value)
    raise ValueRefused(f"expects an integer, not {value!r}")


def _numeric(value: Any, storage: Storage) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueRefused(f"expects a number, not {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueRefused(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueRefused(f"{value!r} is not a finite number")
    if storage.exact_decimals:
        return number
    # SQLite's NUMERIC affinity keeps an integer as an integer and anything else as a 64-bit
    # float: a decimal a float cannot hold exactly would change on the way in.
    if number == number.to_integral_value() and INT64[0] <= number <= INT64[1]:
        return int(number)
    as_float = float(number)
    if Decimal(as_float) != number and Decimal(repr(as_float)) != number:
        raise ValueRefused(f"{value} cannot be stored exactly in SQLite's NUMERIC (a 64-bit float)")
    return as_float


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueRefused(f"expects text, not {value!r}")
    if "\x00" in value:
        raise ValueRefused("text cannot hold a NUL character")
    return value


def shown(value: Any) -> Any:
    """A value read from either database as JSON the page shows and sends back unchanged."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)
