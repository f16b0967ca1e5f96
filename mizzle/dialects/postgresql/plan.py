"""How PostgreSQL carries out a list of operations: one step per operation, each with the
statements that undo it.

A step's reverse is what planning the reversed operation gives in the schema the step
leaves behind, so `plan.down()` runs, step for step, what planning `reverse_all(operations)`
from the new schema gives (save for the enum values below: planning the reversed list would
move them to the front of the down migration too).

The planner follows the schema through the operations with `evolve` (which refuses an
operation that does not fit where it runs), because some steps depend on what exists at
that point: the columns using an enum, the serial columns of a renamed table, the views
over a table. A schema is computed only for the operations that need one, from the
nearest one known: an initial migration of 1000 CREATE TABLEs needs none.

Steps run in the migration's transaction, except:
- `CREATE INDEX CONCURRENTLY` (asked for with `concurrently=True` for indexes on tables
  the migration does not create, or by `CreateIndex.concurrently`), in place, and its
  reverse `DROP INDEX CONCURRENTLY IF EXISTS` (both re-runnable: a resumed run may repeat them);
- enum values added by `ALTER TYPE ... ADD VALUE` that a later operation uses: moved to
  the front of the migration (see `plan_enums.py`).

Where each operation's SQL comes from: tables, keys, constraints, indexes and views in
`plan_tables.py`; columns in `plan_columns.py` (type conversions in `plan_casts.py`,
serial sequences in `plan_serials.py`); enums in `plan_enums.py`; sync triggers and
their support objects in `plan_sync.py`; extensions, functions and the app's triggers in
`plan_routines.py`; domains, sequences, materialized views and aggregates in
`plan_objects.py`; row level security, policies, grants and comments in `plan_security.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence, Set
from dataclasses import replace
from functools import partial
from typing import Any

from mizzle.core.evolve import evolve
from mizzle.core.model import Schema
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
    SetSecurity,
)
from mizzle.core.pg_object_ops import AlterObject, CreateObject, DropObject, SetPartitionKey
from mizzle.core.plan import Plan, Step
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
from mizzle.core.side_notes import one_sided
from mizzle.dialects.postgresql import (
    plan_columns,
    plan_enums,
    plan_objects,
    plan_routines,
    plan_security,
    plan_sync,
    plan_tables,
)
from mizzle.dialects.postgresql.plan_context import Context, Planned

NAME = "postgresql"

#: operation type → how PostgreSQL carries it out
PLANNERS: dict[type[Operation], Callable[[Any, Context], Planned]] = {
    CreateTable: plan_tables.create_table,
    DropTable: plan_tables.drop_table,
    RenameTable: plan_tables.rename_table,
    AddColumn: plan_columns.add_column,
    DropColumn: plan_columns.drop_column,
    RenameColumn: plan_columns.rename_column,
    AlterColumn: plan_columns.alter,
    AddPrimaryKey: plan_tables.add_primary_key,
    DropPrimaryKey: plan_tables.drop_primary_key,
    AddForeignKey: plan_tables.add_foreign_key,
    DropForeignKey: plan_tables.drop_foreign_key,
    AddUnique: plan_tables.add_unique,
    DropUnique: plan_tables.drop_unique,
    AddCheck: plan_tables.add_check,
    DropCheck: plan_tables.drop_check,
    CreateIndex: plan_tables.create_index,
    DropIndex: plan_tables.drop_index,
    CreateEnum: plan_enums.create_enum,
    DropEnum: plan_enums.drop_enum,
    AlterEnum: plan_enums.alter_enum,
    CreateView: plan_tables.create_view,
    DropView: plan_tables.drop_view_op,
    ReplaceView: plan_tables.replace_view,
    EnableSync: plan_sync.enable_sync,
    DisableSync: plan_sync.disable_sync,
    CreateSyncSupport: plan_sync.create_sync_support,
    DropSyncSupport: plan_sync.drop_sync_support,
    SetSecurity: plan_security.set_security,
    CreateExtension: plan_routines.create_extension,
    DropExtension: plan_routines.drop_extension,
    CreateFunction: plan_routines.create_function,
    ReplaceFunction: plan_routines.replace_function,
    DropFunction: plan_routines.drop_function,
    CreateTrigger: plan_routines.create_trigger,
    DropTrigger: plan_routines.drop_trigger,
    CreateObject: plan_objects.create_object,
    DropObject: plan_objects.drop_object,
    AlterObject: plan_objects.alter_object,
    SetPartitionKey: plan_objects.set_partition_key,
    # SQLite's alone: PostgreSQL has no virtual tables (generate's header says device-only)
    CreateVirtualTable: plan_routines.nothing,
    DropVirtualTable: plan_routines.nothing,
}


class _Schemas:
    """The schema before each operation (`at(i)`; `at(len(operations))` is the end), computed
    on demand by evolving the old schema."""

    def __init__(self, old: Schema, operations: Sequence[Operation]) -> None:
        self._operations = operations
        self._known: dict[int, Schema] = {0: old}

    def at(self, index: int) -> Schema:
        if index not in self._known:
            # from the start, not from the nearest schema known: a Schema does not say whether
            # the sync support objects exist (evolve infers it from its sync tables), and one
            # taken between the DisableSync and EnableSync of every sync table would say not
            self._known[index] = evolve(self._known[0], self._operations[:index])
        return self._known[index]


def _created_before(operations: Sequence[Operation]) -> Iterator[Set[str]]:
    """For each operation in turn, the tables created earlier in the migration (under their
    current names): one set, updated after each operation is yielded, so read it before
    taking the next. (A frozen copy per operation held 50 million names for a 10,000-table
    first migration: 2 GB, most of `generate`'s memory.)"""
    created: set[str] = set()
    for op in operations:
        yield created
        if isinstance(op, CreateTable):
            created.add(op.table.name)
        elif isinstance(op, DropTable):
            created.discard(op.table.name)
        elif isinstance(op, RenameTable) and op.old in created:
            created.discard(op.old)
            created.add(op.new)


def _concurrency(op: Operation, concurrently: bool, created: Set[str]) -> tuple[bool, bool]:
    """(forward, reverse): whether the step's index build or drop runs CONCURRENTLY. An index
    on a table the migration creates is built with it (the table is new: nothing waits on it)."""
    on_existing = concurrently and op.table_name not in created
    if isinstance(op, CreateIndex):
        forward = op.concurrently or on_existing
        return forward, forward  # built concurrently, dropped concurrently when undone
    if isinstance(op, DropIndex):
        # undoing a drop builds the index: concurrently when asked, or when this drop is the
        # reverse of a concurrent build
        return op.concurrently, op.concurrently or on_existing
    return False, False


def _values_first(operations: list[Operation]) -> list[Operation]:
    """The operations with each enum value addition that must run outside the transaction
    moved to the front (before anything else commits; always possible: it only needs the
    enum, which exists before the migration, and nothing can need a value to be missing)."""
    first = [
        op
        for i, op in enumerate(operations)
        if isinstance(op, AlterEnum)
        and op.only_appends
        and plan_enums.uses_values(operations[i + 1 :], op.new.name, op.added)
    ]
    return first + [op for op in operations if not any(op is f for f in first)]


def _after(operations: Sequence[Operation], index: int) -> Sequence[Operation]:
    return operations[index + 1 :]


def _undone_after(operations: Sequence[Operation], index: int) -> list[Operation]:
    """What runs after undoing operation `index`: the reverses of the ones before it."""
    return [op.reverse() for op in reversed(operations[:index])]


def plan_operation(op: Operation, ctx: Context) -> Planned:
    planner = PLANNERS.get(type(op))
    if planner is None:
        raise TypeError(f"no PostgreSQL planner for {type(op).__name__}")
    return planner(op, ctx)


def plan(operations: list[Operation], old: Schema, new: Schema, *, concurrently: bool = False) -> Plan:
    """The PostgreSQL plan carrying out `operations`, which turn `old` into `new`. The planner
    follows the operations themselves (`new` is where they lead); `concurrently`: build
    indexes on existing tables with CREATE INDEX CONCURRENTLY (see the module doc)."""
    ops = _values_first(list(operations))
    schemas = _Schemas(old, ops)
    steps: list[Step] = []
    for (i, op), created in zip(enumerate(ops), _created_before(ops), strict=True):
        forward_concurrent, reverse_concurrent = _concurrency(op, concurrently, created)
        ahead = Context(
            partial(schemas.at, i), partial(schemas.at, i + 1), partial(_after, ops, i), concurrent=forward_concurrent
        )
        back = Context(
            partial(schemas.at, i + 1),
            partial(schemas.at, i),
            partial(_undone_after, ops, i),
            concurrent=reverse_concurrent,
        )
        forward, reverse = plan_operation(op, ahead), plan_operation(op.reverse(), back)
        steps.append(
            Step(
                sources=(op,),
                statements=forward.statements,
                reverse=reverse.statements,
                transactional=forward.transactional,
                comment=op.describe(),
                guards=forward.guards,
                reverse_guards=reverse.guards,
                reverse_transactional=reverse.transactional,
            )
        )
    guard = plan_security.role_guard(ops)
    if guard is not None and steps:
        steps[0] = replace(steps[0], guards=(guard, *steps[0].guards))
    # what SQLite alone has (virtual tables, its own triggers): the header says so
    return Plan(dialect=NAME, steps=tuple(steps), notes=tuple(one_sided(ops)))
