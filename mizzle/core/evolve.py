"""What operations do to a schema model: `evolve(schema, operations)` applies them in order.

A pure interpreter: the schema a database holding `schema` is left with after running
`operations`, or a SchemaError naming the first operation that does not fit the schema at
the point it runs. "Fits" means what PostgreSQL and SQLite demand of a migration that runs
the operations in that order, so a wrongly ordered list fails here rather than on a server:

- an operation's copy of what it drops or changes must equal the schema's (DropColumn's
  column, AlterColumn's `old`...): reverses are then exact;
- nothing may still use what is dropped: an FK referencing a dropped table, column or key
  (PRIMARY KEY, UNIQUE, unique index over those columns), a view reading a dropped table or
  column, an index or constraint over a dropped column, a column of a dropped enum type,
  a default holding a removed enum value;
- a column's type may not change while a view reads it or an FK runs through it (PostgreSQL
  refuses the first and re-checks the second; the diff drops and re-adds both);
- names must be free: PostgreSQL keeps tables, views, indexes and the indexes behind PRIMARY
  KEY and UNIQUE in one namespace; constraint names are unique per table;
- what is created must find what it uses: the enum of a column, the table and key an FK
  references (a table's FKs to itself need its PRIMARY KEY or UNIQUE, not a separate index,
  which is only created after CREATE TABLE), the tables and views a view reads.

Renames rewrite every reference, as the databases do: RenameColumn renames the column in the
table's PRIMARY KEY, UNIQUEs, FKs, CHECK expressions and index keys/predicates, in other
tables' FKs that reference it, and in view bodies (a renamed column a view outputs keeps its
output name through an alias, as PostgreSQL prints it); RenameTable renames FK targets and
view bodies. Names of constraints and indexes never change with a rename (PostgreSQL keeps
`playlist_pkey` on a table renamed to `repertoire`).

Column order: AddColumn appends, as ALTER TABLE ADD COLUMN does; nothing reorders columns.
So `evolve(a, diff(a, b))` equals `b` up to the order of each table's columns.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from mizzle.core.errors import SchemaError
from mizzle.core.model import Column, ForeignKey, LiteralDefault, Schema, Table, View
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
from mizzle.core.rename_refs import (
    rename_column_in_table,
    rename_column_in_view,
    rename_referenced_column,
    rename_table_in_view,
)
from mizzle.core.sync.names import SYNC_COLUMNS
from mizzle.core.types import TypeKind


def evolve(schema: Schema, operations: Iterable[Operation]) -> Schema:
    """The schema after `operations`; SchemaError names the first one that does not fit."""
    state = _State(schema)
    for op in operations:
        handler = _HANDLERS.get(type(op))
        if handler is None:
            raise SchemaError(f"cannot apply {op.describe()}: no meaning defined for {type(op).__name__}")
        handler(state, op)
    return state.schema()


def apply_renames(schema: Schema, renames: Iterable[RenameTable | RenameColumn]) -> Schema:
    """`schema` with the renames applied and every reference rewritten, without evolve's
    checks: the diff uses it to compare the old schema under the new names."""
    renames = list(renames)
    if not renames:
        return schema
    state = _State(schema)
    for op in renames:
        if isinstance(op, RenameTable):
            state.rename_table(op.old, op.new)
        else:
            state.rename_column(op.table, op.old, op.new)
    return state.schema()


class _Misfit(Exception):
    """An operation does not fit the schema; `evolve` turns it into a SchemaError naming the operation."""


class _State:
    """The schema being evolved, held in dicts so each operation touches only what it changes."""

    def __init__(self, schema: Schema) -> None:
        self.tables = {t.name: t for t in schema.tables}
        self.enums = {e.name: e for e in schema.enums}
        self.views = {v.name: v for v in schema.views}
        #: the tombstone table and trigger functions / control table exist
        self.sync_support = any(t.sync for t in schema.tables)

    def schema(self) -> Schema:
        return Schema(
            tables=tuple(self.tables.values()), enums=tuple(self.enums.values()), views=tuple(self.views.values())
        )

    # --- lookups --------------------------------------------------------------------------

    def table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            raise _Misfit(f'no table "{name}"')
        return table

    def column(self, table: Table, name: str) -> Column:
        column = table.column(name)
        if column is None:
            raise _Misfit(f'no column "{table.name}.{name}"')
        return column

    def relation_names(self) -> set[str]:
        """PostgreSQL's relation namespace: tables, views, indexes, PRIMARY KEY and UNIQUE names."""
        names = set(self.tables) | set(self.views)
        for t in self.tables.values():
            names |= _own_relation_names(t)
        return names

    def foreign_keys_to(self, table: str) -> list[tuple[str, ForeignKey]]:
        """(table name, fk) for every FK referencing `table`, including its own self-references."""
        return [(t.name, fk) for t in self.tables.values() for fk in t.foreign_keys if fk.ref_table == table]

    def views_reading(self, name: str) -> list[View]:
        return [v for v in self.views.values() if name in v.referenced_tables()]

    # --- renames, shared by evolve and apply_renames ----------------------------------------

    def rename_table(self, old: str, new: str) -> None:
        table = self.tables.pop(old)
        self.tables[new] = table.model_copy(update={"name": new})
        for name, t in list(self.tables.items()):
            if any(fk.ref_table == old for fk in t.foreign_keys):
                fks = tuple(
                    fk.model_copy(update={"ref_table": new}) if fk.ref_table == old else fk for fk in t.foreign_keys
                )
                self.tables[name] = t.model_copy(update={"foreign_keys": fks})
        for view in self.views_reading(old):
            self.views[view.name] = rename_table_in_view(view, old, new)

    def rename_column(self, table_name: str, old: str, new: str) -> None:
        self.tables[table_name] = rename_column_in_table(self.tables[table_name], old, new)
        for name, t in list(self.tables.items()):
            fks = tuple(rename_referenced_column(fk, table_name, old, new) for fk in t.foreign_keys)
            if fks != t.foreign_keys:
                self.tables[name] = t.model_copy(update={"foreign_keys": fks})
        for view in self.views_reading(table_name):
            self.views[view.name] = rename_column_in_view(view, table_name, old, new)


