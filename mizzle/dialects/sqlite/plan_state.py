"""The database as a SQLite plan goes: what SQLite holds after each step.

The planner (`plan.py`) follows the database through the operations so that each step's
statements, and its reverse, are derived from the states on either side of it. A `State`
holds the tables (as SQLite holds them: `capabilities.storage_projection`), the views and
the enum values. What an operation does to them is evolve's interpreter
(`core.evolve.Evolution.carry_out`, renames rewriting references as SQLite's ALTER TABLE
rewrites them), the tables it touched then projected; without evolve's fit checks, because
SQLite's database lags the operations on purpose (a rebuilt table's changes are carried out
together in one step, and changes to a table dropped later not at all). SQLite's extras:
the CREATE TABLE of a new table carries every foreign key (`following(created=...)`), and
`stale` enum values in the CHECKs of tables not yet rebuilt.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from mizzle.core.errors import SchemaError
from mizzle.core.evolve import Evolution
from mizzle.core.model import Enum, Schema, Table, View
from mizzle.core.operations import (
    AddColumn,
    AlterColumn,
    DisableSync,
    DropTable,
    EnableSync,
    Operation,
    RenameTable,
)
from mizzle.core.rename_refs import rename_referenced_column
from mizzle.core.types import TypeKind
from mizzle.dialects.sqlite.alterable import TABLE_CHANGES
from mizzle.dialects.sqlite.capabilities import storage_column, storage_index, storage_projection


@dataclass(frozen=True)
class State:
    """Tables (by their current names), views and enum values as the database holds them at
    one point of the plan. `stale`: per table, the values its enum CHECKs still hold where an
    enum changed without the table being rebuilt yet (it is rebuilt later in the plan, or
    loses the column, or is dropped)."""

    tables: Mapping[str, Table]
    views: Mapping[str, View]
    enums: Mapping[str, Enum]
    stale: Mapping[str, Mapping[str, Enum]] = field(default_factory=dict)

    def enums_of(self, table: str) -> Schema:
        """The enum values table `table`'s CHECKs hold (what its CREATE TABLE renders)."""
        return Schema(enums=tuple({**self.enums, **self.stale.get(table, {})}.values()))

    def fresh(self, table: str) -> dict[str, Mapping[str, Enum]]:
        """`stale` once `table` is rebuilt (or created) with the current values."""
        return {t: e for t, e in self.stale.items() if t != table}

    def table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            raise SchemaError(f'cannot plan the change for SQLite: there is no table "{name}" at that point')
        return table

    @cached_property
    def referrers(self) -> Mapping[str, frozenset[str]]:
        """Table name → the other tables whose foreign keys reference it. Computed once for
        a state the planner builds itself; `following` derives it from the tables the
        operation touched, so dropping 3,000 tables does not scan them all 3,000 times."""
        index: dict[str, frozenset[str]] = {}
        for table in self.tables.values():
            _refer(index, table, add=True)
        return index

    def following(self, op: Operation, *, created: Table | None = None) -> State:
        """The state after `op` carried out on its own. `created`: the table CreateTable
        makes, as SQLite holds it (the planner's choice: see `plan._Planner._held_created`)."""
        if isinstance(op, (*TABLE_CHANGES, EnableSync, DisableSync)):
            self.table(op.table_name or "")  # this module's message for a missing table
        evolution = Evolution.holding(self.tables, self.views, self.enums)
        evolution.carry_out(op)
        tables = evolution.tables
        for name in evolution.touched & tables.keys():
            tables[name] = held_after(tables[name], self.tables.get(name))
        if created is not None:
            tables[created.name] = created
        stale = dict(self.stale)
        if isinstance(op, DropTable):
            stale.pop(op.table.name, None)
        elif isinstance(op, RenameTable) and op.old in stale:
            stale[op.new] = stale.pop(op.old)
        touched = evolution.touched | ({created.name} if created is not None else set())
        return self.then(tables=tables, changed=touched, views=evolution.views, enums=evolution.enums, stale=stale)

    def then(
        self,
        *,
        tables: Mapping[str, Table] | None = None,
        changed: Iterable[str] = (),
        views: Mapping[str, View] | None = None,
        enums: Mapping[str, Enum] | None = None,
        stale: Mapping[str, Mapping[str, Enum]] | None = None,
    ) -> State:
        """The next state: `tables`, which differ from these only in the tables named in
        `changed` (added, replaced or gone), and views, enum values and `stale` values (each
        unchanged when not given). Its `referrers` index is derived from this one's."""
        after = State(
            self.tables if tables is None else tables,
            self.views if views is None else views,
            self.enums if enums is None else enums,
            self.stale if stale is None else stale,
        )
        index = dict(self.referrers)
        for name in changed:
            if name in self.tables:
                _refer(index, self.tables[name], add=False)
            if name in after.tables:
                _refer(index, after.tables[name], add=True)
        after.__dict__["referrers"] = index  # seeds the cached_property
        return after


