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

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mizzle.core.errors import SchemaError
from mizzle.core.model import Column, Enum, ForeignKey, LiteralDefault, Schema, Table, View
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
from mizzle.core.partitions import Partition
from mizzle.core.pg_object_ops import AlterObject, CreateObject, DropObject, Item, SetPartitionKey
from mizzle.core.pg_objects import Aggregate, Domain, MaterializedView, PgSequence, object_key, object_label
from mizzle.core.rename_refs import (
    rename_column_in_table,
    rename_column_in_view,
    rename_referenced_column,
    rename_table_in_view,
)
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
from mizzle.core.routines import Extension, Function
from mizzle.core.sync.names import SYNC_COLUMNS
from mizzle.core.types import TypeKind
from mizzle.core.virtual_tables import VirtualTable


def evolve(schema: Schema, operations: Iterable[Operation]) -> Schema:
    """The schema after `operations`; SchemaError names the first one that does not fit."""
    state = Evolution(schema)
    for op in operations:
        state.apply(op)
    return state.schema()


def apply_renames(schema: Schema, renames: Iterable[RenameTable | RenameColumn]) -> Schema:
    """`schema` with the renames applied and every reference rewritten, without evolve's
    checks: the diff uses it to compare the old schema under the new names."""
    renames = list(renames)
    if not renames:
        return schema
    state = Evolution(schema)
    for op in renames:
        if isinstance(op, RenameTable):
            state.rename_table(op.old, op.new)
        else:
            state.rename_column(op.table, op.old, op.new)
    return state.schema()


class _Misfit(Exception):
    """An operation does not fit the schema; `evolve` turns it into a SchemaError naming the operation."""