# --- checks shared by several operations ---------------------------------------------------------


def _own_relation_names(table: Table) -> set[str]:
    names = {i.name for i in table.indexes} | {u.name for u in table.uniques}
    return names | ({table.primary_key.name} if table.primary_key else set())


def _constraint_names(table: Table) -> set[str]:
    names = {fk.name for fk in table.foreign_keys} | {u.name for u in table.uniques} | {c.name for c in table.checks}
    return names | ({table.primary_key.name} if table.primary_key else set())


def _free_relation_name(state: _State, name: str) -> None:
    if name in state.relation_names():
        raise _Misfit(f'the name "{name}" is taken by a table, view, index or key')


def _keys(table: Table, *, indexes: bool = True) -> list[frozenset[str]]:
    """The column sets an FK may reference: PRIMARY KEY, UNIQUEs, plain unique column indexes."""
    keys = [frozenset(table.primary_key.columns)] if table.primary_key else []
    keys += [frozenset(u.columns) for u in table.uniques]
    if indexes:
        keys += [
            frozenset(k.column for k in i.keys if k.column)
            for i in table.indexes
            if i.unique and i.where is None and all(k.column for k in i.keys)
        ]
    return keys


def _check_key_unused(state: _State, remaining: Table, columns: Iterable[str], what: str) -> None:
    """No FK may be left without a key over its referenced columns. Which of two keys over the
    same columns an FK depends on is history the model does not hold (PostgreSQL binds it to
    one index when the FK is created): the diff drops and re-adds an FK whenever any key over
    its columns goes, and this check accepts the drop of a key another one duplicates."""
    key = frozenset(columns)
    if key in _keys(remaining):
        return
    for owner, fk in state.foreign_keys_to(remaining.name):
        if frozenset(fk.ref_columns) == key:
            raise _Misfit(f"foreign key {owner}.{fk.name} references {what}")


