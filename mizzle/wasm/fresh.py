"""A new database in one script: the head schema instead of replaying every migration.

A database with nothing in it (a new user's first start) does not need the schema's history:
the bundle carries the schema the last migration leaves (`manifest.json`'s `fresh`: the CREATE
statements as SQLite stores them after the replay, in the order it stored them, and the rows
mizzle's own sync tables hold then), checked at bundle time to give exactly what the replay
gives (`fresh_build.py`). Replaying costs a full re-read of the schema by SQLite for every
ALTER TABLE and table rebuild (on a 200-table schema, thousands of CREATE statements parsed
again), which this script never does.

What the database holds afterwards is what `migrate_atomically` would leave: the same
objects in the same order, the same tracking rows (names, checksums, down checksums, in
order; `applied_at` now; each row's `duration_ms` its share of the script's time), all in
one transaction under the same write lock, with sync change tracking handled by the
adapter's `begin`/`commit` as for any migration. A database that holds anything at all
(even only the tracking table) is not new: `apply_fresh` returns None and the caller
replays.

Standard library only (runs in Pyodide).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import suppress

from mizzle.core.errors import MizzleError
from mizzle.core.runner import down_checksum, write_lock
from mizzle.core.tracking import DatabaseError, MigrationDatabase
from mizzle.wasm.manifest import BundledMigration, FreshScript

#: a new database: SQLite's catalog is empty (not even the tracking table)
_EMPTY = "SELECT count(*) FROM sqlite_master"


def apply_fresh(
    db: MigrationDatabase,
    script: FreshScript,
    migrations: Sequence[BundledMigration],
    on_applied: Callable[[str, int], None] | None = None,
) -> list[str] | None:
    """Give the new database `db` the head schema and every migration's tracking row, in one
    transaction: the names applied; None (nothing done) when `db` is not empty."""
    with write_lock(db):  # what is in the database is read inside it, as the runner does
        try:
            db.begin()
        except DatabaseError as err:
            raise MizzleError(f"the upgrade could not start: {err}") from None
        try:
            [(count,)] = db.query(_EMPTY)
            if count != 0:
                db.rollback()
                return None
            started = time.perf_counter()
            db.ensure_tracking()  # first, as the runner creates it before any migration
            for sql in script.statements:
                db.execute(sql)
            share = round((time.perf_counter() - started) * 1000 / max(len(migrations), 1))
            for m in migrations:
                db.record(m.name, m.checksum("sqlite"), share, down_checksum(m, "sqlite"))
            db.commit()
        except DatabaseError as err:
            _quiet_rollback(db)
            raise MizzleError(f"the upgrade failed, nothing of it was applied: {err}") from None
        except BaseException:
            _quiet_rollback(db)
            raise
    if on_applied is not None:
        for m in migrations:
            on_applied(m.name, share)
    return [m.name for m in migrations]


def _quiet_rollback(db: MigrationDatabase) -> None:
    with suppress(DatabaseError):  # a second failure must not hide the first
        db.rollback()
