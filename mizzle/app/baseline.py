"""`baseline`: a database that already holds the schema of the migrations up to one of them
(made by hand, by `push`, by another tool) enters mizzle's history without running them.

The database is compared with the snapshot of that migration, as `check` compares a database
with its last applied migration (introspection, the schema projected for the dialect, the
expressions as the database prints them). Any difference refuses, recording nothing
(`SchemaMismatch` carries the differences, one line each). Otherwise the migrations are
recorded as applied exactly as the runner records them (name, up file's checksum, down
file's checksum), in one transaction, under the write lock, without running a statement.

Recording is idempotent: a migration already recorded with its own checksum stays as it is;
one recorded with another checksum (edited since), a recorded migration missing locally, or
one applied after the target refuses. `generate --applied-on` and `adopt` end here too.

Only the tables the project's `tables_filter` keeps are compared, as `pull`, `push` and
`check` read them: a table the filter leaves out is no difference."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mizzle.app.database import opened
from mizzle.app.folder import plural, verified
from mizzle.core import runner
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import LocalMigration, MigrationFolder
from mizzle.core.table_filter import EVERY_TABLE, TableFilter
from mizzle.core.tracking import TRACKING_TABLE, AppliedMigration, DatabaseError, MigrationDatabase
from mizzle.core.urls import DatabaseURL

if TYPE_CHECKING:
    from mizzle.core.model import Schema


class SchemaMismatch(MizzleError):
    """The database does not hold the schema it was to be recorded at: nothing was recorded.
    `differences`: one line each, from the database's side (`missing column tune.key`)."""

    def __init__(self, message: str, differences: tuple[str, ...]) -> None:
        super().__init__(message)
        self.differences = differences


@dataclass(frozen=True)
class Baselined:
    #: the migrations this run recorded as applied, in name order
    recorded: tuple[str, ...]
    #: the migrations up to the target that were recorded already (with the same checksum)
    already: tuple[str, ...]
    #: the migration whose snapshot the database matched
    target: str


def baseline(
    url: DatabaseURL, folder: MigrationFolder, *, to: str | None = None, tables: TableFilter = EVERY_TABLE
) -> Baselined:
    """Record the migrations of `folder` up to `to` (default: the last) as applied to the
    database at `url`, after checking that it holds the snapshot of `to` (the tables `tables`
    keeps); SchemaMismatch (listing the differences) when it does not, MizzleError when its
    history disagrees."""
    migrations = verified(folder, "baseline").migrations()
    if not migrations:
        raise MizzleError(f"cannot baseline: {folder.path} holds no migration (run `mizzle generate` first)")
    target = _target(migrations, to)
    with opened(url) as database:
        return record_at(database.db, database.conn, migrations, target, tables)


def _target(migrations: list[LocalMigration], to: str | None) -> LocalMigration:
    if to is None:
        return migrations[-1]
    found = next((m for m in migrations if m.name == to), None)
    if found is None:
        raise MizzleError(f"cannot baseline: no migration named {to} in the migrations folder")
    return found


def record_at(
    db: MigrationDatabase,
    conn: Any,
    migrations: list[LocalMigration],
    target: LocalMigration,
    tables: TableFilter = EVERY_TABLE,
) -> Baselined:
    """Inside the write lock: refuse unless the database's history agrees and it holds the
    snapshot of `target`; then record every migration up to `target` not recorded yet."""
    upto = [m for m in migrations if m.name <= target.name]
    with runner.write_lock(db):
        applied = _applied(db)
        recorded = {row.name: row for row in applied}
        later = sorted(name for name in recorded if name > target.name)
        if later:
            raise MizzleError(
                f"cannot baseline at {target.name}: {later[-1]}, a later migration, is applied to this database already"
            )
        local = {m.name for m in migrations}
        for row in applied:
            if row.name not in local:
                raise MizzleError(
                    f"cannot baseline: migration {row.name} is applied to this database but missing from the "
                    "migrations folder: restore its folder (e.g. from git)"
                )
        for m in upto:
            found = recorded.get(m.name)
            if found is not None and found.checksum != m.checksum(db.dialect):
                raise MizzleError(
                    f"cannot baseline: migration {m.name} is recorded on this database with another checksum (its "
                    f"{db.dialect} file was edited after it was recorded): restore the recorded version"
                )
        differences = differences_from(db, conn, target.snapshot(), tables)
        if differences:
            raise SchemaMismatch(
                f"cannot baseline at {target.name}: the database differs from its snapshot in "
                f"{plural(len(differences), 'place')} (listed above): nothing was recorded; make the database "
                "match (or generate a migration for what it holds) first",
                tuple(differences),
            )
        todo = [m for m in upto if m.name not in recorded]
        _record(db, todo)
    return Baselined(tuple(m.name for m in todo), tuple(m.name for m in upto if m.name in recorded), target.name)


def differences_from(db: MigrationDatabase, conn: Any, schema: Schema, tables: TableFilter = EVERY_TABLE) -> list[str]:
    """What differs between the database and `schema` (the tables `tables` keeps), one line
    each; empty when it holds it."""
    from mizzle.app.push import compare, describe_drift, drift  # the model, sqlglot: only here

    return [describe_drift(op) for op in drift(db, conn, compare(db, conn, schema, tables))]


def _applied(db: MigrationDatabase) -> list[AppliedMigration]:
    try:
        return db.applied()
    except DatabaseError as err:
        raise MizzleError(f"cannot read the tracking table {TRACKING_TABLE}: {err}") from None


def _record(db: MigrationDatabase, todo: list[LocalMigration]) -> None:
    """Tracking rows for `todo`, all in one transaction (a duration of 0: nothing ran)."""
    if not todo:
        return
    rows = [(m.name, m.checksum(db.dialect), runner.down_checksum(m, db.dialect)) for m in todo]  # read first
    try:
        db.ensure_tracking()
        db.begin()
        for name, checksum, down in rows:
            db.record(name, checksum, 0, down)
        db.commit()
    except DatabaseError as err:
        db.rollback()
        raise MizzleError(f"cannot record the migrations in {TRACKING_TABLE}: {err}: nothing was recorded") from None
