"""Rebuilding a SQLite table: a new definition for a table that keeps its rows.

SQLite's ALTER TABLE cannot change a column, a key, a foreign key or a check, so the
planner rebuilds the table, following SQLite's documented procedure ("Making Other Kinds Of
Table Schema Changes", the 12 steps): with foreign keys off (the runner sets `PRAGMA
foreign_keys=OFF` before BEGIN, where SQLite honours it, and runs `PRAGMA foreign_key_check`
before COMMIT), inside the migration's transaction:

  drop the views that read the table (also through other views): renaming the new table
    into place makes SQLite re-check every view, and one naming a missing table fails it;
  rename columns in place when that is unambiguous (SQLite then rewrites every reference:
    other tables' foreign keys, triggers);
  CREATE TABLE "__mizzle_new_<t>" with the new definition;
  INSERT INTO it (an explicit column list) SELECT an explicit mapping FROM "<t>";
  DROP TABLE "<t>"; ALTER TABLE "__mizzle_new_<t>" RENAME TO "<t>" (with `legacy_alter_table`
    on for that statement alone, so that another table's trigger reading "<t>" does not fail it);
  create the table's indexes and the views dropped above.

The table gets its own name back, so the foreign keys of other tables pointing at it keep
working: they name the table, and nothing cascaded while foreign keys were off.

The column mapping: a kept column is copied by name (a renamed one from its old name when
the rename is not done in place); a new column is left out of the INSERT so that its
DEFAULT fills it, whatever the default (`now`, a random uuid); a column that becomes NOT
NULL with a default is copied as `COALESCE(old, default)`; a column whose storage class
changes (text to integer...) is copied through `CAST(old AS <class>)`. The implicit rowid
of a table without an INTEGER PRIMARY KEY is copied too, so it survives the rebuild.

Guards (count queries run before the rebuild; see `mizzle.core.plan.Guard`) stop it with a
clear message where the data cannot take the new definition: NULLs in a column becoming NOT
NULL without a default, a new NOT NULL column without a default on a table with rows,
values that do not convert to the new type (SQLite's CAST would turn 'abc' into 0, so a
change PostgreSQL refuses is refused here too, instead of losing the value), values an enum
no longer has, duplicates under a new primary key or unique, rows breaking a new check,
rows whose new foreign key finds no parent, and triggers the schema does not hold (dropping
the table would drop them). The triggers the schema does hold, a sync table's and the app's
own (`Table.triggers`, verbatim), are dropped with the table and created again at the end,
after the rows are copied, so the copy does not fire them (and the runner runs migrations
with tracking off anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from sqlglot import exp

from mizzle.core.model import Column, ExprDefault, Index, LiteralDefault, Schema, Table, View
from mizzle.core.operations import AddColumn, DropColumn, Operation, RenameColumn, is_widening
from mizzle.core.plan import Guard
from mizzle.core.quoting import text_literal
from mizzle.core.rename_refs import rename_in_expression
from mizzle.core.types import SERIAL_KINDS, TypeKind
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.sqlite import sync_sql, transpile
from mizzle.dialects.sqlite.render import (
    autoincrement_column,
    column_declared,
    create_index_sql,
    create_table_sql,
    create_view_sql,
    default_sql,
)
from mizzle.dialects.sqlite.types import STORED_CONVERSIONS

#: The new table's name while it is filled.
NEW_TABLE_PREFIX = "__mizzle_new_"

#: Names that mean the rowid when no column has them.
_ROWID_NAMES = frozenset({"rowid", "oid", "_rowid_"})


@lru_cache(maxsize=16384)
def q(name: str) -> str:
    """A name as the renderer prints it (quoted only where SQLite or PostgreSQL needs it).
    Memoised: printing through sqlglot costs ~60 µs, and a plan rebuilding 1,000 tables asks
    for the same names ~100,000 times."""
    return ddl.sql(ddl.ident(name), transpile.DIALECT)


def _braces(text: str) -> str:
    """`text` safe inside a guard message (messages go through str.format(count=...))."""
    return text.replace("{", "{{").replace("}", "}}")


# --- storage classes -------------------------------------------------------------------------


def affinity(declared: str) -> str:
    """The affinity SQLite derives from a declared type (its documented rules, in order)."""
    up = declared.upper()
    if "INT" in up:
        return "INTEGER"
    if any(s in up for s in ("CHAR", "CLOB", "TEXT")):
        return "TEXT"
    if "BLOB" in up or not up:
        return "BLOB"
    if any(s in up for s in ("REAL", "FLOA", "DOUB")):
        return "REAL"
    return "NUMERIC"


#: Affinities whose CAST can turn a value into something else (CAST('abc' AS INTEGER) is 0):
#: a change to one of them is guarded by counting the values that do not survive the cast.
_LOSSY_CASTS = frozenset({"INTEGER", "REAL", "NUMERIC"})


def sole_primary_key(table: Table) -> str | None:
    pk = table.primary_key
    return pk.columns[0] if pk is not None and len(pk.columns) == 1 else None


def declared(table: Table, column: Column) -> str:
    return column_declared(table, column)


def is_rowid_alias(table: Table, column: Column) -> bool:
    """A serial sole primary key: rendered `INTEGER` with PRIMARY KEY, SQLite's rowid alias,
    which numbers rows by itself (a NULL written to it gets the next number)."""
    return column.type.kind in SERIAL_KINDS and sole_primary_key(table) == column.name


# --- what a rebuild is -----------------------------------------------------------------------


@dataclass(frozen=True)
class TableRebuild:
    """One table's rebuild: its definition now and the one it gets (same name), and for each
    column of the new definition the column of the old one its values come from (None: a new
    column, filled by its default). `before_enums`/`after_enums` hold the enum values the
    table's CHECKs have before and get."""

    before: Table
    after: Table
    origins: Mapping[str, str | None]
    before_enums: Schema
    after_enums: Schema

    @property
    def name(self) -> str:
        return self.before.name

    def old_column(self, name: str) -> Column | None:
        origin = self.origins.get(name)
        return self.before.column(origin) if origin is not None else None

    def unchanged(self) -> bool:
        """Whether SQLite would hold the same table afterwards (nothing to rebuild)."""
        same_names = all(self.origins.get(c.name) == c.name for c in self.after.columns)
        enums = {c.type.name for c in self.after.columns if c.type.kind is TypeKind.ENUM and not c.type.array_dims}
        return (
            same_names
            and self.before.model_copy(update={"name": self.after.name}) == self.after
            and all(self.before_enums.enum(e) == self.after_enums.enum(e) for e in enums if e)
        )


