"""`generate`: the schema compared with the last migration's snapshot, written as the next
migration folder (SQL for every configured database, down files, snapshot), and the sum
file updated. Also `custom`, an empty migration for hand-written SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mizzle.app.folder import one_line_list, shown
from mizzle.core import integrity
from mizzle.core.errors import UnsupportedError
from mizzle.core.migration_text import render_file
from mizzle.core.migrations import NUMBER_WIDTH, MigrationFolder, down_file, up_file
from mizzle.dialects import get_dialect

if TYPE_CHECKING:
    from mizzle.app.config import Config
    from mizzle.core.introspection import Unsupported
    from mizzle.core.model import Schema
    from mizzle.core.plan import Plan
    from mizzle.core.renames import Asker, Renames


@dataclass(frozen=True)
class Generated:
    """What `generate` did: the folder written (None when the schema had no changes)."""

    #: the migration folder written; None when there was nothing to write
    path: Path | None
    #: how many operations it holds
    operations: int
    dialects: tuple[str, ...]
    #: each plan's warnings (data loss, may fail), one shared by the databases said once:
    #: `drop column tune.notes (postgresql, sqlite)`
    warnings: tuple[str, ...]
    #: objects of a .sql schema that mizzle does not carry
    unsupported: tuple[Unsupported, ...]
    #: with no changes: what the schema matched (`the snapshot of 0002_x`, `an empty database`)
    since: str


def folder_of(config: Config) -> MigrationFolder:
    """The config's migrations folder, or MizzleError listing its integrity problems: a
    migration is added only to a sound folder."""
    folder = MigrationFolder(config.out)
    problems = integrity.verify(folder)
    if problems:
        raise one_line_list(
            f"cannot add a migration to {shown(folder.path)} until its problems are fixed",
            [p.message for p in problems],
        )
    return folder


def custom(config: Config, name: str) -> Path:
    """Write an empty migration (up and down file per dialect) for hand-written SQL and
    update the sum file; return its folder."""
    folder = folder_of(config)
    written = folder.custom(name, config.dialects)
    integrity.write(folder)
    return written.path


def generate(
    config: Config,
    name: str,
    *,
    renames: Renames | None = None,
    ask: Asker | None = None,
    concurrent_indexes: bool = False,
    on_unsupported: Callable[[Unsupported], None] | None = None,
) -> Generated:
    """Write the next migration, named `name` (snake_case), from the config's schema.

    `renames`/`ask` settle what disappeared while something compatible appeared (as for
    `diff`; unsettled, AmbiguousRename). `on_unsupported` hears each object the schema holds
    that mizzle does not carry before any question is asked (they are in the result too)."""
    from mizzle.core.diff import diff  # the model, sqlglot and the DSL: only for this use case
    from mizzle.sources.load import load_schema

    folder = folder_of(config)
    loaded = load_schema(config.require_schema(), config.sync_tables)
    schema = loaded.schema
    for dialect_name in config.dialects:
        check_fits(schema, dialect_name)
    if on_unsupported is not None:
        for unsupported in loaded.unsupported:
            on_unsupported(unsupported)

    previous = folder.last_snapshot()
    operations = diff(previous, schema, renames, ask)
    last = folder.migrations()[-1].name if folder.migrations() else None
    since = f"the snapshot of {last}" if last else "an empty database"
    if not operations:
        return Generated(None, 0, config.dialects, (), tuple(loaded.unsupported), since)

    plans = {
        d: get_dialect(d).plan(operations, previous, schema, concurrently=concurrent_indexes) for d in config.dialects
    }
    if len(plans) == 1:
        _check_alone(plans)
    number = folder.next_number()
    folder_name = f"{number:0{NUMBER_WIDTH}d}_{name}"
    written = folder.write(name, migration_files(folder_name, plans), schema, number=number)
    integrity.write(folder)
    return Generated(
        written.path, len(operations), config.dialects, tuple(_warnings(plans)), tuple(loaded.unsupported), since
    )


def check_fits(schema: Schema, dialect_name: str) -> None:
    """UnsupportedError naming the first thing `dialect_name` cannot hold (and how many more)."""
    problems = get_dialect(dialect_name).capability_problems(schema)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsupportedError(f"the schema does not fit {dialect_name}: {problems[0]}{more}")


def _check_alone(plans: dict[str, Plan]) -> None:
    """A project with one database: what its plan goes without (a default, index or CHECK it
    cannot hold, kept for the other database in a two-database project) is kept nowhere, so
    it is refused as `check_fits` refuses what a database cannot hold at all."""
    for dialect_name, plan in plans.items():
        dropped = [note.text for note in plan.notes if note.dropped]
        if dropped:
            more = f" (and {len(dropped) - 1} more)" if len(dropped) > 1 else ""
            raise UnsupportedError(
                f"the schema does not fit {dialect_name}, the project's only database: {dropped[0]}{more}"
            )


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
