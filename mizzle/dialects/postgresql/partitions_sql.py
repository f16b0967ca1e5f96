"""PostgreSQL statements for declarative partitioning (`core/partitions.py`): a table's
PARTITION BY clause, and creating, dropping and changing a partition.

A partition is created `PARTITION OF` its table, so PostgreSQL gives it the table's
columns, defaults, keys and indexes itself; then come the indexes and constraints it holds
of its own (verbatim, as `pg_get_indexdef` and `pg_get_constraintdef` print them). Another
bound or parent keeps the partition's rows: DETACH, then ATTACH (which checks that every row
fits the new bound, failing whole otherwise). A partition that goes is detached, then
dropped, with its rows: the operation says so (`DropObject.safety`).
"""

from __future__ import annotations

from mizzle.core import qualified
from mizzle.core.errors import UnsupportedError
from mizzle.core.partitions import Partition, PartitionKey, index_name
from mizzle.dialects import ddl_trees as ddl


def _relation(name: str) -> str:
    schema, bare = qualified.split(name)
    return f"{ddl.quote_ident(schema)}.{ddl.quote_ident(bare)}" if schema else ddl.quote_ident(bare)


def partition_key_text(key: PartitionKey) -> str:
    """`RANGE (payment_date)`; an expression key in parentheses."""
    parts = []
    for part in key.keys:
        if part.column is not None:
            parts.append(ddl.quote_ident(part.column))
        elif part.expr is not None:
            parts.append(f"({ddl.sql(ddl.requote(part.expr.tree), 'postgres')})")
    return f"{key.strategy.upper()} ({', '.join(parts)})"


def partition_by_sql(key: PartitionKey) -> str:
    return f"PARTITION BY {partition_key_text(key)}"


def _own_parts(partition: Partition) -> list[str]:
    table = _relation(partition.name)
    out = list(partition.indexes)
    out += [
        f"ALTER TABLE {table} ADD CONSTRAINT {ddl.quote_ident(c.name)} {c.definition}" for c in partition.constraints
    ]
    return out


def create_partition_sql(partition: Partition) -> list[str]:
    """CREATE TABLE ... PARTITION OF ..., then its own indexes and constraints."""
    head = f"CREATE TABLE {_relation(partition.name)} PARTITION OF {_relation(partition.parent)} {partition.bound}"
    if partition.partition_by is not None:
        head += f" {partition_by_sql(partition.partition_by)}"
    return [head, *_own_parts(partition)]


def drop_partition_sql(partition: Partition) -> list[str]:
    return [
        f"ALTER TABLE {_relation(partition.parent)} DETACH PARTITION {_relation(partition.name)}",
        f"DROP TABLE {_relation(partition.name)}",
    ]


def _drop_index(partition: Partition, definition: str) -> str:
    schema = qualified.schema_of(partition.name)
    name = index_name(definition)
    return f"DROP INDEX {ddl.quote_ident(schema)}.{name}" if schema else f"DROP INDEX {name}"


def alter_partition_sql(old: Partition, new: Partition) -> list[str]:
    """The statements taking partition `old` to `new`, its rows kept."""
    if old.partition_by != new.partition_by:
        raise UnsupportedError(
            f"partition {new.name}: PostgreSQL cannot change a partition's own partition key in place; "
            "make it again in a custom migration (generate --custom), moving its rows"
        )
    table = _relation(new.name)
    out = [
        f"ALTER TABLE {table} DROP CONSTRAINT {ddl.quote_ident(c.name)}"
        for c in old.constraints
        if c not in new.constraints
    ]
    out += [_drop_index(old, i) for i in old.indexes if i not in new.indexes]
    if (old.parent, old.bound) != (new.parent, new.bound):
        out.append(f"ALTER TABLE {_relation(old.parent)} DETACH PARTITION {table}")
        out.append(f"ALTER TABLE {_relation(new.parent)} ATTACH PARTITION {table} {new.bound}")
    out += [i for i in new.indexes if i not in old.indexes]
    out += [
        f"ALTER TABLE {table} ADD CONSTRAINT {ddl.quote_ident(c.name)} {c.definition}"
        for c in new.constraints
        if c not in old.constraints
    ]
    return out


def refuse_partition_key(table: str, old: PartitionKey | None, new: PartitionKey | None) -> UnsupportedError:
    """Why a table's partition key is not changed: PostgreSQL has no ALTER for it."""
    before, after = ("none" if k is None else partition_key_text(k) for k in (old, new))
    return UnsupportedError(
        f"table {table}: the partition key changes ({before} -> {after}), which PostgreSQL cannot do in place; "
        "mizzle refuses it: make the table again in a custom migration (generate --custom) and move its rows"
    )
