"""`mizzle generate`: the schema compared with the last migration's snapshot, written as the next
migration folder (SQL for every configured database, down files, snapshot), and the sum file
updated."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mizzle.app.baseline import SchemaMismatch
from mizzle.app.folder import shown
from mizzle.cli import output, prompts
from mizzle.cli.adopt import show_differences
from mizzle.cli.database import database_url, migrations_folder
from mizzle.cli.session import session_of
from mizzle.core.migrations import SNAKE_NAME, up_file

if TYPE_CHECKING:
    from mizzle.core.migrations import MigrationFolder
    from mizzle.core.renames import Renames
    from mizzle.core.table_filter import TableFilter
    from mizzle.core.urls import DatabaseURL

RenameOption = Annotated[
    list[str] | None,
    typer.Option(
        "--rename",
        help="OLD=NEW (a table) or TABLE.OLD=NEW (a column; TABLE as the new schema names it): "
        "a rename, not a drop and an add. Repeatable.",
        show_default=False,
    ),
]
DropOption = Annotated[
    list[str] | None,
    typer.Option(
        "--drop",
        help="TABLE or TABLE.COLUMN: really dropped (its data is lost), not renamed. Repeatable.",
        show_default=False,
    ),
]


def renames_of(rename: list[str] | None, drop: list[str] | None) -> Renames:
    from mizzle.core.renames import Renames

    return Renames.from_flags(rename or (), drop or ())


def migration_name(value: str) -> str:
    """`--name` in snake_case: kebab-case (drizzle's habit) is taken with `_` for `-`; any other
    name that is not snake_case is a usage error (exit code 2) before anything is read."""
    name = value.replace("-", "_")
    if not SNAKE_NAME.match(name):
        raise typer.BadParameter(
            f"bad migration name {value!r}: use lowercase letters, digits and underscores, "
            "starting with a letter (e.g. add_practice_session)",
            param_hint="--name",
        )
    return name


def generate(
    ctx: typer.Context,
    name: Annotated[
        str,
        typer.Option(
            "--name",
            "-n",
            help="What the migration does, in snake_case (add_practice_session; add-practice-session is "
            "taken as that).",
            callback=migration_name,
        ),
    ],
    rename: RenameOption = None,
    drop: DropOption = None,
    custom: Annotated[
        bool, typer.Option("--custom", help="Write an empty migration for hand-written SQL (a data migration).")
    ] = False,
    concurrent_indexes: Annotated[
        bool,
        typer.Option(
            "--concurrent-indexes",
            help="PostgreSQL: build new indexes on existing tables with CREATE INDEX CONCURRENTLY "
            "(outside the transaction, without locking writes).",
        ),
    ] = False,
    applied_on: Annotated[
        str | None,
        typer.Option(
            "--applied-on",
            help="A database that holds the change already (made by hand, then pulled): record the new migration "
            "as applied there, after checking it matches the new schema.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the next migration: the schema's changes since the last migration.

    The folder (`migrations/0003_NAME/`) holds the SQL for each configured database, the down
    files that undo it, and the schema snapshot; `mizzle.sum` is updated. When a table or
    column disappeared while a compatible one appeared, say whether it was renamed: on a
    terminal mizzle asks; elsewhere pass --rename or --drop.
    """
    from mizzle.app import generate as generating

    if custom and applied_on is not None:
        # a custom migration holds only headers until written: no database can hold it yet
        raise typer.BadParameter("a --custom migration cannot be applied already", param_hint="--applied-on")
    session = session_of(ctx)
    config = session.config()
    url = database_url(session, applied_on) if applied_on is not None else None
    if custom:
        path = generating.custom(config, name)
        files = ", ".join(up_file(d) for d in config.dialects)
        output.line(f"wrote {shown(path)}: empty {files} (and down files) to fill in")
        return

    ask = prompts.rename_asker() if prompts.interactive() else None
    made = generating.generate(
        config,
        name,
        renames=renames_of(rename, drop),
        ask=ask,
        concurrent_indexes=concurrent_indexes,
        on_unsupported=lambda unsupported: output.warning(f"not carried by mizzle: {unsupported}"),
    )
    if made.path is None:
        output.line(f"no changes: the schema matches {made.since}")
        folder = migrations_folder(session)
        if url is not None and folder.migrations():
            _record(url, folder.migrations()[-1].name, folder, config.tables_filter)
        return
    count = made.operations
    output.line(
        f"wrote {shown(made.path)}: {count} operation{'' if count == 1 else 's'} for {', '.join(made.dialects)}"
    )
    for line in made.warnings:
        output.warning(line)
    if url is not None:
        _record(url, made.path.name, migrations_folder(session), config.tables_filter)


def _record(url: DatabaseURL, name: str, folder: MigrationFolder, tables: TableFilter) -> None:
    """`--applied-on`: the new migration recorded on the database where the change was made
    (the tables the config's filter keeps compared)."""
    from mizzle.app import baseline as baselining

    try:
        done = baselining.baseline(url, folder, to=name, tables=tables)
    except SchemaMismatch as err:
        show_differences(err)
        raise
    recorded = ", ".join(done.recorded) or "nothing new"
    output.line(f"recorded {recorded} as applied on {url.redacted} (not run)")
