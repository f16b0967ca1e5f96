"""What SQLite cannot hold of a schema, and the schema as SQLite holds it.

`capability_problems` lists what cannot be rendered at all (AUTOINCREMENT on a column that
is not the rowid alias, names SQLite reserves or cannot tell apart...).
`project` returns the schema introspection will give back from SQLite, with one note per
change: SQLite keeps one auto-increment type (bigserial → serial), one index method, no
NULLS FIRST/LAST in indexes, no enum types (an enum lives only in its columns' CHECKs, so
one no column uses disappears), timestamps as one ISO-8601 text form, and expressions as
their SQLite spelling. Projecting twice changes nothing more.

What the server has and the device cannot hold is left out, never refused in a project that
has a server (`noted_storage_projection`: one `server-only` note each, which the migration's
header and `export`'s script say, never silently):
- a default SQLite has no equivalent for (`auth.uid()`; `equivalents.py` lists those it has):
  the device's column has no default, the app supplies the value;
- an index, CHECK or view whose expression SQLite cannot hold (`to_tsvector()`, a CHECK on
  `now()`, a view on `xpath()`), and the views reading such a view: left out;
- a serial column that is not the table's sole primary key (a member of a composite key):
  only the rowid alias auto-increments, so it is a plain integer the device must supply.
"""

from __future__ import annotations

import operator as op
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache, partial

from mizzle.core.errors import UnsupportedError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Check,
    Column,
    Default,
    ExprDefault,
    ForeignKey,
    Index,
    IndexKey,
    LiteralDefault,
    Schema,
    Table,
    View,
)
from mizzle.core.pg_objects import calls_nextval
from mizzle.core.routines import Trigger
from mizzle.core.side_notes import SideNote
from mizzle.core.table_filter import DEFAULT_SCHEMA
from mizzle.core.types import SERIAL_KINDS, ColumnType, TypeKind
from mizzle.dialects import ddl_trees
from mizzle.dialects.sqlite import equivalents, spelling, transpile

DIALECT = transpile.DIALECT
_RESERVED_PREFIX = "sqlite_"
_TIMESTAMP_KINDS = (TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ)


def serial_problem(table: Table) -> str | None:
    """AUTOINCREMENT SQLite cannot hold: only the rowid alias, a table's sole serial
    primary-key column, takes it. (Another serial column is a plain integer on SQLite: see
    `_Holder.column`.)"""
    pk = table.primary_key
    sole = pk.columns[0] if pk is not None and len(pk.columns) == 1 else None
    for column in table.columns:
        if column.sqlite_autoincrement and (column.type.kind not in SERIAL_KINDS or column.name != sole):
            return (
                f'table "{table.name}", column "{column.name}": AUTOINCREMENT needs a serial column '
                "that is the table's sole primary key"
            )
    return None


def _case_clashes(what: str, names: list[str]) -> Iterator[str]:
    """SQLite compares names without regard to (ASCII) case: `User` and `user` are one table."""
    folded = Counter(n.lower() for n in set(names))
    for low in sorted(n for n, c in folded.items() if c > 1):
        same = " and ".join(f'"{n}"' for n in sorted(n for n in set(names) if n.lower() == low))
        yield f"{what} {same}: SQLite does not tell names apart by case"


def capability_problems(schema: Schema) -> list[str]:
    """What SQLite cannot hold at all, each naming its place; empty when fine."""
    problems = [p for t in schema.tables if (p := serial_problem(t))]
    named = [t.name for t in schema.tables] + [v.name for v in schema.views]
    named += [i.name for t in schema.tables for i in t.indexes]
    problems += [f'"{n}": SQLite reserves names starting with {_RESERVED_PREFIX}' for n in named if _reserved(n)]
    problems += _case_clashes("tables, views and indexes", named)
    for table in schema.tables:
        problems += _case_clashes(f'table "{table.name}", columns', table.column_names)
    for table in schema.tables:
        for column in table.columns:
            problems += spelling.problems(column, f'table "{table.name}", column "{column.name}"')
    return problems


