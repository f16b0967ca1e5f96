"""What one SQLite step renders: operation type → its statements (`RENDERERS`, as
PostgreSQL's `PLANNERS`).

A renderer gets the operation and the database on either side of it (`plan_state.State`):
the step's statements are derived from the two states, so the same renderer gives the
reverse when handed the reversed operation and the states swapped. The planner (`plan.py`)
calls `render` for a step that is one operation, and `rebuild` for a step rebuilding a table
with every operation on it (`alterable.in_place_problem` decides which).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mizzle.core.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AlterEnum,
    CreateEnum,
    CreateIndex,
    CreateSyncSupport,
    CreateTable,
    CreateView,
    DisableSync,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropSyncSupport,
    DropTable,
    DropUnique,
    DropView,
    EnableSync,
    Operation,
    RenameColumn,
    RenameTable,
    ReplaceView,
)
from mizzle.core.plan import Guard
from mizzle.core.routine_ops import (
    CreateExtension,
    CreateFunction,
    CreateTrigger,
    CreateVirtualTable,
    DropExtension,
    DropFunction,
    DropTrigger,
    DropVirtualTable,
    ReplaceFunction,
)
from mizzle.core.sync.names import SYNC_SEQ
from mizzle.dialects.sqlite import sync_sql
from mizzle.dialects.sqlite.alterable import in_place_problem
from mizzle.dialects.sqlite.plan_state import State, referenced_by_others
from mizzle.dialects.sqlite.rebuild import (
    Surroundings,
    TableRebuild,
    column_origins,
    q,
    rebuild_sql,
    unique_index_guard,
    views_reading,
)
from mizzle.dialects.sqlite.render import column_sql, create_index_sql, create_table_sql, create_view_sql


@dataclass
class Rendered:
    """The statements of one step, one way."""

    statements: list[str] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    #: the statements need foreign keys off (a rebuild, or dropping a table others reference)
    foreign_keys_off: bool = False

    def __iadd__(self, other: Rendered) -> Rendered:
        self.statements += other.statements
        self.guards += other.guards
        self.foreign_keys_off |= other.foreign_keys_off
        return self


def rebuild(name: str, ops: Sequence[Operation], s0: State, s1: State, names_now: Mapping[str, str]) -> Rendered:
    """Table `name` rebuilt from its definition in `s0` to the one in `s1` (nothing when
    SQLite would hold it and the views reading it alike)."""
    before, after = s0.table(name), s1.table(name)
    change = TableRebuild(before, after, column_origins(ops, before, after), s0.enums_of(name), s1.enums_of(name))
    if change.unchanged() and {v.name: v for v in views_reading(name, s0.views)} == {
        v.name: v for v in views_reading(name, s1.views)
    }:
        return Rendered()
    around = Surroundings(s0.views, s1.views, s0.tables, names_now)
    guards, statements = rebuild_sql(change, around)
    return Rendered(statements, guards, foreign_keys_off=True)


def render(op: Operation, s0: State, s1: State) -> Rendered:
    """The statements of a step that is one operation (not a grouped rebuild), from `s0` to `s1`."""
    renderer = RENDERERS.get(type(op))
    if renderer is None:
        raise TypeError(f"no SQLite plan for {type(op).__name__}")
    return renderer(op, s0, s1)


# --- one renderer per operation kind -------------------------------------------------------------


def _create_table(op: CreateTable, s0: State, s1: State) -> Rendered:
    table = s1.table(op.table.name)
    triggers = sync_sql.trigger_statements(table.name, table.primary_key_columns) if table.sync else []
    return Rendered(
        [create_table_sql(table, s1.enums_of(table.name))]
        + [create_index_sql(table.name, i) for i in table.indexes]
        + triggers
    )


def _drop_table(op: DropTable, s0: State, s1: State) -> Rendered:
    name = op.table.name
    # With foreign keys on, DROP TABLE first deletes every row, cascading into children.
    return Rendered([f"DROP TABLE {q(name)}"], foreign_keys_off=referenced_by_others(name, s0))


def _rename_table(op: RenameTable, s0: State, s1: State) -> Rendered:
    return Rendered([f"ALTER TABLE {q(op.old)} RENAME TO {q(op.new)}"])


def _rename_column(op: RenameColumn, s0: State, s1: State) -> Rendered:
    return Rendered([f"ALTER TABLE {q(op.table)} RENAME COLUMN {q(op.old)} TO {q(op.new)}"])


def _add_column(op: AddColumn, s0: State, s1: State) -> Rendered:
    before, after = s0.table(op.table), s1.table(op.table)
    if in_place_problem(op, before, after) is not None:
        return rebuild(op.table, [op], s0, s1, {})
    column = after.column(op.column.name)
    assert column is not None
    return Rendered([f"ALTER TABLE {q(op.table)} ADD COLUMN {column_sql(after, column, s1.enums_of(op.table))}"])


def _drop_column(op: DropColumn, s0: State, s1: State) -> Rendered:
    if in_place_problem(op, s0.table(op.table), s1.table(op.table)) is not None:
        return rebuild(op.table, [op], s0, s1, {})
    return Rendered([f"ALTER TABLE {q(op.table)} DROP COLUMN {q(op.column.name)}"])


def _rebuilt_alone(op: Operation, s0: State, s1: State) -> Rendered:
    """What ALTER TABLE cannot do (`alterable.ALWAYS_REBUILT`), as a step of its own."""
    return rebuild(op.table_name or "", [op], s0, s1, {})


def _create_index(op: CreateIndex, s0: State, s1: State) -> Rendered:
    index = next(i for i in s1.table(op.table).indexes if i.name == op.index.name)
    guards = [unique_index_guard(op.table, index)] if index.unique else []
    return Rendered([create_index_sql(op.table, index)], guards)


def _drop_index(op: DropIndex, s0: State, s1: State) -> Rendered:
    return Rendered([f"DROP INDEX {q(op.index.name)}"])


def _view(op: CreateView | DropView | ReplaceView, s0: State, s1: State) -> Rendered:
    """Any change of a view: drop it as `s0` holds it, create it as `s1` holds it."""
    name = op.view.name if isinstance(op, CreateView | DropView) else op.new.name
    out = Rendered([f"DROP VIEW {q(name)}"] if name in s0.views else [])
    if name in s1.views:
        out.statements.append(create_view_sql(s1.views[name]))
    return out


def _nothing(op: Operation, s0: State, s1: State) -> Rendered:
    """SQLite holds enum values only in column CHECKs (see the planner's AlterEnum step), and
    has no functions or extensions."""
    return Rendered()


def _create_trigger(op: CreateTrigger, s0: State, s1: State) -> Rendered:
    """The app's trigger, when it is given for SQLite (one given for PostgreSQL only is not SQLite's)."""
    return Rendered([op.trigger.sqlite] if op.trigger.sqlite is not None else [])


def _drop_trigger(op: DropTrigger, s0: State, s1: State) -> Rendered:
    return Rendered([f"DROP TRIGGER {q(op.trigger.name)}"] if op.trigger.sqlite is not None else [])


def _create_virtual_table(op: CreateVirtualTable, s0: State, s1: State) -> Rendered:
    """The app's statement as written: SQLite makes the module's shadow tables itself."""
    return Rendered([op.table.sqlite])


def _drop_virtual_table(op: DropVirtualTable, s0: State, s1: State) -> Rendered:
    return Rendered([f"DROP TABLE {q(op.table.name)}"])


def _enable_sync(op: EnableSync, s0: State, s1: State) -> Rendered:
    seq = s1.table(op.table).column(SYNC_SEQ) is not None  # False: a rollback to the older form
    return Rendered(sync_sql.trigger_statements(op.table, op.primary_key, seq=seq))


def _disable_sync(op: DisableSync, s0: State, s1: State) -> Rendered:
    return Rendered(sync_sql.drop_trigger_statements(op.table))


def _create_sync_support(op: CreateSyncSupport, s0: State, s1: State) -> Rendered:
    return Rendered(sync_sql.support_statements())


def _drop_sync_support(op: DropSyncSupport, s0: State, s1: State) -> Rendered:
    return Rendered(sync_sql.drop_support_statements())


#: operation type → the statements SQLite runs for it, from the state before to the one after
RENDERERS: dict[type[Operation], Callable[[Any, State, State], Rendered]] = {
    CreateTable: _create_table,
    DropTable: _drop_table,
    RenameTable: _rename_table,
    AddColumn: _add_column,
    DropColumn: _drop_column,
    RenameColumn: _rename_column,
    AlterColumn: _rebuilt_alone,
    AddPrimaryKey: _rebuilt_alone,
    DropPrimaryKey: _rebuilt_alone,
    AddForeignKey: _rebuilt_alone,
    DropForeignKey: _rebuilt_alone,
    AddUnique: _rebuilt_alone,
    DropUnique: _rebuilt_alone,
    AddCheck: _rebuilt_alone,
    DropCheck: _rebuilt_alone,
    CreateIndex: _create_index,
    DropIndex: _drop_index,
    CreateEnum: _nothing,
    DropEnum: _nothing,
    AlterEnum: _nothing,
    CreateView: _view,
    DropView: _view,
    ReplaceView: _view,
    EnableSync: _enable_sync,
    DisableSync: _disable_sync,
    CreateSyncSupport: _create_sync_support,
    DropSyncSupport: _drop_sync_support,
    CreateTrigger: _create_trigger,
    DropTrigger: _drop_trigger,
    CreateVirtualTable: _create_virtual_table,
    DropVirtualTable: _drop_virtual_table,
    # PostgreSQL's code: SQLite has no functions or extensions to make
    CreateExtension: _nothing,
    DropExtension: _nothing,
    CreateFunction: _nothing,
    ReplaceFunction: _nothing,
    DropFunction: _nothing,
}
