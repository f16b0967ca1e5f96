"""Reading PostgreSQL's declarative partitioning (`core/partitions.py`): one query, whatever
the number of partitions, in the transaction in which `read_catalog` set the search path.

The partitioned tables themselves are read as every table is (`introspect.py`); here they
get their key (`pg_get_partkeydef`), and each partition its parent, its bound
(`pg_get_expr(relpartbound)`), its own key if it is partitioned in turn, and what it holds
of its own: the indexes that are not copies of a parent's index (no `pg_inherits` row) and
do not back a constraint, and the constraints that are neither a parent's copy
(`conparentid`) nor inherited (`conislocal`). The copies are PostgreSQL's to make: a
partition created `PARTITION OF` its table gets them again.

A partition of a table the model does not hold (mizzle's own, another schema's), and a key
the model cannot hold (a COLLATE, an operator class), stay reported as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from mizzle.core import qualified
from mizzle.core.errors import MizzleError
from mizzle.core.introspection import Introspected
from mizzle.core.partitions import Partition, PartitionConstraint, PartitionKey, parse_partition_key
from mizzle.dialects.postgresql.catalog import RelationRow

if TYPE_CHECKING:
    import psycopg

PARTITIONS = """
SELECT n.nspname, c.relname, pn.nspname, p.relname, pg_get_expr(c.relpartbound, c.oid),
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       coalesce((SELECT array_agg(pg_get_indexdef(i.indexrelid) ORDER BY i.indexrelid)
                 FROM pg_index i
                 WHERE i.indrelid = c.oid
                   AND NOT EXISTS (SELECT 1 FROM pg_inherits x WHERE x.inhrelid = i.indexrelid)
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid
                                   AND k.conrelid = c.oid)), '{}'),
       coalesce((SELECT json_agg(json_build_array(k.conname, pg_get_constraintdef(k.oid)) ORDER BY k.conname)
                 FROM pg_constraint k
                 WHERE k.conrelid = c.oid AND k.conparentid = 0 AND k.conislocal
                   AND k.contype IN ('c', 'f', 'u', 'p', 'x')), '[]'::json)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_inherits h ON h.inhrelid = c.oid
JOIN pg_class p ON p.oid = h.inhparent
JOIN pg_namespace pn ON pn.oid = p.relnamespace
WHERE c.relispartition AND c.relkind IN ('r', 'p') AND n.nspname = ANY (%(schemas)s)
ORDER BY c.oid
"""


def read_partitions(conn: psycopg.Connection[Any], schemas: Sequence[str]) -> list[tuple[Any, ...]]:
    return conn.execute(PARTITIONS.encode(), {"schemas": list(schemas)}, prepare=False).fetchall()


def _model_name(nsp: str, name: str, schema_name: str) -> str:
    return name if nsp == schema_name else qualified.join(nsp, name)


def _key(text: str | None) -> PartitionKey | None:
    if text is None:
        return None
    try:
        return parse_partition_key(text)
    except (ValueError, MizzleError):
        return None


def partition_from_row(row: Sequence[Any], schema_name: str) -> Partition | None:
    """A row of `PARTITIONS` as the model's partition (None: its own key is not the model's)."""
    nsp, name, parent_nsp, parent, bound, key_text, indexes, constraints = row
    own_key = _key(key_text)
    if key_text is not None and own_key is None:
        return None  # stays reported
    return Partition(
        name=_model_name(nsp, name, schema_name),
        parent=_model_name(parent_nsp, parent, schema_name),
        bound=bound,
        partition_by=own_key,
        indexes=tuple(indexes),
        constraints=tuple(PartitionConstraint(name=c, definition=d) for c, d in constraints),
    )


def with_partitions(
    read: Introspected,
    rows: Sequence[tuple[Any, ...]],
    schema_name: str,
    tables: Mapping[int, RelationRow],
) -> Introspected:
    """The introspected schema with its tables' partition keys and its partitions, no longer
    reporting them as read as plain tables or skipped."""
    keys = {rel.name: _key(rel.partition_key) for rel in tables.values() if rel.relkind == "p"}
    held = {t.name for t in read.schema.tables}
    found = (partition_from_row(row, schema_name) for row in rows)
    partitions = [p for p in found if p is not None]
    # a partition of a table the model holds (or of one of those partitions), its parent first
    by_name = {p.name: p for p in partitions}
    kept: dict[str, Partition] = {}
    changed = True
    while changed:
        changed = False
        for part in by_name.values():
            if part.name not in kept and (
                (part.parent in held and keys.get(part.parent) is not None) or part.parent in kept
            ):
                kept[part.name] = part
                changed = True
    if not keys and not kept:
        return read
    carried = {("partition", n) for n in kept} | {("partitioning", n) for n, k in keys.items() if k is not None}
    unsupported = tuple(u for u in read.unsupported if (u.kind, u.name) not in carried)
    schema_tables = tuple(
        t.model_copy(update={"partition_by": keys[t.name]}) if keys.get(t.name) is not None else t
        for t in read.schema.tables
    )
    schema = read.schema.model_copy(
        update={"tables": schema_tables, "partitions": tuple(sorted(kept.values(), key=lambda p: p.name))}
    )
    return Introspected(schema=schema, unsupported=unsupported)
