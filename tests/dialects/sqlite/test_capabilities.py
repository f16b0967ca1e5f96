from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Check,
    Column,
    ExprDefault,
    Index,
    IndexKey,
    LiteralDefault,
    PrimaryKey,
    Schema,
    Table,
    View,
)
from mizzle.core.types import ColumnType, TypeKind, t
from mizzle.dialects.sqlite.capabilities import capability_problems, noted_storage_projection, project
from mizzle.dialects.sqlite.introspect import introspect
from mizzle.dialects.sqlite.render import render_schema
from tests.dialects.rich_schema import RICH


def col(name: str, ctype: ColumnType, nullable: bool = True, default: Any = None) -> Column:
    return Column(name=name, type=ctype, nullable=nullable, default=default)


def table(name: str, *columns: Column, pk: tuple[str, ...] = (), **parts: Any) -> Table:
    key = PrimaryKey(name=f"{name}_pkey", columns=pk) if pk else None
    return Table(name=name, columns=columns, primary_key=key, **parts)


SERIAL = t("serial")


@pytest.mark.parametrize(
    ("tables", "problem"),
    [
        ([table("sqlite_stat", col("a", t("integer")))], '"sqlite_stat": SQLite reserves names starting with sqlite_'),
        (
            [table("User", col("a", t("integer"))), table("user", col("a", t("integer")))],
            'tables, views and indexes "User" and "user": SQLite does not tell names apart by case',
        ),
        (
            [table("x", col("a", t("integer")), col("A", t("integer")))],
            'table "x", columns "A" and "a": SQLite does not tell names apart by case',
        ),
    ],
)
def test_capability_problem_names_its_place(tables: list[Table], problem: str) -> None:
    assert capability_problems(Schema(tables=tuple(tables))) == [problem]


#: what the server has and SQLite cannot hold: the server's alone, one note each, never a refusal
SERVER_ONLY_CASES = [
    pytest.param(
        Schema(tables=(table("x", col("id", SERIAL, False), col("k", t("integer"), False), pk=("id", "k")),)),
        "auto-increment of x.id (SQLite numbers only a sole primary key: the device must supply its values)",
        id="serial-in-a-composite-key",
    ),
    pytest.param(
        Schema(tables=(table("x", col("id", t("integer"), False), col("n", SERIAL, False), pk=("id",)),)),
        "auto-increment of x.n (SQLite numbers only a sole primary key: the device must supply its values)",
        id="serial-outside-the-key",
    ),
    pytest.param(
        Schema(tables=(table("x", col("a", t("text"), default=ExprDefault(expr=SqlExpr.parse("auth.uid()")))),)),
        "default on x.a: auth.uid() (uid() is not a SQLite function; the app supplies the value on the device)",
        id="default",
    ),
    pytest.param(
        Schema(
            tables=(table("x", col("a", t("text")), checks=(Check(name="x_a_check", expr=SqlExpr.parse("a ~ 'y'")),)),)
        ),
        "check x_a_check on x (SQLite has no regular expression matching (~))",
        id="check",
    ),
    pytest.param(
        Schema(
            tables=(
                table(
                    "x",
                    col("a", t("text")),
                    indexes=(Index(name="i", keys=(IndexKey(expr=SqlExpr.parse("to_tsvector('english', a)")),)),),
                ),
            )
        ),
        "index i on x (to_tsvector() is not a SQLite function)",
        id="index",
    ),
    pytest.param(
        Schema(
            tables=(table("x", col("a", t("integer"))),),
            views=(
                View(name="v", query=SqlExpr.parse("select a from x where a = any(array[1])")),
                View(name="w", query=SqlExpr.parse("select a from v")),
            ),
        ),
        "view v (SQLite has no ANY (...)); view w (reads v, which SQLite does not have)",
        id="view-and-the-view-reading-it",
    ),
]


@pytest.mark.parametrize(("schema", "note"), SERVER_ONLY_CASES)
def test_what_sqlite_cannot_hold_is_the_servers_alone_and_said_once(schema: Schema, note: str) -> None:
    assert capability_problems(schema) == []
    held, side = noted_storage_projection(schema)
    assert "; ".join(n.text for n in side) == note
    assert all(n.side == "server-only" and n.dropped for n in side)
    # what is left applies to SQLite, and reads back as the projection says
    conn = sqlite3.connect(":memory:")
    for statement in render_schema(schema):
        conn.execute(statement)
    assert introspect(conn).schema == project(schema)[0]
    x = held.table("x")
    assert x is not None and not x.checks and not x.indexes and held.views == ()
    assert all(c.default is None and c.type.kind is not TypeKind.SERIAL for c in x.columns if c.name != "id")


