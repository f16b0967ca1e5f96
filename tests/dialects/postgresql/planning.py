"""Helpers for the PostgreSQL planner tests: schemas in a line, a plan run as the runner
runs a migration file, and a round trip (plan, check, undo, check) against a real database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg

from mizzle.core.errors import MizzleError
from mizzle.core.evolve import evolve
from mizzle.core.expr import SqlExpr
from mizzle.core.migration_text import parse_file, render_file
from mizzle.core.model import (
    Column,
    ExprDefault,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    Schema,
    Table,
)
from mizzle.core.operations import Operation
from mizzle.core.plan import Plan
from mizzle.core.types import ColumnType, t
from mizzle.dialects.postgresql import apply, connect, introspect, plan, render_schema
from mizzle.dialects.urls import parse_url

Rows = list[tuple[Any, ...]]


def col(column: str, kind: str | ColumnType, /, nullable: bool = True, default: object = None, **params: Any) -> Column:
    """A column in a line: `col("a", "varchar", length=3, default="x")` (plain values become literal defaults)."""
    ctype = kind if isinstance(kind, ColumnType) else t(kind, **params)
    if default is not None and not isinstance(default, (LiteralDefault, NowDefault, RandomUuidDefault, ExprDefault)):
        default = LiteralDefault.model_validate({"value": default})
    return Column.model_validate({"name": column, "type": ctype, "nullable": nullable, "default": default})


def table(name: str, *columns: Column, pk: tuple[str, ...] | None = ("id",), **parts: Any) -> Table:
    """A table whose primary key `<name>_pkey` is on `pk` (None: no primary key)."""
    key = PrimaryKey(name=f"{name}_pkey", columns=pk) if pk else None
    return Table(name=name, columns=columns, primary_key=key, **parts)


def expr(text: str) -> SqlExpr:
    return SqlExpr.parse(text)


def after(schema: Schema, ops: Sequence[Operation]) -> Schema:
    return evolve(schema, ops)


# --- running plans -------------------------------------------------------------------------------


def statements(op: Operation, schema: Schema, *, concurrently: bool = False) -> list[str]:
    """The statements of the one step planning `op` on `schema` gives."""
    (step,) = plan([op], schema, after(schema, [op]), concurrently=concurrently).steps
    return list(step.statements)


def guards(op: Operation, schema: Schema) -> list[tuple[str, str]]:
    """(query, message) of each guard of the one step planning `op` on `schema` gives."""
    (step,) = plan([op], schema, after(schema, [op])).steps
    return [(g.query, g.message) for g in step.guards]


def planned_sql(p: Plan) -> list[str]:
    """What the migration file of `p` holds, in order: each step's guards, then its statements."""
    out = []
    for step in p.steps:
        out += [g.query.rstrip(";") + ";" for g in step.guards]
        out += [s.rstrip(";") + ";" for s in step.statements]
    return out


def run_plan(conn: psycopg.Connection[Any], p: Plan) -> None:
    """Run `p` as the runner runs a migration file: the file's text is written and read back;
    guards and statements run in one transaction (a guard counting rows stops it with its
    message), a no-transaction statement runs alone between the transactional segments."""
    parsed = parse_file(render_file(p, "test"))
    assert [s.sql for s in parsed.statements] == planned_sql(p)
    try:
        for statement in parsed.statements:
            if not statement.transactional:
                conn.commit()
                conn.autocommit = True
                try:
                    conn.execute(statement.sql.encode())
                finally:
                    conn.autocommit = False
            elif statement.guard_message is not None:
                row = conn.execute(statement.sql.encode()).fetchone()
                assert row is not None
                if row[0]:
                    raise MizzleError(statement.guard_message.format(count=row[0]))
            else:
                conn.execute(statement.sql.encode())
        conn.commit()
    except BaseException:
        conn.rollback()
        raise