def _reserved(name: str) -> bool:
    return name.lower().startswith(_RESERVED_PREFIX)


# --- projection -----------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _read_back(sql: str) -> SqlExpr:
    """SQLite text read back into the model, as introspection reads it."""
    return SqlExpr.parse(sql, transpile.DIALECT)


@dataclass
class _Holder:
    """Builds the schema as SQLite holds it, noting each change. With `read_back` off,
    expressions stay as the model writes them (the renderer carries them itself, and
    carrying them twice would only change their spelling)."""

    read_back: bool
    notes: list[str] = field(default_factory=list)
    #: what the server has and the device goes without (see the module doc)
    side: list[SideNote] = field(default_factory=list)

    def server_only(self, text: str) -> None:
        self.side.append(SideNote("server-only", text, dropped=True))

    def expr(self, expr: SqlExpr, where: str, *, query: bool = False) -> SqlExpr:
        """`expr` as SQLite spells it, read back as introspection reads it; unchanged when
        SQLite cannot hold it (callers leave such an expression out first).
        `query`: a view's body, printed as CREATE VIEW prints it (names of the app's other
        schemas as one name, `FROM "app.t" AS t`)."""
        if not self.read_back:
            return expr
        try:
            text = (
                ddl_trees.sql(transpile.to_sqlite(expr, where), DIALECT) if query else transpile.sqlite_sql(expr, where)
            )
            held = _read_back(text)
        except UnsupportedError:
            return expr
        if held != expr:
            self.notes.append(f"{where}: SQLite holds {expr.sql} as {held.sql}")
        return held

    def column(self, table: Table, column: Column) -> Column:
        # Where a note or an error is: built only for one (this runs for every column of
        # every table a plan renders, twice; the text was a tenth of SQLite's plan).
        def where() -> str:
            return f'table "{table.name}", column "{column.name}"'

        pk = table.primary_key
        sole = pk is not None and pk.columns == (column.name,)
        if column.sqlite_type is not None or column.sqlite_default is not None:
            # the texts as written decide what SQLite holds (the same rule introspection reads by)
            column = spelling.held(column, sole_primary_key=sole)
        if column.identity is not None:
            column = self._without_identity(table, column, where(), sole_primary_key=sole)
        if column.sequence is not None:
            self.notes.append(f"{where()}: SQLite's rowid alias has no sequence options; left out")
            column = column.model_copy(update={"sequence": None})
        sequence_default = _sequence_default(column)
        if column.domain is not None or sequence_default:
            # PostgreSQL's alone: a domain is its base type here, a sequence's nextval no default
            # (the migration's header says so once: `Plan.notes`)
            dropped = {"default": None} if sequence_default else {}
            column = column.model_copy(update={"domain": None, **dropped})
        ctype, default = column.type, column.default
        # a default kept as its SQLite text is already what SQLite holds: nothing below applies
        as_written = column.sqlite_default is not None
        if ctype.kind in SERIAL_KINDS and not sole:
            # only the rowid alias (a sole primary key) auto-increments: a plain integer here
            self.server_only(
                f"auto-increment of {table.name}.{column.name} (SQLite numbers only a sole primary key: "
                "the device must supply its values)"
            )
            ctype = ColumnType(kind=_PLAIN_INTEGER[ctype.kind])
        if ctype.kind is TypeKind.BIGSERIAL:
            self.notes.append(f"{where()}: bigserial is held as serial (SQLite has one 64-bit rowid)")
            ctype = ctype.model_copy(update={"kind": TypeKind.SERIAL})
        if ctype.kind is TypeKind.CUSTOM:
            self.notes.append(f"{where()}: {ctype.describe()} is stored as text")
        if ctype.kind is TypeKind.ENUM and ctype.array_dims:
            # An enum lives in SQLite only as a column CHECK, and a CHECK cannot look inside a
            # JSON array (that needs a subquery): the elements are plain text there.
            self.notes.append(f"{where()}: {ctype.describe()} is held as text[] (SQLite cannot check array elements)")
            ctype = ColumnType(kind=TypeKind.TEXT, array_dims=ctype.array_dims)
        if isinstance(default, LiteralDefault) and ctype.kind in _TIMESTAMP_KINDS and not as_written:
            value = default.value
            if isinstance(value, str):
                held: object = transpile.timestamp_text(value, ctype.kind)
            elif isinstance(value, list):
                held = [transpile.timestamp_text(v, ctype.kind) if isinstance(v, str) else v for v in value]
            else:
                held = value
            if held != value:
                self.notes.append(f"{where()}: default {value!r} is held as {held!r}")
                default = LiteralDefault.model_validate({"value": held})
        if isinstance(default, ExprDefault) and not as_written:
            default = self._expr_default(table, column, default, ctype)
        if ctype is column.type and default is column.default:
            return column  # held as it is: a copy would only validate it again
        return column.model_copy(update={"type": ctype, "default": default})

    def _expr_default(self, table: Table, column: Column, default: ExprDefault, ctype: ColumnType) -> Default | None:
        """An expression default as SQLite holds it: a call SQLite has an equivalent for as
        the neutral default (`equivalents.py`), one it can run as its SQLite spelling, and
        one it cannot run not at all (server-only: the app supplies the value)."""
        held = equivalents.held_default(default, ctype)
        if held is not None:
            return held
        where = f'table "{table.name}", column "{column.name}", default'
        reason = _refusal(partial(transpile.default_expression, default.expr), where)
        if reason is not None:
            shown = default.expr.pg or default.expr.sql
            self.server_only(
                f"default on {table.name}.{column.name}: {shown} ({reason}; the app supplies the value on the device)"
            )
            return None
        held_expr = self.expr(default.expr, where) if self.read_back else default.expr
        # the same default when unchanged: no copy to validate again
        return default if held_expr is default.expr else ExprDefault(expr=held_expr)

    def _without_identity(self, table: Table, column: Column, where: str, *, sole_primary_key: bool) -> Column:
        """SQLite has no identity columns: a sole integer primary key is the rowid alias (a
        serial, numbered by SQLite); any other is a plain integer column INSERTs must fill."""
        if sole_primary_key:
            self.notes.append(f"{where}: the identity column is SQLite's rowid alias (INTEGER PRIMARY KEY)")
            return column.model_copy(update={"identity": None, "type": ColumnType(kind=TypeKind.SERIAL)})
        self.side.append(
            SideNote(
                "server-only",
                f"identity of {table.name}.{column.name} (SQLite has none: the device must supply its values)",
            )
        )
        return column.model_copy(update={"identity": None})

    def index(self, table: Table, index: Index) -> Index | None:
        """The index as SQLite holds it; None when SQLite cannot hold its expressions."""
        where = f'table "{table.name}", index "{index.name}"'
        if index.where is not None or any(k.expr is not None for k in index.keys):
            reason = _refusal(partial(transpile.index_keys, index), where)
            if reason is not None:
                self.server_only(f"index {index.name} on {table.name} ({reason})")
                return None
        if index.method != "btree":
            self.notes.append(f"{where}: SQLite has no {index.method} indexes; held as a btree index")
        if any(k.nulls is not None for k in index.keys):
            self.notes.append(f"{where}: SQLite indexes have no NULLS FIRST/LAST; dropped")
        if any(k.opclass is not None for k in index.keys):
            self.notes.append(f"{where}: SQLite indexes have no operator classes; held as a plain index")
        if any(k.collation is not None for k in index.keys):
            self.notes.append(f"{where}: PostgreSQL's collations are not SQLite's; the keys take their columns'")
        if index.nulls_not_distinct:
            self.notes.append(f"{where}: {_NULLS_DISTINCT}")
            index = index.model_copy(update={"nulls_not_distinct": False})
        keys: list[IndexKey] = []
        for key in index.keys:
            expr = self.expr(key.expr, where) if key.expr is not None else None
            unchanged = expr is key.expr and key.nulls is None and key.opclass is None and key.collation is None
            plain = {"expr": expr, "nulls": None, "opclass": None, "collation": None}
            keys.append(key if unchanged else key.model_copy(update=plain))
        predicate = self.expr(index.where, where) if index.where is not None else None
        if index.method == "btree" and predicate is index.where and all(map(op.is_, keys, index.keys)):
            return index  # held as it is: a copy would only validate it again
        return index.model_copy(update={"method": "btree", "keys": tuple(keys), "where": predicate})

    def table(self, table: Table) -> Table:
        # A table of another schema (`auth.users`) does not exist in SQLite: the key goes.
        fks = local_foreign_keys(table)
        for fk in table.foreign_keys:
            if not held_reference(fk):
                self.side.append(
                    SideNote(
                        "server-only",
                        f"foreign key {fk.name} on {table.name} "
                        f"(references {fk.ref_shown}, which the device does not have)",
                    )
                )
        uniques = table.uniques
        if any(u.nulls_not_distinct for u in uniques):
            for u in uniques:
                if u.nulls_not_distinct:
                    self.notes.append(f'table "{table.name}", unique "{u.name}": {_NULLS_DISTINCT}')
            uniques = tuple(u.model_copy(update={"nulls_not_distinct": False}) for u in uniques)
        checks = []
        for check in table.checks:
            where = f'table "{table.name}", check "{check.name}"'
            reason = _refusal(partial(transpile.check_expression, check.expr), where)
            if reason is not None:
                self.server_only(f"check {check.name} on {table.name} ({reason})")
                continue
            checks.append(check.model_copy(update={"expr": self.expr(check.expr, where)}))
        columns = tuple(self.column(table, c) for c in table.columns)
        indexes = [held for i in table.indexes if (held := self.index(table, i)) is not None]
        # A new Table, not model_copy(): a copy would keep the original's cached column lookup.
        return Table(
            name=table.name,
            columns=columns,
            primary_key=table.primary_key,
            foreign_keys=fks,
            uniques=uniques,
            checks=tuple(checks),
            indexes=tuple(indexes),
            sync=table.sync,
            triggers=sqlite_triggers(table),
        )

    def schema(self, schema: Schema) -> Schema:
        tables = tuple(self.table(t) for t in schema.tables)
        used = {c.type.name for t in tables for c in t.columns if c.type.kind is TypeKind.ENUM}
        enums = []
        for enum in schema.enums:
            if enum.name in used:
                enums.append(enum)
            else:
                self.notes.append(
                    f'enum "{enum.name}": no column uses it, and SQLite keeps enums only in columns; dropped'
                )
        views = tuple(
            v.model_copy(update={"query": self.expr(v.query, f'view "{v.name}"', query=True)})
            for v in self._views(schema.views)
        )
        # A new Schema, not model_copy(): a copy would keep the original's cached table lookup.
        return Schema(tables=tables, enums=tuple(enums), views=views, virtual_tables=schema.virtual_tables)

    def _views(self, views: tuple[View, ...]) -> list[View]:
        """The views SQLite can hold: not one it cannot carry, nor one reading such a view."""
        left_out: dict[str, str] = {}
        for view in ddl_trees.view_order(views):
            reason = _refusal(partial(_view_query, view), f'view "{view.name}"')
            if reason is None and (read := sorted(set(view.referenced_tables()) & left_out.keys())):
                reason = f"reads {', '.join(read)}, which SQLite does not have"
            if reason is not None:
                left_out[view.name] = reason
                self.server_only(f"view {view.name} ({reason})")
        return [v for v in views if v.name not in left_out]


