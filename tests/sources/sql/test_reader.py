from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.core.canonical import pg_expr
from mizzle.core.errors import SchemaError, SchemaSyntaxError
from mizzle.core.introspection import Introspected
from mizzle.core.model import (
    Column,
    Enum,
    ExprDefault,
    Identity,
    Index,
    IndexKey,
    LiteralDefault,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    View,
)
from mizzle.core.pg_objects import Domain, DomainCheck, MaterializedView, PgSequence
from mizzle.core.routines import Extension, Function, Trigger
from mizzle.core.types import ColumnType, t
from mizzle.dialects.postgresql.connect import connect
from mizzle.dialects.postgresql.introspect import introspect
from mizzle.dialects.urls import parse_url
from mizzle.sources.sql.reader import parse_ddl
from tests.conftest import CORPUS

CHINOOK = CORPUS / "chinook" / "Chinook_PostgreSql.sql"
PAGILA = CORPUS / "pagila" / "pagila-schema.sql"


def table(ddl: str, name: str = "t") -> Table:
    found = parse_ddl(ddl).schema.table(name)
    assert found is not None
    return found


def unsupported(ddl: str) -> list[str]:
    return [str(u) for u in parse_ddl(ddl).unsupported]


def describe_column(c: Column) -> str:
    """`a integer NOT NULL DEFAULT 7`: literals as Python values, expressions as their canonical
    text, now() and random uuids as `now` and `uuid`."""
    d = c.default
    default = (
        repr(d.value) if isinstance(d, LiteralDefault)
        else d.expr.sql if isinstance(d, ExprDefault)
        else d.kind if d is not None
        else None
    )  # fmt: skip
    return f"{c.name} {c.type.describe()}{'' if c.nullable else ' NOT NULL'}{f' DEFAULT {default}' if default else ''}"


def describe(tb: Table) -> str:
    """A table in one line: `a integer NOT NULL; b text; pk t_pkey(a); unique t_b_key(b)`."""
    parts = [describe_column(c) for c in tb.columns]
    if tb.primary_key:
        parts.append(f"pk {tb.primary_key.name}({', '.join(tb.primary_key.columns)})")
    parts += [f"unique {u.name}({', '.join(u.columns)})" for u in tb.uniques]
    parts += [f"check {c.name} {c.expr.sql}" for c in tb.checks]
    for fk in tb.foreign_keys:
        options = [f"on delete {fk.on_delete}", f"on update {fk.on_update}"]
        options = [o for o in options if not o.endswith("no action")]
        options += ["deferrable"] * fk.deferrable + ["initially deferred"] * fk.initially_deferred
        refs = f"{fk.ref_table}({', '.join(fk.ref_columns)})"
        parts.append(" ".join([f"fk {fk.name}({', '.join(fk.columns)}) {refs}", *options]))
    return "; ".join(parts)


def constraint_names(ddl: str) -> list[str]:
    """Every constraint and index name of the schema, as `table: name`."""
    names = []
    for tb in parse_ddl(ddl).schema.tables:
        found = [tb.primary_key] if tb.primary_key else []
        found += [*tb.foreign_keys, *tb.uniques, *tb.checks, *tb.indexes]
        names += [f"{tb.name}: {c.name}" for c in found]
    return sorted(names)


# --- columns --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("int", t("integer")),
        ("integer", t("integer")),
        ("int4", t("integer")),
        ("smallint", t("smallint")),
        ("bigint", t("bigint")),
        ("int8", t("bigint")),
        ("serial", t("serial")),
        ("serial4", t("serial")),
        ("bigserial", t("bigserial")),
        ("serial8", t("bigserial")),
        ("numeric", t("numeric")),
        ("numeric(10,2)", t("numeric", precision=10, scale=2)),
        ("decimal(5)", t("numeric", precision=5, scale=0)),
        ("real", t("real")),
        ("float4", t("real")),
        ("float(10)", t("real")),
        ("float(30)", t("double")),
        ("float", t("double")),
        ("double precision", t("double")),
        ("text", t("text")),
        ("varchar", t("varchar")),
        ("varchar(20)", t("varchar", length=20)),
        ("character varying(20)", t("varchar", length=20)),
        ("char", t("char", length=1)),
        ("character(3)", t("char", length=3)),
        ("boolean", t("boolean")),
        ("bool", t("boolean")),
        ("date", t("date")),
        ("time(3)", t("time", precision=3)),
        ("timestamp", t("timestamp")),
        ("timestamp without time zone", t("timestamp")),
        ("timestamptz", t("timestamptz")),
        ("timestamp(3) with time zone", t("timestamptz", precision=3)),
        ("uuid", t("uuid")),
        ("json", t("json")),
        ("jsonb", t("jsonb")),
        ("bytea", t("bytes")),
        ("text[]", t("text", array_dims=1)),
        ("integer ARRAY", t("integer", array_dims=1)),
        ("int[][]", t("integer", array_dims=2)),
        ("varchar(20)[]", t("varchar", length=20, array_dims=1)),
        ("tsvector", t("custom", name="tsvector")),
        ("inet", t("custom", name="inet")),
        ("interval", t("custom", name="interval")),
        ("timetz", t("custom", name="time with time zone")),
        ("bit", t("custom", name="bit(1)")),
    ],
)
def test_column_types(spelling: str, expected: ColumnType) -> None:
    assert table(f"CREATE TABLE t (c {spelling})").columns[0].type == expected


