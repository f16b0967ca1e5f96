"""Read a live SQLite database back into the model.

The whole database is read with five queries in one read transaction, whatever its size
(`catalog.py`). The stored CREATE statements (`stored_sql.py`) add what the PRAGMAs do not
give: constraint names, CHECKs, `enum:<name>` CHECKs, DEFERRABLE, index expressions and
predicates, view bodies.

Unnamed constraints get PostgreSQL's names (`core/naming.py`), so a hand-written SQLite
database and the same schema declared in the DSL compare equal. Declared types and DEFAULT
texts another tool wrote, and AUTOINCREMENT, are kept as written (`spelling.py`). What the
model cannot hold (WITHOUT ROWID, STRICT, VIRTUAL generated columns, collations) is reported
as `Unsupported`. The app's triggers and virtual tables (FTS5...) are carried verbatim, a
virtual table's shadow tables (`<name>_data`, ...) never read as tables; `sqlite_*` and `__mizzle_*` tables, and other
tools' migration tables (`__drizzle_migrations`), are skipped.
Needs SQLite 3.37 or newer (`pragma_table_list`); Pyodide ships 3.39.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from functools import partial

from sqlglot import exp

from mizzle.core import naming
from mizzle.core.errors import IntrospectionError, SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.introspection import Introspected, Unsupported
from mizzle.core.model import (
    Check,
    Column,
    Enum,
    FkAction,
    ForeignKey,
    Index,
    IndexKey,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    View,
)
from mizzle.core.routines import Trigger
from mizzle.core.sync.parts import problems as sync_problems
from mizzle.core.types import ColumnType, TypeKind
from mizzle.core.virtual_tables import VirtualTable
from mizzle.dialects.sqlite import sync_sql
from mizzle.dialects.sqlite.catalog import Catalog, ColumnRow, IndexRow
from mizzle.dialects.sqlite.spelling import kept_default, kept_type
from mizzle.dialects.sqlite.stored_defaults import default_from_sqlite
from mizzle.dialects.sqlite.stored_sql import TableText, read_index, read_table, read_view
from mizzle.dialects.sqlite.types import ENUM_CHECK_PREFIX, column_type_from_declared

MIN_SQLITE_VERSION = (3, 37, 0)

#: Tables mizzle keeps its own bookkeeping in: never part of the user's schema.
MIZZLE_TABLE_PREFIX = "__mizzle_"

_VIRTUAL_MODULE = re.compile(r"\bUSING\s+(\w+)", re.IGNORECASE)


# --- reading --------------------------------------------------------------------------------


def as_declared(found: Schema, target: Schema) -> Schema:
    """SQLite keeps every name as it is given: nothing to give back (`Dialect.as_declared`)."""
    return found


def introspect(conn: sqlite3.Connection, schemas: Sequence[str] = ()) -> Introspected:
    """Read every table, index and view of the `main` database into the model."""
    if sqlite3.sqlite_version_info < MIN_SQLITE_VERSION:
        need = ".".join(map(str, MIN_SQLITE_VERSION))
        raise IntrospectionError(
            f"reading a SQLite database needs SQLite {need} or newer, this is {sqlite3.sqlite_version}"
        )
    # One read transaction, so that the five queries see one state of the schema even if
    # another connection (another browser tab) changes it meanwhile.
    own_transaction = not conn.in_transaction
    try:
        if own_transaction:
            conn.execute("BEGIN")
        try:
            catalog = Catalog.read(conn)
        finally:
            if own_transaction:
                conn.execute("ROLLBACK")
    except sqlite3.Error as err:
        raise IntrospectionError(f"cannot read the SQLite catalog: {err}") from None
    return _Introspector(catalog).run()


#: The shadow tables of SQLite's own virtual table modules (fts3/4, fts5, rtree) are
#: `<table>_<suffix>`: how they are recognised when the module is not loaded, and SQLite
#: then lists them as ordinary tables.
_SHADOW_SUFFIXES = frozenset({"data", "idx", "content", "docsize", "config", "segments", "segdir", "stat"})
_SHADOW_SUFFIXES |= {"node", "rowid", "parent"}


def _shadow_of(virtual: str, name: str, kind: str) -> bool:
    prefix = virtual + "_"
    if not name.startswith(prefix):
        return False
    return kind == "shadow" or name[len(prefix) :] in _SHADOW_SUFFIXES


#: Other migration tools' bookkeeping, found in databases adopted from them: never part of the
#: app's schema (pulling drizzle-kit's history table would render it for every database).
OTHER_TRACKING_TABLES = frozenset({"__drizzle_migrations"})


def _internal(name: str) -> bool:
    return name.startswith("sqlite_") or name.startswith(MIZZLE_TABLE_PREFIX) or name.lower() in OTHER_TRACKING_TABLES


class _Introspector:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.unsupported: list[Unsupported] = []
        self.enums: dict[str, tuple[tuple[str, ...], str]] = {}  # name → values, where first seen
        self.taken: set[str] = set()  # every name in use: generated names avoid them
        self.index_sql = {name: sql or "" for kind, name, _, sql in catalog.objects if kind == "index"}
        self.table_by_fold = {n.casefold(): n for n, k in catalog.table_kinds.items() if k[0] == "table"}

    def note(self, kind: str, name: str, detail: str) -> None:
        self.unsupported.append(Unsupported(kind, name, detail))

    def is_taken(self, name: str) -> bool:
        return name in self.taken

    def choose(self, make: Callable[[Callable[[str], bool]], str]) -> str:
        name = make(self.is_taken)
        self.taken.add(name)
        return name

    def run(self) -> Introspected:
        #: table → trigger name → its CREATE TRIGGER text
        self.triggers: dict[str, dict[str, str]] = {}
        tables, views, virtual = self._classify()
        texts = {name: read_table(sql, f'table "{name}"') for name, sql in tables}
        self._reserve_names(texts)
        built = [self._with_triggers(self._sync(self._table(name, texts[name]))) for name, _ in tables]
        for table_name, triggers in sorted(self.triggers.items()):
            for name in sorted(triggers):
                self.note("trigger", name, f'on "{table_name}"; skipped')
        read_views = [View(name=name, query=SqlExpr(read_view(sql, f'view "{name}"').query)) for name, sql in views]
        enums = [Enum(name=name, values=values) for name, (values, _) in self.enums.items()]
        self._note_enums_without_values(built)
        schema = Schema(tables=tuple(built), enums=tuple(enums), views=tuple(read_views), virtual_tables=virtual)
        unsupported = tuple(sorted(self.unsupported, key=lambda u: (u.kind, u.name)))
        return Introspected(schema=schema, unsupported=unsupported)

    def _sync(self, table: Table) -> Table:
        """A table is a sync table when it carries exactly the sync triggers mizzle makes for
        it (text compared, so an edited trigger is not taken for one) and holds what a sync
        table must; its triggers are then mizzle's own, not reported."""
        if table.primary_key is None:
            return table
        mine = dict(
            zip(
                sync_sql.trigger_names(table.name),
                sync_sql.trigger_statements(table.name, table.primary_key.columns),
                strict=True,
            )
        )
        held = self.triggers.get(table.name, {})
        if any(held.get(name) != sql for name, sql in mine.items()):
            return table
        synced = table.model_copy(update={"sync": True})
        if next(sync_problems(synced), None) is not None:
            return table
        for name in mine:
            del held[name]
        return synced

    def _with_triggers(self, table: Table) -> Table:
        """The app's triggers on the table, verbatim (`core/routines.py`). mizzle's own sync
        triggers on a table that is not a sync table stay reported: they are not the app's."""
        held = self.triggers.get(table.name, {})
        mine = [n for n in held if not n.startswith(MIZZLE_TABLE_PREFIX)]
        if not mine:
            return table
        triggers = tuple(Trigger(name=n, sqlite=held.pop(n)) for n in mine)
        return table.model_copy(update={"triggers": triggers})

    def _note_enums_without_values(self, tables: list[Table]) -> None:
        """An enum SQLite holds only in array columns (`mood_ENUM_ARRAY`) carries no CHECK, so
        its values are nowhere in the database."""
        where: dict[str, list[str]] = {}
        for tb in tables:
            for col in tb.columns:
                name = col.type.name
                if col.type.kind is TypeKind.ENUM and name is not None and name not in self.enums:
                    where.setdefault(name, []).append(f"{tb.name}.{col.name}")
        for name, columns in sorted(where.items()):
            self.note("enum", name, f"its values are not in the database (used only by {', '.join(columns)})")

    def _classify(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]], tuple[VirtualTable, ...]]:
        """Split sqlite_master into the tables and views to read and the virtual tables to
        carry (their shadow tables left out); note everything else."""
        kinds = self.catalog.table_kinds
        virtual = [
            (name, sql or "")
            for kind, name, _, sql in self.catalog.objects
            if kind == "table" and kinds.get(name, ("",))[0] == "virtual"
        ]
        tables, views = [], []
        for kind, name, tbl_name, sql in self.catalog.objects:
            if _internal(tbl_name):
                continue
            owner = next((v for v, _ in virtual if _shadow_of(v, name, kinds.get(name, ("",))[0])), None)
            if kind == "table" and owner is not None:
                continue  # a shadow table: SQLite makes it with its virtual table
            if kind == "table" and kinds.get(name, ("",))[0] == "table":
                tables.append((name, sql or ""))
            elif kind == "view":
                views.append((name, sql or ""))
            elif kind == "trigger":
                self.triggers.setdefault(tbl_name, {})[name] = sql or ""
        carried = []
        for name, sql in virtual:
            if _internal(name):
                continue
            try:
                carried.append(VirtualTable(name=name, sqlite=sql))
            except ValueError:  # pydantic's ValidationError: a text SQLite keeps otherwise
                module = m.group(1) if (m := _VIRTUAL_MODULE.search(sql)) else "?"
                self.note("virtual table", name, f"USING {module}; its statement does not read; skipped")
        return tables, views, tuple(carried)

    def _reserve_names(self, texts: dict[str, TableText]) -> None:
        """Every name already spelled out, so that generated names avoid them all."""
        for _, name, _, _ in self.catalog.objects:
            self.taken.add(name)
        for text in texts.values():
            names = [text.primary_key.name] if text.primary_key else []
            names += [u.name for u in text.uniques] + [c.name for c in text.checks]
            names += [f.name for f in text.foreign_keys]
            self.taken.update(n for n in names if n is not None)

    # --- one table ----------------------------------------------------------------------

    def _table(self, name: str, text: TableText) -> Table:
        _, without_rowid, strict = self.catalog.table_kinds[name]
        if without_rowid:
            self.note("WITHOUT ROWID table", name, "read as an ordinary table; WITHOUT ROWID is not carried")
        if strict:
            self.note("STRICT table", name, "read as an ordinary table; STRICT is not carried")
        rows = self.catalog.columns.get(name, [])
        by_fold = {r.name.casefold(): r.name for r in rows}
        resolve = _ColumnResolver(by_fold)
        enum_of, checks = self._checks(name, text, resolve)
        pk_rows = sorted((r for r in rows if r.pk), key=lambda r: r.pk)
        rowid_alias = (
            len(pk_rows) == 1
            and pk_rows[0].declared.upper() == "INTEGER"
            and not without_rowid
            and not (text.primary_key_desc and text.primary_key is not None and len(text.primary_key.columns) == 1)
        )
        sole = len(pk_rows) == 1
        generated = {by_fold.get(c.casefold(), c): SqlExpr(resolve(e)) for c, e in text.generated.items()}
        columns = [
            self._column(name, row, enum_of.get(row.name), rowid_alias and row.pk == 1, sole and row.pk == 1)
            for row in rows
        ]
        if not rowid_alias and not without_rowid:
            # SQLite lets a key column declared without NOT NULL hold NULL: kept knowingly
            null_keys = {r.name for r in pk_rows if not r.notnull}
            columns = [c.model_copy(update={"sqlite_null_key": True}) if c.name in null_keys else c for c in columns]
        columns = [c.model_copy(update={"generated": generated[c.name]}) if c.name in generated else c for c in columns]
        for col, collation in text.collations.items():
            if collation.upper() != "BINARY":
                self.note(
                    "collation", f"{name}.{by_fold.get(col.casefold(), col)}", f"COLLATE {collation} is not carried"
                )
        if text.autoincrement is not None and rowid_alias:
            alias = pk_rows[0].name
            columns = [c.model_copy(update={"sqlite_autoincrement": True}) if c.name == alias else c for c in columns]
        primary_key = None
        if pk_rows:
            pk_name = text.primary_key.name if text.primary_key and text.primary_key.name else None
            primary_key = PrimaryKey(
                name=pk_name or self.choose(partial(naming.primary_key_name, name)),
                columns=tuple(r.name for r in pk_rows),
            )
        uniques, indexes = self._indexes(name, text, resolve)
        return Table(
            name=name,
            columns=tuple(columns),
            primary_key=primary_key,
            foreign_keys=tuple(self._foreign_keys(name, text)),
            uniques=tuple(uniques),
            checks=tuple(checks),
            indexes=tuple(indexes),
        )

    def _column(self, table: str, row: ColumnRow, enum_name: str | None, serial: bool, sole_pk: bool) -> Column:
        where = f"{table}.{row.name}"
        ctype, sqlite_type = self._column_type(where, row.declared, enum_name, sole_pk)
        if serial:
            ctype = ColumnType(kind=TypeKind.SERIAL)
        if row.hidden == 2:
            # VIRTUAL: computed when read, not kept; the model has STORED only (same values read back)
            self.note("generated column", where, "VIRTUAL read as STORED")
        default = None
        if row.default is not None and row.hidden not in (2, 3):
            if serial:
                self.note("default", where, f"DEFAULT {row.default} on the rowid alias is not carried")
            else:
                default = default_from_sqlite(row.default, ctype, f'the default of column "{where}"')
        column = Column(
            name=row.name,
            type=ctype,
            nullable=not (row.notnull or row.pk),
            default=default,
            sqlite_type=None if serial else sqlite_type,
        )
        if default is not None:
            # the DEFAULT as written, where mizzle's spelling of `default` would be another text
            column = column.model_copy(update={"sqlite_default": kept_default(row.default, column)})
        return column

    def _column_type(
        self, where: str, declared: str, enum_name: str | None, sole_pk: bool
    ) -> tuple[ColumnType, str | None]:
        """The neutral type of a declared type, and the declared type to keep beside it."""
        try:
            ctype = column_type_from_declared(declared, enum_name=enum_name)
            return ctype, kept_type(declared, ctype, sole_primary_key=sole_pk)
        except (SchemaError, ValueError):
            pass
        # A spelling mizzle did not write and whose parameters the model cannot hold
        # (`NUMERIC(2000, 3)`, `VARCHAR(0)`): read the name alone, and say so.
        head = declared.split("(")[0].strip()
        try:
            ctype = column_type_from_declared(head, enum_name=enum_name)
        except (SchemaError, ValueError):
            raise IntrospectionError(f'cannot read the type {declared!r} of column "{where}"') from None
        kept = kept_type(declared, ctype, sole_primary_key=sole_pk)
        if kept is None:
            self.note("column type", where, f"{declared} read as {ctype.describe()}")
        return ctype, kept

    def _checks(self, table: str, text: TableText, resolve: _ColumnResolver) -> tuple[dict[str, str], list[Check]]:
        """The table's CHECKs, and the enum each `enum:<name>` CHECK makes of its column."""
        enum_of: dict[str, str] = {}
        checks: list[Check] = []
        for check in text.checks:
            tree = resolve(check.expr)
            enum = _enum_check(check.name, tree)
            if enum is not None:
                column = resolve.name(enum[1])
                declared = next((r.declared for r in self.catalog.columns[table] if r.name == column), "")
                # column_type_from_declared makes only a TEXT column an enum; elsewhere it is a plain CHECK
                if column is not None and declared.strip().upper() == "TEXT":
                    enum_of[column] = enum[0]
                    self._enum(enum[0], enum[2], f"{table}.{column}")
                    continue
            expr = SqlExpr(tree)
            name = check.name or self.choose(partial(naming.check_name, table, expr))
            checks.append(Check(name=name, expr=expr))
        return enum_of, checks

    def _enum(self, name: str, values: tuple[str, ...], where: str) -> None:
        seen = self.enums.get(name)
        if seen is None:
            self.enums[name] = (values, where)
        elif seen[0] != values:
            raise IntrospectionError(
                f'enum "{name}": column "{seen[1]}" allows {list(seen[0])} but column "{where}" allows {list(values)}'
            )

    def _indexes(self, table: str, text: TableText, resolve: _ColumnResolver) -> tuple[list[Unique], list[Index]]:
        uniques, indexes = [], []
        named = {tuple(c.casefold() for c in u.columns): u.name for u in text.uniques if u.name}
        collations = {c.casefold(): coll.upper() for c, coll in text.collations.items()}
        for row in self.catalog.indexes.get(table, {}).values():
            for pos, (_, column, _, coll) in enumerate(row.keys):
                # a key inherits its column's collation, which is noted with the column
                if coll.upper() != collations.get((column or "").casefold(), "BINARY"):
                    self.note("collation", f"{row.name} key {pos + 1}", f"COLLATE {coll} is not carried")
            if row.origin == "pk":
                continue  # the primary key, read from table_xinfo
            if row.origin == "u":
                cols = tuple(c or "" for _, c, _, _ in row.keys)
                name = named.get(tuple(c.casefold() for c in cols)) or self.choose(
                    partial(naming.unique_name, table, cols)
                )
                uniques.append(Unique(name=name, columns=cols))
                continue
            indexes.append(self._index(table, row, self.index_sql.get(row.name, ""), resolve))
        return uniques, indexes

    def _index(self, table: str, row: IndexRow, sql: str, resolve: _ColumnResolver) -> Index:
        what = f'index "{row.name}"'
        needs_text = row.partial or any(cid < 0 for cid, _, _, _ in row.keys)
        text = read_index(sql, what) if needs_text else None
        keys = []
        for pos, (cid, column, desc, _) in enumerate(row.keys):
            if cid >= 0 and column is not None:
                keys.append(IndexKey(column=column, desc=desc))
                continue
            assert text is not None
            if len(text.keys) != len(row.keys):
                raise IntrospectionError(f"cannot read {what}: its keys do not match its text")
            keys.append(IndexKey(expr=SqlExpr(resolve(text.keys[pos])), desc=desc))
        where = SqlExpr(resolve(text.where)) if text is not None and text.where is not None else None
        return Index(name=row.name, keys=tuple(keys), unique=row.unique, where=where)

    def _foreign_keys(self, table: str, text: TableText) -> list[ForeignKey]:
        written = list(text.foreign_keys)
        out = []
        for row in self.catalog.foreign_keys.get(table, []):
            key = (tuple(c.casefold() for c in row.columns), row.ref_table.casefold())
            match = next(
                (w for w in written if (tuple(c.casefold() for c in w.columns), w.ref_table.casefold()) == key), None
            )
            if match is not None:
                written.remove(match)
            columns = tuple(row.columns)
            name = (match.name if match else None) or self.choose(partial(naming.foreign_key_name, table, columns))
            ref_table = self.table_by_fold.get(row.ref_table.casefold())
            ref_columns = self._ref_columns(ref_table, row.ref_columns) if ref_table else None
            if ref_table is None or ref_columns is None:
                missing = f'table "{row.ref_table}"' if ref_table is None else "columns"
                self.note("foreign key", f"{table}.{name}", f"references missing {missing}; skipped")
                continue
            out.append(
                ForeignKey(
                    name=name,
                    columns=columns,
                    ref_table=ref_table,
                    ref_columns=ref_columns,
                    on_delete=_action(row.on_delete),
                    on_update=_action(row.on_update),
                    deferrable=match.deferrable if match else False,
                    initially_deferred=match.initially_deferred if match else False,
                )
            )
        return out

    def _ref_columns(self, ref_table: str, written: list[str | None]) -> tuple[str, ...] | None:
        """The parent's columns in their own spelling; the parent's primary key when none are written."""
        parent = self.catalog.columns.get(ref_table, [])
        if all(c is None for c in written):
            pk = [r.name for r in sorted((r for r in parent if r.pk), key=lambda r: r.pk)]
            return tuple(pk) if len(pk) == len(written) else None
        by_fold = {r.name.casefold(): r.name for r in parent}
        found = [by_fold.get(c.casefold()) if c else None for c in written]
        return tuple(c for c in found if c is not None) if all(found) else None


