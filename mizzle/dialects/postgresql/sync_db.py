"""The sync API's adapter for PostgreSQL (psycopg 3): `mizzle.core.sync.api.SyncDatabase`.

psycopg gives most values in a form `wire.canonical` reads (UUID, aware datetime, Decimal,
parsed JSON, lists), so there is nothing to decode, except for types it does not know: enum
and custom columns are selected as text (`::text`, `::text[]`; an enum array would otherwise
arrive as the literal `{a,b}`). Every parameter written is cast to its column's type
(`%s::uuid`, `%s::numeric(10,2)`, `%s::jsonb[]`), so that wire text and lists of text reach
the server as the column's type whatever psycopg would have inferred.

Transactions are psycopg's `Connection.transaction()`: BEGIN/COMMIT on an idle connection, a
savepoint inside an open transaction (whose COMMIT stays the caller's). Rows a remote change
touches are read FOR UPDATE, so two clients pushing the same row are applied one after the
other, each against the row the other left.

This module is imported only for a psycopg connection (`mizzle.sync` picks it), so importing
psycopg here costs nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg

from mizzle.core.errors import SchemaError
from mizzle.core.quoting import quoted_name
from mizzle.core.sync.api import SyncError
from mizzle.core.sync.database import Since, SyncColumn, TableInfo
from mizzle.core.sync.names import DEVICE_SETTING, LAST_MODIFIED_AT, SYNC_SEQ, SYNC_VERSION, TOMBSTONES
from mizzle.core.types import JSON_KINDS, ColumnType, TypeKind
from mizzle.dialects.postgresql import sync_sql
from mizzle.dialects.postgresql.errors import server_message
from mizzle.dialects.postgresql.types import column_type_from_pg

#: One catalog query: each column's name, type as PostgreSQL spells it and place in the
#: primary key, and how many of the table's sync triggers exist.
_TABLE_INFO = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), array_position(pk.indkey::int2[], a.attnum),
       (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = ANY (%(triggers)s))
FROM pg_class c
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_index pk ON pk.indrelid = c.oid AND pk.indisprimary
WHERE c.oid = to_regclass(%(table)s) AND c.relkind IN ('r', 'p')
ORDER BY a.attnum
"""

#: The pull cursor: every transaction not finished at this snapshot (whether it has written
#: yet or not: one that has no id yet gets a later one) has an id at or above its xmin.
#: Read-only transactions have no id and hold nothing back.
_CURSOR_FLOOR = "SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint"

_UNKNOWN_TO_PSYCOPG = frozenset({TypeKind.ENUM, TypeKind.CUSTOM})

#: parameters per multi-row insert (PostgreSQL's limit is 65,535)
_MAX_PARAMS = 60_000


def _q(name: str) -> str:
    # `%` doubled: the text is a psycopg query, where a lone `%` starts a placeholder
    return quoted_name(name).replace("%", "%%")


