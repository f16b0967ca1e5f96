"""Introspection of a real PostgreSQL database: what the model holds comes back in its
canonical form, everything else is named in `unsupported`, and the cost is a fixed number
of catalog queries."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from mizzle.core.canonical import pg_expr
from mizzle.core.errors import IntrospectionError
from mizzle.core.expr import SqlExpr
from mizzle.core.introspection import Introspected, Unsupported
from mizzle.core.model import (
    Check,
    Column,
    Enum,
    ExprDefault,
    ForeignKey,
    Identity,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    SerialSequence,
    Table,
    Unique,
    View,
)
from mizzle.core.partitions import Partition, PartitionConstraint, PartitionKey, PartitionKeyPart
from mizzle.core.pg_objects import Domain, DomainCheck, PgSequence
from mizzle.core.routines import Extension
from mizzle.core.types import ColumnType, t
from mizzle.dialects.postgresql import connect, introspect
from mizzle.dialects.urls import parse_url
from tests.conftest import CORPUS
from tests.pg import need_extensions_on


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    c = connect(parse_url(pg_url))
    yield c
    c.close()


def read(conn: psycopg.Connection[Any], ddl: str) -> Introspected:
    conn.execute(ddl.encode())
    conn.commit()
    return introspect(conn)


def read_table(conn: psycopg.Connection[Any], ddl: str, name: str = "t") -> Table:
    table = read(conn, ddl).schema.table(name)
    assert table is not None
    return table


def kinds_and_names(result: Introspected) -> list[tuple[str, str]]:
    return [(u.kind, u.name) for u in result.unsupported]


# --- types ----------------------------------------------------------------------------------

TYPES = [
    ("smallint", t("smallint")),
    ("integer", t("integer")),
    ("bigint", t("bigint")),
    ("boolean", t("boolean")),
    ("text", t("text")),
    ("varchar(20)", t("varchar", length=20)),
    ("character varying", t("varchar")),
    ("char(3)", t("char", length=3)),
    ("character", t("char", length=1)),
    ("numeric", t("numeric")),
    ("numeric(10,2)", t("numeric", precision=10, scale=2)),
    ("numeric(5)", t("numeric", precision=5, scale=0)),
    ("real", t("real")),
    ("double precision", t("double")),
    ("date", t("date")),
    ("time", t("time")),
    ("time(3)", t("time", precision=3)),
    ("timestamp", t("timestamp")),
    ("timestamp(3)", t("timestamp", precision=3)),
    ("timestamptz", t("timestamptz")),
    ("timestamp(0) with time zone", t("timestamptz", precision=0)),
    ("uuid", t("uuid")),
    ("json", t("json")),
    ("jsonb", t("jsonb")),
    ("bytea", t("bytes")),
    ("text[]", t("text").array_of()),
    ("integer[][]", t("integer").array_of(2)),
    ("varchar(20)[]", t("varchar", length=20).array_of()),
    ("mood", t("enum", name="mood")),
    ("mood[]", t("enum", name="mood").array_of()),
    ('"Weird Mood"', t("enum", name="Weird Mood")),
    ("interval", t("custom", name="interval")),
    ("tsvector", t("custom", name="tsvector")),
    ("inet", t("custom", name="inet")),
    ("bit varying(5)", t("custom", name="bit varying(5)")),
]


def test_column_types_read_as_neutral_types(conn: psycopg.Connection[Any]) -> None:
    columns = ", ".join(f"c{i} {spelling}" for i, (spelling, _) in enumerate(TYPES))
    ddl = f"""CREATE TYPE mood AS ENUM ('sad', 'ok');
              CREATE TYPE "Weird Mood" AS ENUM ('x');
              CREATE TABLE t ({columns})"""
    table = read_table(conn, ddl)
    assert {c.name: c.type for c in table.columns} == {f"c{i}": ctype for i, (_, ctype) in enumerate(TYPES)}


def test_columns_keep_their_order_and_nullability(conn: psycopg.Connection[Any]) -> None:
    table = read_table(conn, "CREATE TABLE t (z int NOT NULL, a text, m int)")
    assert table.columns == (
        Column(name="z", type=t("integer"), nullable=False),
        Column(name="a", type=t("text")),
        Column(name="m", type=t("integer")),
    )


def test_a_dropped_column_is_not_read(conn: psycopg.Connection[Any]) -> None:
    table = read_table(conn, "CREATE TABLE t (a int, b int, c int); ALTER TABLE t DROP COLUMN b")
    assert table.column_names == ["a", "c"]


def test_enum_labels_come_in_their_sort_order(conn: psycopg.Connection[Any]) -> None:
    ddl = "CREATE TYPE mood AS ENUM ('sad', 'happy'); ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy'"
    assert read(conn, ddl).schema.enums == (Enum(name="mood", values=("sad", "ok", "happy")),)


# --- serial, identity, sequences ------------------------------------------------------------


def test_serial_columns_read_as_serial_without_default(conn: psycopg.Connection[Any]) -> None:
    result = read(conn, "CREATE TABLE t (id serial PRIMARY KEY, big bigserial, n int NOT NULL)")
    table = result.schema.table("t")
    assert table is not None
    assert table.columns == (
        Column(name="id", type=t("serial"), nullable=False),
        Column(name="big", type=t("bigserial"), nullable=False),
        Column(name="n", type=t("integer"), nullable=False),
    )
    assert result.unsupported == ()


def test_identity_columns_read_with_the_options_that_are_not_defaults(conn: psycopg.Connection[Any]) -> None:
    result = read(
        conn,
        "CREATE TABLE t (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, b bigint GENERATED BY DEFAULT AS IDENTITY,"
        " s smallint GENERATED BY DEFAULT AS IDENTITY (START WITH 1 INCREMENT BY -2 MAXVALUE 32767 CACHE 4 CYCLE))",
    )
    table = result.schema.table("t")
    assert table is not None
    assert [(c.name, c.type, c.default, c.nullable, c.identity) for c in table.columns] == [
        ("id", t("integer"), None, False, Identity(always=True)),
        ("b", t("bigint"), None, False, Identity()),
        ("s", t("smallint"), None, False, Identity(start=1, increment=-2, max_value=32767, cache=4, cycle=True)),
    ]
    assert result.unsupported == ()


def test_a_sequence_owned_by_nobody_and_read_by_one_column_makes_it_serial(conn: psycopg.Connection[Any]) -> None:
    # how pg_dump writes old databases such as Pagila: no OWNED BY
    ddl = "CREATE SEQUENCE t_id_seq; CREATE TABLE t (id integer DEFAULT nextval('public.t_id_seq'::regclass) NOT NULL)"
    result = read(conn, ddl)
    # a sequence made without AS is a bigint one: the serial keeps it (`Column.sequence`)
    bigint_sequence = SerialSequence(data_type="bigint")
    assert result.schema.tables[0].columns == (Column(name="id", type=t("serial"), sequence=bigint_sequence),)
    assert result.unsupported == (
        Unsupported("sequence", "t_id_seq", "not owned by t.id (no OWNED BY): read t.id as serial"),
    )


def test_a_shared_sequence_is_not_a_serial(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE SEQUENCE shared;
             CREATE TABLE a (id int DEFAULT nextval('shared'));
             CREATE TABLE b (id int DEFAULT nextval('shared'))"""
    result = read(conn, ddl)
    nextval = ExprDefault(expr=pg_expr("nextval('shared'::regclass)"))
    assert [c.default for tb in result.schema.tables for c in tb.columns] == [nextval, nextval]
    assert [c.type for tb in result.schema.tables for c in tb.columns] == [t("integer"), t("integer")]
    # the sequence is the schema's own (core/pg_objects.py), the columns' defaults read it
    assert result.schema.sequences == (PgSequence(name="shared"),)
    assert result.unsupported == ()


