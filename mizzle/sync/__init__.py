"""Sync tables from Python: read a table's changes on one database, apply them on another.

    import sqlite3, psycopg
    from mizzle.sync import apply_remote, changes_since, set_device

    client = sqlite3.connect("app.db")
    server = psycopg.connect("postgresql://...")
    set_device(client, "laptop-1")

    pushed = changes_since(client, "note", push_cursor)       # local edits since the last push
    apply_remote(server, "note", pushed, relay=True)          # the server takes them
    push_cursor = pushed.cursor

    pulled = changes_since(server, "note", pull_cursor)       # everyone's edits since the last pull
    report = apply_remote(client, "note", pulled)             # report.conflicts: not applied
    pull_cursor = pulled.cursor

Each function takes a raw `sqlite3.Connection` or `psycopg.Connection` and works through the
adapter of the dialect whose driver made it (`Dialect.sync_database`, in
`mizzle/dialects/*/sync_db.py`); the rules are in
`mizzle.core.sync.api`, the value forms in `mizzle.core.sync.wire`, the whole story in
docs/sync.md. psycopg is not imported unless a psycopg connection is given.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mizzle.core.sync import api
from mizzle.core.sync.api import ApplyReport, Changes, Conflict, Rejection, SyncError, Tombstone
from mizzle.core.sync.database import SyncDatabase
from mizzle.dialects import dialect_names, get_dialect

__all__ = [
    "ApplyReport",
    "Changes",
    "Conflict",
    "Rejection",
    "SyncError",
    "Tombstone",
    "adapter",
    "apply_remote",
    "changes_since",
    "set_device",
]


def adapter(conn: Any) -> SyncDatabase:
    """The sync adapter of the dialect whose driver made `conn`; SyncError for anything else."""
    for name in dialect_names():
        dialect = get_dialect(name)
        if dialect.owns_connection(conn):
            return dialect.sync_database(conn)
    raise SyncError(f"expected a sqlite3.Connection or a psycopg.Connection, not {type(conn).__name__}")


def changes_since(conn: Any, table: str, since: datetime | str | int | None) -> Changes:
    """Rows of sync table `table` changed after `since`, and its deletes; see
    `mizzle.core.sync.api.changes_since`."""
    return api.changes_since(adapter(conn), table, since)


def apply_remote(
    conn: Any,
    table: str,
    changes: Changes | Sequence[Mapping[str, Any]],
    *,
    relay: bool = False,
    server_time: bool = True,
) -> ApplyReport:
    """Apply another database's changes to `table` in one transaction; see
    `mizzle.core.sync.api.apply_remote`."""
    return api.apply_remote(adapter(conn), table, changes, relay=relay, server_time=server_time)


def set_device(conn: Any, device_id: str | None) -> None:
    """The device this connection writes as (PostgreSQL: for the session; SQLite: for the
    database file, until set again)."""
    api.set_device(adapter(conn), device_id)