def _check_references(state: _State, table: Table, fk: ForeignKey, *, creating: bool = False) -> None:
    """`fk` (of `table`) finds its target table, columns and key."""
    if fk.ref_table == table.name:
        target = table
    else:
        found = state.tables.get(fk.ref_table)
        if found is None:
            raise _Misfit(f'foreign key {fk.name} references missing table "{fk.ref_table}"')
        target = found
    for col in fk.ref_columns:
        if target.column(col) is None:
            raise _Misfit(f'foreign key {fk.name} references missing column "{target.name}.{col}"')
    # A table's own unique indexes are created after its CREATE TABLE: a self-reference made
    # inline needs a PRIMARY KEY or UNIQUE constraint.
    if frozenset(fk.ref_columns) not in _keys(target, indexes=not (creating and target is table)):
        raise _Misfit(f'foreign key {fk.name}: "{target.name}"({", ".join(fk.ref_columns)}) is not a key')


def _check_columns_exist(state: _State, table: Table, columns: Iterable[str]) -> None:
    for col in columns:
        state.column(table, col)


def _check_type_exists(state: _State, column: Column) -> None:
    ctype = column.type
    if ctype.kind is not TypeKind.ENUM:
        return
    enum = state.enums.get(ctype.name or "")
    if enum is None:
        raise _Misfit(f'column "{column.name}": no enum "{ctype.name}"')
    values = column.default.value if isinstance(column.default, LiteralDefault) else None
    for value in values if isinstance(values, list) else [values] if values is not None else []:
        if value is not None and value not in enum.values:
            raise _Misfit(f'column "{column.name}": default {value!r} is not a value of enum {enum.name}')


def _view_reads_column(view: View, table: str, column: str) -> bool:
    # Over-approximates (any column of that name, in a view reading the table): refusing a
    # change the database would allow only matters to a caller that skipped dropping the view.
    return table in view.referenced_tables() and column in view.query.column_names()


def _column_users(state: _State, table: Table, column: str) -> list[str]:
    """What uses `table`.`column`: keys, FKs both ways, CHECKs, indexes, views."""
    users = []
    if table.primary_key and column in table.primary_key.columns:
        users.append(f"primary key {table.primary_key.name}")
    users += [f"unique {u.name}" for u in table.uniques if column in u.columns]
    users += [f"foreign key {fk.name}" for fk in table.foreign_keys if column in fk.columns]
    users += [f"check {c.name}" for c in table.checks if column in c.expr.column_names()]
    users += [f"index {i.name}" for i in table.indexes if column in i.columns]
    users += [f"foreign key {o}.{fk.name}" for o, fk in state.foreign_keys_to(table.name) if column in fk.ref_columns]
    users += [f"view {v.name}" for v in state.views_reading(table.name) if _view_reads_column(v, table.name, column)]
    return users


def _foreign_keys_through(state: _State, table: Table, column: str) -> list[tuple[str, ForeignKey]]:
    """FKs whose columns or referenced columns include `table`.`column`."""
    own = [(table.name, fk) for fk in table.foreign_keys if column in fk.columns]
    return own + [(o, fk) for o, fk in state.foreign_keys_to(table.name) if column in fk.ref_columns]


def _same(current: object, expected: object, what: str) -> None:
    if current != expected:
        raise _Misfit(f"{what} in the schema differs from the operation's copy")


# --- one handler per operation ------------------------------------------------------------------


def _create_table(state: _State, op: CreateTable) -> None:
    table = op.table
    if table.sync and not state.sync_support:
        raise _Misfit("its sync triggers need the sync support objects, which do not exist")
    _free_relation_name(state, table.name)
    for name in sorted(_own_relation_names(table)):
        _free_relation_name(state, name)
    for column in table.columns:
        _check_type_exists(state, column)
    for fk in table.foreign_keys:
        _check_references(state, table, fk, creating=True)
    state.tables[table.name] = table


def _drop_table(state: _State, op: DropTable) -> None:
    table = state.table(op.table.name)
    _same(table, op.table, f"table {table.name}")
    for owner, fk in state.foreign_keys_to(table.name):
        if owner != table.name:
            raise _Misfit(f"foreign key {owner}.{fk.name} references it")
    for view in state.views_reading(table.name):
        raise _Misfit(f"view {view.name} reads it")
    del state.tables[table.name]


