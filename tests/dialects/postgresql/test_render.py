"""Model → PostgreSQL DDL: one line per rendered feature, then the rich schema applied to a
real PostgreSQL database."""

from __future__ import annotations

from typing import Any

import psycopg
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
from mizzle.dialects.postgresql.render import (
    add_foreign_key_sql,
    column_sql,
    create_enum_sql,
    create_index_sql,
    create_table_sql,
    create_view_sql,
    default_sql,
    render_schema,
)
from tests.dialects.rich_schema import RICH


def col(name: str, ctype: ColumnType, nullable: bool = True, default: Any = None) -> Column:
    return Column(name=name, type=ctype, nullable=nullable, default=default)


def render_column(column: Column) -> str:
    table = Table(name="x", columns=(column,))
    return column_sql(table, column, Schema(tables=(table,)))


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (col("a", t("smallint")), "a smallint"),
        (col("a", t("integer"), nullable=False), "a integer NOT NULL"),
        (col("a", t("bigint")), "a bigint"),
        (col("id", t("serial"), nullable=False), "id serial NOT NULL"),
        (col("id", t("bigserial"), nullable=False), "id bigserial NOT NULL"),
        (col("a", t("boolean")), "a boolean"),
        (col("a", t("text")), "a text"),
        (col("a", t("varchar", length=20)), "a varchar(20)"),
        (col("a", t("varchar")), "a varchar"),
        (col("a", t("char", length=3)), "a char(3)"),
        (col("a", t("numeric", precision=10, scale=2)), "a numeric(10,2)"),
        (col("a", t("numeric")), "a numeric"),
        (col("a", t("real")), "a real"),
        (col("a", t("double")), "a double precision"),
        (col("a", t("date")), "a date"),
        (col("a", t("time")), "a time"),
        (col("a", t("timestamp", precision=3)), "a timestamp(3)"),
        (col("a", t("timestamptz")), "a timestamptz"),
        (col("a", t("uuid")), "a uuid"),
        (col("a", t("json")), "a json"),
        (col("a", t("jsonb")), "a jsonb"),
        (col("a", t("bytes")), "a bytea"),
        (col("a", t("enum", name="mood")), "a mood"),
        (col("a", t("enum", name="Mood")), 'a "Mood"'),
        (col("a", t("custom", name="interval")), "a interval"),
        (col("a", t("custom", name="tsvector")), "a tsvector"),
        (col("a", t("text").array_of()), "a text[]"),
        (col("a", t("numeric", precision=10, scale=2).array_of(2)), "a numeric(10,2)[][]"),
        (col("order", t("integer")), '"order" integer'),
        (col("index", t("integer")), '"index" integer'),
        (col("displayName", t("text")), '"displayName" text'),
    ],
)
def test_column_type_spelling(column: Column, expected: str) -> None:
    assert render_column(column) == expected


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (col("a", t("timestamptz"), default=NowDefault()), "now()"),
        (col("a", t("timestamp"), default=NowDefault()), "now()"),
        (col("a", t("uuid"), default=RandomUuidDefault()), "gen_random_uuid()"),
        (col("a", t("boolean"), default=LiteralDefault(value=True)), "true"),
        (col("a", t("boolean"), default=LiteralDefault(value=False)), "false"),
        (col("a", t("integer"), default=LiteralDefault(value=-1)), "-1"),
        (col("a", t("numeric", precision=10, scale=2), default=LiteralDefault(value="4.99")), "4.99"),
        (col("a", t("text"), default=LiteralDefault(value="it's")), "'it''s'"),
        (col("a", t("enum", name="mood"), default=LiteralDefault(value="ok")), "'ok'::mood"),
        (col("a", t("jsonb"), default=LiteralDefault(value="{}")), "'{}'::jsonb"),
        (col("a", t("custom", name="interval"), default=LiteralDefault(value="1 day")), "'1 day'::interval"),
        (col("a", t("text").array_of(), default=LiteralDefault(value=["a", "b c"])), "'{a,\"b c\"}'::text[]"),
        (col("a", t("integer").array_of(), default=LiteralDefault(value=[])), "'{}'::integer[]"),
        (col("a", t("date"), default=ExprDefault(expr=SqlExpr.parse("CURRENT_DATE"))), "CURRENT_DATE"),
        (col("a", t("integer"), default=ExprDefault(expr=SqlExpr.parse("1 + 2"))), "1 + 2"),
        (col("a", t("text")), None),
    ],
)
def test_default_spelling(column: Column, expected: str | None) -> None:
    assert default_sql(column) == expected


def test_column_with_default_and_not_null() -> None:
    column = col("qty", t("integer"), nullable=False, default=LiteralDefault(value=0))
    assert render_column(column) == "qty integer NOT NULL DEFAULT 0"