def _view_query(view: View, _where: str) -> object:
    return transpile.view_query(view)


def _refusal(attempt: Callable[[str], object], where: str) -> str | None:
    """Why SQLite cannot hold what `attempt(where)` carries (its UnsupportedError, without
    the place), or None when it can."""
    try:
        attempt(where)
    except UnsupportedError as err:
        # without the place, nor the expression it quotes (the note names what it is)
        return str(err).removeprefix(f"{where}: ").split(" (in ", 1)[0]
    return None


#: what a serial that is not the rowid alias is on SQLite
_PLAIN_INTEGER = {TypeKind.SERIAL: TypeKind.INTEGER, TypeKind.BIGSERIAL: TypeKind.BIGINT}


def holds_index(index: Index) -> bool:
    """Whether SQLite can hold the index's expressions (else it is the server's alone)."""
    if index.where is None and all(k.expr is None for k in index.keys):
        return True
    return _refusal(partial(transpile.index_keys, index), "index") is None


def holds_check(check: Check) -> bool:
    """Whether SQLite can hold the CHECK (else it is the server's alone)."""
    return _refusal(partial(transpile.check_expression, check.expr), "check") is None


def _sequence_default(column: Column) -> bool:
    return isinstance(column.default, ExprDefault) and calls_nextval(column.default.expr)


