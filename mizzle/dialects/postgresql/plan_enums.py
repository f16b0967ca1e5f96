"""Enum types on PostgreSQL: create, drop, and change their values.

New values (the old ones keeping their order) are added in place with `ALTER TYPE ... ADD
VALUE`. PostgreSQL (12+) runs that inside a transaction, but refuses to *use* the value
before the transaction commits ("unsafe use of new value"). So when a later operation of
the same migration uses a new value (a default, a CHECK, an index predicate, a view, a
column converted to the enum), the values are added by a step outside the transaction
(`IF NOT EXISTS`, so a migration that failed after it simply runs again), which the planner
puts first in the migration: it commits on its own, and the rest stays one transaction.

Removing or reordering values cannot be done in place: the type is recreated. The old type
is renamed `<name>__old`, the new one created, every column using it converted through
text (guards first count the rows holding a removed value), and the old type dropped. What
PostgreSQL would rebuild from stored text naming the old type, or what blocks the change,
is dropped before and added back after: views over the tables (dependent views included),
foreign keys between enum columns, CHECKs and expression/partial indexes reading them.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel
from sqlglot import exp

from mizzle.core import qualified
from mizzle.core.expr import SqlExpr
from mizzle.core.model import Column, Enum, LiteralDefault, Table
from mizzle.core.naming import make_object_name
from mizzle.core.operations import AlterColumn, AlterEnum, CreateEnum, DropEnum, Operation
from mizzle.core.plan import Guard
from mizzle.core.types import TypeKind
from mizzle.dialects.postgresql.plan_casts import using
from mizzle.dialects.postgresql.plan_context import (
    Context,
    Planned,
    add_check_sql,
    alter_column,
    count_guard,
    create_schema_sql,
    drop_constraint,
    drop_view,
    ident,
    in_schema_of,
    message_text,
    reads_by_expression,
    rel,
    string,
    strings,
    views_over,
)
from mizzle.dialects.postgresql.render import (
    add_foreign_key_sql,
    create_enum_sql,
    create_index_sql,
    create_view_sql,
    default_sql,
)
from mizzle.dialects.postgresql.types import type_sql


def create_enum(op: CreateEnum, ctx: Context) -> Planned:
    return Planned((*create_schema_sql(op.enum.name), create_enum_sql(op.enum)))


def drop_enum(op: DropEnum, ctx: Context) -> Planned:
    return Planned((f"DROP TYPE {rel(op.enum.name)}",))


def alter_enum(op: AlterEnum, ctx: Context) -> Planned:
    if op.only_appends:
        return _add_values(op, ctx)
    return _recreate(op, ctx)


# --- new values in place ---------------------------------------------------------------------------


def add_value_statements(old: Enum, new: Enum, *, if_not_exists: bool = False) -> list[str]:
    """`ALTER TYPE ... ADD VALUE` for each new value, placed where `new` lists it: after the
    value before it, or before the first old value; values past the old ones are appended."""
    head = f"ALTER TYPE {rel(new.name)} ADD VALUE {'IF NOT EXISTS ' if if_not_exists else ''}"
    statements = []
    for i, value in enumerate(new.values):
        if value in old.values:
            continue
        if not any(v in old.values for v in new.values[i + 1 :]):
            place = ""
        elif i > 0:
            place = f" AFTER {string(new.values[i - 1])}"
        else:
            place = f" BEFORE {string(old.values[0])}"
        statements.append(f"{head}{string(value)}{place}")
    return statements


def _mentions(obj: object, enum: str, values: set[str]) -> bool:
    """Whether `obj` (an operation or part of one) uses one of `values` of `enum`: a default of
    a column of the enum, or a string literal in an expression (CHECK, predicate, view body,
    expression default; over-approximated, which only costs a transaction split)."""
    if isinstance(obj, Column) and obj.type.kind is TypeKind.ENUM and obj.type.name == enum:
        default = obj.default.value if isinstance(obj.default, LiteralDefault) else None
        if any(v in values for v in (default if isinstance(default, list) else [default])):
            return True
    if isinstance(obj, SqlExpr):
        return any(lit.is_string and lit.this in values for lit in obj.tree.find_all(exp.Literal))
    if isinstance(obj, BaseModel):
        return any(_mentions(getattr(obj, name), enum, values) for name in type(obj).model_fields)
    if isinstance(obj, (tuple, list)):
        return any(_mentions(item, enum, values) for item in obj)
    return False


def uses_values(operations: Sequence[Operation], enum: str, values: Sequence[str]) -> bool:
    """Whether any of `operations` uses one of `values` of `enum` (converting a column to the
    enum counts: its rows may hold them)."""
    wanted = set(values)
    for op in operations:
        if isinstance(op, AlterColumn) and op.type_changed and op.new.type.name == enum:
            return True
        if _mentions(op, enum, wanted):
            return True
    return False


def _add_values(op: AlterEnum, ctx: Context) -> Planned:
    outside = uses_values(ctx.later, op.new.name, op.added)
    return Planned(tuple(add_value_statements(op.old, op.new, if_not_exists=outside)), transactional=not outside)


# --- recreating the type ---------------------------------------------------------------------------


def _enum_columns(table: Table, enum: str) -> list[Column]:
    return [c for c in table.columns if c.type.kind is TypeKind.ENUM and c.type.name == enum]


def _removed_guard(table: str, column: Column, enum: str, removed: list[str]) -> Guard:
    c = ident(column.name)
    if column.type.array_dims:
        condition = f"{c}::text[] && ARRAY[{strings(removed)}]::text[]"
    else:
        condition = f"{c}::text IN ({strings(removed)})"
    message = (
        f"cannot remove {message_text(strings(removed))} from enum {message_text(enum)}: "
        f"{{count}} rows of {message_text(table)} hold them in {message_text(column.name)}"
    )
    return count_guard(table, condition, message)


def _recreate(op: AlterEnum, ctx: Context) -> Planned:
    name = op.new.name
    users = [(t, c) for t in ctx.before.tables for c in _enum_columns(t, name)]
    enum_columns = {(t.name, c.name) for t, c in users}
    tables = [t for t in ctx.before.tables if _enum_columns(t, name)]

    views = views_over(ctx.before, [t.name for t in tables])
    fks = [
        (t.name, fk)
        for t in ctx.before.tables
        for fk in t.foreign_keys
        if any((t.name, c) in enum_columns for c in fk.columns)
        or any((fk.local_ref, c) in enum_columns for c in fk.ref_columns)
    ]
    checks = [
        (t.name, check)
        for t in tables
        for check in t.checks
        if any((t.name, c) in enum_columns for c in check.expr.column_names())
    ]
    indexes = [
        (t.name, index)
        for t in tables
        for index in t.indexes
        if any(reads_by_expression(index, c.name) for c in _enum_columns(t, name))
    ]

    statements = [drop_view(v.name) for v in reversed(views)]
    statements += [drop_constraint(t, fk.name) for t, fk in fks]
    statements += [drop_constraint(t, check.name) for t, check in checks]
    statements += [f"DROP INDEX {in_schema_of(t, index.name)}" for t, index in indexes]
    old_name = make_object_name(name, None, "_old")
    statements += [f"ALTER TYPE {rel(name)} RENAME TO {ident(qualified.split(old_name)[1])}", create_enum_sql(op.new)]
    for table, column in users:
        head = alter_column(table.name, column.name)
        after = ctx.table_after(table.name).column(column.name)
        if column.default is not None:
            statements.append(f"{head} DROP DEFAULT")
        statements.append(
            f"{head} TYPE {type_sql(column.type)} USING {using(ident(column.name), column.type, column.type)}"
        )
        new_default = default_sql(after) if after is not None else None
        if new_default is not None:
            statements.append(f"{head} SET DEFAULT {new_default}")
    statements.append(f"DROP TYPE {rel(old_name)}")
    statements += [create_index_sql(t, index) for t, index in indexes]
    statements += [add_check_sql(t, check) for t, check in checks]
    statements += [add_foreign_key_sql(t, fk) for t, fk in fks]
    statements += [create_view_sql(v) for v in views]

    removed = op.removed
    guards = tuple(_removed_guard(t.name, c, name, removed) for t, c in users) if removed else ()
    return Planned(tuple(statements), guards=guards)
