"""How SQLite carries out a schema change: operations → statements.

A plain ALTER where SQLite has one (`alterable.in_place_problem` is the one predicate
deciding it, as Atlas's `alterable`): ADD COLUMN, RENAME TABLE, RENAME COLUMN, DROP COLUMN
within SQLite's limits; CREATE/DROP INDEX; CREATE/DROP VIEW (views reading a dropped column
are dropped first by the diff). Anything else rebuilds the table (`rebuild.py`), once per
table: every operation on it goes into one step, which sits where the last of them (or the
last change of an enum it uses) is; which tables those are, and where, is worked out before
walking (`plan_groups.py`). What each step renders is in `steps.py` (`RENDERERS`: operation
type → statements).

The planner works on the schemas as SQLite holds them (`capabilities.storage_projection`)
and follows the database through the plan (`plan_state.State`: tables, views and enum values
as they are after each step, through evolve's interpreter, renames rewriting references as
SQLite rewrites them), so each step's statements and its reverse are both derived from the
states on either side of it: the reverse of a plain ADD COLUMN is DROP COLUMN, or a rebuild
back when SQLite cannot drop the column in place. A plan holding a rebuild, either way, runs with foreign keys off
(`Plan.foreign_keys_off`: the runner turns them off outside the transaction and runs
`PRAGMA foreign_key_check` before COMMIT; no statement here touches the pragma).

Choices worth knowing:
- Enums live in column CHECKs, so an enum whose values change rebuilds every table using it,
  once even when the diff changes the enum twice (with a guard counting rows holding a
  removed value). CreateEnum and DropEnum have nothing to do.
- A new table carries all its foreign keys in CREATE TABLE, those the diff adds later too
  (SQLite checks a foreign key only when rows are written), as `render_schema` does.
- Column order is not compared (PostgreSQL cannot reorder columns either): ADD COLUMN
  appends; a rebuilt table takes the new schema's order.
- Operations on a table the plan drops later are not carried out (there is nothing to gain
  from rebuilding a table to drop a unique before dropping the table), except DROP INDEX:
  index names are global, and a new index may reuse the name.
- After the operations, any table or view SQLite would still hold differently from the new
  schema (an operation list that does not cover every difference) is rebuilt or re-created,
  so the database always ends as `project(new)`, column order aside.
- Triggers: the model holds a sync table's triggers (its `sync` flag; EnableSync and
  DisableSync create and drop them, CREATE TABLE of a sync table carries them) and the app's
  own (`Table.triggers`, CreateTrigger and DropTrigger). A rebuild re-creates both after
  copying the rows, and refuses to drop any other trigger (a guard in `rebuild.py`). They
  change only through those operations: a rebuild keeps the table's current ones.
- Everything runs on SQLite 3.39 (Pyodide) and later: DROP COLUMN (3.35), RENAME COLUMN
  (3.25), CHECK in ADD COLUMN verified against existing rows (3.37), no RETURNING, no STRICT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from mizzle.core.model import Schema, Table
from mizzle.core.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddUnique,
    AlterColumn,
    AlterEnum,
    CreateIndex,
    CreateTable,
    CreateView,
    DropCheck,
    DropForeignKey,
    DropIndex,
    DropTable,
    DropView,
    Operation,
    RenameTable,
    ReplaceView,
    SetSecurity,
    reverse_all,
)
from mizzle.core.pg_object_ops import AlterObject, CreateObject, DropObject, SetPartitionKey
from mizzle.core.pg_objects import KIND_WORDS, object_key
from mizzle.core.plan import Plan, Step
from mizzle.core.rename_refs import rename_column_in_view
from mizzle.core.side_notes import SideNote, one_sided
from mizzle.dialects.sqlite.alterable import TABLE_CHANGES
from mizzle.dialects.sqlite.capabilities import (
    held_reference,
    holds_check,
    holds_index,
    local_foreign_keys,
    noted_storage_projection,
    sequence_defaults,
)
from mizzle.dialects.sqlite.plan_groups import Grouping
from mizzle.dialects.sqlite.plan_state import (
    State,
    enums_used,
    rewrite_references,
    same_definition,
)
from mizzle.dialects.sqlite.rebuild import TableRebuild, column_origins, in_place_renames, views_reading
from mizzle.dialects.sqlite.steps import Rendered, rebuild, render

NAME = "sqlite"

#: operations on what SQLite does not have (row level security, policies, grants, comments,
#: domains, sequences, materialized views, aggregates, partitions and partition keys):
#: planned as nothing, so they never block a SQLite migration
SERVER_ONLY: tuple[type[Operation], ...] = (SetSecurity, CreateObject, DropObject, AlterObject, SetPartitionKey)


def plan(operations: list[Operation], old: Schema, new: Schema, *, concurrently: bool = False) -> Plan:
    """Statements carrying out `operations` (which turn `old` into `new`) on SQLite, each step
    with its reverse. `concurrently` is PostgreSQL's; SQLite ignores it."""
    before, was = noted_storage_projection(old)
    after, now = noted_storage_projection(new)
    # The projection drops enums no column uses (SQLite keeps enums only in column CHECKs),
    # but a table or column this plan adds may use one: the planner must know its values.
    before = Schema(tables=before.tables, views=before.views, enums=old.enums)
    held = _held_operations(operations, before, after)
    kept = [op for op in held if not isinstance(op, SERVER_ONLY)]
    planned = _Planner(kept, before, after, new).plan()
    left_out = [op for op in held if isinstance(op, SERVER_ONLY)]
    notes = [server_only_note(left_out)] if left_out else []
    # SQLite's UNIQUE keeps NULLs distinct: such a unique is made plain (capabilities), and said once
    if count := sum(map(_nulls_not_distinct, kept)):
        notes.append(f"{count} NULLS NOT DISTINCT unique{'s' if count != 1 else ''}: plain UNIQUE on SQLite")
    if count := sum(map(_sequence_defaults, kept)):
        notes.append(f"{count} nextval default{'s' if count != 1 else ''}: PostgreSQL only, no default on SQLite")
    # a partitioned table is one plain table here: every row in it, no partition made
    if count := sum(isinstance(op, CreateTable) and op.table.partition_by is not None for op in kept):
        notes.append(f"{count} partitioned table{'s' if count != 1 else ''}: one plain table on SQLite")
    # what the server has and the device goes without, said by the migration that brings it
    side = [*one_sided(operations), *(SideNote("server-only", n) for n in notes), *(n for n in now if n not in was)]
    return replace(planned, notes=tuple(side)) if side else planned


