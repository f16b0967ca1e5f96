"""The database as a SQLite plan goes: what SQLite holds after each step.

The planner (`plan.py`) follows the database through the operations so that each step's
statements, and its reverse, are derived from the states on either side of it. A `State`
holds the tables (as SQLite holds them: `capabilities.storage_projection`), the views and
the enum values; renames rewrite references as SQLite's ALTER TABLE rewrites them
(`core.rename_refs`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from mizzle.core.errors import SchemaError
from mizzle.core.model import Column, Enum, Index, Schema, Table, View
from mizzle.core.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    CreateIndex,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropUnique,
    Operation,
    RenameColumn,
)
from mizzle.core.rename_refs import rename_column_in_table, rename_referenced_column, rename_table_in_view
from mizzle.core.types import TypeKind
from mizzle.dialects.sqlite.capabilities import storage_projection


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


def held_table(table: Table) -> Table:
    """A model table as SQLite holds it (so are `held_column` and `held_index`)."""
    return storage_projection(Schema(tables=(table,))).tables[0]


def held_column(table: str, column: Column) -> Column:
    return held_table(Table(name=table, columns=(column,))).columns[0]


def held_index(table: str, index: Index) -> Index:
    return held_table(Table(name=table, columns=(), indexes=(index,))).indexes[0]


def _without(items: Sequence[object], name: str) -> tuple[object, ...]:
    return tuple(i for i in items if getattr(i, "name", None) != name)


def apply_to_table(op: Operation, table: Table) -> Table:
    """`table` (as SQLite holds it) after one of the TABLE_CHANGES."""
    update: dict[str, object]
    match op:
        case AddColumn():
            update = {"columns": (*table.columns, held_column(table.name, op.column))}
        case DropColumn():
            update = {"columns": _without(table.columns, op.column.name)}
        case RenameColumn():
            return rename_column_in_table(table, op.old, op.new)
        case AlterColumn():
            held = held_column(table.name, op.new)
            update = {"columns": tuple(held if c.name == op.old.name else c for c in table.columns)}
        case AddPrimaryKey():
            update = {"primary_key": op.key}
        case DropPrimaryKey():
            update = {"primary_key": None}
        case AddForeignKey():
            update = {"foreign_keys": (*_without(table.foreign_keys, op.fk.name), op.fk)}
        case DropForeignKey():
            update = {"foreign_keys": _without(table.foreign_keys, op.fk.name)}
        case AddUnique():
            update = {"uniques": (*_without(table.uniques, op.unique.name), op.unique)}
        case DropUnique():
            update = {"uniques": _without(table.uniques, op.unique.name)}
        case AddCheck():
            update = {"checks": (*_without(table.checks, op.check.name), op.check)}
        case DropCheck():
            update = {"checks": _without(table.checks, op.check.name)}
        case CreateIndex():
            update = {"indexes": (*_without(table.indexes, op.index.name), held_index(table.name, op.index))}
        case DropIndex():
            update = {"indexes": _without(table.indexes, op.index.name)}
        case _:
            raise TypeError(f"{type(op).__name__} does not change one table")
    return table.model_copy(update=update)


def same_definition(a: Table, b: Table, *, references: bool = True) -> bool:
    """Whether two definitions are the same up to the order of columns (and, without
    `references`, the tables and columns their foreign keys name, which renames rewrite).
    The `sync` flag is not compared: it stands for triggers, which only EnableSync and
    DisableSync change."""

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
            }
        )

    return norm(a) == norm(b)


def enums_used(tables: Sequence[Table | None], ops: Sequence[Operation] = ()) -> set[str]:
    columns = [c for t in tables if t is not None for c in t.columns]
    columns += [op.column for op in ops if isinstance(op, AddColumn)]
    columns += [op.new for op in ops if isinstance(op, AlterColumn)]
    return {c.type.name for c in columns if c.type.kind is TypeKind.ENUM and not c.type.array_dims and c.type.name}


def referenced_by_others(name: str, tables: Mapping[str, Table]) -> bool:
    for table in tables.values():
        for fk in table.foreign_keys:
            if fk.ref_table == name and table.name != name:
                return True
    return False


def rename_table(state: State, old: str, new: str) -> State:
    """The state after SQLite's RENAME TABLE: the table, the foreign keys referencing it (its
    own included), and the views reading it."""
    tables = dict(state.tables)
    tables[new] = tables.pop(old).model_copy(update={"name": new})
    for name, t in tables.items():
        if any(fk.ref_table == old for fk in t.foreign_keys):
            fks = tuple(
                fk.model_copy(update={"ref_table": new}) if fk.ref_table == old else fk for fk in t.foreign_keys
            )
            tables[name] = t.model_copy(update={"foreign_keys": fks})
    views = {n: rename_table_in_view(v, old, new) for n, v in state.views.items()}
    stale = {new if t == old else t: e for t, e in state.stale.items()}
    return State(tables, views, state.enums, stale)


def rename_column(tables: Mapping[str, Table], table: str, old: str, new: str, *, own: bool = True) -> dict[str, Table]:
    """Tables after SQLite's RENAME COLUMN: the table itself (with `own`) and the foreign keys
    of every table referencing the column."""
    out = dict(tables)
    if own:
        out[table] = rename_column_in_table(out[table], old, new)
    for name, t in out.items():
        fks = tuple(rename_referenced_column(fk, table, old, new) for fk in t.foreign_keys)
        if fks != t.foreign_keys:
            out[name] = t.model_copy(update={"foreign_keys": fks})
    return out
