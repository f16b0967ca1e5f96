"""Partitions as PostgreSQL prints them: the part of `Dialect.normalise` for
`core/partitions.py`.

A partition holds its bound and its own indexes and constraints as the database prints them
(`pg_get_expr`, `pg_get_indexdef`, `pg_get_constraintdef`); one written by hand is the same
partition in other words (`FROM ('2024-01-01')` on a timestamptz key, `CREATE INDEX i ON p (a)`),
and would be detached, attached and given its index again on every push. So each partition
the operations would change is changed as written inside a transaction that is rolled back,
and read back the way introspection reads it: when that equals what the database holds, the
target takes the database's text and the push has nothing to do.
"""

from __future__ import annotations

from contextlib import suppress

from mizzle.core import qualified
from mizzle.core.errors import MizzleError
from mizzle.core.model import Schema
from mizzle.core.operations import Operation
from mizzle.core.partitions import Partition
from mizzle.core.pg_object_ops import AlterObject
from mizzle.core.tracking import MigrationDatabase
from mizzle.dialects.postgresql.introspect_partitions import PARTITIONS, partition_from_row
from mizzle.dialects.postgresql.partitions_sql import alter_partition_sql

_ONE = PARTITIONS.replace("AND n.nspname = ANY (%(schemas)s)", "AND c.oid = to_regclass(%s)")


def printed_partitions(db: MigrationDatabase, target: Schema, operations: list[Operation], schema_name: str) -> Schema:
    """`target` with the partitions `operations` would change spelled as the database prints
    them, where the database holds them so already."""
    changed = [
        op
        for op in operations
        if isinstance(op, AlterObject)
        and isinstance(op.old, Partition)
        and isinstance(op.new, Partition)
        and op.old.partition_by == op.new.partition_by
    ]
    if not changed:
        return target
    held: dict[str, Partition] = {}
    try:
        db.begin()
        for op in changed:
            assert isinstance(op.old, Partition) and isinstance(op.new, Partition)
            for statement in alter_partition_sql(op.old, op.new):
                db.execute(statement)
            schema, bare = qualified.split(op.new.name)
            rows = db.query(_ONE, (f'"{schema}"."{bare}"' if schema else f'"{bare}"',))
            printed = partition_from_row(tuple(rows[0]), schema_name) if rows else None
            if printed == op.old:
                held[op.new.name] = printed
    except MizzleError:
        return target  # the database refuses the text as written: it stays as the schema wrote it
    finally:
        with suppress(MizzleError):
            db.rollback()
    if not held:
        return target
    return target.model_copy(update={"partitions": tuple(held.get(p.name, p) for p in target.partitions)})