TUNE = Table(
    name="tune",
    columns=(
        col("id", t("serial"), nullable=False),
        col("genre_id", t("integer")),
        col("price", t("numeric", precision=10, scale=2)),
    ),
    primary_key=PrimaryKey(name="tune_pkey", columns=("id",)),
    foreign_keys=(
        ForeignKey(name="tune_genre_id_fkey", columns=("genre_id",), ref_table="genre", ref_columns=("id",)),
    ),
    uniques=(Unique(name="tune_genre_id_price_key", columns=("genre_id", "price")),),
    checks=(Check(name="tune_price_check", expr=SqlExpr.parse("price >= 0")),),
)


def test_create_table_prints_one_element_per_line_with_every_constraint_named() -> None:
    assert create_table_sql(TUNE, Schema(tables=(TUNE,))) == (
        "CREATE TABLE tune (\n"
        "  id serial NOT NULL,\n"
        "  genre_id integer,\n"
        "  price numeric(10,2),\n"
        "  CONSTRAINT tune_pkey PRIMARY KEY (id),\n"
        "  CONSTRAINT tune_genre_id_price_key UNIQUE (genre_id, price),\n"
        "  CONSTRAINT tune_price_check CHECK (price >= 0),\n"
        "  CONSTRAINT tune_genre_id_fkey FOREIGN KEY (genre_id) REFERENCES genre (id)\n"
        ")"
    )


def test_create_table_without_inline_foreign_keys() -> None:
    assert "FOREIGN KEY" not in create_table_sql(TUNE, Schema(tables=(TUNE,)), inline_fks=False)


def fk(**options: Any) -> ForeignKey:
    return ForeignKey(name="c_p_fkey", columns=("p",), ref_table="parent", ref_columns=("id",), **options)


@pytest.mark.parametrize(
    ("foreign_key", "expected"),
    [
        (fk(), ""),
        (fk(on_delete="cascade"), " ON DELETE CASCADE"),
        (fk(on_delete="set null", on_update="restrict"), " ON DELETE SET NULL ON UPDATE RESTRICT"),
        (fk(on_update="set default"), " ON UPDATE SET DEFAULT"),
        (fk(deferrable=True), " DEFERRABLE"),
        (fk(deferrable=True, initially_deferred=True), " DEFERRABLE INITIALLY DEFERRED"),
    ],
)
def test_add_foreign_key_prints_only_non_default_options(foreign_key: ForeignKey, expected: str) -> None:
    head = "ALTER TABLE child ADD CONSTRAINT c_p_fkey FOREIGN KEY (p) REFERENCES parent (id)"
    assert add_foreign_key_sql("child", foreign_key) == head + expected


def test_create_enum() -> None:
    assert create_enum_sql(Enum(name="mood", values=("happy", "it's"))) == "CREATE TYPE mood AS ENUM ('happy', 'it''s')"


def key(column: str | None = None, expr: str | None = None, **order: Any) -> IndexKey:
    return IndexKey(column=column, expr=SqlExpr.parse(expr) if expr else None, **order)


@pytest.mark.parametrize(
    ("index", "expected"),
    [
        (Index(name="i", keys=(key("a"),)), "CREATE INDEX i ON t(a)"),
        (Index(name="i", keys=(key("a"), key("b")), unique=True), "CREATE UNIQUE INDEX i ON t(a, b)"),
        (Index(name="i", keys=(key("a", desc=True),)), "CREATE INDEX i ON t(a DESC)"),
        (Index(name="i", keys=(key("a", nulls="first"),)), "CREATE INDEX i ON t(a NULLS FIRST)"),
        (Index(name="i", keys=(key("a", nulls="last"),)), "CREATE INDEX i ON t(a)"),
        (Index(name="i", keys=(key("a", desc=True, nulls="last"),)), "CREATE INDEX i ON t(a DESC NULLS LAST)"),
        (Index(name="i", keys=(key("a", desc=True, nulls="first"),)), "CREATE INDEX i ON t(a DESC)"),
        (Index(name="i", keys=(key(expr="lower(a)"),)), "CREATE INDEX i ON t(lower(a))"),
        (Index(name="i", keys=(key(expr="a + b"),)), "CREATE INDEX i ON t((a + b))"),
        (Index(name="i", keys=(key("a"),), where=SqlExpr.parse("b > 0")), "CREATE INDEX i ON t(a) WHERE b > 0"),
        (Index(name="i", keys=(key("a"),), method="gin"), "CREATE INDEX i ON t USING gin(a)"),
        (Index(name="i", keys=(key("a"),), method="BTREE"), "CREATE INDEX i ON t(a)"),
        (Index(name="i", keys=(key("index"),)), 'CREATE INDEX i ON t("index")'),
    ],
)
def test_create_index(index: Index, expected: str) -> None:
    assert create_index_sql("t", index) == expected


