"""The diff: two schemas → the operations that turn the first into the second, in an order
in which each one is valid when it runs, on PostgreSQL as on SQLite.

The model is canonical, so comparing is plain equality: `diff(s, s) == []` for every
schema, and nothing reappears on every run. Renames are settled first (`renames.resolve`:
flags, prompt answers, or AmbiguousRename); the old schema is then seen under the new names
(`evolve.apply_renames`) and compared object by object: tables and columns by name, a
table's constraints and indexes by name (any difference, the name included, is a drop and an
add: PostgreSQL keeps `tune_title_key` when `title` becomes `name`, while the new schema
says `tune_name_key`, so the key is dropped and re-added under the new name), enums by
values, views by body. Column order is not compared: PostgreSQL cannot reorder columns.

The order, and why each step sits where it does:

 Around them, the code the database runs (`diff_routines.py`): extensions created before
 step 0 and dropped after step 18; the app's triggers that change dropped at step 0 and
 created after step 17; functions dropped after step 1, created or replaced after step 13
 (new ones whose signature names no table after step 5, before the tables); SQLite's
 virtual tables dropped after step 1 and created after step 15.

 0. drop the sync triggers of tables that stop being sync, or whose triggers must be made
    again (the table is renamed, its primary key or a sync column changes): the triggers
    read those, and SQLite's carry the table's name.
 1. drop views that change, go, read a view that is dropped, or read a table that is
    dropped, renamed, or has a column dropped, renamed or altered (or of an enum losing
    values): PostgreSQL refuses to drop or retype what a view reads, and SQLite checks views
    when a table is renamed; dropping them all first and re-creating them last works on
    both. (ReplaceView is never emitted: PostgreSQL rejects CREATE OR REPLACE VIEW when the
    view's columns change.)
 2. drop FKs that change or go, FKs that run through a column whose type changes or that
    goes, FKs referencing a key (PRIMARY KEY, UNIQUE, unique index) that is dropped, and FKs
    closing a cycle among dropped tables: what they reference is about to change.
 3. drop PRIMARY KEYs, UNIQUEs, CHECKs and indexes that change or go, before the columns
    they cover go (SQLite refuses DROP COLUMN on an indexed column); also the keys and
    indexes of a dropped table whose names the new schema reuses (one namespace on
    PostgreSQL, and the table itself is only dropped at step 10), and the rare dropped
    table whose very name a new table's key or index takes.
 4. renames, tables then columns: from here on every operation uses the new names.
 5. create enums, and add values to altered ones: new and altered columns may use them;
    create the sync support objects when the first sync table comes.
 6. create tables, each after the new tables it references, carrying its FKs to them, to
    itself and to existing tables whose key stays; the FKs closing a cycle among new tables
    and the FKs to keys or columns still to come are added at step 13.
 7. add columns, 8. alter columns (after adds so defaults/enums exist; after step 2 so no
    FK runs through a retyped column), 9. drop columns (after adds: a table always keeps a
    column, and a hand-edited migration can copy data over first).
10. drop tables, children before parents: nothing references them any more.
11. add PRIMARY KEYs, UNIQUEs and CHECKs, 12. create indexes: over the final columns.
13. add FKs: every key and column they reference now exists.
14. drop enums, now that no column uses them; 15. remove enum values (AlterEnum), after
    the columns and defaults holding them changed.
16. create views, each after the views it reads: everything they read exists.
17. create the sync triggers of tables that become sync (their columns are final now; a new
    sync table gets its triggers with CREATE TABLE), 18. drop the sync support objects when
    the last sync table goes.

Domains, standalone sequences, materialized views and aggregates (server-only) take their
places around these steps as `diff_pg_objects.py` says.

Row level security, policies, grants, default privileges and comments (server-only) go
around all of that: what goes or must be made again first, what comes or changes last
(`core/diff_security.py`).

An enum that both gains and loses values is two AlterEnums: the gains at step 5 (values
inserted where the new enum has them), the losses and any reordering at step 15.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from mizzle.core.diff_order import creation_order, drop_order, views_read_first, views_readers_first
from mizzle.core.diff_pg_objects import object_changes
from mizzle.core.diff_routines import routine_changes
from mizzle.core.diff_security import security_changes
from mizzle.core.evolve import apply_renames
from mizzle.core.model import Enum, ForeignKey, Index, Schema, Table, View
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
)
from mizzle.core.renames import Asker, Renames, resolve
from mizzle.core.sync.names import SYNC_COLUMNS
from mizzle.core.types import TypeKind


def diff(old: Schema, new: Schema, renames: Renames | None = None, ask: Asker | None = None) -> list[Operation]:
    """The operations that turn `old` into `new`, ordered (see the module docstring).

    `renames` holds the user's --rename/--drop flags; `ask` is called for a rename candidate
    they leave open (an interactive prompt). A candidate settled by neither raises
    AmbiguousRename; a flag that does not fit raises RenameFlagError."""
    return _Diff(old, new, resolve(old, new, renames, ask)).operations()


def _by_name(items: Iterable[Any]) -> dict[str, Any]:
    return {item.name: item for item in items}


def _changed(before: Iterable[Any], after: Iterable[Any]) -> list[Any]:
    """Items of `before` that `after` lacks or holds differently (matched by name)."""
    kept = _by_name(after)
    return [item for item in before if kept.get(item.name) != item]


def _key_columns(index: Index) -> frozenset[str] | None:
    """The columns of an index an FK may reference (unique, whole-table, plain columns)."""
    if index.unique and index.where is None and all(k.column for k in index.keys):
        return frozenset(k.column for k in index.keys if k.column)
    return None


def _keys(table: Table) -> set[frozenset[str]]:
    keys = {frozenset(table.primary_key.columns)} if table.primary_key else set()
    keys |= {frozenset(u.columns) for u in table.uniques}
    return keys | {k for i in table.indexes if (k := _key_columns(i)) is not None}


def _own_relation_names(table: Table) -> set[str]:
    """Names a table's indexes and keys take in PostgreSQL's relation namespace."""
    names = {i.name for i in table.indexes} | {u.name for u in table.uniques}
    return names | ({table.primary_key.name} if table.primary_key else set())


def _relation_names(schema: Schema) -> set[str]:
    names = {t.name for t in schema.tables} | {v.name for v in schema.views}
    for t in schema.tables:
        names |= _own_relation_names(t)
    return names


@dataclass
class _TableDiff:
    """One table present on both sides: `old` as the old schema has it, `mapped` the same under
    the new names, `new` the new schema's."""

    old: Table
    mapped: Table
    new: Table
    renamed_columns: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        m, n = self.mapped, self.new
        self.added = [c for c in n.columns if m.column(c.name) is None]
        self.dropped = [c for c in m.columns if n.column(c.name) is None]
        self.altered = [(c, nc) for c in m.columns if (nc := n.column(c.name)) is not None and nc != c]
        self.retyped = {c.name for c, nc in self.altered if c.type != nc.type or c.domain != nc.domain}
        self.pk_changed = m.primary_key != n.primary_key
        self.fks_gone = {fk.name for fk in _changed(m.foreign_keys, n.foreign_keys)}
        self.fks_come = {fk.name for fk in _changed(n.foreign_keys, m.foreign_keys)}
        self.uniques_gone = _changed(m.uniques, n.uniques)
        self.indexes_gone = _changed(m.indexes, n.indexes)

    @property
    def dropped_keys(self) -> set[frozenset[str]]:
        """Keys an FK may reference that are dropped at step 3 (in the new names)."""
        pk = self.mapped.primary_key
        keys = {frozenset(pk.columns)} if pk and self.pk_changed else set()
        keys |= {frozenset(u.columns) for u in self.uniques_gone}
        return keys | {k for i in self.indexes_gone if (k := _key_columns(i)) is not None}

    @property
    def columns_changed(self) -> bool:
        return bool(self.dropped or self.altered or self.renamed_columns or self.old.name != self.new.name)