def column_origins(operations: Iterable[Operation], before: Table, after: Table) -> dict[str, str | None]:
    """For each column of `after`, the column of `before` its values come from, following the
    operations' renames, drops and adds (a column named in neither is kept by its name)."""
    current: dict[str, str | None] = {c.name: c.name for c in before.columns}
    for op in operations:
        if isinstance(op, AddColumn):
            current[op.column.name] = None
        elif isinstance(op, DropColumn):
            current.pop(op.column.name, None)
        elif isinstance(op, RenameColumn) and op.old in current:
            current[op.new] = current.pop(op.old)
    return {c.name: current.get(c.name) for c in after.columns}


def in_place_renames(rebuild: TableRebuild) -> dict[str, str]:
    """Renames (old name → new name) done with ALTER TABLE ... RENAME COLUMN before the copy,
    so that SQLite rewrites what else names the column (other tables' foreign keys, triggers).
    Empty when a new name is taken by another old column (a swap, or a dropped column's name
    reused): the mapping then carries the renames, copying by the old names."""
    renames = {o: n for n, o in rebuild.origins.items() if o is not None and o != n}
    if set(renames.values()) & set(rebuild.before.column_names):
        return {}
    return renames


# --- the statements --------------------------------------------------------------------------


def views_reading(table: str, views: Mapping[str, View]) -> list[View]:
    """The views that read `table`, directly or through other views, each after those it reads."""
    reads = {name: {r.lower() for r in v.referenced_tables()} for name, v in views.items()}
    found: set[str] = set()
    frontier = {table.lower()}
    while frontier:
        more = {n for n, r in reads.items() if n not in found and r & frontier}
        found |= more
        frontier = {n.lower() for n in more}
    return ddl.view_order([views[n] for n in sorted(found)])


