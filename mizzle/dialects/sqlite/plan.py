"""How SQLite carries out a schema change: operations → statements.

A plain ALTER where SQLite has one (`in_place_problem` is the one predicate deciding it, as
Atlas's `alterable`): ADD COLUMN when the column is nullable or has a constant default and
is not in a key, foreign key or check; RENAME TABLE and RENAME COLUMN (SQLite ≥ 3.26 with
`legacy_alter_table` off rewrites the references in views, triggers and other tables'
foreign keys); DROP COLUMN when no key, foreign key, check or index uses the column (views
reading it are dropped first by the diff); CREATE/DROP INDEX; CREATE/DROP VIEW. Anything
else rebuilds the table (`rebuild.py`), once per table: every operation on it goes into
one step, which sits where the last of them (or the last change of an enum it uses) is.

The planner works on the schemas as SQLite holds them (`capabilities.storage_projection`)
and follows the database through the plan (`State`: tables, views and enum values as they
are after each step, renames rewriting references as SQLite rewrites them), so each step's
statements and its reverse are both derived from the states on either side of it: the
reverse of a plain ADD COLUMN is DROP COLUMN, or a rebuild back when SQLite cannot drop the
column in place. A plan holding a rebuild, either way, runs with foreign keys off
(`Plan.foreign_keys_off`: the runner turns them off outside the transaction and runs
`PRAGMA foreign_key_check` before COMMIT; no statement here touches the pragma).

Choices worth knowing:
- Enums live in column CHECKs, so an enum whose values change rebuilds every table using it,
  once even when the diff changes the enum twice (with a guard counting rows holding a
  removed value). CreateEnum and DropEnum have nothing to do.
- A new table carries all its foreign keys in CREATE TABLE, those the diff adds later too
  (SQLite checks a foreign key only when rows are written), as `render_schema` does.
- The plan is followed in `plan_state.py` (`State`).
- Column order is not compared (PostgreSQL cannot reorder columns either): ADD COLUMN
  appends; a rebuilt table takes the new schema's order.
- Operations on a table the plan drops later are not carried out (there is nothing to gain
  from rebuilding a table to drop a unique before dropping the table), except DROP INDEX:
  index names are global, and a new index may reuse the name.
- After the operations, any table or view SQLite would still hold differently from the new
  schema (an operation list that does not cover every difference) is rebuilt or re-created,
  so the database always ends as `project(new)`, column order aside.
- Triggers: the model holds a sync table's triggers (its `sync` flag; EnableSync and
  DisableSync create and drop them, CREATE TABLE of a sync table carries them). A rebuild
  re-creates a sync table's triggers after copying the rows, and refuses to drop any other
  trigger (a guard in `rebuild.py`). The `sync` flag changes only through those operations:
  a rebuild keeps the table's current flag.
- Everything runs on SQLite 3.39 (Pyodide) and later: DROP COLUMN (3.35), RENAME COLUMN
  (3.25), CHECK in ADD COLUMN verified against existing rows (3.37), no RETURNING, no STRICT.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from mizzle.core.errors import SchemaError
from mizzle.core.model import Column, Schema, Table
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
    reverse_all,
)
from mizzle.core.plan import Guard, Plan, Step
from mizzle.core.rename_refs import (
    rename_column_in_view,
)
from mizzle.core.sync.names import SYNC_SEQ
from mizzle.core.types import SERIAL_KINDS
from mizzle.dialects.sqlite import sync_sql
from mizzle.dialects.sqlite.capabilities import storage_projection
from mizzle.dialects.sqlite.plan_state import (
    State,
    apply_to_table,
    enums_used,
    held_table,
    referenced_by_others,
    rename_column,
    rename_table,
    same_definition,
)
from mizzle.dialects.sqlite.rebuild import (
    Surroundings,
    TableRebuild,
    column_origins,
    constant_default,
    in_place_renames,
    q,
    rebuild_sql,
    unique_index_guard,
    views_reading,
)
from mizzle.dialects.sqlite.render import column_sql, create_index_sql, create_table_sql, create_view_sql

NAME = "sqlite"

#: Operations that change one table in place or through a rebuild (grouped per table).
TABLE_CHANGES = (
    AddColumn,
    DropColumn,
    RenameColumn,
    AlterColumn,
    AddPrimaryKey,
    DropPrimaryKey,
    AddForeignKey,
    DropForeignKey,
    AddUnique,
    DropUnique,
    AddCheck,
    DropCheck,
    CreateIndex,
    DropIndex,
)

#: What SQLite's ALTER TABLE cannot do at all (it has no ALTER COLUMN, no ADD/DROP CONSTRAINT).
ALWAYS_REBUILT: dict[type[Operation], str] = {
    AlterColumn: "SQLite cannot change a column in place",
    AddPrimaryKey: "SQLite cannot add a primary key in place",
    DropPrimaryKey: "SQLite cannot drop a primary key in place",
    AddForeignKey: "SQLite cannot add a foreign key in place",
    DropForeignKey: "SQLite cannot drop a foreign key in place",
    AddUnique: "SQLite cannot add a unique constraint in place",
    DropUnique: "SQLite cannot drop a unique constraint in place",
    AddCheck: "SQLite cannot add a check in place",
    DropCheck: "SQLite cannot drop a check in place",
}


def plan(operations: list[Operation], old: Schema, new: Schema, *, concurrently: bool = False) -> Plan:
    """Statements carrying out `operations` (which turn `old` into `new`) on SQLite, each step
    with its reverse. `concurrently` is PostgreSQL's; SQLite ignores it."""
    before = storage_projection(old)
    # The projection drops enums no column uses (SQLite keeps enums only in column CHECKs),
    # but a table or column this plan adds may use one: the planner must know its values.
    before = Schema(tables=before.tables, views=before.views, enums=old.enums)
    return _Planner(list(operations), before, storage_projection(new), new).plan()