def _rename_table(state: _State, op: RenameTable) -> None:
    if state.table(op.old).sync:
        raise _Misfit("SQLite's sync triggers carry the table's name (disable sync first)")
    _free_relation_name(state, op.new)
    state.rename_table(op.old, op.new)


def _add_column(state: _State, op: AddColumn) -> None:
    table = state.table(op.table)
    if table.column(op.column.name) is not None:
        raise _Misfit(f'column "{op.table}.{op.column.name}" exists')
    _check_type_exists(state, op.column)
    state.tables[table.name] = table.model_copy(update={"columns": (*table.columns, op.column)})


def _drop_column(state: _State, op: DropColumn) -> None:
    table = state.table(op.table)
    _sync_columns_in_use(table, [op.column.name])
    _same(state.column(table, op.column.name), op.column, f"column {table.name}.{op.column.name}")
    users = _column_users(state, table, op.column.name)
    if users:
        raise _Misfit(f"{users[0]} uses it")
    if len(table.columns) == 1:
        raise _Misfit("a table needs at least one column (SQLite)")
    columns = tuple(c for c in table.columns if c.name != op.column.name)
    state.tables[table.name] = table.model_copy(update={"columns": columns})


def _rename_column(state: _State, op: RenameColumn) -> None:
    table = state.table(op.table)
    _sync_columns_in_use(table, [op.old])
    state.column(table, op.old)
    if table.column(op.new) is not None:
        raise _Misfit(f'column "{op.table}.{op.new}" exists')
    state.rename_column(table.name, op.old, op.new)


def _alter_column(state: _State, op: AlterColumn) -> None:
    table = state.table(op.table)
    _sync_columns_in_use(table, [op.old.name])
    name = op.old.name
    _same(state.column(table, name), op.old, f"column {table.name}.{name}")
    if op.new.name != name:
        raise _Misfit("AlterColumn cannot rename (RenameColumn does)")
    _check_type_exists(state, op.new)
    if op.type_changed:
        for view in state.views_reading(table.name):
            if _view_reads_column(view, table.name, name):
                raise _Misfit(f"view {view.name} reads the column whose type changes")
        for owner, fk in _foreign_keys_through(state, table, name):
            raise _Misfit(f"foreign key {owner}.{fk.name} runs through the column whose type changes")
    if op.new.nullable and table.primary_key and name in table.primary_key.columns:
        raise _Misfit(f"primary key {table.primary_key.name} needs the column NOT NULL")
    columns = tuple(op.new if c.name == name else c for c in table.columns)
    state.tables[table.name] = table.model_copy(update={"columns": columns})


def _add_primary_key(state: _State, op: AddPrimaryKey) -> None:
    table = state.table(op.table)
    if table.primary_key is not None:
        raise _Misfit(f"the table has primary key {table.primary_key.name}")
    _free_relation_name(state, op.key.name)
    for col in op.key.columns:
        if state.column(table, col).nullable:
            raise _Misfit(f'column "{col}" is nullable')
    state.tables[table.name] = table.model_copy(update={"primary_key": op.key})


def _drop_primary_key(state: _State, op: DropPrimaryKey) -> None:
    table = state.table(op.table)
    if table.sync:
        raise _Misfit(f"the sync triggers of {table.name} read its primary key (disable sync first)")
    _same(table.primary_key, op.key, f"primary key of {table.name}")
    remaining = table.model_copy(update={"primary_key": None})
    _check_key_unused(state, remaining, op.key.columns, f"primary key {op.key.name}")
    state.tables[table.name] = remaining


def _free_constraint_name(table: Table, name: str) -> None:
    if name in _constraint_names(table):
        raise _Misfit(f'table {table.name} has a constraint named "{name}"')


def _add_foreign_key(state: _State, op: AddForeignKey) -> None:
    table = state.table(op.table)
    _free_constraint_name(table, op.fk.name)
    _check_columns_exist(state, table, op.fk.columns)
    _check_references(state, table, op.fk)
    state.tables[table.name] = table.model_copy(update={"foreign_keys": (*table.foreign_keys, op.fk)})


