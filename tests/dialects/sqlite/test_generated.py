"""Generated columns on SQLite: read back (STORED and VIRTUAL) with their expression,
rendered, and changed on a real file with rows: ALTER TABLE ADD COLUMN cannot add a STORED
generated column, so it is a rebuild, whose row copy leaves generated columns to SQLite."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import pytest

from mizzle.core.expr import SqlExpr
from mizzle.core.model import Column, PrimaryKey, Schema, Table
from mizzle.core.operations import AddColumn, AlterColumn, DropColumn, Operation
from mizzle.core.types import t
from mizzle.dialects.sqlite import introspect, plan
from tests.dialects.sqlite.test_plan import create, db, expected, held, rows, run

__all__ = ["db"]  # the fixture, shared with test_plan.py

ID = Column(name="id", type=t("serial"), nullable=False)
PRICE = Column(name="price", type=t("integer"))
QTY = Column(name="qty", type=t("integer"))
TOTAL = Column(name="total", type=t("integer"), generated=SqlExpr.parse("price * qty"))
TOTAL_PLUS = TOTAL.model_copy(update={"generated": SqlExpr.parse("price * qty + 1")})
ROWS = ("INSERT INTO item (price, qty) VALUES (2, 3), (5, NULL), (4, 10)",)


def item(*columns: Column) -> Schema:
    key = PrimaryKey(name="item_pkey", columns=("id",))
    return Schema(tables=(Table(name="item", columns=(ID, PRICE, QTY, *columns), primary_key=key),))


def test_stored_and_virtual_generated_columns_are_read_with_their_expression(db: sqlite3.Connection) -> None:
    db.execute(
        'CREATE TABLE item (id INTEGER PRIMARY KEY, price INTEGER, "Qty" INTEGER,'
        ' total INTEGER GENERATED ALWAYS AS (price * "Qty") STORED,'
        " half INTEGER AS (price + 1), label TEXT NOT NULL AS ('p' || price) VIRTUAL)"
    )
    found = introspect(db)
    table = found.schema.table("item")
    assert table is not None
    generated = {c.name: c.generated for c in table.columns}
    assert generated == {
        "id": None,
        "price": None,
        "Qty": None,
        "total": SqlExpr.parse('price * "Qty"'),
        "half": SqlExpr.parse("price + 1"),
        "label": SqlExpr.parse("'p' || price"),
    }
    assert [u.name for u in found.unsupported] == ["item.half", "item.label"]
    assert {u.detail for u in found.unsupported} == {"VIRTUAL read as STORED"}


@dataclass(frozen=True)
class Trip:
    name: str
    before: Schema
    ops: list[Operation]
    after: Schema
    query: str
    up: list[tuple[object, ...]]
    down: list[tuple[object, ...]]

    def __str__(self) -> str:
        return self.name


BY_ID = "SELECT * FROM item ORDER BY id"
BEFORE_ROWS = [(1, 2, 3), (2, 5, None), (3, 4, 10)]
TRIPS = [
    Trip(
        "adding a generated column rebuilds the table and computes it",
        item(),
        [AddColumn(table="item", column=TOTAL)],
        item(TOTAL),
        BY_ID,
        [(1, 2, 3, 6), (2, 5, None, None), (3, 4, 10, 40)],
        BEFORE_ROWS,
    ),
    Trip(
        "a changed expression recomputes every row",
        item(TOTAL),
        [AlterColumn(table="item", old=TOTAL, new=TOTAL_PLUS)],
        item(TOTAL_PLUS),
        BY_ID,
        [(1, 2, 3, 7), (2, 5, None, None), (3, 4, 10, 41)],
        [(1, 2, 3, 6), (2, 5, None, None), (3, 4, 10, 40)],
    ),
    Trip(
        "dropping a column a generated column reads rebuilds the table",
        item(TOTAL),
        [DropColumn(table="item", column=TOTAL), DropColumn(table="item", column=QTY)],
        Schema(tables=(item().tables[0].model_copy(update={"columns": (ID, PRICE)}),)),
        "SELECT id, price FROM item ORDER BY id",
        [(1, 2), (2, 5), (3, 4)],
        [(1, 2), (2, 5), (3, 4)],
    ),
]


@pytest.mark.parametrize("case", TRIPS, ids=str)
def test_generated_column_changes_keep_the_rows_and_are_undone(db: sqlite3.Connection, case: Trip) -> None:
    create(db, case.before, *ROWS)
    p = plan(case.ops, case.before, case.after)
    run(db, p)
    assert held(db) == expected(case.after)
    assert rows(db, case.query) == case.up
    run(db, p.down())
    assert held(db) == expected(case.before)
    assert rows(db, case.query) == case.down
