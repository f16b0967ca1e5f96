"""The sync API's adapter for SQLite (Python's sqlite3): `mizzle.core.sync.api.SyncDatabase`.

SQLite keeps uuids, times and numbers as the text and numbers of docs/types.md, booleans as
0/1, JSON and arrays as JSON text; `decoder` parses the JSON so that `wire.canonical` sees the
values, `encode` writes them back the way mizzle's SQLite renderer stores them (arrays as
compact JSON with numbers as numbers, as `transpile.json_array_text` writes defaults).

Transactions: the connection may be in autocommit mode (`isolation_level=None`, as
`connect.connect` opens it) or in Python's default mode; either way the adapter issues
BEGIN/COMMIT itself, or, when the caller has a transaction open, a SAVEPOINT, so that an
apply is all or nothing without ending the caller's transaction.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Protocol

from mizzle.core.errors import SchemaError
from mizzle.core.quoting import quoted_name
from mizzle.core.sync import wire
from mizzle.core.sync.api import SyncError
from mizzle.core.sync.database import Since, SyncColumn, TableInfo
from mizzle.core.sync.names import (
    CONTROL_TABLE,
    DEVICE_ID,
    LAST_MODIFIED_AT,
    SEQ_TABLE,
    SYNC_SEQ,
    SYNC_VERSION,
    TOMBSTONES,
)
from mizzle.core.types import JSON_KINDS, NUMBER_KINDS, ColumnType, TypeKind
from mizzle.dialects.sqlite import sync_sql
from mizzle.dialects.sqlite.types import column_type_from_declared

_SAVEPOINT = "mizzle_sync"
#: parameters per multi-row insert: SQLite's limit before 3.32 (a build may still set it)
_MAX_PARAMS = 999

#: One catalog query: the columns (name, declared type, position in the primary key), what
#: kind of object the name is, and how many of the table's three sync triggers exist.
_TABLE_INFO = """
SELECT c.name, c.type, c.pk,
       (SELECT type FROM sqlite_master WHERE name = ?1 COLLATE NOCASE),
       (SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name IN (?2, ?3, ?4))
FROM pragma_table_info(?1) AS c
ORDER BY c.cid
"""


class SqliteRows(Protocol):
    """What `SqliteConnection.execute` returns: a `sqlite3.Cursor`, or the like."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class SqliteConnection(Protocol):
    """A `sqlite3.Connection`, or anything that behaves like one for the sync API: the
    browser runtime's bridge to a sql.js or sqlite-wasm handle (`mizzle.wasm.handle_conn`),
    which raises `sqlite3.Error`s as the driver does."""

    @property
    def in_transaction(self) -> bool: ...

    def execute(self, sql: str, parameters: Any = ..., /) -> SqliteRows: ...