def test_a_free_standing_sequence_is_carried_with_its_options(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE SEQUENCE counter;
             CREATE SEQUENCE ticket AS integer START 100 INCREMENT BY -2 MINVALUE 10 MAXVALUE 500 CACHE 5 CYCLE;
             CREATE TABLE t (id int);
             CREATE SEQUENCE owned OWNED BY t.id"""
    result = read(conn, ddl)
    assert result.schema.sequences == (
        PgSequence(name="counter"),
        PgSequence(name="owned", owned_by="t.id"),
        PgSequence(
            name="ticket",
            data_type="integer",
            start=100,
            increment=-2,
            min_value=10,
            max_value=500,
            cache=5,
            cycle=True,
        ),
    )
    assert result.unsupported == ()


def test_a_text_column_reading_a_sequence_is_not_a_serial(conn: psycopg.Connection[Any]) -> None:
    result = read(conn, "CREATE SEQUENCE s OWNED BY NONE; CREATE TABLE t (code text DEFAULT 'c' || nextval('s'))")
    assert result.schema.tables[0].columns[0].type == t("text")
    assert result.schema.sequences == (PgSequence(name="s"),)
    assert result.unsupported == ()


# --- defaults -------------------------------------------------------------------------------

DEFAULTS = [
    ("integer DEFAULT 7", LiteralDefault(value=7)),
    ("integer DEFAULT -3", LiteralDefault(value=-3)),
    ("numeric(4,2) DEFAULT 4.99", LiteralDefault(value="4.99")),
    ("text DEFAULT 'hello'", LiteralDefault(value="hello")),
    ("text DEFAULT 'it''s'", LiteralDefault(value="it's")),
    ("varchar(5) DEFAULT 'ab'", LiteralDefault(value="ab")),
    ("boolean DEFAULT true", LiteralDefault(value=True)),
    ("boolean DEFAULT false", LiteralDefault(value=False)),
    ("text[] DEFAULT '{a,b}'", LiteralDefault(value=["a", "b"])),
    ("integer[] DEFAULT '{}'", LiteralDefault(value=[])),
    ("mood DEFAULT 'ok'", LiteralDefault(value="ok")),
    ("jsonb DEFAULT '{}'", LiteralDefault(value="{}")),
    ("timestamptz DEFAULT now()", NowDefault()),
    ("timestamp DEFAULT CURRENT_TIMESTAMP", NowDefault()),
    ("uuid DEFAULT gen_random_uuid()", RandomUuidDefault()),
    ("date DEFAULT CURRENT_DATE", ExprDefault(expr=SqlExpr.parse("CURRENT_DATE"))),
    ("text DEFAULT lower('X')", ExprDefault(expr=pg_expr("lower('X'::text)"))),
    ("integer DEFAULT (1 + 2)", ExprDefault(expr=pg_expr("1 + 2"))),
    ("text DEFAULT NULL", None),
]


def test_defaults_read_as_their_neutral_kind(conn: psycopg.Connection[Any]) -> None:
    columns = ", ".join(f"c{i} {spelling}" for i, (spelling, _) in enumerate(DEFAULTS))
    table = read_table(conn, f"CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE t ({columns})")
    assert {c.name: c.default for c in table.columns} == {f"c{i}": d for i, (_, d) in enumerate(DEFAULTS)}


def test_a_generated_column_is_read_with_its_expression(conn: psycopg.Connection[Any]) -> None:
    result = read(conn, "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a * 2) STORED)")
    assert result.schema.tables[0].columns[1] == Column(name="b", type=t("integer"), generated=pg_expr("a * 2"))
    assert result.unsupported == ()


# --- constraints ----------------------------------------------------------------------------


def test_primary_keys_keep_their_name_and_column_order(conn: psycopg.Connection[Any]) -> None:
    ddl = "CREATE TABLE t (a int, b int, CONSTRAINT my_pk PRIMARY KEY (b, a)); CREATE TABLE u (id int PRIMARY KEY)"
    schema = read(conn, ddl).schema
    assert [tb.primary_key for tb in schema.tables] == [
        PrimaryKey(name="my_pk", columns=("b", "a")),
        PrimaryKey(name="u_pkey", columns=("id",)),
    ]
    assert [c.nullable for c in schema.tables[0].columns] == [False, False]


def test_unique_constraints_keep_names_and_column_order(conn: psycopg.Connection[Any]) -> None:
    table = read_table(conn, "CREATE TABLE t (a int UNIQUE, b int, c int, CONSTRAINT bc UNIQUE (c, b))")
    assert table.uniques == (Unique(name="bc", columns=("c", "b")), Unique(name="t_a_key", columns=("a",)))
    assert table.indexes == ()  # the constraints' own indexes are not indexes of the model


FK_ACTIONS = ["no action", "restrict", "cascade", "set null", "set default"]


@pytest.mark.parametrize("action", FK_ACTIONS)
def test_foreign_key_actions(conn: psycopg.Connection[Any], action: str) -> None:
    ddl = f"""CREATE TABLE p (id int PRIMARY KEY);
              CREATE TABLE t (p int REFERENCES p ON DELETE {action} ON UPDATE {action})"""
    assert read_table(conn, ddl).foreign_keys == (
        ForeignKey(
            name="t_p_fkey", columns=("p",), ref_table="p", ref_columns=("id",), on_delete=action, on_update=action
        ),  # type: ignore[arg-type]
    )


def test_foreign_keys_map_columns_in_key_order_and_keep_deferrability(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE TABLE p (x int, y int, UNIQUE (y, x));
             CREATE TABLE t (a int UNIQUE, b int, parent int,
                 CONSTRAINT to_p FOREIGN KEY (b, a) REFERENCES p (y, x) DEFERRABLE INITIALLY DEFERRED,
                 CONSTRAINT later FOREIGN KEY (a, b) REFERENCES p (x, y) DEFERRABLE,
                 CONSTRAINT self FOREIGN KEY (parent) REFERENCES t (a) ON DELETE CASCADE)"""
    assert read_table(conn, ddl).foreign_keys == (
        ForeignKey(name="later", columns=("a", "b"), ref_table="p", ref_columns=("x", "y"), deferrable=True),
        ForeignKey(name="self", columns=("parent",), ref_table="t", ref_columns=("a",), on_delete="cascade"),
        ForeignKey(
            name="to_p",
            columns=("b", "a"),
            ref_table="p",
            ref_columns=("y", "x"),
            deferrable=True,
            initially_deferred=True,
        ),
    )


def test_checks_keep_names_and_read_their_expression(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE TABLE t (qty int CHECK (qty > 0), status text, size varchar(2),
                 CONSTRAINT known_status CHECK (status IN ('a', 'b')),
                 CONSTRAINT known_size CHECK (size IN ('S', 'M')),
                 CONSTRAINT ordered CHECK (qty < 100 AND status <> 'x'))"""
    assert read_table(conn, ddl).checks == (
        Check(name="known_size", expr=SqlExpr.parse("size IN ('S', 'M')")),
        Check(name="known_status", expr=SqlExpr.parse("status IN ('a', 'b')")),
        Check(name="ordered", expr=pg_expr("(qty < 100) AND (status <> 'x')")),
        Check(name="t_qty_check", expr=SqlExpr.parse("qty > 0")),
    )


def test_an_exclusion_constraint_is_reported_and_its_index_not_read(conn: psycopg.Connection[Any]) -> None:
    result = read(conn, "CREATE TABLE t (a int, CONSTRAINT no_twins EXCLUDE USING btree (a WITH =))")
    assert result.schema.tables[0].indexes == ()
    assert result.unsupported == (
        Unsupported("exclusion constraint", "t.no_twins", "EXCLUDE USING btree (a WITH =); not modelled"),
    )


def test_a_not_valid_constraint_is_read_with_a_note(conn: psycopg.Connection[Any]) -> None:
    result = read(conn, "CREATE TABLE t (a int); ALTER TABLE t ADD CONSTRAINT pos CHECK (a > 0) NOT VALID")
    assert result.schema.tables[0].checks == (Check(name="pos", expr=pg_expr("a > 0")),)
    assert result.unsupported == (Unsupported("constraint", "t.pos", "NOT VALID: read as a validated constraint"),)


# --- indexes --------------------------------------------------------------------------------


def test_index_features(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE TABLE t (a int, b text, c timestamptz, d jsonb, e boolean);
             CREATE INDEX plain ON t (a);
             CREATE INDEX multi ON t (b, a);
             CREATE INDEX descending ON t (c DESC);
             CREATE INDEX asc_nulls_first ON t (a NULLS FIRST);
             CREATE INDEX desc_nulls_last ON t (a DESC NULLS LAST);
             CREATE INDEX desc_nulls_first ON t (a DESC NULLS FIRST);
             CREATE INDEX expression ON t (lower(b));
             CREATE INDEX mixed ON t (a, (b || 'x') DESC);
             CREATE INDEX partial ON t (a) WHERE e AND a > 0;
             CREATE UNIQUE INDEX uniq ON t (b);
             CREATE INDEX gin ON t USING gin (d);
             CREATE INDEX hashed ON t USING hash (b);
             CREATE INDEX ON t (c, a)"""
    result = read(conn, ddl)
    assert result.unsupported == ()
    assert result.schema.tables[0].indexes == (
        Index(name="asc_nulls_first", keys=(IndexKey(column="a", nulls="first"),)),
        Index(name="desc_nulls_first", keys=(IndexKey(column="a", desc=True),)),
        Index(name="desc_nulls_last", keys=(IndexKey(column="a", desc=True, nulls="last"),)),
        Index(name="descending", keys=(IndexKey(column="c", desc=True),)),
        Index(name="expression", keys=(IndexKey(expr=pg_expr("lower(b)")),)),
        Index(name="gin", keys=(IndexKey(column="d"),), method="gin"),
        Index(name="hashed", keys=(IndexKey(column="b"),), method="hash"),
        Index(name="mixed", keys=(IndexKey(column="a"), IndexKey(expr=pg_expr("b || 'x'"), desc=True))),
        Index(name="multi", keys=(IndexKey(column="b"), IndexKey(column="a"))),
        Index(name="partial", keys=(IndexKey(column="a"),), where=pg_expr("e AND (a > 0)")),
        Index(name="plain", keys=(IndexKey(column="a"),)),
        Index(name="t_c_a_idx", keys=(IndexKey(column="c"), IndexKey(column="a"))),
        Index(name="uniq", keys=(IndexKey(column="b"),), unique=True),
    )


def test_index_details_the_model_lacks_are_noted(conn: psycopg.Connection[Any]) -> None:
    need_extensions_on(conn, "pg_trgm")
    ddl = """CREATE SCHEMA ext; CREATE EXTENSION pg_trgm SCHEMA ext;
             CREATE TABLE t (a int, b text);
             CREATE INDEX covering ON t (a) INCLUDE (b);
             CREATE INDEX signed ON t USING gist (b ext.gist_trgm_ops (siglen = 32))"""
    result = read(conn, ddl)
    assert [ix.name for ix in result.schema.tables[0].indexes] == ["covering", "signed"]
    assert result.schema.tables[0].indexes[1].keys == (IndexKey(column="b", opclass="ext.gist_trgm_ops"),)
    assert [u for u in result.unsupported if u.kind == "index"] == [
        Unsupported("index", "t.covering", "INCLUDE columns not carried"),
        Unsupported("index", "t.signed", "operator class options not carried"),
    ]


def test_operator_classes_are_read_per_key_and_only_when_not_the_default(conn: psycopg.Connection[Any]) -> None:
    need_extensions_on(conn, "pg_trgm")
    ddl = """CREATE SCHEMA ext; CREATE EXTENSION pg_trgm SCHEMA ext;
             CREATE TABLE t (a int, b text, c varchar(9));
             CREATE INDEX pattern ON t (a, b text_pattern_ops DESC);
             CREATE INDEX spelled ON t (a int4_ops, b text_ops);
             CREATE INDEX lowered ON t (lower(b) varchar_pattern_ops);
             CREATE INDEX trigrams ON t USING gin (b ext.gin_trgm_ops);
             CREATE COLLATION ext.german (provider = icu, locale = 'de');
             CREATE INDEX collated ON t (b COLLATE "C" text_pattern_ops, c COLLATE ext.german DESC,
                                         c COLLATE "default")"""
    result = read(conn, ddl)
    assert [u for u in result.unsupported if u.kind == "index"] == []
    assert result.schema.tables[0].indexes == (
        Index(
            name="collated",
            keys=(
                IndexKey(column="b", opclass="text_pattern_ops", collation="C"),
                IndexKey(column="c", desc=True, collation="ext.german"),
                IndexKey(column="c"),
            ),
        ),
        Index(name="lowered", keys=(IndexKey(expr=pg_expr("lower(b)"), opclass="varchar_pattern_ops"),)),
        Index(name="pattern", keys=(IndexKey(column="a"), IndexKey(column="b", desc=True, opclass="text_pattern_ops"))),
        Index(name="spelled", keys=(IndexKey(column="a"), IndexKey(column="b"))),
        Index(name="trigrams", keys=(IndexKey(column="b", opclass="ext.gin_trgm_ops"),), method="gin"),
    )


# --- views ----------------------------------------------------------------------------------


def test_views_read_their_query(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE TABLE t (a int, b text); CREATE TABLE "Big" (id int);
             CREATE VIEW v AS SELECT a, b FROM t WHERE a > 1;
             CREATE VIEW "Shout" AS SELECT id FROM "Big";
             CREATE VIEW joined AS SELECT t.a, "Big".id FROM t JOIN "Big" ON t.a = "Big".id"""
    # qualified as PostgreSQL 15 prints it, also on PostgreSQL 16, which leaves the columns bare
    assert read(conn, ddl).schema.views == (
        View(name="Shout", query=SqlExpr.parse('SELECT "Big".id FROM "Big"')),
        View(name="joined", query=SqlExpr.parse('SELECT t.a, "Big".id FROM t JOIN "Big" ON t.a = "Big".id')),
        View(name="v", query=SqlExpr.parse("SELECT t.a, t.b FROM t WHERE t.a > 1")),
    )


def test_views_calling_functions_or_reading_materialized_views_are_carried(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE TABLE t (a int);
             CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql AS 'SELECT x * 2';
             CREATE VIEW doubled AS SELECT twice(a) AS a FROM t;
             CREATE VIEW on_doubled AS SELECT a FROM doubled;
             CREATE MATERIALIZED VIEW snapshot AS SELECT a FROM t;
             CREATE VIEW on_snapshot AS SELECT a FROM snapshot;
             CREATE VIEW series AS SELECT g.n FROM generate_series(1, 3) AS g(n)"""
    result = read(conn, ddl)
    assert [v.name for v in result.schema.views] == ["doubled", "on_doubled", "on_snapshot", "series"]
    assert [f.label for f in result.schema.functions] == ["public.twice(x integer)"]  # carried (core/routines.py)
    assert [m.name for m in result.schema.materialized_views] == ["snapshot"]  # carried (core/pg_objects.py)
    assert result.schema.view("series").referenced_tables() == []  # a function read as a table reads no relation
    assert result.unsupported == ()


def test_views_reading_a_relation_not_carried_are_left_out_and_named(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE SCHEMA other; CREATE TABLE other.x (a int);
             CREATE VIEW on_other AS SELECT a FROM other.x;
             CREATE VIEW on_on_other AS SELECT a FROM on_other"""
    result = read(conn, ddl)
    assert result.schema.views == ()
    views = [u for u in result.unsupported if u.kind == "view"]
    assert views == [
        Unsupported("view", "on_on_other", "reads on_other, which mizzle does not carry"),
        Unsupported("view", "on_other", "reads other.x, which mizzle does not carry"),
    ]


# --- what the model does not hold -----------------------------------------------------------


def test_a_domain_column_keeps_its_domain_over_its_base_type(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE DOMAIN year AS integer CHECK (VALUE > 1900);
             CREATE DOMAIN code AS varchar(8) DEFAULT 'x' NOT NULL CONSTRAINT upper CHECK (VALUE = upper(VALUE));
             CREATE DOMAIN unused AS text;
             CREATE TABLE t (y year, c code, cs code[]);
             CREATE TABLE u (y year)"""
    result = read(conn, ddl)
    table = result.schema.table("t")
    assert table is not None
    assert [c.type for c in table.columns] == [t("integer"), t("varchar", length=8), t("varchar", length=8).array_of()]
    # an array of a domain is its base type's array (a note says so); a column of one keeps it
    assert [c.domain for c in table.columns] == ["year", "code", None]
    assert result.schema.domains == (
        Domain(
            name="code",
            base_type="varchar(8)",
            default=pg_expr("'x'"),
            not_null=True,
            # as PostgreSQL prints it back: VALUE cast to text, the type upper() takes
            checks=(DomainCheck(name="upper", expr=pg_expr("(VALUE)::text = upper((VALUE)::text)")),),
        ),
        Domain(name="unused", base_type="text"),
        Domain(
            name="year", base_type="integer", checks=(DomainCheck(name="year_check", expr=pg_expr("VALUE > 1900")),)
        ),
    )
    assert result.unsupported == ()


def test_partitioned_tables_and_their_partitions_are_read_without_the_copies_postgresql_makes(
    conn: psycopg.Connection[Any],
) -> None:
    ddl = """CREATE TABLE m (id int, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
             CREATE TABLE m_2024 PARTITION OF m FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
             CREATE TABLE m_2025 PARTITION OF m FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
                 PARTITION BY HASH (id);
             CREATE TABLE m_2025_a PARTITION OF m_2025 FOR VALUES WITH (MODULUS 2, REMAINDER 0);
             CREATE TABLE m_other PARTITION OF m DEFAULT;
             CREATE INDEX m_at_idx ON m (at);
             CREATE INDEX m_2024_kind ON m_2024 (kind);
             ALTER TABLE m_2024 ADD CONSTRAINT m_2024_kind_check CHECK (kind <> '');
             CREATE TABLE r (id int, at date, FOREIGN KEY (id, at) REFERENCES m);
             CREATE TABLE e (k text) PARTITION BY LIST (lower(k));
             CREATE TABLE s (id int, kind text) PARTITION BY LIST (kind COLLATE "C");
             CREATE TABLE s_a PARTITION OF s FOR VALUES IN ('a');
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
             CREATE TRIGGER on_all BEFORE INSERT ON m FOR EACH ROW EXECUTE FUNCTION touch();
             CREATE TRIGGER on_one BEFORE INSERT ON m_2024 FOR EACH ROW EXECUTE FUNCTION touch()"""
    result = read(conn, ddl)
    assert [tb.name for tb in result.schema.tables] == ["e", "m", "r", "s"]
    e, m, r, s = result.schema.tables
    assert m.primary_key == PrimaryKey(name="m_pkey", columns=("id", "at"))
    assert m.indexes == (Index(name="m_at_idx", keys=(IndexKey(column="at"),)),)
    assert m.partition_by == PartitionKey(strategy="range", keys=(PartitionKeyPart(column="at"),))
    assert [fk.name for fk in r.foreign_keys] == ["r_id_at_fkey"]  # once, not once per partition
    by_name = {p.name: p for p in result.schema.partitions}
    assert sorted(by_name) == ["m_2024", "m_2025", "m_2025_a", "m_other"]
    # the copies of m's key and index PostgreSQL made on each partition are not the partition's own
    assert by_name["m_2024"] == Partition(
        name="m_2024",
        parent="m",
        bound="FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')",
        indexes=("CREATE INDEX m_2024_kind ON public.m_2024 USING btree (kind)",),
        constraints=(PartitionConstraint(name="m_2024_kind_check", definition="CHECK ((kind <> ''::text))"),),
    )
    assert by_name["m_2025"].partition_by == PartitionKey(strategy="hash", keys=(PartitionKeyPart(column="id"),))
    assert (by_name["m_2025_a"].parent, by_name["m_2025_a"].bound) == (
        "m_2025",
        "FOR VALUES WITH (modulus 2, remainder 0)",
    )
    assert e.partition_by is not None and e.partition_by.keys[0].expr == SqlExpr.parse("lower(k)")
    assert by_name["m_other"].is_default
    # a key the model cannot hold: the table is read as a plain one, its partitions are reported
    assert s.partition_by is None
    assert [(u.kind, u.name) for u in result.unsupported if u.kind.startswith("partition")] == [
        ("partition", "s_a"),
        ("partitioning", "s"),
    ]
    # the table's trigger is carried (PostgreSQL gives each partition a copy); a partition's own is named
    assert [tr.name for tr in m.triggers] == ["on_all"]
    assert [(u.kind, u.name, u.detail) for u in result.unsupported if u.kind == "trigger"] == [
        ("trigger", "on_one", "on m_2024; not modelled")
    ]


def test_objects_the_model_does_not_hold_are_listed_by_name(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE TABLE t (a int);
             CREATE TABLE child (b int) INHERITS (t);
             CREATE UNLOGGED TABLE scratch (a int);
             CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END';
             CREATE FUNCTION touch(x int) RETURNS int LANGUAGE sql AS 'SELECT x';
             CREATE PROCEDURE tidy() LANGUAGE sql AS 'SELECT 1';
             CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int);
             CREATE TRIGGER touched BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
             CREATE TRIGGER touched BEFORE UPDATE ON scratch FOR EACH ROW EXECUTE FUNCTION touch();
             ALTER TABLE t ENABLE ROW LEVEL SECURITY;
             CREATE POLICY mine ON t USING (a > 0);
             CREATE RULE no_delete AS ON DELETE TO scratch DO INSTEAD NOTHING;
             CREATE TYPE pair AS (x int, y int);
             CREATE TYPE span AS RANGE (subtype = int4);
             CREATE SCHEMA elsewhere;
             COMMENT ON TABLE t IS 'a table';
             COMMENT ON COLUMN t.a IS 'a column'"""
    result = read(conn, ddl)
    assert [tb.name for tb in result.schema.tables] == ["child", "scratch", "t"]
    assert [a.label for a in result.schema.aggregates] == ["total(integer)"]  # carried (core/pg_objects.py)
    assert kinds_and_names(result) == [
        ("composite type", "pair"),
        ("inheritance", "child"),
        ("range type", "span"),
        ("rule", "no_delete"),
        ("schema", "elsewhere"),
        ("unlogged table", "scratch"),
    ]
    # functions, procedures and triggers are carried verbatim (core/routines.py)
    assert [f.label for f in result.schema.functions] == ["public.tidy()", "public.touch()", "public.touch(x integer)"]
    assert [(tb.name, [tr.name for tr in tb.triggers]) for tb in result.schema.tables if tb.triggers] == [
        ("scratch", ["touched"]),
        ("t", ["touched"]),
    ]


def test_an_extension_is_carried_once_and_its_objects_not_at_all(conn: psycopg.Connection[Any]) -> None:
    available = {r[0] for r in conn.execute("SELECT name FROM pg_available_extensions")}
    name = next(n for n in ("vector", "pgcrypto", "hstore", "citext") if n in available)
    result = read(conn, f'CREATE EXTENSION "{name}" SCHEMA public')
    assert kinds_and_names(result) == []
    assert result.schema.extensions == (Extension(name=name, schema_name="public"),)
    assert result.schema.functions == ()  # the extension's own functions are the extension's


def test_mizzle_bookkeeping_tables_are_left_out_silently(conn: psycopg.Connection[Any]) -> None:
    ddl = """CREATE TABLE __mizzle_migrations (id serial PRIMARY KEY, hash text);
             CREATE INDEX ON __mizzle_migrations (hash);
             COMMENT ON TABLE __mizzle_migrations IS 'mizzle';
             CREATE TABLE t (a int)"""
    result = read(conn, ddl)
    assert [tb.name for tb in result.schema.tables] == ["t"]
    assert result.unsupported == ()


# --- the transaction, other schemas, errors ------------------------------------------------


def test_introspection_leaves_no_transaction_open(conn: psycopg.Connection[Any]) -> None:
    read(conn, "CREATE TABLE t (a int)")
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_introspection_inside_a_transaction_sees_it_and_keeps_it_open(conn: psycopg.Connection[Any]) -> None:
    conn.execute("CREATE TABLE pending (a int)")
    search_path = conn.execute("SHOW search_path").fetchone()
    assert [tb.name for tb in introspect(conn).schema.tables] == ["pending"]
    assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
    assert conn.execute("SHOW search_path").fetchone() == search_path


def test_another_schema_can_be_read(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        b"""CREATE SCHEMA app; CREATE TYPE app.mood AS ENUM ('a');
            CREATE TABLE app.t (id serial PRIMARY KEY, m app.mood DEFAULT 'a', p int REFERENCES app.t);
            CREATE TABLE public.elsewhere (a int)"""
    )
    conn.commit()
    result = introspect(conn, schema_name="app")
    assert result.schema.tables == (
        Table(
            name="t",
            columns=(
                Column(name="id", type=t("serial"), nullable=False),
                Column(name="m", type=t("enum", name="mood"), default=LiteralDefault(value="a")),
                Column(name="p", type=t("integer")),
            ),
            primary_key=PrimaryKey(name="t_pkey", columns=("id",)),
            foreign_keys=(ForeignKey(name="t_p_fkey", columns=("p",), ref_table="t", ref_columns=("id",)),),
        ),
    )
    assert kinds_and_names(result) == [("schema", "public")]


def test_a_foreign_key_to_a_table_of_another_schema_is_kept_by_name(conn: psycopg.Connection[Any]) -> None:
    result = read(
        conn,
        """CREATE SCHEMA auth; CREATE TABLE auth.users (uid uuid PRIMARY KEY, id int UNIQUE);
           CREATE TABLE users (id uuid PRIMARY KEY REFERENCES auth.users ON DELETE CASCADE,
                               n int CONSTRAINT by_n REFERENCES auth.users (id))""",
    )
    users = result.schema.table("users")
    assert users is not None
    assert users.foreign_keys == (
        ForeignKey(name="by_n", columns=("n",), ref_table="users", ref_schema="auth", ref_columns=("id",)),
        ForeignKey(
            name="users_id_fkey",
            columns=("id",),
            ref_table="users",
            ref_schema="auth",
            ref_columns=("uid",),
            on_delete="cascade",
        ),
    )
    assert [t.name for t in result.schema.tables] == ["users"]
    assert not [u for u in result.unsupported if u.kind == "foreign key"]


def test_a_unique_constraint_with_nulls_not_distinct_is_carried(conn: psycopg.Connection[Any]) -> None:
    result = read(conn, "CREATE TABLE w (p int, n text, CONSTRAINT w_p_n_key UNIQUE NULLS NOT DISTINCT (p, n))")
    assert result.unsupported == ()
    w = result.schema.table("w")
    assert w is not None
    assert w.uniques == (Unique(name="w_p_n_key", columns=("p", "n"), nulls_not_distinct=True),)


def test_an_unknown_schema_is_an_error(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(IntrospectionError, match=r"^schema 'nope' does not exist in the database$"):
        introspect(conn, schema_name="nope")


def test_an_expression_sqlglot_cannot_parse_is_an_error_naming_it(conn: psycopg.Connection[Any]) -> None:
    conn.execute(b"CREATE TABLE t (a text CONSTRAINT after_m CHECK (a ~>~ 'm'))")
    conn.commit()
    with pytest.raises(IntrospectionError) as info:
        introspect(conn)
    assert str(info.value).startswith(
        """cannot read constraint after_m of table t: cannot parse SQL expression "(a ~>~ 'm'::text)": """
    )


# --- cost and scale -------------------------------------------------------------------------


class CountingCursor(psycopg.Cursor[Any]):
    executed = 0

    def execute(self, *args: Any, **kwargs: Any) -> Any:
        CountingCursor.executed += 1
        return super().execute(*args, **kwargs)


def _queries_to_introspect(conn: psycopg.Connection[Any]) -> int:
    conn.cursor_factory = CountingCursor
    CountingCursor.executed = 0
    try:
        introspect(conn)
    finally:
        conn.cursor_factory = psycopg.Cursor
    return CountingCursor.executed


def _many_tables(n: int, start: int = 0) -> str:
    return ";".join(
        f"""CREATE TABLE t{i} (id serial PRIMARY KEY, p int REFERENCES t{max(i - 1, 0)}, name text UNIQUE,
                n int CHECK (n > {i}) DEFAULT {i});
            CREATE INDEX t{i}_name_idx ON t{i} (lower(name)) WHERE n > 0;
            CREATE VIEW v{i} AS SELECT id FROM t{i}"""
        for i in range(start, start + n)
    )


def test_introspection_runs_a_fixed_number_of_queries_whatever_the_size(conn: psycopg.Connection[Any]) -> None:
    read(conn, _many_tables(2))
    few = _queries_to_introspect(conn)
    read(conn, _many_tables(40, start=2))
    # 8 for the model, 1 + 5 for security (core/security.py), 3 for code (core/routines.py),
    # 4 for domains, sequences, materialized views and aggregates (core/pg_objects.py), 1 for partitions
    assert (few, _queries_to_introspect(conn)) == (22, 22)


def test_300_tables_read_back_exactly(conn: psycopg.Connection[Any]) -> None:
    n = 300
    result = read(conn, _many_tables(n))
    assert result.unsupported == ()
    expected = [
        Table(
            name=f"t{i}",
            columns=(
                Column(name="id", type=t("serial"), nullable=False),
                Column(name="p", type=t("integer")),
                Column(name="name", type=t("text")),
                Column(name="n", type=t("integer"), default=LiteralDefault(value=i)),
            ),
            primary_key=PrimaryKey(name=f"t{i}_pkey", columns=("id",)),
            foreign_keys=(
                ForeignKey(name=f"t{i}_p_fkey", columns=("p",), ref_table=f"t{max(i - 1, 0)}", ref_columns=("id",)),
            ),
            uniques=(Unique(name=f"t{i}_name_key", columns=("name",)),),
            checks=(Check(name=f"t{i}_n_check", expr=pg_expr(f"n > {i}")),),
            indexes=(
                Index(name=f"t{i}_name_idx", keys=(IndexKey(expr=pg_expr("lower(name)")),), where=pg_expr("n > 0")),
            ),
        )
        for i in range(n)
    ]
    assert result.schema.tables == tuple(sorted(expected, key=lambda tb: tb.name))
    assert [v.name for v in result.schema.views] == sorted(f"v{i}" for i in range(n))
    assert result.schema.view("v7") == View(name="v7", query=pg_expr("SELECT t7.id FROM t7"))


# --- real schemas ---------------------------------------------------------------------------


def _load(url: str, path: str) -> None:
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-f", path, url], check=True, capture_output=True)


def test_pagila(conn: psycopg.Connection[Any], pg_url: str) -> None:
    _load(pg_url, str(CORPUS / "pagila" / "pagila-schema.sql"))
    result = introspect(conn)
    schema = result.schema
    assert [tb.name for tb in schema.tables] == [
        "actor", "address", "category", "city", "country", "customer", "film", "film_actor", "film_category",
        "inventory", "language", "payment", "rental", "staff", "store",
    ]  # fmt: skip
    assert schema.enums == (Enum(name="mpaa_rating", values=("G", "PG", "PG-13", "R", "NC-17")),)
    assert [v.name for v in schema.views] == [
        "actor_info", "customer_list", "film_list", "nicer_but_slower_film_list", "sales_by_film_category",
        "sales_by_store", "staff_list",
    ]  # fmt: skip
    film = schema.table("film")
    assert film is not None
    assert [(c.name, c.type.describe(), c.default) for c in film.columns] == [
        ("film_id", "serial", None),
        ("title", "text", None),
        ("description", "text", None),
        ("release_year", "integer", None),
        ("language_id", "integer", None),
        ("original_language_id", "integer", None),
        ("rental_duration", "smallint", LiteralDefault(value=3)),
        ("rental_rate", "numeric(4,2)", LiteralDefault(value="4.99")),
        ("length", "smallint", None),
        ("replacement_cost", "numeric(5,2)", LiteralDefault(value="19.99")),
        ("rating", "enum mpaa_rating", LiteralDefault(value="G")),
        ("last_update", "timestamptz", NowDefault()),
        ("special_features", "text[]", None),
        ("fulltext", "custom tsvector", None),
    ]
    assert [ix.name for ix in film.indexes] == [
        "film_fulltext_idx", "idx_fk_language_id", "idx_fk_original_language_id", "idx_title",
    ]  # fmt: skip
    assert film.foreign_keys[0] == ForeignKey(
        name="film_language_id_fkey",
        columns=("language_id",),
        ref_table="language",
        ref_columns=("language_id",),
        on_delete="restrict",
        on_update="cascade",
    )
    payment = schema.table("payment")
    assert payment is not None and payment.primary_key == PrimaryKey(
        name="payment_pkey", columns=("payment_date", "payment_id")
    )
    # partitioned by month: 55 partitions, six of them with indexes and foreign keys of their own
    assert payment.partition_by == PartitionKey(strategy="range", keys=(PartitionKeyPart(column="payment_date"),))
    assert len(schema.partitions) == 55 and {p.parent for p in schema.partitions} == {"payment"}
    first = schema.partitions[0]
    assert first.name == "payment_p2022_01"
    assert first.bound == "FOR VALUES FROM ('2022-01-01 00:00:00+00') TO ('2022-02-01 00:00:00+00')"
    assert len(first.indexes) == 3 and [c.name for c in first.constraints] == [
        "payment_p2022_01_customer_id_fkey", "payment_p2022_01_rental_id_fkey", "payment_p2022_01_staff_id_fkey",
    ]  # fmt: skip
    assert sum(bool(p.indexes) for p in schema.partitions) == 6
    others = sorted({(u.kind, u.name) for u in result.unsupported if u.kind != "sequence"})
    assert others == []  # its views calling group_concat are carried too
    # its domains, aggregate and materialized view are carried (core/pg_objects.py)
    assert [d.name for d in schema.domains] == ["bıgınt", "year"]
    release_year = next(c for c in film.columns if c.name == "release_year")
    assert (release_year.type, release_year.domain) == (t("integer"), "year")
    assert [a.label for a in schema.aggregates] == ["group_concat(text)"]
    assert [m.name for m in schema.materialized_views] == ["rental_by_category"]
    # the views calling group_concat are carried with the others
    assert {"film_list", "nicer_but_slower_film_list"} <= {v.name for v in schema.views}
    # its functions and triggers are carried verbatim (core/routines.py)
    assert [f.name for f in schema.functions] == [
        "_group_concat", "film_in_stock", "film_not_in_stock", "get_customer_balance", "inventory_held_by_customer",
        "inventory_in_stock", "last_day", "last_updated", "rewards_report",
    ]  # fmt: skip
    assert [tr.name for tr in film.triggers] == ["film_fulltext_trigger", "last_updated"]
    assert sum(len(tb.triggers) for tb in schema.tables) == 15
    # Pagila's sequences are not OWNED BY their columns: each is named, its column read as serial
    sequences = [u for u in result.unsupported if u.kind == "sequence"]
    assert len(sequences) == 13
    assert sequences[0] == Unsupported(
        "sequence", "actor_actor_id_seq", "not owned by actor.actor_id (no OWNED BY): read actor.actor_id as serial"
    )


def test_chinook(conn: psycopg.Connection[Any], pg_url: str, tmp_path: Any) -> None:
    text = (CORPUS / "chinook" / "Chinook_PostgreSql.sql").read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if not ln.startswith(("DROP DATABASE", "CREATE DATABASE", "\\c"))]
    script = tmp_path / "chinook.sql"
    script.write_text("\n".join(lines), encoding="utf-8")
    _load(pg_url, str(script))
    result = introspect(conn)
    schema = result.schema
    assert result.unsupported == ()
    assert [tb.name for tb in schema.tables] == [
        "album", "artist", "customer", "employee", "genre", "invoice", "invoice_line", "media_type", "playlist",
        "playlist_track", "track",
    ]  # fmt: skip
    assert all(tb.primary_key is not None for tb in schema.tables)
    playlist_track = schema.table("playlist_track")
    assert playlist_track is not None
    assert playlist_track.primary_key == PrimaryKey(name="playlist_track_pkey", columns=("playlist_id", "track_id"))
    assert [(fk.columns, fk.ref_table, fk.ref_columns) for fk in playlist_track.foreign_keys] == [
        (("playlist_id",), "playlist", ("playlist_id",)),
        (("track_id",), "track", ("track_id",)),
    ]
    assert sum(len(tb.foreign_keys) for tb in schema.tables) == 11
    assert sum(len(tb.indexes) for tb in schema.tables) == 11
    employee = schema.table("employee")
    assert employee is not None
    assert employee.foreign_keys == (
        ForeignKey(
            name="employee_reports_to_fkey", columns=("reports_to",), ref_table="employee", ref_columns=("employee_id",)
        ),
    )
    assert employee.indexes == (Index(name="employee_reports_to_idx", keys=(IndexKey(column="reports_to"),)),)
    assert employee.column("birth_date") == Column(name="birth_date", type=ColumnType(kind="timestamp"))


def test_an_enum_whose_name_holds_quotes_and_brackets_is_read(conn: psycopg.Connection[Any]) -> None:
    # format_type writes such a name quoted ("we""ird"), which the type parser could not read
    result = read(
        conn,
        'CREATE TYPE "we""ird(x)[]" AS ENUM (\'a\', \'b"c\');'
        'CREATE TABLE t (id int PRIMARY KEY, e "we""ird(x)[]", f "we""ird(x)[]"[]);',
    )
    table = result.schema.table("t")
    assert table is not None
    assert [(c.name, c.type.kind.value, c.type.name, c.type.array_dims) for c in table.columns[1:]] == [
        ("e", "enum", 'we"ird(x)[]', 0),
        ("f", "enum", 'we"ird(x)[]', 1),
    ]
    assert [(e.name, e.values) for e in result.schema.enums] == [('we"ird(x)[]', ("a", 'b"c'))]