@pytest.mark.parametrize(
    ("before", "spelling", "expected"),
    [
        ("CREATE TYPE mood AS ENUM ('a');", "mood", t("enum", name="mood")),
        ("CREATE TYPE public.mood AS ENUM ('a');", "public.mood[]", t("enum", name="mood", array_dims=1)),
        ("CREATE TYPE \"Mood\" AS ENUM ('a');", '"Mood"', t("enum", name="Mood")),
        ("CREATE DOMAIN year AS integer CHECK (VALUE > 1900);", "public.year", t("integer")),
        ("CREATE DOMAIN tags AS text[];", "tags", t("text", array_dims=1)),
    ],
)
def test_column_types_created_in_the_file(before: str, spelling: str, expected: ColumnType) -> None:
    assert table(f"{before}\nCREATE TABLE t (c {spelling})").columns[0].type == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("c int", "c integer"),
        ("C int NOT NULL", "c integer NOT NULL"),
        ('"Weird Name" int NULL', "Weird Name integer"),
        ("c int PRIMARY KEY", "c integer NOT NULL"),
        ("c serial", "c serial NOT NULL"),
        ("c int DEFAULT 3", "c integer DEFAULT 3"),
        ("c int DEFAULT -1", "c integer DEFAULT -1"),
        ("c numeric(4,2) DEFAULT 4.99", "c numeric(4,2) DEFAULT '4.99'"),
        ("c text DEFAULT 'it''s'", 'c text DEFAULT "it\'s"'),
        ("c text DEFAULT 'x'::text", "c text DEFAULT 'x'"),
        ("c boolean NOT NULL DEFAULT true", "c boolean NOT NULL DEFAULT True"),
        ("c text DEFAULT NULL", "c text"),
        ("c timestamptz DEFAULT now()", "c timestamptz DEFAULT now"),
        ("c timestamp DEFAULT CURRENT_TIMESTAMP", "c timestamp DEFAULT now"),
        ("c date DEFAULT CURRENT_DATE", "c date DEFAULT CURRENT_DATE"),
        ("c uuid DEFAULT gen_random_uuid()", "c uuid DEFAULT uuid"),
        ("c text[] DEFAULT '{}'", "c text[] DEFAULT []"),
        ("c int[] DEFAULT '{1,2}'::integer[]", "c integer[] DEFAULT [1, 2]"),
        ("c jsonb DEFAULT '{}'::jsonb", "c jsonb DEFAULT '{}'"),
        ("c int DEFAULT nextval('ext_seq')", "c integer DEFAULT NEXTVAL(CAST('ext_seq' AS REGCLASS))"),
    ],
)
def test_columns(spec: str, expected: str) -> None:
    assert describe_column(table(f"CREATE TABLE t ({spec})").columns[0]) == expected


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        (
            "CREATE SEQUENCE s; CREATE TABLE t (id int NOT NULL DEFAULT nextval('s'));ALTER SEQUENCE s OWNED BY t.id",
            ["id serial NOT NULL"],
        ),
        (
            "CREATE SEQUENCE s OWNED BY public.t.id;CREATE TABLE t (id bigint NOT NULL DEFAULT nextval('s'::regclass))",
            ["id bigserial NOT NULL"],
        ),
        (
            "CREATE TABLE t (id int NOT NULL); CREATE SEQUENCE t_id_seq;"
            "ALTER TABLE ONLY t ALTER COLUMN id SET DEFAULT nextval('t_id_seq'::regclass);"
            "ALTER SEQUENCE t_id_seq OWNED BY t.id",
            ["id serial NOT NULL"],
        ),
        (
            "CREATE SEQUENCE public.t_id_seq;"
            "CREATE TABLE public.t (id int DEFAULT nextval('public.t_id_seq'::regclass) NOT NULL)",
            ["id serial NOT NULL", "sequence t_id_seq: not owned by t.id (no OWNED BY): read t.id as serial"],
        ),
        (
            "CREATE SEQUENCE s; CREATE TABLE t (id int DEFAULT nextval('s'))",
            ["id integer DEFAULT NEXTVAL(CAST('s' AS REGCLASS))"],
        ),
        (
            "CREATE SEQUENCE s;"
            "CREATE TABLE t (id int NOT NULL DEFAULT nextval('public.s'), b int NOT NULL DEFAULT nextval('s'))",
            ["id integer NOT NULL DEFAULT NEXTVAL(CAST('s' AS REGCLASS))"],
        ),
        ("CREATE SEQUENCE s; CREATE TABLE t (id int NOT NULL)", ["id integer NOT NULL"]),
    ],
)
def test_a_sequence_the_file_creates_for_one_column_makes_it_serial(ddl: str, expected: list[str]) -> None:
    result = parse_ddl(ddl)
    tb = result.schema.table("t")
    assert tb is not None
    assert [describe_column(tb.columns[0]), *map(str, result.unsupported)] == expected


# --- constraints and their names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ddl", "names"),
    [
        ("CREATE TABLE t (a int CHECK (a > 0), b int, CHECK (a > b))", ["t: t_a_check", "t: t_check"]),
        ("CREATE TABLE t (a int CHECK (a > 0), CHECK (a < 9))", ["t: t_a_check", "t: t_a_check1"]),
        ("CREATE TABLE t (a int, b int, UNIQUE (a, b))", ["t: t_a_b_key"]),
        ("CREATE TABLE t (a int PRIMARY KEY UNIQUE, b int UNIQUE, UNIQUE (b))", ["t: t_b_key", "t: t_pkey"]),
        ("CREATE TABLE t (a int, CONSTRAINT t_pkey CHECK (a > 0), PRIMARY KEY (a))", ["t: t_pkey", "t: t_pkey1"]),
        (
            "CREATE TABLE u (id int PRIMARY KEY); CREATE TABLE t (x int REFERENCES u, FOREIGN KEY (x) REFERENCES u)",
            ["t: t_x_fkey", "t: t_x_fkey1", "u: u_pkey"],
        ),
        (
            "CREATE TABLE t_a (b int CHECK (b > 0)); CREATE TABLE t (a_b int CHECK (a_b > 0))",
            ["t: t_a_b_check1", "t_a: t_a_b_check"],
        ),
        (
            "CREATE TABLE t (c int); CREATE INDEX t_c_key ON t (c); ALTER TABLE t ADD UNIQUE (c)",
            ["t: t_c_key", "t: t_c_key1"],
        ),
        (
            "CREATE TABLE t (c int); CREATE INDEX ON t (c); CREATE INDEX ON t (c); CREATE INDEX ON t (c, c)",
            ["t: t_c_c1_idx", "t: t_c_idx", "t: t_c_idx1"],
        ),
        (
            "CREATE TABLE t (c text, a int, b int); CREATE INDEX ON t (lower(c)); CREATE INDEX ON t ((a+b))",
            ["t: t_expr_idx", "t: t_lower_idx"],
        ),
        (
            "CREATE TABLE t (d jsonb, ts timestamp);"
            "CREATE INDEX ON t ((d->>'x')); CREATE INDEX ON t (date_trunc('day', ts))",
            ["t: t_date_trunc_idx", "t: t_expr_idx"],
        ),
        ("CREATE TABLE t (id serial PRIMARY KEY, t_id_seq int UNIQUE)", ["t: t_pkey", "t: t_t_id_seq_key"]),
        (
            f"CREATE TABLE {'long_' * 15} (x int PRIMARY KEY)",
            [f"{'long_' * 12}lon: {'long_' * 11}lon_pkey"],
        ),
    ],
)
def test_unnamed_constraints_and_indexes_get_postgresqls_names(ddl: str, names: list[str]) -> None:
    assert constraint_names(ddl) == names


def test_constraints_of_every_kind() -> None:
    ddl = """
        CREATE TABLE u (id int, code text, PRIMARY KEY (id), UNIQUE (code));
        CREATE TABLE t (
            a int CONSTRAINT a_positive CHECK (a > 0) REFERENCES u ON DELETE CASCADE,
            b text CONSTRAINT t_b_fk REFERENCES u (code) ON UPDATE SET NULL DEFERRABLE INITIALLY DEFERRED,
            CONSTRAINT both_set CHECK (a IS NOT NULL OR b IS NOT NULL),
            CONSTRAINT pair UNIQUE (a, b)
        );
    """
    assert describe(table(ddl, "u")) == "id integer NOT NULL; code text; pk u_pkey(id); unique u_code_key(code)"
    assert describe(table(ddl)).split("; ") == [
        "a integer",
        "b text",
        "unique pair(a, b)",
        "check a_positive a > 0",
        "check both_set a IS NOT NULL OR b IS NOT NULL",
        "fk t_a_fkey(a) u(id) on delete cascade",
        "fk t_b_fk(b) u(code) on update set null deferrable initially deferred",
    ]


_T = "a integer; b integer NOT NULL DEFAULT 1; unique t_a_key(a)"


