"""UNIQUE NULLS NOT DISTINCT (PostgreSQL 15+), on a constraint and on a unique index: read
back from a real database, rendered, changed (drop + add) and undone, and its guard counting
rows whose NULL keys repeat."""

from __future__ import annotations

import pytest

from mizzle.core.diff import diff
from mizzle.core.model import Index, IndexKey, Schema, Unique
from mizzle.dialects.postgresql import connect, introspect, plan, render_schema
from mizzle.dialects.urls import parse_url
from tests.dialects.postgresql.planning import Refused, RoundTrip, col, open_database, refused, round_trip, table

UNIQUE = Unique(name="w_p_n_key", columns=("p", "n"), nulls_not_distinct=True)
INDEX = Index(name="w_n_idx", keys=(IndexKey(column="n"),), unique=True, nulls_not_distinct=True)
PLAIN = table("w", col("id", "integer", nullable=False), col("p", "integer"), col("n", "text"))
WITH_BOTH = Schema(tables=(PLAIN.model_copy(update={"uniques": (UNIQUE,), "indexes": (INDEX,)}),))
DISTINCT = Schema(
    tables=(
        PLAIN.model_copy(
            update={
                "uniques": (UNIQUE.model_copy(update={"nulls_not_distinct": False}),),
                "indexes": (INDEX.model_copy(update={"nulls_not_distinct": False}),),
            }
        ),
    )
)
#: two rows whose keys are NULL and equal otherwise: fine for a plain unique, not for NULLS NOT DISTINCT
NULL_TWINS = ("INSERT INTO w VALUES (1, NULL, NULL), (2, NULL, NULL)",)


def test_the_schema_renders_the_option_on_the_constraint_and_the_index() -> None:
    statements = "\n".join(render_schema(WITH_BOTH))
    assert "CONSTRAINT w_p_n_key UNIQUE NULLS NOT DISTINCT (p, n)" in statements
    assert "CREATE UNIQUE INDEX w_n_idx ON w(n) NULLS NOT DISTINCT" in statements


def test_a_database_with_the_option_reads_back_as_the_schema(pg_url: str) -> None:
    with open_database(pg_url, WITH_BOTH) as conn:
        found = introspect(conn)
    assert found.unsupported == ()
    assert found.schema == WITH_BOTH


def test_an_index_with_the_option_and_a_predicate_reads_back(pg_url: str) -> None:
    with connect(parse_url(pg_url)) as conn:
        conn.execute(b"CREATE TABLE w (p int, n text)")
        conn.execute(b"CREATE UNIQUE INDEX w_n_idx ON w USING btree (n) NULLS NOT DISTINCT WHERE p > 0")
        conn.commit()
        found = introspect(conn)
    (index,) = found.schema.tables[0].indexes
    assert index.nulls_not_distinct and index.where is not None and index.where.sql == "p > 0"
    assert found.unsupported == ()


@pytest.mark.parametrize(
    ("before", "after"), [(DISTINCT, WITH_BOTH), (WITH_BOTH, DISTINCT)], ids=["to-not-distinct", "to-distinct"]
)
def test_changing_the_option_drops_and_adds_and_is_undone(pg_url: str, before: Schema, after: Schema) -> None:
    ops = diff(before, after)
    assert [type(op).__name__ for op in ops] == ["DropUnique", "DropIndex", "AddUnique", "CreateIndex"]
    p = round_trip(pg_url, RoundTrip("flip", before, ops, rows=("INSERT INTO w VALUES (1, NULL, 'a')",)))
    assert ("NULLS NOT DISTINCT" in "\n".join(s for step in p.steps for s in step.statements)) is (after is WITH_BOTH)


def test_the_guard_stops_the_option_over_rows_whose_null_keys_repeat(pg_url: str) -> None:
    unique_only = Schema(tables=(PLAIN.model_copy(update={"uniques": (UNIQUE,)}),))
    case = Refused(
        "null twins",
        Schema(tables=(PLAIN,)),
        diff(Schema(tables=(PLAIN,)), unique_only),
        NULL_TWINS,
        "cannot add unique w_p_n_key on w(p, n): 1 values appear more than once",
        read="SELECT id FROM w ORDER BY id",
    )
    refused(pg_url, case)


def test_the_guard_of_a_unique_index_with_the_option_counts_null_keys(pg_url: str) -> None:
    index_only = Schema(tables=(PLAIN.model_copy(update={"indexes": (INDEX,)}),))
    ops = diff(Schema(tables=(PLAIN,)), index_only)
    (step,) = plan(ops, Schema(tables=(PLAIN,)), index_only).steps
    (guard,) = step.guards
    assert "IS NOT NULL" not in guard.query
    case = Refused("null twins", Schema(tables=(PLAIN,)), ops, NULL_TWINS, guard.message.format(count=1))
    refused(pg_url, case)
