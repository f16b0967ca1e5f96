"""The migration runner's adapter for SQLite (the standard library's sqlite3).

The connection must be in autocommit mode (`isolation_level=None`, as `connect` opens it):
the runner issues BEGIN IMMEDIATE / COMMIT itself, and sets `PRAGMA foreign_keys` between
transactions, where SQLite honours it. `lock` takes the database's write lock for a whole
command (a lock file beside the database, `mizzle.dialects.sqlite.lock`), so concurrent
migrate, rollback and push runs queue there (for up to `busy_timeout` seconds) and each
decides what to do only once it holds it. BEGIN IMMEDIATE takes SQLite's own write lock at
once, so a transaction waits for the app's writers instead of failing midway. Every
transaction runs with sync change tracking off (`sync_sql.TRACKING_OFF`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from mizzle.core.errors import MizzleError
from mizzle.core.tracking import (
    PROGRESS_TABLE,
    TRACKING_TABLE,
    BrokenForeignKeys,
    DatabaseError,
    TrackedRows,
)
from mizzle.dialects.sqlite import sync_sql
from mizzle.dialects.sqlite.lock import FileLock, lock_path

#: how long a command waits for another process: for its write lock (another mizzle command),
#: and for SQLite's locks (a writer's transaction, a reader's BEGIN EXCLUSIVE)
BUSY_TIMEOUT_S = 30.0

_TABLE = f'"{TRACKING_TABLE}"'
_CREATE_TRACKING = f"""CREATE TABLE IF NOT EXISTS {_TABLE} (
  "id" INTEGER PRIMARY KEY,
  "name" TEXT NOT NULL UNIQUE,
  "checksum" TEXT NOT NULL,
  "applied_at" TEXT NOT NULL,
  "duration_ms" INTEGER NOT NULL,
  "down_checksum" TEXT
)"""
_PROGRESS = f'"{PROGRESS_TABLE}"'
_CREATE_PROGRESS = f"""CREATE TABLE IF NOT EXISTS {_PROGRESS} (
  "name" TEXT PRIMARY KEY,
  "direction" TEXT NOT NULL,
  "fingerprint" TEXT NOT NULL,
  "parts" INTEGER NOT NULL
)"""


class SqliteMigrationDatabase(TrackedRows):
    PARAM = "?"
    CREATE_PROGRESS = _CREATE_PROGRESS
    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection, busy_timeout: float = BUSY_TIMEOUT_S) -> None:
        if conn.in_transaction:
            raise MizzleError("cannot migrate over a SQLite connection with an open transaction")
        conn.isolation_level = None  # autocommit: only the runner's own BEGIN opens a transaction
        self.conn = conn
        self.busy_timeout = busy_timeout
        self._lock: FileLock | None = None
        self._lock_depth = 0
        self._run(f"PRAGMA busy_timeout = {round(busy_timeout * 1000)}")

    def _run(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        try:
            return self.conn.execute(sql, tuple(params)).fetchall()
        except sqlite3.Error as err:
            raise DatabaseError(str(err)) from None

    def execute(self, sql: str) -> None:
        self._run(sql)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self._run(sql, params)

    def begin(self) -> None:
        """BEGIN IMMEDIATE, with sync change tracking off for the transaction (where the
        database has sync tables): a migration is not a user's change."""
        self._run("BEGIN IMMEDIATE")
        if self._run(sync_sql.CONTROL_EXISTS):
            self._run(sync_sql.TRACKING_OFF)

    def commit(self) -> None:
        # Tracking back on before COMMIT, so that no other connection ever sees it off (the
        # migration may also have created the control table, or dropped it).
        if self._run(sync_sql.CONTROL_EXISTS):
            self._run(sync_sql.TRACKING_ON)
        self._run("COMMIT")

    def rollback(self) -> None:
        if self.conn.in_transaction:
            self._run("ROLLBACK")

    def lock(self) -> None:
        """Take the lock file of the database (re-entrant: a command inside another's lock
        holds it once). An in-memory or temporary database has no file, and no other process
        can reach it: nothing to lock."""
        if self._lock_depth == 0:
            rows = self._run("SELECT file FROM pragma_database_list WHERE name = 'main'")
            path = str(rows[0][0]) if rows and rows[0][0] else ""
            if path:
                held = FileLock(lock_path(path), self.busy_timeout)
                held.acquire()
                self._lock = held
        self._lock_depth += 1

    def unlock(self) -> None:
        if self._lock_depth == 0:
            return
        self._lock_depth -= 1
        if self._lock_depth == 0 and self._lock is not None:
            self._lock.release()
            self._lock = None

    def ensure_tracking(self) -> None:
        self._run(_CREATE_TRACKING)
        if not self._has_down_checksum():
            # A tracking table from before down checksums: add the column in place. SQLite has
            # no run lock, so another process may add it first: that is as good.
            try:
                self._run(f'ALTER TABLE {_TABLE} ADD COLUMN "down_checksum" TEXT')
            except DatabaseError:
                if not self._has_down_checksum():
                    raise

    def _has_down_checksum(self) -> bool:
        return any(row[1] == "down_checksum" for row in self._run(f"PRAGMA table_info({_TABLE})"))

    def _exists(self, table: str) -> bool:
        return bool(self._run("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)))

    def foreign_keys(self, on: bool) -> None:
        self._run(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")

    def foreign_key_violations(self) -> list[BrokenForeignKeys]:
        counts: dict[tuple[str, str], int] = {}
        for table, _rowid, parent, _fkid in self._run("PRAGMA foreign_key_check"):
            key = (str(table), str(parent))
            counts[key] = counts.get(key, 0) + 1
        return [BrokenForeignKeys(table=t, parent=p, rows=n) for (t, p), n in sorted(counts.items())]

    def split_script(self, sql: str) -> list[str]:
        return split_script(sql)


def split_script(sql: str) -> list[str]:
    """The statements of a script, each whole: `sqlite3.complete_statement` decides where
    one ends, so a `;` inside a string, a comment or a trigger's BEGIN...END body does not
    split it. Pieces holding only comments are dropped; a last statement may lack its `;`."""
    statements = []
    current = ""
    for piece in sql.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if _has_code(current):
                statements.append(current.strip())
            current = ""
    rest = current[:-1]  # the `;` added after the last piece
    if _has_code(rest):
        statements.append(rest.strip())
    return statements


def _has_code(sql: str) -> bool:
    """Whether `sql` holds more than comments, blank lines and semicolons."""
    for line in sql.splitlines():
        code = line.split("--", 1)[0].strip().strip(";").strip()
        if code:
            return True
    return False


def migration_database(conn: sqlite3.Connection) -> SqliteMigrationDatabase:
    return SqliteMigrationDatabase(conn)
