"""What a rollback would destroy, counted before it runs: the logic behind `mizzle rollback`'s
confirmation (as `mizzle push` asks before a change that loses data).

A generated down file says in its header what loses data (`-- warnings:` lines starting
`data loss: `, `ParsedMigration.warnings`). Each such line that drops a table or a column is
matched with the operation the migration's snapshots give for it (the schema after the
migration, back to the one after the migration before it) and counted by `push`'s own
machinery, in one query: `0001_init: drop table tune (1,234 rows)`. A loss that cannot be
counted (no snapshot, an operation push does not count, a table renamed since) stays a loss,
uncounted: it is never dropped from the list. A count of 0 is shown but needs no
confirmation: undoing a migration that nothing has been written through loses nothing.

A hand-written down file without that header is not read for losses (mizzle does not parse
SQL): its author is the one to say what it destroys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mizzle.core.errors import MizzleError
from mizzle.core.migration_text import ParsedMigration
from mizzle.core.migrations import LocalMigration
from mizzle.core.operations import Operation, Safety
from mizzle.core.tracking import MigrationDatabase

#: how `Plan.warnings()` starts the warning of an operation that loses data
DATA_LOSS = "data loss: "


@dataclass(frozen=True)
class Loss:
    """One thing a rollback destroys: `0001_init: drop table tune (3 rows)`."""

    migration: str
    what: str
    #: rows or non-null values destroyed; None when not counted
    count: int | None

    @property
    def real(self) -> bool:
        """Whether it needs a yes: something is (or may be) lost."""
        return self.count is None or self.count > 0

    def __str__(self) -> str:
        return f"{self.migration}: {self.what}"


def losses(
    db: MigrationDatabase, migrations: Sequence[LocalMigration], targets: Sequence[tuple[str, ParsedMigration]]
) -> list[Loss]:
    """What undoing `targets` (newest first, as `runner.planned_rollback` gives them) destroys,
    counted on the database as it is now."""
    out: list[Loss] = []
    for name, parsed in targets:
        said = [w[len(DATA_LOSS) :] for w in parsed.warnings if w.startswith(DATA_LOSS)]
        if not said:
            continue
        matched = [op for op in _down_operations(migrations, name) if op.describe() in said]
        counted = _counted(db, matched)
        out += [Loss(name, what, count) for what, count in counted]
        done = {op.describe() for op in matched}
        out += [Loss(name, what, None) for what in said if what not in done]
    return out


def _down_operations(migrations: Sequence[LocalMigration], name: str) -> list[Operation]:
    """The data-losing operations from the schema after `name` back to the one before it, by
    their snapshots; empty when a snapshot cannot be read (the losses then stay uncounted)."""
    from mizzle.app.push import no_renames
    from mizzle.core.diff import diff
    from mizzle.core.model import Schema

    ordered = sorted(migrations, key=lambda m: m.name)
    index = next((i for i, m in enumerate(ordered) if m.name == name), None)
    if index is None:
        return []
    try:
        after = ordered[index].snapshot()
        before = ordered[index - 1].snapshot() if index > 0 else Schema()
        # No renames: a rename undone shows as a drop here, but only operations the down
        # file's own header names as data loss are counted.
        operations = diff(after, before, no_renames(after, before))
    except MizzleError:
        return []
    return [op for op in operations if op.safety is Safety.DATA_LOSS]


def _counted(db: MigrationDatabase, operations: list[Operation]) -> list[tuple[str, int | None]]:
    from mizzle.app.push import counted_losses

    if not operations:
        return []
    try:
        return counted_losses(db, operations)
    except MizzleError:  # a table not there as the snapshot says (renamed by hand...): uncounted
        return [(op.describe(), None) for op in operations]
