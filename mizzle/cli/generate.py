"""`mizzle generate`: the schema compared with the last migration's snapshot, written as the next
migration folder (SQL for every configured database, down files, snapshot), and the sum file
updated."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mizzle.cli import output, prompts
from mizzle.cli.database import one_line_list, shown
from mizzle.cli.session import session_of
from mizzle.core import integrity
from mizzle.core.errors import UnsupportedError
from mizzle.core.migration_text import render_file
from mizzle.core.migrations import NUMBER_WIDTH, SNAKE_NAME, MigrationFolder, down_file, up_file
from mizzle.dialects import get_dialect

if TYPE_CHECKING:
    from mizzle.core.model import Schema
    from mizzle.core.plan import Plan
    from mizzle.core.renames import Renames

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
) -> None:
    """Write the next migration: the schema's changes since the last migration.

    The folder (`migrations/0003_NAME/`) holds the SQL for each configured database, the down
    files that undo it, and the schema snapshot; `mizzle.sum` is updated. When a table or
    column disappeared while a compatible one appeared, say whether it was renamed: on a
    terminal mizzle asks; elsewhere pass --rename or --drop.
    """
    session = session_of(ctx)
    config = session.config()
    folder = MigrationFolder(config.out)
    problems = integrity.verify(folder)
    if problems:
        raise one_line_list(
            f"cannot add a migration to {shown(folder.path)} until its problems are fixed",
            [p.message for p in problems],
        )

    if custom:
        written = folder.custom(name, config.dialects)
        integrity.write(folder)
        files = ", ".join(up_file(d) for d in config.dialects)
        output.stdout().print(f"wrote {escape(shown(written.path))}: empty {files} (and down files) to fill in")
        return

    # Imported here: the model, sqlglot and the DSL are needed by this command, not by every one.
    from mizzle.core.diff import diff
    from mizzle.sources.load import load_schema

    loaded = load_schema(config.require_schema(), config.sync_tables)
    schema = loaded.schema
    for dialect_name in config.dialects:
        check_fits(schema, dialect_name)
    for unsupported in loaded.unsupported:
        output.warning(f"not carried by mizzle: {unsupported}")

    previous = folder.last_snapshot()
    ask = prompts.rename_asker() if prompts.interactive() else None
    operations = diff(previous, schema, renames_of(rename, drop), ask)
    last = folder.migrations()[-1].name if folder.migrations() else None
    if not operations:
        since = f"the snapshot of {last}" if last else "an empty database"
        output.stdout().print(f"no changes: the schema matches {escape(since)}")
        return

    plans = {
        d: get_dialect(d).plan(operations, previous, schema, concurrently=concurrent_indexes) for d in config.dialects
    }
    number = folder.next_number()
    folder_name = f"{number:0{NUMBER_WIDTH}d}_{name}"
    written = folder.write(name, migration_files(folder_name, plans), schema, number=number)
    integrity.write(folder)

    count = len(operations)
    output.stdout().print(
        f"wrote {escape(shown(written.path))}: {count} operation{'' if count == 1 else 's'} "
        f"for {', '.join(config.dialects)}"
    )
    for line in _warnings(plans):
        output.warning(line)


def check_fits(schema: Schema, dialect_name: str) -> None:
    """UnsupportedError naming the first thing `dialect_name` cannot hold (and how many more)."""
    problems = get_dialect(dialect_name).capability_problems(schema)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsupportedError(f"the schema does not fit {dialect_name}: {problems[0]}{more}")


def migration_files(folder_name: str, plans: dict[str, Plan]) -> dict[str, str]:
    """The up and down file of each dialect's plan, by file name."""
    files = {}
    for dialect_name, plan in plans.items():
        files[up_file(dialect_name)] = render_file(plan, f"{folder_name} ({dialect_name})")
        files[down_file(dialect_name)] = render_file(plan.down(), f"{folder_name} ({dialect_name}, down)")
    return files


def _warnings(plans: dict[str, Plan]) -> list[str]:
    """Each plan's warnings (data loss, may fail), a warning the databases share said once."""
    by_text: dict[str, list[str]] = {}
    for dialect_name, plan in plans.items():
        for line in plan.warnings():
            by_text.setdefault(line, []).append(dialect_name)
    return [f"{line} ({', '.join(names)})" for line, names in by_text.items()]