# --- the predicate -----------------------------------------------------------------------------


def in_place_problem(op: Operation, before: Table, after: Table) -> str | None:
    """Why SQLite cannot carry out `op`, which turns `before` into `after`, with a plain ALTER
    (or CREATE/DROP INDEX); None when it can."""
    reason = ALWAYS_REBUILT.get(type(op))
    if reason is not None:
        return reason
    if isinstance(op, AddColumn):
        column = after.column(op.column.name)
        assert column is not None
        return _add_column_problem(after, column)
    if isinstance(op, DropColumn):
        return _drop_column_problem(before, op.column.name)
    return None


def _add_column_problem(table: Table, column: Column) -> str | None:
    """ADD COLUMN's limits: no PRIMARY KEY or UNIQUE, NOT NULL only with a default, only a
    default SQLite can evaluate once, and no table constraint (foreign keys and checks are
    table constraints in mizzle's DDL). An enum's column CHECK is fine: since 3.37 SQLite
    checks it against the existing rows."""
    name = column.name
    where = f"ADD COLUMN {name}"
    if column.type.kind in SERIAL_KINDS or (table.primary_key and name in table.primary_key.columns):
        return f"{where}: the column is in the primary key"
    if any(name in u.columns for u in table.uniques):
        return f"{where}: the column is in a unique constraint"
    if any(name in fk.columns for fk in table.foreign_keys):
        return f"{where}: the column is in a foreign key"
    if any(name in c.expr.column_names() for c in table.checks):
        return f"{where}: a check reads the column"
    if not column.nullable and column.default is None:
        return f"{where}: a NOT NULL column needs a default"
    if not constant_default(column):
        return f"{where}: SQLite only adds a column with a constant default to a table with rows"
    return None


def _drop_column_problem(table: Table, name: str) -> str | None:
    """DROP COLUMN's limits: the column may not be in a key, a foreign key, an index or a
    table check (its own column CHECK, an enum's, is dropped with it)."""
    where = f"DROP COLUMN {name}"
    if table.primary_key and name in table.primary_key.columns:
        return f"{where}: the column is in the primary key"
    if any(name in u.columns for u in table.uniques):
        return f"{where}: the column is in a unique constraint"
    if any(name in fk.columns for fk in table.foreign_keys):
        return f"{where}: the column is in a foreign key"
    if any(name in c.expr.column_names() for c in table.checks):
        return f"{where}: a check reads the column"
    if any(name in i.columns for i in table.indexes):
        return f"{where}: an index reads the column"
    return None


# --- what each step renders --------------------------------------------------------------------


@dataclass
class _Out:
    statements: list[str] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    #: the statements need foreign keys off (a rebuild, or dropping a table others reference)
    foreign_keys_off: bool = False

    def __iadd__(self, other: _Out) -> _Out:
        self.statements += other.statements
        self.guards += other.guards
        self.foreign_keys_off |= other.foreign_keys_off
        return self


def _rebuild(name: str, ops: Sequence[Operation], s0: State, s1: State, names_now: Mapping[str, str]) -> _Out:
    """Table `name` rebuilt from its definition in `s0` to the one in `s1`."""
    before, after = s0.table(name), s1.table(name)
    change = TableRebuild(before, after, column_origins(ops, before, after), s0.enums_of(name), s1.enums_of(name))
    if change.unchanged() and {v.name: v for v in views_reading(name, s0.views)} == {
        v.name: v for v in views_reading(name, s1.views)
    }:
        return _Out()
    around = Surroundings(s0.views, s1.views, s0.tables, names_now)
    guards, statements = rebuild_sql(change, around)
    return _Out(statements, guards, foreign_keys_off=True)