def test_rich_schema_has_no_problem_on_sqlite() -> None:
    assert capability_problems(RICH) == []


def test_projection_notes_every_change_once() -> None:
    _held, notes = project(RICH)
    assert notes == [
        'table "playlist", column "id": bigserial is held as serial (SQLite has one 64-bit rowid)',
        'table "tune", column "span": custom interval is stored as text',
        'table "tune", index "tune_data_idx": SQLite has no gin indexes; held as a btree index',
        'table "tune", index "tune_score_idx": SQLite indexes have no NULLS FIRST/LAST; dropped',
        'table "tune", index "tune_updated_idx": SQLite indexes have no NULLS FIRST/LAST; dropped',
        'enum "spare": no column uses it, and SQLite keeps enums only in columns; dropped',
    ]


def test_projection_holds_what_sqlite_can_tell_apart() -> None:
    held, _notes = project(RICH)
    playlist, tune = held.table("playlist"), held.table("tune")
    assert playlist is not None and tune is not None
    assert playlist.columns[0].type.kind is TypeKind.SERIAL
    assert {i.name: i.method for i in tune.indexes}["tune_data_idx"] == "btree"
    assert all(k.nulls is None for i in tune.indexes for k in i.keys)
    assert [e.name for e in held.enums] == ["mood"]


def test_projection_keeps_what_sqlite_holds_as_it_is() -> None:
    held, _notes = project(RICH)
    assert held.views == RICH.views
    assert held.table("genre") == RICH.table("genre")
    assert held.table("playlist_tune") == RICH.table("playlist_tune")


def test_projection_holds_expressions_as_sqlite_spells_them() -> None:
    check = Check(name="x_a_check", expr=SqlExpr.parse("a ILIKE 'y%'"))
    held, notes = project(Schema(tables=(table("x", col("a", t("text")), checks=(check,)),)))
    x = held.table("x")
    assert x is not None and x.checks[0].expr == SqlExpr.parse("lower(a) LIKE lower('y%')")
    assert notes == ["table \"x\", check \"x_a_check\": SQLite holds a ILIKE 'y%' as LOWER(a) LIKE LOWER('y%')"]


