"""A server schema on the device (`equivalents.py`, `capabilities.py`): PostgreSQL calls SQLite
computes with its own functions keep their default; what SQLite cannot hold at all is the
server's alone, left out and named once in the migration's header. Every case runs on a real
SQLite database: the rendered schema applies, a row gets the value, and the database reads back
as the projection says."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mizzle.core.diff import diff
from mizzle.core.expr import SqlExpr
from mizzle.core.migration_text import render_file
from mizzle.core.model import (
    Check,
    Column,
    Default,
    ExprDefault,
    Index,
    IndexKey,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    Schema,
    Table,
    View,
)
from mizzle.core.types import t
from mizzle.dialects.sqlite import introspect, plan, project, render_schema
from tests.dialects.sqlite.test_plan import run

UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
NOW_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
NOW_PLAIN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}$")


def table(*columns: Column, **parts: object) -> Table:
    key = Column(name="id", type=t("integer"), nullable=False)
    return Table(name="t", columns=(key, *columns), primary_key=PrimaryKey(name="t_pkey", columns=("id",)), **parts)  # type: ignore[arg-type]


def defaulted(kind: str, expr: str) -> Schema:
    return Schema(tables=(table(Column(name="v", type=t(kind), default=ExprDefault(expr=SqlExpr.parse(expr)))),))


@pytest.fixture
def db(sqlite_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(sqlite_path, isolation_level=None)
    yield conn
    conn.close()


def created(db: sqlite3.Connection, schema: Schema) -> object:
    """`schema` rendered into `db`, read back as the projection says (nothing to diff: an
    expression default may keep its SQLite text as written, `spelling.py`), and the value a row
    inserted without `v` gets."""
    for statement in render_schema(schema):
        db.execute(statement)
    assert diff(project(schema)[0], introspect(db).schema) == []
    db.execute("INSERT INTO t (id) VALUES (1)")
    return db.execute("SELECT v FROM t").fetchone()[0]


@pytest.mark.parametrize(
    ("kind", "expr", "held", "value"),
    [
        ("uuid", "gen_random_uuid()", RandomUuidDefault(), UUID_V4),
        ("uuid", "uuid_generate_v4()", RandomUuidDefault(), UUID_V4),
        ("uuid", "extensions.uuid_generate_v4()", RandomUuidDefault(), UUID_V4),  # Supabase's spelling
        ("uuid", "uuid_generate_v1()", RandomUuidDefault(), UUID_V4),  # a unique key all the same
        ("timestamptz", "timezone('utc'::text, now())", NowDefault(), NOW_UTC),
        ("timestamptz", "(now() AT TIME ZONE 'utc')", NowDefault(), NOW_UTC),
        ("timestamptz", "CURRENT_TIMESTAMP", NowDefault(), NOW_UTC),
        ("timestamp", "timezone('UTC', CURRENT_TIMESTAMP)", NowDefault(), NOW_PLAIN),  # the column's own form
    ],
)
def test_a_call_sqlite_has_an_equivalent_for_keeps_its_default(
    db: sqlite3.Connection, kind: str, expr: str, held: Default, value: re.Pattern[str]
) -> None:
    schema = defaulted(kind, expr)
    v = project(schema)[0].tables[0].columns[1]
    assert v.default == held
    assert value.match(str(created(db, schema)))


KEYED = defaulted("text", "'key-' || extensions.uuid_generate_v4()::text")


def test_an_equivalent_inside_an_expression_is_rewritten_in_place(db: sqlite3.Connection) -> None:
    for statement in render_schema(KEYED):
        db.execute(statement)
    db.execute("INSERT INTO t (id) VALUES (1)")
    got = str(db.execute("SELECT v FROM t").fetchone()[0])
    assert got.startswith("key-") and UUID_V4.match(got[4:])


@pytest.mark.xfail(
    strict=True,
    reason="the random-uuid text inside a larger expression does not read back as it was rendered: its canonical "
    "form prints substr() as SUBSTRING ... FROM and % as % NULLIF(4, 0), so introspection keeps the stored text "
    "(sqlite_default) and the diff sees a change (as on main with gen_random_uuid()::text)",
)
def test_an_expression_holding_an_equivalent_reads_back_unchanged(db: sqlite3.Connection) -> None:
    created(db, KEYED)


@pytest.mark.parametrize(
    ("expr", "note"),
    [
        ("auth.uid()", "default on t.v: auth.uid() (uid() is not a SQLite function; the app supplies the value"),
        (
            "timezone('Europe/Paris'::text, now())",
            "default on t.v: timezone('Europe/Paris'::text, now()) (timezone() is not a SQLite function;",
        ),
    ],
)
def test_a_default_with_no_equivalent_is_the_servers_and_the_app_supplies_it(
    db: sqlite3.Connection, expr: str, note: str
) -> None:
    schema = defaulted("timestamptz", expr)
    assert project(schema)[0].tables[0].columns[1].default is None
    assert created(db, schema) is None
    planned = plan(diff(Schema(), schema), Schema(), schema)
    assert [n.text[: len(note)] for n in planned.notes] == [note]
    assert render_file(planned, "0001_init (sqlite)").splitlines()[1].startswith(f"-- server-only: {note}")


TSV = Index(name="t_v_tsv", keys=(IndexKey(expr=SqlExpr.parse("to_tsvector('english', v)")),))
RECENT = Check(name="t_v_recent", expr=SqlExpr.parse("v > now() - interval '1 day'"))
BASE = Schema(tables=(table(Column(name="v", type=t("text"))),))


@pytest.mark.parametrize(
    ("after", "line"),
    [
        (
            Schema(tables=(BASE.tables[0].model_copy(update={"indexes": (TSV,)}),)),
            "-- server-only: index t_v_tsv on t (to_tsvector() is not a SQLite function)",
        ),
        (
            Schema(tables=(BASE.tables[0].model_copy(update={"checks": (RECENT,)}),)),
            "-- server-only: check t_v_recent on t (SQLite has no intervals)",
        ),
        (
            BASE.model_copy(update={"views": (View(name="w", query=SqlExpr.parse("SELECT v ~ 'x' AS m FROM t")),)}),
            "-- server-only: view w (SQLite has no regular expression matching (~))",
        ),
    ],
)
def test_a_migration_adding_what_sqlite_cannot_hold_runs_and_names_it(
    db: sqlite3.Connection, after: Schema, line: str
) -> None:
    for statement in render_schema(BASE):
        db.execute(statement)
    planned = plan(diff(BASE, after), BASE, after)
    assert render_file(planned, "0002_add (sqlite)").splitlines()[1] == line
    run(db, planned)
    assert introspect(db).schema == project(after)[0] == BASE
    run(db, planned.down())
    assert introspect(db).schema == BASE