@pytest.mark.parametrize(
    ("alter", "expected"),
    [
        ("", _T),
        ("ALTER TABLE t OWNER TO postgres", _T),
        ("ALTER TABLE t ENABLE TRIGGER ALL", _T),
        ("ALTER TABLE t ALTER COLUMN a SET STATISTICS 100", _T),
        ("ALTER TABLE IF EXISTS missing ADD PRIMARY KEY (a)", _T),
        ("ALTER TABLE t ADD COLUMN IF NOT EXISTS a text", _T),
        (
            "ALTER TABLE ONLY public.t ADD CONSTRAINT t_pk PRIMARY KEY (a)",
            "a integer NOT NULL; b integer NOT NULL DEFAULT 1; pk t_pk(a); unique t_a_key(a)",
        ),
        (
            "ALTER TABLE IF EXISTS t ADD PRIMARY KEY (a, b)",
            "a integer NOT NULL; b integer NOT NULL DEFAULT 1; pk t_pkey(a, b); unique t_a_key(a)",
        ),
        ("ALTER TABLE t ADD UNIQUE (b)", f"{_T}; unique t_b_key(b)"),
        ("ALTER TABLE t ADD CONSTRAINT u1 UNIQUE (a, b)", f"{_T}; unique u1(a, b)"),
        ("ALTER TABLE t ADD CHECK (a > b)", f"{_T}; check t_check a > b"),
        ("ALTER TABLE t ADD CONSTRAINT c1 CHECK (a > 0) NOT VALID", f"{_T}; check c1 a > 0"),
        (
            "ALTER TABLE t ADD FOREIGN KEY (b) REFERENCES t (a) ON DELETE SET NULL",
            f"{_T}; fk t_b_fkey(b) t(a) on delete set null",
        ),
        (
            "ALTER TABLE t ALTER COLUMN a SET DEFAULT 7",
            "a integer DEFAULT 7; b integer NOT NULL DEFAULT 1; unique t_a_key(a)",
        ),
        ("ALTER TABLE t ALTER a SET NOT NULL", "a integer NOT NULL; b integer NOT NULL DEFAULT 1; unique t_a_key(a)"),
        ("ALTER TABLE t ALTER COLUMN b DROP NOT NULL", "a integer; b integer DEFAULT 1; unique t_a_key(a)"),
        ("ALTER TABLE t ALTER COLUMN b DROP DEFAULT", "a integer; b integer NOT NULL; unique t_a_key(a)"),
        ("ALTER TABLE t ALTER COLUMN b TYPE bigint", "a integer; b bigint NOT NULL DEFAULT 1; unique t_a_key(a)"),
        (
            "ALTER TABLE t ADD COLUMN c text NOT NULL DEFAULT 'x'",
            "a integer; b integer NOT NULL DEFAULT 1; c text NOT NULL DEFAULT 'x'; unique t_a_key(a)",
        ),
    ],
)
def test_alter_table_changes_what_create_table_made(alter: str, expected: str) -> None:
    assert describe(table(f"CREATE TABLE t (a int UNIQUE, b int NOT NULL DEFAULT 1);\n{alter}")) == expected


@pytest.mark.parametrize(
    ("ddl", "values"),
    [
        ("CREATE TYPE mood AS ENUM ('sad', 'ok')", ("sad", "ok")),
        ("CREATE TYPE mood AS ENUM ('sad', 'ok'); ALTER TYPE mood ADD VALUE 'happy'", ("sad", "ok", "happy")),
        (
            "CREATE TYPE mood AS ENUM ('sad', 'ok'); ALTER TYPE public.mood ADD VALUE 'meh' BEFORE 'ok'",
            ("sad", "meh", "ok"),
        ),
        ("CREATE TYPE mood AS ENUM ('sad', 'ok'); ALTER TYPE mood ADD VALUE 'meh' AFTER 'sad'", ("sad", "meh", "ok")),
        ("CREATE TYPE mood AS ENUM ('sad'); ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad'", ("sad",)),
        ("CREATE TYPE mood AS ENUM ('sad'); ALTER TYPE mood RENAME VALUE 'sad' TO 'blue'", ("blue",)),
        ("CREATE TYPE mood AS ENUM ('it''s'); ALTER TYPE mood OWNER TO postgres", ("it's",)),
    ],
)
def test_enums(ddl: str, values: tuple[str, ...]) -> None:
    assert parse_ddl(ddl).schema.enums == (Enum(name="mood", values=values),)


# --- indexes ------------------------------------------------------------------------------


def _index(name: str, *keys: IndexKey, **options: object) -> Index:
    return Index.model_validate({"name": name, "keys": keys, **options})


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        ("CREATE INDEX i ON t (a)", _index("i", IndexKey(column="a"))),
        ("CREATE INDEX i ON public.t USING btree (a)", _index("i", IndexKey(column="a"))),
        (
            "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS i ON ONLY t (a DESC)",
            _index("i", IndexKey(column="a", desc=True), unique=True),
        ),
        (
            "CREATE INDEX i ON t (a DESC NULLS LAST, b NULLS FIRST)",
            _index("i", IndexKey(column="a", desc=True, nulls="last"), IndexKey(column="b", nulls="first")),
        ),
        ("CREATE INDEX i ON t USING gin (c)", _index("i", IndexKey(column="c"), method="gin")),
        ("CREATE INDEX i ON t ((a))", _index("i", IndexKey(column="a"))),
        ("CREATE INDEX i ON t (lower(c))", _index("i", IndexKey(expr=pg_expr("lower(c)")))),
        ("CREATE INDEX i ON t ((a + b) DESC)", _index("i", IndexKey(expr=pg_expr("a + b"), desc=True))),
        (
            "CREATE INDEX i ON t (a) WHERE b IS NOT NULL AND c <> 'x'::text",
            _index("i", IndexKey(column="a"), where=pg_expr("b IS NOT NULL AND c <> 'x'")),
        ),
        ("CREATE INDEX ON t (a)", _index("t_a_idx", IndexKey(column="a"))),
        (
            "CREATE INDEX i ON t (c text_pattern_ops DESC, lower(c) public.text_pattern_ops)",
            _index(
                "i",
                IndexKey(column="c", desc=True, opclass="text_pattern_ops"),
                IndexKey(expr=pg_expr("lower(c)"), opclass="text_pattern_ops"),
            ),
        ),
        (
            "CREATE INDEX i ON t USING gin (c ext.gin_trgm_ops)",
            _index("i", IndexKey(column="c", opclass="ext.gin_trgm_ops"), method="gin"),
        ),
        (
            'CREATE INDEX i ON t (c COLLATE "C" text_pattern_ops, c COLLATE pg_catalog."POSIX" DESC, c COLLATE app.de)',
            _index(
                "i",
                IndexKey(column="c", opclass="text_pattern_ops", collation="C"),
                IndexKey(column="c", desc=True, collation="POSIX"),
                IndexKey(column="c", collation="app.de"),
            ),
        ),
        # a default operator class written out (drizzle-kit does) is none, as the catalog reads it
        (
            'CREATE INDEX i ON t USING btree ("a" int4_ops, c pg_catalog.text_ops)',
            _index("i", IndexKey(column="a"), IndexKey(column="c")),
        ),
        (
            "CREATE UNIQUE INDEX i ON t USING btree (a, b) NULLS NOT DISTINCT WHERE c <> 'x'",
            _index(
                "i",
                IndexKey(column="a"),
                IndexKey(column="b"),
                unique=True,
                where=pg_expr("c <> 'x'"),
                nulls_not_distinct=True,
            ),
        ),
    ],
)
def test_indexes(ddl: str, expected: Index) -> None:
    assert table(f"CREATE TABLE t (a int, b int, c text);\n{ddl}").indexes == (expected,)


