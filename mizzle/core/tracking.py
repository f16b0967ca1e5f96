"""What the migration runner needs from a database: the `MigrationDatabase` protocol that
each dialect's adapter implements (`mizzle.dialects.<d>.migration_db`), and the tracking table's
rows.

The tracking table `__mizzle_migrations` has one row per applied migration: id (in the
order applied), name (unique), checksum (sha256 of the up file), applied_at (ISO-8601 UTC,
`...Z`), duration_ms, down_checksum (sha256 of the down file as it was when the migration
was applied; NULL when it had none, or when it was applied before mizzle recorded it: the
column is added to an older tracking table in place by `ensure_tracking`).

The progress table `__mizzle_progress` exists only once a migration with no-transaction
statements has run: while such a migration (or its rollback) is between its parts, one row
says how many parts have committed, so that a run interrupted there (a crash, kill -9)
resumes from the next part instead of running the committed ones again. Standard library
only: the browser runtime implements this protocol over a JS SQLite database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, cast

from mizzle.core.errors import MizzleError

TRACKING_TABLE = "__mizzle_migrations"
PROGRESS_TABLE = "__mizzle_progress"


class DatabaseError(MizzleError):
    """A statement failed; `str(err)` is the database's own one-line message. Adapters turn
    their driver's exceptions into this, so the runner never imports a driver. `position`:
    where in the executed text the database located the error (a 0-based character offset),
    when it says, so the runner can quote the failing line of a multi-statement script."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


@dataclass(frozen=True)
class AppliedMigration:
    id: int
    name: str
    checksum: str
    applied_at: str
    duration_ms: int
    #: sha256 of the down file when applied; None: it had none, or applied before this was recorded
    down_checksum: str | None = None


@dataclass(frozen=True)
class Progress:
    """How far an interrupted migration (or rollback, `direction` "down") got: `parts` of its
    parts (split by no-transaction statements) committed; `fingerprint` identifies the file
    that ran, so a run resumes only the same file."""

    name: str
    direction: str
    fingerprint: str
    parts: int


@dataclass(frozen=True)
class BrokenForeignKeys:
    """Rows of `table` whose foreign key points at no row of `parent` (SQLite's foreign_key_check)."""

    table: str
    parent: str
    rows: int