def _refer(index: dict[str, frozenset[str]], table: Table, *, add: bool) -> None:
    """Adds (or takes away) `table`'s foreign keys to other tables in `index`."""
    for ref in {fk.ref_table for fk in table.foreign_keys if fk.ref_table != table.name}:
        have = index.get(ref, frozenset())
        index[ref] = have | {table.name} if add else have - {table.name}


def held_table(table: Table) -> Table:
    """A model table as SQLite holds it (so are `held_column` and `held_index`)."""
    return storage_projection(Schema(tables=(table,))).tables[0]


def held_after(table: Table, prior: Table | None) -> Table:
    """`table` as SQLite holds it, where `prior` is how SQLite held it before one operation:
    only the columns and indexes the operation brought are projected, the others are held
    already (projecting every table an operation touches whole made following a 3,000-table
    migration twice as slow). Checks, keys and foreign keys are held as the model has them."""
    if prior is None:
        return held_table(table)
    known = {id(c) for c in prior.columns} | {id(i) for i in prior.indexes}
    columns = tuple(c if id(c) in known else storage_column(table, c) for c in table.columns)
    # (an index SQLite cannot hold is the server's alone: not in SQLite's table)
    held = (i if id(i) in known else storage_index(table, i) for i in table.indexes)
    indexes = tuple(i for i in held if i is not None)
    if (
        len(indexes) == len(table.indexes)
        and all(map(operator.is_, columns, table.columns))
        and all(map(operator.is_, indexes, table.indexes))
    ):
        return table  # held as it is: a copy would only validate it again
    return table.model_copy(update={"columns": columns, "indexes": indexes})


def changed_table(op: Operation, table: Table) -> Table:
    """`table` (as SQLite holds it) after one of its TABLE_CHANGES carried out on its own."""
    if table.name != op.table_name:  # the operation names the table as a later rename does
        table = table.model_copy(update={"name": op.table_name})
    evolution = Evolution.holding({table.name: table}, {}, {})
    evolution.carry_out(op)
    return held_after(evolution.tables[table.name], table)


def same_definition(a: Table, b: Table, *, references: bool = True) -> bool:
    """Whether two definitions are the same up to the order of columns (and, without
    `references`, the tables and columns their foreign keys name, which renames rewrite).
    The `sync` flag is not compared: it stands for triggers, which only EnableSync and
    DisableSync change; nor are the app's triggers, which only CreateTrigger and DropTrigger
    change (a rebuild makes the ones the table has again)."""

    def norm(t: Table) -> Table:
        fks = (
            t.foreign_keys
            if references
            else tuple(fk.model_copy(update={"ref_table": "", "ref_columns": fk.columns}) for fk in t.foreign_keys)
        )
        return t.model_copy(
            update={
                "name": "",
                "columns": tuple(sorted(t.columns, key=lambda c: c.name)),
                "foreign_keys": fks,
                "sync": False,
                "triggers": (),
            }
        )

    return norm(a) == norm(b)


def enums_used(tables: Sequence[Table | None], ops: Sequence[Operation] = ()) -> set[str]:
    columns = [c for t in tables if t is not None for c in t.columns]
    columns += [op.column for op in ops if isinstance(op, AddColumn)]
    columns += [op.new for op in ops if isinstance(op, AlterColumn)]
    return {c.type.name for c in columns if c.type.kind is TypeKind.ENUM and not c.type.array_dims and c.type.name}


def referenced_by_others(name: str, state: State) -> bool:
    """Whether a table other than `name` has a foreign key referencing it."""
    return bool(state.referrers.get(name))


def rewrite_references(tables: Mapping[str, Table], table: str, old: str, new: str) -> dict[str, Table]:
    """The tables whose foreign keys change when SQLite renames column `table`.`old` in
    place (every foreign key referencing the column follows it), as they are after."""
    out = {}
    for name, t in tables.items():
        fks = tuple(rename_referenced_column(fk, table, old, new) for fk in t.foreign_keys)
        if fks != t.foreign_keys:
            out[name] = t.model_copy(update={"foreign_keys": fks})
    return out
