"""Opening a SQLite database, and running DDL in one transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mizzle.core.errors import ConnectionFailed, MizzleError
from mizzle.core.urls import DatabaseURL, shown_text
from mizzle.dialects.sqlite.migration_db import BUSY_TIMEOUT_S


def file_exists(path: str) -> bool:
    """Whether a file is at `path`; ConnectionFailed, not OSError, for a path the system
    cannot even look up (a name too long, a permission denied on the way)."""
    try:
        return Path(path).exists()
    except OSError as err:
        raise ConnectionFailed(f"cannot open SQLite database at {shown_text(path)}: {err.strerror}") from None


def connect(
    url: DatabaseURL, *, create: bool = False, missing_as_empty: bool = False, busy_timeout: float = BUSY_TIMEOUT_S
) -> sqlite3.Connection:
    """Open the SQLite database at `url.sqlite_path`, with foreign keys enforced.

    Without `create`, a missing file is an error rather than a new empty database (a typo in
    a path must not look like an empty schema); with `missing_as_empty`, a missing file is
    read as an empty database in memory and not created (a dry run changes nothing).

    The connection is in autocommit mode (`isolation_level=None`): Python's sqlite3 module
    then never opens a transaction behind the caller's back, so `apply` and the migration
    runner issue BEGIN/COMMIT themselves, and can set `PRAGMA foreign_keys`, which SQLite
    ignores inside a transaction, outside one.
    A database another process holds locked (its BEGIN EXCLUSIVE, a rollback journal being
    written) is waited for up to `busy_timeout` seconds, and then named as locked, not as
    unusable.
    """
    if url.sqlite_path is None:
        raise ConnectionFailed(f"not a SQLite URL: {url}")
    path = url.sqlite_path
    # Looked up first: a path the system cannot even look up (a name too long) is named so,
    # whatever the command, rather than as SQLite's "unable to open database file".
    if path != ":memory:" and not file_exists(path) and missing_as_empty:
        path = ":memory:"
    shown = shown_text(path)  # a path can be 5,000 characters long, or hold terminal controls
    try:
        if path == ":memory:":
            target, uri = path, False
        elif create:
            if not Path(path).parent.is_dir():
                raise ConnectionFailed(
                    f"cannot create a SQLite database at {shown}: no directory {shown_text(str(Path(path).parent))}"
                )
            target, uri = path, False
        else:
            if not Path(path).is_file():
                raise ConnectionFailed(f"no SQLite database at {shown}")
            # mode=rw: never create the file, even if it disappears between the check and here
            target, uri = Path(path).resolve().as_uri() + "?mode=rw", True
    except OSError as err:  # ENAMETOOLONG, EACCES...: the path cannot even be looked up
        raise ConnectionFailed(f"cannot open SQLite database at {shown}: {err.strerror}") from None
    try:
        conn = sqlite3.connect(target, uri=uri, isolation_level=None, timeout=busy_timeout)
    except sqlite3.Error as err:
        raise ConnectionFailed(f"cannot open SQLite database at {shown}: {err}") from None
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as err:
        conn.close()
        code = getattr(err, "sqlite_errorcode", 0) & 0xFF  # the primary code of an extended one
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise ConnectionFailed(
                f"the SQLite database {shown} is locked by another process (waited {busy_timeout:g} s): {err}"
            ) from None
        raise ConnectionFailed(f"{shown} is not a usable SQLite database: {err}") from None
    return conn


def owns_connection(conn: Any) -> bool:
    return isinstance(conn, sqlite3.Connection)


def _first_line(statement: str) -> str:
    lines = statement.strip().splitlines() or [""]
    return lines[0] + (" ..." if len(lines) > 1 else "")


def apply(conn: sqlite3.Connection, statements: Sequence[str]) -> None:
    """Run `statements` in one transaction: all of them, or (on any failure) none, raising
    MizzleError with the failing statement's first line and SQLite's message."""
    try:
        conn.execute("BEGIN")
    except sqlite3.Error as err:
        raise MizzleError(f"cannot start a transaction on the SQLite database: {err}") from None
    current = "COMMIT"
    try:
        for statement in statements:
            current = statement
            conn.execute(statement)
        current = "COMMIT"
        conn.execute("COMMIT")  # deferred foreign keys are checked here, and may fail
    except sqlite3.Error as err:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise MizzleError(f"SQLite failed on `{_first_line(current)}`: {err}") from None