def _drop_foreign_key(state: _State, op: DropForeignKey) -> None:
    table = state.table(op.table)
    _same(next((fk for fk in table.foreign_keys if fk.name == op.fk.name), None), op.fk, f"foreign key {op.fk.name}")
    fks = tuple(fk for fk in table.foreign_keys if fk.name != op.fk.name)
    state.tables[table.name] = table.model_copy(update={"foreign_keys": fks})


def _add_unique(state: _State, op: AddUnique) -> None:
    table = state.table(op.table)
    _free_constraint_name(table, op.unique.name)
    _free_relation_name(state, op.unique.name)
    _check_columns_exist(state, table, op.unique.columns)
    state.tables[table.name] = table.model_copy(update={"uniques": (*table.uniques, op.unique)})


def _drop_unique(state: _State, op: DropUnique) -> None:
    table = state.table(op.table)
    _same(next((u for u in table.uniques if u.name == op.unique.name), None), op.unique, f"unique {op.unique.name}")
    remaining = table.model_copy(update={"uniques": tuple(u for u in table.uniques if u.name != op.unique.name)})
    _check_key_unused(state, remaining, op.unique.columns, f"unique {op.unique.name}")
    state.tables[table.name] = remaining


def _add_check(state: _State, op: AddCheck) -> None:
    table = state.table(op.table)
    _free_constraint_name(table, op.check.name)
    _check_columns_exist(state, table, op.check.expr.column_names())
    state.tables[table.name] = table.model_copy(update={"checks": (*table.checks, op.check)})


def _drop_check(state: _State, op: DropCheck) -> None:
    table = state.table(op.table)
    _same(next((c for c in table.checks if c.name == op.check.name), None), op.check, f"check {op.check.name}")
    checks = tuple(c for c in table.checks if c.name != op.check.name)
    state.tables[table.name] = table.model_copy(update={"checks": checks})


def _create_index(state: _State, op: CreateIndex) -> None:
    table = state.table(op.table)
    _free_relation_name(state, op.index.name)
    _check_columns_exist(state, table, op.index.columns)
    state.tables[table.name] = table.model_copy(update={"indexes": (*table.indexes, op.index)})


def _drop_index(state: _State, op: DropIndex) -> None:
    table = state.table(op.table)
    index = op.index
    _same(next((i for i in table.indexes if i.name == index.name), None), index, f"index {index.name}")
    remaining = table.model_copy(update={"indexes": tuple(i for i in table.indexes if i.name != index.name)})
    if index.unique and index.where is None and all(k.column for k in index.keys):
        _check_key_unused(state, remaining, index.columns, f"unique index {index.name}")
    state.tables[table.name] = remaining


def _create_enum(state: _State, op: CreateEnum) -> None:
    if op.enum.name in state.enums:
        raise _Misfit(f'enum "{op.enum.name}" exists')
    state.enums[op.enum.name] = op.enum


def _enum_columns(state: _State, name: str) -> list[tuple[Table, Column]]:
    return [
        (t, c) for t in state.tables.values() for c in t.columns if c.type.kind is TypeKind.ENUM and c.type.name == name
    ]


def _drop_enum(state: _State, op: DropEnum) -> None:
    _same(state.enums.get(op.enum.name), op.enum, f"enum {op.enum.name}")
    for table, column in _enum_columns(state, op.enum.name):
        raise _Misfit(f"column {table.name}.{column.name} uses it")
    del state.enums[op.enum.name]


def _alter_enum(state: _State, op: AlterEnum) -> None:
    _same(state.enums.get(op.old.name), op.old, f"enum {op.old.name}")
    if op.new.name != op.old.name:
        raise _Misfit("AlterEnum cannot rename an enum")
    state.enums[op.new.name] = op.new
    for _table, column in _enum_columns(state, op.new.name):
        _check_type_exists(state, column)


def _create_view(state: _State, op: CreateView) -> None:
    _free_relation_name(state, op.view.name)
    for name in op.view.referenced_tables():
        if name not in state.tables and name not in state.views:
            raise _Misfit(f'it reads missing table or view "{name}"')
    state.views[op.view.name] = op.view


