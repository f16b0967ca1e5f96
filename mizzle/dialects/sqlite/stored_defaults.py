"""The DEFAULT texts SQLite stores (PRAGMA table_xinfo's `dflt_value`), read into neutral defaults.

The reverse of `render.default_sql`. `now` and random uuids are recognised by comparing
canonical sqlglot trees with `types.NOW_SQL` / `types.RANDOM_UUID_SQL`, not raw text, so
spacing and case do not matter. Constants are read by the column's type, the way the
PostgreSQL side reads them (`core/canonical.default_from_pg`), so that one schema gives
equal defaults from either database: integers for integer columns, decimal text for other
numbers, booleans from 1/0/TRUE/FALSE, JSON text into a list for arrays.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from sqlglot import exp

from mizzle.core.errors import IntrospectionError
from mizzle.core.expr import SqlExpr, parse_expression
from mizzle.core.model import Default, ExprDefault, LiteralDefault, NowDefault, RandomUuidDefault, Scalar
from mizzle.core.types import INTEGER_KINDS, NUMBER_KINDS, ColumnType, TypeKind
from mizzle.dialects.sqlite.stored_sql import parse_sqlite_expression
from mizzle.dialects.sqlite.types import NOW_SQL, RANDOM_UUID_SQL

_NOT_LITERAL = object()


@lru_cache(maxsize=1)
def _generated() -> tuple[dict[TypeKind, SqlExpr], SqlExpr]:
    now = {kind: SqlExpr(parse_expression(sql, "sqlite")) for kind, sql in NOW_SQL.items()}
    return now, SqlExpr(parse_expression(RANDOM_UUID_SQL, "sqlite"))


def default_from_sqlite(text: str, ctype: ColumnType, what: str) -> Default | None:
    """The neutral default of a column of `ctype` whose stored DEFAULT is `text`; None for
    NULL. `what` names the place in an IntrospectionError when the text cannot be parsed."""
    try:
        return _default(text, ctype)
    except IntrospectionError:
        parse_sqlite_expression(text, what)  # raises again, naming the place
        raise


@lru_cache(maxsize=4096)
def _default(text: str, ctype: ColumnType) -> Default | None:
    tree = parse_sqlite_expression(text, "a default")
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if isinstance(tree, exp.Null):
        return None
    expr = SqlExpr(tree)
    now, random_uuid = _generated()
    if not ctype.array_dims and ctype.kind in now and expr == now[ctype.kind]:
        return NowDefault()
    if not ctype.array_dims and ctype.kind is TypeKind.UUID and expr == random_uuid:
        return RandomUuidDefault()
    value = _literal(tree, ctype)
    if value is not _NOT_LITERAL:
        return LiteralDefault.model_validate({"value": value})
    return ExprDefault(expr=expr)


def _literal(tree: exp.Expression, ctype: ColumnType) -> object:
    """The Python value of a constant default, or _NOT_LITERAL."""
    if ctype.array_dims:
        if not (isinstance(tree, exp.Literal) and tree.is_string):
            return _NOT_LITERAL
        return _json_array(str(tree.this), ctype.element)
    if isinstance(tree, exp.Boolean):
        return bool(tree.this) if ctype.kind is TypeKind.BOOLEAN else _NOT_LITERAL
    if isinstance(tree, exp.Neg) and isinstance(tree.this, exp.Literal) and not tree.this.is_string:
        return _number("-" + str(tree.this.this), ctype)
    if isinstance(tree, exp.Literal) and not tree.is_string:
        return _number(str(tree.this), ctype)
    if isinstance(tree, exp.Literal):
        return _string(str(tree.this), ctype)
    if isinstance(tree, exp.Column) and not tree.table:
        return _string(tree.name, ctype)  # SQLite reads `DEFAULT abc` and `DEFAULT "abc"` as the text 'abc'
    return _NOT_LITERAL


def _number(text: str, ctype: ColumnType) -> object:
    kind = ctype.kind
    if kind is TypeKind.BOOLEAN:
        return {"1": True, "0": False}.get(text, _NOT_LITERAL)
    if kind in INTEGER_KINDS:
        try:
            return int(text)
        except ValueError:
            return _NOT_LITERAL
    if kind is TypeKind.BYTES:
        return _NOT_LITERAL
    return text  # decimal text for other numbers; on a text column SQLite stores the digits as text


def _string(text: str, ctype: ColumnType) -> object:
    kind = ctype.kind
    if kind is TypeKind.BOOLEAN:
        return _NOT_LITERAL  # SQLite would store the text itself, not a boolean
    if kind in INTEGER_KINDS:
        try:
            return int(text)  # INTEGER affinity turns '5' into 5
        except ValueError:
            return _NOT_LITERAL
    if kind in NUMBER_KINDS:
        try:
            Decimal(text)
        except InvalidOperation:
            return _NOT_LITERAL
    return text


def _json_array(text: str, element: ColumnType) -> object:
    """`'["a","b"]'` → ["a", "b"]; anything but a flat JSON array of scalars is not a literal."""
    try:
        items = json.loads(text, parse_float=str, parse_int=str)
    except ValueError:
        return _NOT_LITERAL
    if not isinstance(items, list):
        return _NOT_LITERAL
    out: list[Scalar] = []
    for item in items:
        value = _array_item(item, element)
        if value is _NOT_LITERAL:
            return _NOT_LITERAL
        out.append(value)  # type: ignore[arg-type]
    return out


def _array_item(item: object, element: ColumnType) -> object:
    if item is None or isinstance(item, bool):
        return item if item is None or element.kind is TypeKind.BOOLEAN else _NOT_LITERAL
    if not isinstance(item, str):
        return _NOT_LITERAL  # a nested list or an object
    if element.kind is TypeKind.BOOLEAN:
        return _NOT_LITERAL
    if element.kind in INTEGER_KINDS:
        try:
            return int(item)
        except ValueError:
            return _NOT_LITERAL
    return item