@dataclass(frozen=True)
class Surroundings:
    """What around the table a rebuild reads: the views before and after it, every table as
    it is before (foreign-key guards read parents), and how the names the new definition's
    foreign keys use are called at that point (a parent renamed later in the plan)."""

    views_before: Mapping[str, View]
    views_after: Mapping[str, View]
    tables: Mapping[str, Table]
    #: final name → name now, for the tables renamed later in the plan
    names_now: Mapping[str, str] = field(default_factory=dict)

    def current_name(self, name: str) -> str:
        return self.names_now.get(name, name)


def rebuild_sql(rebuild: TableRebuild, around: Surroundings) -> tuple[list[Guard], list[str]]:
    """The guards and statements of a rebuild (see the module docstring)."""
    name, tmp = rebuild.name, NEW_TABLE_PREFIX + rebuild.name
    dropped = views_reading(name, around.views_before)
    gone = {v.name for v in dropped}
    kept = {n: v for n, v in around.views_before.items() if n not in gone}
    created = [v for n, v in around.views_after.items() if kept.get(n) != v]
    renames = in_place_renames(rebuild)
    statements = [f"DROP VIEW {q(v.name)}" for v in reversed(dropped)]
    statements += [f"ALTER TABLE {q(name)} RENAME COLUMN {q(o)} TO {q(n)}" for o, n in renames.items()]
    statements.append(create_table_sql(rebuild.after.model_copy(update={"name": tmp}), rebuild.after_enums))
    statements.append(_copy_sql(rebuild, tmp, renames))
    statements += _sequence_sql(rebuild, tmp)
    statements.append(f"DROP TABLE {q(name)}")
    # Legacy mode for the rename alone: otherwise SQLite re-checks every trigger of the other
    # tables, and one that reads this table (dropped a moment ago) fails the rename ("error
    # in trigger t: no such table: main.<table>") although the name is back right after.
    statements.append("PRAGMA legacy_alter_table = ON")
    statements.append(f"ALTER TABLE {q(tmp)} RENAME TO {q(name)}")
    statements.append("PRAGMA legacy_alter_table = OFF")
    statements += [create_index_sql(name, index) for index in rebuild.after.indexes]
    if rebuild.after.sync:
        statements += sync_sql.trigger_statements(name, rebuild.after.primary_key_columns)
    statements += [create_view_sql(v) for v in ddl.view_order(created)]
    # the app's own triggers, last: after the copy (which must not fire them) and the views
    statements += [t.sqlite for t in rebuild.after.triggers if t.sqlite is not None]
    return _guards(rebuild, around), statements


def _sequence_sql(rebuild: TableRebuild, tmp: str) -> list[str]:
    """An AUTOINCREMENT table's `sqlite_sequence` row moved to the new table: the copy only
    records the highest id still present, and DROP TABLE deletes the old row, so without
    this the ids of the last deleted rows would be handed out again. (RENAME carries the
    row over to the table's own name.)"""
    if autoincrement_column(rebuild.after) is None:
        return []
    old, new = text_literal(rebuild.name), text_literal(tmp)
    # (an INSERT ... SELECT of no rows still writes a row of 0: gone too, as if never filled)
    return [
        f"DELETE FROM sqlite_sequence WHERE name = {new} AND (seq = 0 OR EXISTS "
        f"(SELECT 1 FROM sqlite_sequence WHERE name = {old} COLLATE NOCASE))",
        f"UPDATE sqlite_sequence SET name = {new} WHERE name = {old} COLLATE NOCASE",
    ]


