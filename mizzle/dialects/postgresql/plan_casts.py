"""How a column's values are converted when its type changes: the `USING` expression of
`ALTER COLUMN ... TYPE`, and the guards that count the rows the conversion cannot carry.

Both are tables of rules, tried in order: the first rule whose predicate holds for the pair
(old type, new type) gives the expression; every guard rule that holds adds a guard. Types
here are the column's storage types (a serial is its integer type: its sequence is the
column planner's business).

Without a guard, a conversion that fails on some row (`'abc'::integer`) stops the migration
with PostgreSQL's own error and rolls it back: nothing is lost, the message is only less
precise. Guards are written where PostgreSQL would *not* fail but silently change values
(an explicit cast to `varchar(n)` truncates) and where counting is cheap and exact.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from mizzle.core.model import Column
from mizzle.core.operations import is_widening
from mizzle.core.plan import Guard
from mizzle.core.types import INTEGER_KINDS, NUMBER_KINDS, TEXT_KINDS, ColumnType, TypeKind
from mizzle.dialects.postgresql.plan_context import count_guard, ident, message_text, strings
from mizzle.dialects.postgresql.types import type_sql

#: the values each integer type holds
INTEGER_RANGES: dict[TypeKind, tuple[int, int]] = {
    TypeKind.SMALLINT: (-(2**15), 2**15 - 1),
    TypeKind.INTEGER: (-(2**31), 2**31 - 1),
    TypeKind.BIGINT: (-(2**63), 2**63 - 1),
}
#: the storage type of a serial
SERIAL_BASES: dict[TypeKind, TypeKind] = {TypeKind.SERIAL: TypeKind.INTEGER, TypeKind.BIGSERIAL: TypeKind.BIGINT}

#: The text forms PostgreSQL reads as a boolean (any unique prefix of true/false/yes/no, on/off, 1/0).
BOOLEAN_TEXTS = (
    *("t", "tr", "tru", "true", "f", "fa", "fal", "fals", "false"),
    *("y", "ye", "yes", "n", "no", "on", "of", "off", "1", "0"),
)
#: Text PostgreSQL reads as an integer / a decimal number (surrounding blanks allowed).
INTEGER_TEXT = r"^\s*[-+]?[0-9]+\s*$"
DECIMAL_TEXT = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
#: Non-finite numbers: real, double precision and unconstrained numeric read them.
NON_FINITE_TEXTS = ("nan", "infinity", "+infinity", "-infinity", "inf", "+inf", "-inf")


def storage_type(ctype: ColumnType) -> ColumnType:
    """The type PostgreSQL stores: a serial is its integer type."""
    base = SERIAL_BASES.get(ctype.kind)
    return ColumnType(kind=base) if base else ctype


def _scalar(ctype: ColumnType) -> bool:
    return ctype.array_dims == 0


def _is(kinds: frozenset[TypeKind] | set[TypeKind]) -> Callable[[ColumnType], bool]:
    return lambda ctype: _scalar(ctype) and ctype.kind in kinds


_integer = _is(INTEGER_KINDS)
_number = _is(NUMBER_KINDS)
_text = _is(TEXT_KINDS)
_boolean = _is({TypeKind.BOOLEAN})
_timestamp = _is({TypeKind.TIMESTAMP})
_timestamptz = _is({TypeKind.TIMESTAMPTZ})


def _enum(ctype: ColumnType) -> bool:
    return ctype.kind is TypeKind.ENUM


def _text_like(ctype: ColumnType) -> bool:
    """Text, or an array of text."""
    return ctype.kind in TEXT_KINDS


# --- USING ---------------------------------------------------------------------------------------

Rule = tuple[Callable[[ColumnType, ColumnType], bool], Callable[[str, ColumnType, ColumnType], str]]


def _via_text(c: str, old: ColumnType, new: ColumnType) -> str:
    """`c::text::mood`: any value reaches an enum through its text (an enum has no other casts)."""
    if _text_like(old) and old.array_dims == new.array_dims:
        return f"{c}::{type_sql(new)}"
    return f"{c}::text{'[]' * old.array_dims}::{type_sql(new)}"


def _boolean_to_integer(c: str, old: ColumnType, new: ColumnType) -> str:
    # PostgreSQL casts boolean to integer only (not to smallint or bigint).
    return f"{c}::integer" if new.kind is TypeKind.INTEGER else f"{c}::integer::{type_sql(new)}"


def _into_array(c: str, old: ColumnType, new: ColumnType) -> str:
    # a value becomes a one-element array; NULL stays NULL (not an array holding NULL)
    return f"CASE WHEN {c} IS NULL THEN NULL ELSE ARRAY[{using(c, old, new.element)}] END"


#: (applies to (old, new), USING expression of the column `c`), first match wins.
USING_RULES: tuple[Rule, ...] = (
    # a timestamp without time zone is read as UTC, whatever the server's TimeZone: the result
    # does not depend on the session, and the reverse change gives the same values back
    (lambda o, n: _timestamp(o) and _timestamptz(n), lambda c, o, n: f"{c} AT TIME ZONE 'UTC'"),
    (lambda o, n: _timestamptz(o) and _timestamp(n), lambda c, o, n: f"{c} AT TIME ZONE 'UTC'"),
    (lambda o, n: _number(o) and _boolean(n), lambda c, o, n: f"{c} <> 0"),
    (lambda o, n: _boolean(o) and _integer(n), _boolean_to_integer),
    (lambda o, n: _scalar(o) and n.array_dims == 1, _into_array),
    (lambda o, n: _enum(n), _via_text),
)


def using(column_sql: str, old: ColumnType, new: ColumnType) -> str:
    """The USING expression converting the column (`column_sql`, quoted) from `old` to `new`."""
    for applies, expression in USING_RULES:
        if applies(old, new):
            return expression(column_sql, old, new)
    return f"{column_sql}::{type_sql(new)}"


# --- guards --------------------------------------------------------------------------------------

GuardRule = tuple[
    Callable[[ColumnType, ColumnType], bool],
    Callable[[str, ColumnType, ColumnType], str],  # the condition a row that cannot convert meets
    str,  # what such rows hold, for the message
]


def _each(c: str, ctype: ColumnType, condition: Callable[[str], str]) -> str:
    """`condition` of the value, or of any element of an array."""
    if ctype.array_dims == 0:
        return condition(c)
    return f"EXISTS (SELECT 1 FROM unnest({c}) AS element WHERE {condition('element')})"


def _too_long(c: str, old: ColumnType, new: ColumnType) -> str:
    return _each(c, old, lambda v: f"length({v}::text) > {new.length}")


def _out_of_range(c: str, old: ColumnType, new: ColumnType) -> str:
    low, high = INTEGER_RANGES[new.kind]
    # a fraction is rounded by the cast, so round before comparing
    value = c if _integer(old) else f"round({c}::numeric)"
    return f"{value} NOT BETWEEN {low} AND {high}"


def _limit(new: ColumnType) -> str:
    """The smallest magnitude numeric(p, s) cannot hold, e.g. `1000` for numeric(5,2)."""
    assert new.precision is not None
    return str(Decimal(10) ** (new.precision - (new.scale or 0)))


def _too_large(c: str, old: ColumnType, new: ColumnType) -> str:
    return f"abs(round({c}::numeric, {new.scale or 0})) >= {_limit(new)}"


def _not_a_number(c: str, old: ColumnType, new: ColumnType) -> str:
    """Text that the number type does not read (or reads out of its range)."""
    if new.kind in INTEGER_RANGES:
        low, high = INTEGER_RANGES[new.kind]
        pattern, fits = INTEGER_TEXT, f"{c}::numeric NOT BETWEEN {low} AND {high}"
        otherwise = "true"
    else:
        pattern = DECIMAL_TEXT
        fits = f"abs(round({c}::numeric, {new.scale or 0})) >= {_limit(new)}" if new.precision else "false"
        otherwise = f"lower(btrim({c})) NOT IN ({strings(NON_FINITE_TEXTS)})"
    # CASE, not OR: SQL does not promise to test the pattern before casting
    return f"{c} IS NOT NULL AND CASE WHEN {c} ~ '{pattern}' THEN {fits} ELSE {otherwise} END"


def _not_a_boolean(c: str, old: ColumnType, new: ColumnType) -> str:
    return f"lower(btrim({c})) NOT IN ({strings(BOOLEAN_TEXTS)})"


def _widening(old: ColumnType, new: ColumnType) -> bool:
    return is_widening(Column(name="c", type=old), Column(name="c", type=new))


def _narrower_text(old: ColumnType, new: ColumnType) -> bool:
    if new.kind not in (TypeKind.VARCHAR, TypeKind.CHAR) or new.length is None or old.array_dims != new.array_dims:
        return False
    return not (old.kind in (TypeKind.VARCHAR, TypeKind.CHAR) and old.length is not None and old.length <= new.length)


def _narrower_numeric(old: ColumnType, new: ColumnType) -> bool:
    numeric = _scalar(new) and new.kind is TypeKind.NUMERIC and new.precision is not None
    return numeric and _number(old) and not _widening(old, new)


#: (applies to (old, new), condition of a row the change cannot carry, what such rows hold)
GUARD_RULES: tuple[GuardRule, ...] = (
    # an explicit cast to varchar(n) truncates silently
    (_narrower_text, _too_long, "values longer than {length} characters"),
    (lambda o, n: _number(o) and _integer(n) and not _widening(o, n), _out_of_range, "values out of its range"),
    (_narrower_numeric, _too_large, "values too large for it"),
    (lambda o, n: _text(o) and _number(n), _not_a_number, "values that do not convert to it"),
    (lambda o, n: _text(o) and _boolean(n), _not_a_boolean, "values that do not convert to it"),
)


def _not_in_enum(c: str, old: ColumnType, values: tuple[str, ...]) -> str:
    """A value (an element, for arrays) whose text is not one of `values` (a value that
    becomes a one-element array is checked as a value)."""
    if old.array_dims:
        return f"NOT ({c}::text[] <@ ARRAY[{strings(values)}]::text[])"
    return f"{c}::text NOT IN ({strings(values)})"


def conversion_guards(
    table: str, column: str, old: ColumnType, new: ColumnType, enum_values: tuple[str, ...] | None = None
) -> list[Guard]:
    """Guards counting the rows of `table` whose `column` cannot be converted from `old` to
    `new` (`enum_values`: the values of the new enum type, when `new` is one)."""
    c = ident(column)
    where = f"cannot change {message_text(table)}.{message_text(column)} to {message_text(new.describe())}: "
    guards = []
    for applies, condition, holding in GUARD_RULES:
        if applies(old, new):
            text = holding.format(length=new.length)
            guards.append(count_guard(table, condition(c, old, new), where + "{count} rows hold " + text))
    if _enum(new) and enum_values is not None and old.array_dims <= new.array_dims:
        outside = _not_in_enum(c, old, enum_values)
        guards.append(count_guard(table, outside, where + "{count} rows hold values that are not in it"))
    return guards
