"""Which table each operation of a SQLite plan changes, and which tables are rebuilt where.

Worked out once, before the planner (`plan.py`) walks the operations: every table gets an
identity that survives renames; the operations changing one table form its group; a group
holding an operation SQLite cannot carry out in place (`alterable.in_place_problem`), or
leaving the table otherwise than the new schema has it, is one rebuild, placed after its
last operation or after the last change of an enum the table uses. Operations on a table
the plan drops later are doomed: not carried out.
"""

from __future__ import annotations

from mizzle.core.errors import SchemaError
from mizzle.core.model import Schema, Table
from mizzle.core.operations import (
    AlterEnum,
    CreateIndex,
    CreateTable,
    DropIndex,
    DropTable,
    DropView,
    Operation,
    RenameColumn,
    RenameTable,
    ReplaceView,
)
from mizzle.dialects.sqlite.alterable import TABLE_CHANGES, in_place_problem
from mizzle.dialects.sqlite.plan_state import changed_table, enums_used, held_table, same_definition


class Grouping:
    """The shape of a plan: `op_table[i]` (the identity operation i changes), `final[id]`
    (a table's name at the end; absent: dropped), `groups[id]` (its operations), `rebuilt[id]`
    (why it is rebuilt) and `rebuild_at[i]` (the identities rebuilt after operation i)."""

    def __init__(self, ops: list[Operation], before: Schema, after: Schema, new: Schema) -> None:
        self.ops, self.before, self.after, self.new = ops, before, after, new
        self._identify()
        self._classify()
        self._look_ahead()

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

    def start(self, ident: int) -> Table:
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
                continue  # dropped later: see `doomed`
            table = self.start(ident)
            reason = None
            for index in members:
                changed = changed_table(self.ops[index], table)
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
            used = enums_used([self.start(ident), target], [self.ops[i] for i in members])
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

    def doomed(self, ident: int | None, op: Operation) -> bool:
        """A change to a table the plan drops later: not carried out (but DROP INDEX is: index
        names are global, and a new index may take the name)."""
        return ident is not None and ident not in self.final and not isinstance(op, CreateIndex | DropIndex)

    def created_table(self, op: Operation, index: int) -> Table | None:
        """CreateTable's table as SQLite holds it (see `_held_created`)."""
        if not isinstance(op, CreateTable):
            return None
        ident = self.op_table[index]
        assert ident is not None
        return self.start(ident)

    def _look_ahead(self) -> None:
        """What the planner asks about the operations after a point, found once (asking by
        scanning the rest of the list at each of 1,000 rebuilds made them quadratic)."""
        #: view name → the position of the last operation dropping or replacing it
        self.last_view_drop: dict[str, int] = {}
        #: the position of the last RenameTable or RenameColumn (-1: none)
        self.last_rename = -1
        renamed: set[int] = set()
        for index, op in enumerate(self.ops):
            if isinstance(op, DropView | ReplaceView):
                self.last_view_drop[op.view.name if isinstance(op, DropView) else op.old.name] = index
            if isinstance(op, RenameTable | RenameColumn):
                self.last_rename = index
            if isinstance(op, RenameTable) and (ident := self.op_table[index]) is not None:
                renamed.add(ident)
        #: (identity, final name) of the tables renamed somewhere in the plan, in `final`'s order
        self.renamed_final = [(i, final) for i, final in self.final.items() if i in renamed]