def _drop_view(state: _State, op: DropView) -> None:
    _same(state.views.get(op.view.name), op.view, f"view {op.view.name}")
    for view in state.views_reading(op.view.name):
        raise _Misfit(f"view {view.name} reads it")
    del state.views[op.view.name]


def _replace_view(state: _State, op: ReplaceView) -> None:
    _same(state.views.get(op.old.name), op.old, f"view {op.old.name}")
    del state.views[op.old.name]
    _create_view(state, CreateView(view=op.new))


# --- sync tables ---------------------------------------------------------------------------------
#
# A table's `sync` flag stands for its triggers. They read the sync columns and (PostgreSQL's
# delete trigger, by name) the primary key, and SQLite's carry the table's name, so while
# they exist those may not change: the diff drops the triggers first and re-creates them
# after (DisableSync ... EnableSync).


def _sync_columns_in_use(table: Table, columns: Iterable[str]) -> None:
    if not table.sync:
        return
    pk = set(table.primary_key.columns) if table.primary_key else set()
    for name in columns:
        if name in SYNC_COLUMNS or name in pk:
            raise _Misfit(f'the sync triggers of {table.name} read column "{name}" (disable sync first)')


def _enable_sync(state: _State, op: EnableSync) -> None:
    table = state.table(op.table)
    if table.sync:
        raise _Misfit("it is a sync table already")
    if not state.sync_support:
        raise _Misfit("the sync support objects do not exist")
    if table.primary_key is None or table.primary_key.columns != op.primary_key:
        raise _Misfit(f"its primary key is not {list(op.primary_key)}")
    for name in SYNC_COLUMNS:
        state.column(table, name)
    state.tables[table.name] = table.model_copy(update={"sync": True})


def _disable_sync(state: _State, op: DisableSync) -> None:
    table = state.table(op.table)
    if not table.sync:
        raise _Misfit("it is not a sync table")
    if table.primary_key is None or table.primary_key.columns != op.primary_key:
        raise _Misfit(f"its primary key is not {list(op.primary_key)}")
    state.tables[table.name] = table.model_copy(update={"sync": False})


def _create_sync_support(state: _State, op: CreateSyncSupport) -> None:
    if op.upgrade:
        return  # idempotent: whatever form they have, they have the current one after
    if state.sync_support:
        raise _Misfit("they exist")
    state.sync_support = True


def _drop_sync_support(state: _State, op: DropSyncSupport) -> None:
    users = sorted(t.name for t in state.tables.values() if t.sync)
    if users:
        raise _Misfit(f"sync table {users[0]} uses them")
    state.sync_support = False


def _checked(apply: Callable[[_State, Any], None]) -> Callable[[_State, Operation], None]:
    def run(state: _State, op: Operation) -> None:
        try:
            apply(state, op)
        except _Misfit as misfit:
            raise SchemaError(f"cannot {op.describe()}: {misfit}") from None

    return run


_APPLY: dict[type[Operation], Callable[[_State, Any], None]] = {
    CreateTable: _create_table,
    DropTable: _drop_table,
    RenameTable: _rename_table,
    AddColumn: _add_column,
    DropColumn: _drop_column,
    RenameColumn: _rename_column,
    AlterColumn: _alter_column,
    AddPrimaryKey: _add_primary_key,
    DropPrimaryKey: _drop_primary_key,
    AddForeignKey: _add_foreign_key,
    DropForeignKey: _drop_foreign_key,
    AddUnique: _add_unique,
    DropUnique: _drop_unique,
    AddCheck: _add_check,
    DropCheck: _drop_check,
    CreateIndex: _create_index,
    DropIndex: _drop_index,
    CreateEnum: _create_enum,
    DropEnum: _drop_enum,
    AlterEnum: _alter_enum,
    CreateView: _create_view,
    DropView: _drop_view,
    ReplaceView: _replace_view,
    EnableSync: _enable_sync,
    DisableSync: _disable_sync,
    CreateSyncSupport: _create_sync_support,
    DropSyncSupport: _drop_sync_support,
}
_HANDLERS = {op_type: _checked(apply) for op_type, apply in _APPLY.items()}
