"""`adopt`: an existing database starts mizzle's history from what it holds.

The database is introspected; its schema becomes the first migration (`0001_adopted`, or
`0001_adopted_from_drizzle`), whose SQL creates that schema on a fresh database, and that
migration is recorded as applied on the adopted database (through `baseline.record_at`, which
compares the database with the snapshot first), without touching a row. The migrations folder
must hold no migration yet (a folder with a history baselines instead).

From drizzle-kit (`source="drizzle"`): the drizzle folder's journal and the database's
`__drizzle_migrations` rows must agree first (every journal entry applied, as it is now, and
nothing else), so the schema adopted is the one drizzle's history made. Without a source the
database must have no history at all (no drizzle rows)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
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
    from mizzle.core.introspection import Unsupported


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


def adopt(config: Config, url: DatabaseURL, *, drizzle: Path | None = None) -> Adopted:
    """Start the config's (empty) migrations folder from the database at `url`; `drizzle`:
    drizzle-kit's migrations folder, whose history the database must hold whole."""
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
    with opened(url) as database:
        db, conn = database.db, database.conn
        if db.applied():
            raise MizzleError("cannot adopt: the database records mizzle migrations already")
        rows = drizzle_kit.applied_rows(db)
        if entries is None and rows is not None:
            raise MizzleError(
                f"cannot adopt: the database has drizzle's history ({plural(len(rows), 'migration')}): run "
                "`mizzle adopt drizzle --from <drizzle folder>` so it is checked against drizzle's journal"
            )
        if entries is not None:
            if rows is None:
                raise MizzleError(
                    f"cannot adopt from drizzle: the database has no {drizzle_kit.HISTORY_TABLE[db.dialect]} table "
                    "(drizzle's migrator never ran on it): run `mizzle adopt` without drizzle"
                )
            problems = drizzle_kit.disagreements(entries, rows)
            if problems:
                raise MizzleError(
                    f"cannot adopt: drizzle's journal ({shown(drizzle or Path())}) and the database disagree: "
                    f"{'; '.join(problems)}; nothing was written"
                )
        introspected = get_dialect(db.dialect).introspect(conn)
        schema = introspected.schema
        if not schema.tables:
            raise MizzleError("cannot adopt: the database holds no table: write the schema and `mizzle generate`")
        for dialect_name in config.dialects:
            check_fits(schema, dialect_name)
        # Read back as mizzle would compare it: what it cannot see the same way twice is said now,
        # before a file is written.
        differences = differences_from(db, conn, schema)
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
            record_at(db, conn, folder.migrations(), written)
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
    return Adopted(written.path, ", ".join(counts), len(entries or ()), tuple(introspected.unsupported))