def _nulls_not_distinct(op: Operation) -> int:
    """How many NULLS NOT DISTINCT uniques and unique indexes `op` makes."""
    if isinstance(op, AddUnique):
        return int(op.unique.nulls_not_distinct)
    if isinstance(op, CreateIndex):
        return int(op.index.nulls_not_distinct)
    if isinstance(op, CreateTable):
        return sum(u.nulls_not_distinct for u in op.table.uniques) + sum(i.nulls_not_distinct for i in op.table.indexes)
    return 0


def _sequence_defaults(op: Operation) -> int:
    """How many column defaults calling a PostgreSQL sequence `op` makes (none on SQLite)."""
    if isinstance(op, CreateTable):
        return sequence_defaults(op.table)
    if isinstance(op, (AddColumn, AlterColumn)):
        column = op.column if isinstance(op, AddColumn) else op.new
        return sequence_defaults(Table(name=op.table, columns=(column,)))
    return 0


def _held_operations(operations: list[Operation], before: Schema, after: Schema) -> list[Operation]:
    """The operations as SQLite carries them (`before` and `after`: the schemas as SQLite
    holds them): foreign keys to tables of another schema (`auth.users`) are left out, as
    `storage_projection` leaves them out of the tables, and so are the indexes, checks and
    views SQLite cannot hold (the server's alone: the header names them)."""
    held_views = {v.name for v in before.views} | {v.name for v in after.views}
    held: list[Operation] = []
    for op in operations:
        if isinstance(op, (AddForeignKey, DropForeignKey)) and not held_reference(op.fk):
            continue
        if isinstance(op, (CreateIndex, DropIndex)) and not holds_index(op.index):
            continue
        if isinstance(op, (AddCheck, DropCheck)) and not holds_check(op.check):
            continue
        if isinstance(op, (CreateView, DropView)) and op.view.name not in held_views:
            continue
        if isinstance(op, ReplaceView):
            was, will = before.view(op.old.name) is not None, after.view(op.new.name) is not None
            if not (was and will):
                if was or will:
                    held.append(DropView(view=op.old) if was else CreateView(view=op.new))
                continue
        if isinstance(op, (CreateTable, DropTable)):
            fks = local_foreign_keys(op.table)
            if fks != op.table.foreign_keys:
                op = op.model_copy(update={"table": op.table.model_copy(update={"foreign_keys": fks})})
        held.append(op)
    return held


