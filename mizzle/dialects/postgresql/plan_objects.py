"""How PostgreSQL carries out the operations on domains, sequences, materialized views and
aggregates and partitions (`core/pg_object_ops.py`); the statements are `objects_sql.py`'s."""

from __future__ import annotations

from mizzle.core.pg_object_ops import AlterObject, CreateObject, DropObject, SetPartitionKey
from mizzle.dialects.postgresql.objects_sql import alter_sql, create_sql, drop_sql
from mizzle.dialects.postgresql.partitions_sql import refuse_partition_key
from mizzle.dialects.postgresql.plan_context import Context, Planned


def create_object(op: CreateObject, ctx: Context) -> Planned:
    return Planned(tuple(create_sql(op.item)))


def drop_object(op: DropObject, ctx: Context) -> Planned:
    return Planned(tuple(drop_sql(op.item)))


def alter_object(op: AlterObject, ctx: Context) -> Planned:
    return Planned(tuple(alter_sql(op.old, op.new)))


def set_partition_key(op: SetPartitionKey, ctx: Context) -> Planned:
    """Refused: a partition key is made with its table, and PostgreSQL cannot change it."""
    raise refuse_partition_key(op.table, op.old, op.new)
