"""Introspection of real SQLite files: hand-written SQL of every shape, mizzle's own
rendering (round trip), the Chinook corpus, and a thousand tables read with five queries."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mizzle.core.errors import IntrospectionError
from mizzle.core.expr import SqlExpr
from mizzle.core.introspection import Introspected, Unsupported
from mizzle.core.model import (
    Check,
    Column,
    Enum,
    ExprDefault,
    ForeignKey,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    Table,
    Unique,
    View,
)
from mizzle.core.routines import Trigger
from mizzle.core.types import ColumnType, t
from mizzle.core.validate import problems
from mizzle.core.virtual_tables import VirtualTable
from mizzle.dialects.sqlite.connect import apply
from mizzle.dialects.sqlite.introspect import introspect
from mizzle.dialects.sqlite.stored_sql import read_table
from mizzle.dialects.sqlite.types import NOW_SQL, RANDOM_UUID_SQL
from tests.conftest import CORPUS


def read(conn: sqlite3.Connection, *statements: str) -> Introspected:
    conn.executescript(";\n".join(statements))
    return introspect(conn)


def table(conn: sqlite3.Connection, sql: str, name: str = "t") -> Table:
    found = read(conn, sql).schema.table(name)
    assert found is not None
    return found


def column(conn: sqlite3.Connection, definition: str) -> Column:
    return table(conn, f"CREATE TABLE t ({definition})").columns[0]


# --- types ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("SMALLINT", t("smallint")),
        ("INTEGER", t("integer")),
        ("INT", t("integer")),
        ("BIGINT", t("bigint")),
        ("BOOLEAN", t("boolean")),
        ("BOOL", t("boolean")),
        ("TEXT", t("text")),
        ("VARCHAR", t("varchar")),
        ("VARCHAR(255)", t("varchar", length=255)),
        ("CHAR(3)", t("char", length=3)),
        ("NUMERIC", t("numeric")),
        ("NUMERIC(10,2)", t("numeric", precision=10, scale=2)),
        ("DECIMAL(10, 5)", t("numeric", precision=10, scale=5)),
        ("REAL", t("real")),
        ("FLOAT", t("double")),
        ("DOUBLE", t("double")),
        ("DOUBLE PRECISION", t("double")),
        ("DATE_TEXT", t("date")),
        ("TIME_TEXT(3)", t("time", precision=3)),
        ("TIMESTAMP_TEXT", t("timestamp")),
        ("TIMESTAMPTZ_TEXT(6)", t("timestamptz", precision=6)),
        ("UUID_TEXT", t("uuid")),
        ("JSON_TEXT", t("json")),
        ("JSONB_TEXT", t("jsonb")),
        ("BLOB", t("bytes")),
        ("TEXT_ARRAY", t("text").array_of()),
        ("VARCHAR_ARRAY(20)", t("varchar", length=20).array_of()),
        ("INTEGER_ARRAY_ARRAY", t("integer").array_of(2)),
        ("mood_ENUM_ARRAY", t("enum", name="mood").array_of()),
        ("TSVECTOR_TEXT", t("custom", name="tsvector")),
        ("INTERVAL_TEXT", t("custom", name="interval")),
        # hand-written spellings
        ("DATE", t("date")),
        ("DATETIME", t("timestamp")),
        ("TIMESTAMP", t("timestamp")),
        ("TIMESTAMPTZ", t("timestamptz")),
        ("UUID", t("uuid")),
        ("JSON", t("json")),
        ("JSONB", t("jsonb")),
        ("CHARACTER VARYING(30)", t("varchar", length=30)),
        ("CHARACTER(2)", t("char", length=2)),
        ("NVARCHAR(160)", t("varchar", length=160)),
        ("CLOB", t("text")),
        ("BIGSERIAL", t("bigint")),
        ("varchar(20)", t("varchar", length=20)),
        ("", t("bytes")),
        # by affinity
        ("UNSIGNED BIG INT", t("bigint")),
        ("MEDIUMINT", t("integer")),
        ("VARYING CHARACTER(255)", t("text")),
        ("NATIVE CHARACTER(70)", t("text")),
        ("FLOATING POINT", t("integer")),  # "INT" comes first in SQLite's affinity rules too
        ("MONEY", t("numeric")),
        ("generated", t("numeric")),
    ],
)
def test_declared_type(sqlite_conn: sqlite3.Connection, declared: str, expected: ColumnType) -> None:
    assert column(sqlite_conn, f"x {declared}").type == expected


def test_a_type_that_cannot_be_read_whole_is_read_by_its_name_and_kept_as_written(
    sqlite_conn: sqlite3.Connection,
) -> None:
    got = read(sqlite_conn, "CREATE TABLE t (x DECIMAL(2000, 3), y VARCHAR(0))")
    assert [c.type for c in got.schema.tables[0].columns] == [t("numeric"), t("varchar")]
    assert [c.sqlite_type for c in got.schema.tables[0].columns] == ["DECIMAL(2000, 3)", "VARCHAR(0)"]
    assert got.unsupported == ()


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE TABLE t (id INTEGER PRIMARY KEY)", [t("serial")]),
        ("CREATE TABLE t (id integer primary key)", [t("serial")]),
        ("CREATE TABLE t (id INTEGER NOT NULL, CONSTRAINT t_pkey PRIMARY KEY (id))", [t("serial")]),
        ("CREATE TABLE t (id INTEGER, PRIMARY KEY (id DESC))", [t("serial")]),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT)", [t("serial")]),
        ("CREATE TABLE t (id INT PRIMARY KEY)", [t("integer")]),
        ("CREATE TABLE t (id BIGINT PRIMARY KEY)", [t("bigint")]),
        # `INTEGER PRIMARY KEY DESC` is SQLite's documented exception: not the rowid alias
        ("CREATE TABLE t (id INTEGER PRIMARY KEY DESC)", [t("integer")]),
        ("CREATE TABLE t (id INTEGER PRIMARY KEY) WITHOUT ROWID", [t("integer")]),
        ("CREATE TABLE t (a INTEGER, b INTEGER, PRIMARY KEY (a, b))", [t("integer"), t("integer")]),
    ],
)
def test_serial_is_the_rowid_alias(sqlite_conn: sqlite3.Connection, sql: str, expected: list[ColumnType]) -> None:
    got = table(sqlite_conn, sql)
    assert [c.type for c in got.columns] == expected
    assert all(not c.nullable and c.default is None for c in got.columns)


def test_primary_key_columns_are_not_null_even_where_sqlite_lets_them_be(sqlite_conn: sqlite3.Connection) -> None:
    # not nullable in the model (a key), and known to be a key SQLite lets hold NULL
    assert table(sqlite_conn, "CREATE TABLE t (code TEXT PRIMARY KEY, note TEXT)").columns == (
        Column(name="code", type=t("text"), nullable=False, sqlite_null_key=True),
        Column(name="note", type=t("text")),
    )


# --- defaults -------------------------------------------------------------------------------


def lit(value: Any) -> LiteralDefault:
    return LiteralDefault.model_validate({"value": value})


def sqlite_expr(text: str) -> ExprDefault:
    return ExprDefault(expr=SqlExpr.parse(text, "sqlite"))


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        (f"x TIMESTAMPTZ_TEXT DEFAULT ({NOW_SQL[t('timestamptz').kind]})", NowDefault()),
        ("x TIMESTAMPTZ_TEXT DEFAULT (STRFTIME( '%Y-%m-%dT%H:%M:%fZ' , 'now' ))", NowDefault()),
        (f"x TIMESTAMP_TEXT DEFAULT ({NOW_SQL[t('timestamp').kind]})", NowDefault()),
        (
            f"x TIMESTAMP_TEXT DEFAULT ({NOW_SQL[t('timestamptz').kind]})",
            sqlite_expr(NOW_SQL[t("timestamptz").kind]),
        ),
        (f"x UUID_TEXT DEFAULT ({RANDOM_UUID_SQL})", RandomUuidDefault()),
        (f"x TEXT DEFAULT ({RANDOM_UUID_SQL})", sqlite_expr(RANDOM_UUID_SQL)),
        ("x BOOLEAN DEFAULT (1)", lit(True)),
        ("x BOOLEAN DEFAULT 0", lit(False)),
        ("x BOOLEAN DEFAULT TRUE", lit(True)),
        ("x BOOLEAN DEFAULT false", lit(False)),
        ("x BOOLEAN DEFAULT 'yes'", sqlite_expr("'yes'")),
        ("x INTEGER DEFAULT 5", lit(5)),
        ("x SMALLINT DEFAULT (0)", lit(0)),
        ("x BIGINT DEFAULT -1", lit(-1)),
        ("x INTEGER DEFAULT '7'", lit(7)),
        ("x NUMERIC(10,2) DEFAULT (4.99)", lit("4.99")),
        ("x NUMERIC DEFAULT 5", lit("5")),
        ("x REAL DEFAULT -1.5", lit("-1.5")),
        ("x DOUBLE DEFAULT 1e3", lit("1e3")),
        ("x TEXT DEFAULT 'it''s'", lit("it's")),
        ("x TEXT DEFAULT ('a b')", lit("a b")),
        ("x TEXT DEFAULT 0", lit("0")),
        ("x TEXT DEFAULT bare", lit("bare")),
        ("x VARCHAR(10) DEFAULT ''", lit("")),
        ("x JSONB_TEXT DEFAULT ('{}')", lit("{}")),
        ("x CUSTOM_TEXT DEFAULT ('1 day')", lit("1 day")),
        ('x TEXT_ARRAY DEFAULT (\'["a","b c"]\')', lit(["a", "b c"])),
        ("x TEXT_ARRAY DEFAULT ('[]')", lit([])),
        ("x INTEGER_ARRAY DEFAULT ('[1,2]')", lit([1, 2])),
        ("x NUMERIC_ARRAY DEFAULT ('[1.50,2]')", lit(["1.50", "2"])),
        ("x BOOLEAN_ARRAY DEFAULT ('[true,null]')", lit([True, None])),
        ("x TEXT_ARRAY DEFAULT ('[[\"a\"]]')", sqlite_expr("'[[\"a\"]]'")),
        ("x TEXT_ARRAY DEFAULT ('not json')", sqlite_expr("'not json'")),
        ("x TEXT DEFAULT NULL", None),
        ("x TEXT DEFAULT (NULL)", None),
        ("x DATETIME DEFAULT CURRENT_TIMESTAMP", sqlite_expr("CURRENT_TIMESTAMP")),
        ("x DATE_TEXT DEFAULT (date('now'))", sqlite_expr("date('now')")),
        ("x BLOB DEFAULT X'00ff'", sqlite_expr("X'00ff'")),
        ("x INTEGER DEFAULT (1 + 2)", sqlite_expr("1 + 2")),
    ],
)
def test_default(sqlite_conn: sqlite3.Connection, definition: str, expected: object) -> None:
    assert column(sqlite_conn, definition).default == expected


def test_a_default_on_the_rowid_alias_is_not_carried_and_is_noted(sqlite_conn: sqlite3.Connection) -> None:
    got = read(sqlite_conn, "CREATE TABLE t (id INTEGER PRIMARY KEY DEFAULT 7)")
    assert got.schema.tables[0].columns == (Column(name="id", type=t("serial"), nullable=False),)
    assert got.unsupported == (Unsupported("default", "t.id", "DEFAULT 7 on the rowid alias is not carried"),)


# --- constraints ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE TABLE t (id INT, CONSTRAINT pk PRIMARY KEY (id))", PrimaryKey(name="pk", columns=("id",))),
        ("CREATE TABLE t (id INT, PRIMARY KEY (id))", PrimaryKey(name="t_pkey", columns=("id",))),
        ("CREATE TABLE t (id INT CONSTRAINT pk PRIMARY KEY)", PrimaryKey(name="pk", columns=("id",))),
        ("CREATE TABLE t (id INT PRIMARY KEY ON CONFLICT REPLACE)", PrimaryKey(name="t_pkey", columns=("id",))),
        ("CREATE TABLE t (b INT, a INT, PRIMARY KEY (a, b))", PrimaryKey(name="t_pkey", columns=("a", "b"))),
        ("CREATE TABLE t (a INT)", None),
    ],
)
def test_primary_key(sqlite_conn: sqlite3.Connection, sql: str, expected: PrimaryKey | None) -> None:
    assert table(sqlite_conn, sql).primary_key == expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE TABLE t (a INT UNIQUE)", [Unique(name="t_a_key", columns=("a",))]),
        ("CREATE TABLE t (a INT CONSTRAINT one UNIQUE ON CONFLICT IGNORE)", [Unique(name="one", columns=("a",))]),
        ("CREATE TABLE t (a INT, b INT, UNIQUE (b, a))", [Unique(name="t_b_a_key", columns=("b", "a"))]),
        ("CREATE TABLE t (a INT, b INT, CONSTRAINT ab UNIQUE (a, b))", [Unique(name="ab", columns=("a", "b"))]),
        (
            "CREATE TABLE t (a INT UNIQUE, b INT, UNIQUE (a, b) UNIQUE (b))",  # SQLite allows no comma
            [
                Unique(name="t_a_b_key", columns=("a", "b")),
                Unique(name="t_a_key", columns=("a",)),
                Unique(name="t_b_key", columns=("b",)),
            ],
        ),
    ],
)
def test_unique(sqlite_conn: sqlite3.Connection, sql: str, expected: list[Unique]) -> None:
    got = table(sqlite_conn, sql)
    assert list(got.uniques) == expected
    assert got.indexes == ()  # the indexes behind UNIQUE constraints are not indexes of the model


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE TABLE t (a INT CHECK (a > 0))", [("t_a_check", "a > 0")]),
        ("CREATE TABLE t (a INT CONSTRAINT positive CHECK (a > 0))", [("positive", "a > 0")]),
        ("CREATE TABLE t (a INT, b INT, CHECK (a < b))", [("t_check", "a < b")]),
        ("CREATE TABLE t (a INT, b INT, CONSTRAINT ordered CHECK (a < b))", [("ordered", "a < b")]),
        ("CREATE TABLE t (a INT CHECK (a > 0) CHECK (a < 9))", [("t_a_check", "a > 0"), ("t_a_check1", "a < 9")]),
        ("CREATE TABLE t (a TEXT, CHECK (length(a) BETWEEN 1 AND 5))", [("t_a_check", "LENGTH(a) BETWEEN 1 AND 5")]),
        ("CREATE TABLE t (a TEXT CHECK (a GLOB '[0-9]*'))", [("t_a_check", "a GLOB '[0-9]*'")]),
        # SQLite names are case-insensitive: the check reads the column "Price"
        ('CREATE TABLE t ("Price" NUMERIC CHECK (price >= 0))', [("t_Price_check", '"Price" >= 0')]),
    ],
)
def test_check(sqlite_conn: sqlite3.Connection, sql: str, expected: list[tuple[str, str]]) -> None:
    assert [(c.name, c.expr.sql) for c in table(sqlite_conn, sql).checks] == expected


PARENT = "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT UNIQUE, a INT, b INT, UNIQUE (a, b))"


def fk(name: str, columns: tuple[str, ...], ref_columns: tuple[str, ...] = ("id",), **kw: Any) -> ForeignKey:
    return ForeignKey(name=name, columns=columns, ref_table="p", ref_columns=ref_columns, **kw)


@pytest.mark.parametrize(
    ("definition", "expected"),
    [
        ("x INT REFERENCES p (id)", fk("t_x_fkey", ("x",))),
        ("x INT REFERENCES p", fk("t_x_fkey", ("x",))),
        ("x INT CONSTRAINT to_p REFERENCES p (id)", fk("to_p", ("x",))),
        ("x TEXT REFERENCES p (code)", fk("t_x_fkey", ("x",), ("code",))),
        ("x INT, y INT, FOREIGN KEY (x, y) REFERENCES p (a, b)", fk("t_x_y_fkey", ("x", "y"), ("a", "b"))),
        ("x INT, CONSTRAINT to_p FOREIGN KEY (x) REFERENCES p (id)", fk("to_p", ("x",))),
        ("x INT REFERENCES P (ID)", fk("t_x_fkey", ("x",))),
        ("x INT REFERENCES p ON DELETE CASCADE", fk("t_x_fkey", ("x",), on_delete="cascade")),
        ("x INT REFERENCES p ON DELETE SET NULL", fk("t_x_fkey", ("x",), on_delete="set null")),
        ("x INT REFERENCES p ON DELETE SET DEFAULT", fk("t_x_fkey", ("x",), on_delete="set default")),
        ("x INT REFERENCES p ON UPDATE RESTRICT", fk("t_x_fkey", ("x",), on_update="restrict")),
        ("x INT REFERENCES p ON DELETE NO ACTION ON UPDATE CASCADE", fk("t_x_fkey", ("x",), on_update="cascade")),
        ("x INT REFERENCES p MATCH SIMPLE", fk("t_x_fkey", ("x",))),
        (
            "x INT REFERENCES p DEFERRABLE INITIALLY DEFERRED",
            fk("t_x_fkey", ("x",), deferrable=True, initially_deferred=True),
        ),
        ("x INT REFERENCES p DEFERRABLE", fk("t_x_fkey", ("x",), deferrable=True)),
        ("x INT REFERENCES p DEFERRABLE INITIALLY IMMEDIATE", fk("t_x_fkey", ("x",), deferrable=True)),
        ("x INT REFERENCES p NOT DEFERRABLE INITIALLY DEFERRED", fk("t_x_fkey", ("x",))),
        (
            "x INT, CONSTRAINT f FOREIGN KEY (x) REFERENCES p (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED",
            fk("f", ("x",), on_delete="cascade", deferrable=True, initially_deferred=True),
        ),
    ],
)
def test_foreign_key(sqlite_conn: sqlite3.Connection, definition: str, expected: ForeignKey) -> None:
    got = read(sqlite_conn, PARENT, f"CREATE TABLE t ({definition})")
    assert got.schema.table("t").foreign_keys == (expected,)  # type: ignore[union-attr]


def test_several_foreign_keys_keep_their_own_names_and_options(sqlite_conn: sqlite3.Connection) -> None:
    got = table(
        sqlite_conn,
        PARENT + ";\nCREATE TABLE t (x INT REFERENCES p DEFERRABLE INITIALLY DEFERRED, y INT,"
        " CONSTRAINT second FOREIGN KEY (y) REFERENCES p ON DELETE CASCADE, FOREIGN KEY (x) REFERENCES p (id))",
    )
    assert got.foreign_keys == (
        fk("second", ("y",), on_delete="cascade"),
        fk("t_x_fkey", ("x",), deferrable=True, initially_deferred=True),
        fk("t_x_fkey1", ("x",)),
    )


def test_a_foreign_key_to_a_missing_table_is_reported_not_kept(sqlite_conn: sqlite3.Connection) -> None:
    got = read(sqlite_conn, "CREATE TABLE t (x INT REFERENCES gone (id))")
    assert got.schema.tables[0].foreign_keys == ()
    assert got.unsupported == (Unsupported("foreign key", "t.t_x_fkey", 'references missing table "gone"; skipped'),)


def test_generated_names_avoid_names_already_taken(sqlite_conn: sqlite3.Connection) -> None:
    got = table(sqlite_conn, "CREATE TABLE t (a INT UNIQUE, CONSTRAINT t_a_key CHECK (a > 0), CHECK (a < 9))")
    assert [u.name for u in got.uniques] == ["t_a_key1"]
    assert [c.name for c in got.checks] == ["t_a_check", "t_a_key"]


# --- indexes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("CREATE INDEX i ON t (a)", Index(name="i", keys=(IndexKey(column="a"),))),
        ("CREATE UNIQUE INDEX i ON t (a)", Index(name="i", keys=(IndexKey(column="a"),), unique=True)),
        ("CREATE INDEX i ON t (b, a)", Index(name="i", keys=(IndexKey(column="b"), IndexKey(column="a")))),
        (
            "CREATE INDEX i ON t (a DESC, b ASC)",
            Index(name="i", keys=(IndexKey(column="a", desc=True), IndexKey(column="b"))),
        ),
        ("CREATE INDEX i ON t (A)", Index(name="i", keys=(IndexKey(column="a"),))),
        (
            "CREATE INDEX i ON t (a) WHERE b IS NOT NULL",
            # sqlglot reads SQLite's `IS NOT NULL` as NOT (b IS NULL); the projection reads it alike
            Index(name="i", keys=(IndexKey(column="a"),), where=SqlExpr.parse("b IS NOT NULL", "sqlite")),
        ),
        (
            "CREATE INDEX i ON t (lower(name))",
            Index(name="i", keys=(IndexKey(expr=SqlExpr.parse("lower(name)")),)),
        ),
        (
            "CREATE UNIQUE INDEX i ON t (a, lower(name) DESC, (b + 1)) WHERE a > 0 AND NAME <> ''",
            Index(
                name="i",
                keys=(
                    IndexKey(column="a"),
                    IndexKey(expr=SqlExpr.parse("lower(name)"), desc=True),
                    IndexKey(expr=SqlExpr.parse("b + 1")),
                ),
                unique=True,
                where=SqlExpr.parse("a > 0 AND name <> ''"),
            ),
        ),
    ],
)
def test_index(sqlite_conn: sqlite3.Connection, sql: str, expected: Index) -> None:
    got = table(sqlite_conn, f"CREATE TABLE t (a INT, b INT, name TEXT);\n{sql}")
    assert got.indexes == (expected,)


def test_a_key_inheriting_its_columns_collation_is_noted_once(sqlite_conn: sqlite3.Connection) -> None:
    got = read(sqlite_conn, "CREATE TABLE t (a TEXT COLLATE NOCASE UNIQUE)", "CREATE INDEX i ON t (a)")
    assert got.unsupported == (Unsupported("collation", "t.a", "COLLATE NOCASE is not carried"),)


def test_an_index_collation_is_noted(sqlite_conn: sqlite3.Connection) -> None:
    got = read(sqlite_conn, "CREATE TABLE t (a TEXT, b TEXT)", "CREATE INDEX i ON t (a, b COLLATE NOCASE DESC)")
    assert got.schema.tables[0].indexes == (
        Index(name="i", keys=(IndexKey(column="a"), IndexKey(column="b", desc=True))),
    )
    assert got.unsupported == (Unsupported("collation", "i key 2", "COLLATE NOCASE is not carried"),)


# --- enums ----------------------------------------------------------------------------------


def test_enum_checks_make_enums_shared_across_tables(sqlite_conn: sqlite3.Connection) -> None:
    got = read(
        sqlite_conn,
        """CREATE TABLE a (mood TEXT NOT NULL DEFAULT ('ok') CONSTRAINT "enum:mood" CHECK ("mood" IN ('sad', 'ok')))""",
        """CREATE TABLE b (m TEXT, CONSTRAINT "enum:mood" CHECK (m IN ('sad', 'ok')), CHECK (m <> 'x'))""",
    )
    assert got.schema.enums == (Enum(name="mood", values=("sad", "ok")),)
    a, b = got.schema.tables
    assert a.columns == (Column(name="mood", type=t("enum", name="mood"), nullable=False, default=lit("ok")),)
    assert b.columns == (Column(name="m", type=t("enum", name="mood")),)
    assert (a.checks, b.checks) == ((), (Check(name="b_m_check", expr=SqlExpr.parse("m <> 'x'")),))
    assert problems(got.schema) == []


def test_enum_checks_that_disagree_are_an_error(sqlite_conn: sqlite3.Connection) -> None:
    sqlite_conn.executescript(
        """CREATE TABLE a (m TEXT CONSTRAINT "enum:mood" CHECK (m IN ('sad', 'ok')));
        CREATE TABLE b (m TEXT CONSTRAINT "enum:mood" CHECK (m IN ('ok', 'sad')))"""
    )
    with pytest.raises(
        IntrospectionError, match=r"""enum "mood": column "a.m" allows \['sad', 'ok'\] but column "b.m" """
    ):
        introspect(sqlite_conn)


def test_an_enum_check_on_a_column_that_is_not_text_stays_a_check(sqlite_conn: sqlite3.Connection) -> None:
    got = table(sqlite_conn, """CREATE TABLE t (m VARCHAR(5) CONSTRAINT "enum:mood" CHECK (m IN ('sad')))""")
    assert (got.columns[0].type, got.checks) == (
        t("varchar", length=5),
        (Check(name="enum:mood", expr=SqlExpr.parse("m IN ('sad')")),),
    )


def test_an_enum_only_arrays_use_has_no_values_to_read_and_is_noted(sqlite_conn: sqlite3.Connection) -> None:
    got = read(sqlite_conn, "CREATE TABLE t (moods mood_ENUM_ARRAY)")
    assert got.schema.tables[0].columns[0].type == t("enum", name="mood").array_of()
    assert got.unsupported == (
        Unsupported("enum", "mood", "its values are not in the database (used only by t.moods)"),
    )


# --- views ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "query"),
    [
        ("CREATE VIEW v AS SELECT a, b FROM t WHERE a > 0", "SELECT a, b FROM t WHERE a > 0"),
        ("CREATE VIEW v AS SELECT * FROM t", "SELECT * FROM t"),
        ("CREATE VIEW v (x, y) AS SELECT a, b AS bb FROM t", "SELECT a AS x, b AS y FROM t"),
        (
            "CREATE VIEW IF NOT EXISTS v AS SELECT count(*) AS n FROM t GROUP BY a",
            "SELECT COUNT(*) AS n FROM t GROUP BY a",
        ),
        ("CREATE VIEW v AS VALUES (1, 2)", "VALUES (1, 2)"),
    ],
)
def test_view(sqlite_conn: sqlite3.Connection, sql: str, query: str) -> None:
    got = read(sqlite_conn, "CREATE TABLE t (a INT, b INT)", sql).schema
    assert got.views == (View(name="v", query=SqlExpr.parse(query)),)


# --- what the model does not hold -----------------------------------------------------------


def test_objects_the_model_cannot_hold_are_reported_by_name(sqlite_conn: sqlite3.Connection) -> None:
    got = read(
        sqlite_conn,
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT COLLATE NOCASE, twice INT AS (id * 2))",
        "CREATE TABLE w (k TEXT PRIMARY KEY, v INT) WITHOUT ROWID",
        "CREATE TABLE s (a INT, b TEXT) STRICT",
        "CREATE TRIGGER touch AFTER INSERT ON t BEGIN UPDATE t SET a = 'x' WHERE id = new.id; END",
    )
    assert [tb.name for tb in got.schema.tables] == ["s", "t", "w"]
    twice = Column(name="twice", type=t("integer"), sqlite_type="INT", generated=SqlExpr.parse("id * 2"))
    assert got.schema.table("t").column("twice") == twice  # type: ignore[union-attr]
    assert got.schema.table("t").column("id").sqlite_autoincrement  # type: ignore[union-attr]
    assert got.unsupported == (
        Unsupported("STRICT table", "s", "read as an ordinary table; STRICT is not carried"),
        Unsupported("WITHOUT ROWID table", "w", "read as an ordinary table; WITHOUT ROWID is not carried"),
        Unsupported("collation", "t.a", "COLLATE NOCASE is not carried"),
        Unsupported("generated column", "t.twice", "VIRTUAL read as STORED"),
    )


def test_a_virtual_table_is_carried_verbatim_and_its_shadow_tables_are_not_read(
    sqlite_conn: sqlite3.Connection,
) -> None:
    fts = "CREATE VIRTUAL TABLE `docs` USING fts5(`title`, body, tokenize = 'unicode61 remove_diacritics 2')"
    got = read(sqlite_conn, "CREATE TABLE t (id INTEGER PRIMARY KEY)", fts)
    shadows = {n for (n,) in sqlite_conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'docs_%'")}
    assert shadows == {"docs_config", "docs_content", "docs_data", "docs_docsize", "docs_idx"}
    assert [tb.name for tb in got.schema.tables] == ["t"]
    assert got.schema.virtual_tables == (VirtualTable(name="docs", sqlite=fts),)
    assert got.schema.virtual_tables[0].module == "fts5"
    assert got.unsupported == ()


def test_the_apps_triggers_are_carried_verbatim_on_their_table(sqlite_conn: sqlite3.Connection) -> None:
    touch = "CREATE TRIGGER touch AFTER INSERT ON t BEGIN UPDATE t SET a = 'x' WHERE id = new.id; END"
    got = read(
        sqlite_conn,
        "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT)",
        touch,
        "CREATE VIEW v AS SELECT id FROM t",
        "CREATE TRIGGER on_view INSTEAD OF DELETE ON v BEGIN DELETE FROM t WHERE id = old.id; END",
    )
    assert got.schema.table("t").triggers == (Trigger(name="touch", sqlite=touch),)  # type: ignore[union-attr]
    # a trigger on a view is not a table's: still named as not carried
    assert got.unsupported == (Unsupported("trigger", "on_view", 'on "v"; skipped'),)


def test_a_table_named_like_a_virtual_tables_shadow_is_still_read(sqlite_conn: sqlite3.Connection) -> None:
    got = read(sqlite_conn, "CREATE VIRTUAL TABLE docs USING fts5(body)", "CREATE TABLE docs_archive (a INT)")
    assert [tb.name for tb in got.schema.tables] == ["docs_archive"]


def test_a_virtual_table_whose_module_is_missing_is_still_carried(sqlite_path: Path) -> None:
    conn = sqlite3.connect(sqlite_path)
    conn.executescript("CREATE TABLE vx_data (a); CREATE TABLE t (a INT)")
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute("INSERT INTO sqlite_master VALUES ('table', 'vx', 'vx', 0, 'CREATE VIRTUAL TABLE vx USING nosuch(a)')")
    conn.commit()
    conn.close()
    got = introspect(sqlite3.connect(sqlite_path))
    assert [tb.name for tb in got.schema.tables] == ["t"]  # vx_data: its shadow, by its name
    assert got.schema.virtual_tables == (VirtualTable(name="vx", sqlite="CREATE VIRTUAL TABLE vx USING nosuch(a)"),)
    assert got.unsupported == ()


def test_internal_and_mizzle_tables_are_skipped_silently(sqlite_conn: sqlite3.Connection) -> None:
    got = read(
        sqlite_conn,
        "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a INT)",
        "CREATE INDEX t_a ON t (a)",
        "INSERT INTO t (a) VALUES (1)",
        "ANALYZE",
        "CREATE TABLE __mizzle_migrations (id INTEGER PRIMARY KEY, hash TEXT UNIQUE)",
        "CREATE INDEX __mizzle_i ON __mizzle_migrations (hash)",
        "CREATE TRIGGER __mizzle_t AFTER INSERT ON __mizzle_migrations BEGIN SELECT 1; END",
        # drizzle-kit's history, as its migrator creates it in the app's database
        'CREATE TABLE "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)',
    )
    names = {n for (n,) in sqlite_conn.execute("SELECT name FROM sqlite_master")}
    assert {"sqlite_sequence", "sqlite_stat1", "__mizzle_migrations", "__drizzle_migrations"} <= names
    assert [tb.name for tb in got.schema.tables] == ["t"]
    assert got.unsupported == ()


def test_a_temp_table_does_not_hide_the_main_table_of_the_same_name(sqlite_conn: sqlite3.Connection) -> None:
    got = read(
        sqlite_conn,
        "CREATE TABLE t (a INT REFERENCES t (a), b INT)",
        "CREATE INDEX i ON t (b)",
        "CREATE TEMP TABLE t (x TEXT)",
        "CREATE INDEX temp.j ON t (x)",
    )
    (main,) = got.schema.tables
    assert (main.column_names, [i.name for i in main.indexes], len(main.foreign_keys)) == (["a", "b"], ["i"], 1)


def test_introspecting_inside_the_callers_transaction_leaves_it_open(sqlite_conn: sqlite3.Connection) -> None:
    sqlite_conn.execute("CREATE TABLE t (a INT)")
    sqlite_conn.execute("INSERT INTO t VALUES (1)")  # the sqlite3 module opens a transaction here
    assert [tb.name for tb in introspect(sqlite_conn).schema.tables] == ["t"]
    assert sqlite_conn.in_transaction


def test_what_sqlglot_cannot_parse_is_an_error_naming_the_object() -> None:
    with pytest.raises(IntrospectionError, match=r'^cannot read table "t": cannot parse .*a NOT NOT NULL'):
        read_table("CREATE TABLE t (a INT CHECK (a NOT NOT NULL))", 'table "t"')


def test_columns_named_by_words_sqlite_takes_bare(sqlite_conn: sqlite3.Connection) -> None:
    got = table(sqlite_conn, "CREATE TABLE t (key TEXT, action INT, match INT, replace, rowid INT, generated INT)")
    assert got.column_names == ["key", "action", "match", "replace", "rowid", "generated"]


def test_hand_written_legacy_forms(sqlite_conn: sqlite3.Connection) -> None:
    got = table(
        sqlite_conn,
        """CREATE TABLE [t] (
            `id` integer NOT NULL PRIMARY KEY AUTOINCREMENT,
            "name" varchar(40) NOT NULL ON CONFLICT FAIL,
            'born' DATETIME DEFAULT CURRENT_TIMESTAMP,
            untyped,
            price REAL DEFAULT 0.0 -- trailing comment
        )""",
    )
    assert got == Table(
        name="t",
        columns=(
            Column(name="id", type=t("serial"), nullable=False, sqlite_autoincrement=True),
            Column(name="name", type=t("varchar", length=40), nullable=False),
            Column(
                name="born",
                type=t("timestamp"),
                default=sqlite_expr("CURRENT_TIMESTAMP"),
                sqlite_type="DATETIME",
                sqlite_default="CURRENT_TIMESTAMP",
            ),
            Column(name="untyped", type=t("bytes"), sqlite_type=""),
            Column(name="price", type=t("real"), default=lit("0.0")),
        ),
        primary_key=PrimaryKey(name="t_pkey", columns=("id",)),
    )


# --- whole databases ------------------------------------------------------------------------


def test_chinook(sqlite_conn: sqlite3.Connection) -> None:
    sqlite_conn.executescript((CORPUS / "chinook" / "Chinook_Sqlite.sql").read_text())
    got = introspect(sqlite_conn)
    schema = got.schema
    assert len(schema.tables) == 11
    assert got.unsupported == ()
    assert problems(schema) == []
    assert {tb.name: tb.primary_key.columns for tb in schema.tables if tb.primary_key} == {
        "Album": ("AlbumId",),
        "Artist": ("ArtistId",),
        "Customer": ("CustomerId",),
        "Employee": ("EmployeeId",),
        "Genre": ("GenreId",),
        "Invoice": ("InvoiceId",),
        "InvoiceLine": ("InvoiceLineId",),
        "MediaType": ("MediaTypeId",),
        "Playlist": ("PlaylistId",),
        "PlaylistTrack": ("PlaylistId", "TrackId"),
        "Track": ("TrackId",),
    }
    track = schema.table("Track")
    assert track is not None
    assert track.primary_key == PrimaryKey(name="PK_Track", columns=("TrackId",))
    assert [(f.name, f.columns, f.ref_table, f.ref_columns) for f in track.foreign_keys] == [
        ("Track_AlbumId_fkey", ("AlbumId",), "Album", ("AlbumId",)),
        ("Track_GenreId_fkey", ("GenreId",), "Genre", ("GenreId",)),
        ("Track_MediaTypeId_fkey", ("MediaTypeId",), "MediaType", ("MediaTypeId",)),
    ]
    assert [(i.name, i.keys) for i in track.indexes] == [
        ("IFK_TrackAlbumId", (IndexKey(column="AlbumId"),)),
        ("IFK_TrackGenreId", (IndexKey(column="GenreId"),)),
        ("IFK_TrackMediaTypeId", (IndexKey(column="MediaTypeId"),)),
    ]
    assert [(c.name, c.type.describe(), c.nullable) for c in track.columns[:3]] == [
        ("TrackId", "serial", False),
        ("Name", "varchar(200)", False),
        ("AlbumId", "integer", True),
    ]
    assert sum(len(tb.foreign_keys) for tb in schema.tables) == 11
    assert sum(len(tb.indexes) for tb in schema.tables) == 11


def _create_tables(conn: sqlite3.Connection, count: int) -> None:
    conn.execute("BEGIN")
    for i in range(count):
        ref = f"t{max(i - 1, 0)}"
        conn.execute(
            f"""CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email VARCHAR(255),
            created TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            active BOOLEAN DEFAULT (1), score NUMERIC(10,2), parent_id INT REFERENCES {ref} (id),
            c8 TEXT, c9 TEXT, c10 DOUBLE, c11 UUID_TEXT, c12 JSON_TEXT, CHECK (length(name) > 0))"""
        )
        conn.execute(f"CREATE INDEX t{i}_name ON t{i} (name)")
        conn.execute(f"CREATE UNIQUE INDEX t{i}_email ON t{i} (email)")
        conn.execute(f"CREATE INDEX t{i}_parent ON t{i} (parent_id, created DESC)")
    conn.execute("COMMIT")


def test_a_thousand_tables_are_read_with_five_queries_in_one_transaction(sqlite_path: Path) -> None:
    conn = sqlite3.connect(sqlite_path, isolation_level=None)
    _create_tables(conn, 1000)
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    got = introspect(conn)
    # The table-valued PRAGMAs run nested statements, which SQLite traces with a leading "-- ".
    ours = [s for s in statements if not s.startswith("-- ")]
    assert (len(ours), ours[0], ours[-1]) == (7, "BEGIN", "ROLLBACK")
    assert not conn.in_transaction
    assert len(got.schema.tables) == 1000
    assert sum(len(tb.indexes) for tb in got.schema.tables) == 3000
    assert sum(len(tb.foreign_keys) for tb in got.schema.tables) == 1000


# --- round trip -----------------------------------------------------------------------------


def test_a_rendered_schema_reads_back_as_sqlite_holds_it(sqlite_path: Path) -> None:
    from mizzle.dialects.sqlite.capabilities import project
    from mizzle.dialects.sqlite.render import render_schema
    from tests.dialects.rich_schema import RICH

    conn = sqlite3.connect(sqlite_path, isolation_level=None)
    apply(conn, render_schema(RICH))
    got = introspect(conn)
    assert got.unsupported == ()
    assert got.schema.to_json() == project(RICH)[0].to_json()
    assert got.schema == project(RICH)[0]