def server_only_note(operations: Sequence[Operation]) -> str:
    """`3 policies, 2 grants: PostgreSQL only, not on SQLite` for the file's header."""
    counts: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for op in operations:
        if isinstance(op, (CreateObject, DropObject, AlterObject)):
            thing = op.new if isinstance(op, AlterObject) else op.item
            if object_key(thing) in seen:  # made again (dropped and created): one object
                continue
            seen.add(object_key(thing))
            kind = KIND_WORDS[type(thing)][0]
        elif isinstance(op, SetPartitionKey):
            kind = "partition_key"
        else:
            assert isinstance(op, SetSecurity)
            item = op.new if op.new is not None else op.old
            assert item is not None
            kind = item.kind
        counts[kind] = counts.get(kind, 0) + 1
    words = {
        **{singular: (singular, plural) for singular, plural in KIND_WORDS.values()},
        "row_security": ("row level security change", "row level security changes"),
        "policy": ("policy", "policies"),
        "grant": ("grant", "grants"),
        "default_privilege": ("default privilege", "default privileges"),
        "comment": ("comment", "comments"),
        "partition_key": ("partition key change", "partition key changes"),
    }
    parts = [f"{n} {words[kind][n != 1]}" for kind, n in counts.items()]
    return f"{', '.join(parts)}: PostgreSQL only, not on SQLite"


# --- the planner -------------------------------------------------------------------------------


