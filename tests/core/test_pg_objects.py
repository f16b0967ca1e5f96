"""Domains, sequences, materialized views and aggregates in the diff (`core/diff_pg_objects.py`):
where each operation goes, its exact reverse, evolve's refusals, and the SQLite plan's one
header line for them."""

from __future__ import annotations

import pytest

from mizzle.core.diff import diff
from mizzle.core.errors import SchemaError
from mizzle.core.evolve import evolve
from mizzle.core.expr import SqlExpr
from mizzle.core.model import Column, ExprDefault, Schema, Table
from mizzle.core.operations import reverse_all
from mizzle.core.pg_object_ops import CreateObject, DropObject
from mizzle.core.pg_objects import Aggregate, Domain, DomainCheck, MaterializedView, PgSequence
from mizzle.core.types import t
from mizzle.dialects.sqlite.plan import plan as sqlite_plan

POSITIVE = Domain(
    name="positive", base_type="integer", checks=(DomainCheck(name="pos", expr=SqlExpr.parse("value > 0")),)
)
TICKET = PgSequence(name="ticket", start=10, owned_by="stock.n")
TOTALS = MaterializedView(
    name="totals", query="SELECT stock.n FROM stock", indexes=("CREATE INDEX totals_n ON totals (n)",)
)
TOTAL = Aggregate(definition="CREATE AGGREGATE total(integer) (SFUNC = int4pl, STYPE = integer)")
STOCK = Table(
    name="stock",
    columns=(
        Column(name="qty", type=t("integer"), domain="positive"),
        Column(name="n", type=t("bigint"), default=ExprDefault(expr=SqlExpr.parse("nextval('ticket'::regclass)"))),
    ),
)
FULL = Schema(
    tables=(STOCK,), domains=(POSITIVE,), sequences=(TICKET,), materialized_views=(TOTALS,), aggregates=(TOTAL,)
)


def test_creating_puts_each_where_what_it_needs_exists() -> None:
    assert [op.describe() for op in diff(Schema(), FULL)] == [
        "create domain positive",
        "create sequence ticket",
        "create table stock",
        "create aggregate total(integer)",
        "create materialized view totals",
        "alter sequence ticket",  # OWNED BY, once the column exists
    ]
    made = diff(Schema(), FULL)
    assert isinstance(made[1], CreateObject) and made[1].item == TICKET.model_copy(update={"owned_by": None})
    assert evolve(Schema(), made) == FULL


def test_dropping_undoes_it_in_reverse_and_the_reverse_makes_it_again() -> None:
    ops = diff(FULL, Schema())
    assert [op.describe() for op in ops] == [
        "alter sequence ticket",  # its owner taken away first: dropping the table would drop it
        "drop materialized view totals",
        "drop aggregate total(integer)",
        "drop table stock (its rows are lost)",
        "drop sequence ticket",
        "drop domain positive",
    ]
    assert evolve(FULL, ops) == Schema()
    assert evolve(Schema(), reverse_all(ops)) == FULL


def test_a_changed_table_makes_the_materialized_view_reading_it_again() -> None:
    wider = STOCK.model_copy(update={"columns": (*STOCK.columns, Column(name="x", type=t("text")))})
    retyped = STOCK.model_copy(
        update={"columns": (STOCK.columns[0], STOCK.columns[1].model_copy(update={"type": t("integer")}))}
    )
    added = diff(FULL, FULL.model_copy(update={"tables": (wider,)}))
    assert [op.describe() for op in added] == ["add column stock.x text"]  # the view still reads the same
    ops = [op.describe() for op in diff(FULL, Schema(**{**dict(FULL), "tables": (retyped,)}))]
    assert ops[0] == "drop materialized view totals" and ops[-1] == "create materialized view totals"


def test_a_changed_domain_is_altered_in_place() -> None:
    stricter = POSITIVE.model_copy(update={"not_null": True})
    ops = diff(FULL, Schema(**{**dict(FULL), "domains": (stricter,)}))
    assert [op.describe() for op in ops] == ["alter domain positive"]
    assert ops[0].reverse().reverse() == ops[0]


def test_evolve_refuses_what_does_not_fit() -> None:
    with pytest.raises(SchemaError, match="domain positive exists"):
        evolve(FULL, [CreateObject(item=POSITIVE)])
    with pytest.raises(SchemaError, match="differs from the operation's copy"):
        evolve(FULL, [DropObject(item=POSITIVE.model_copy(update={"checks": ()}))])


def test_sqlite_plans_none_of_them_and_says_so_once() -> None:
    ops = diff(Schema(), FULL)
    planned = sqlite_plan(ops, Schema(), FULL)
    assert [op.describe() for step in planned.steps for op in step.sources] == ["create table stock"]
    assert [(n.side, n.text) for n in planned.notes] == [
        ("server-only", "1 domain, 1 sequence, 1 aggregate, 1 materialized view: PostgreSQL only, not on SQLite"),
        ("server-only", "1 nextval default: PostgreSQL only, no default on SQLite"),
    ]
    assert "nextval" not in " ".join(sql for step in planned.steps for sql in step.statements)