def sequence_defaults(table: Table) -> int:
    """How many of the table's columns take their default from a PostgreSQL sequence."""
    return sum(_sequence_default(c) for c in table.columns)


def sqlite_triggers(table: Table) -> tuple[Trigger, ...]:
    """The table's triggers SQLite holds: those given for SQLite, their PostgreSQL text and
    state left out. (PostgreSQL's functions and extensions are not SQLite's at all.)"""
    held = (t.only_for("sqlite") for t in table.triggers)
    return tuple(t.model_copy(update={"state": "enabled"}) for t in held if t is not None)


def held_reference(fk: ForeignKey) -> bool:
    """Whether SQLite holds the foreign key: to a table of the schema, or to one of the default
    schema the project leaves out (`tables_filter`), which SQLite's one schema holds too."""
    return fk.ref_schema is None or fk.ref_schema == DEFAULT_SCHEMA


def local_foreign_keys(table: Table) -> tuple[ForeignKey, ...]:
    """The table's foreign keys SQLite holds (`held_reference`)."""
    fks = table.foreign_keys
    return fks if all(map(held_reference, fks)) else tuple(fk for fk in fks if held_reference(fk))


def project(schema: Schema) -> tuple[Schema, list[str]]:
    """The schema as SQLite holds it, and one note per change on the way."""
    holder = _Holder(read_back=True)
    return holder.schema(schema), holder.notes


#: SQLite's UNIQUE always treats NULLs as distinct: PostgreSQL's NULLS NOT DISTINCT is server-only.
_NULLS_DISTINCT = "NULLS NOT DISTINCT is PostgreSQL only; SQLite lets NULL keys repeat"


def storage_projection(schema: Schema) -> Schema:
    """`project` without reading expressions back: the schema `render_schema` renders."""
    return _Holder(read_back=False).schema(schema)


def noted_storage_projection(schema: Schema) -> tuple[Schema, list[SideNote]]:
    """`storage_projection`, and what the server has that SQLite goes without (see the
    module doc), one note each."""
    holder = _Holder(read_back=False)
    return holder.schema(schema), holder.side


def storage_column(table: Table, column: Column) -> Column:
    """One column of `table` as `storage_projection` holds it (the same object when SQLite
    holds it as it is)."""
    return _Holder(read_back=False).column(table, column)


def storage_index(table: Table, index: Index) -> Index | None:
    """One index of `table` as `storage_projection` holds it (the same object when SQLite
    holds it as it is; None when it cannot hold it: it is the server's alone)."""
    return _Holder(read_back=False).index(table, index)