@pytest.mark.parametrize(
    "ddl",
    [
        "CREATE TABLE w (p int, n text, CONSTRAINT w_p_n_key UNIQUE NULLS NOT DISTINCT (p, n))",
        'CREATE TABLE w (p int, n text); ALTER TABLE "w" ADD CONSTRAINT "w_p_n_key" UNIQUE NULLS NOT DISTINCT("p","n")',
    ],
)
def test_a_unique_with_nulls_not_distinct_is_carried(ddl: str) -> None:
    read = parse_ddl(ddl)
    assert read.unsupported == ()
    assert table(ddl, "w").uniques == (Unique(name="w_p_n_key", columns=("p", "n"), nulls_not_distinct=True),)


def test_a_column_unique_with_nulls_not_distinct_is_carried() -> None:
    assert table("CREATE TABLE w (n text UNIQUE NULLS NOT DISTINCT)", "w").uniques == (
        Unique(name="w_n_key", columns=("n",), nulls_not_distinct=True),
    )


@pytest.mark.parametrize(
    ("ddl", "reported"),
    [
        ('CREATE INDEX i ON t (lower(c) COLLATE "C")', ["index t.i: COLLATE not carried"]),
        ("CREATE INDEX i ON t (a) INCLUDE (b)", ["index t.i: INCLUDE columns not carried"]),
        (
            "CREATE INDEX i ON t USING gist (c ext.gist_trgm_ops (siglen = 32))",
            ["index t.i: operator class options not carried"],
        ),
        ("CREATE INDEX i ON t (a) WITH (fillfactor = 70)", ["index t.i: storage parameters not carried"]),
    ],
)
def test_index_options_the_model_lacks_are_reported(ddl: str, reported: list[str]) -> None:
    assert unsupported(f"CREATE TABLE t (a int, b int, c text);\n{ddl}") == reported


# --- views --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        ("CREATE VIEW v AS SELECT a FROM t", "SELECT t.a FROM t"),  # qualified, as PostgreSQL up to 15 prints it
        ("CREATE VIEW public.v AS SELECT t.a FROM public.t WHERE t.b = 'x'::text", "SELECT t.a FROM t WHERE t.b = 'x'"),
        ("CREATE VIEW v AS SELECT a FROM t; CREATE OR REPLACE VIEW v AS SELECT b FROM t", "SELECT t.b FROM t"),
        ("CREATE VIEW v (x, b) AS SELECT a, b FROM t", "SELECT t.a AS x, t.b FROM t"),
        (
            "CREATE VIEW v AS SELECT t.a FROM ((t JOIN t AS u ON ((u.a = t.a))) LEFT JOIN t AS w ON (w.b = u.b))",
            "SELECT t.a FROM t JOIN t AS u ON u.a = t.a LEFT JOIN t AS w ON w.b = u.b",
        ),
    ],
)
def test_views(ddl: str, expected: str) -> None:
    schema = parse_ddl(f"CREATE TABLE t (a int, b text);\n{ddl}").schema
    assert schema.views == (View(name="v", query=pg_expr(expected)),)


def test_domains_sequences_materialized_views_and_aggregates_are_read() -> None:
    result = parse_ddl(
        """
        CREATE DOMAIN "Name" AS character varying(50);
        CREATE DOMAIN positive AS int DEFAULT 1 NOT NULL CHECK (VALUE > 0) CONSTRAINT small CHECK (VALUE < 100);
        CREATE SEQUENCE ticket AS integer START WITH 10 INCREMENT 2 NO MAXVALUE CACHE 5;
        CREATE TABLE t (a positive, b "Name", c public."Name", n bigint DEFAULT nextval('ticket'), o int);
        ALTER SEQUENCE ticket OWNED BY t.o;
        CREATE MATERIALIZED VIEW m AS SELECT a FROM t WITH NO DATA;
        CREATE UNIQUE INDEX mi ON m (a);
        CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int);
        """
    )
    schema = result.schema
    assert result.unsupported == ()
    assert schema.domains == (
        Domain(name="Name", base_type="varchar(50)"),
        Domain(
            name="positive",
            base_type="integer",
            default=pg_expr("1"),
            not_null=True,
            checks=(
                DomainCheck(name="positive_check", expr=pg_expr("VALUE > 0")),
                DomainCheck(name="small", expr=pg_expr("VALUE < 100")),
            ),
        ),
    )
    table = schema.table("t")
    assert table is not None
    assert [c.domain for c in table.columns] == ["positive", "Name", "Name", None, None]
    assert schema.sequences == (
        PgSequence(name="ticket", data_type="integer", start=10, increment=2, cache=5, owned_by="t.o"),
    )
    assert schema.materialized_views == (
        MaterializedView(
            name="m", query="SELECT a FROM t", with_data=False, indexes=("CREATE UNIQUE INDEX mi ON m (a)",)
        ),
    )
    assert [a.label for a in schema.aggregates] == ["total(int)"]


def test_views_reading_what_the_model_does_not_hold_are_left_out() -> None:
    result = parse_ddl(
        """
        CREATE TABLE t (a int);
        CREATE FUNCTION public.f(integer) RETURNS integer LANGUAGE sql AS $$ SELECT $1 $$;
        CREATE MATERIALIZED VIEW m AS SELECT a FROM t;
        CREATE VIEW calls AS SELECT public.f(a) AS fa FROM t;
        CREATE VIEW reads_m AS SELECT a FROM m;
        CREATE VIEW reads_calls AS SELECT fa FROM calls;
        CREATE VIEW kept AS SELECT a FROM t;
        """
    )
    assert [v.name for v in result.schema.views] == ["kept"]
    assert [f.label for f in result.schema.functions] == ["public.f(integer)"]  # carried (core/routines.py)
    assert [m.name for m in result.schema.materialized_views] == ["m"]  # carried (core/pg_objects.py)
    assert [str(u) for u in result.unsupported] == [
        "view calls: reads function f, which mizzle does not model",
        "view reads_calls: reads view calls, which mizzle does not model",
        "view reads_m: reads materialized view m, which mizzle does not model",
    ]


# --- what the model does not hold -----------------------------------------------------------


