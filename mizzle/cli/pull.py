"""`mizzle pull`: read a live database and write its schema as Python (DSL or SQLAlchemy models) or PostgreSQL DDL."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from mizzle.cli import output
from mizzle.cli.session import session_of


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
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing file.")] = False,
    style: Annotated[
        Style,
        typer.Option("--style", help="How a .py file declares the schema: mizzle's DSL or SQLAlchemy 2.x models."),
    ] = Style.dsl,
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

    Objects the schema model cannot hold (functions, triggers, ...) are named in a warning.
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
    url = session.database(db, Path.cwd()) if db is not None else session.configured_database()

    chosen = tuple(s.strip() for s in schemas.split(",") if s.strip()) if schemas is not None else None
    if chosen is None:
        chosen = session.config().schemas if out is None or db is None else ()
    pulled = pulling.pull(url, target, style=how, force=force, make_folder=make_folder, schemas=chosen)
    output.stdout().print(f"wrote {escape(str(pulled.path))}: {pulled.counts} from {escape(url.redacted)}")
    for warning in pulled.warnings:
        output.warning(warning)
