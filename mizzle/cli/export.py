"""`mizzle export`: the schema's full DDL for one database, on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mizzle.cli import output
from mizzle.cli.session import known_dialect, session_of


def export(
    ctx: typer.Context,
    dialect: Annotated[
        str | None,
        typer.Option(
            "--dialect",
            "-d",
            metavar="DIALECT",
            callback=known_dialect,
            help="Database to write DDL for: postgresql or sqlite [default: the config's first dialect].",
        ),
    ] = None,
    schema: Annotated[
        Path | None,
        typer.Option(
            "--schema", "-s", help="Schema file (.py or .sql) or models (module:attr) [default: the config's schema]."
        ),
    ] = None,
) -> None:
    """Print the DDL that creates the schema in an empty database.

    Statements go to stdout; notes on what the database holds differently, and objects of a
    .sql schema that mizzle does not carry, go to stderr as `-- note:` lines.
    """
    session = session_of(ctx)
    # The config is read only for what the flags leave open.
    config = None
    if schema is None:
        config = session.config()
        schema = config.require_schema()
    elif dialect is None:
        config = session.optional_config()
    from mizzle.app import export as exporting

    name = exporting.dialect_for(dialect, config)
    # sync_tables belong to the config's schema, not to one named by --schema
    sync_tables = config.sync_tables if config is not None and config.schema == schema else ()
    exported = exporting.export(schema, name, sync_tables)

    for unsupported in exported.unsupported:
        output.note(f"not carried by mizzle: {unsupported}")
    for remark in exported.notes:
        output.note(remark)
    typer.echo(exported.script(), nl=False)