@pytest.mark.parametrize(
    ("ddl", "reported"),
    [
        ("CREATE FUNCTION app.f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$", ["function app.f: not modelled"]),
        ("CREATE AGGREGATE app.agg(text) (SFUNC = textcat, STYPE = text)", ["aggregate app.agg: not modelled"]),
        (
            "CREATE TRIGGER tr BEFORE UPDATE ON app.t FOR EACH ROW EXECUTE FUNCTION f()",
            ["trigger tr: on app.t; not modelled"],
        ),
        ("CREATE RULE r AS ON INSERT TO t DO INSTEAD NOTHING", ["rule r: on t; not modelled"]),
        ("CREATE SCHEMA auth; CREATE SCHEMA IF NOT EXISTS public", ["schema auth: only schema public is read"]),
        ("CREATE TABLE app.x (a int)", ["table app.x: outside the public schema; skipped"]),
        (
            "CREATE MATERIALIZED VIEW app.m AS SELECT a FROM t WITH NO DATA",
            ["materialized view app.m: skipped"],
        ),
        (
            "CREATE TYPE pair AS (a int, b int); CREATE TYPE r AS RANGE (subtype = float8)",
            ["composite type pair: not modelled", "range type r: not modelled"],
        ),
        (
            'CREATE TABLE p (a text) PARTITION BY RANGE (a COLLATE "C");'
            "CREATE TABLE p1 PARTITION OF p FOR VALUES FROM ('a') TO ('m')",
            [
                "partition p1: partition of p; skipped",
                "partitioning p: a partition key's COLLATE or operator class is not carried: 'a COLLATE \"C\"': "
                "read as a plain table",
            ],
        ),
        (
            "CREATE TABLE p (a int) PARTITION BY LIST (a); CREATE TABLE p1 (a int); CREATE INDEX ON p1 (a);"
            "ALTER TABLE ONLY p ATTACH PARTITION p1 FOR VALUES IN (1); ALTER TABLE ONLY p1 ADD PRIMARY KEY (a)",
            [
                "partition p1: a constraint added without a name is not carried (name it)",
                "partition p1: its constraints and indexes declared before ATTACH PARTITION are not carried",
            ],
        ),
        ("CREATE TEMP TABLE tmp (a int)", ["temporary table tmp: skipped"]),
        ("CREATE UNLOGGED TABLE x (a int)", ["unlogged table x: read as an ordinary table"]),
        ('CREATE TABLE x (a text COLLATE "C")', ["collation x.a: the column's COLLATE is not carried"]),
        (
            "CREATE TABLE x (a int PRIMARY KEY DEFERRABLE)",
            ["constraint x.x_pkey: DEFERRABLE is only carried on foreign keys"],
        ),
        (
            "ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID",
            ["constraint t.c: NOT VALID: read as a validated constraint"],
        ),
        ("ALTER TABLE t FORCE ROW LEVEL SECURITY", ["row level security t: FORCE without ENABLE: not modelled"]),
        ("ALTER TABLE t ADD CONSTRAINT ex EXCLUDE USING gist (a WITH =)", ["exclusion constraint t.ex: not modelled"]),
        (
            "CREATE SEQUENCE s; COMMENT ON SEQUENCE s IS 'x'; COMMENT ON COLUMN t.a IS 'y'",
            ["comment s: not modelled"],
        ),
        ("CREATE FUNCTION f() RETURNS int AS 'SELECT 1' LANGUAGE sql; DROP FUNCTION f()", []),
        ("DO $$ BEGIN CREATE TABLE y (a int); END $$", ["DO block at line 3: not run: what it creates is not read"]),
    ],
)
def test_what_the_model_cannot_hold_is_reported_by_name(ddl: str, reported: list[str]) -> None:
    assert unsupported(f"CREATE TABLE t (a int);\nCREATE TABLE u (a int);\n{ddl}") == reported


def test_functions_procedures_triggers_and_extensions_are_carried_as_written() -> None:
    function = "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END; $$"
    procedure = "CREATE OR REPLACE PROCEDURE public.p(a int DEFAULT 1) LANGUAGE sql AS 'SELECT 1'"
    trigger = "CREATE TRIGGER tr BEFORE INSERT ON public.u FOR EACH ROW EXECUTE FUNCTION f()"
    result = parse_ddl(
        f"""CREATE TABLE t (a int);
        CREATE TABLE u (a int);
        {function};
        {procedure};
        CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();
        {trigger};
        DROP TRIGGER tr ON t;
        CREATE EXTENSION IF NOT EXISTS "uuid-ossp" WITH SCHEMA extensions VERSION '1.1';
        """
    )
    assert result.unsupported == ()
    schema = result.schema
    assert schema.functions == (Function(definition=function), Function(definition=procedure))
    assert [(f.kind, f.label) for f in schema.functions] == [
        ("function", "public.f()"),
        ("procedure", "public.p(a int)"),
    ]
    assert schema.table("t").triggers == ()  # type: ignore[union-attr]
    assert schema.table("u").triggers == (Trigger(name="tr", postgresql=trigger),)  # type: ignore[union-attr]
    assert schema.extensions == (Extension(name="uuid-ossp", schema_name="extensions", version="1.1"),)


def test_statements_that_create_nothing_are_skipped() -> None:
    ddl = r"""
        \set ON_ERROR_STOP on
        SET statement_timeout = 0;
        SELECT pg_catalog.set_config('search_path', '', false);
        BEGIN;
        DROP DATABASE IF EXISTS x;
        CREATE DATABASE x;
        \c x
        CREATE ROLE app;
        DROP TABLE IF EXISTS t CASCADE;
        DROP FUNCTION IF EXISTS f(int);
        CREATE TABLE t (a int);
        ALTER TABLE public.t OWNER TO app;
        REVOKE ALL ON SCHEMA public FROM PUBLIC;
        ALTER SCHEMA public OWNER TO postgres;
        COMMIT;
    """
    assert parse_ddl(ddl) == Introspected(schema=parse_ddl("CREATE TABLE t (a int)").schema)


def test_data_statements_are_skipped_with_one_note() -> None:
    ddl = "CREATE TABLE t (a int);\nINSERT INTO t VALUES (1), (2);\nCOPY t (a) FROM stdin;\n3\n\\.\nUPDATE t SET a = 4;"
    assert unsupported(ddl) == ["data 3 statements: ignored (a schema file holds no rows)"]


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        (
            "CREATE TABLE t (\n  a int,\n  b int NOT NULL DEFAULT\n);",
            "schema.sql:1: cannot parse CREATE TABLE statement: Required keyword: 'this' missing for "
            "<class 'sqlglot.expressions.constraints.DefaultColumnConstraint'>. Line 4, Col: 1.",
        ),
        (
            "SET x = 1;\n\nCREATE TABLE t (a int);\nALTER TABLE u ADD PRIMARY KEY (a);",
            'schema.sql:4: ALTER TABLE "u": the file does not create this table',
        ),
        (
            "CREATE TABLE t (a int);\nCREATE INDEX ON u (a);",
            'schema.sql:2: CREATE INDEX on "u", which the file does not create',
        ),
        ("CREATE TABLE t (a int);\nCREATE INDEX ON t (b);", 'schema.sql:2: column "b" of table "t" does not exist'),
        ("CREATE TABLE t (a int, PRIMARY KEY (b));", 'schema.sql:1: column "b" of table "t" does not exist'),
        ("CREATE TABLE t (a int);\nCREATE TABLE t (b int);", 'schema.sql:2: relation "t" already exists'),
        (
            "CREATE TABLE t (a int);\nCREATE TABLE IF NOT EXISTS t (b int);\nCREATE INDEX t ON t (a);",
            'schema.sql:3: relation "t" already exists',
        ),
        ("CREATE TABLE t (a int, a text);", 'schema.sql:1: column "a" specified more than once in table "t"'),
        (
            "CREATE TABLE t (a int PRIMARY KEY, b int, PRIMARY KEY (b));",
            'schema.sql:1: multiple primary keys for table "t" are not allowed',
        ),
        ("\n\nCREATE TABLE t (a text DEFAULT 'x);", "schema.sql:3: unterminated quoted string"),
        ("CREATE TABLE t (a numeric(2000));", "schema.sql:1: numeric precision must be between 1 and 1000"),
        (
            "CREATE TABLE t (a smallserial);",
            "schema.sql:1: smallserial is not supported: use serial (integer) or bigserial",
        ),
        (
            "CREATE TYPE mood AS ENUM ('a');\nALTER TYPE mood ADD VALUE 'a';",
            "schema.sql:2: enum \"mood\" already has the value 'a'",
        ),
        (
            "CREATE TYPE mood AS ENUM ('a');\nALTER TYPE mood ADD VALUE 'b' AFTER 'z';",
            "schema.sql:2: enum \"mood\" has no value 'z'",
        ),
        ("VACUUM;\nFOO BAR;", "schema.sql:2: cannot read a 'FOO' statement in a schema file"),
        (
            "CREATE TABLE t (a int);\nALTER TABLE t DROP COLUMN a;",
            'schema.sql:2: ALTER TABLE "t" DROP COLUMN a: mizzle reads only ADD, ALTER COLUMN, OWNER TO and '
            "ATTACH PARTITION here (a schema file declares the final schema)",
        ),
        (
            "CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN b SET NOT NULL;",
            'schema.sql:2: ALTER TABLE "t": no column "b"',
        ),
        ("ALTER SEQUENCE q OWNED BY t.a;", 'schema.sql:1: ALTER SEQUENCE "q": the file does not create this sequence'),
        ("DROP TABLE t;", 'schema.sql:1: DROP TABLE "t": the file has not created it'),
        ("CREATE TABLE t AS SELECT 1;", 'schema.sql:1: CREATE TABLE "t" AS a query: declare its columns instead'),
        (
            "CREATE TABLE t (a int REFERENCES u (b));",
            'schema.sql:1: table "t", foreign key "t_a_fkey": references table "u", which the file does not create',
        ),
        (
            "CREATE TABLE t (a int);\nCREATE TABLE u (a int REFERENCES t);",
            'schema.sql:2: table "u", foreign key "u_a_fkey": "t" has no primary key to reference',
        ),
        (
            "CREATE TABLE t (a int);\nCREATE VIEW v AS SELECT * FROM nowhere;",
            'schema.sql:2: view "v": reads missing table or view "nowhere"',
        ),
    ],
)
def test_errors_name_the_line(ddl: str, message: str) -> None:
    with pytest.raises(SchemaError) as err:
        parse_ddl(ddl)
    assert str(err.value) == message


