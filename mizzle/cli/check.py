"""`mizzle check`: is the migrations folder sound, is every change of the schema in a migration,
and does the database (`--db` or the config's) hold what its applied migrations say it
should? Exit code 0 or 1, for CI. And `mizzle hash`, which
rewrites the sum file once a person has checked the folder."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mizzle.cli import output
from mizzle.cli.database import database_url, migrations_folder, opened, shown
from mizzle.cli.session import Session, session_of
from mizzle.core import integrity, runner
from mizzle.core.errors import ConfigError, MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.urls import DatabaseURL

if TYPE_CHECKING:
    from mizzle.app.config import Config
    from mizzle.core.model import Schema


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
    out = output.stdout()
    findings = [f"folder: {p.message}" for p in integrity.verify(folder)]
    count = len(folder.migrations())
    out.print(f"{escape(shown(folder.path))}: {count} migration{'' if count == 1 else 's'}")

    config = session.optional_config()
    if config is not None and config.schema is not None and not findings:  # a broken folder has no last snapshot
        findings += _schema_findings(folder, config)

    url = database_url(session, db) if db is not None else None if no_db else _configured_database(session)
    if url is not None:
        findings += _database_findings(folder, url)

    for line in findings:
        out.print(f"  {line}", markup=False)
    if findings:
        raise MizzleError(f"check found {len(findings)} problem{'' if len(findings) == 1 else 's'} (listed above)")
    out.print("ok")


def _configured_database(session: Session) -> DatabaseURL | None:
    """The config's database URL; None when there is none (no config, or no URL in it), and
    None said in a note when it needs a variable that is unset (a CI job checking no database)."""
    config = session.optional_config()
    if config is None or config.database_url_template is None:
        return None
    try:
        return session.configured_database()
    except ConfigError as err:
        output.note(f"no database checked: {err}; pass --no-db to say so")
        return None


def _schema_findings(folder: MigrationFolder, config: Config) -> list[str]:
    """What the schema holds that no migration does: a schema edited without `generate`."""
    from mizzle.app.push import no_renames
    from mizzle.core.diff import diff  # the model, sqlglot: only when there is a schema
    from mizzle.sources.load import load_schema

    schema_file = config.require_schema()
    try:
        schema = load_schema(schema_file, config.sync_tables).schema
    except MizzleError as err:
        return [f"schema: {err}"]
    previous = folder.last_snapshot()
    operations = diff(previous, schema, no_renames(previous, schema))
    last = folder.migrations()[-1].name if folder.migrations() else None
    since = f"the snapshot of {last}" if last else "no migration"
    where = shown(schema_file)
    return [f"schema: {where} differs from {since}: {op.describe()} (run `mizzle generate`)" for op in operations]


def _database_findings(folder: MigrationFolder, url: DatabaseURL) -> list[str]:
    from mizzle.app.push import compare, describe_drift, drift  # the model, sqlglot: only with --db

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
