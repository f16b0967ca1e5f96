"""Operations on PostgreSQL's domains, sequences, materialized views and aggregates
(`core/pg_objects.py`). Each carries the object whole, so its reverse is exact.

A sequence's OWNED BY is changed only by an AlterObject, never by CreateObject or
DropObject: the diff creates a sequence before the tables (a column default may call
`nextval` on it) and gives it its owner once the owning column exists, and takes the owner
away before the tables go (dropping an owning table drops the sequence with it).

All are SAFE: none of them holds rows (a materialized view is filled again from its query).
"""

from __future__ import annotations

from typing import Literal

from mizzle.core.operations import Operation
from mizzle.core.pg_objects import Aggregate, Domain, MaterializedView, PgSequence, object_label

#: what the operations carry (a union of the four kinds; pydantic keeps the instance given)
Item = Domain | PgSequence | MaterializedView | Aggregate


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

    def describe(self) -> str:
        return f"drop {object_label(self.item)}"


class AlterObject(Operation):
    """The same object (kind and name) with another definition: ALTER DOMAIN, ALTER SEQUENCE,
    or (a materialized view, an aggregate, a domain of another base type) dropped and made again."""

    op: Literal["alter_object"] = "alter_object"
    old: Item
    new: Item

    def reverse(self) -> AlterObject:
        return AlterObject(old=self.new, new=self.old)

    def describe(self) -> str:
        return f"alter {object_label(self.new)}"


OBJECT_OPERATIONS: tuple[type[Operation], ...] = (CreateObject, DropObject, AlterObject)
