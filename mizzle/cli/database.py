"""What the migration commands share: the `--db` option, the database it names (or the
config's URL), and the migrations folder (the config's `out`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mizzle.app import folder as folders
from mizzle.cli.session import Session
from mizzle.core.migrations import MigrationFolder
from mizzle.core.urls import DatabaseURL

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database URL [default: the config's database URL].", show_default=False),
]


def database_url(session: Session, db: str | None) -> DatabaseURL:
    """`--db` (relative SQLite paths from the working directory), else the config's URL
    (relative to the config file)."""
    return session.database(db, Path.cwd()) if db is not None else session.configured_database()


def migrations_folder(session: Session) -> MigrationFolder:
    """The config's `out`; without a config file, `migrations` in the working directory."""
    return folders.migrations_folder(session.optional_config())