def _keeps_rowid(rebuild: TableRebuild) -> bool:
    names = {c.name.lower() for c in (*rebuild.before.columns, *rebuild.after.columns)}
    return not names & _ROWID_NAMES and not any(is_rowid_alias(rebuild.after, c) for c in rebuild.after.columns)


def stored_conversion(old: Column, new: Column) -> str | None:
    """How a value stored in `old` is rewritten for `new` (types.STORED_CONVERSIONS), if it is."""
    if old.type.array_dims or new.type.array_dims:
        return None
    return STORED_CONVERSIONS.get((old.type.kind, new.type.kind))


def value_sql(rebuild: TableRebuild, column: Column, source: str) -> str:
    """The value a row gets in `column` of the new table, read from the old table's `source`
    column: cast when the storage class changes, rewritten when the stored form changes
    (timestamp ↔ timestamptz), COALESCE'd to the default when the column becomes NOT NULL."""
    old = rebuild.old_column(column.name)
    assert old is not None
    value = q(source)
    target = affinity(declared(rebuild.after, column))
    if affinity(declared(rebuild.before, old)) != target:
        value = f"CAST({value} AS {target})"
    if (conversion := stored_conversion(old, column)) is not None:
        value = conversion.format(value)
    fill = default_sql(column, table_name=rebuild.name)
    if old.nullable and not column.nullable and fill is not None and not is_rowid_alias(rebuild.after, column):
        value = f"COALESCE({value}, {fill})"
    return value


def _copy_sql(rebuild: TableRebuild, tmp: str, renames: Mapping[str, str]) -> str:
    targets: list[str] = []
    values: list[str] = []
    if _keeps_rowid(rebuild):
        targets.append("rowid")
        values.append("rowid")
    for column in rebuild.after.columns:
        origin = rebuild.origins.get(column.name)
        if origin is None:
            continue  # its DEFAULT fills it; SELECTing its name would copy the name as text
        if column.generated is not None:
            continue  # SQLite computes it (and refuses a value for it)
        targets.append(q(column.name))
        values.append(value_sql(rebuild, column, column.name if origin in renames else origin))
    if not targets:  # no column is kept: still one new row per old row
        alias = [c for c in rebuild.after.columns if is_rowid_alias(rebuild.after, c)]
        first = (alias or [c for c in rebuild.after.columns if c.generated is None])[0]
        targets, values = [q(first.name)], [("NULL" if alias else default_sql(first)) or "NULL"]
    return f"INSERT INTO {q(tmp)} ({', '.join(targets)}) SELECT {', '.join(values)} FROM {q(rebuild.name)}"


# --- guards ----------------------------------------------------------------------------------


def _rows(rebuild: TableRebuild, names: Sequence[str], alias: str = "") -> str:
    """A FROM source holding the table's rows as the new definition will hold them, read from
    the old table by the old names (guards run before anything changes), with the columns
    `names` under their new names: the table itself when nothing changes on the way."""
    parts = []
    for n in dict.fromkeys(names):
        column = rebuild.after.column(n)
        assert column is not None
        origin = rebuild.origins.get(n)
        if origin is None:
            new_value = None if is_rowid_alias(rebuild.after, column) else default_sql(column)
            parts.append((f"{new_value or 'NULL'} AS {q(n)}", False))
        else:
            value = value_sql(rebuild, column, origin)
            parts.append((f"{value} AS {q(n)}", value == q(n)))
    suffix = f" AS {alias}" if alias else ""
    if all(same for _, same in parts):
        return q(rebuild.name) + suffix
    return f"(SELECT {', '.join(p for p, _ in parts)} FROM {q(rebuild.name)}){suffix}"


