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

from mizzle.core.sync.names import LAST_MODIFIED_AT, SYNC_COLUMNS, SYNC_VERSION, TOMBSTONES
from mizzle.core.types import ColumnType

Pk = tuple[Any, ...]


@dataclass(frozen=True)
class SyncColumn:
    name: str
    type: ColumnType
    #: the dialect's spelling of the type (PostgreSQL casts parameters to it)
    sql_type: str


@dataclass(frozen=True)
class TableInfo:
    """A table as one catalog query describes it: columns in order, primary key in key
    order, and whether its three sync triggers exist."""

    name: str
    columns: tuple[SyncColumn, ...]
    primary_key: tuple[str, ...]
    has_triggers: bool

    def column(self, name: str) -> SyncColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def missing_sync_parts(self) -> list[str]:
        """What keeps the table from being a sync table, in words (empty when it is one)."""
        names = {c.name for c in self.columns}
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

    def select_rows(self, info: TableInfo, since: datetime | None, above_version: int | None) -> list[tuple[Any, ...]]:
        """Rows changed after `since` (or with a version above `above_version`), every
        column in `info.columns` order, by (last_modified_at, primary key)."""
        ...

    def select_tombstones(
        self, info: TableInfo, since: datetime | None, above_version: int | None
    ) -> list[tuple[str, int, Any, str | None]]:
        """(pk JSON text, sync_version, deleted_at, device_id) by (deleted_at, pk)."""
        ...

    def write_horizon(self) -> datetime | None:
        """The start of the oldest other transaction now open on the database, whose rows
        (timed at its start) may still commit, or the time now when none is; None when write
        transactions are serialised (SQLite), so none in flight began before a seen commit."""
        ...

    def lock_rows(self, info: TableInfo, pks: Sequence[Pk]) -> list[tuple[Any, ...]]:
        """The rows with these primary keys (encoded), locked for the transaction."""
        ...

    def insert(self, info: TableInfo, values: Mapping[str, Any], *, stamp_now: bool) -> bool:
        """Insert a row; False (and nothing written) when a row with its key exists already."""
        ...

    def update(self, info: TableInfo, pk: Pk, values: Mapping[str, Any], *, stamp_now: bool) -> None: ...

    def delete(self, info: TableInfo, pk: Pk) -> str | None:
        """Delete a row; its primary key as the delete trigger writes it (None: no row)."""
        ...

    def record_tombstone(self, table: str, pk_json: str, sync_version: int, device_id: str | None) -> None: ...

    def set_tracking(self, on: bool) -> None: ...

    def set_device(self, device_id: str | None) -> None: ...


@dataclass(frozen=True)
class ChangeReads:
    """The two queries that read a sync table's changes (`select_rows`, `select_tombstones`),
    one text for every database: a dialect says how its driver writes a parameter (`value`:
    `?`, `%s`), a time parameter (`since`: PostgreSQL casts it) and a name (`name`: quoted,
    and for psycopg with `%` doubled)."""

    value: str
    since: str
    name: Callable[[str], str]

    def rows_query(self, info: TableInfo, select_list: str, *, by_version: bool) -> str:
        """The changes query: by time it reads through the index on last_modified_at."""
        q = self.name
        where = f"{q(SYNC_VERSION)} > {self.value}" if by_version else f"{q(LAST_MODIFIED_AT)} > {self.since}"
        order = ", ".join(q(c) for c in (LAST_MODIFIED_AT, *info.primary_key))
        return f"SELECT {select_list} FROM {q(info.name)} WHERE {where} ORDER BY {order}"

    def tombstones_query(self, *, by_version: bool) -> str:
        where = f'"sync_version" > {self.value}' if by_version else f'"deleted_at" > {self.since}'
        return (
            f'SELECT "pk", "sync_version", "deleted_at", "device_id" FROM {self.name(TOMBSTONES)} '
            f'WHERE "table_name" = {self.value} AND {where} ORDER BY "deleted_at", "pk", "id"'
        )

    def select_rows(
        self, conn: Any, info: TableInfo, select_list: str, since: object, above_version: int | None
    ) -> list[tuple[Any, ...]]:
        """`SyncDatabase.select_rows` on a DB-API connection; `since`: the time as the driver takes it."""
        by_version = above_version is not None
        param = above_version if by_version else since
        rows: list[tuple[Any, ...]] = conn.execute(
            self.rows_query(info, select_list, by_version=by_version), (param,)
        ).fetchall()
        return rows

    def select_tombstones(
        self, conn: Any, info: TableInfo, since: object, above_version: int | None
    ) -> list[tuple[str, int, Any, str | None]]:
        by_version = above_version is not None
        param = above_version if by_version else since
        rows: list[tuple[str, int, Any, str | None]] = conn.execute(
            self.tombstones_query(by_version=by_version), (info.name, param)
        ).fetchall()
        return rows