def test_create_view() -> None:
    view = View(name="v", query=SqlExpr.parse("select a from t where b::int > 0"))
    assert create_view_sql(view) == "CREATE VIEW v AS select a from t where b::int > 0"  # its own spelling
    canonical = View(name="v", query=SqlExpr(view.query.tree))
    assert create_view_sql(canonical) == "CREATE VIEW v AS SELECT t.a FROM t WHERE CAST(t.b AS INT) > 0"


def statement_heads(statements: list[str]) -> list[str]:
    return [" ".join(s.split()[:3]) for s in statements]


def test_render_schema_orders_enums_tables_cycle_fks_indexes_views() -> None:
    assert statement_heads(render_schema(RICH)) == [
        "CREATE TYPE mood",
        "CREATE TYPE spare",
        "CREATE TABLE genre",
        "CREATE TABLE tune",
        "CREATE TABLE playlist",
        "CREATE TABLE playlist_tune",
        "CREATE TABLE user_profile",
        "ALTER TABLE playlist",
        "CREATE INDEX tune_active_title_idx",
        "CREATE INDEX tune_data_idx",
        "CREATE UNIQUE INDEX",
        "CREATE INDEX tune_score_idx",
        "CREATE INDEX tune_updated_idx",
        "CREATE VIEW active_tune",
        "CREATE VIEW active_tune_title",
    ]


def test_render_schema_inlines_self_references_and_fks_to_tables_created_before() -> None:
    tune = next(s for s in render_schema(RICH) if s.startswith("CREATE TABLE tune"))
    assert "REFERENCES tune (id) ON DELETE CASCADE" in tune
    assert "REFERENCES genre (id)" in tune


def test_views_come_after_the_views_they_read_whatever_their_names() -> None:
    table = Table(name="t", columns=(col("a", t("integer")),))
    views = (
        View(name="a_outer", query=SqlExpr.parse("select a from z_inner")),
        View(name="z_inner", query=SqlExpr.parse("select a from t")),
    )
    assert render_schema(Schema(tables=(table,), views=views))[-2:] == [
        "CREATE VIEW z_inner AS select a from t",
        "CREATE VIEW a_outer AS select a from z_inner",
    ]


def test_render_schema_writes_a_long_name_as_declared_and_refuses_two_cut_alike() -> None:
    """PostgreSQL cuts a name over 63 bytes itself (`long_names.py`); two cut to one are refused."""
    table = Table(name="t" * 64, columns=(col("a", t("integer")),))
    assert render_schema(Schema(tables=(table,))) == [f"CREATE TABLE {'t' * 64} (\n  a integer\n)"]
    other = Table(name="t" * 65, columns=(col("a", t("integer")),))
    with pytest.raises(UnsupportedError, match=r'^schema public: "t{64}" and "t{65}" are both "t{63}"'):
        render_schema(Schema(tables=(table, other)))


def test_rich_schema_applies_to_postgresql_and_its_defaults_constraints_and_views_work(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        for statement in render_schema(RICH):
            conn.execute(statement)
        conn.execute("INSERT INTO genre (name) VALUES ('reel')")
        conn.execute("INSERT INTO tune (title, genre_id) VALUES ('The Silver Spear', 1)")
        row = conn.execute("SELECT mood::text, tags, price::text, active, data::text, span::text FROM tune").fetchone()
        assert row == ("ok", ["a", "b c"], "4.99", True, "{}", "1 day")
        assert conn.execute("SELECT title FROM active_tune_title").fetchall() == [("The Silver Spear",)]
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO tune (title, price) VALUES ('x', -1)")


def test_rich_schema_indexes_keep_their_method_and_ordering(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        for statement in render_schema(RICH):
            conn.execute(statement)
        rows = conn.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tune'").fetchall()
    defs: dict[str, str] = dict(rows)
    assert "USING gin (data)" in defs["tune_data_idx"]
    assert "(score DESC, rating NULLS FIRST)" in defs["tune_score_idx"]
    assert "(updated DESC NULLS LAST)" in defs["tune_updated_idx"]
    assert defs["tune_active_title_idx"].endswith("WHERE active")


def test_fk_cycle_is_closed_by_alter_table_and_deferrable_fk_defers(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn:
        for statement in render_schema(RICH):
            conn.execute(statement)
        fks = conn.execute(
            "SELECT conname, condeferrable, condeferred FROM pg_constraint WHERE contype = 'f' ORDER BY conname"
        ).fetchall()
    assert ("playlist_owner_id_fkey", False, False) in fks
    assert ("playlist_tune_playlist_id_fkey", True, True) in fks
    assert len(fks) == 6
