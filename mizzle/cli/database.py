"""What the migration commands share: the database they work on (`--db` or the config's URL),
opened as the migration runner's adapter, and the migrations folder (the config's `out`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from mizzle.cli.session import Session
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.tracking import MigrationDatabase
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import get_dialect

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL [default: the config's database URL].", show_default=False),
]


def database_url(session: Session, db: str | None) -> DatabaseURL:
    """`--db` (relative SQLite paths from the working directory), else the config's URL
    (relative to the config file)."""
    return session.database(db, Path.cwd()) if db is not None else session.configured_database()


def migrations_folder(session: Session) -> MigrationFolder:
    """The config's `out`; without a config file, `migrations` in the working directory (a
    deployment may ship the folder and a URL, nothing else)."""
    config = session.optional_config()
    return MigrationFolder(config.out if config is not None else Path.cwd() / "migrations")


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


def shown(path: Path) -> str:
    """A path as messages show it: relative to the working directory when it is below it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def one_line_list(what: str, items: list[str]) -> MizzleError:
    """An error listing `items` on one line: `what: a; b; c`."""
    return MizzleError(f"{what}: {'; '.join(items)}")
