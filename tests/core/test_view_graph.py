"""Views and materialized views in one dependency graph (`core/view_graph.py`): made each
after what it reads, dropped each before, whichever kind reads which; the diff makes again
every one reading something that changes, across kinds, and its reverse is exact."""

from __future__ import annotations

from mizzle.core.diff import diff
from mizzle.core.evolve import evolve
from mizzle.core.expr import SqlExpr
from mizzle.core.model import Column, Schema, Table, View
from mizzle.core.operations import reverse_all
from mizzle.core.pg_objects import MaterializedView
from mizzle.core.types import t
from mizzle.core.view_graph import read_first, readers_first, readers_of

SALES = Table(name="sales", columns=(Column(name="n", type=t("integer")),))
# a view over a materialized view over a view: AdventureWorks' reports read materialized views
BASE = View(name="base", query=SqlExpr.parse("SELECT sales.n FROM sales"))
SNAPSHOT = MaterializedView(name="snapshot", query="SELECT base.n FROM base")
REPORT = View(name="report", query=SqlExpr.parse("SELECT snapshot.n FROM snapshot"))
SERIES = View(name="series", query=SqlExpr.parse("SELECT g.n FROM generate_series(1, 3) AS g(n)"))
SCHEMA = Schema(tables=(SALES,), views=(BASE, REPORT, SERIES), materialized_views=(SNAPSHOT,))


def test_each_is_made_after_what_it_reads_and_dropped_before() -> None:
    assert [r.name for r in read_first([REPORT, SNAPSHOT, BASE])] == ["base", "snapshot", "report"]
    assert [r.name for r in readers_first([BASE, SNAPSHOT, REPORT])] == ["report", "snapshot", "base"]
    assert readers_of([BASE, SNAPSHOT, REPORT, SERIES], ["sales"]) == {"base", "snapshot", "report"}


def test_a_function_read_as_a_table_is_no_relation() -> None:
    assert SERIES.referenced_tables() == []


def test_creating_orders_views_and_materialized_views_together() -> None:
    ops = diff(Schema(), SCHEMA)
    assert [op.describe() for op in ops] == [
        "create table sales",
        "create view base",
        "create view series",  # ties by name
        "create materialized view snapshot",
        "create view report",
    ]
    assert evolve(Schema(), ops) == SCHEMA
    back = reverse_all(ops)
    assert [op.describe() for op in back][:3] == [
        "drop view report",
        "drop materialized view snapshot",
        "drop view series",
    ]
    assert evolve(SCHEMA, back) == Schema()


def test_a_retyped_column_makes_every_reader_again_across_kinds() -> None:
    retyped = SALES.model_copy(update={"columns": (Column(name="n", type=t("bigint")),)})
    after = SCHEMA.model_copy(update={"tables": (retyped,)})
    ops = diff(SCHEMA, after)
    assert [op.describe() for op in ops] == [
        "drop view report",
        "drop materialized view snapshot",
        "drop view base",
        "alter column sales.n: type integer → bigint",
        "create view base",
        "create materialized view snapshot",
        "create view report",
    ]
    assert evolve(SCHEMA, ops) == after
    assert evolve(after, reverse_all(ops)) == SCHEMA


def test_a_changed_materialized_view_makes_the_view_reading_it_again() -> None:
    wider = SNAPSHOT.model_copy(update={"query": "SELECT base.n, 1 AS one FROM base"})
    after = SCHEMA.model_copy(update={"materialized_views": (wider,)})
    ops = diff(SCHEMA, after)
    assert [op.describe() for op in ops] == [
        "drop view report",
        "drop materialized view snapshot",
        "create materialized view snapshot",
        "create view report",
    ]
    assert evolve(SCHEMA, ops) == after
    assert evolve(after, reverse_all(ops)) == SCHEMA
