"""`mizzle check`: is the migrations folder sound, is every change of the schema in a migration,
and does the database (`--db` or the config's) hold what its applied migrations say it
should? Exit code 0 or 1, for CI. And `mizzle hash`, which
rewrites the sum file once a person has checked the folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mizzle.app import check as checking
from mizzle.app.folder import shown
from mizzle.cli import output
from mizzle.cli.database import database_url, migrations_folder
from mizzle.cli.session import session_of
from mizzle.core.errors import MizzleError
from mizzle.core.table_filter import EVERY_TABLE

if TYPE_CHECKING:
    pass


def check(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help="The database to check: drift and pending migrations [default: the config's database URL].",
            show_default=False,
        ),
    ] = None,
    no_db: Annotated[bool, typer.Option("--no-db", help="Check no database, only the folder and the schema.")] = False,
) -> None:
    """Check the migrations folder, the schema and a database against them (for CI).

    The folder against mizzle.sum: edits, gaps, collisions, missing migrations. The schema
    against the last migration's snapshot: changes not generated yet. The database (--db, or
    the config's database URL): applied migrations edited or missing, pending migrations,
    and drift (what differs between the database and the snapshot of its last applied
    migration). Prints every finding; exit code 1 if there is any.
    """
    if db is not None and no_db:
        raise typer.BadParameter("--db and --no-db exclude each other", param_hint="--no-db")
    session = session_of(ctx)
    folder = migrations_folder(session)
    out = output.line
    findings = checking.folder_findings(folder)
    count = len(folder.migrations())
    out(f"{shown(folder.path)}: {count} migration{'' if count == 1 else 's'}")

    config = session.optional_config()
    if config is not None and config.schema is not None and not findings:  # a broken folder has no last snapshot
        findings += checking.schema_findings(folder, config)

    url = (
        database_url(session, db)
        if db is not None
        else None
        if no_db
        else session.optional_database("no database checked", "pass --no-db to say so")
    )
    if url is not None:
        found = checking.database_findings(folder, url, config.tables_filter if config is not None else EVERY_TABLE)
        if found.compared_with is not None:
            out(
                f"{url.redacted}: {found.applied} applied, {found.pending} pending; "
                f"compared with {found.compared_with}: "
                f"{found.differences} difference{'' if found.differences == 1 else 's'}"
            )
        for unsupported in found.unsupported:
            output.note(f"not carried by mizzle (not compared): {unsupported}")
        findings += found.findings

    for line in findings:
        out(f"  {line}")
    if findings:
        raise MizzleError(f"check found {len(findings)} problem{'' if len(findings) == 1 else 's'} (listed above)")
    out("ok")


def hash_sum(ctx: typer.Context) -> None:
    """Rewrite migrations/mizzle.sum from the folder as it is now.

    For after you have checked the folder: a --custom migration filled in, or after a merge,
    the migration your branch added moved out (then generate it again). Never to paper over
    an edit of a migration that a database has applied already.
    """
    folder = migrations_folder(session_of(ctx))
    path = checking.hash_sum(folder)
    count = len(folder.migrations())
    output.line(f"wrote {shown(path)}: {count} migration{'' if count == 1 else 's'}")
