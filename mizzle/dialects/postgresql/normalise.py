"""Expressions as PostgreSQL prints them: the `Dialect.normalise` hook of push and check.

The model cannot canonicalise alone how PostgreSQL prints an expression it was given
(`(name)::text` casts on varchar operands, BETWEEN expanded, `*` expanded in a view body).
Checks, indexes, defaults and views whose text differs from the database's are created once
more in a scratch schema, in a transaction rolled back, and the target takes the database's
spelling of them, so a push after a push finds nothing to do."""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.core.model import Check, Index, Schema
from mizzle.core.operations import (
    AddCheck,
    AlterColumn,
    CreateIndex,
    CreateView,
    DropCheck,
    DropIndex,
    DropView,
    Operation,
)
from mizzle.core.quoting import quoted_name
from mizzle.core.tracking import MigrationDatabase
from mizzle.dialects.postgresql.normalise_objects import printed_objects
from mizzle.dialects.postgresql.normalise_partitions import printed_partitions
from mizzle.dialects.postgresql.normalise_policies import normalise_policies
from mizzle.dialects.postgresql.normalise_routines import printed_code


def normalise(db: MigrationDatabase, conn: Any, target: Schema, operations: list[Operation]) -> Schema:
    """`target` with its checks, indexes, defaults and views that `operations` would change
    spelled as the database prints them. Only the objects whose text differs are created, in
    a rolled-back transaction; `target` itself when there are none or the database refuses."""
    target = normalise_policies(db, conn, target, operations)
    target = printed_code(db, target, operations)  # functions and triggers (`normalise_routines.py`)
    # materialized views and aggregates (`normalise_objects.py`), of the default schema `public`
    target = printed_objects(db, target, operations, "public")
    target = printed_partitions(db, target, operations, "public")  # `normalise_partitions.py`
    suspects = _suspects(operations)
    if not suspects.tables and not suspects.views:
        return target
    held = _held(db, conn, _scratch(target, suspects))
    if held is None:
        return target
    return _substitute(target, held, suspects)


@dataclass
class _Suspects:
    """Objects of the target whose difference from the database may be in the text only:
    (kind, name) per table (kind: check, index, default; a default by its column's name), and
    views."""

    tables: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    views: set[str] = field(default_factory=set)

    def add(self, table: str, kind: str, name: str) -> None:
        self.tables.setdefault(table, set()).add((kind, name))


def _suspects(operations: list[Operation]) -> _Suspects:
    """A drop and an add of the same named check, index or view, and a column whose default
    alone changes: PostgreSQL may print such an object differently from how the schema wrote
    it (`(name)::text` casts, BETWEEN expanded, `*` expanded in a view)."""
    found = _Suspects()
    dropped = {(type(op).__name__, op.table, _part(op).name) for op in operations if isinstance(op, _DROPS)}
    for op in operations:
        if isinstance(op, (AddCheck, CreateIndex)):
            kind, drop = ("check", "DropCheck") if isinstance(op, AddCheck) else ("index", "DropIndex")
            if (drop, op.table, _part(op).name) in dropped:
                found.add(op.table, kind, _part(op).name)
        elif isinstance(op, AlterColumn) and _only_default_text(op):
            found.add(op.table, "default", op.new.name)
    dropped_views = {op.view.name: op.view for op in operations if isinstance(op, DropView)}
    for op in operations:
        if isinstance(op, CreateView) and dropped_views.get(op.view.name, op.view) != op.view:
            found.views.add(op.view.name)
    return found


_DROPS = (DropCheck, DropIndex)


def _only_default_text(op: AlterColumn) -> bool:
    same_otherwise = not (op.type_changed or op.nullable_changed)
    return same_otherwise and op.old.default is not None and op.new.default is not None


def _part(op: Operation) -> Check | Index:
    assert isinstance(op, (AddCheck, DropCheck, CreateIndex, DropIndex))
    return op.check if isinstance(op, (AddCheck, DropCheck)) else op.index


def _scratch(target: Schema, suspects: _Suspects) -> Schema:
    """What to create to see the suspects as the database holds them: their tables (without
    foreign keys, which would need more tables), the suspect views with the views and tables
    they read, and the enums."""
    view_names: set[str] = set()
    table_names = set(suspects.tables)
    pending = list(suspects.views)
    while pending:
        name = pending.pop()
        view = target.view(name)
        if view is None or name in view_names:
            continue
        view_names.add(name)
        for read in view.referenced_tables():
            if target.view(read) is not None:
                pending.append(read)
            elif target.table(read) is not None:
                table_names.add(read)
    # no triggers: they may call functions the scratch schema does not hold
    tables = [t.model_copy(update={"foreign_keys": (), "triggers": ()}) for t in target.tables if t.name in table_names]
    views = [v for v in target.views if v.name in view_names]
    return Schema(tables=tuple(tables), enums=target.enums, views=tuple(views))  # no security: not compared


def _held(db: MigrationDatabase, conn: Any, scratch: Schema) -> Schema | None:
    """`scratch` as PostgreSQL holds it: created in a schema of its own inside a transaction
    that is rolled back, and introspected there. None when the database refuses (no right to
    create a schema, an expression it rejects): the text then stays as the schema wrote it."""
    from mizzle.dialects.postgresql.introspect import introspect
    from mizzle.dialects.postgresql.render import render_schema

    name = f"__mizzle_scratch_{os.getpid()}"
    statements = render_schema(scratch)
    try:
        db.begin()
        db.execute(f"CREATE SCHEMA {quoted_name(name)}")
        db.execute(f"SET LOCAL search_path TO {quoted_name(name)}")
        for statement in statements:
            db.execute(statement)
        return introspect(conn, schema_name=name).schema
    except MizzleError:
        return None
    finally:
        with suppress(MizzleError):
            db.rollback()


def _same_name(held: tuple[Any, ...], item: Any) -> Any:
    return next((h for h in held if h.name == item.name), item)


def _substitute(target: Schema, held: Schema, suspects: _Suspects) -> Schema:
    """`target` with each suspect replaced by the database's spelling of it."""
    tables = []
    for table in target.tables:
        marks, seen = suspects.tables.get(table.name, set()), held.table(table.name)
        if not marks or seen is None:
            tables.append(table)
            continue
        checks = [_same_name(seen.checks, c) if ("check", c.name) in marks else c for c in table.checks]
        indexes = [_same_name(seen.indexes, i) if ("index", i.name) in marks else i for i in table.indexes]
        columns = []
        for column in table.columns:
            printed = seen.column(column.name)
            if ("default", column.name) in marks and printed is not None:
                column = column.model_copy(update={"default": printed.default})
            columns.append(column)
        update = {"checks": tuple(checks), "indexes": tuple(indexes), "columns": tuple(columns)}
        tables.append(table.model_copy(update=update))
    views = [held.view(v.name) or v if v.name in suspects.views else v for v in target.views]
    return target.model_copy(update={"tables": tuple(tables), "views": tuple(views)})
