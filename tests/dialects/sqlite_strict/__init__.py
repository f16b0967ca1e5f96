"""A throwaway dialect, `sqlite_strict`: SQLite under another name and URL scheme
(`sqlite-strict:///app.db`), written the way a new database would be added: this one folder,
registered by one line (`mizzle.dialects.register`). It lives in the tests and nothing in
the `mizzle` package knows of it: `tests/dialects/test_new_dialect.py` drives it through the
CLI, which is the test that the `Dialect` contract is complete.

A real dialect puts each function in the module `mizzle.dialects.CONTRACT` names and calls
`lazy_package(__name__)`; functions defined in the package itself are found first, so this
small one keeps them all here, and borrows SQLite's engine for each."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from mizzle.core.introspection import Introspected
from mizzle.core.model import Schema
from mizzle.core.operations import Operation
from mizzle.core.plan import Plan
from mizzle.core.sync.database import SyncDatabase
from mizzle.core.tracking import MigrationDatabase
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import lazy_package

# By module: the names of the SQLite package are its functions (`connect`, `plan`...).
from mizzle.dialects.sqlite import capabilities, migration_db, render, sync_db, sync_sql, url
from mizzle.dialects.sqlite.connect import apply as sqlite_apply
from mizzle.dialects.sqlite.connect import connect as sqlite_connect
from mizzle.dialects.sqlite.introspect import introspect as sqlite_introspect
from mizzle.dialects.sqlite.normalise import normalise as sqlite_normalise
from mizzle.dialects.sqlite.plan import plan as sqlite_plan

NAME = "sqlite_strict"
SQLGLOT = "sqlite"
URL_SCHEMES = ("sqlite-strict",)


def render_schema(schema: Schema) -> list[str]:
    return render.render_schema(schema)


def capability_problems(schema: Schema) -> list[str]:
    return capabilities.capability_problems(schema)


def project(schema: Schema) -> tuple[Schema, list[str]]:
    return capabilities.project(schema)


def plan(operations: list[Operation], old: Schema, new: Schema, *, concurrently: bool = False) -> Plan:
    # The plan is this dialect's: its migration files are `sqlite_strict.sql`, headed so.
    return replace(sqlite_plan(operations, old, new, concurrently=concurrently), dialect=NAME)


def parse_url(scheme: str, rest: str, base_dir: Path | None) -> DatabaseURL:
    return url.parse_url(scheme, rest, base_dir)


def connect(u: DatabaseURL, *, create: bool = False, missing_as_empty: bool = False) -> sqlite3.Connection:
    return sqlite_connect(u, create=create, missing_as_empty=missing_as_empty)


def owns_connection(conn: Any) -> bool:
    # sqlite3 connections are SQLite's first (the built-in dialects are asked first).
    return isinstance(conn, sqlite3.Connection)


class StrictMigrationDatabase(migration_db.SqliteMigrationDatabase):
    #: the runner reads and records this dialect's migration files
    dialect = NAME


def migration_database(conn: sqlite3.Connection) -> MigrationDatabase:
    return StrictMigrationDatabase(conn)


def sync_database(conn: sqlite3.Connection) -> SyncDatabase:
    return sync_db.sync_database(conn)


def introspect(conn: sqlite3.Connection, schemas: Sequence[str] = ()) -> Introspected:
    return sqlite_introspect(conn, schemas)


def as_declared(found: Schema, target: Schema) -> Schema:
    return found  # SQLite keeps every name as given


def apply(conn: sqlite3.Connection, statements: list[str]) -> None:
    sqlite_apply(conn, statements)


def normalise(db: MigrationDatabase, conn: Any, target: Schema, operations: list[Operation]) -> Schema:
    return sqlite_normalise(db, conn, target, operations)


def quote_ident(name: str) -> str:
    return render.quote_ident(name)


def trigger_names(table: str) -> tuple[str, ...]:
    return sync_sql.trigger_names(table)


lazy_package(__name__)