class PostgresSyncDb:
    """A psycopg connection as the sync API uses it."""

    cursor_kind = "xid"

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    @contextmanager
    def transaction(self, failure: str, *, write: bool) -> Iterator[None]:
        try:
            with self.conn.transaction():
                yield
        except psycopg.Error as err:
            raise SyncError(f"{failure}: {_message(err)}") from None
        except (OverflowError, UnicodeError) as err:  # a value psycopg cannot send
            raise SyncError(f"{failure}: {type(err).__name__}: {err}") from None

    # --- the catalog ------------------------------------------------------------------------

    def table_info(self, table: str) -> TableInfo | None:
        quoted = '"' + table.replace('"', '""') + '"'
        params = {"table": quoted, "triggers": list(sync_sql.trigger_names(table))}
        rows = self.conn.execute(_TABLE_INFO, params).fetchall()
        if not rows:
            return None
        columns = tuple(
            SyncColumn(str(name), _column_type(str(spelled)), str(spelled))
            for name, spelled, *_ in rows
            if name != SYNC_SEQ
        )
        keyed = sorted((r for r in rows if r[2] is not None), key=lambda r: int(r[2]))
        return TableInfo(
            name=table,
            columns=columns,
            primary_key=tuple(str(r[0]) for r in keyed),
            has_triggers=int(rows[0][3]) == len(sync_sql.trigger_names(table)),
            has_seq=len(columns) < len(rows),
        )

    # --- values -------------------------------------------------------------------------------

    def decoder(self, ctype: ColumnType) -> Callable[[Any], Any] | None:
        return None  # enum and custom columns are selected as text (`select_list`)

    def encode(self, value: Any, ctype: ColumnType) -> Any:
        if value is None:
            return None
        if ctype.kind in JSON_KINDS:
            return _json_param(value, ctype.array_dims)
        return value

    # --- reading -------------------------------------------------------------------------------

    def rows_query(self, info: TableInfo, since: Since) -> tuple[str, list[object]]:
        """The changes query: by cursor it reads through the index on sync_seq."""
        where, params = _where(since, seq=_q(SYNC_SEQ), time=_q(LAST_MODIFIED_AT))
        order = ", ".join(_q(c) for c in (LAST_MODIFIED_AT, *info.primary_key))
        return f"SELECT {select_list(info)} FROM {_q(info.name)} WHERE {where} ORDER BY {order}", params

    def select_rows(self, info: TableInfo, since: Since) -> list[tuple[Any, ...]]:
        query, params = self.rows_query(info, since)
        return self.conn.execute(query, params).fetchall()

    def select_tombstones(self, info: TableInfo, since: Since) -> list[tuple[str, int, Any, str | None]]:
        where, params = _where(since, seq=_q(SYNC_SEQ), time='"deleted_at"')
        query = (
            f'SELECT "pk", "sync_version", "deleted_at", "device_id" FROM {_q(TOMBSTONES)} '
            f'WHERE "table_name" = %s AND {where} ORDER BY "deleted_at", "pk", "id"'
        )
        return self.conn.execute(query, [info.name, *params]).fetchall()

    def cursor_floor(self) -> int:
        row = self.conn.execute(_CURSOR_FLOOR).fetchone()
        assert row is not None
        return int(row[0])

    def lock_rows(self, info: TableInfo, pks: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        if not pks:
            return []
        key = ", ".join(_q(c) for c in info.primary_key)
        one = "(" + ", ".join(f"%s::{_column(info, c).sql_type}" for c in info.primary_key) + ")"
        query = (
            f"SELECT {select_list(info)} FROM {_q(info.name)} "
            f"WHERE ({key}) IN (VALUES {', '.join([one] * len(pks))}) FOR UPDATE"
        )
        return self.conn.execute(query, [v for pk in pks for v in pk]).fetchall()

    # --- writing -------------------------------------------------------------------------------

    def insert(self, info: TableInfo, values: Mapping[str, Any], *, stamp_now: bool) -> bool:
        given = {k: v for k, v in values.items() if not (stamp_now and k == LAST_MODIFIED_AT)}
        names = [_q(k) for k in given] + ([_q(LAST_MODIFIED_AT)] if stamp_now else [])
        slots = [f"%s::{_column(info, k).sql_type}" for k in given] + (["now()"] if stamp_now else [])
        # ON CONFLICT on the key: a row of this key another transaction committed since the
        # rows were read is a False here (the API compares with it), not a failed batch
        query = (
            f"INSERT INTO {_q(info.name)} ({', '.join(names)}) VALUES ({', '.join(slots)}) "
            f"ON CONFLICT ({', '.join(_q(c) for c in info.primary_key)}) DO NOTHING RETURNING true"
        )
        return self.conn.execute(query, list(given.values())).fetchone() is not None

    def insert_many(self, info: TableInfo, rows: Sequence[Mapping[str, Any]], *, stamp_now: bool) -> int:
        if not rows:
            return 0
        given = [k for k in rows[0] if not (stamp_now and k == LAST_MODIFIED_AT)]
        names = [_q(k) for k in given] + ([_q(LAST_MODIFIED_AT)] if stamp_now else [])
        one = (
            "("
            + ", ".join([f"%s::{_column(info, k).sql_type}" for k in given] + (["now()"] if stamp_now else []))
            + ")"
        )
        key = ", ".join(_q(c) for c in info.primary_key)
        inserted = 0
        # PostgreSQL takes at most 65,535 parameters a statement
        chunk = max(1, _MAX_PARAMS // max(1, len(given)))
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            query = (
                f"INSERT INTO {_q(info.name)} ({', '.join(names)}) VALUES {', '.join([one] * len(part))} "
                f"ON CONFLICT ({key}) DO NOTHING RETURNING true"
            )
            inserted += len(self.conn.execute(query, [row[k] for row in part for k in given]).fetchall())
        return inserted

    def update(self, info: TableInfo, pk: tuple[Any, ...], values: Mapping[str, Any], *, stamp_now: bool) -> None:
        given = {k: v for k, v in values.items() if not (stamp_now and k == LAST_MODIFIED_AT)}
        sets = [f"{_q(k)} = %s::{_column(info, k).sql_type}" for k in given]
        sets += [f"{_q(LAST_MODIFIED_AT)} = now()"] if stamp_now else []
        query = f"UPDATE {_q(info.name)} SET {', '.join(sets)} WHERE {_pk_match(info)}"
        self.conn.execute(query, [*given.values(), *pk])

    def update_many(
        self, info: TableInfo, rows: Sequence[tuple[tuple[Any, ...], Mapping[str, Any]]], *, stamp_now: bool
    ) -> None:
        """One `UPDATE ... FROM (VALUES ...)` per chunk under the parameter limit: the rows'
        keys are distinct (the API sends a key that comes twice one statement at a time)."""
        if not rows:
            return
        given = [k for k in rows[0][1] if not (stamp_now and k == LAST_MODIFIED_AT)]
        names = [*info.primary_key, *given]
        # v.c<i>: the VALUES list's columns, typed by the first row's casts
        alias = {name: f"c{i}" for i, name in enumerate(names)}
        one = "(" + ", ".join(f"%s::{_column(info, n).sql_type}" for n in names) + ")"
        sets = [f"{_q(k)} = v.{alias[k]}" for k in given]
        sets += [f"{_q(LAST_MODIFIED_AT)} = now()"] if stamp_now else []
        match = " AND ".join(f"t.{_q(c)} = v.{alias[c]}" for c in info.primary_key)
        chunk = max(1, _MAX_PARAMS // len(names))
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            query = (
                f"UPDATE {_q(info.name)} AS t SET {', '.join(sets)} "
                f"FROM (VALUES {', '.join([one] * len(part))}) AS v({', '.join(alias.values())}) WHERE {match}"
            )
            self.conn.execute(query, [v for pk, values in part for v in (*pk, *(values[k] for k in given))])

    def delete(self, info: TableInfo, pk: tuple[Any, ...]) -> str | None:
        # jsonb_build_array of the key is what the delete trigger's jsonb_agg writes
        key = ", ".join(_q(c) for c in info.primary_key)
        query = f"DELETE FROM {_q(info.name)} WHERE {_pk_match(info)} RETURNING jsonb_build_array({key})::text"
        row = self.conn.execute(query, list(pk)).fetchone()
        return None if row is None else str(row[0])

    def record_tombstone(self, table: str, pk_json: str, sync_version: int, device_id: str | None) -> None:
        self.conn.execute(
            f'INSERT INTO {_q(TOMBSTONES)} ("table_name", "pk", "sync_version", "device_id") VALUES (%s, %s, %s, %s)',
            (table, pk_json, sync_version, device_id),
        )

    # --- the switch and the device -------------------------------------------------------------

    def set_tracking(self, on: bool) -> None:
        self.conn.execute(sync_sql.TRACKING_ON if on else sync_sql.TRACKING_OFF)

    def set_device(self, device_id: str | None) -> None:
        # session-wide (is_local false); '' is no device, as the triggers' nullif reads it
        self.conn.execute("SELECT set_config(%s, %s, false)", (DEVICE_SETTING, device_id or ""))


def _column_type(spelled: str) -> ColumnType:
    try:
        return column_type_from_pg(spelled)
    except SchemaError:  # a spelling the parser does not know: its values travel as text
        return ColumnType(kind=TypeKind.CUSTOM, name=spelled)


def _column(info: TableInfo, name: str) -> SyncColumn:
    column = info.column(name)
    assert column is not None, name
    return column


def select_list(info: TableInfo) -> str:
    """Every column of `info`, in order, as the sync API reads them (enum and custom as text)."""
    items = []
    for c in info.columns:
        if c.type.kind in _UNKNOWN_TO_PSYCOPG:
            items.append(f"{_q(c.name)}::text{'[]' if c.type.array_dims else ''} AS {_q(c.name)}")
        else:
            items.append(_q(c.name))
    return ", ".join(items)


def _pk_match(info: TableInfo) -> str:
    return " AND ".join(f"{_q(c)} = %s::{_column(info, c).sql_type}" for c in info.primary_key)


def _where(since: Since, *, seq: str, time: str) -> tuple[str, list[object]]:
    """The condition (and its parameters) of a pull: by cursor, version, time, or all."""
    if since.seq is not None:
        return f"{seq} >= %s", [since.seq]
    if since.version is not None:
        return f"{_q(SYNC_VERSION)} > %s", [since.version]
    if since.time is not None:
        return f"{time} > %s::timestamptz", [since.time]
    return "true", []


def _json_param(value: Any, dims: int) -> Any:
    """JSON as text for a `::jsonb` cast (a Python str would otherwise be taken as JSON text
    itself); in arrays, each element so."""
    if dims:
        # a nested list below the declared dimensions is more of the array (see wire.canonical)
        return [None if v is None else _json_param(v, dims - 1 or isinstance(v, list)) for v in value]
    return json.dumps(value, ensure_ascii=False)


def _message(err: psycopg.Error) -> str:
    return server_message(err)


def sync_database(conn: psycopg.Connection[Any]) -> PostgresSyncDb:
    return PostgresSyncDb(conn)


#: the change-reading queries, as this driver writes parameters and names
