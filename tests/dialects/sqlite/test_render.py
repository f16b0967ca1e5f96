"""Model → SQLite DDL: one line per rendered feature, expressions carried from PostgreSQL,
then the rich schema applied to a real SQLite file."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mizzle.core.errors import UnsupportedError
from mizzle.core.expr import SqlExpr
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
    Schema,
    Table,
    Unique,
    View,
)
from mizzle.core.types import ColumnType, t
from mizzle.dialects.sqlite.render import (
    column_sql,
    create_index_sql,
    create_table_sql,
    create_view_sql,
    default_sql,
    render_schema,
)
from mizzle.dialects.sqlite.types import RANDOM_UUID_SQL, declared_type
from tests.dialects.rich_schema import RICH

MOOD = Enum(name="mood", values=("happy", "it's"))


def col(name: str, ctype: ColumnType, nullable: bool = True, default: Any = None) -> Column:
    return Column(name=name, type=ctype, nullable=nullable, default=default)


def render_column(column: Column, pk: tuple[str, ...] = ()) -> str:
    table = Table(name="x", columns=(column,), primary_key=PrimaryKey(name="x_pkey", columns=pk) if pk else None)
    return column_sql(table, column, Schema(tables=(table,), enums=(MOOD,)))


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (col("a", t("smallint")), "a SMALLINT"),
        (col("a", t("integer"), nullable=False), "a INTEGER NOT NULL"),
        (col("a", t("bigint")), "a BIGINT"),
        (col("a", t("boolean")), "a BOOLEAN"),
        (col("a", t("text")), "a TEXT"),
        (col("a", t("varchar", length=20)), "a VARCHAR(20)"),
        (col("a", t("char", length=3)), "a CHAR(3)"),
        (col("a", t("numeric", precision=10, scale=2)), "a NUMERIC(10,2)"),
        (col("a", t("real")), "a REAL"),
        (col("a", t("double")), "a DOUBLE"),
        (col("a", t("date")), "a DATE_TEXT"),
        (col("a", t("time")), "a TIME_TEXT"),
        (col("a", t("timestamp", precision=3)), "a TIMESTAMP_TEXT(3)"),
        (col("a", t("timestamptz")), "a TIMESTAMPTZ_TEXT"),
        (col("a", t("uuid")), "a UUID_TEXT"),
        (col("a", t("json")), "a JSON_TEXT"),
        (col("a", t("jsonb")), "a JSONB_TEXT"),
        (col("a", t("bytes")), "a BLOB"),
        (col("a", t("custom", name="interval")), "a INTERVAL_TEXT"),
        (col("a", t("text").array_of()), "a TEXT_ARRAY"),
        (col("a", t("varchar", length=20).array_of()), "a VARCHAR_ARRAY(20)"),
        (col("a", t("enum", name="mood").array_of()), "a mood_ENUM_ARRAY"),
        (
            col("a", t("enum", name="mood"), nullable=False),
            "a TEXT NOT NULL CONSTRAINT \"enum:mood\" CHECK (a IN ('happy', 'it''s'))",
        ),
        (col("order", t("integer")), '"order" INTEGER'),
        (col("index", t("integer")), '"index" INTEGER'),
        (col("displayName", t("text")), '"displayName" TEXT'),
    ],
)
def test_column_declared_type(column: Column, expected: str) -> None:
    assert render_column(column) == expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (col("id", t("serial"), nullable=False), "id INTEGER NOT NULL"),
        (col("id", t("bigserial"), nullable=False), "id INTEGER NOT NULL"),
        (col("id", t("integer"), nullable=False), "id INT NOT NULL"),
        (col("id", t("bigint"), nullable=False), "id BIGINT NOT NULL"),
    ],
)
def test_sole_primary_key_column_is_the_rowid_alias_only_when_serial(column: Column, expected: str) -> None:
    assert render_column(column, pk=("id",)) == expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (col("a", t("timestamptz"), default=NowDefault()), "(strftime('%Y-%m-%dT%H:%M:%fZ','now'))"),
        (col("a", t("timestamp"), default=NowDefault()), "(strftime('%Y-%m-%dT%H:%M:%f','now'))"),
        (col("a", t("boolean"), default=LiteralDefault(value=True)), "(1)"),
        (col("a", t("boolean"), default=LiteralDefault(value=False)), "(0)"),
        (col("a", t("integer"), default=LiteralDefault(value=-1)), "(-1)"),
        (col("a", t("numeric", precision=10, scale=2), default=LiteralDefault(value="4.99")), "(4.99)"),
        (col("a", t("text"), default=LiteralDefault(value="it's")), "('it''s')"),
        (col("a", t("enum", name="mood"), default=LiteralDefault(value="happy")), "('happy')"),
        (col("a", t("jsonb"), default=LiteralDefault(value="{}")), "('{}')"),
        (col("a", t("text").array_of(), default=LiteralDefault(value=["a", "b"])), '(\'["a","b"]\')'),
        (col("a", t("numeric").array_of(), default=LiteralDefault(value=[1, "2.5", None])), "('[1,2.5,null]')"),
        (col("a", t("boolean").array_of(), default=LiteralDefault(value=[True])), "('[true]')"),
        (
            col("a", t("timestamptz"), default=LiteralDefault(value="2024-05-01 12:00:00+02")),
            "('2024-05-01T10:00:00.000Z')",
        ),
        (col("a", t("timestamp"), default=LiteralDefault(value="2024-05-01 12:00:00")), "('2024-05-01T12:00:00.000')"),
        (col("a", t("timestamptz"), default=LiteralDefault(value="infinity")), "('infinity')"),
        (col("a", t("date"), default=ExprDefault(expr=SqlExpr.parse("CURRENT_DATE"))), "(CURRENT_DATE)"),
        (col("a", t("integer"), default=ExprDefault(expr=SqlExpr.parse("1 + 2"))), "(1 + 2)"),
        (col("a", t("jsonb"), default=ExprDefault(expr=SqlExpr.parse("'[]'::jsonb || '[1]'"))), "('[]' || '[1]')"),
        (col("a", t("text")), None),
    ],
)
def test_default_spelling(column: Column, expected: str | None) -> None:
    assert default_sql(column) == expected


def test_random_uuid_default_is_the_v4_expression_in_parentheses() -> None:
    assert default_sql(col("id", t("uuid"), default=RandomUuidDefault())) == f"({RANDOM_UUID_SQL})"


def test_random_uuid_inside_an_expression_default_becomes_the_v4_expression() -> None:
    column = col("a", t("text"), default=ExprDefault(expr=SqlExpr.parse("gen_random_uuid()::text")))
    assert default_sql(column) == f"(CAST(({RANDOM_UUID_SQL}) AS TEXT))"


TUNE = Table(
    name="tune",
    columns=(
        col("id", t("serial"), nullable=False),
        col("genre_id", t("integer")),
        col("price", t("numeric", precision=10, scale=2)),
    ),
    primary_key=PrimaryKey(name="tune_pkey", columns=("id",)),
    foreign_keys=(
        ForeignKey(
            name="tune_genre_id_fkey",
            columns=("genre_id",),
            ref_table="genre",
            ref_columns=("id",),
            on_delete="set null",
            deferrable=True,
            initially_deferred=True,
        ),
    ),
    uniques=(Unique(name="tune_genre_id_price_key", columns=("genre_id", "price")),),
    checks=(Check(name="tune_price_check", expr=SqlExpr.parse("price >= 0")),),
)


def test_create_table_prints_constraints_by_name_and_foreign_keys_inline() -> None:
    assert create_table_sql(TUNE, Schema(tables=(TUNE,))) == (
        "CREATE TABLE tune (\n"
        "  id INTEGER NOT NULL,\n"
        "  genre_id INTEGER,\n"
        "  price NUMERIC(10,2),\n"
        "  CONSTRAINT tune_pkey PRIMARY KEY (id),\n"
        "  CONSTRAINT tune_genre_id_price_key UNIQUE (genre_id, price),\n"
        "  CONSTRAINT tune_price_check CHECK (price >= 0),\n"
        "  CONSTRAINT tune_genre_id_fkey FOREIGN KEY (genre_id) REFERENCES genre (id) "
        "ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED\n"
        ")"
    )


def check_sql(expr: str) -> str:
    """The CHECK line SQLite gets for a PostgreSQL expression over columns a, b, d, tags, index."""
    columns = tuple(col(n, t("text")) for n in ("a", "b", "d", "tags", "index"))
    table = Table(name="x", columns=columns, checks=(Check(name="x_check", expr=SqlExpr.parse(expr)),))
    line = create_table_sql(table, Schema(tables=(table,))).splitlines()[-2]
    return line.removeprefix("  CONSTRAINT x_check CHECK (").removesuffix(")")


@pytest.mark.parametrize(
    ("postgres", "sqlite"),
    [
        ("a <> ''", "a <> ''"),
        ("a::text = b", "CAST(a AS TEXT) = b"),
        ("a::int > 0", "CAST(a AS INTEGER) > 0"),
        ("a::numeric(10,2) > 0", "CAST(a AS NUMERIC) > 0"),
        ("a::double precision > 0", "CAST(a AS REAL) > 0"),
        ("a <> '{}'::jsonb", "a <> '{}'"),
        ("a <> 'x'::mood", "a <> 'x'"),
        ("d > '2024-01-01 00:00:00+00'::timestamptz", "d > '2024-01-01T00:00:00.000Z'"),
        ("d::date > '2024-01-01'::date", "DATE(d) > '2024-01-01'"),
        ("(a = 'x') = 't'::boolean", "(a = 'x') = 1"),
        ("a ILIKE 'x%'", "LOWER(a) LIKE LOWER('x%')"),
        ("a ~~ 'x%'", "a LIKE 'x%'"),
        ("a IS DISTINCT FROM b", "a IS NOT b"),
        ("char_length(a) <= 10", "LENGTH(a) <= 10"),
        ("a IN ('x', 'y')", "a IN ('x', 'y')"),
        ("index > 0", '"index" > 0'),
    ],
)
def test_check_expression_carried_from_postgresql(postgres: str, sqlite: str) -> None:
    assert check_sql(postgres) == sqlite


@pytest.mark.parametrize(
    ("postgres", "reason"),
    [
        ("a ~ '^x'", "SQLite has no regular expression matching"),
        ("a SIMILAR TO 'x'", "SQLite has no SIMILAR TO"),
        ("d > now() - interval '1 day'", "SQLite has no intervals"),
        ("array_length(tags, 1) > 0", r"SQLite has no array_length\(\)"),
        ("tags @> '{x}'", r"SQLite has no containment \(@>\)"),
        ("a = ANY(tags)", r"SQLite has no ANY"),
        ("extract(year from d) > 2000", "SQLite has no EXTRACT"),
        ("d::timestamptz > '2024-01-01'", "SQLite has no casts to timestamptz"),
        ("concat(a, b) <> ''", r"concat\(\) is newer than SQLite 3.39"),
        ("floor(a) > 0", r"floor\(\) is an optional SQLite math function"),
        ("d < now()", r"SQLite cannot run .* \(non-deterministic use of strftime\(\) in a CHECK constraint\)"),
        ("unknown_fn(a)", r"unknown_fn\(\) is not a SQLite function \(in UNKNOWN_FN\(a\)\)"),
        ("tags <> '{x,y}'::text[]", r"SQLite has no casts to text\[\] \(arrays are JSON text\)"),
        ("jsonb_typeof(a) = 'object'", r"jsonb_typeof\(\) is not a SQLite function"),
    ],
)
def test_check_expression_sqlite_cannot_run_is_refused_naming_the_constraint(postgres: str, reason: str) -> None:
    with pytest.raises(UnsupportedError, match=rf'^table "x", check "x_check": {reason}'):
        check_sql(postgres)


def key(column: str | None = None, expr: str | None = None, **order: Any) -> IndexKey:
    return IndexKey(column=column, expr=SqlExpr.parse(expr) if expr else None, **order)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (Index(name="i", keys=(key("a"),)), "CREATE INDEX i ON t(a)"),
        (Index(name="i", keys=(key("a"), key("b")), unique=True), "CREATE UNIQUE INDEX i ON t(a, b)"),
        (Index(name="i", keys=(key("a", desc=True),)), "CREATE INDEX i ON t(a DESC)"),
        (Index(name="i", keys=(key("a", nulls="first"),)), "CREATE INDEX i ON t(a)"),
        (Index(name="i", keys=(key("a", desc=True, nulls="last"),)), "CREATE INDEX i ON t(a DESC)"),
        (Index(name="i", keys=(key(expr="lower(a)"),)), "CREATE INDEX i ON t(LOWER(a))"),
        (Index(name="i", keys=(key(expr="a || b"),)), "CREATE INDEX i ON t((a || b))"),
        (
            Index(name="i", keys=(key("a"),), where=SqlExpr.parse("b IS NOT NULL")),
            "CREATE INDEX i ON t(a) WHERE b IS NOT NULL",
        ),
        (Index(name="i", keys=(key("a"),), method="gin"), "CREATE INDEX i ON t(a)"),
        (Index(name="i", keys=(key("index"),)), 'CREATE INDEX i ON t("index")'),
    ],
)
def test_create_index_has_no_method_nor_nulls_ordering(index: Index, expected: str) -> None:
    assert create_index_sql("t", index) == expected


def test_partial_index_on_now_is_refused() -> None:
    index = Index(name="i", keys=(key("a"),), where=SqlExpr.parse("d > now()"))
    with pytest.raises(
        UnsupportedError, match=r'^table "t", index "i": SQLite cannot run a WHERE d > .*non-deterministic'
    ):
        create_index_sql("t", index)


def test_index_on_a_non_deterministic_expression_is_refused() -> None:
    index = Index(name="i", keys=(key(expr="a || random()"),))
    with pytest.raises(UnsupportedError, match=r'^table "t", index "i": SQLite cannot run .*non-deterministic'):
        create_index_sql("t", index)


def test_create_view_carries_the_body_into_sqlite() -> None:
    view = View(name="v", query=SqlExpr.parse("select a::text as a from t where b ilike 'x%'"))
    expected = "CREATE VIEW v AS SELECT CAST(t.a AS TEXT) AS a FROM t WHERE LOWER(t.b) LIKE LOWER('x%')"
    assert create_view_sql(view) == expected


def test_now_in_a_view_is_the_iso_utc_text_mizzle_stores() -> None:
    view = View(name="v", query=SqlExpr.parse("select a from t where d < now()"))
    expected = "CREATE VIEW v AS SELECT t.a FROM t WHERE t.d < (strftime('%Y-%m-%dT%H:%M:%fZ','now'))"
    assert create_view_sql(view) == expected


def test_view_with_a_postgresql_only_construct_is_refused_naming_the_view() -> None:
    view = View(name="v", query=SqlExpr.parse("select a from t where a ~ 'x'"))
    with pytest.raises(UnsupportedError, match=r'^view "v": SQLite has no regular expression matching'):
        create_view_sql(view)


def test_serial_outside_a_sole_primary_key_is_a_plain_integer_the_device_supplies() -> None:
    table = Table(
        name="x",
        columns=(col("id", t("serial"), nullable=False), col("k", t("integer"), nullable=False)),
        primary_key=PrimaryKey(name="x_pkey", columns=("id", "k")),
    )
    assert render_schema(Schema(tables=(table,))) == [
        "CREATE TABLE x (\n  id INTEGER NOT NULL,\n  k INTEGER NOT NULL,\n  CONSTRAINT x_pkey PRIMARY KEY (id, k)\n)"
    ]


def test_render_schema_orders_tables_then_indexes_then_views_without_enum_statements() -> None:
    heads = [" ".join(s.split()[:3]) for s in render_schema(RICH)]
    assert heads == [
        "CREATE TABLE genre",
        "CREATE TABLE tune",
        "CREATE TABLE playlist",
        "CREATE TABLE playlist_tune",
        "CREATE TABLE user_profile",
        "CREATE INDEX tune_active_title_idx",
        "CREATE INDEX tune_data_idx",
        "CREATE UNIQUE INDEX",
        "CREATE INDEX tune_score_idx",
        "CREATE INDEX tune_updated_idx",
        "CREATE VIEW active_tune",
        "CREATE VIEW active_tune_title",
    ]


@pytest.mark.parametrize("word", ["SERIAL", "UUID()", "JSONB ", "JSONB,", "ARRAY<", "NULLS", "USING", "::", "gin"])
def test_sqlite_output_has_no_postgresql_spelling(word: str) -> None:
    assert word not in "\n".join(render_schema(RICH))


# --- applied to a real SQLite file -------------------------------------------------------------


@pytest.fixture
def rich_db(sqlite_path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(sqlite_path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for statement in render_schema(RICH):
        conn.execute(statement)
    conn.execute("INSERT INTO genre (name) VALUES ('reel')")
    conn.execute("INSERT INTO tune (title, genre_id) VALUES ('The Silver Spear', 1)")
    return conn


UUID_V4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_uuid_default_gives_v4_uuid_text(rich_db: sqlite3.Connection) -> None:
    for n in range(50):
        rich_db.execute("INSERT INTO tune (title) VALUES (?)", (f"tune {n}",))
    ids = [r[0] for r in rich_db.execute("SELECT id FROM tune")]
    assert all(UUID_V4.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids)


def test_timestamptz_now_default_is_iso_utc_with_milliseconds(rich_db: sqlite3.Connection) -> None:
    (updated,) = rich_db.execute("SELECT updated FROM tune").fetchone()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", updated), updated


def test_serial_primary_key_is_the_rowid_alias(rich_db: sqlite3.Connection) -> None:
    rich_db.execute("INSERT INTO genre (id, name) VALUES (NULL, 'jig')")
    rich_db.execute("INSERT INTO genre (id, name) VALUES (10, 'polka')")
    assert rich_db.execute("SELECT rowid, id FROM genre ORDER BY id").fetchall() == [(1, 1), (2, 2), (10, 10)]


def test_plain_integer_sole_primary_key_is_not_the_rowid_alias(sqlite_path: Path) -> None:
    table = Table(
        name="x",
        columns=(col("id", t("integer"), nullable=False),),
        primary_key=PrimaryKey(name="x_pkey", columns=("id",)),
    )
    conn = sqlite3.connect(sqlite_path)
    for statement in render_schema(Schema(tables=(table,))):
        conn.execute(statement)
    conn.execute("INSERT INTO x (id) VALUES (7)")
    assert conn.execute("SELECT rowid, id FROM x").fetchall() == [(1, 7)]
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        conn.execute("INSERT INTO x (id) VALUES (NULL)")


def test_enum_check_rejects_a_value_outside_the_enum(rich_db: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="enum:mood"):
        rich_db.execute("INSERT INTO tune (title, mood) VALUES ('x', 'angry')")
    rich_db.execute("INSERT INTO tune (title, mood) VALUES ('x', 'sad')")


def test_booleans_are_stored_as_integers(rich_db: sqlite3.Connection) -> None:
    rich_db.execute("INSERT INTO tune (title, active) VALUES ('x', false)")
    assert rich_db.execute("SELECT typeof(active), active FROM tune ORDER BY active").fetchall() == [
        ("integer", 0),
        ("integer", 1),
    ]


def test_named_checks_and_foreign_keys_are_enforced(rich_db: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="tune_price_check"):
        rich_db.execute("INSERT INTO tune (title, price) VALUES ('x', -1)")
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        rich_db.execute("INSERT INTO tune (title, genre_id) VALUES ('x', 99)")


def test_views_on_views_read_through(rich_db: sqlite3.Connection) -> None:
    assert rich_db.execute("SELECT title FROM active_tune_title").fetchall() == [("The Silver Spear",)]


def test_literal_defaults_are_stored_as_the_server_would_read_them(rich_db: sqlite3.Connection) -> None:
    row = rich_db.execute("SELECT tags, mood, price, plays, data, span, born FROM tune").fetchone()
    assert row[:6] == ('["a","b c"]', "ok", 4.99, 0, "{}", "1 day")
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", row[6])


def test_table_xinfo_shows_the_declared_types_of_the_type_table(rich_db: sqlite3.Connection) -> None:
    for table in RICH.tables:
        sole = table.primary_key.columns[0] if table.primary_key and len(table.primary_key.columns) == 1 else None
        declared = {r[1]: r[2] for r in rich_db.execute(f'PRAGMA table_xinfo("{table.name}")')}
        assert declared == {c.name: declared_type(c.type, sole_primary_key=c.name == sole) for c in table.columns}
