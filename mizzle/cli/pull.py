"""`mizzle pull`: read a live database and write its schema as Python (DSL or SQLAlchemy models) or PostgreSQL DDL."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mizzle.cli import output
from mizzle.cli.session import Session, session_of

if TYPE_CHECKING:
    from mizzle.core.table_filter import TableFilter


class Style(StrEnum):
    """The choices of `--style`: how a .py file declares the schema."""

    dsl = "dsl"
    sqlalchemy = "sqlalchemy"


def pull(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL to read [default: the config's database URL].", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write: .py (DSL) or .sql (PostgreSQL DDL) [default: the config's schema].",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", "-f", help="Overwrite a file that pull did not write (or whose marker line is gone)."),
    ] = False,
    style: Annotated[
        Style,
        typer.Option("--style", help="How a .py file declares the schema: mizzle's DSL or SQLAlchemy 2.x models."),
    ] = Style.dsl,
    tables: Annotated[
        list[str] | None,
        typer.Option(
            "--tables",
            help="Pull only the tables matching these globs (repeat it or separate with commas) "
            "[default: the config's tables_filter].",
            show_default=False,
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Leave out the tables matching these globs (repeat it or separate with commas).",
            show_default=False,
        ),
    ] = None,
    schemas: Annotated[
        str | None,
        typer.Option(
            "--schemas",
            help="The app's own schemas to read besides public, comma separated [default: the config's schemas].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Introspect a PostgreSQL or SQLite database and write its schema to a file.

    A file pull wrote (its first line says so) is replaced, and what changed since is summed
    up; any other file needs --force. Objects the schema model cannot hold (functions,
    triggers, ...) are named in a warning. drizzle-kit's and mizzle's own migration tables
    are never pulled.
    """
    from mizzle.app import pull as pulling

    session = session_of(ctx)
    # The config's schema may name a folder still to make (`db/schema.py`): the project's own
    # layout. A folder in --out must exist: a typo must not create folders (at the root, even).
    make_folder = out is None
    how: pulling.Style = "sqlalchemy" if style is Style.sqlalchemy else "dsl"
    try:
        target = out if out is not None else pulling.configured_target(session.config())
        pulling.check_target(target, style=how, force=force, make_folder=make_folder)
    except pulling.BadTarget as err:
        raise typer.BadParameter(str(err), param_hint="--out") from None
    table_filter = _table_filter(session, tables, exclude)
    url = session.database(db, Path.cwd()) if db is not None else session.configured_database()

    chosen = tuple(s.strip() for s in schemas.split(",") if s.strip()) if schemas is not None else None
    if chosen is None:
        chosen = session.config().schemas if out is None or db is None else ()
    pulled = pulling.pull(
        url, target, style=how, force=force, make_folder=make_folder, schemas=chosen, tables=table_filter
    )
    console = output.line
    console(f"wrote {pulled.path}: {pulled.counts} from {url.redacted}")
    if pulled.changes is not None:
        since = "since the last pull" if pulled.replaced_pulled else "from the file replaced"
        text = f"changes {since}: {pulled.changes.summary()}" if pulled.changes else f"no changes {since}"
        console(text)
    if pulled.left_out:
        output.note(f"left out by the table filter: {_names(pulled.left_out)}")
    if pulled.previous_problem is not None:
        output.note(f"the file replaced was not compared: {pulled.previous_problem}")
    for warning in pulled.warnings:
        output.warning(warning)


def _table_filter(session: Session, tables: list[str] | None, exclude: list[str] | None) -> TableFilter:
    """--tables/--exclude when given (they replace the config's tables_filter), else the config's."""
    from mizzle.core.table_filter import EVERY_TABLE, TableFilter, TableFilterError, patterns_of

    if tables or exclude:
        try:
            return TableFilter(include=patterns_of(tables or []), exclude=patterns_of(exclude or []))
        except TableFilterError as err:
            raise typer.BadParameter(str(err), param_hint="--tables" if tables else "--exclude") from None
    config = session.optional_config()
    return config.tables_filter if config is not None else EVERY_TABLE


def _names(names: tuple[str, ...]) -> str:
    more = f" and {len(names) - 10} more" if len(names) > 10 else ""
    return ", ".join(names[:10]) + more