def _render(op: Operation, s0: State, s1: State) -> _Out:
    """The statements of a step that is one operation (not a grouped rebuild), from `s0` to `s1`."""
    match op:
        case CreateTable():
            table = s1.table(op.table.name)
            triggers = sync_sql.trigger_statements(table.name, table.primary_key_columns) if table.sync else []
            return _Out(
                [create_table_sql(table, s1.enums_of(table.name))]
                + [create_index_sql(table.name, i) for i in table.indexes]
                + triggers
            )
        case EnableSync():
            seq = s1.table(op.table).column(SYNC_SEQ) is not None  # False: a rollback to the older form
            return _Out(sync_sql.trigger_statements(op.table, op.primary_key, seq=seq))
        case DisableSync():
            return _Out(sync_sql.drop_trigger_statements(op.table))
        case CreateSyncSupport():
            return _Out(sync_sql.support_statements())
        case DropSyncSupport():
            return _Out(sync_sql.drop_support_statements())
        case DropTable():
            name = op.table.name
            # With foreign keys on, DROP TABLE first deletes every row, cascading into children.
            referenced = referenced_by_others(name, s0.tables)
            return _Out([f"DROP TABLE {q(name)}"], foreign_keys_off=referenced)
        case RenameTable():
            return _Out([f"ALTER TABLE {q(op.old)} RENAME TO {q(op.new)}"])
        case RenameColumn():
            return _Out([f"ALTER TABLE {q(op.table)} RENAME COLUMN {q(op.old)} TO {q(op.new)}"])
        case AddColumn() | DropColumn():
            before, after = s0.table(op.table), s1.table(op.table)
            if in_place_problem(op, before, after) is not None:
                return _rebuild(op.table, [op], s0, s1, {})
            if isinstance(op, DropColumn):
                return _Out([f"ALTER TABLE {q(op.table)} DROP COLUMN {q(op.column.name)}"])
            column = after.column(op.column.name)
            assert column is not None
            return _Out([f"ALTER TABLE {q(op.table)} ADD COLUMN {column_sql(after, column, s1.enums_of(op.table))}"])
        case CreateIndex():
            index = next(i for i in s1.table(op.table).indexes if i.name == op.index.name)
            guards = [unique_index_guard(op.table, index)] if index.unique else []
            return _Out([create_index_sql(op.table, index)], guards)
        case DropIndex():
            return _Out([f"DROP INDEX {q(op.index.name)}"])
        case CreateView() | DropView() | ReplaceView():
            name = op.view.name if isinstance(op, CreateView | DropView) else op.new.name
            out = _Out([f"DROP VIEW {q(name)}"] if name in s0.views else [])
            if name in s1.views:
                out.statements.append(create_view_sql(s1.views[name]))
            return out
        case CreateEnum() | DropEnum() | AlterEnum():
            return _Out()  # SQLite holds enum values only in column CHECKs (see AlterEnum's step)
        case _ if isinstance(op, TABLE_CHANGES):
            return _rebuild(op.table_name or "", [op], s0, s1, {})
    raise TypeError(f"no SQLite plan for {type(op).__name__}")


# --- the planner -------------------------------------------------------------------------------