def test_render_schema_carries_expressions_once_as_the_projection_reads_them_back(sqlite_path: Path) -> None:
    view = View(name="v", query=SqlExpr.parse("select a from x where a ilike 'y%' and d < now()"))
    schema = Schema(tables=(table("x", col("a", t("text")), col("d", t("timestamptz"))),), views=(view,))
    statements = render_schema(schema)
    assert statements[-1] == (
        "CREATE VIEW v AS SELECT x.a FROM x WHERE LOWER(x.a) LIKE LOWER('y%') "
        "AND x.d < (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    )
    held, _notes = project(schema)
    assert held.views[0].query == SqlExpr.parse(statements[-1].removeprefix("CREATE VIEW v AS "), "sqlite")


def test_projection_holds_timestamp_literal_defaults_in_the_iso_form() -> None:
    column = col("at", t("timestamptz"), default=LiteralDefault(value="2024-05-01 12:00:00+02"))
    held, notes = project(Schema(tables=(table("x", column),)))
    x = held.table("x")
    assert x is not None and x.columns[0].default == LiteralDefault(value="2024-05-01T10:00:00.000Z")
    assert notes == [
        "table \"x\", column \"at\": default '2024-05-01 12:00:00+02' is held as '2024-05-01T10:00:00.000Z'"
    ]


def test_projection_is_idempotent() -> None:
    once, _notes = project(RICH)
    twice, notes = project(once)
    assert twice == once
    assert notes == ['table "tune", column "span": custom interval is stored as text']


def test_projection_is_what_sqlite_introspection_reads_back_from_the_rendered_schema(sqlite_path: Path) -> None:
    conn = sqlite3.connect(sqlite_path)
    for statement in render_schema(RICH):
        conn.execute(statement)
    back = introspect(conn)
    conn.close()
    assert back.unsupported == ()
    assert back.schema.to_dict() == project(RICH)[0].to_dict()


def test_enum_arrays_are_held_as_text_arrays_and_round_trip(sqlite_path: Path) -> None:
    from mizzle.core.model import Enum

    moods = t("enum", name="mood", array_dims=1)
    schema = Schema(enums=(Enum(name="mood", values=("a", "b")),), tables=(table("t", col("moods", moods)),))
    held, notes = project(schema)
    assert held.tables[0].columns[0].type == t("text", array_dims=1)
    assert held.enums == ()
    assert notes[0] == 'table "t", column "moods": enum mood[] is held as text[] (SQLite cannot check array elements)'
    conn = sqlite3.connect(sqlite_path)
    for statement in render_schema(schema):
        conn.execute(statement)
    back = introspect(conn)
    conn.close()
    assert back.unsupported == () and back.schema == held


@pytest.mark.parametrize(
    "pg_type", ["time(3) with time zone", "time with time zone", "bit varying(5)", "bit(3)[]", "interval"]
)
def test_custom_types_keep_their_postgresql_spelling_through_sqlite(pg_type: str) -> None:
    from mizzle.dialects.postgresql.types import column_type_from_pg, type_sql
    from mizzle.dialects.sqlite.types import column_type_from_declared, declared_type

    ctype = column_type_from_pg(pg_type)
    assert type_sql(ctype) == pg_type
    assert column_type_from_declared(declared_type(ctype)) == ctype


def test_identity_columns_and_keys_to_another_schema_are_held_as_sqlite_can_and_round_trip(sqlite_path: Path) -> None:
    from mizzle.sources.sql.reader import parse_ddl

    schema = parse_ddl(
        "CREATE TABLE users (id uuid PRIMARY KEY REFERENCES auth.users ON DELETE CASCADE, name text);\n"
        "CREATE TABLE posts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n int GENERATED BY DEFAULT AS"
        " IDENTITY, author uuid REFERENCES users);"
    ).schema
    held, notes = project(schema)
    assert notes == ['table "posts", column "id": the identity column is SQLite\'s rowid alias (INTEGER PRIMARY KEY)']
    # what the device goes without is said in the header (not a reason to refuse a SQLite-only project)
    assert [(n.text, n.dropped) for n in noted_storage_projection(schema)[1]] == [
        ("identity of posts.n (SQLite has none: the device must supply its values)", False),
        ("foreign key users_id_fkey on users (references auth.users, which the device does not have)", False),
    ]
    posts, users = held.tables
    assert [(c.name, c.type, c.identity) for c in posts.columns[:2]] == [
        ("id", t("serial"), None),
        ("n", t("integer"), None),
    ]
    assert [fk.name for fk in posts.foreign_keys] == ["posts_author_fkey"] and users.foreign_keys == ()
    conn = sqlite3.connect(sqlite_path)
    for statement in render_schema(schema):
        conn.execute(statement)
    conn.execute("INSERT INTO posts (n) VALUES (5)")
    assert conn.execute("SELECT id, n FROM posts").fetchall() == [(1, 5)]
    back = introspect(conn)
    conn.close()
    assert back.unsupported == () and back.schema == held


def test_operator_classes_are_left_out_the_index_kept_plain_and_it_reads_back(tmp_path: Path) -> None:
    """A btree key with text_pattern_ops is a plain key on the device; a gin index with
    gin_trgm_ops a plain btree index (SQLite has neither); what is created reads back as the
    projection, so a device pulled and pushed back plans nothing."""
    key = IndexKey(column="name", desc=True, opclass="text_pattern_ops", collation="C")
    pattern = Index(name="t_name_pattern", keys=(key,))
    trigrams = Index(name="t_name_trgm", keys=(IndexKey(column="name", opclass="gin_trgm_ops"),), method="gin")
    schema = Schema(
        tables=(table("t", col("id", SERIAL), col("name", t("text")), pk=("id",), indexes=(pattern, trigrams)),)
    )
    held, notes = project(schema)
    assert held.tables[0].indexes == (
        Index(name="t_name_pattern", keys=(IndexKey(column="name", desc=True),)),
        Index(name="t_name_trgm", keys=(IndexKey(column="name"),)),
    )
    assert (
        notes.count('table "t", index "t_name_pattern": SQLite indexes have no operator classes; held as a plain index')
        == 1
    )
    assert 'table "t", index "t_name_trgm": SQLite has no gin indexes; held as a btree index' in notes
    assert (
        'table "t", index "t_name_pattern": PostgreSQL\'s collations are not SQLite\'s; the keys take their columns\''
        in notes
    )
    statements = render_schema(schema)
    assert not any("_ops" in s for s in statements)
    path = tmp_path / "device.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(";\n".join(statements))
    with sqlite3.connect(path) as conn:
        assert introspect(conn).schema == held