def test_a_syntax_error_is_a_schema_syntax_error_with_the_source_name() -> None:
    with pytest.raises(SchemaSyntaxError, match=r"^db/schema\.sql:2: cannot parse CREATE INDEX statement: "):
        parse_ddl("CREATE TABLE t (a int);\nCREATE INDEX i ON t a;", source="db/schema.sql")


# --- real schemas -------------------------------------------------------------------------


def test_chinook() -> None:
    started = time.perf_counter()
    result = parse_ddl(CHINOOK.read_text(encoding="utf-8"), "Chinook_PostgreSql.sql")
    assert time.perf_counter() - started < 2  # 15k rows of INSERTs are skipped without being parsed
    schema = result.schema
    assert [tb.name for tb in schema.tables] == [
        "album", "artist", "customer", "employee", "genre", "invoice", "invoice_line", "media_type", "playlist",
        "playlist_track", "track",
    ]  # fmt: skip
    assert [tb.primary_key.name + str(tb.primary_key.columns) for tb in schema.tables if tb.primary_key] == [
        f"{tb}_pkey('{tb}_id',)" for tb in ["album", "artist", "customer", "employee", "genre", "invoice"]
    ] + [
        "invoice_line_pkey('invoice_line_id',)",
        "media_type_pkey('media_type_id',)",
        "playlist_pkey('playlist_id',)",
        "playlist_track_pkey('playlist_id', 'track_id')",
        "track_pkey('track_id',)",
    ]
    assert sorted(f"{tb.name}.{fk.name} -> {fk.ref_table}" for tb in schema.tables for fk in tb.foreign_keys) == [
        "album.album_artist_id_fkey -> artist",
        "customer.customer_support_rep_id_fkey -> employee",
        "employee.employee_reports_to_fkey -> employee",
        "invoice.invoice_customer_id_fkey -> customer",
        "invoice_line.invoice_line_invoice_id_fkey -> invoice",
        "invoice_line.invoice_line_track_id_fkey -> track",
        "playlist_track.playlist_track_playlist_id_fkey -> playlist",
        "playlist_track.playlist_track_track_id_fkey -> track",
        "track.track_album_id_fkey -> album",
        "track.track_genre_id_fkey -> genre",
        "track.track_media_type_id_fkey -> media_type",
    ]
    # every foreign key has its index, named `<table>_<column>_idx`
    assert sorted(i.name for tb in schema.tables for i in tb.indexes) == sorted(
        f"{tb.name}_{fk.columns[0]}_idx" for tb in schema.tables for fk in tb.foreign_keys
    )
    invoice = schema.table("invoice")
    assert invoice is not None and describe_column(invoice.columns[-1]) == "total numeric(10,2) NOT NULL"
    assert [str(u) for u in result.unsupported] == ["data 24 statements: ignored (a schema file holds no rows)"]


_PAGILA_SERIALS = [
    "actor", "address", "category", "city", "country", "customer", "film", "inventory", "language", "payment",
    "rental", "staff", "store",
]  # fmt: skip
_PAGILA_FUNCTIONS = [
    "_group_concat", "film_in_stock", "film_not_in_stock", "get_customer_balance", "inventory_held_by_customer",
    "inventory_in_stock", "last_day", "last_updated", "rewards_report",
]  # fmt: skip
PAGILA_UNSUPPORTED = {
    *(("sequence", f"{tb}_{tb}_id_seq") for tb in _PAGILA_SERIALS),
    ("view", "film_list"),
    ("view", "nicer_but_slower_film_list"),
}


def test_pagila() -> None:
    result = parse_ddl(PAGILA.read_text(encoding="utf-8"), "pagila-schema.sql")
    schema = result.schema
    assert [tb.name for tb in schema.tables] == [
        "actor", "address", "category", "city", "country", "customer", "film", "film_actor", "film_category",
        "inventory", "language", "payment", "rental", "staff", "store",
    ]  # fmt: skip
    assert schema.enums == (Enum(name="mpaa_rating", values=("G", "PG", "PG-13", "R", "NC-17")),)
    assert [v.name for v in schema.views] == [
        "actor_info", "customer_list", "sales_by_film_category", "sales_by_store", "staff_list",
    ]  # fmt: skip
    film = schema.table("film")
    assert film is not None
    assert [describe_column(c) for c in film.columns] == [
        "film_id serial NOT NULL",
        "title text NOT NULL",
        "description text",
        "release_year integer",
        "language_id integer NOT NULL",
        "original_language_id integer",
        "rental_duration smallint NOT NULL DEFAULT 3",
        "rental_rate numeric(4,2) NOT NULL DEFAULT '4.99'",
        "length smallint",
        "replacement_cost numeric(5,2) NOT NULL DEFAULT '19.99'",
        "rating enum mpaa_rating DEFAULT 'G'",
        "last_update timestamptz NOT NULL DEFAULT now",
        "special_features text[]",
        "fulltext custom tsvector NOT NULL",
    ]
    assert [(i.name, i.method) for i in film.indexes] == [
        ("film_fulltext_idx", "gist"),
        ("idx_fk_language_id", "btree"),
        ("idx_fk_original_language_id", "btree"),
        ("idx_title", "btree"),
    ]
    payment = schema.table("payment")
    assert payment is not None
    assert payment.primary_key == PrimaryKey(name="payment_pkey", columns=("payment_date", "payment_id"))
    assert {(u.kind, u.name) for u in result.unsupported} == PAGILA_UNSUPPORTED
    # its functions and triggers are carried as the file writes them (core/routines.py)
    assert sorted(f.name for f in schema.functions) == sorted(_PAGILA_FUNCTIONS)
    assert [tr.name for tr in film.triggers] == ["film_fulltext_trigger", "last_updated"]
    release_year = next(c for c in film.columns if c.name == "release_year")
    assert (release_year.type, release_year.domain) == (t("integer"), "year")  # core/pg_objects.py
    assert [d.name for d in schema.domains] == ["bıgınt", "year"]
    assert [a.label for a in schema.aggregates] == ["group_concat(text)"]
    assert [m.name for m in schema.materialized_views] == ["rental_by_category"]


