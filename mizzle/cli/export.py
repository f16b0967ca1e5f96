"""`mizzle export`: the schema's full DDL for one database, on stdout."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mizzle.cli import output
from mizzle.cli.session import known_dialect, session_of
from mizzle.core.errors import UnsupportedError
from mizzle.dialects import BUILT_IN, get_dialect


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
    name = dialect if dialect is not None else config.dialects[0] if config else BUILT_IN[0]

    from mizzle.sources.load import load_schema

    # sync_tables belong to the config's schema, not to one named by --schema
    sync_tables = config.sync_tables if config is not None and config.schema == schema else ()
    loaded = load_schema(schema, sync_tables)
    db = get_dialect(name)
    problems = db.capability_problems(loaded.schema)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsupportedError(f"the schema does not fit {name}: {problems[0]}{more}")
    _, notes = db.project(loaded.schema)
    statements = db.render_schema(loaded.schema)

    for unsupported in loaded.unsupported:
        output.note(f"not carried by mizzle: {unsupported}")
    for remark in notes:
        output.note(remark)
    typer.echo(output.sql_script(statements), nl=False)
