"""What a dialect's planner produces from operations.

A `Plan` is a list of `Step`s. A step carries the statements that carry out its source
operation(s) (a SQLite table rebuild is one step for every operation on that table), the
statements that undo it, and whether it may run inside the migration's transaction.
`migration_text.py` writes a plan to a migration file and reads such files back.
"""

from __future__ import annotations

from dataclasses import dataclass

from mizzle.core.operations import Operation, Safety
from mizzle.core.side_notes import SideNote


@dataclass(frozen=True)
class Guard:
    """A check run before a step: `query` returns one integer (a count of offending rows);
    when it is not 0 the migration stops, rolls back, and reports `message` with `{count}`
    filled in, e.g. `cannot make tune.title NOT NULL: {count} rows hold NULL and it has no
    default`. This is how a change that cannot succeed on the data fails clearly, on every
    database and in the browser alike."""

    query: str
    message: str


@dataclass(frozen=True)
class Step:
    sources: tuple[Operation, ...]
    statements: tuple[str, ...]
    #: statements that undo this step, in the order they run
    reverse: tuple[str, ...]
    #: False: must run outside the migration's transaction (CREATE INDEX CONCURRENTLY)
    transactional: bool = True
    comment: str = ""
    #: checks run (in the transaction) before `statements`
    guards: tuple[Guard, ...] = ()
    #: checks run before `reverse` when the step is undone (the reverse may fail on data too:
    #: undoing DropUnique adds the unique back over rows that may now hold duplicates)
    reverse_guards: tuple[Guard, ...] = ()
    #: False: `reverse` must run outside the transaction (DROP INDEX CONCURRENTLY)
    reverse_transactional: bool = True


@dataclass(frozen=True)
class Plan:
    dialect: str
    steps: tuple[Step, ...]
    #: SQLite: the plan rebuilds a table, so it must run with foreign keys off (see module doc)
    foreign_keys_off: bool = False
    #: what this database holds differently from the other one (`core/side_notes.py`):
    #: policies left out on SQLite, a virtual table PostgreSQL has not... said in the header
    notes: tuple[SideNote, ...] = ()

    @property
    def operations(self) -> list[Operation]:
        return [op for step in self.steps for op in step.sources]

    def warnings(self) -> list[str]:
        """One line per operation that may fail on existing rows or loses data."""
        out = []
        for op in self.operations:
            if op.safety is not Safety.SAFE:
                out.append(f"{op.safety.value}: {op.describe()}")
        return out

    def down(self) -> Plan:
        """The plan that undoes this one: every step's reverse, last step first."""
        steps = tuple(
            Step(
                sources=(undo := tuple(op.reverse() for op in reversed(s.sources))),
                statements=s.reverse,
                reverse=s.statements,
                transactional=s.reverse_transactional,
                guards=s.reverse_guards,
                reverse_guards=s.guards,
                reverse_transactional=s.transactional,
                comment="; ".join(op.describe() for op in undo) if s.comment else "",
            )
            for s in reversed(self.steps)
        )
        return Plan(dialect=self.dialect, steps=steps, foreign_keys_off=self.foreign_keys_off, notes=self.notes)
