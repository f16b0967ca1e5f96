"""Declarative partitioning in the model (`core/partitions.py`): keys and bounds in one
spelling, the diff's order and reverses, evolve, and what each operation risks."""

from __future__ import annotations

import pytest

from mizzle.core.diff import diff
from mizzle.core.errors import SchemaError
from mizzle.core.evolve import evolve
from mizzle.core.expr import SqlExpr
from mizzle.core.model import Column, PrimaryKey, Schema, Table
from mizzle.core.operations import Safety, reverse_all
from mizzle.core.partitions import (
    Partition,
    PartitionConstraint,
    PartitionKey,
    PartitionKeyPart,
    bound_text,
    parse_partition_key,
)
from mizzle.core.pg_object_ops import AlterObject, CreateObject, DropObject, SetPartitionKey
from mizzle.core.renames import Renames
from mizzle.core.types import ColumnType
from mizzle.core.validate import validate


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("RANGE (payment_date)", PartitionKey(strategy="range", keys=(PartitionKeyPart(column="payment_date"),))),
        ("list(Kind)", PartitionKey(strategy="list", keys=(PartitionKeyPart(column="kind"),))),
        (
            'HASH ("Id", b)',
            PartitionKey(strategy="hash", keys=(PartitionKeyPart(column="Id"), PartitionKeyPart(column="b"))),
        ),
        # an expression as written by hand and as pg_get_partkeydef prints it: one key
        ("RANGE ((a+1))", PartitionKey(strategy="range", keys=(PartitionKeyPart(expr=SqlExpr.parse("a + 1")),))),
        ("RANGE (((a + 1)))", PartitionKey(strategy="range", keys=(PartitionKeyPart(expr=SqlExpr.parse("a + 1")),))),
        (
            "LIST (lower(name))",
            PartitionKey(strategy="list", keys=(PartitionKeyPart(expr=SqlExpr.parse("LOWER(name)")),)),
        ),
    ],
)
def test_a_partition_key_reads_as_one_model_however_spelled(text: str, key: PartitionKey) -> None:
    assert parse_partition_key(text) == key


@pytest.mark.parametrize("text", ['RANGE (a COLLATE "C")', "LIST (a text_pattern_ops)", "RANGE a", "SPLIT (a)"])
def test_a_key_the_model_cannot_hold_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_partition_key(text)


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("for values from ( 1 ) to(10);", "FOR VALUES FROM (1) TO (10)"),
        ("FOR VALUES WITH (MODULUS 4,REMAINDER 0)", "FOR VALUES WITH (modulus 4, remainder 0)"),
        ("default", "DEFAULT"),
        ("FOR VALUES IN ('a  b', 'For')", "FOR VALUES IN ('a  b', 'For')"),  # values kept as written
        ("FOR VALUES FROM (MINVALUE) TO ('2022-01-01')", "FOR VALUES FROM (MINVALUE) TO ('2022-01-01')"),
    ],
)
def test_a_bound_is_kept_in_postgresqls_words(written: str, printed: str) -> None:
    assert bound_text(written) == printed


def _schema(*partitions: Partition, key: str | None = "RANGE (at)") -> Schema:
    table = Table(
        name="m",
        columns=(Column(name="id", type=ColumnType(kind="integer"), nullable=False),
                 Column(name="at", type=ColumnType(kind="date"), nullable=False)),
        primary_key=PrimaryKey(name="m_pkey", columns=("id", "at")),
        partition_by=parse_partition_key(key) if key else None,
    )  # fmt: skip
    return Schema(tables=(table,), partitions=partitions)


P2024 = Partition(name="m_2024", parent="m", bound="FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')")
P2025 = Partition(name="m_2025", parent="m", bound="FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')")


def test_partitions_are_made_after_their_table_and_dropped_before_it() -> None:
    sub = Partition(name="m_2025_a", parent="m_2025", bound="FOR VALUES WITH (modulus 2, remainder 0)")
    split = P2025.model_copy(update={"partition_by": parse_partition_key("HASH (id)")})
    ops = diff(Schema(), _schema(sub, split, P2024))
    assert [op.describe() for op in ops] == [
        "create table m",
        "create partition m_2024",
        "create partition m_2025",
        "create partition m_2025_a",  # after the partition it belongs to
    ]
    back = diff(_schema(sub, split, P2024), Schema())
    assert [op.describe() for op in back] == [
        "drop partition m_2025_a (its rows are lost)",
        "drop partition m_2025 (its rows are lost)",
        "drop partition m_2024 (its rows are lost)",
        "drop table m (its rows are lost)",
    ]
    assert evolve(_schema(sub, split, P2024), back) == Schema()


