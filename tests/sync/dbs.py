"""One handle over a real SQLite or PostgreSQL connection, so that a test can run the same
sequence of statements on both and compare what each database did.

SQL is written with `?` placeholders (SQLite's); the PostgreSQL handle turns them into `%s`.
Each `run` is its own committed statement unless the caller opened a transaction with
`begin`, as an application would.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import psycopg

from mizzle.core.model import Schema
from mizzle.dialects.postgresql import render as pg_render
from mizzle.dialects.postgresql.connect import apply as pg_apply
from mizzle.dialects.sqlite import render as sqlite_render
from mizzle.dialects.sqlite.connect import apply as sqlite_apply

Conn = sqlite3.Connection | psycopg.Connection[Any]


@dataclass
class Db:
    dialect: str
    conn: Conn
    #: a transaction the test opened with `begin` (statements then wait for its COMMIT)
    _open: bool = False

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.dialect == "postgresql" else sql

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(self._sql(sql), params).fetchall())

    def run(self, sql: str, params: tuple[Any, ...] = ()) -> None:
        self.conn.execute(self._sql(sql), params)
        if isinstance(self.conn, sqlite3.Connection) and self.conn.isolation_level is not None and not self._open:
            self.conn.commit()  # Python's default mode began a transaction behind the statement

    def begin(self) -> None:
        self.conn.execute("BEGIN")
        self._open = True

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self._open = False

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")
        self._open = False

    def tracking_is_on(self) -> bool:
        """Whether the sync triggers record changes now (the switch is off only while a sync
        applies remote changes)."""
        if self.dialect == "postgresql":
            [(setting,)] = self.query("SELECT current_setting('mizzle.applying_remote', true)")
            return bool(setting != "on")
        [(applying,)] = self.query('SELECT "applying_remote" FROM "__mizzle_sync_control"')
        return bool(applying == 0)


def create(db: Db, schema: Schema) -> None:
    """The schema, as each dialect's renderer writes it (sync triggers included)."""
    if isinstance(db.conn, sqlite3.Connection):
        sqlite_apply(db.conn, sqlite_render.render_schema(schema))
    else:
        pg_apply(db.conn, pg_render.render_schema(schema))


def sqlite_db(path: str, *, autocommit: bool = True) -> Db:
    """A SQLite file opened as an application would: foreign keys on; autocommit mode, or
    Python's default mode that opens transactions by itself."""
    conn = sqlite3.connect(path, isolation_level=None if autocommit else "DEFERRED")
    conn.execute("PRAGMA foreign_keys = ON")
    return Db("sqlite", conn)


def pg_db(url: str) -> Db:
    return Db("postgresql", psycopg.connect(url, autocommit=True))
