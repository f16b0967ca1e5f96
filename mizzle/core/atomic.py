"""All pending migrations in ONE transaction: `migrate_atomically`.

The runner (`runner.py`) commits each migration on its own, which is what a server wants: a
long history applies as far as it can. A device upgrading its local database wants the
opposite: the app's new code needs the whole new schema, so either every pending migration
and every tracking row commits, or nothing does and the database is byte for byte as it
was. This module gets that from the same runner, unchanged, by handing it a wrapper of the
database whose transactions are savepoints inside one outer transaction:

- the outer transaction is the adapter's own (`begin`: SQLite's BEGIN IMMEDIATE, with sync
  change tracking off), so other connections queue behind the whole upgrade;
- each migration's BEGIN / COMMIT / ROLLBACK becomes SAVEPOINT / RELEASE / ROLLBACK TO;
- foreign keys: `PRAGMA foreign_keys` is a no-op inside a transaction, so when any pending
  migration needs them off they are turned off once, before the outer transaction, and the
  whole upgrade is checked with `foreign_key_check` before the outer COMMIT (then turned
  back on, also after a failure);
- a statement that must run outside a transaction (PostgreSQL's CREATE INDEX CONCURRENTLY)
  cannot run in one: such a migration is refused before anything starts.

Standard library only, like the runner: the browser runtime uses it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import suppress

from mizzle.core import runner
from mizzle.core.errors import MizzleError
from mizzle.core.migration_text import parse_file
from mizzle.core.runner import Migration, MigrationFailed, Report
from mizzle.core.tracking import AppliedMigration, BrokenForeignKeys, DatabaseError, MigrationDatabase, Progress

_SAVEPOINT = "mizzle_migration"


class _Savepoints:
    """`db` as the runner sees it inside the outer transaction (see the module docstring)."""

    def __init__(self, db: MigrationDatabase, on_applied: Callable[[str, int], None] | None = None) -> None:
        self.db = db
        self.dialect = db.dialect
        self.on_applied = on_applied
        self._open = False

    def execute(self, sql: str) -> None:
        self.db.execute(sql)

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        return self.db.query(sql, params)

    def begin(self) -> None:
        self.db.execute(f"SAVEPOINT {_SAVEPOINT}")
        self._open = True

    def commit(self) -> None:
        self.db.execute(f"RELEASE {_SAVEPOINT}")
        self._open = False

    def rollback(self) -> None:
        if self._open:
            self._open = False
            self.db.execute(f"ROLLBACK TO {_SAVEPOINT}")
            self.db.execute(f"RELEASE {_SAVEPOINT}")

    def lock(self) -> None:
        """Nothing: the outer transaction holds the database."""

    def unlock(self) -> None:
        pass

    def ensure_tracking(self) -> None:
        self.db.ensure_tracking()

    def applied(self) -> list[AppliedMigration]:
        return self.db.applied()

    def record(self, name: str, checksum: str, duration_ms: int, down_checksum: str | None = None) -> None:
        self.db.record(name, checksum, duration_ms, down_checksum)
        if self.on_applied is not None:
            self.on_applied(name, duration_ms)

    def unrecord(self, name: str) -> None:
        self.db.unrecord(name)

    # Never called: a migration with parts outside a transaction is refused here before it runs.
    def progress(self, name: str) -> Progress | None:
        return self.db.progress(name)

    def save_progress(self, progress: Progress) -> None:
        self.db.save_progress(progress)

    def clear_progress(self, name: str) -> None:
        self.db.clear_progress(name)

    def foreign_keys(self, on: bool) -> None:
        """Nothing: set once around the outer transaction."""

    def foreign_key_violations(self) -> list[BrokenForeignKeys]:
        return self.db.foreign_key_violations()

    def split_script(self, sql: str) -> list[str]:
        return self.db.split_script(sql)

    def execute_together(self, statements: Sequence[str]) -> bool:
        return self.db.execute_together(statements)


def migrate_atomically(
    db: MigrationDatabase,
    migrations: Sequence[Migration],
    to: str | None = None,
    on_applied: Callable[[str, int], None] | None = None,
) -> Report:
    """Apply every pending migration (up to and including `to`) in one transaction: all of
    them and their tracking rows, or none (MigrationFailed names the one that failed).
    `on_applied(name, ms)` is called as each one has run (inside the transaction: nothing is
    committed until the last)."""
    with runner.write_lock(db):  # what is pending (and whether foreign keys go off) is read inside it
        return _migrate(db, migrations, to, on_applied)


def _migrate(
    db: MigrationDatabase,
    migrations: Sequence[Migration],
    to: str | None,
    on_applied: Callable[[str, int], None] | None,
) -> Report:
    # What would run, read before the transaction to decide on foreign keys (under the write
    # lock, so no other mizzle command changes it before the transaction starts).
    st = runner.status(db, migrations)
    pending = [name for name in st.pending if to is None or name <= to]
    if not pending:
        runner.migrate(db, migrations, to=to, dry_run=True)  # raises what stops a migrate (edited, missing...)
        return Report("up", dry_run=False)
    by_name = {m.name: m for m in migrations}
    parsed = {name: parse_file(by_name[name].sql(db.dialect)) for name in pending}
    for name, p in parsed.items():
        if any(not s.transactional for s in p.statements):
            raise MizzleError(
                f"cannot apply the migrations in one transaction: {name} has a statement that must run outside "
                "a transaction (-- mizzle:no-transaction)"
            )
    fk_off = any(p.foreign_keys_off for p in parsed.values())
    try:
        if fk_off:
            db.foreign_keys(False)
        db.begin()
        report = runner.migrate(_Savepoints(db, on_applied), migrations, to=to, scripts=False)
        if fk_off:
            broken = db.foreign_key_violations()
            if broken:
                what = "; ".join(f"{b.rows} row(s) of {b.table} point to missing rows of {b.parent}" for b in broken)
                last = report.done[-1] if report.done else pending[-1]
                raise MigrationFailed(f"the upgrade would break foreign keys, nothing of it was applied: {what}", last)
        db.commit()
        return report
    except MigrationFailed as failed:
        _rollback(db)
        raise MigrationFailed(_whole(str(failed)), failed.migration) from None
    except DatabaseError as err:
        _rollback(db)
        raise MizzleError(f"the upgrade failed, nothing of it was applied: {err}") from None
    except BaseException:
        _rollback(db)
        raise
    finally:
        if fk_off:
            with suppress(DatabaseError):
                db.foreign_keys(True)


def _rollback(db: MigrationDatabase) -> None:
    with suppress(DatabaseError):
        db.rollback()


def _whole(message: str) -> str:
    """The runner says what happened to one migration; here the earlier ones went too."""
    return message.replace(", nothing of it was applied:", ", and the whole upgrade was rolled back:")
