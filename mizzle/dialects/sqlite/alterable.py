"""Can SQLite carry out this change in place? One predicate, `in_place_problem` (as Atlas's
`alterable`): the reason a plain ALTER TABLE (or CREATE/DROP INDEX) cannot do it, or None.

What SQLite's ALTER TABLE can do: ADD COLUMN when the column is nullable or has a constant
default and is not in a key, foreign key or check; RENAME TABLE and RENAME COLUMN (SQLite
≥ 3.26 with `legacy_alter_table` off rewrites the references in views, triggers and other
tables' foreign keys); DROP COLUMN when no key, foreign key, check or index uses the column.
It has no ALTER COLUMN and no ADD/DROP CONSTRAINT (`ALWAYS_REBUILT`): anything else rebuilds
the table (`rebuild.py`).
"""

from __future__ import annotations

from mizzle.core.model import Column, Table
from mizzle.core.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    CreateIndex,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropUnique,
    Operation,
    RenameColumn,
)
from mizzle.core.types import SERIAL_KINDS
from mizzle.dialects.sqlite.rebuild import constant_default

#: Operations that change one table in place or through a rebuild (grouped per table).
TABLE_CHANGES = (
    AddColumn,
    DropColumn,
    RenameColumn,
    AlterColumn,
    AddPrimaryKey,
    DropPrimaryKey,
    AddForeignKey,
    DropForeignKey,
    AddUnique,
    DropUnique,
    AddCheck,
    DropCheck,
    CreateIndex,
    DropIndex,
)

#: What SQLite's ALTER TABLE cannot do at all (it has no ALTER COLUMN, no ADD/DROP CONSTRAINT).
ALWAYS_REBUILT: dict[type[Operation], str] = {
    AlterColumn: "SQLite cannot change a column in place",
    AddPrimaryKey: "SQLite cannot add a primary key in place",
    DropPrimaryKey: "SQLite cannot drop a primary key in place",
    AddForeignKey: "SQLite cannot add a foreign key in place",
    DropForeignKey: "SQLite cannot drop a foreign key in place",
    AddUnique: "SQLite cannot add a unique constraint in place",
    DropUnique: "SQLite cannot drop a unique constraint in place",
    AddCheck: "SQLite cannot add a check in place",
    DropCheck: "SQLite cannot drop a check in place",
}


def in_place_problem(op: Operation, before: Table, after: Table) -> str | None:
    """Why SQLite cannot carry out `op`, which turns `before` into `after`, with a plain ALTER
    (or CREATE/DROP INDEX); None when it can."""
    reason = ALWAYS_REBUILT.get(type(op))
    if reason is not None:
        return reason
    if isinstance(op, AddColumn):
        column = after.column(op.column.name)
        assert column is not None
        return _add_column_problem(after, column)
    if isinstance(op, DropColumn):
        return _drop_column_problem(before, op.column.name)
    return None


def _add_column_problem(table: Table, column: Column) -> str | None:
    """ADD COLUMN's limits: no PRIMARY KEY or UNIQUE, NOT NULL only with a default, only a
    default SQLite can evaluate once, and no table constraint (foreign keys and checks are
    table constraints in mizzle's DDL). An enum's column CHECK is fine: since 3.37 SQLite
    checks it against the existing rows."""
    name = column.name
    where = f"ADD COLUMN {name}"
    if column.generated is not None:
        return f"{where}: SQLite cannot add a STORED generated column in place"
    if column.type.kind in SERIAL_KINDS or (table.primary_key and name in table.primary_key.columns):
        return f"{where}: the column is in the primary key"
    if any(name in u.columns for u in table.uniques):
        return f"{where}: the column is in a unique constraint"
    if any(name in fk.columns for fk in table.foreign_keys):
        return f"{where}: the column is in a foreign key"
    if any(name in c.expr.column_names() for c in table.checks):
        return f"{where}: a check reads the column"
    if not column.nullable and column.default is None:
        return f"{where}: a NOT NULL column needs a default"
    if not constant_default(column):
        return f"{where}: SQLite only adds a column with a constant default to a table with rows"
    return None


def _drop_column_problem(table: Table, name: str) -> str | None:
    """DROP COLUMN's limits: the column may not be in a key, a foreign key, an index or a
    table check (its own column CHECK, an enum's, is dropped with it)."""
    where = f"DROP COLUMN {name}"
    if table.primary_key and name in table.primary_key.columns:
        return f"{where}: the column is in the primary key"
    if any(name in u.columns for u in table.uniques):
        return f"{where}: the column is in a unique constraint"
    if any(name in fk.columns for fk in table.foreign_keys):
        return f"{where}: the column is in a foreign key"
    if any(name in c.expr.column_names() for c in table.checks):
        return f"{where}: a check reads the column"
    if any(name in i.columns for i in table.indexes):
        return f"{where}: an index reads the column"
    if any(c.generated is not None and name in c.generated.column_names() for c in table.columns):
        return f"{where}: a generated column reads the column"
    return None
