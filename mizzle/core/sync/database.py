"""What the sync API needs of a database: `SyncDatabase`, a small protocol each dialect
implements (`mizzle/dialects/{sqlite,postgresql}/sync_db.py`), and `TableInfo`, a sync table
as one catalog query describes it. Standard library and mizzle.core only: the rules in
`api.py` never see a driver.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from mizzle.core.sync.names import SYNC_COLUMNS, SYNC_SEQ
from mizzle.core.types import ColumnType

Pk = tuple[Any, ...]


@dataclass(frozen=True)
class Since:
    """Which changes a pull wants: those with `sync_seq` >= `seq` (the cursor), or, from
    older callers, with `last_modified_at` after `time`, or with a version above `version`
    (a scan); all None: everything."""

    seq: int | None = None
    time: datetime | None = None
    version: int | None = None


@dataclass(frozen=True)
class SyncColumn:
    name: str
    type: ColumnType
    #: the dialect's spelling of the type (PostgreSQL casts parameters to it)
    sql_type: str


@dataclass(frozen=True)
class TableInfo:
    """A table as one catalog query describes it: columns in order, primary key in key
    order, and whether its sync triggers exist. `columns` leaves `sync_seq` out (`has_seq`
    says whether the table has it): it is this database's place in its own commit order,
    which means nothing to another database, so it is never read out nor written in."""

    name: str
    columns: tuple[SyncColumn, ...]
    primary_key: tuple[str, ...]
    has_triggers: bool
    has_seq: bool = True

    def column(self, name: str) -> SyncColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def missing_sync_parts(self) -> list[str]:
        """What keeps the table from being a sync table, in words (empty when it is one)."""
        names = {c.name for c in self.columns} | ({SYNC_SEQ} if self.has_seq else set())
        columns = [f'"{c}"' for c in SYNC_COLUMNS if c not in names]
        missing = [("the column " if len(columns) == 1 else "the columns ") + ", ".join(columns)] if columns else []
        if not self.has_triggers:
            missing.append("its sync triggers")
        if not self.primary_key:
            missing.append("a primary key")
        return missing


class SyncDatabase(Protocol):
    """One connection, as the API needs it. Values go in and out in the driver's own form:
    `decoder` gives, for the column types that need one, what makes a read value one
    `wire.canonical` takes; `encode` makes a wire value a parameter the driver writes."""

    def transaction(self, failure: str, *, write: bool) -> AbstractContextManager[None]:
        """A transaction, or a savepoint inside the caller's; on error it is rolled back and
        a driver error becomes SyncError(`failure: <the database's message>`)."""
        ...

    def table_info(self, table: str) -> TableInfo | None: ...

    def decoder(self, ctype: ColumnType) -> Callable[[Any], Any] | None:
        """None when the driver's value of this type is one `wire.canonical` takes as it is."""
        ...

    def encode(self, value: Any, ctype: ColumnType) -> Any: ...

    #: what this database's cursors are called ("xid" on PostgreSQL, "seq" on SQLite)
    cursor_kind: str

    def cursor_floor(self) -> int:
        """The lowest `sync_seq` a row committed after this moment can have; read in the
        pull's transaction before its rows, it is the next cursor (rows at or above it may
        be seen now and again next time; none below it can commit later)."""
        ...

    def select_rows(self, info: TableInfo, since: Since) -> list[tuple[Any, ...]]:
        """Rows changed since `since`, every column in `info.columns` order, by
        (last_modified_at, primary key)."""
        ...

    def select_tombstones(self, info: TableInfo, since: Since) -> list[tuple[str, int, Any, str | None]]:
        """(pk JSON text, sync_version, deleted_at, device_id) by (deleted_at, pk)."""
        ...

    def lock_rows(self, info: TableInfo, pks: Sequence[Pk]) -> list[tuple[Any, ...]]:
        """The rows with these primary keys (encoded), locked for the transaction."""
        ...

    def insert(self, info: TableInfo, values: Mapping[str, Any], *, stamp_now: bool) -> bool:
        """Insert a row; False (and nothing written) when a row with its key exists already."""
        ...

    def insert_many(self, info: TableInfo, rows: Sequence[Mapping[str, Any]], *, stamp_now: bool) -> int:
        """Insert rows that all give the same columns, in as few statements as the database's
        parameter limit allows; how many were inserted (a row whose key exists is skipped)."""
        ...

    def update(self, info: TableInfo, pk: Pk, values: Mapping[str, Any], *, stamp_now: bool) -> None: ...

    def update_many(self, info: TableInfo, rows: Sequence[tuple[Pk, Mapping[str, Any]]], *, stamp_now: bool) -> None:
        """Update rows of distinct keys that all set the same columns, in as few statements
        as the database allows (each (encoded key, encoded values) as `update` takes them)."""
        ...

    def delete(self, info: TableInfo, pk: Pk) -> str | None:
        """Delete a row; its primary key as the delete trigger writes it (None: no row)."""
        ...

    def record_tombstone(self, table: str, pk_json: str, sync_version: int, device_id: str | None) -> None: ...

    def set_tracking(self, on: bool) -> None: ...

    def set_device(self, device_id: str | None) -> None: ...