def _copied_as_is(rebuild: TableRebuild, names: Iterable[str]) -> bool:
    """Whether the columns `names` get their old values unchanged (same column, no cast or COALESCE)."""
    for n in names:
        column, origin = rebuild.after.column(n), rebuild.origins.get(n)
        if column is None or origin is None or value_sql(rebuild, column, origin) != q(origin):
            return False
    return True


def _old_names(rebuild: TableRebuild, names: Iterable[str]) -> frozenset[str] | None:
    origins = [rebuild.origins.get(n) for n in names]
    return None if any(o is None for o in origins) else frozenset(o for o in origins if o is not None)


def _old_keys(table: Table) -> list[frozenset[str]]:
    """Column sets the old table already holds unique (NULLs aside)."""
    keys = [frozenset(table.primary_key.columns)] if table.primary_key else []
    keys += [frozenset(u.columns) for u in table.uniques]
    whole = [i for i in table.indexes if i.unique and i.where is None and all(k.column for k in i.keys)]
    return keys + [frozenset(k.column for k in i.keys if k.column) for i in whole]


def _guards(rebuild: TableRebuild, around: Surroundings) -> list[Guard]:
    guards = _trigger_guards(rebuild)
    guards += _column_guards(rebuild)
    guards += _key_guards(rebuild)
    guards += _check_guards(rebuild)
    guards += _foreign_key_guards(rebuild, around)
    return guards


def _trigger_guards(rebuild: TableRebuild) -> list[Guard]:
    """Any trigger on the table but a sync table's own and those the schema holds stops the
    rebuild: dropping the table would drop it, and the schema cannot make it again."""
    own = sync_sql.trigger_names(rebuild.name) if rebuild.before.sync else ()
    own = (*own, *(t.name for t in rebuild.before.triggers if t.sqlite is not None))
    known = f" AND name NOT IN ({', '.join(map(text_literal, own))})" if own else ""
    query = (
        "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' "
        f"AND tbl_name = {text_literal(rebuild.name)} COLLATE NOCASE{known}"
    )
    message = (
        f"cannot rebuild table {_braces(rebuild.name)}: it has {{count}} triggers the schema does not hold, "
        "and rebuilding the table would drop them"
    )
    return [Guard(query, message)]


def _enum_values(schema: Schema, column: Column) -> tuple[str, ...] | None:
    ctype = column.type
    if ctype.kind is not TypeKind.ENUM or ctype.array_dims or ctype.name is None:
        return None
    enum = schema.enum(ctype.name)
    return enum.values if enum is not None else None


def _column_guards(rebuild: TableRebuild) -> list[Guard]:
    """NOT NULL without a default over NULLs (or over rows, for a new column), values that do
    not convert to the new type, values a new enum CHECK refuses."""
    table, guards = q(rebuild.name), []
    for column in rebuild.after.columns:
        place = _braces(f"{rebuild.name}.{column.name}")
        old = rebuild.old_column(column.name)
        enforced = not (column.nullable or column.sqlite_null_key)
        needs_value = enforced and column.default is None and not is_rowid_alias(rebuild.after, column)
        if old is None:
            if needs_value:
                guards.append(
                    Guard(
                        f"SELECT count(*) FROM {table}",
                        f"cannot add {place} NOT NULL without a default: the table has {{count}} rows",
                    )
                )
            continue
        source = q(old.name)
        if needs_value and old.sqlite_null_key and not old.nullable:
            guards.append(
                Guard(
                    f"SELECT count(*) FROM {table} WHERE {source} IS NULL",
                    f"cannot make primary-key column {place} NOT NULL: {{count}} rows hold NULL there "
                    "(SQLite let them, as the column was not declared NOT NULL): give them keys or delete them first",
                )
            )
        elif needs_value and old.nullable:
            guards.append(
                Guard(
                    f"SELECT count(*) FROM {table} WHERE {source} IS NULL",
                    f"cannot make {place} NOT NULL: {{count}} rows hold NULL and it has no default",
                )
            )
        target = affinity(declared(rebuild.after, column))
        if (
            affinity(declared(rebuild.before, old)) != target
            and target in _LOSSY_CASTS
            and not is_widening(old, column)
        ):
            change = _braces(f"from {old.type.describe()} to {column.type.describe()}")
            guards.append(
                Guard(
                    f"SELECT count(*) FROM {table} WHERE {source} IS NOT NULL "
                    f"AND NOT (CAST({source} AS {target}) = {source})",
                    f"cannot change {place} {change}: {{count}} rows hold values that do not convert",
                )
            )
        if (conversion := stored_conversion(old, column)) is not None:
            change = _braces(f"from {old.type.describe()} to {column.type.describe()}")
            guards.append(
                Guard(
                    f"SELECT count(*) FROM {table} WHERE {source} IS NOT NULL AND {conversion.format(source)} IS NULL",
                    f"cannot change {place} {change}: {{count}} rows hold values that are not timestamps",
                )
            )
        values = _enum_values(rebuild.after_enums, column)
        before = _enum_values(rebuild.before_enums, old)
        if values is not None and (before is None or not set(before) <= set(values)):
            assert column.type.name is not None
            guards.append(
                Guard(
                    f"SELECT count(*) FROM {table} WHERE {source} NOT IN ({', '.join(map(text_literal, values))})",
                    f"cannot change {place} to enum {_braces(column.type.name)}: "
                    "{count} rows hold a value the enum does not have",
                )
            )
    return guards


