"""What one database of a two-database project holds and the other does not: one typed note
per difference, rendered once, at the top of a migration file and of an exported script.

A note is `server-only` (PostgreSQL has it, the device does not: policies, a default SQLite
has no equivalent for, an index on `to_tsvector()`...) or `device-only` (SQLite alone has
it: a virtual table, a trigger given for SQLite only). Each dialect's planner puts its notes
on `Plan.notes`; `export` takes the same notes from the plan that creates the schema, so a
script and the migrations that build the same schema say the same thing. `header_lines` is
the one place they become text: `-- server-only: index posts.tsv (to_tsvector() is not a
SQLite function)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from mizzle.core.operations import Operation

Side = Literal["server-only", "device-only"]


@dataclass(frozen=True)
class SideNote:
    """One thing one database holds and the other does not."""

    side: Side
    #: what it is, one line: `trigger tune_bumped on tune`, `default on a.b: auth.uid() (...)`
    text: str
    #: True: the schema asks for it, and this database goes without it (a default or index
    #: SQLite cannot run). A project whose only database this is cannot do without it:
    #: `generate` refuses such a schema (see `app/generate.check_fits`).
    dropped: bool = False


def header_lines(notes: Iterable[SideNote]) -> list[str]:
    """The notes as comment lines, each said once, in order: `-- server-only: ...`."""
    from mizzle.core.migration_text import one_line  # (that module imports none of this)

    lines: list[str] = []
    for note in notes:
        line = f"-- {note.side}: {one_line(note.text)}"
        if line not in lines:
            lines.append(line)
    return lines


def one_sided(operations: Sequence[Operation]) -> list[SideNote]:
    """The triggers given for one database only, and the SQLite virtual tables, that the
    operations make or drop: each database's file names them, so a reader of either knows the
    other database has no such thing."""
    from mizzle.core.routine_ops import CreateTrigger, CreateVirtualTable, DropTrigger, DropVirtualTable

    notes: list[SideNote] = []
    for op in operations:
        if isinstance(op, (CreateVirtualTable, DropVirtualTable)):
            notes.append(SideNote("device-only", f"virtual table {op.table.name}"))
        elif isinstance(op, (CreateTrigger, DropTrigger)):
            trigger = op.trigger
            if trigger.postgresql is None:
                notes.append(SideNote("device-only", f"trigger {trigger.name} on {op.table}"))
            elif trigger.sqlite is None:
                notes.append(SideNote("server-only", f"trigger {trigger.name} on {op.table}"))
    return notes
