"""A database URL opened as the migration runner's adapter and a driver connection: what the
use cases that touch a live database (migrate, rollback, status, push, check) share."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from mizzle.core.tracking import MigrationDatabase
from mizzle.core.urls import DatabaseURL, parse_url
from mizzle.dialects import get_dialect

#: dialect → (module, class) of its migration adapter
_ADAPTERS = {
    "postgresql": ("mizzle.dialects.postgresql.runtime", "PostgresMigrationDatabase"),
    "sqlite": ("mizzle.dialects.sqlite.runtime", "SqliteMigrationDatabase"),
}


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
    if url.dialect == "sqlite":
        from mizzle.dialects.sqlite.connect import connect as connect_sqlite
        from mizzle.dialects.sqlite.connect import file_exists

        missing = url.sqlite_path is not None and not file_exists(url.sqlite_path)
        conn = connect_sqlite(parse_url("sqlite://:memory:") if missing and missing_as_empty else url, create=create)
    else:
        conn = dialect.connect(url)
    try:
        module, name = _ADAPTERS[url.dialect]
        adapter = getattr(importlib.import_module(module), name)(conn)
        yield Opened(url, adapter, conn)
    finally:
        conn.close()