_ACTIONS: dict[str, FkAction] = {
    "NO ACTION": "no action",
    "RESTRICT": "restrict",
    "CASCADE": "cascade",
    "SET NULL": "set null",
    "SET DEFAULT": "set default",
}


def _action(text: str) -> FkAction:
    return _ACTIONS[text.upper()]


class _ColumnResolver:
    """SQLite identifiers are case-insensitive: a CHECK or index written `Price > 0` reads the
    column "Price". Expressions get the column's own spelling, quoted, so that canonicalising
    (which folds unquoted names to lower case, as PostgreSQL does) keeps the right column."""

    def __init__(self, by_fold: dict[str, str]) -> None:
        self.by_fold = by_fold

    def name(self, written: str) -> str | None:
        return self.by_fold.get(written.casefold())

    def __call__(self, tree: exp.Expression) -> exp.Expression:
        """`tree` with its columns spelled as the table spells them (changed in place: the
        trees come fresh from `parse_sqlite_expression`)."""
        for col in tree.find_all(exp.Column):
            actual = self.by_fold.get(col.name.casefold())
            if actual is not None and not col.table:
                col.set("this", exp.to_identifier(actual, quoted=True))
        return tree


def _enum_check(name: str | None, tree: exp.Expression) -> tuple[str, str, tuple[str, ...]] | None:
    """(enum name, column, values) for `CONSTRAINT "enum:<name>" CHECK (col IN ('a', 'b'))`."""
    if name is None or not name.startswith(ENUM_CHECK_PREFIX):
        return None
    while isinstance(tree, exp.Paren):
        tree = tree.this
    if not isinstance(tree, exp.In) or not isinstance(tree.this, exp.Column) or tree.args.get("query"):
        return None
    values = tree.expressions
    if not values or not all(isinstance(v, exp.Literal) and v.is_string for v in values):
        return None
    return name[len(ENUM_CHECK_PREFIX) :], tree.this.name, tuple(str(v.this) for v in values)