def fetch(conn: psycopg.Connection[Any], query: str) -> Rows:
    rows = conn.execute(query.encode()).fetchall()
    conn.rollback()
    return [tuple(r) for r in rows]


def schema_of(conn: psycopg.Connection[Any]) -> Schema:
    found = introspect(conn)
    assert not found.unsupported, found.warning()
    conn.rollback()
    return found.schema


def same(a: Schema, b: Schema) -> bool:
    """Equal up to the order of each table's columns: ADD COLUMN appends, so a dropped column
    that comes back (undone) comes back last."""

    def by_name(schema: Schema) -> Schema:
        tables = tuple(
            t.model_copy(update={"columns": tuple(sorted(t.columns, key=lambda c: c.name))}) for t in schema.tables
        )
        return schema.model_copy(update={"tables": tables})

    return by_name(a) == by_name(b)


def open_database(url: str, schema: Schema, rows: Sequence[str] = ()) -> psycopg.Connection[Any]:
    """A connection to `url` holding `schema` (built as a fresh database is) and `rows`."""
    conn = connect(parse_url(url))
    apply(conn, render_schema(schema))
    if rows:
        apply(conn, list(rows))
    return conn


@dataclass(frozen=True)
class RoundTrip:
    """Schema `before` with `rows` → `ops` → the database reads as `evolve(before, ops)` and
    `read` gives `up`; undone → it reads as `before` and `read` gives `down` (by default
    what it gave at first). `read_up`: the query after the change, when names changed."""

    name: str
    before: Schema
    ops: list[Operation]
    rows: tuple[str, ...] = ()
    read: str | None = None
    up: Rows | None = None
    down: Rows | None = None
    read_up: str | None = None
    concurrently: bool = False
    #: SQL to run after the change, before undoing it (e.g. an insert using the new shape)
    then: tuple[str, ...] = field(default=())
    #: a query run once undone, and what it gives
    finally_: tuple[str, Rows] | None = None

    def __str__(self) -> str:
        return self.name


def round_trip(url: str, case: RoundTrip) -> Plan:
    target = after(case.before, case.ops)
    with open_database(url, case.before, case.rows) as conn:
        assert schema_of(conn) == case.before
        first = fetch(conn, case.read) if case.read else []
        p = plan(case.ops, case.before, target, concurrently=case.concurrently)
        run_plan(conn, p)
        assert same(schema_of(conn), target)
        if case.read:
            assert fetch(conn, case.read_up or case.read) == case.up
        if case.then:
            apply(conn, list(case.then))
        run_plan(conn, p.down())
        assert same(schema_of(conn), case.before)
        if case.read:
            assert fetch(conn, case.read) == (case.down if case.down is not None else first)
        if case.finally_:
            assert fetch(conn, case.finally_[0]) == case.finally_[1]
    return p


@dataclass(frozen=True)
class Refused:
    """Schema `before` with `rows` → `ops` must stop with `message`, changing nothing.
    `undo`: plan the operations, run them, and expect their *undoing* to stop instead
    (after `then` ran)."""

    name: str
    before: Schema
    ops: list[Operation]
    rows: tuple[str, ...]
    message: str
    read: str | None = None
    undo: bool = False
    then: tuple[str, ...] = ()
    concurrently: bool = False

    def __str__(self) -> str:
        return self.name


def refused(url: str, case: Refused) -> None:
    target = after(case.before, case.ops)
    p = plan(case.ops, case.before, target, concurrently=case.concurrently)
    with open_database(url, case.before, case.rows) as conn:
        if case.undo:
            run_plan(conn, p)
            apply(conn, list(case.then))
            p = p.down()
        schema = schema_of(conn)
        rows = fetch(conn, case.read) if case.read else []
        try:
            run_plan(conn, p)
        except MizzleError as err:
            assert str(err) == case.message
        else:
            raise AssertionError(f"expected the plan to stop with: {case.message}")
        assert schema_of(conn) == schema
        if case.read:
            assert fetch(conn, case.read) == rows
