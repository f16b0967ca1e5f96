"""A database that already holds what its pending migrations create: `migrate` says so in one
line that names `mizzle baseline`, before it runs anything when it can tell (no migration is
recorded yet the tables are there), else when a CREATE fails with "already exists" (that
migration was rolled back whole by the runner, so nothing is half applied)."""

from __future__ import annotations

from typing import Any

from mizzle.core.errors import IntrospectionError, MizzleError
from mizzle.core.migrations import LocalMigration
from mizzle.core.runner import MigrationFailed
from mizzle.core.tracking import DatabaseError, MigrationDatabase
from mizzle.dialects import get_dialect

#: what PostgreSQL (`relation "tune" already exists`) and SQLite (`table tune already exists`) say
_ALREADY_EXISTS = "already exists"
_SHOWN = 3


def already_there(db: MigrationDatabase, conn: Any, migrations: list[LocalMigration], to: str | None) -> None:
    """MizzleError naming `mizzle baseline` when the database records no migration but holds
    tables the migrations up to `to` create; nothing when it records some (a database with a
    history is migrated as usual) or holds none of them."""
    try:
        if db.applied():
            return
    except DatabaseError:
        return  # the runner reads the tracking table again and says what is wrong with it
    selected = [m for m in migrations if to is None or m.name <= to]
    if not selected:
        return
    # The first migration's tables are the ones its CREATE would trip on, the last one's those
    # the database ends with: two snapshots read, not one per migration of a long history.
    ends = {selected[0].name: selected[0], selected[-1].name: selected[-1]}.values()
    created = {t.name for m in ends for t in m.snapshot().tables}
    try:
        existing = {t.name for t in get_dialect(db.dialect).introspect(conn).schema.tables}
    except IntrospectionError:
        return  # a database mizzle cannot read whole is migrated as before: a CREATE still fails safely
    both = sorted(created & existing)
    if not both:
        return
    names = ", ".join(both[:_SHOWN]) + (f" (and {len(both) - _SHOWN} more)" if len(both) > _SHOWN else "")
    raise MizzleError(
        f"cannot migrate: the database already holds {'table' if len(both) == 1 else 'tables'} {names} that the "
        "migrations create, but records no applied migration (made by hand, by `push` or by another tool): run "
        "`mizzle baseline` (with `--to NAME`, the last migration whose schema it holds) to record them as applied "
        "without running them; nothing was changed"
    )


def with_baseline_hint(err: MigrationFailed) -> MigrationFailed:
    """`err`, told to baseline when its migration failed on an object that already exists."""
    if _ALREADY_EXISTS not in str(err):
        return err
    return MigrationFailed(
        f"{err}; the database already holds objects this migration creates (a change made by hand or by "
        f"`push`): if it holds this migration's schema, record it with `mizzle baseline --to {err.migration}` "
        "(it checks the database first) instead of running it",
        err.migration,
    )
