"""`mizzle baseline`, `mizzle adopt` and `mizzle rehash`: existing databases and hand-edited
migrations entering mizzle's history. A refusal over schema differences prints them, one a
line, above its error line."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from mizzle.app.baseline import SchemaMismatch
from mizzle.app.folder import shown
from mizzle.cli import output
from mizzle.cli.database import DbOption, database_url, migrations_folder
from mizzle.cli.session import session_of
from mizzle.core.table_filter import EVERY_TABLE


def show_differences(err: SchemaMismatch) -> None:
    """The differences a refusal found, above its error line."""
    out = output.line
    for line in err.differences:
        out(f"  {line}")


def baseline(
    ctx: typer.Context,
    db: DbOption = None,
    to: Annotated[
        str | None,
        typer.Option("--to", help="The last migration the database holds [default: the latest].", show_default=False),
    ] = None,
) -> None:
    """Record migrations as applied to a database that already holds their schema, without running them.

    For a database made by hand, by push or by another tool. The database is compared with
    the snapshot of the migration (--to, else the latest) first: any difference is listed
    and nothing is recorded. Running it again changes nothing.
    """
    from mizzle.app import baseline as baselining

    session = session_of(ctx)
    url = database_url(session, db)
    config = session.optional_config()
    tables = config.tables_filter if config is not None else EVERY_TABLE
    try:
        done = baselining.baseline(url, migrations_folder(session), to=to, tables=tables)
    except SchemaMismatch as err:
        show_differences(err)
        raise
    out = output.line
    for name in done.recorded:
        out(f"recorded {name} (not run)")
    if done.recorded:
        out(f"{url.redacted} matches the snapshot of {done.target}: {len(done.recorded)} recorded")
    else:
        out(f"nothing to record: {url.redacted} records every migration up to {done.target} already")


class Source(StrEnum):
    drizzle = "drizzle"


def adopt(
    ctx: typer.Context,
    source: Annotated[
        Source | None,
        typer.Argument(
            help="The tool whose history the database has: drizzle (checked against --from).", show_default=False
        ),
    ] = None,
    db: DbOption = None,
    from_: Annotated[
        Path | None,
        typer.Option("--from", help="drizzle-kit's migrations folder (with meta/_journal.json).", show_default=False),
    ] = None,
    migrations_table: Annotated[
        str | None,
        typer.Option(
            "--migrations-table",
            help="drizzle's history table (TABLE or SCHEMA.TABLE) when its config moves it "
            "[default: read from drizzle.config.*, else drizzle's own].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Start mizzle's history from an existing database: its schema becomes the first migration.

    The migration (0001_adopted, or 0001_adopted_from_drizzle) creates the schema on a fresh
    database and is recorded as applied on this one; no row is touched. The migrations folder
    must be empty. With drizzle: every migration of drizzle's journal must be applied to the
    database (its __drizzle_migrations rows, by hash, or those of the table drizzle.config's
    `migrations` names), and nothing else. Only the tables the config's tables_filter keeps
    are adopted.
    """
    from mizzle.app import adopt as adopting

    if (source is None) != (from_ is None):
        raise typer.BadParameter("give drizzle and --from together", param_hint="--from")
    if migrations_table is not None and source is None:
        raise typer.BadParameter("--migrations-table is drizzle's: give drizzle and --from", param_hint="--from")
    session = session_of(ctx)
    url = database_url(session, db)
    try:
        done = adopting.adopt(session.config(), url, drizzle=from_, migrations_table=migrations_table)
    except SchemaMismatch as err:
        show_differences(err)
        raise
    for unsupported in done.unsupported:
        output.warning(f"not carried by mizzle (not in the migration): {unsupported}")
    for note in done.notes:
        output.note(note)
    since = f" after {done.drizzle_migrations} drizzle migrations" if source is not None else ""
    output.line(
        f"wrote {shown(done.path)} ({done.counts}) and recorded it as applied on "
        f"{url.redacted}{since}; `mizzle pull` writes the schema file"
    )


def rehash(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The migration edited by hand (e.g. 0003_add_setting).")],
    db: Annotated[
        list[str] | None,
        typer.Option(
            "--db",
            help="Another database to check it is not applied to (the config's is always checked). Repeatable.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Accept a hand edit of a migration not applied yet (a data step): rewrite its checksum.

    The migration's files must still parse, it must be the only change to the folder, and no
    database mizzle knows of (the config's, and each --db) may have applied it.
    """
    from mizzle.app import rehash as rehashing

    session = session_of(ctx)
    databases = [database_url(session, one) for one in db or []]
    configured = session.optional_database("the config's database is not checked")
    if configured is not None:
        databases.insert(0, configured)
    done = rehashing.rehash(migrations_folder(session), name, databases)
    if not done.changed:
        output.line(f"nothing to rehash: {name} is unchanged since mizzle.sum was written")
        return
    where = f" (not applied to {', '.join(done.checked)})" if done.checked else ""
    output.line(f"rehashed {name}: mizzle.sum rewritten{where}")
