"""What a sync table holds besides its own columns: the four sync columns and the index
on `sync_seq` that delta pulls read through (the pull cursor is a `sync_seq`, docs/sync.md).

`last_modified_at` is `timestamptz(3)`: SQLite's clock (`strftime('%f')`) has millisecond
precision, so PostgreSQL keeps the same, and a time written by either database converts to
the same `YYYY-MM-DDTHH:MM:SS.mmmZ` text, which sorts and compares like the time itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from mizzle.core import naming
from mizzle.core.model import Column, Index, IndexKey, LiteralDefault, NowDefault, Table
from mizzle.core.sync.names import DEVICE_ID, LAST_MODIFIED_AT, SYNC_SEQ, SYNC_VERSION
from mizzle.core.types import ColumnType, TypeKind

SYNC_COLUMN_SPECS: tuple[Column, ...] = (
    Column(name=SYNC_VERSION, type=ColumnType(kind=TypeKind.INTEGER), nullable=False, default=LiteralDefault(value=1)),
    Column(
        name=LAST_MODIFIED_AT,
        type=ColumnType(kind=TypeKind.TIMESTAMPTZ, precision=3),
        nullable=False,
        default=NowDefault(),
    ),
    Column(name=DEVICE_ID, type=ColumnType(kind=TypeKind.TEXT)),
    # Written by the triggers only (the writing transaction's id on PostgreSQL, the
    # database's counter on SQLite). 0 is the backfill of rows that were there before:
    # every pull cursor starts at 0 or later, so a first pull (None) still brings them.
    Column(name=SYNC_SEQ, type=ColumnType(kind=TypeKind.BIGINT), nullable=False, default=LiteralDefault(value=0)),
)
_SPEC_BY_NAME = {c.name: c for c in SYNC_COLUMN_SPECS}


def describe(column: Column) -> str:
    """`integer NOT NULL DEFAULT 1`: how the problems below spell a sync column."""
    ctype = column.type.kind.value + (f"({column.type.precision})" if column.type.precision is not None else "")
    default = ""
    if isinstance(column.default, LiteralDefault):
        default = f" DEFAULT {column.default.value}"
    elif isinstance(column.default, NowDefault):
        default = " DEFAULT now()"
    return ctype + ("" if column.nullable else " NOT NULL") + default


def is_delta_index(index: Index) -> bool:
    """Whether delta pulls can read through `index`: its first key is `sync_seq` and it
    covers every row."""
    return bool(index.keys) and index.keys[0].column == SYNC_SEQ and index.where is None


def delta_index(table: Table) -> Index | None:
    """The table's index delta pulls read through, if any."""
    return next((i for i in table.indexes if is_delta_index(i)), None)


def missing_sync_columns(names: Iterable[str]) -> tuple[Column, ...]:
    """The sync columns a table with columns `names` lacks, as sync adds them."""
    have = set(names)
    return tuple(c for c in SYNC_COLUMN_SPECS if c.name not in have)


def with_sync(table: Table, taken: set[str] | None = None) -> Table:
    """`table` marked sync, with the sync columns it lacks appended and, if it has none, an
    index on `sync_seq` (named as PostgreSQL names it, avoiding `taken` relation
    names). Columns it already declares are kept as declared (`problems` checks them)."""
    columns = table.columns + missing_sync_columns(table.column_names)
    indexes = table.indexes
    if delta_index(table) is None:
        used = (taken or set()) | {i.name for i in table.indexes}
        name = naming.index_name(table.name, [(SYNC_SEQ, None)], lambda n: n in used)
        indexes = (*indexes, Index(name=name, keys=(IndexKey(column=SYNC_SEQ),)))
    return table.model_copy(update={"sync": True, "columns": columns, "indexes": indexes})


def problems(table: Table) -> Iterator[str]:
    """What keeps a table marked sync from being one (empty when it is fine)."""
    where = f'table "{table.name}" (sync)'
    if table.primary_key is None:
        yield f"{where}: a sync table needs a primary key (deletes are recorded by it)"
    for spec in SYNC_COLUMN_SPECS:
        column = table.column(spec.name)
        if column is None:
            yield f'{where}: column "{spec.name}" is missing ({describe(spec)})'
        elif column != spec:
            yield (
                f'{where}: column "{spec.name}" is {describe(column)}, a sync table\'s is {describe(spec)}: '
                "remove the declaration (sync adds it) or match it"
            )
    if delta_index(table) is None:
        yield f'{where}: no index on "{SYNC_SEQ}" (delta pulls read through it)'
    if table.primary_key is not None and set(table.primary_key.columns) & set(_SPEC_BY_NAME):
        yield f"{where}: the primary key cannot hold a sync column"
    for column in table.columns:
        if column.generated is not None:
            # sync writes every column of a row it receives, and the database refuses a value for a generated one
            yield f'{where}: column "{column.name}" is generated; a sync table cannot hold a generated column'
