"""`mizzle check`: is the migrations folder sound, and (with `--db`) does the database hold what
its applied migrations say it should? Exit code 0 or 1, for CI. And `mizzle hash`, which
rewrites the sum file once a person has checked the folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mizzle.cli import output
from mizzle.cli.database import database_url, migrations_folder, opened, shown
from mizzle.cli.session import session_of
from mizzle.core import integrity, runner
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.urls import DatabaseURL

if TYPE_CHECKING:
    from mizzle.core.model import Schema


def check(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Also check this database: drift and pending migrations.", show_default=False),
    ] = None,
) -> None:
    """Check the migrations folder and, with --db, a database against it (for CI).

    The folder against mizzle.sum: edits, gaps, collisions, missing migrations. The database:
    applied migrations edited or missing, pending migrations, and drift (what differs between
    the database and the snapshot of its last applied migration). Prints every finding; exit
    code 1 if there is any.
    """
    session = session_of(ctx)
    folder = migrations_folder(session)
    out = output.stdout()
    findings = [f"folder: {p.message}" for p in integrity.verify(folder)]
    count = len(folder.migrations())
    out.print(f"{escape(shown(folder.path))}: {count} migration{'' if count == 1 else 's'}")

    if db is not None:
        findings += _database_findings(folder, database_url(session, db))

    for line in findings:
        out.print(f"  {line}", markup=False)
    if findings:
        raise MizzleError(f"check found {len(findings)} problem{'' if len(findings) == 1 else 's'} (listed above)")
    out.print("ok")


def _database_findings(folder: MigrationFolder, url: DatabaseURL) -> list[str]:
    from mizzle.core.push import compare, describe_drift, drift  # the model, sqlglot: only with --db

    findings: list[str] = []
    with opened(url) as database:
        st = runner.status(database.db, folder.migrations())
        findings += [f"database: {p.message}" for p in st.problems]
        findings += [f"pending: {name}" for name in st.pending]
        expected = _expected_schema(folder, [row.name for row in st.applied])
        if expected is None:
            return findings
        label, schema = expected
        comparison = compare(database.db, database.conn, schema)
        changes = drift(database.db, database.conn, comparison)
    output.stdout().print(
        f"{escape(url.redacted)}: {len(st.applied)} applied, {len(st.pending)} pending; "
        f"compared with {escape(label)}: {len(changes)} difference{'' if len(changes) == 1 else 's'}"
    )
    findings += [f"drift: {describe_drift(op)}" for op in changes]
    for unsupported in comparison.unsupported:
        output.note(f"not carried by mizzle (not compared): {unsupported}")
    return findings


def _expected_schema(folder: MigrationFolder, applied: list[str]) -> tuple[str, Schema] | None:
    """The schema the database should hold: the snapshot of the last migration applied (by
    name), or an empty schema when none is; None when that migration is missing locally (a
    problem reported already)."""
    if not applied:
        from mizzle.core.model import Schema

        return "an empty schema (no migration applied)", Schema()
    last = max(applied)
    migration = folder.get(last)
    if migration is None:
        return None
    return f"the snapshot of {last}", migration.snapshot()


def hash_sum(ctx: typer.Context) -> None:
    """Rewrite migrations/mizzle.sum from the folder as it is now.

    For after you have checked the folder: a --custom migration filled in, or after a merge,
    the migration your branch added moved out (then generate it again). Never to paper over
    an edit of a migration that a database has applied already.
    """
    folder = migrations_folder(session_of(ctx))
    if not folder.path.is_dir():
        raise MizzleError(f"no migrations folder at {folder.path}")
    path = integrity.write(folder)
    count = len(folder.migrations())
    output.stdout().print(f"wrote {escape(shown(path))}: {count} migration{'' if count == 1 else 's'}")