# --- the same schema, loaded into PostgreSQL and introspected --------------------------------

#: A hand-written schema using what the model holds, with every constraint and index unnamed
#: where it can be: PostgreSQL names them, and the file must name them alike. (Some
#: expressions are written as PostgreSQL prints them back: its deparser rewrites `BETWEEN`
#: and adds casts, e.g. `(email)::text` for a varchar, `'happy'::mood` for an enum, which
#: canonical expressions do not undo yet.)
HAND_WRITTEN = """
CREATE TYPE mood AS ENUM ('sad', 'ok');
ALTER TYPE mood ADD VALUE 'happy' AFTER 'ok';
ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok';
CREATE TYPE "Kind" AS ENUM ('A', 'b''c');
CREATE TABLE user_profile (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email varchar(200) NOT NULL UNIQUE,
    name text NOT NULL DEFAULT '',
    mood mood DEFAULT 'ok',
    kind "Kind" DEFAULT 'b''c'::"Kind",
    tags text[] DEFAULT '{}',
    scores int[] DEFAULT '{1,2,3}'::integer[],
    settings jsonb NOT NULL DEFAULT '{}'::jsonb,
    balance numeric(12, 2) DEFAULT 0.00 CHECK (balance >= 0::numeric),
    ratio double precision DEFAULT 1.5,
    small real,
    flag boolean DEFAULT false,
    born date DEFAULT CURRENT_DATE,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamp(3) DEFAULT CURRENT_TIMESTAMP,
    t time,
    code char(3),
    blob bytea,
    doc json,
    sync_version bigint NOT NULL DEFAULT 0,
    search tsvector,
    CONSTRAINT name_not_blank CHECK (length(name) > 0 OR email::text <> '')
);
CREATE TABLE tune (
    id serial PRIMARY KEY,
    owner uuid NOT NULL REFERENCES user_profile (id) ON DELETE CASCADE,
    title text NOT NULL,
    key text CHECK (key IN ('C', 'D', 'E')),
    bpm int CHECK (bpm >= 20 AND bpm <= 400),
    private boolean NOT NULL DEFAULT true,
    UNIQUE (owner, title)
);
CREATE TABLE playlist (
    id bigserial PRIMARY KEY,
    owner uuid NOT NULL,
    name text NOT NULL,
    position integer NOT NULL DEFAULT 1,
    FOREIGN KEY (owner) REFERENCES user_profile ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE playlist_tune (
    playlist_id bigint NOT NULL,
    tune_id integer NOT NULL,
    added_at timestamptz DEFAULT now(),
    PRIMARY KEY (playlist_id, tune_id)
);
ALTER TABLE playlist_tune ADD FOREIGN KEY (playlist_id) REFERENCES playlist (id) ON DELETE CASCADE;
ALTER TABLE ONLY playlist_tune ADD CONSTRAINT pt_tune FOREIGN KEY (tune_id) REFERENCES tune(id) ON DELETE RESTRICT;
ALTER TABLE playlist_tune ADD CHECK (tune_id > 0);
ALTER TABLE playlist ALTER COLUMN position SET DEFAULT 0;
ALTER TABLE playlist ALTER COLUMN name DROP NOT NULL;
ALTER TABLE tune ADD COLUMN notes text;
CREATE TABLE practice_record (
    id integer NOT NULL,
    tune_id integer NOT NULL REFERENCES tune,
    practiced_at timestamptz NOT NULL,
    quality smallint NOT NULL DEFAULT 3,
    note text
);
CREATE SEQUENCE practice_record_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;
ALTER SEQUENCE practice_record_id_seq OWNED BY practice_record.id;
ALTER TABLE ONLY practice_record ALTER COLUMN id SET DEFAULT nextval('practice_record_id_seq'::regclass);
ALTER TABLE ONLY practice_record ADD CONSTRAINT practice_record_pkey PRIMARY KEY (id);
CREATE SEQUENCE invoice_no START 1000;
CREATE SEQUENCE shared_no;
CREATE TABLE invoice (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    no int NOT NULL DEFAULT nextval('invoice_no'),
    a int DEFAULT nextval('shared_no'),
    b int DEFAULT nextval('shared_no')
);
CREATE INDEX ON tune (lower(title));
CREATE INDEX ON tune ((bpm + 1));
CREATE INDEX ON tune (owner, bpm DESC NULLS LAST);
CREATE INDEX ON tune (owner);
CREATE INDEX ON tune (owner);
CREATE UNIQUE INDEX tune_title_private ON tune (title) WHERE private;
CREATE INDEX practice_recent ON practice_record USING btree (practiced_at DESC) WHERE quality >= 3 AND note IS NOT NULL;
CREATE INDEX ON user_profile USING gin (search);
CREATE INDEX ON user_profile USING gin (settings);
CREATE INDEX ON user_profile ((settings->>'theme'));
CREATE INDEX ON user_profile (email NULLS FIRST);
CREATE INDEX ON user_profile (code, code);
COMMENT ON TABLE tune IS 'tunes';
CREATE VIEW tune_summary AS
    SELECT t.id, t.title, u.email, count(p.id) AS practices
    FROM tune t
    JOIN user_profile u ON u.id = t.owner
    LEFT JOIN practice_record p ON p.tune_id = t.id
    WHERE t.private = false AND t.key IN ('C', 'D')
    GROUP BY t.id, t.title, u.email;
CREATE VIEW public_tunes AS SELECT id, title FROM tune WHERE NOT private;
"""


def _load(url: str, path: Path) -> None:
    subprocess.run(["psql", "-q", "-X", "-v", "ON_ERROR_STOP=1", "-f", str(path), url], check=True, capture_output=True)


def _introspect(url: str) -> Introspected:
    conn = connect(parse_url(url))
    try:
        return introspect(conn)
    finally:
        conn.close()


def _pg_dump(url: str) -> str:
    """`pg_dump --schema-only`, with a pg_dump as new as the server (the system's, or the
    embedded pgserver's)."""
    with psycopg.connect(url) as conn:
        server = conn.info.server_version // 10000
    for exe in _pg_dumps():
        version = subprocess.run([exe, "--version"], capture_output=True, text=True).stdout
        found = re.search(r"(\d+)\.", version)
        if found and int(found[1]) >= server:
            return subprocess.run([exe, "--schema-only", url], check=True, capture_output=True, text=True).stdout
    raise AssertionError(f"no pg_dump for PostgreSQL {server}")


def _pg_dumps() -> Iterator[str]:
    system = shutil.which("pg_dump")
    if system:
        yield system
    import pgserver  # only when the system's is too old: importing it sets up runtime directories

    yield str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump")


