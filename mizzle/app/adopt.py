"""`adopt`: an existing database starts mizzle's history from what it holds.

The database is introspected; its schema becomes the first migration (`0001_adopted`, or
`0001_adopted_from_drizzle`), whose SQL creates that schema on a fresh database, and that
migration is recorded as applied on the adopted database (through `baseline.record_at`, which
compares the database with the snapshot first), without touching a row. The migrations folder
must hold no migration yet (a folder with a history baselines instead).

From drizzle-kit (`source="drizzle"`): the drizzle folder's journal and the database's
`__drizzle_migrations` rows must agree first (every journal entry applied, as it is now, and
nothing else), so the schema adopted is the one drizzle's history made. Without a source the
database must have no history at all (no drizzle rows). drizzle's table is where the
project's drizzle config puts it (`migrations: { table, schema }`), or `migrations_table`.

Only the tables the project's `tables_filter` keeps are adopted (and compared), as `pull`
reads them; drizzle's table, wherever it is, is never part of the schema."""

from __future__ import annotations

import glob
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from mizzle.app.baseline import SchemaMismatch, differences_from, record_at
from mizzle.app.database import opened
from mizzle.app.folder import plural, shown
from mizzle.app.generate import check_fits, folder_of, migration_files
from mizzle.core import integrity
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import NUMBER_WIDTH
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import get_dialect

if TYPE_CHECKING:
    from mizzle.app.config import Config
    from mizzle.app.drizzle import HistoryPlace
    from mizzle.core.introspection import Unsupported
    from mizzle.core.table_filter import TableFilter


@dataclass(frozen=True)
class Adopted:
    #: the migration folder written and recorded as applied
    path: Path
    #: `12 tables, 3 enums`
    counts: str
    #: drizzle migrations found applied (0 without drizzle)
    drizzle_migrations: int
    #: objects of the database the model cannot hold: not in the migration
    unsupported: tuple[Unsupported, ...]
    #: what the user should know (drizzle's moved table and the config's filter)
    notes: tuple[str, ...] = ()


def adopt(
    config: Config, url: DatabaseURL, *, drizzle: Path | None = None, migrations_table: str | None = None
) -> Adopted:
    """Start the config's (empty) migrations folder from the database at `url`; `drizzle`:
    drizzle-kit's migrations folder, whose history the database must hold whole;
    `migrations_table`: drizzle's table (`table` or `schema.table`) when its config moved it."""
    from mizzle.app import drizzle as drizzle_kit
    from mizzle.core.diff import diff
    from mizzle.core.model import Schema

    folder = folder_of(config)
    if folder.migrations():
        raise MizzleError(
            f"cannot adopt: {shown(folder.path)} holds migrations already: run `mizzle baseline` to record the ones "
            "a database holds"
        )
    entries = drizzle_kit.read_journal(drizzle) if drizzle is not None else None
    if migrations_table is not None:
        place = drizzle_kit.history_place(migrations_table)
    else:
        near = [config.root] + ([drizzle.parent, drizzle] if drizzle is not None else [])
        place, _ = drizzle_kit.configured_history(near)
    tables, notes = _filter(config, place, url.dialect)
    with opened(url) as database:
        db, conn = database.db, database.conn
        if db.applied():
            raise MizzleError("cannot adopt: the database records mizzle migrations already")
        rows = drizzle_kit.applied_rows(db, place)
        if entries is None and rows is not None:
            raise MizzleError(
                f"cannot adopt: the database has drizzle's history ({plural(len(rows), 'migration')}): run "
                "`mizzle adopt drizzle --from <drizzle folder>` so it is checked against drizzle's journal"
            )
        if entries is not None:
            if rows is None:
                raise MizzleError(
                    f"cannot adopt from drizzle: the database has no {place.sql(db.dialect)} table (drizzle's "
                    "migrator never ran on it; if its config moves the table, pass --migrations-table): run "
                    "`mizzle adopt` without drizzle"
                )
            problems = drizzle_kit.disagreements(entries, rows)
            if problems:
                raise MizzleError(
                    f"cannot adopt: drizzle's journal ({shown(drizzle or Path())}) and the database disagree: "
                    f"{'; '.join(problems)}; nothing was written"
                )
        introspected = get_dialect(db.dialect).introspect(conn)
        schema = tables.apply(introspected.schema)
        if not schema.tables:
            raise MizzleError("cannot adopt: the database holds no table: write the schema and `mizzle generate`")
        for dialect_name in config.dialects:
            check_fits(schema, dialect_name)
        # Read back as mizzle would compare it: what it cannot see the same way twice is said now,
        # before a file is written.
        differences = differences_from(db, conn, schema, tables)
        if differences:
            raise SchemaMismatch(
                f"cannot adopt: mizzle reads the database back differently in {plural(len(differences), 'place')} "
                "(listed above): nothing was written",
                tuple(differences),
            )
        operations = diff(Schema(), schema)
        plans = {d: get_dialect(d).plan(operations, Schema(), schema) for d in config.dialects}
        name = "adopted_from_drizzle" if entries is not None else "adopted"
        folder_name = f"{1:0{NUMBER_WIDTH}d}_{name}"
        written = folder.write(name, migration_files(folder_name, plans), schema, number=1)
        try:
            integrity.write(folder)
            record_at(db, conn, folder.migrations(), written, tables)
        except BaseException:
            # nothing half done: no migration left behind that the database does not record
            shutil.rmtree(written.path, ignore_errors=True)
            integrity.write(folder)
            raise
    counts = [plural(len(schema.tables), "table")]
    if schema.enums:
        counts.append(plural(len(schema.enums), "enum"))
    if schema.views:
        counts.append(plural(len(schema.views), "view"))
    return Adopted(written.path, ", ".join(counts), len(entries or ()), tuple(introspected.unsupported), notes)


def _filter(config: Config, place: HistoryPlace, dialect: str) -> tuple[TableFilter, tuple[str, ...]]:
    """The config's table filter, leaving out drizzle's table where its config moved it too;
    and a note when the config's own filter would keep that table (push would drop it). A
    table in a schema pull does not read (not `public`, not in `schemas`) needs neither."""
    tables = config.tables_filter
    schema = place.schema_on(dialect) or "public"
    if place.is_default or schema not in ("public", *config.schemas):
        return tables, ()
    pattern = glob.escape(place.table) if schema == "public" else f"{glob.escape(schema)}.{glob.escape(place.table)}"
    if not tables.keeps(place.table, schema):
        return tables, ()
    note = (
        f'drizzle\'s table {place.sql(dialect)} is left out of the adopted schema; add "!{pattern}" to '
        f"tables_filter in {config.where} so that pull, push and check leave it alone too"
    )
    return replace(tables, exclude=(*tables.exclude, pattern)), (note,)