class _Planner(Grouping):
    """Walks the operations in order, following the database (`State`) from `before` to
    `after`; see the module docstring. What it walks through (which table each operation
    changes, which tables are rebuilt where) is worked out first, by `Grouping`."""

    def __init__(self, ops: list[Operation], before: Schema, after: Schema, new: Schema) -> None:
        super().__init__(ops, before, after, new)
        self.steps: list[Step] = []
        self.foreign_keys_off = False

    # --- walking ----------------------------------------------------------------------------

    def plan(self) -> Plan:
        state = State(
            tables={t.name: t for t in self.before.tables},
            views={v.name: v for v in self.before.views},
            enums={e.name: e for e in self.before.enums},
        )
        self.names: dict[int, str] = dict(self.original)
        for index, op in enumerate(self.ops):
            ident = self.op_table[index]
            grouped = ident in self.rebuilt and isinstance(op, TABLE_CHANGES)
            if self.doomed(ident, op) and isinstance(op, TABLE_CHANGES):
                self._add([op], Rendered(), Rendered(), "the table is dropped later in this migration")
            elif isinstance(op, AlterEnum):
                state = self._enum_change(op, index, state)
            elif not grouped:
                following = state.following(op, created=self.created_table(op, index))
                self._add([op], render(op, state, following), render(op.reverse(), following, state))
                state = following
            self._track_names(op, ident)
            for rebuilt in self.rebuild_at.get(index, []):
                state = self._group_rebuild(rebuilt, index, state)
        state = self._reconcile(state)
        return Plan(dialect=NAME, steps=tuple(self.steps), foreign_keys_off=self.foreign_keys_off)

    def _track_names(self, op: Operation, ident: int | None) -> None:
        if ident is None:
            return
        if isinstance(op, CreateTable):
            self.names[ident] = op.table.name
        elif isinstance(op, RenameTable):
            self.names[ident] = op.new
        elif isinstance(op, DropTable):
            self.names.pop(ident, None)

    def _names_now(self) -> dict[str, str]:
        """Final table name → its name at this point, for tables renamed later."""
        return {final: self.names[i] for i, final in self.renamed_final if i in self.names and self.names[i] != final}

    def _add(self, sources: Sequence[Operation], forward: Rendered, backward: Rendered, comment: str = "") -> None:
        self.foreign_keys_off |= forward.foreign_keys_off or backward.foreign_keys_off
        self.steps.append(
            Step(
                sources=tuple(sources),
                statements=tuple(forward.statements),
                reverse=tuple(backward.statements),
                comment=comment,
                guards=tuple(forward.guards),
                reverse_guards=tuple(backward.guards),
            )
        )

    # --- state transitions ------------------------------------------------------------------

    def _group_rebuild(self, ident: int, position: int, s0: State) -> State:
        """One step rebuilding table `ident` with every operation on it."""
        name = self.names[ident]
        members = [self.ops[i] for i in self.groups.get(ident, [])]
        final = self.after.table(self.final[ident])
        assert final is not None
        # the sync flag (the sync triggers) changes only through EnableSync/DisableSync, and
        # the app's triggers only through CreateTrigger/DropTrigger: the rebuild keeps both
        held = s0.table(name)
        target = final.model_copy(update={"name": name, "sync": held.sync, "triggers": held.triggers})
        s1 = self._rebuilt_state(name, members, target, position, s0)
        forward = rebuild(name, members, s0, s1, self._names_now())
        backward = rebuild(name, reverse_all(members), s1, s0, {})
        comment = f"rebuild {name}: {self.rebuilt[ident]}" if forward.statements else "nothing changes in SQLite"
        self._add(members, forward, backward, comment)
        return s1

    def _rebuilt_state(self, name: str, ops: Sequence[Operation], target: Table, position: int, s0: State) -> State:
        """The state after rebuilding `name` into `target`: renames done in place rewrite other
        tables' foreign keys; the views the rebuild drops come back, unless a later operation
        drops them, with the new schema's body (or, when renames follow, the body as SQLite
        rewrites it)."""
        tables = dict(s0.tables)
        tables[name] = target
        origins = column_origins(ops, s0.table(name), target)
        change = TableRebuild(s0.table(name), target, origins, s0.enums_of(name), s0.enums_of(name))
        renames = in_place_renames(change)
        changed = {name}
        for old, new in renames.items():
            rewritten = rewrite_references(tables, name, old, new)
            tables.update(rewritten)
            changed |= rewritten.keys()
        tables[name] = target
        views = dict(s0.views)
        renames_follow = self.last_rename > position
        moved = {o: n for n, o in change.origins.items() if o is not None and o != n}
        for view in views_reading(name, s0.views):
            if self.last_view_drop.get(view.name, -1) > position:  # a later operation drops it
                del views[view.name]
                continue
            final = self.after.view(view.name)
            if final is not None and not renames_follow:
                views[view.name] = final
            else:
                for old, new in moved.items():
                    views[view.name] = rename_column_in_view(views[view.name], name, old, new)
        return s0.then(tables=tables, changed=changed, views=views, stale=s0.fresh(name))

    def _enum_change(self, op: AlterEnum, index: int, s0: State) -> State:
        """An enum's values change: the tables using it are rebuilt with the new CHECK in this
        step, except those rebuilt later in the plan anyway, and those the new schema has
        without a column of the enum (dropped later, or losing the column: nothing is gained by
        rebuilding them first). Those keep their old CHECK for now (`State.stale`)."""
        enum = op.new.name
        pending = {self.names.get(i) for at, idents in self.rebuild_at.items() if at >= index for i in idents}
        keeps = {
            name
            for i, name in self.names.items()
            if i in self.final and enum in enums_used([self.after.table(self.final[i])])
        }
        using = [t.name for t in s0.tables.values() if enum in enums_used([t])]
        now = [n for n in using if n in keeps and n not in pending]
        stale = {t: e for t, e in s0.stale.items() if t not in now}
        for name in using:
            if name not in now:
                held = s0.enums_of(name).enum(enum) or op.old
                stale[name] = {enum: held, **stale.get(name, {})}
        s1 = s0.then(enums={**s0.enums, enum: op.new}, stale=stale)
        forward, backward = Rendered(), Rendered()
        for name in now:
            forward += rebuild(name, [], s0, s1, {})
        for name in reversed(using):
            backward += rebuild(name, [], s1, s0, {})
        comment = f"rebuild {', '.join(now)}: enum {enum} changes its values" if forward.statements else ""
        self._add([op], forward, backward, comment)
        return s1

    def _reconcile(self, state: State) -> State:
        """Rebuild or re-create what SQLite would still hold differently from the new schema."""
        for target in self.after.tables:
            held = state.tables.get(target.name)
            if held is None:
                continue
            wanted = {e: self.after.enum(e) for e in enums_used([target])}
            holds = state.enums_of(target.name)
            if same_definition(held, target) and all(holds.enum(e) == v for e, v in wanted.items()):
                continue
            differ = {e: v for e, v in wanted.items() if v is not None and state.enums.get(e) != v}
            target = target.model_copy(update={"triggers": held.triggers})
            stale = {**state.fresh(target.name), **({target.name: differ} if differ else {})}
            rebuilt = state.then(tables={**state.tables, target.name: target}, changed=[target.name], stale=stale)
            s1 = self._views_back(target.name, state, rebuilt)
            forward = rebuild(target.name, [], state, s1, {})
            backward = rebuild(target.name, [], s1, state, {})
            self._add([], forward, backward, f"rebuild {target.name}: SQLite must hold it as the new schema defines it")
            state = s1
        for view in self.after.views:
            if state.views.get(view.name) != view:
                s1 = state.then(views={**state.views, view.name: view})
                self._add([], render(CreateView(view=view), state, s1), render(CreateView(view=view), s1, state))
                state = s1
        return state

    def _views_back(self, table: str, s0: State, s1: State) -> State:
        views = dict(s1.views)
        for view in views_reading(table, s0.views):
            final = self.after.view(view.name)
            if final is not None:
                views[view.name] = final
        return s1.then(views=views)
