"""The sync server's own tables in the PostgreSQL database it serves, and the migration head.

- `__mizzle_sync_batches (user_id, batch_id, device_id, results, created_at)`: one row per push, so that
  a retried request (the same batch id from the same user) gets the first answer again and
  applies nothing twice. Its row is inserted first in the push's transaction: a retry that
  arrives while the first is still running waits for it on the primary key.
- `__mizzle_sync_deleted (table_name, pk, owner)`: who deleted a row of an owned table
  through the server, so that the tombstone goes only to that user's devices (a tombstone
  has no row left to ask the rule of).

Both are created on the server's first request (`ensure`), under an advisory lock so two
processes starting at once do not race; names with the `__mizzle_` prefix are mizzle's
bookkeeping, which introspection and drift leave out.
"""

from __future__ import annotations

import json
from typing import Any

import psycopg

from mizzle.core.tracking import TRACKING_TABLE

BATCHES = "__mizzle_sync_batches"
DELETED = "__mizzle_sync_deleted"
#: the advisory lock taken while the tables are created ("mizzle-sync" in ASCII, truncated)
_LOCK = 0x6D697A7A6C6573

_CREATE = f"""
CREATE TABLE IF NOT EXISTS "{BATCHES}" (
    "user_id" text NOT NULL,
    "batch_id" text NOT NULL,
    "device_id" text,
    "results" jsonb,
    "created_at" timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY ("user_id", "batch_id")
);
CREATE TABLE IF NOT EXISTS "{DELETED}" (
    "table_name" text NOT NULL,
    "pk" text NOT NULL,
    "owner" text NOT NULL,
    PRIMARY KEY ("table_name", "pk")
)
"""


def ensure(conn: psycopg.Connection[Any]) -> None:
    """The server's tables, created when missing (idempotent, safe from several processes)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        for statement in _CREATE.split(";"):
            conn.execute(statement)


def claim_batch(conn: psycopg.Connection[Any], user: str, batch: str, device: str | None) -> dict[str, Any] | None:
    """Record a new batch and return None, or, for a batch seen before, its results (waits
    for a first run of it that is still in progress)."""
    inserted = conn.execute(
        f'INSERT INTO "{BATCHES}" ("user_id", "batch_id", "device_id") VALUES (%s, %s, %s) '
        "ON CONFLICT DO NOTHING RETURNING true",
        (user, batch, device),
    ).fetchone()
    if inserted is not None:
        return None
    row = conn.execute(
        f'SELECT "results" FROM "{BATCHES}" WHERE "user_id" = %s AND "batch_id" = %s', (user, batch)
    ).fetchone()
    assert row is not None
    return dict(row[0] or {})


def record_batch(conn: psycopg.Connection[Any], user: str, batch: str, results: dict[str, Any]) -> None:
    conn.execute(
        f'UPDATE "{BATCHES}" SET "results" = %s::jsonb WHERE "user_id" = %s AND "batch_id" = %s',
        (json.dumps(results), user, batch),
    )


def migration_heads(conn: psycopg.Connection[Any]) -> list[str]:
    """The migrations applied to the database, oldest first ([] when it has none)."""
    with conn.transaction():
        if conn.execute("SELECT to_regclass(%s)", (f'"{TRACKING_TABLE}"',)).fetchone() == (None,):
            return []
        return [str(r[0]) for r in conn.execute(f'SELECT "name" FROM "{TRACKING_TABLE}" ORDER BY "id"')]