def test_another_bound_or_own_parts_alter_the_partition_and_reverse_exactly() -> None:
    moved = P2025.model_copy(
        update={
            "bound": "FOR VALUES FROM ('2025-01-01') TO ('2027-01-01')",
            "indexes": ("CREATE INDEX m_2025_id ON public.m_2025 USING btree (id)",),
            "constraints": (PartitionConstraint(name="m_2025_id_check", definition="CHECK ((id > 0))"),),
        }
    )
    old, new = _schema(P2024, P2025), _schema(P2024, moved)
    ops = diff(old, new)
    assert ops == [AlterObject(old=P2025, new=moved)]
    assert ops[0].safety is Safety.MAY_FAIL  # rows outside the new bound fail the ATTACH
    assert evolve(old, ops) == new
    assert evolve(new, reverse_all(ops)) == old
    only_index = P2025.model_copy(update={"indexes": moved.indexes})
    assert diff(old, _schema(P2024, only_index))[0].safety is Safety.SAFE


def test_dropping_a_partition_loses_its_rows_and_says_so() -> None:
    (op,) = diff(_schema(P2024, P2025), _schema(P2024))
    assert op == DropObject(item=P2025) and op.safety is Safety.DATA_LOSS
    assert CreateObject(item=P2025).safety is Safety.SAFE


def test_a_changed_partition_key_is_its_own_operation() -> None:
    ops = diff(_schema(), _schema(key="LIST (id)"))
    assert ops == [
        SetPartitionKey(table="m", old=parse_partition_key("RANGE (at)"), new=parse_partition_key("LIST (id)"))
    ]
    assert evolve(_schema(), ops) == _schema(key="LIST (id)")
    assert evolve(_schema(key="LIST (id)"), reverse_all(ops)) == _schema()
    assert [op.describe() for op in diff(_schema(key=None), _schema())] == ["change the partition key of m"]


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        (
            _schema(P2024.model_copy(update={"parent": "nowhere"})),
            'a partition of "nowhere", which the schema does not have',
        ),
        (_schema(P2024, key=None), 'partition "m_2024": table "m" is not partitioned (no partition key)'),
        (_schema(key="LIST (gone)"), 'table "m": the partition key names column "gone", which the table does not have'),
        (
            _schema(P2024.model_copy(update={"name": "m"})),
            'partition "m": the name is taken by another table or partition',
        ),
        (
            _schema(P2024, Partition(name="m_2024_a", parent="m_2024", bound="DEFAULT")),
            'partition "m_2024" is not partitioned in turn',
        ),
    ],
)
def test_what_postgresql_would_refuse_is_a_schema_problem(schema: Schema, problem: str) -> None:
    with pytest.raises(SchemaError) as refused:
        validate(schema)
    assert problem in str(refused.value)


def test_a_renamed_partitioned_table_keeps_its_partitions() -> None:
    renamed = _schema(P2024, P2025)
    new = Schema(
        tables=(renamed.tables[0].model_copy(update={"name": "n"}),),
        partitions=(P2024.model_copy(update={"parent": "n"}), P2025.model_copy(update={"parent": "n"})),
    )
    ops = diff(renamed, new, Renames(tables={"m": "n"}))
    assert [op.describe() for op in ops] == ["rename table m to n"]  # PostgreSQL keeps them attached
    assert evolve(renamed, ops) == new
    assert evolve(new, reverse_all(ops)) == renamed
    gone = diff(renamed, new.model_copy(update={"partitions": new.partitions[:1]}), Renames(tables={"m": "n"}))
    assert [op.describe() for op in gone] == ["drop partition m_2025 (its rows are lost)", "rename table m to n"]
    assert gone[0] == DropObject(item=P2025)  # detached from the table's old name, before the rename