def _duplicates(rebuild: TableRebuild, keys: Sequence[str], columns: Sequence[str], where: str | None) -> str:
    """A count of the key values held by more than one row (NULLs never clash in SQLite)."""
    present = [f"{k} IS NOT NULL" for k in keys] + ([f"({where})"] if where else [])
    return (
        f"SELECT count(*) FROM (SELECT 1 FROM {_rows(rebuild, columns)} WHERE {' AND '.join(present)} "
        f"GROUP BY {', '.join(keys)} HAVING count(*) > 1)"
    )


def _key_guards(rebuild: TableRebuild) -> list[Guard]:
    """Duplicates under a primary key, unique or unique index the old table did not already
    guarantee over the same values."""
    after, guards = rebuild.after, []
    held = _old_keys(rebuild.before)

    def guaranteed(columns: Sequence[str]) -> bool:
        old = _old_names(rebuild, columns)
        return old is not None and _copied_as_is(rebuild, columns) and any(k <= old for k in held)

    table = _braces(rebuild.name)
    keyed: list[tuple[Sequence[str], str]] = []
    if after.primary_key is not None:
        cols = ", ".join(after.primary_key.columns)
        keyed.append((after.primary_key.columns, f"cannot make ({_braces(cols)}) the primary key of {table}"))
    for u in after.uniques:
        keyed.append((u.columns, f"cannot add unique {_braces(u.name)} on {table}({_braces(', '.join(u.columns))})"))
    for columns, what in keyed:
        if not guaranteed(columns):
            query = _duplicates(rebuild, [q(c) for c in columns], columns, None)
            guards.append(Guard(query, f"{what}: {{count}} values occur in more than one row"))
    for index in after.indexes:
        if not index.unique or (
            index.where is None and all(k.column for k in index.keys) and guaranteed(index.columns)
        ):
            continue
        guards.append(unique_index_guard(rebuild.name, index, lambda cols: _rows(rebuild, cols)))
    return guards


def unique_index_guard(table: str, index: Index, rows: Callable[[Sequence[str]], str] | None = None) -> Guard:
    """Duplicates under a unique index about to be created (partial: among the rows it covers)."""
    keys, predicate = transpile.index_keys(index, f'table "{table}", index "{index.name}"')
    texts = [ddl.sql(k.this, transpile.DIALECT) for k in keys]
    where = ddl.sql(predicate, transpile.DIALECT) if predicate is not None else None
    source = rows(index.columns) if rows is not None else q(table)
    present = [f"{k} IS NOT NULL" for k in texts] + ([f"({where})"] if where else [])
    query = (
        f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {' AND '.join(present)} "
        f"GROUP BY {', '.join(texts)} HAVING count(*) > 1)"
    )
    message = f"cannot create unique index {index.name} on {table}({', '.join(texts)})"
    return Guard(query, f"{_braces(message)}: {{count}} values occur in more than one row")