class SqliteSyncDb:
    """A sqlite3 connection as the sync API uses it."""

    cursor_kind = "seq"

    def __init__(self, conn: SqliteConnection) -> None:
        self.conn = conn

    # --- transactions --------------------------------------------------------------------

    @contextmanager
    def transaction(self, failure: str, *, write: bool) -> Iterator[None]:
        conn = self.conn
        nested = conn.in_transaction
        try:
            # IMMEDIATE: take the write lock first, rather than fail half-way when another
            # connection holds it (a deferred transaction cannot wait for it once it has read)
            conn.execute(f"SAVEPOINT {_SAVEPOINT}" if nested else "BEGIN IMMEDIATE" if write else "BEGIN")
        except sqlite3.Error as err:
            raise SyncError(f"{failure}: {err}") from None
        try:
            yield
        except BaseException as err:
            # Some errors (a full disk, an interrupt) make SQLite roll back by itself: then
            # there is no savepoint or transaction left to end, and the error to report is err.
            with contextlib.suppress(sqlite3.Error):
                if nested:
                    conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
                    conn.execute(f"RELEASE {_SAVEPOINT}")
                elif conn.in_transaction:
                    conn.execute("ROLLBACK")
            if isinstance(err, sqlite3.Error | OverflowError | UnicodeError):  # the latter: a value sqlite3 cannot bind
                raise SyncError(f"{failure}: {err}") from None
            raise
        try:
            conn.execute(f"RELEASE {_SAVEPOINT}" if nested else "COMMIT")
        except sqlite3.Error as err:  # a deferred foreign key, checked at COMMIT
            if conn.in_transaction and not nested:
                conn.execute("ROLLBACK")
            raise SyncError(f"{failure}: {err}") from None

    # --- the catalog ------------------------------------------------------------------------

    def table_info(self, table: str) -> TableInfo | None:
        rows = self.conn.execute(_TABLE_INFO, (table, *sync_sql.trigger_names(table))).fetchall()
        if not rows or rows[0][3] != "table":
            return None
        columns = tuple(
            SyncColumn(str(name), _column_type(str(declared)), str(declared))
            for name, declared, *_ in rows
            if name != SYNC_SEQ
        )
        primary_key = tuple(str(r[0]) for r in sorted((r for r in rows if r[2]), key=lambda r: int(r[2])))
        return TableInfo(
            name=table,
            columns=columns,
            primary_key=primary_key,
            has_triggers=rows[0][4] == 3,
            has_seq=len(columns) < len(rows),
        )

    # --- values -------------------------------------------------------------------------------

    def decoder(self, ctype: ColumnType) -> Callable[[Any], Any] | None:
        if ctype.array_dims:
            # array numbers as Decimal: a numeric element keeps its digits (12.50 stays 12.50)
            return functools.partial(_load_json, ctype, Decimal)
        if ctype.kind in JSON_KINDS:
            return functools.partial(_load_json, ctype, float)
        return None

    def encode(self, value: Any, ctype: ColumnType) -> Any:
        if value is None:
            return None
        if ctype.array_dims:
            return _json_array(value, ctype.element)
        if ctype.kind in JSON_KINDS:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        if ctype.kind is TypeKind.BOOLEAN:
            return 1 if value else 0
        return value  # text, numbers (NUMERIC affinity makes decimal text a number), bytes

    # --- reading -------------------------------------------------------------------------------

    def rows_query(self, info: TableInfo, since: Since) -> tuple[str, list[object]]:
        """The changes query: by cursor it reads through the index on sync_seq."""
        where, params = _where(since, seq=quoted_name(SYNC_SEQ), time=quoted_name(LAST_MODIFIED_AT))
        order = ", ".join(quoted_name(c) for c in (LAST_MODIFIED_AT, *info.primary_key))
        return f"SELECT {_columns(info)} FROM {quoted_name(info.name)} WHERE {where} ORDER BY {order}", params

    def select_rows(self, info: TableInfo, since: Since) -> list[tuple[Any, ...]]:
        query, params = self.rows_query(info, since)
        return self.conn.execute(query, params).fetchall()

    def select_tombstones(self, info: TableInfo, since: Since) -> list[tuple[str, int, Any, str | None]]:
        # a tombstone's id is its place in the sequence (the delete trigger takes it there)
        where, params = _where(since, seq='"id"', time='"deleted_at"')
        query = (
            f'SELECT "pk", "sync_version", "deleted_at", "device_id" FROM {quoted_name(TOMBSTONES)} '
            f'WHERE "table_name" = ? AND {where} ORDER BY "deleted_at", "pk", "id"'
        )
        return self.conn.execute(query, [info.name, *params]).fetchall()

    def cursor_floor(self) -> int:
        # One writer at a time: every write numbered up to the counter has committed (this
        # read transaction sees it), every later one will take a higher number
        row = self.conn.execute(f"SELECT {sync_sql.CURRENT_SEQ}").fetchone()
        if row is None or row[0] is None:
            raise SyncError(f"the sync sequence of {SEQ_TABLE} is missing (migrate the database again)")
        return int(row[0]) + 1

    def lock_rows(self, info: TableInfo, pks: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not pks:
            return []
        # BEGIN IMMEDIATE holds the database's write lock: nothing else changes these rows
        key = ", ".join(quoted_name(c) for c in info.primary_key)
        values = ", ".join("(" + ", ".join("?" * len(info.primary_key)) + ")" for _ in pks)
        query = f"SELECT {_columns(info)} FROM {quoted_name(info.name)} WHERE ({key}) IN (VALUES {values})"
        return self.conn.execute(query, [v for pk in pks for v in pk]).fetchall()

    # --- writing -------------------------------------------------------------------------------

    def insert(self, info: TableInfo, values: Mapping[str, Any], *, stamp_now: bool) -> bool:
        given = {k: v for k, v in values.items() if not (stamp_now and k == LAST_MODIFIED_AT)}
        names = [quoted_name(k) for k in given] + ([quoted_name(LAST_MODIFIED_AT)] if stamp_now else [])
        slots = ["?"] * len(given) + ([sync_sql.NOW] if stamp_now else [])
        # ON CONFLICT on the key, as on PostgreSQL (where another transaction may have
        # inserted the key meanwhile): False, and the API compares with the row found
        query = (
            f"INSERT INTO {quoted_name(info.name)} ({', '.join(names)}) VALUES ({', '.join(slots)}) "
            f"ON CONFLICT ({', '.join(quoted_name(c) for c in info.primary_key)}) DO NOTHING RETURNING 1"
        )
        return self.conn.execute(query, list(given.values())).fetchone() is not None

    def insert_many(self, info: TableInfo, rows: Sequence[Mapping[str, Any]], *, stamp_now: bool) -> int:
        if not rows:
            return 0
        given = [k for k in rows[0] if not (stamp_now and k == LAST_MODIFIED_AT)]
        names = [quoted_name(k) for k in given] + ([quoted_name(LAST_MODIFIED_AT)] if stamp_now else [])
        one = "(" + ", ".join(["?"] * len(given) + ([sync_sql.NOW] if stamp_now else [])) + ")"
        key = ", ".join(quoted_name(c) for c in info.primary_key)
        inserted = 0
        chunk = max(1, _MAX_PARAMS // max(1, len(given)))
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            query = (
                f"INSERT INTO {quoted_name(info.name)} ({', '.join(names)}) VALUES {', '.join([one] * len(part))} "
                f"ON CONFLICT ({key}) DO NOTHING RETURNING 1"
            )
            inserted += len(self.conn.execute(query, [row[k] for row in part for k in given]).fetchall())
        return inserted

    def update(self, info: TableInfo, pk: tuple[Any, ...], values: Mapping[str, Any], *, stamp_now: bool) -> None:
        given = {k: v for k, v in values.items() if not (stamp_now and k == LAST_MODIFIED_AT)}
        sets = [f"{quoted_name(k)} = ?" for k in given] + (
            [f"{quoted_name(LAST_MODIFIED_AT)} = {sync_sql.NOW}"] if stamp_now else []
        )
        query = f"UPDATE {quoted_name(info.name)} SET {', '.join(sets)} WHERE {_pk_match(info)}"
        self.conn.execute(query, [*given.values(), *pk])

    def update_many(
        self, info: TableInfo, rows: Sequence[tuple[tuple[Any, ...], Mapping[str, Any]]], *, stamp_now: bool
    ) -> None:
        # a statement each: SQLite runs in-process, where a statement costs little (and
        # UPDATE ... FROM needs 3.33, newer than some browsers' builds)
        for pk, values in rows:
            self.update(info, pk, values, stamp_now=stamp_now)

    def delete(self, info: TableInfo, pk: tuple[Any, ...]) -> str | None:
        # json_array of the key, as the delete trigger writes it into the tombstone
        key = ", ".join(quoted_name(c) for c in info.primary_key)
        query = f"DELETE FROM {quoted_name(info.name)} WHERE {_pk_match(info)} RETURNING json_array({key})"
        row = self.conn.execute(query, list(pk)).fetchone()
        return None if row is None else str(row[0])

    def record_tombstone(self, table: str, pk_json: str, sync_version: int, device_id: str | None) -> None:
        # its id from the sequence, as the delete trigger takes it
        self.conn.execute(sync_sql.NEXT_SEQ)
        self.conn.execute(
            f"INSERT INTO {quoted_name(TOMBSTONES)} "
            f'("id", "table_name", "pk", "sync_version", "device_id") VALUES ({sync_sql.CURRENT_SEQ}, ?, ?, ?, ?)',
            (table, pk_json, sync_version, device_id),
        )

    # --- the switch and the device -------------------------------------------------------------

    def set_tracking(self, on: bool) -> None:
        cursor = self.conn.execute(sync_sql.TRACKING_ON if on else sync_sql.TRACKING_OFF)
        if cursor.rowcount != 1:  # no control row: the triggers would go on tracking
            raise SyncError(f"the sync control row of {CONTROL_TABLE} is missing (migrate the database again)")

    def set_device(self, device_id: str | None) -> None:
        if self.conn.execute(sync_sql.CONTROL_EXISTS).fetchone() is None:
            raise SyncError("this SQLite database has no sync tables (no sync control table)")
        self.conn.execute(
            f'INSERT INTO {quoted_name(CONTROL_TABLE)} ("id", {quoted_name(DEVICE_ID)}) VALUES (1, ?) '
            f'ON CONFLICT ("id") DO UPDATE SET {quoted_name(DEVICE_ID)} = excluded.{quoted_name(DEVICE_ID)}',
            (device_id,),
        )


def _load_json(ctype: ColumnType, parse_float: Callable[[str], Any], value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value, parse_float=parse_float)
    except ValueError:
        raise SyncError(f"a stored {ctype.describe()} value is not JSON: {value[:60]!r}") from None


def _column_type(declared: str) -> ColumnType:
    try:
        return column_type_from_declared(declared)
    except SchemaError:  # a spelling mizzle cannot read: its values travel as text
        return ColumnType(kind=TypeKind.TEXT)


def _columns(info: TableInfo) -> str:
    return ", ".join(quoted_name(c.name) for c in info.columns)


def _pk_match(info: TableInfo) -> str:
    return " AND ".join(f"{quoted_name(c)} = ?" for c in info.primary_key)


def _where(since: Since, *, seq: str, time: str) -> tuple[str, list[object]]:
    """The condition (and its parameters) of a pull: by cursor, version, time, or all."""
    if since.seq is not None:
        return f"{seq} >= ?", [since.seq]
    if since.version is not None:
        return f"{quoted_name(SYNC_VERSION)} > ?", [since.version]
    if since.time is not None:
        # Stored times have whole milliseconds, so cutting the cursor's microseconds keeps
        # `>` exact: .123 is not after .123456, nor after .123
        moment = since.time.replace(microsecond=since.time.microsecond // 1000 * 1000)
        return f"{time} > ?", [wire.timestamptz_text(moment)]
    return "1", []


def _json_array(values: Any, element: ColumnType) -> str:
    """A wire array as the JSON text SQLite stores (`["a","b"]`, `[1,2.50]`, `[true,null]`)."""
    return "[" + ",".join(_json_item(v, element) for v in values) + "]"


def _json_item(value: Any, element: ColumnType) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return _json_array(value, element)
    if isinstance(value, bool):
        return "true" if value else "false"
    if element.kind in JSON_KINDS:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if element.kind is TypeKind.BYTES:
        return json.dumps(base64.b64encode(value).decode("ascii"))
    if element.kind in NUMBER_KINDS and not (isinstance(value, str) and not _is_finite_number(value)):
        return str(value) if element.kind is TypeKind.NUMERIC else json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


def _is_finite_number(text: str) -> bool:
    return text not in ("NaN", "Infinity", "-Infinity")


def sync_database(conn: SqliteConnection) -> SqliteSyncDb:
    return SqliteSyncDb(conn)


#: the change-reading queries, as this driver writes parameters and names