@dataclass
class _Dropped:
    """A table to drop, and the parts of it dropped earlier: FKs at step 2 (what they reference
    changes, or they close a cycle among dropped tables), keys and indexes at step 3 (the new
    schema reuses their names)."""

    table: Table  # under the new names (renames rewrite its FKs' targets before it is dropped)
    reused: set[str]
    early_fks: set[str] = field(default_factory=set)
    early: bool = False  # dropped at step 3: a new table's key or index takes its name

    @property
    def dropped_keys(self) -> set[frozenset[str]]:
        t = self.table
        keys = {frozenset(t.primary_key.columns)} if t.primary_key and t.primary_key.name in self.reused else set()
        keys |= {frozenset(u.columns) for u in t.uniques if u.name in self.reused}
        return keys | {k for i in t.indexes if i.name in self.reused and (k := _key_columns(i)) is not None}

    def pre_drops(self) -> list[Operation]:
        t = self.table
        ops: list[Operation] = [DropIndex(table=t.name, index=i) for i in t.indexes if i.name in self.reused]
        ops += [DropUnique(table=t.name, unique=u) for u in t.uniques if u.name in self.reused]
        pk = t.primary_key
        return ops + ([DropPrimaryKey(table=t.name, key=pk)] if pk and pk.name in self.reused else [])

    def remains(self) -> Table:
        """The table as it is when DropTable runs."""
        t, reused = self.table, self.reused
        pk = t.primary_key
        return t.model_copy(
            update={
                "foreign_keys": tuple(fk for fk in t.foreign_keys if fk.name not in self.early_fks),
                "indexes": tuple(i for i in t.indexes if i.name not in reused),
                "uniques": tuple(u for u in t.uniques if u.name not in reused),
                "primary_key": None if pk and pk.name in reused else pk,
                "triggers": (),  # dropped at step 0 (`diff_routines.py`)
            }
        )