class Evolution:
    """A schema followed through operations one at a time, held in dicts so each operation
    touches only what it changes. `apply` is one step of `evolve` (SchemaError when the
    operation does not fit); `carry_out` only does what the operation does, for a planner
    following a database that holds the schema otherwise than the operations expect (SQLite
    carries a rebuilt table's changes out together, later, and skips changes to a table
    dropped later). After a SchemaError the evolution is left half-way: discard it."""

    def __init__(self, schema: Schema) -> None:
        self.tables = {t.name: t for t in schema.tables}
        self.enums = {e.name: e for e in schema.enums}
        self.views = {v.name: v for v in schema.views}
        self.security = schema.security
        self.functions: dict[tuple[str, str, str], Function] = {f.key: f for f in schema.functions}
        self.extensions: dict[str, Extension] = {x.name: x for x in schema.extensions}
        #: domains, sequences, materialized views, aggregates (`core/pg_objects.py`), by `object_key`
        held: list[Item] = [*schema.domains, *schema.sequences, *schema.materialized_views, *schema.aggregates]
        held += schema.partitions
        self.objects: dict[tuple[str, str], Item] = {object_key(o): o for o in held}
        self.virtual_tables: dict[str, VirtualTable] = {v.name: v for v in schema.virtual_tables}
        #: the tombstone table and trigger functions / control table exist
        self.sync_support = any(t.sync for t in schema.tables)
        #: the names of the tables written or removed so far (a planner following many
        #: tables updates what it derives from them without scanning them all)
        self.touched: set[str] = set()
        #: how many of the tables' indexes, keys and uniques have each name, and how many
        #: tables' foreign keys reference each table (None: not yet counted). Counted once,
        #: then kept up by `put` and `remove`: checking a CREATE TABLE or DROP TABLE against
        #: every table made evolving a migration of 3,000 tables quadratic.
        self._owned: Counter[str] | None = None
        self._referenced: Counter[str] | None = None

    @classmethod
    def holding(
        cls,
        tables: Mapping[str, Table],
        views: Mapping[str, View],
        enums: Mapping[str, Enum],
        *,
        sync_support: bool = False,
    ) -> Evolution:
        """An evolution starting from these tables, views and enums (copied, not shared).
        Whether the sync support objects exist is only asked by `apply`'s checks: a caller
        that only carries operations out need not say (and saves a scan of every table)."""
        state = cls(Schema())
        state.tables, state.views, state.enums = dict(tables), dict(views), dict(enums)
        state.sync_support = sync_support
        return state

    def apply(self, op: Operation) -> None:
        """`op` carried out, after checking that it fits (see the module docstring)."""
        handler = _HANDLERS.get(type(op))
        if handler is None:
            raise SchemaError(f"cannot apply {op.describe()}: no meaning defined for {type(op).__name__}")
        handler(self, op)

    def carry_out(self, op: Operation) -> None:
        """What `op` does, without checking that it fits: items it adds replace any of the
        same name, and what it drops may be missing. SchemaError still when it changes a
        table that does not exist."""
        effect = _EFFECTS_CHECKED.get(type(op))
        if effect is None:
            raise SchemaError(f"cannot apply {op.describe()}: no meaning defined for {type(op).__name__}")
        effect(self, op)

    def put(self, table: Table) -> None:
        self._count(self.tables.get(table.name), -1)
        self.tables[table.name] = table
        self.touched.add(table.name)
        self._count(table, 1)

    def remove(self, name: str) -> None:
        self._count(self.tables.pop(name, None), -1)
        self.touched.add(name)
        if self.security:  # a table's policies, grants and comments go with it
            self.security = self.security.without_tables([name])

    def _count(self, table: Table | None, sign: int) -> None:
        """Keeps the counts of names and references up as `table` comes (1) or goes (-1)."""
        if table is None:
            return
        if self._owned is not None:
            self._owned.update(dict.fromkeys(_own_relation_names(table), sign))
        if self._referenced is not None:
            self._referenced.update(Counter({fk.ref_table: sign for fk in table.foreign_keys if fk.ref_schema is None}))

    def schema(self) -> Schema:
        return Schema(
            tables=tuple(self.tables.values()),
            enums=tuple(self.enums.values()),
            views=tuple(self.views.values()),
            security=self.security,
            functions=tuple(self.functions.values()),
            extensions=tuple(self.extensions.values()),
            domains=tuple(o for o in self.objects.values() if isinstance(o, Domain)),
            sequences=tuple(o for o in self.objects.values() if isinstance(o, PgSequence)),
            materialized_views=tuple(o for o in self.objects.values() if isinstance(o, MaterializedView)),
            aggregates=tuple(o for o in self.objects.values() if isinstance(o, Aggregate)),
            partitions=tuple(o for o in self.objects.values() if isinstance(o, Partition)),
            virtual_tables=tuple(self.virtual_tables.values()),
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

    def relation_name_taken(self, name: str) -> bool:
        """Whether `name` is in PostgreSQL's relation namespace: tables, views, indexes,
        PRIMARY KEY and UNIQUE names."""
        if name in self.tables or name in self.views:
            return True
        if self._owned is None:
            self._owned = Counter(n for t in self.tables.values() for n in _own_relation_names(t))
        return self._owned[name] > 0

    def foreign_keys_to(self, table: str) -> list[tuple[str, ForeignKey]]:
        """(table name, fk) for every FK referencing `table`, including its own self-references."""
        if self._referenced is None:
            self._referenced = Counter()
            for t in self.tables.values():
                self._referenced.update(Counter({fk.ref_table: 1 for fk in t.foreign_keys if fk.ref_schema is None}))
        if self._referenced[table] <= 0:
            return []
        return [(t.name, fk) for t in self.tables.values() for fk in t.foreign_keys if fk.local_ref == table]

    def views_reading(self, name: str) -> list[View]:
        return [v for v in self.views.values() if name in v.referenced_tables()]

    # --- renames, shared by evolve and apply_renames ----------------------------------------

    def rename_table(self, old: str, new: str) -> None:
        table, security = self.tables[old], self.security
        self.remove(old)
        self.security = security  # renamed below, not dropped with the old name
        self.put(table.model_copy(update={"name": new}))
        for t in list(self.tables.values()):
            if any(fk.local_ref == old for fk in t.foreign_keys):
                fks = tuple(
                    fk.model_copy(update={"ref_table": new}) if fk.local_ref == old else fk for fk in t.foreign_keys
                )
                self.put(t.model_copy(update={"foreign_keys": fks}))
        for view in self.views_reading(old):
            self.views[view.name] = rename_table_in_view(view, old, new)
        if self.security:
            self.security = self.security.table_renamed(old, new)
        for key, held in list(self.objects.items()):  # PostgreSQL keeps a renamed table's partitions on it
            if isinstance(held, Partition) and held.parent == old:
                self.objects[key] = held.model_copy(update={"parent": new})

    def rename_column(self, table_name: str, old: str, new: str) -> None:
        self.put(rename_column_in_table(self.tables[table_name], old, new))
        for t in list(self.tables.values()):
            fks = tuple(rename_referenced_column(fk, table_name, old, new) for fk in t.foreign_keys)
            if fks != t.foreign_keys:
                self.put(t.model_copy(update={"foreign_keys": fks}))
        for view in self.views_reading(table_name):
            self.views[view.name] = rename_column_in_view(view, table_name, old, new)
        if self.security:
            self.security = self.security.column_renamed(table_name, old, new)


# --- checks shared by several operations ---------------------------------------------------------


def _own_relation_names(table: Table) -> set[str]:
    names = {i.name for i in table.indexes} | {u.name for u in table.uniques}
    return names | ({table.primary_key.name} if table.primary_key else set())


def _constraint_names(table: Table) -> set[str]:
    names = {fk.name for fk in table.foreign_keys} | {u.name for u in table.uniques} | {c.name for c in table.checks}
    return names | ({table.primary_key.name} if table.primary_key else set())


def _free_relation_name(state: Evolution, name: str) -> None:
    if state.relation_name_taken(name):
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


def _check_key_unused(state: Evolution, remaining: Table, columns: Iterable[str], what: str) -> None:
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


def _check_references(state: Evolution, table: Table, fk: ForeignKey, *, creating: bool = False) -> None:
    """`fk` (of `table`) finds its target table, columns and key (a table of another
    schema is not the schema's to check: PostgreSQL checks it when the key is made)."""
    if fk.ref_schema is not None:
        return
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


def _check_columns_exist(state: Evolution, table: Table, columns: Iterable[str]) -> None:
    for col in columns:
        state.column(table, col)


def _check_type_exists(state: Evolution, column: Column) -> None:
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


def _column_users(state: Evolution, table: Table, column: str) -> list[str]:
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


def _foreign_keys_through(state: Evolution, table: Table, column: str) -> list[tuple[str, ForeignKey]]:
    """FKs whose columns or referenced columns include `table`.`column`."""
    own = [(table.name, fk) for fk in table.foreign_keys if column in fk.columns]
    return own + [(o, fk) for o, fk in state.foreign_keys_to(table.name) if column in fk.ref_columns]


def _same(current: object, expected: object, what: str) -> None:
    if current != expected:
        raise _Misfit(f"{what} in the schema differs from the operation's copy")


# --- one handler per operation ------------------------------------------------------------------


def _create_table(state: Evolution, op: CreateTable) -> None:
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
    _does(state, op)


def _drop_table(state: Evolution, op: DropTable) -> None:
    table = state.table(op.table.name)
    _same(table, op.table, f"table {table.name}")
    for owner, fk in state.foreign_keys_to(table.name):
        if owner != table.name:
            raise _Misfit(f"foreign key {owner}.{fk.name} references it")
    for view in state.views_reading(table.name):
        raise _Misfit(f"view {view.name} reads it")
    _does(state, op)


def _rename_table(state: Evolution, op: RenameTable) -> None:
    if state.table(op.old).sync:
        raise _Misfit("SQLite's sync triggers carry the table's name (disable sync first)")
    _free_relation_name(state, op.new)
    _does(state, op)


def _add_column(state: Evolution, op: AddColumn) -> None:
    table = state.table(op.table)
    if table.column(op.column.name) is not None:
        raise _Misfit(f'column "{op.table}.{op.column.name}" exists')
    _check_type_exists(state, op.column)
    _does(state, op)


def _drop_column(state: Evolution, op: DropColumn) -> None:
    table = state.table(op.table)
    _sync_columns_in_use(table, [op.column.name])
    _same(state.column(table, op.column.name), op.column, f"column {table.name}.{op.column.name}")
    users = _column_users(state, table, op.column.name)
    if users:
        raise _Misfit(f"{users[0]} uses it")
    if len(table.columns) == 1:
        raise _Misfit("a table needs at least one column (SQLite)")
    _does(state, op)


def _rename_column(state: Evolution, op: RenameColumn) -> None:
    table = state.table(op.table)
    _sync_columns_in_use(table, [op.old])
    state.column(table, op.old)
    if table.column(op.new) is not None:
        raise _Misfit(f'column "{op.table}.{op.new}" exists')
    _does(state, op)


def _alter_column(state: Evolution, op: AlterColumn) -> None:
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
    _does(state, op)


def _add_primary_key(state: Evolution, op: AddPrimaryKey) -> None:
    table = state.table(op.table)
    if table.primary_key is not None:
        raise _Misfit(f"the table has primary key {table.primary_key.name}")
    _free_relation_name(state, op.key.name)
    for col in op.key.columns:
        if state.column(table, col).nullable:
            raise _Misfit(f'column "{col}" is nullable')
    _does(state, op)


def _drop_primary_key(state: Evolution, op: DropPrimaryKey) -> None:
    table = state.table(op.table)
    if table.sync:
        raise _Misfit(f"the sync triggers of {table.name} read its primary key (disable sync first)")
    _same(table.primary_key, op.key, f"primary key of {table.name}")
    remaining = table.model_copy(update={"primary_key": None})
    _check_key_unused(state, remaining, op.key.columns, f"primary key {op.key.name}")
    _does(state, op)


def _free_constraint_name(table: Table, name: str) -> None:
    if name in _constraint_names(table):
        raise _Misfit(f'table {table.name} has a constraint named "{name}"')


def _add_foreign_key(state: Evolution, op: AddForeignKey) -> None:
    table = state.table(op.table)
    _free_constraint_name(table, op.fk.name)
    _check_columns_exist(state, table, op.fk.columns)
    _check_references(state, table, op.fk)
    _does(state, op)


def _drop_foreign_key(state: Evolution, op: DropForeignKey) -> None:
    table = state.table(op.table)
    _same(next((fk for fk in table.foreign_keys if fk.name == op.fk.name), None), op.fk, f"foreign key {op.fk.name}")
    _does(state, op)


def _add_unique(state: Evolution, op: AddUnique) -> None:
    table = state.table(op.table)
    _free_constraint_name(table, op.unique.name)
    _free_relation_name(state, op.unique.name)
    _check_columns_exist(state, table, op.unique.columns)
    _does(state, op)


def _drop_unique(state: Evolution, op: DropUnique) -> None:
    table = state.table(op.table)
    _same(next((u for u in table.uniques if u.name == op.unique.name), None), op.unique, f"unique {op.unique.name}")
    remaining = table.model_copy(update={"uniques": tuple(u for u in table.uniques if u.name != op.unique.name)})
    _check_key_unused(state, remaining, op.unique.columns, f"unique {op.unique.name}")
    _does(state, op)


def _add_check(state: Evolution, op: AddCheck) -> None:
    table = state.table(op.table)
    _free_constraint_name(table, op.check.name)
    _check_columns_exist(state, table, op.check.expr.column_names())
    _does(state, op)


def _drop_check(state: Evolution, op: DropCheck) -> None:
    table = state.table(op.table)
    _same(next((c for c in table.checks if c.name == op.check.name), None), op.check, f"check {op.check.name}")
    _does(state, op)


def _create_index(state: Evolution, op: CreateIndex) -> None:
    table = state.table(op.table)
    _free_relation_name(state, op.index.name)
    _check_columns_exist(state, table, op.index.columns)
    _does(state, op)


def _drop_index(state: Evolution, op: DropIndex) -> None:
    table = state.table(op.table)
    index = op.index
    _same(next((i for i in table.indexes if i.name == index.name), None), index, f"index {index.name}")
    remaining = table.model_copy(update={"indexes": tuple(i for i in table.indexes if i.name != index.name)})
    if index.unique and index.where is None and all(k.column for k in index.keys):
        _check_key_unused(state, remaining, index.columns, f"unique index {index.name}")
    _does(state, op)


def _create_enum(state: Evolution, op: CreateEnum) -> None:
    if op.enum.name in state.enums:
        raise _Misfit(f'enum "{op.enum.name}" exists')
    _does(state, op)


def _enum_columns(state: Evolution, name: str) -> list[tuple[Table, Column]]:
    return [
        (t, c) for t in state.tables.values() for c in t.columns if c.type.kind is TypeKind.ENUM and c.type.name == name
    ]


def _drop_enum(state: Evolution, op: DropEnum) -> None:
    _same(state.enums.get(op.enum.name), op.enum, f"enum {op.enum.name}")
    for table, column in _enum_columns(state, op.enum.name):
        raise _Misfit(f"column {table.name}.{column.name} uses it")
    _does(state, op)


def _alter_enum(state: Evolution, op: AlterEnum) -> None:
    _same(state.enums.get(op.old.name), op.old, f"enum {op.old.name}")
    if op.new.name != op.old.name:
        raise _Misfit("AlterEnum cannot rename an enum")
    _does(state, op)
    for _table, column in _enum_columns(state, op.new.name):
        _check_type_exists(state, column)


def _create_view(state: Evolution, op: CreateView) -> None:
    _free_relation_name(state, op.view.name)
    for name in op.view.referenced_tables():
        if name not in state.tables and name not in state.views:
            raise _Misfit(f'it reads missing table or view "{name}"')
    _does(state, op)


def _drop_view(state: Evolution, op: DropView) -> None:
    _same(state.views.get(op.view.name), op.view, f"view {op.view.name}")
    for view in state.views_reading(op.view.name):
        raise _Misfit(f"view {view.name} reads it")
    _does(state, op)


def _replace_view(state: Evolution, op: ReplaceView) -> None:
    _same(state.views.get(op.old.name), op.old, f"view {op.old.name}")
    del state.views[op.old.name]
    _create_view(state, CreateView(view=op.new))


# --- code: extensions, functions, triggers (core/routines.py) ------------------------------------


def _create_extension(state: Evolution, op: CreateExtension) -> None:
    if op.extension.name in state.extensions:
        raise _Misfit(f'extension "{op.extension.name}" exists')
    _does(state, op)


def _drop_extension(state: Evolution, op: DropExtension) -> None:
    _same(state.extensions.get(op.extension.name), op.extension, f"extension {op.extension.name}")
    _does(state, op)


def _create_virtual_table(state: Evolution, op: CreateVirtualTable) -> None:
    name = op.table.name
    if name in state.virtual_tables or name in state.tables or name in state.views:
        raise _Misfit(f'"{name}" exists')
    _does(state, op)


def _drop_virtual_table(state: Evolution, op: DropVirtualTable) -> None:
    _same(state.virtual_tables.get(op.table.name), op.table, f"virtual table {op.table.name}")
    _does(state, op)


def _create_function(state: Evolution, op: CreateFunction) -> None:
    if op.function.key in state.functions:
        raise _Misfit(f"{op.function.kind} {op.function.label} exists")
    _does(state, op)


def _drop_function(state: Evolution, op: DropFunction) -> None:
    _same(state.functions.get(op.function.key), op.function, f"{op.function.kind} {op.function.label}")
    _does(state, op)


def _replace_function(state: Evolution, op: ReplaceFunction) -> None:
    _same(state.functions.get(op.old.key), op.old, f"{op.old.kind} {op.old.label}")
    if op.new.key != op.old.key:
        raise _Misfit("CREATE OR REPLACE cannot change a function's name or arguments")
    _does(state, op)


def _create_trigger(state: Evolution, op: CreateTrigger) -> None:
    table = state.table(op.table)
    if any(t.name == op.trigger.name for t in table.triggers):
        raise _Misfit(f'trigger "{op.trigger.name}" exists on {op.table}')
    _does(state, op)


def _drop_trigger(state: Evolution, op: DropTrigger) -> None:
    table = state.table(op.table)
    _same(
        next((t for t in table.triggers if t.name == op.trigger.name), None), op.trigger, f"trigger {op.trigger.name}"
    )
    _does(state, op)


# --- domains, sequences, materialized views, aggregates (core/pg_objects.py) ----------------------


def _create_object(state: Evolution, op: CreateObject) -> None:
    if object_key(op.item) in state.objects:
        raise _Misfit(f"{object_label(op.item)} exists")
    _does(state, op)


def _drop_object(state: Evolution, op: DropObject) -> None:
    _same(state.objects.get(object_key(op.item)), op.item, object_label(op.item))
    _does(state, op)


def _alter_object(state: Evolution, op: AlterObject) -> None:
    _same(state.objects.get(object_key(op.old)), op.old, object_label(op.old))
    if object_key(op.new) != object_key(op.old):
        raise _Misfit("an object keeps its kind and name when altered")
    _does(state, op)


def _set_partition_key(state: Evolution, op: SetPartitionKey) -> None:
    if state.table(op.table).partition_by != op.old:
        raise _Misfit(f'table "{op.table}" has another partition key')
    _does(state, op)


def _put_partition_key(state: Evolution, op: SetPartitionKey) -> None:
    table = state.tables.get(op.table)
    if table is not None:
        state.put(table.model_copy(update={"partition_by": op.new}))


def _put_object(state: Evolution, op: CreateObject | AlterObject) -> None:
    item = op.item if isinstance(op, CreateObject) else op.new
    state.objects[object_key(item)] = item


def _forget(held: dict[Any, Any], key: object) -> None:
    held.pop(key, None)


def _put_function(state: Evolution, op: CreateFunction | ReplaceFunction) -> None:
    function = op.function if isinstance(op, CreateFunction) else op.new
    state.functions[function.key] = function


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


def _enable_sync(state: Evolution, op: EnableSync) -> None:
    table = state.table(op.table)
    if table.sync:
        raise _Misfit("it is a sync table already")
    if not state.sync_support:
        raise _Misfit("the sync support objects do not exist")
    if table.primary_key is None or table.primary_key.columns != op.primary_key:
        raise _Misfit(f"its primary key is not {list(op.primary_key)}")
    for name in SYNC_COLUMNS:
        state.column(table, name)
    _does(state, op)


def _disable_sync(state: Evolution, op: DisableSync) -> None:
    table = state.table(op.table)
    if not table.sync:
        raise _Misfit("it is not a sync table")
    if table.primary_key is None or table.primary_key.columns != op.primary_key:
        raise _Misfit(f"its primary key is not {list(op.primary_key)}")
    _does(state, op)


def _create_sync_support(state: Evolution, op: CreateSyncSupport) -> None:
    if op.upgrade:
        return  # idempotent: whatever form they have, they have the current one after
    if state.sync_support:
        raise _Misfit("they exist")
    _does(state, op)


def _drop_sync_support(state: Evolution, op: DropSyncSupport) -> None:
    users = sorted(t.name for t in state.tables.values() if t.sync)
    if users:
        raise _Misfit(f"sync table {users[0]} uses them")
    _does(state, op)


# --- what each operation does, once it fits (`Evolution.carry_out` does only this) ---------------


def _does(state: Evolution, op: Operation) -> None:
    _EFFECTS[type(op)](state, op)


def _without(items: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    return tuple(i for i in items if i.name != name)


def _change(state: Evolution, name: str, **update: object) -> None:
    state.put(state.table(name).model_copy(update=update))


def _replace_column(state: Evolution, op: AlterColumn) -> None:
    table = state.table(op.table)
    _change(state, op.table, columns=tuple(op.new if c.name == op.old.name else c for c in table.columns))


def _add_item(field: str, item: Callable[[Any], Any]) -> Callable[[Evolution, Any], None]:
    """An operation adding a named constraint or index (replacing one of the same name)."""

    def add(state: Evolution, op: Any) -> None:
        new = item(op)
        _change(state, op.table, **{field: (*_without(getattr(state.table(op.table), field), new.name), new)})

    return add


def _drop_item(field: str, item: Callable[[Any], Any]) -> Callable[[Evolution, Any], None]:
    def drop(state: Evolution, op: Any) -> None:
        _change(state, op.table, **{field: _without(getattr(state.table(op.table), field), item(op).name)})

    return drop


def _set_sync(on: bool) -> Callable[[Evolution, Any], None]:
    def set_sync(state: Evolution, op: EnableSync | DisableSync) -> None:
        _change(state, op.table, sync=on)

    return set_sync


def _set_sync_support(on: bool) -> Callable[[Evolution, Any], None]:
    def set_support(state: Evolution, op: Operation) -> None:
        state.sync_support = on

    return set_support


def _put_enum(state: Evolution, op: CreateEnum | AlterEnum) -> None:
    enum = op.enum if isinstance(op, CreateEnum) else op.new
    state.enums[enum.name] = enum


def _remove_enum(state: Evolution, op: DropEnum) -> None:
    state.enums.pop(op.enum.name, None)


def _put_view(state: Evolution, op: CreateView) -> None:
    state.views[op.view.name] = op.view


def _remove_view(state: Evolution, op: DropView) -> None:
    state.views.pop(op.view.name, None)


def _replace_view_effect(state: Evolution, op: ReplaceView) -> None:
    state.views.pop(op.old.name, None)
    state.views[op.new.name] = op.new


def _set_security(state: Evolution, op: SetSecurity) -> None:
    if op.old is not None:
        state.security = state.security.remove(op.old.key)
    if op.new is not None:
        state.security = state.security.put(op.new)


def _check_security(state: Evolution, op: SetSecurity) -> None:
    """What is removed or changed is held as the operation says; what comes hangs on
    tables or views that exist."""
    if op.old is not None:
        held = next((i for i in state.security.items() if i.key == op.old.key), None)
        _same(held, op.old, op.old.describe())
    elif op.new is not None and any(i.key == op.new.key for i in state.security.items()):
        raise _Misfit(f"{op.new.describe()} exists already")
    for name in op.new.tables if op.new is not None else ():
        if name not in state.tables and name not in state.views:
            raise _Misfit(f'no table "{name}"')
    _does(state, op)


_EFFECTS: dict[type[Operation], Callable[[Evolution, Any], None]] = {
    CreateTable: lambda state, op: state.put(op.table),
    DropTable: lambda state, op: state.remove(op.table.name),
    RenameTable: lambda state, op: state.rename_table(state.table(op.old).name, op.new),
    AddColumn: lambda state, op: _change(state, op.table, columns=(*state.table(op.table).columns, op.column)),
    DropColumn: _drop_item("columns", lambda op: op.column),
    RenameColumn: lambda state, op: state.rename_column(state.table(op.table).name, op.old, op.new),
    AlterColumn: _replace_column,
    AddPrimaryKey: lambda state, op: _change(state, op.table, primary_key=op.key),
    DropPrimaryKey: lambda state, op: _change(state, op.table, primary_key=None),
    AddForeignKey: _add_item("foreign_keys", lambda op: op.fk),
    DropForeignKey: _drop_item("foreign_keys", lambda op: op.fk),
    AddUnique: _add_item("uniques", lambda op: op.unique),
    DropUnique: _drop_item("uniques", lambda op: op.unique),
    AddCheck: _add_item("checks", lambda op: op.check),
    DropCheck: _drop_item("checks", lambda op: op.check),
    CreateIndex: _add_item("indexes", lambda op: op.index),
    DropIndex: _drop_item("indexes", lambda op: op.index),
    CreateEnum: _put_enum,
    DropEnum: _remove_enum,
    AlterEnum: _put_enum,
    CreateView: _put_view,
    DropView: _remove_view,
    ReplaceView: _replace_view_effect,
    EnableSync: _set_sync(True),
    DisableSync: _set_sync(False),
    CreateSyncSupport: _set_sync_support(True),
    DropSyncSupport: _set_sync_support(False),
    SetSecurity: _set_security,
    CreateExtension: lambda state, op: state.extensions.__setitem__(op.extension.name, op.extension),
    DropExtension: lambda state, op: _forget(state.extensions, op.extension.name),
    CreateVirtualTable: lambda state, op: state.virtual_tables.__setitem__(op.table.name, op.table),
    DropVirtualTable: lambda state, op: _forget(state.virtual_tables, op.table.name),
    CreateFunction: _put_function,
    ReplaceFunction: _put_function,
    DropFunction: lambda state, op: _forget(state.functions, op.function.key),
    CreateObject: _put_object,
    AlterObject: _put_object,
    DropObject: lambda state, op: _forget(state.objects, object_key(op.item)),
    SetPartitionKey: _put_partition_key,
    CreateTrigger: _add_item("triggers", lambda op: op.trigger),
    DropTrigger: _drop_item("triggers", lambda op: op.trigger),
}


def _checked(apply: Callable[[Evolution, Any], None]) -> Callable[[Evolution, Operation], None]:
    def run(state: Evolution, op: Operation) -> None:
        try:
            apply(state, op)
        except _Misfit as misfit:
            raise SchemaError(f"cannot {op.describe()}: {misfit}") from None

    return run


_APPLY: dict[type[Operation], Callable[[Evolution, Any], None]] = {
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
    SetSecurity: _check_security,
    CreateExtension: _create_extension,
    DropExtension: _drop_extension,
    CreateVirtualTable: _create_virtual_table,
    DropVirtualTable: _drop_virtual_table,
    CreateFunction: _create_function,
    DropFunction: _drop_function,
    ReplaceFunction: _replace_function,
    CreateObject: _create_object,
    DropObject: _drop_object,
    AlterObject: _alter_object,
    SetPartitionKey: _set_partition_key,
    CreateTrigger: _create_trigger,
    DropTrigger: _drop_trigger,
}
_HANDLERS = {op_type: _checked(apply) for op_type, apply in _APPLY.items()}
_EFFECTS_CHECKED = {op_type: _checked(effect) for op_type, effect in _EFFECTS.items()}