def utc_now() -> str:
    """Now as the tracking table writes it: `2026-11-21T14:30:05.123Z` (sorts like time)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class MigrationDatabase(Protocol):
    """A connection the runner drives. Every method raises `DatabaseError` on failure."""

    #: "postgresql" or "sqlite": which file of a migration runs here
    dialect: str

    def execute(self, sql: str) -> None:
        """Run `sql` as written (no parameters, so `%` and `?` are plain text)."""
        ...

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """Rows of a query; `params` use the driver's own placeholders."""
        ...

    def begin(self) -> None:
        """Open a transaction (SQLite: BEGIN IMMEDIATE, waiting for other writers)."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None:
        """Roll back the open transaction, if any (a no-op otherwise)."""
        ...

    def lock(self) -> None:
        """Take the database's write lock, waiting for another process's command to finish:
        every command that changes the database (migrate, rollback, push) holds it from before
        it reads what to do until it is done. Re-entrant: locking twice needs two unlocks.
        PostgreSQL: a session advisory lock; SQLite: a lock file beside the database; a
        database in a browser tab: nothing (mizzle.js holds a Web Lock)."""
        ...

    def unlock(self) -> None: ...

    def ensure_tracking(self) -> None:
        """Create the tracking table if it does not exist."""
        ...

    def applied(self) -> list[AppliedMigration]:
        """Tracking rows in the order applied; empty when the table does not exist."""
        ...

    def record(self, name: str, checksum: str, duration_ms: int, down_checksum: str | None = None) -> None: ...

    def unrecord(self, name: str) -> None: ...

    def progress(self, name: str) -> Progress | None:
        """The progress row of `name`; None when there is none (or no progress table)."""
        ...

    def save_progress(self, progress: Progress) -> None:
        """Write (or replace) a progress row, creating the table if needed: called inside the
        transaction of the part it records, so both commit together."""
        ...

    def clear_progress(self, name: str) -> None:
        """Remove the progress row of `name`, if any (in the migration's last transaction)."""
        ...

    def foreign_keys(self, on: bool) -> None:
        """SQLite: `PRAGMA foreign_keys` (called outside a transaction); elsewhere a no-op."""
        ...

    def foreign_key_violations(self) -> list[BrokenForeignKeys]:
        """SQLite: what `PRAGMA foreign_key_check` finds (run before COMMIT); elsewhere empty."""
        ...

    def split_script(self, sql: str) -> list[str]:
        """The statements to execute one by one for a chunk of a file that has no
        breakpoints (SQLite runs one statement per call; PostgreSQL takes the whole text)."""
        ...

    def execute_together(self, statements: Sequence[str]) -> bool:
        """Run `statements` (each as `execute` would) inside the open transaction in one
        exchange with the server, where that saves round trips: True when all of them ran;
        False when none did, the transaction as it was before (one failed and was undone,
        or the database runs them one by one anyway): the caller then runs them one by one,
        which names the one that fails."""
        ...


class TrackedRows:
    """The tracking table's rows and the progress rows, read and written by the same SQL on
    every database: an adapter inherits these and says how its driver writes a parameter
    (`PARAM`), runs a statement (`_run`), finds a table (`_exists`, by its plain name) and
    whether the tracking table has its `down_checksum` column yet."""

    PARAM = "?"
    #: the progress table's DDL, in the database's type names
    CREATE_PROGRESS = ""

    def execute_together(self, statements: Sequence[str]) -> bool:
        """Nothing batched: one call per statement costs no round trip in-process (SQLite)."""
        return False

    def _run(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        raise NotImplementedError

    def _exists(self, table: str) -> bool:
        raise NotImplementedError

    def _has_down_checksum(self) -> bool:
        raise NotImplementedError

    def applied(self) -> list[AppliedMigration]:
        if not self._exists(TRACKING_TABLE):
            return []
        # an older tracking table has no down_checksum column until the next migrate adds it
        down = "down_checksum" if self._has_down_checksum() else "NULL"
        rows = self._run(f"SELECT id, name, checksum, applied_at, duration_ms, {down} FROM {_TABLE} ORDER BY id")
        return [AppliedMigration(*cast(tuple[int, str, str, str, int, str | None], row)) for row in rows]

    def record(self, name: str, checksum: str, duration_ms: int, down_checksum: str | None = None) -> None:
        p = self.PARAM
        self._run(
            f"INSERT INTO {_TABLE} (name, checksum, applied_at, duration_ms, down_checksum) "
            f"VALUES ({p}, {p}, {p}, {p}, {p})",
            (name, checksum, utc_now(), duration_ms, down_checksum),
        )

    def unrecord(self, name: str) -> None:
        self._run(f"DELETE FROM {_TABLE} WHERE name = {self.PARAM}", (name,))

    def progress(self, name: str) -> Progress | None:
        if not self._exists(PROGRESS_TABLE):
            return None
        query = f"SELECT name, direction, fingerprint, parts FROM {_PROGRESS} WHERE name = {self.PARAM}"
        rows = self._run(query, (name,))
        return Progress(*cast(tuple[str, str, str, int], rows[0])) if rows else None

    def save_progress(self, progress: Progress) -> None:
        p = self.PARAM
        self._run(self.CREATE_PROGRESS)
        self._run(
            f"INSERT INTO {_PROGRESS} (name, direction, fingerprint, parts) VALUES ({p}, {p}, {p}, {p}) "
            "ON CONFLICT (name) DO UPDATE SET direction = excluded.direction, "
            "fingerprint = excluded.fingerprint, parts = excluded.parts",
            (progress.name, progress.direction, progress.fingerprint, progress.parts),
        )

    def clear_progress(self, name: str) -> None:
        if self._exists(PROGRESS_TABLE):
            self._run(f"DELETE FROM {_PROGRESS} WHERE name = {self.PARAM}", (name,))


_TABLE = f'"{TRACKING_TABLE}"'
_PROGRESS = f'"{PROGRESS_TABLE}"'