class _Diff:
    def __init__(self, old: Schema, new: Schema, renames: Renames) -> None:
        self.old, self.new = old, new
        self.renames: list[RenameTable | RenameColumn] = [
            RenameTable(old=o, new=n) for o, n in sorted(renames.tables.items())
        ]
        self.renames += [RenameColumn(table=t, old=o, new=n) for (t, o), n in sorted(renames.columns.items())]
        self.mapped = apply_renames(old, self.renames)
        self.pairs: dict[str, _TableDiff] = {}
        for table in self.mapped.tables:
            new_table = new.table(table.name)
            if new_table is not None:
                old_table = old.table(renames.old_table_name(table.name))
                assert old_table is not None
                moved = {n for (t, _), n in renames.columns.items() if t == table.name}
                self.pairs[table.name] = _TableDiff(old_table, table, new_table, moved)
        reused = _relation_names(new)
        self.dropped = {t.name: _Dropped(t, reused) for t in self.mapped.tables if t.name not in self.pairs}
        self.created = [t for t in new.tables if self.mapped.table(t.name) is None]
        self.enums_early, self.enums_late = _enum_changes(old, new)

    def _forced(self, table: str, fk: ForeignKey) -> bool:
        """Whether an FK must be dropped (and re-added, if it stays) because what it runs
        through changes: a retyped column on either side, a dropped column, or its key."""
        own = self.pairs.get(table)
        if own is not None and set(fk.columns) & own.retyped:
            return True
        if fk.ref_schema is not None:
            return False  # a table of another schema: the diff never changes it
        target = self.pairs.get(fk.ref_table)
        if target is not None:
            gone = target.retyped | {c.name for c in target.dropped}
            return bool(set(fk.ref_columns) & gone) or frozenset(fk.ref_columns) in target.dropped_keys
        dropped = self.dropped.get(fk.ref_table)
        return dropped is not None and frozenset(fk.ref_columns) in dropped.dropped_keys

    def _early_foreign_keys(self) -> list[tuple[str, ForeignKey]]:
        """(table, fk), as mapped, for the FKs dropped at step 2, except those breaking cycles
        among dropped tables; marks the dropped tables' ones on them."""
        early: list[tuple[str, ForeignKey]] = []
        for name, pair in self.pairs.items():
            early += [
                (name, fk) for fk in pair.mapped.foreign_keys if fk.name in pair.fks_gone or self._forced(name, fk)
            ]
        # A dropped table whose name a new table's key or index takes must go before CREATE
        # TABLE (step 3, not 10): the FKs of other dropped tables pointing at it go first.
        taken = {n for t in self.created for n in _own_relation_names(t)}
        for name, dropped in self.dropped.items():
            dropped.early = name in taken
            forced = [fk for fk in dropped.table.foreign_keys if self._forced(name, fk)]
            forced += [
                fk
                for fk in dropped.table.foreign_keys
                if fk.ref_schema is None
                and fk.ref_table != name
                and fk.ref_table in taken
                and fk.ref_table in self.dropped
                and fk not in forced
            ]
            dropped.early_fks |= {fk.name for fk in forced}
            early += [(name, fk) for fk in forced]
        return early

    def operations(self) -> list[Operation]:
        early_fks = self._early_foreign_keys()
        table_drop_order, cycle_fks = drop_order(d.remains() for d in self.dropped.values())
        for name, fk in cycle_fks:
            self.dropped[name].early_fks.add(fk.name)
        early_fks += cycle_fks
        early_tables = [n for n in table_drop_order if self.dropped[n].early]

        views_dropped = self._views_dropped()
        created, deferred_fks = creation_order(self.created, self._inline)
        sync_off, sync_on = self._sync_changes()
        code = routine_changes(
            self.old,
            self.new,
            {name: (pair.old, pair.new) for name, pair in self.pairs.items()},
            {name for name, pair in self.pairs.items() if pair.columns_changed},
            [d.table for d in self.dropped.values()],
        )
        # what a materialized view may read that changes under it (old and new names)
        changed = {
            name for pair in self.pairs.values() if pair.columns_changed for name in (pair.old.name, pair.new.name)
        }
        changed |= set(self.dropped)
        renamed = {r.old: r.new for r in self.renames if isinstance(r, RenameTable)}
        objects = object_changes(self.old, self.new, changed | {v.name for v in views_dropped}, renamed)
        ops: list[Operation] = [*code.extensions_created, *objects.first, *code.triggers_dropped, *sync_off]
        ops += [DropView(view=v) for v in views_readers_first(views_dropped)]
        ops += objects.aggregates_dropped
        ops += code.virtual_tables_dropped
        ops += code.functions_dropped
        ops += [
            DropForeignKey(table=self._old_name(t), fk=self._old_fk(t, fk)) for t, fk in sorted(early_fks, key=_by_fk)
        ]
        ops += self._drop_table_parts()
        ops += [op for name in table_drop_order for op in self.dropped[name].pre_drops()]
        ops += [DropTable(table=self.dropped[name].remains()) for name in early_tables]
        ops += self.renames
        ops += [CreateEnum(enum=e) for e in self.new.enums if self.old.enum(e.name) is None]
        ops += self.enums_early
        ops += objects.created
        old_sync, new_sync = any(t.sync for t in self.old.tables), any(t.sync for t in self.new.tables)
        if new_sync and not old_sync:
            ops.append(CreateSyncSupport())
        elif new_sync and self._old_sync_form():
            ops.append(CreateSyncSupport(upgrade=True))
        ops += code.functions_early
        # a new table's triggers come last, as triggers of their own (they may call functions still to come)
        ops += [CreateTable(table=t.model_copy(update={"triggers": ()})) for t in created]
        for name, pair in sorted(self.pairs.items()):
            ops += [AddColumn(table=name, column=c) for c in pair.added]
        for name, pair in sorted(self.pairs.items()):
            ops += [AlterColumn(table=name, old=c, new=nc) for c, nc in pair.altered]
        for name, pair in sorted(self.pairs.items()):
            # last column first: the reverse then adds them back in their original order
            ops += [DropColumn(table=name, column=c) for c in reversed(pair.dropped)]
        ops += [DropTable(table=self.dropped[name].remains()) for name in table_drop_order if name not in early_tables]
        ops += objects.dropped
        ops += self._add_table_parts()
        ops += [AddForeignKey(table=t, fk=fk) for t, fk in self._late_foreign_keys(early_fks, deferred_fks)]
        ops += objects.partitions_made
        ops += code.functions_created
        ops += [DropEnum(enum=e) for e in self.old.enums if self.new.enum(e.name) is None]
        ops += self.enums_late
        ops += code.virtual_tables_created
        recreated = {v.name for v in views_dropped}
        views_created = [v for v in self.new.views if self.old.view(v.name) is None or v.name in recreated]
        ops += [CreateView(view=v) for v in views_read_first(views_created)]
        ops += objects.last
        ops += sync_on
        ops += code.triggers_created
        if old_sync and not new_sync:
            ops.append(DropSyncSupport())
        remade = [name for name, pair in self.pairs.items() if pair.dropped or pair.retyped]
        first, last = security_changes(self.old.security, self.new.security, self.renames, remade, recreated)
        # policies and grants made last may call the app's functions, created above; extensions
        # are dropped after everything that may use them
        return first + ops + last + code.extensions_dropped

    def _old_sync_form(self) -> bool:
        """Whether a sync table of the old schema lacks a sync column: the database's sync
        support objects are then of an older form too (no sync_seq in the tombstones, no
        sequence), and are brought up to date before the tables' triggers are made again."""
        return any(t.sync and any(t.column(c) is None for c in SYNC_COLUMNS) for t in self.old.tables)

    def _sync_changes(self) -> tuple[list[DisableSync], list[EnableSync]]:
        """Sync triggers to drop at step 0 (old names) and to create at step 17 (new names)."""
        off: list[DisableSync] = []
        on: list[EnableSync] = []
        for _, pair in sorted(self.pairs.items(), key=lambda item: item[1].old.name):
            old, new = pair.old, pair.new
            touched = {c.name for c in pair.dropped} | {c.name for c, _ in pair.altered} | pair.renamed_columns
            # a sync column added to a sync table: a table of an older form of sync, whose
            # triggers do not write it yet (sync_seq, the commit-ordered cursor)
            touched |= {c.name for c in pair.added}
            remade = (
                old.sync
                and new.sync
                and (
                    old.name != new.name
                    or old.primary_key_columns != new.primary_key_columns
                    or bool(touched & set(SYNC_COLUMNS))
                    or any(c in touched for c in new.primary_key_columns)
                )
            )
            if old.sync and (remade or not new.sync):
                off.append(DisableSync(table=old.name, primary_key=old.primary_key_columns))
            if new.sync and (remade or not old.sync):
                on.append(EnableSync(table=new.name, primary_key=new.primary_key_columns))
        return off, on

    def _late_foreign_keys(
        self, early: list[tuple[str, ForeignKey]], deferred: list[tuple[str, ForeignKey]]
    ) -> list[tuple[str, ForeignKey]]:
        """Step 13: FKs that are new or changed, FKs dropped at step 2 that stay, and FKs of new
        tables their CREATE TABLE could not carry."""
        names = {(t, fk.name) for t, fk in early if t in self.pairs}
        names |= {(t, n) for t, p in self.pairs.items() for n in p.fks_come}
        late = [(t, fk) for t, p in self.pairs.items() for fk in p.new.foreign_keys if (t, fk.name) in names]
        return sorted(late + deferred, key=_by_fk)

    # --- names as they are when an operation runs -------------------------------------------

    def _old_name(self, mapped_name: str) -> str:
        pair = self.pairs.get(mapped_name)
        return pair.old.name if pair else mapped_name

    def _old_fk(self, mapped_table: str, fk: ForeignKey) -> ForeignKey:
        """The FK as it is before the renames (step 2 runs before them)."""
        pair = self.pairs.get(mapped_table)
        table = pair.old if pair else self.old.table(mapped_table)
        assert table is not None
        return next(f for f in table.foreign_keys if f.name == fk.name)

    # --- constraints and indexes ---------------------------------------------------------------

    def _drop_table_parts(self) -> list[Operation]:
        ops: list[Operation] = []
        for _, pair in sorted(self.pairs.items(), key=lambda item: item[1].old.name):
            old, name = pair.old, pair.old.name
            if pair.pk_changed and old.primary_key:
                ops.append(DropPrimaryKey(table=name, key=old.primary_key))
            # the parts as the old schema has them: step 3 runs before the renames
            uniques, checks, indexes = _by_name(old.uniques), _by_name(old.checks), _by_name(old.indexes)
            ops += [DropUnique(table=name, unique=uniques[u.name]) for u in pair.uniques_gone]
            ops += [DropCheck(table=name, check=checks[c.name]) for c in _changed(pair.mapped.checks, pair.new.checks)]
            ops += [DropIndex(table=name, index=indexes[i.name]) for i in pair.indexes_gone]
        return ops

    def _add_table_parts(self) -> list[Operation]:
        ops: list[Operation] = []
        for name, pair in sorted(self.pairs.items()):
            new, mapped = pair.new, pair.mapped
            if pair.pk_changed and new.primary_key:
                ops.append(AddPrimaryKey(table=name, key=new.primary_key))
            ops += [AddUnique(table=name, unique=u) for u in _changed(new.uniques, mapped.uniques)]
            ops += [AddCheck(table=name, check=c) for c in _changed(new.checks, mapped.checks)]
        for name, pair in sorted(self.pairs.items()):
            ops += [CreateIndex(table=name, index=i) for i in _changed(pair.new.indexes, pair.mapped.indexes)]
        return ops

    def _inline(self, table: Table, fk: ForeignKey) -> bool:
        """Whether a new table may carry `fk` in its CREATE TABLE (step 6): the key it
        references exists then and stays (a table's own unique indexes come after it)."""
        if fk.ref_schema is not None:
            return True  # a table of another schema exists before and after
        if fk.ref_table == table.name:
            own = {frozenset(u.columns) for u in table.uniques}
            own |= {frozenset(table.primary_key.columns)} if table.primary_key else set()
            return frozenset(fk.ref_columns) in own
        target = self.pairs.get(fk.ref_table)
        if target is None:
            return False
        columns = set(fk.ref_columns)
        if columns & target.retyped or any(target.mapped.column(c) is None for c in columns):
            return False
        key = frozenset(columns)
        return key in _keys(target.mapped) and key not in target.dropped_keys

    # --- views -----------------------------------------------------------------------------------

    def _views_dropped(self) -> list[View]:
        changed = set(self.dropped)
        changed |= {p.old.name for p in self.pairs.values() if p.columns_changed}
        recreated = {op.new.name for op in self.enums_late if isinstance(op, AlterEnum)}
        for table in self.old.tables:
            if any(c.type.kind is TypeKind.ENUM and c.type.name in recreated for c in table.columns):
                changed.add(table.name)
        dropped = {v.name for v in self.old.views if self.new.view(v.name) != v or set(v.referenced_tables()) & changed}
        while True:  # a view reading a dropped view goes too
            more = {v.name for v in self.old.views if set(v.referenced_tables()) & dropped} - dropped
            if not more:
                return [v for v in self.old.views if v.name in dropped]
            dropped |= more


