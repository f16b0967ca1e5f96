"""Generated (STORED) columns on PostgreSQL: read back with their expression, rendered, and
changed with the rows kept (a changed expression recomputes every row; a generated column
made plain keeps its values)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from mizzle.core.model import Column, Index, IndexKey, Schema
from mizzle.core.operations import AddColumn, AlterColumn, DropColumn, Safety
from mizzle.core.types import t
from mizzle.dialects.postgresql import connect, introspect, plan, render_schema
from mizzle.dialects.urls import parse_url
from tests.dialects.postgresql.planning import RoundTrip, after, col, expr, round_trip, table

pytestmark = pytest.mark.postgres


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    c = connect(parse_url(pg_url))
    yield c
    c.close()


def gen(name: str, kind: str, text: str, nullable: bool = True) -> Column:
    return Column(name=name, type=t(kind), nullable=nullable, generated=expr(text))


ID = col("id", "serial", nullable=False)
PRICE = col("price", "integer")
QTY = col("qty", "integer")
TOTAL = gen("total", "integer", "price * qty")
BASE = Schema(tables=(table("t", ID, PRICE, QTY),))
WITH_TOTAL = Schema(tables=(table("t", ID, PRICE, QTY, TOTAL),))
ROWS = ("INSERT INTO t (price, qty) VALUES (2, 3), (5, NULL), (4, 10)",)


def test_a_generated_column_is_read_with_its_expression(conn: psycopg.Connection[Any]) -> None:
    conn.execute(
        b"CREATE TABLE t (id serial PRIMARY KEY, first text, last text,"
        b" full_name text GENERATED ALWAYS AS (first || ' ' || last) STORED,"
        b" n int NOT NULL GENERATED ALWAYS AS (length(first)) STORED)"
    )
    conn.commit()
    found = introspect(conn)
    assert found.unsupported == ()
    table_ = found.schema.table("t")
    assert table_ is not None
    columns = {c.name: c for c in table_.columns}
    assert columns["full_name"].generated == expr("first || ' ' || last")
    assert (columns["n"].generated, columns["n"].nullable, columns["n"].default) == (expr("length(first)"), False, None)
    assert columns["first"].generated is None


def test_a_rendered_generated_column_reads_back_the_same_and_computes(conn: psycopg.Connection[Any]) -> None:
    schema = WITH_TOTAL.model_copy(update={"tables": (WITH_TOTAL.tables[0].model_copy(update={"indexes": ()}),)})
    for statement in render_schema(schema):
        conn.execute(statement.encode())
    conn.execute(b"INSERT INTO t (price, qty) VALUES (2, 3)")
    conn.commit()
    assert introspect(conn).schema == schema
    assert conn.execute(b"SELECT total FROM t").fetchall() == [(6,)]
    conn.rollback()


TOTAL_PLUS = gen("total", "integer", "price * qty + 1")
INDEXED = Schema(
    tables=(table("t", ID, PRICE, QTY, TOTAL, indexes=(Index(name="t_total_idx", keys=(IndexKey(column="total"),)),)),)
)

TRIPS = [
    RoundTrip(
        "adding a generated column computes it for the rows",
        BASE,
        [AddColumn(table="t", column=TOTAL)],
        ROWS,
        read="SELECT id, price FROM t ORDER BY id",
        read_up="SELECT id, total FROM t ORDER BY id",
        up=[(1, 6), (2, None), (3, 40)],
    ),
    RoundTrip(
        "a changed expression recomputes every row, and its index comes back",
        INDEXED,
        [AlterColumn(table="t", old=TOTAL, new=TOTAL_PLUS)],
        ROWS,
        read="SELECT id, total FROM t ORDER BY id",
        up=[(1, 7), (2, None), (3, 41)],
    ),
    RoundTrip(
        "a generated column made plain keeps its values",
        WITH_TOTAL,
        [AlterColumn(table="t", old=TOTAL, new=col("total", "integer"))],
        ROWS,
        read="SELECT id, total FROM t ORDER BY id",
        up=[(1, 6), (2, None), (3, 40)],
        then=("UPDATE t SET total = 99",),
        down=[(1, 6), (2, None), (3, 40)],
    ),
    RoundTrip(
        "dropping a generated column is undone by computing it again",
        WITH_TOTAL,
        [DropColumn(table="t", column=TOTAL)],
        ROWS,
        read="SELECT id, total FROM t ORDER BY id",
        read_up="SELECT id, price FROM t ORDER BY id",
        up=[(1, 2), (2, 5), (3, 4)],
    ),
]


@pytest.mark.parametrize("case", TRIPS, ids=str)
def test_generated_column_changes_keep_the_rows_and_are_undone(pg_url: str, case: RoundTrip) -> None:
    round_trip(pg_url, case)


def test_the_loss_accounting_of_generated_columns() -> None:
    plain = col("total", "integer")
    assert DropColumn(table="t", column=TOTAL).safety is Safety.SAFE
    assert AlterColumn(table="t", old=TOTAL, new=TOTAL_PLUS).safety is Safety.SAFE
    # the values a plain column held are replaced by computed ones
    made = AlterColumn(table="t", old=plain, new=TOTAL)
    assert made.safety is Safety.DATA_LOSS
    before = Schema(tables=(table("t", ID, PRICE, QTY, plain),))
    p = plan([made], before, after(before, [made]))
    assert p.warnings() == ["data loss: alter column t.total: generated as (price * qty)"]
    statements = [s for step in p.steps for s in step.statements]
    assert statements == [
        "ALTER TABLE t DROP COLUMN total",
        "ALTER TABLE t ADD COLUMN total integer GENERATED ALWAYS AS (price * qty) STORED",
    ]
