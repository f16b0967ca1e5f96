"""`migrate`, `rollback` and `status`: a migrations folder against one database's tracking
table, through the migration runner (`mizzle.core.runner`).

migrate and rollback first verify the folder against `mizzle.sum` and refuse to run on any
problem: an edited, missing or colliding migration is settled before anything runs. `on_done`
hears each migration as it commits, so a caller can show which ones stay applied (or rolled
back) when a later one fails. A rollback that loses data (rows of a dropped table, values of
a dropped column) is counted first and goes ahead only when `confirm` accepts the losses
(`mizzle.app.rollback`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mizzle.app.database import opened
from mizzle.app.folder import verified
from mizzle.core import integrity, runner
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.runner import MigrationFailed, Outcome, Report, Status
from mizzle.core.urls import DatabaseURL

if TYPE_CHECKING:
    from mizzle.app.rollback import Loss


@dataclass(frozen=True)
class Migrated:
    report: Report
    #: how many migrations the folder holds
    local: int


def migrate(
    url: DatabaseURL,
    folder: MigrationFolder,
    *,
    to: str | None = None,
    dry_run: bool = False,
    allow_out_of_order: bool = False,
    on_done: Callable[[Outcome], None] | None = None,
) -> Migrated:
    """Apply the pending migrations of `folder` to the database at `url`, each in its own
    transaction (a SQLite file is created; a dry run creates nothing and returns the SQL)."""
    from mizzle.app.existing import already_there, with_baseline_hint

    migrations = verified(folder, "migrate").migrations()
    # Asked under the write lock, held until the run ends (re-entrant: the runner takes it
    # again), so another migrate committing meanwhile is seen as a history, not as tables made
    # by someone else. A dry run takes no lock (it must not even make SQLite's lock file).
    with (
        opened(url, create=not dry_run, missing_as_empty=dry_run) as database,
        runner.write_lock(database.db) if not dry_run else nullcontext(),
    ):
        already_there(database.db, database.conn, migrations, to)
        try:
            report = runner.migrate(
                database.db,
                migrations,
                to=to,
                dry_run=dry_run,
                allow_out_of_order=allow_out_of_order,
                on_done=on_done,
            )
        except MigrationFailed as err:
            raise with_baseline_hint(err) from None
    return Migrated(report, len(migrations))


@dataclass(frozen=True)
class RolledBack:
    report: Report
    #: what the rollback destroys (dry run: would destroy), each counted; a count of 0 lost nothing
    losses: tuple[Loss, ...]


def rollback(
    url: DatabaseURL,
    folder: MigrationFolder,
    *,
    steps: int = 1,
    to: str | None = None,
    dry_run: bool = False,
    force: bool = False,
    confirm: Callable[[list[Loss]], None] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> RolledBack:
    """Undo applied migrations with their down files, newest first, each in its own transaction.

    What it would destroy is counted first; when something real is at stake and not `force`,
    `confirm` is called with it and raises (a MizzleError) to stop before anything changes;
    without `confirm`, such a rollback is refused (a caller that asks nobody destroys nothing
    by default). The run then undoes exactly the migrations counted: another process rolling
    back meanwhile makes it refuse."""
    from mizzle.app.rollback import losses  # the model: only when rolling back

    migrations = verified(folder, "roll back").migrations()
    with opened(url) as database:
        targets = runner.planned_rollback(database.db, migrations, steps=steps, to=to)
        counted = losses(database.db, migrations, targets)
        if dry_run:
            report = runner.rollback(database.db, migrations, steps=steps, to=to, dry_run=True)
        else:
            real = [loss for loss in counted if loss.real]
            if real and not force:
                if confirm is None:
                    raise MizzleError(f"rollback would lose data: {'; '.join(map(str, real))}: nothing was changed")
                confirm(real)
            expected = [name for name, _ in targets]
            report = runner.rollback(database.db, migrations, steps=steps, to=to, expected=expected, on_done=on_done)
    return RolledBack(report, tuple(counted))


@dataclass(frozen=True)
class StatusReport:
    status: Status
    #: every problem: the folder's against mizzle.sum first, then the database's
    problems: tuple[str, ...]


def status(url: DatabaseURL, folder: MigrationFolder) -> StatusReport:
    """The applied migrations (with when and how long), the pending ones, and the problems:
    an applied migration edited or missing locally, an out-of-order pending one, the folder
    failing its mizzle.sum check. Changes nothing (a missing SQLite file is an error)."""
    problems = [p.message for p in integrity.verify(folder)]
    with opened(url) as database:
        st = runner.status(database.db, folder.migrations())
    return StatusReport(st, tuple(problems + [p.message for p in st.problems]))