def _by_fk(item: tuple[str, ForeignKey]) -> tuple[str, str]:
    return item[0], item[1].name


def _enum_changes(old: Schema, new: Schema) -> tuple[list[Operation], list[Operation]]:
    """AlterEnums for step 5 (values gained) and step 15 (values lost, or reordered)."""
    early: list[Operation] = []
    late: list[Operation] = []
    for after in new.enums:
        before = old.enum(after.name)
        if before is None or before == after:
            continue
        middle = _with_gains(before, after)
        if middle != before:
            early.append(AlterEnum(old=before, new=middle))
        if middle != after:
            late.append(AlterEnum(old=middle, new=after))
    return early, late


def _with_gains(before: Enum, after: Enum) -> Enum:
    """`before` plus the values `after` gains, placed as `after` places them when the kept
    values keep their order (PostgreSQL's ADD VALUE ... BEFORE/AFTER), else appended."""
    gained = [v for v in after.values if v not in before.values]
    kept = [v for v in after.values if v in before.values]
    if kept != [v for v in before.values if v in after.values]:
        return before.model_copy(update={"values": (*before.values, *gained)})
    values = list(after.values)
    for i, value in enumerate(before.values):  # put each lost value back after its predecessor
        if value not in after.values:
            at = values.index(before.values[i - 1]) + 1 if i else 0
            values.insert(at, value)
    return before.model_copy(update={"values": tuple(values)})
