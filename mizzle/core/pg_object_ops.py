"""Operations on PostgreSQL's domains, sequences, materialized views and aggregates
(`core/pg_objects.py`). Each carries the object whole, so its reverse is exact.

A sequence's OWNED BY is changed only by an AlterObject, never by CreateObject or
DropObject: the diff creates a sequence before the tables (a column default may call
`nextval` on it) and gives it its owner once the owning column exists, and takes the owner
away before the tables go (dropping an owning table drops the sequence with it).

All are SAFE but a partition's (`core/partitions.py`): it holds rows. Dropping one loses
them; giving one another bound or parent (DETACH, then ATTACH) fails on rows that do not fit.

A partitioned table's key is changed by `SetPartitionKey`, which PostgreSQL cannot do in place.
"""

from __future__ import annotations

from typing import Literal

from mizzle.core.operations import Operation, Safety
from mizzle.core.partitions import Partition, PartitionKey
from mizzle.core.pg_objects import Aggregate, Domain, MaterializedView, PgSequence, object_label

#: what the operations carry (a union of the kinds; pydantic keeps the instance given)
Item = Domain | PgSequence | MaterializedView | Aggregate | Partition


class CreateObject(Operation):
    op: Literal["create_object"] = "create_object"
    item: Item

    def reverse(self) -> DropObject:
        return DropObject(item=self.item)

    def describe(self) -> str:
        return f"create {object_label(self.item)}"


class DropObject(Operation):
    op: Literal["drop_object"] = "drop_object"
    item: Item

    def reverse(self) -> CreateObject:
        return CreateObject(item=self.item)

    @property
    def safety(self) -> Safety:
        return Safety.DATA_LOSS if isinstance(self.item, Partition) else Safety.SAFE

    def describe(self) -> str:
        lost = " (its rows are lost)" if isinstance(self.item, Partition) else ""
        return f"drop {object_label(self.item)}{lost}"


class AlterObject(Operation):
    """The same object (kind and name) with another definition: ALTER DOMAIN, ALTER SEQUENCE,
    or (a materialized view, an aggregate, a domain of another base type) dropped and made again."""

    op: Literal["alter_object"] = "alter_object"
    old: Item
    new: Item

    def reverse(self) -> AlterObject:
        return AlterObject(old=self.new, new=self.old)

    @property
    def safety(self) -> Safety:
        if isinstance(self.old, Partition) and isinstance(self.new, Partition):
            moved = (self.old.parent, self.old.bound) != (self.new.parent, self.new.bound)
            return Safety.MAY_FAIL if moved or self.old.constraints != self.new.constraints else Safety.SAFE
        return Safety.SAFE

    def describe(self) -> str:
        return f"alter {object_label(self.new)}"


class SetPartitionKey(Operation):
    """A table's PARTITION BY made, changed or removed: PostgreSQL has no ALTER for it (the
    table must be made again and its rows moved), so PostgreSQL's planner refuses it."""

    op: Literal["set_partition_key"] = "set_partition_key"
    table: str
    old: PartitionKey | None
    new: PartitionKey | None

    def reverse(self) -> SetPartitionKey:
        return SetPartitionKey(table=self.table, old=self.new, new=self.old)

    @property
    def table_name(self) -> str:
        return self.table

    def describe(self) -> str:
        return f"change the partition key of {self.table}"


OBJECT_OPERATIONS: tuple[type[Operation], ...] = (CreateObject, DropObject, AlterObject, SetPartitionKey)
