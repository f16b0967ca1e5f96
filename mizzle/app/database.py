"""A database URL opened as the migration runner's adapter and a driver connection: what the
use cases that touch a live database (migrate, rollback, status, push, check) share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mizzle.core.tracking import MigrationDatabase
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import dialect_names, get_dialect
from mizzle.dialects.urls import parse_url

#: for the edges, which reach the dialects only through this floor: the names a config or a
#: `--dialect` may use, and the URL parser that finds a URL's dialect by its scheme
__all__ = ["Opened", "dialect_names", "opened", "parse_url"]


@dataclass(frozen=True)
class Opened:
    url: DatabaseURL
    #: the runner's adapter over `conn`
    db: MigrationDatabase
    #: the driver's connection (introspection takes it)
    conn: Any


@contextmanager
def opened(url: DatabaseURL, *, create: bool = False, missing_as_empty: bool = False) -> Iterator[Opened]:
    """The database at `url`, closed afterwards. `create`: a SQLite file that does not exist
    yet is created (migrate and push build a database from nothing; status and check must not
    mistake a typo for an empty database). `missing_as_empty`: a SQLite file that does not
    exist is read as an empty database and not created (a dry run changes nothing)."""
    dialect = get_dialect(url.dialect)
    conn = dialect.connect(url, create=create, missing_as_empty=missing_as_empty)
    try:
        adapter = dialect.migration_database(conn)
        yield Opened(url, adapter, conn)
    finally:
        conn.close()