class _Planner:
    """Walks the operations in order, following the database (`State`) from `before` to
    `after`; see the module docstring."""

    def __init__(self, ops: list[Operation], before: Schema, after: Schema, new: Schema) -> None:
        self.ops, self.before, self.after, self.new = ops, before, after, new
        self.steps: list[Step] = []
        self.foreign_keys_off = False
        self._identify()
        self._classify()

    # --- which table each operation changes, and how ------------------------------------------

    def _identify(self) -> None:
        """Give every table an identity that survives renames: `op_table[i]` is the identity
        operation i changes, `final[id]` the table's name at the end (absent: dropped)."""
        ids: dict[str, int] = {t.name: n for n, t in enumerate(self.before.tables)}
        self.original: dict[int, str] = {n: name for name, n in ids.items()}
        self.created: dict[int, CreateTable] = {}
        self.op_table: list[int | None] = []
        fresh = len(ids)
        for op in self.ops:
            ident: int | None = None
            if isinstance(op, CreateTable):
                ident, fresh = fresh, fresh + 1
                ids[op.table.name] = ident
                self.created[ident] = op
            elif isinstance(op, DropTable):
                ident = ids.pop(op.table.name, None)
            elif isinstance(op, RenameTable):
                ident = ids.pop(op.old, None)
                if ident is not None:
                    ids[op.new] = ident
            elif isinstance(op, TABLE_CHANGES):
                ident = ids.get(op.table_name or "")
                if ident is None:
                    raise SchemaError(f"cannot plan {op.describe()} for SQLite: no table {op.table_name} at that point")
            self.op_table.append(ident)
        self.final = {ident: name for name, ident in ids.items()}
        self.groups: dict[int, list[int]] = {}
        for index, (op, ident) in enumerate(zip(self.ops, self.op_table, strict=True)):
            if ident is not None and isinstance(op, TABLE_CHANGES):
                self.groups.setdefault(ident, []).append(index)

    def _start(self, ident: int) -> Table:
        """The table as it is before its first change: as it was, or as CREATE TABLE makes it
        (without the indexes the plan creates with CreateIndex)."""
        created = self.created.get(ident)
        if created is None:
            found = self.before.table(self.original[ident])
            assert found is not None
            return found
        made = {op.index.name for i in self.groups.get(ident, []) if isinstance(op := self.ops[i], CreateIndex)}
        table = self._held_created(created.table)
        if not made:
            return table
        return table.model_copy(update={"indexes": tuple(i for i in table.indexes if i.name not in made)})

    def _held_created(self, table: Table) -> Table:
        """A created table as SQLite holds it. When the operation creates it as the new schema
        has it, foreign keys aside (the diff adds those closing a cycle later), it is the new
        schema's, projected once already, with every foreign key: SQLite only checks a
        foreign key when rows are written, so CREATE TABLE carries them all (as
        `render_schema` does) and adding one later has nothing to do."""
        new, held = self.new.table(table.name), self.after.table(table.name)
        mine = (table.columns, table.indexes, table.checks, table.primary_key, table.uniques)
        if new is None or held is None or (new.columns, new.indexes, new.checks, new.primary_key, new.uniques) != mine:
            return held_table(table)
        return held

    def _classify(self) -> None:
        """Which tables are rebuilt (`rebuilt[id]`: why), and after which operation
        (`rebuild_at[i]`: identities): the last of its changes, or later if an enum it uses
        changes after that."""
        self.rebuilt: dict[int, str] = {}
        enum_changes: dict[str, list[int]] = {}
        for index, op in enumerate(self.ops):
            if isinstance(op, AlterEnum):
                enum_changes.setdefault(op.new.name, []).append(index)
        self.rebuild_at: dict[int, list[int]] = {}
        for ident, members in self.groups.items():
            if ident not in self.final:
                continue  # dropped later: see `_doomed`
            table = self._start(ident)
            reason = None
            for index in members:
                changed = apply_to_table(self.ops[index], table)
                reason = in_place_problem(self.ops[index], table, changed)
                if reason is not None:
                    break
                table = changed
            target = self.after.table(self.final[ident])
            if reason is None and target is not None and not same_definition(table, target, references=False):
                reason = "SQLite must hold it as the new schema defines it"
            if reason is None:
                continue
            self.rebuilt[ident] = reason
            used = enums_used([self._start(ident), target], [self.ops[i] for i in members])
            at = max([*members, *(i for e in used for i in enum_changes.get(e, []))])
            self.rebuild_at.setdefault(at, []).append(ident)
        # A table whose enum CHECK must change is rebuilt once, after the enum's last change
        # (the diff changes an enum twice when it both gains and loses values).
        for ident, final in self.final.items():
            target = self.after.table(final)
            if ident in self.rebuilt or ident in self.created or target is None:
                continue
            changes = sorted(i for e in enums_used([target]) for i in enum_changes.get(e, []))
            if changes:
                names = ", ".join(sorted(e for e in enums_used([target]) if e in enum_changes))
                self.rebuilt[ident] = f"the values of enum {names} change"
                self.rebuild_at.setdefault(max([changes[-1], *self.groups.get(ident, [])]), []).append(ident)

    def _doomed(self, ident: int | None, op: Operation) -> bool:
        """A change to a table the plan drops later: not carried out (but DROP INDEX is: index
        names are global, and a new index may take the name)."""
        return ident is not None and ident not in self.final and not isinstance(op, CreateIndex | DropIndex)

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
            if self._doomed(ident, op) and isinstance(op, TABLE_CHANGES):
                self._add([op], _Out(), _Out(), "the table is dropped later in this migration")
            elif isinstance(op, AlterEnum):
                state = self._enum_change(op, index, state)
            elif not grouped:
                following = self._advance(op, index, state)
                self._add([op], _render(op, state, following), _render(op.reverse(), following, state))
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
        return {final: self.names[i] for i, final in self.final.items() if i in self.names and self.names[i] != final}

    def _add(self, sources: Sequence[Operation], forward: _Out, backward: _Out, comment: str = "") -> None:
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

    def _advance(self, op: Operation, index: int, s: State) -> State:
        """The state after one operation carried out on its own."""
        tables, views, enums, stale = dict(s.tables), dict(s.views), dict(s.enums), dict(s.stale)
        match op:
            case CreateTable():
                ident = self.op_table[index]
                assert ident is not None
                tables[op.table.name] = self._start(ident)
            case DropTable():
                tables.pop(op.table.name, None)
                stale.pop(op.table.name, None)
            case RenameTable():
                return rename_table(s, op.old, op.new)
            case RenameColumn():
                tables = rename_column(tables, op.table, op.old, op.new)
                views = {n: rename_column_in_view(v, op.table, op.old, op.new) for n, v in views.items()}
            case _ if isinstance(op, TABLE_CHANGES):
                name = op.table_name or ""
                tables[name] = apply_to_table(op, s.table(name))
            case EnableSync() | DisableSync():
                tables[op.table] = s.table(op.table).model_copy(update={"sync": isinstance(op, EnableSync)})
            case CreateView():
                views[op.view.name] = op.view
            case DropView():
                views.pop(op.view.name, None)
            case ReplaceView():
                views.pop(op.old.name, None)
                views[op.new.name] = op.new
            case CreateEnum():
                enums[op.enum.name] = op.enum
            case DropEnum():
                enums.pop(op.enum.name, None)
            case AlterEnum():
                enums[op.new.name] = op.new
        return State(tables, views, enums, stale)

    def _group_rebuild(self, ident: int, position: int, s0: State) -> State:
        """One step rebuilding table `ident` with every operation on it."""
        name = self.names[ident]
        members = [self.ops[i] for i in self.groups.get(ident, [])]
        final = self.after.table(self.final[ident])
        assert final is not None
        # the sync flag (the triggers) changes only through EnableSync/DisableSync
        target = final.model_copy(update={"name": name, "sync": s0.table(name).sync})
        s1 = self._rebuilt_state(name, members, target, position, s0)
        forward = _rebuild(name, members, s0, s1, self._names_now())
        backward = _rebuild(name, reverse_all(members), s1, s0, {})
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
        for old, new in renames.items():
            tables = rename_column(tables, name, old, new, own=False)
        tables[name] = target
        views = dict(s0.views)
        later_drops = {op.view.name for op in self.ops[position + 1 :] if isinstance(op, DropView)}
        later_drops |= {op.old.name for op in self.ops[position + 1 :] if isinstance(op, ReplaceView)}
        renames_follow = any(isinstance(op, RenameTable | RenameColumn) for op in self.ops[position + 1 :])
        moved = {o: n for n, o in change.origins.items() if o is not None and o != n}
        for view in views_reading(name, s0.views):
            if view.name in later_drops:
                del views[view.name]
                continue
            final = self.after.view(view.name)
            if final is not None and not renames_follow:
                views[view.name] = final
            else:
                for old, new in moved.items():
                    views[view.name] = rename_column_in_view(views[view.name], name, old, new)
        return State(tables, views, s0.enums, s0.fresh(name))

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
        s1 = State(s0.tables, s0.views, {**s0.enums, enum: op.new}, stale)
        forward, backward = _Out(), _Out()
        for name in now:
            forward += _rebuild(name, [], s0, s1, {})
        for name in reversed(using):
            backward += _rebuild(name, [], s1, s0, {})
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
            stale = {**state.fresh(target.name), **({target.name: differ} if differ else {})}
            s1 = self._views_back(
                target.name, state, State({**state.tables, target.name: target}, state.views, state.enums, stale)
            )
            forward = _rebuild(target.name, [], state, s1, {})
            backward = _rebuild(target.name, [], s1, state, {})
            self._add([], forward, backward, f"rebuild {target.name}: SQLite must hold it as the new schema defines it")
            state = s1
        for view in self.after.views:
            if state.views.get(view.name) != view:
                s1 = replace(state, views={**state.views, view.name: view})
                self._add([], _render(CreateView(view=view), state, s1), _render(CreateView(view=view), s1, state))
                state = s1
        return state

    def _views_back(self, table: str, s0: State, s1: State) -> State:
        views = dict(s1.views)
        for view in views_reading(table, s0.views):
            final = self.after.view(view.name)
            if final is not None:
                views[view.name] = final
        return replace(s1, views=views)