def _by_identity(schema: Schema) -> dict[str, Any]:
    """The schema with its code known by identity: a file holds a function or trigger as it was
    written, the database as it prints it (push takes the database's text when the two are the
    same code: `dialects/postgresql/normalise_routines.py`). So are a materialized view's
    query and indexes and an aggregate's definition (`core/pg_objects.py`, carried verbatim):
    they are known by name here; a partition by all but its bound's spelling."""
    data = schema.model_copy(update={"functions": (), "aggregates": ()}).to_dict()
    for view in data.get("materialized_views", []):
        view.pop("query", None)
        view["indexes"] = len(view.get("indexes", []))
    for partition in data.get("partitions", []):
        # a bound as written and as printed (in the server's time zone) may differ in spelling
        partition.pop("bound", None)
    data["aggregates"] = sorted(a.label.replace("public.", "") for a in schema.aggregates)
    for table in data.get("tables", []):
        table.pop("triggers", None)
    data["code"] = sorted((f.kind, f.label, f.language, f.security_definer, f.volatility) for f in schema.functions)
    data["triggers"] = sorted((t.name, tr.name, tr.state) for t in schema.tables for tr in t.triggers)
    return data


def _same(from_file: Introspected, from_database: Introspected, ignore: frozenset[str] = frozenset()) -> None:
    assert _by_identity(from_file.schema) == _by_identity(from_database.schema)
    reported = {(u.kind, u.name) for u in from_file.unsupported if u.kind not in ignore}
    assert reported == {(u.kind, u.name) for u in from_database.unsupported}


@pytest.mark.parametrize("path", [CHINOOK, PAGILA], ids=["chinook", "pagila"])
def test_a_corpus_file_reads_as_the_database_it_creates(path: Path, pg_url: str, tmp_path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    # Chinook creates and switches to its own database: load it into ours instead.
    loadable = tmp_path / path.name
    loadable.write_text(re.sub(r"^(DROP DATABASE|CREATE DATABASE|\\c).*$", "", text, flags=re.M), encoding="utf-8")
    _load(pg_url, loadable)
    _same(parse_ddl(text, path.name), _introspect(pg_url), ignore=frozenset({"data"}))


def test_a_hand_written_schema_reads_as_the_database_it_creates(pg_url: str, tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    _load(pg_url, path)
    _same(parse_ddl(HAND_WRITTEN), _introspect(pg_url))


def test_pg_dump_of_a_database_reads_as_the_database(pg_url: str, tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    # a view PostgreSQL prints back with a cast the hand-written text lacks (`'happy'::mood`)
    view = "CREATE VIEW happy_users AS SELECT id, email FROM user_profile WHERE mood = 'happy';"
    path.write_text(HAND_WRITTEN + view, encoding="utf-8")
    _load(pg_url, path)
    _same(parse_ddl(_pg_dump(pg_url), "dump.sql"), _introspect(pg_url))


def test_names_match_the_ones_postgresql_gives(pg_url: str, tmp_path: Path) -> None:
    ddl = """
        CREATE TABLE t_a (b int CHECK (b > 0));
        CREATE TABLE t (a_b int CHECK (a_b > 0), c int, d text, e jsonb, f timestamp,
                        CONSTRAINT t_pkey CHECK (c > 0), PRIMARY KEY (c), UNIQUE (c, d), CHECK (c > a_b));
        CREATE INDEX t_c_key ON t (a_b);
        ALTER TABLE t ADD UNIQUE (c);
        ALTER TABLE t_a ADD PRIMARY KEY (b);
        CREATE TABLE this_is_a_very_long_table_name_that_goes_on_and_on_and_on_forever (
            this_is_a_very_long_column_name_that_goes_on_and_on_forever_more int PRIMARY KEY,
            another_quite_long_column_name_for_the_test int UNIQUE REFERENCES t_a(b)
                CHECK (another_quite_long_column_name_for_the_test > 0));
        CREATE INDEX ON this_is_a_very_long_table_name_that_goes_on_and_on_and_on_forever (
            this_is_a_very_long_column_name_that_goes_on_and_on_forever_more,
            another_quite_long_column_name_for_the_test);
        CREATE TABLE x (a int, FOREIGN KEY (a) REFERENCES t_a, FOREIGN KEY (a) REFERENCES t_a (b));
        CREATE TABLE y (id serial PRIMARY KEY UNIQUE, y_id_seq int UNIQUE, UNIQUE (y_id_seq));
        CREATE INDEX ON y (id);
        CREATE INDEX ON t (c); CREATE INDEX ON t (c); CREATE INDEX ON t (c, c, c);
        CREATE INDEX ON t (lower(d)); CREATE INDEX ON t (lower(d), upper(d), lower(d)); CREATE INDEX ON t ((c + 1));
        CREATE INDEX ON t ((e->>'x')); CREATE INDEX ON t (date_trunc('day', f)); CREATE INDEX ON t (trim(d));
        CREATE INDEX ON t (coalesce(c, a_b)); CREATE INDEX ON t ((d::varchar)); CREATE INDEX ON t (((c + 1)::text));
    """
    path = tmp_path / "names.sql"
    path.write_text(ddl, encoding="utf-8")
    _load(pg_url, path)
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT c.relname || ': ' || n.name FROM ("
            "  SELECT conrelid AS rel, conname AS name FROM pg_constraint WHERE connamespace = 'public'::regnamespace"
            "  UNION SELECT indrelid, indexrelid::regclass::text FROM pg_index"
            "  JOIN pg_class i ON i.oid = indexrelid WHERE i.relnamespace = 'public'::regnamespace"
            ") n JOIN pg_class c ON c.oid = n.rel"
        ).fetchall()
    assert constraint_names(ddl) == sorted(r[0] for r in rows)


# --- foreign keys to tables of another schema -----------------------------------------------


def test_a_reference_to_another_schemas_table_is_kept_with_its_schema() -> None:
    users = table(
        "CREATE TABLE users (id uuid PRIMARY KEY REFERENCES auth.users ON DELETE CASCADE,\n"
        '  boss int CONSTRAINT boss_fk REFERENCES "hr"."staff" (staff_id));',
        "users",
    )
    assert [(fk.name, fk.ref_schema, fk.ref_table, fk.ref_columns, fk.on_delete) for fk in users.foreign_keys] == [
        ("boss_fk", "hr", "staff", ("staff_id",), "no action"),
        ("users_id_fkey", "auth", "users", ("id",), "cascade"),
    ]


def test_a_reference_to_another_schemas_table_without_columns_is_refused_unless_known() -> None:
    with pytest.raises(SchemaError) as info:
        parse_ddl("CREATE TABLE t (a int REFERENCES hr.staff);")
    assert str(info.value) == (
        'schema.sql:1: table "t", foreign key "t_a_fkey": references hr.staff without naming its columns, '
        "and the file does not create hr.staff: write REFERENCES hr.staff (column)"
    )


def test_identity_columns_keep_their_kind_and_the_options_that_are_not_defaults() -> None:
    t_ = table(
        "CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY (START WITH 1 INCREMENT BY 3 MAXVALUE 1000)"
        " PRIMARY KEY, n int GENERATED BY DEFAULT AS IDENTITY, m int, k int);\n"
        "ALTER TABLE t ALTER COLUMN m ADD GENERATED BY DEFAULT AS IDENTITY;\n"
        "ALTER TABLE ONLY t ALTER COLUMN k ADD GENERATED ALWAYS AS IDENTITY (\n"
        "  SEQUENCE NAME public.t_k_seq START WITH 5 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 20 CYCLE);"
    )
    assert [(c.name, c.type, c.nullable, c.identity) for c in t_.columns] == [
        ("id", t("bigint"), False, Identity(always=True, increment=3, max_value=1000)),
        ("n", t("integer"), False, Identity()),
        ("m", t("integer"), False, Identity()),
        ("k", t("integer"), False, Identity(always=True, start=5, cache=20, cycle=True)),
    ]