def _check_guards(rebuild: TableRebuild) -> list[Guard]:
    """Rows breaking a check that is new (or whose columns' values change)."""
    renamed = {o: n for n, o in rebuild.origins.items() if o is not None and o != n}
    guards = []
    for check in rebuild.after.checks:
        old = next((c for c in rebuild.before.checks if c.name == check.name), None)
        if old is not None and _copied_as_is(rebuild, check.expr.column_names()):
            expr = old.expr
            for o, n in renamed.items():
                expr = rename_in_expression(expr, o, n)
            if expr == check.expr:
                continue
        tree = transpile.check_expression(check.expr, f'table "{rebuild.name}", check "{check.name}"')
        rows = _rows(rebuild, check.expr.column_names())
        query = f"SELECT count(*) FROM {rows} WHERE NOT ({ddl.sql(tree, transpile.DIALECT)})"
        message = f"cannot add check {_braces(check.name)} on {_braces(rebuild.name)}: {{count}} rows break it"
        guards.append(Guard(query, message))
    return guards


def _foreign_key_guards(rebuild: TableRebuild, around: Surroundings) -> list[Guard]:
    """Rows whose new foreign key finds no parent row. A parent that is not there yet, or lacks
    the columns (renamed later in the plan), is left to `PRAGMA foreign_key_check`."""
    guards = []
    for fk in rebuild.after.foreign_keys:
        old = next((f for f in rebuild.before.foreign_keys if f.name == fk.name), None)
        parent_name = around.current_name(fk.ref_table)
        if (
            old is not None
            and _old_names(rebuild, fk.columns) == frozenset(old.columns)
            and _copied_as_is(rebuild, fk.columns)
            and old.ref_table == parent_name
            and old.ref_columns == fk.ref_columns
        ):
            continue
        if parent_name.lower() == rebuild.name.lower():
            parents = _rows(rebuild, fk.ref_columns, "p")
        else:
            parent = around.tables.get(parent_name)
            if parent is None or any(parent.column(c) is None for c in fk.ref_columns):
                continue
            parents = f"{q(parent_name)} AS p"
        present = " AND ".join(f"s.{q(c)} IS NOT NULL" for c in fk.columns)
        match = " AND ".join(f"p.{q(r)} = s.{q(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True))
        query = (
            f"SELECT count(*) FROM {_rows(rebuild, fk.columns, 's')} WHERE {present} "
            f"AND NOT EXISTS (SELECT 1 FROM {parents} WHERE {match})"
        )
        where = _braces(f"{rebuild.name}({', '.join(fk.columns)})")
        missing = f"{{count}} rows reference a missing {_braces(fk.ref_table)} row"
        message = f"cannot add foreign key {_braces(fk.name)} on {where}: {missing}"
        guards.append(Guard(query, message))
    return guards


def constant_default(column: Column) -> bool:
    """Whether ALTER TABLE ADD COLUMN accepts the column's default on a table with rows: SQLite
    refuses one it cannot evaluate once ("Cannot add a column with non-constant default")."""
    default = column.default
    if default is None or isinstance(default, LiteralDefault):
        return True
    if not isinstance(default, ExprDefault):
        return False  # now, random uuid: evaluated per row
    return _is_literal(transpile.to_sqlite(default.expr, f'column "{column.name}", default'))


def _is_literal(tree: exp.Expression) -> bool:
    if isinstance(tree, exp.Paren):
        return _is_literal(tree.this)
    if isinstance(tree, exp.Neg):
        return isinstance(tree.this, exp.Literal) and tree.this.is_number
    return isinstance(tree, (exp.Literal, exp.Null, exp.Boolean))
