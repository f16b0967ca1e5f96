"""The schema as a SQLAlchemy 2.x declarative module (`mizzle pull --out models.py --style sqlalchemy`).

`schema_to_sqlalchemy(schema)` writes a module that `read.py` reads back into the very same
schema, laid out as `ruff format` would (`sources/dsl/pyformat.py`, as the DSL writer does):

- a `Base(DeclarativeBase)`; named enums as module-level `Enum(..., metadata=Base.metadata)`
  (created even when no column uses them); a class per table with a primary key, typed
  `Mapped[...]` columns (nullability is the annotation's `| None`), and a Core
  `Table(..., Base.metadata, ...)` for a table without one (the ORM cannot map it);
- defaults are `server_default=text(...)` in PostgreSQL's spelling, never Python-side;
- a serial is an integer primary key SQLAlchemy makes SERIAL (other integer keys say
  `autoincrement=False`), or, off the key, a `Sequence` of its own, which `read.py` reads
  back as serial;
- constraint names are written only where PostgreSQL would not give the same name; index
  and check names always (SQLAlchemy needs them);
- views are `DDL("CREATE VIEW ...")` run `after_create` on the metadata, so `create_all()`
  makes them too; sync tables carry `info["mizzle_sync"] = True`.
"""

from __future__ import annotations

import functools
import keyword
import re
from dataclasses import dataclass, field

from mizzle.core.diff_pg_objects import materialized_views_in_order, partitions_in_order
from mizzle.core.errors import SchemaError
from mizzle.core.model import Column, ForeignKey, Index, IndexKey, Schema, Table
from mizzle.core.naming import foreign_key_name, primary_key_name, unique_name
from mizzle.core.types import INTEGER_KINDS, SERIAL_KINDS, TypeKind
from mizzle.dialects.ddl_trees import quote_ident
from mizzle.dialects.postgresql.objects_sql import create_sql, relation
from mizzle.dialects.postgresql.partitions_sql import partition_key_text
from mizzle.dialects.postgresql.render import create_view_sql, default_sql, serial_sequences_sql
from mizzle.dialects.postgresql.render_security import default_privilege_statements
from mizzle.dialects.postgresql.render_security import security_statements as render_security
from mizzle.dialects.postgresql.routines_sql import create_extension_sql, create_trigger_sql
from mizzle.sources.dsl.codegen import pascal_case
from mizzle.sources.dsl.pyformat import (
    Assign,
    Attr,
    Call,
    ClassDef,
    Code,
    Docstring,
    Expr,
    ImportFrom,
    Kw,
    ListOf,
    Statement,
    Str,
    TupleOf,
    call,
    format_module,
    string_literal,
)

HEADER = "The database schema as SQLAlchemy 2.x models (written by `mizzle pull --style sqlalchemy`)."
LINE_LENGTH = 100
SYNC_INFO = "mizzle_sync"

#: neutral kind → (SQLAlchemy type, Python type of `Mapped[...]`)
_TYPES: dict[TypeKind, tuple[str, str]] = {
    TypeKind.SMALLINT: ("SmallInteger", "int"),
    TypeKind.INTEGER: ("Integer", "int"),
    TypeKind.BIGINT: ("BigInteger", "int"),
    TypeKind.SERIAL: ("Integer", "int"),
    TypeKind.BIGSERIAL: ("BigInteger", "int"),
    TypeKind.BOOLEAN: ("Boolean", "bool"),
    TypeKind.TEXT: ("Text", "str"),
    TypeKind.VARCHAR: ("String", "str"),
    TypeKind.CHAR: ("CHAR", "str"),
    TypeKind.NUMERIC: ("Numeric", "decimal.Decimal"),
    TypeKind.REAL: ("REAL", "float"),
    TypeKind.DOUBLE: ("Double", "float"),
    TypeKind.DATE: ("Date", "datetime.date"),
    TypeKind.TIME: ("Time", "datetime.time"),
    TypeKind.TIMESTAMP: ("DateTime", "datetime.datetime"),
    TypeKind.TIMESTAMPTZ: ("DateTime", "datetime.datetime"),
    TypeKind.UUID: ("Uuid", "uuid.UUID"),
    TypeKind.JSON: ("JSON", "Any"),
    TypeKind.JSONB: ("postgresql.JSONB", "Any"),
    TypeKind.BYTES: ("LargeBinary", "bytes"),
}
#: PostgreSQL types the model carries by name (custom) that SQLAlchemy's PostgreSQL dialect spells
_CUSTOM: dict[str, tuple[str, str]] = {
    "interval": ("Interval", "datetime.timedelta"),
    "tsvector": ("postgresql.TSVECTOR", "str"),
    "tsquery": ("postgresql.TSQUERY", "str"),
    "inet": ("postgresql.INET", "str"),
    "cidr": ("postgresql.CIDR", "str"),
    "macaddr": ("postgresql.MACADDR", "str"),
    "macaddr8": ("postgresql.MACADDR8", "str"),
    "money": ("postgresql.MONEY", "str"),
    "oid": ("postgresql.OID", "int"),
    "regclass": ("postgresql.REGCLASS", "str"),
    "int4range": ("postgresql.INT4RANGE", "Any"),
    "int8range": ("postgresql.INT8RANGE", "Any"),
    "numrange": ("postgresql.NUMRANGE", "Any"),
    "daterange": ("postgresql.DATERANGE", "Any"),
    "tsrange": ("postgresql.TSRANGE", "Any"),
    "tstzrange": ("postgresql.TSTZRANGE", "Any"),
}
_FK_ACTIONS = {"restrict": "RESTRICT", "cascade": "CASCADE", "set null": "SET NULL", "set default": "SET DEFAULT"}
#: names a class body or the module reads, which an attribute or class must not shadow
_RESERVED = frozenset(
    {
        "metadata",
        "DeclarativeBase",
        "registry",
        "awaitable_attrs",
        "Base",
        "Mapped",
        "mapped_column",
        "text",
        "datetime",
        "decimal",
    }
    | {"uuid", "Any", "postgresql", "event", "DDL", "Enum", "Table", "Column", "MetaData", "Sequence", "ForeignKey"}
    | {"ForeignKeyConstraint", "PrimaryKeyConstraint", "UniqueConstraint", "CheckConstraint", "Index", "Identity"}
    | {name.split(".")[0] for name, _ in [*_TYPES.values(), *_CUSTOM.values()]}
)
#: a colon text() would take for a bind parameter (`:name`); `\:` keeps it a colon
_BIND = re.compile(r"(?<![:\w\\]):(?=\w)")


def schema_to_sqlalchemy(schema: Schema, *, header: str = HEADER, line_length: int = LINE_LENGTH) -> str:
    """The declarative module that declares `schema` (see the module docstring)."""
    return _Writer(schema).module(header, line_length)


def _isort(name: str) -> tuple[int, str]:
    """isort's order by type, as ruff sorts imported names: CONSTANTS, Classes, functions."""
    return (0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2, name)


def _type(name: str, args: list[Expr]) -> Expr:
    """`Integer`, not `Integer()`: SQLAlchemy takes a type class as its instance."""
    return call(name, *args) if args else Code(name)


def _identifier(name: str, taken: set[str]) -> str:
    text = re.sub(r"\W+", "_", name, flags=re.ASCII).strip("_") or "column"
    text = "c_" + text if text[0].isdigit() else text
    while text in taken or keyword.iskeyword(text) or text.startswith("__"):
        text += "_"
    taken.add(text)
    return text


@dataclass
class _Writer:
    schema: Schema
    used: set[str] = field(default_factory=set)
    stdlib: set[str] = field(default_factory=set)
    enum_names: dict[str, str] = field(default_factory=dict)

    def module(self, header: str, line_length: int) -> str:
        taken = set(_RESERVED)
        body: list[Statement] = [ClassDef("Base", (self.use("DeclarativeBase", orm=True),), ())]
        for e in self.schema.enums:
            name = self.enum_names[e.name] = _identifier(f"{e.name}_enum", taken)
            args: list[Expr] = [Str(v) for v in e.values]
            args += [Kw("name", Str(e.name)), Kw("metadata", Code("Base.metadata"))]
            body.append(Assign(name, call(self.use("Enum"), *args)))
        tail: list[Statement] = []
        for table in self.schema.tables:
            holder = _identifier(pascal_case(table.name), taken)
            if table.primary_key is None:
                body.append(Assign(holder, self.core_table(table)))
                info = f"{holder}.info"
            else:
                body.append(ClassDef(holder, ("Base",), tuple(self.class_body(table))))
                info = f"{holder}.__table__.info"
            if table.sync:
                tail.append(
                    Assign(f"{info}[{Str(SYNC_INFO)!r}]".replace("Str(value=", "").replace(")]", "]"), Code("True"))
                )
        views = self.security_statements(line_length, early=True)
        views += self.object_statements(line_length, first=True)
        views += self.serial_sequence_statements(line_length)
        views += [self.view_statement(v.name, create_view_sql(v), line_length) for v in self.schema.views]
        views += self.code_statements(line_length)
        views += self.object_statements(line_length, first=False)
        views += self.security_statements(line_length, early=False)
        # ruff's blank lines: two after a class, one between statements
        first = "\n" if views and isinstance((body + tail)[-1], ClassDef) else ""
        return self.head(header, line_length) + format_module(body + tail, line_length) + first + "".join(views)

    def head(self, header: str, line_length: int) -> str:
        out = format_module([Docstring(header)], line_length) + "\n" if header else ""
        stdlib = [f"import {m}\n" for m in sorted(self.stdlib - {"Any"})]
        if "Any" in self.stdlib:
            stdlib.append("from typing import Any\n")
        out += "".join(stdlib) + ("\n" if stdlib else "")
        names = sorted((n for n in self.used if not n.startswith("orm.") and n != "postgresql"), key=_isort)
        imports: list[Statement] = [ImportFrom("sqlalchemy", tuple(names))]
        if "postgresql" in self.used:
            imports.append(ImportFrom("sqlalchemy.dialects", ("postgresql",)))
        orm = sorted((n.removeprefix("orm.") for n in self.used if n.startswith("orm.")), key=_isort)
        imports.append(ImportFrom("sqlalchemy.orm", tuple(orm)))
        return out + format_module(imports, line_length) + "\n\n"

    def text_(self, sql: str) -> Call:
        """`text("...")`, its colons kept from being read as bind parameters."""
        return call(self.use("text"), Str(_BIND.sub(r"\\:", sql)))

    def use(self, name: str, *, orm: bool = False) -> str:
        self.used.add(f"orm.{name}" if orm else name.split(".")[0])
        return name

    def code_statements(self, line_length: int) -> list[str]:
        """PostgreSQL's code (`core/routines.py`), as DDL create_all runs on PostgreSQL only:
        extensions before the tables, functions and triggers after them. (SQLAlchemy's
        metadata has no SQLite-only statement mizzle reads back: a trigger given for SQLite
        alone is not written here.)"""
        out = [
            self.view_statement("", create_extension_sql(x), line_length, event="before_create", only_pg=True)
            for x in self.schema.extensions
        ]
        out += [self.view_statement("", f.definition, line_length, only_pg=True) for f in self.schema.functions]
        for table in self.schema.tables:
            for trigger in table.triggers:
                for sql in create_trigger_sql(table.name, trigger) if trigger.postgresql is not None else []:
                    out.append(self.view_statement("", sql, line_length, only_pg=True))
        return out

    def serial_sequence_statements(self, line_length: int) -> list[str]:
        """A serial's own sequence where it is not what `serial`/`bigserial` makes (another
        type, start or step): SQLAlchemy's SERIAL makes the default one, this DDL turns it
        into the database's, as export does."""
        return [
            self.view_statement("", sql, line_length, only_pg=True)
            for table in self.schema.tables
            for sql in serial_sequences_sql(table)
        ]

    def security_statements(self, line_length: int, *, early: bool) -> list[str]:
        """PostgreSQL's security (`core/security.py`) as DDL on PostgreSQL only, as export
        writes it: default privileges before anything is created (an object made afterwards
        receives them, as in the database they were read from), then, once everything exists,
        schema owners, grants and revocations, row level security, policies and comments.
        SQLAlchemy's metadata has no place of its own for any of them; without these the
        models would lose them silently. `early`: the default privileges, else the rest."""
        security = self.schema.security
        if early:
            return [
                self.view_statement("", sql, line_length, event="before_create", only_pg=True)
                for sql in default_privilege_statements(security)
            ]
        return [self.view_statement("", sql, line_length, only_pg=True) for sql in render_security(security)]

    def object_statements(self, line_length: int, *, first: bool) -> list[str]:
        """PostgreSQL's domains, sequences, materialized views and aggregates
        (`core/pg_objects.py`) as DDL on PostgreSQL only. `first`: domains and sequences before
        the tables, then a domain's columns given their domain (SQLAlchemy writes the base
        type), before the views that may read them; otherwise the sequences' owners,
        aggregates and materialized views, after the tables, functions and views."""
        pg = functools.partial(self.view_statement, "", line_length=line_length, only_pg=True)
        if first:
            out = [pg(sql, event="before_create") for d in self.schema.domains for sql in create_sql(d)]
            unowned = (q.model_copy(update={"owned_by": None}) for q in self.schema.sequences)
            out += [pg(sql, event="before_create") for q in unowned for sql in create_sql(q)]
            for table in self.schema.tables:
                for c in table.columns:
                    if c.domain is not None:
                        head = f"ALTER TABLE {relation(table.name)} ALTER COLUMN {quote_ident(c.name)}"
                        out.append(pg(f"{head} TYPE {relation(c.domain)}"))
            return out
        out = [pg(create_sql(q)[-1]) for q in self.schema.sequences if q.owned_by is not None]
        out += [pg(sql) for a in self.schema.aggregates for sql in create_sql(a)]
        views = materialized_views_in_order(self.schema.materialized_views)
        out += [pg(sql) for v in views for sql in create_sql(v)]
        return out + [pg(sql) for p in partitions_in_order(self.schema.partitions) for sql in create_sql(p)]

    def view_statement(
        self, name: str, sql: str, line_length: int, *, event: str = "after_create", only_pg: bool = False
    ) -> str:
        # DDL() formats its text with %: a literal % is written %%
        ddl: Expr = call(self.use("DDL"), Str(sql.replace("%", "%%")))
        if only_pg:
            ddl = call(Attr(ddl, "execute_if"), Kw("dialect", Str("postgresql")))
        listen = call(Attr(Code(self.use("event")), "listen"), Code("Base.metadata"), Str(event), ddl)
        printed = format_module([Assign("_", listen)], line_length).removeprefix("_ = ")
        return "\n" + printed

    # --- tables ------------------------------------------------------------------------

    def class_body(self, table: Table) -> list[Assign]:
        body = [Assign("__tablename__", Str(table.name))]
        taken = set(_RESERVED) | {"__tablename__"}
        pk_inline = self.pk_inline(table)
        for c in table.columns:
            attr = c.name if c.name.isidentifier() and c.name not in taken and not keyword.iskeyword(c.name) else None
            attr = attr or _identifier(c.name, taken)
            taken.add(attr)
            args, kws = self.column_args(table, c, pk_inline)
            if attr != c.name:
                args.insert(0, Str(c.name))
            annotation = f"{self.use('Mapped', orm=True)}[{self.python_type(c)}]"
            body.append(Assign(f"{attr}: {annotation}", call(self.use("mapped_column", orm=True), *args, *kws)))
        extra = self.table_args(table, pk_inline)
        if table.partition_by is not None:  # SQLAlchemy's PostgreSQL compiler writes PARTITION BY from it
            key = string_literal(partition_key_text(table.partition_by))
            extra.append(Code('{"postgresql_partition_by": ' + key + "}"))
        if extra:
            body.append(Assign("__table_args__", TupleOf(tuple(extra))))
        return body

    def core_table(self, table: Table) -> Call:
        columns: list[Expr] = []
        for c in table.columns:
            args, kws = self.column_args(table, c, pk_inline=False)
            if not c.nullable:
                kws.append(Kw("nullable", Code("False")))
            columns.append(call(self.use("Column"), Str(c.name), *args, *kws))
        key = [Kw("postgresql_partition_by", Str(partition_key_text(table.partition_by)))] if table.partition_by else []
        return call(
            self.use("Table"), Str(table.name), Code("Base.metadata"), *columns, *self.table_args(table, False), *key
        )

    def pk_inline(self, table: Table) -> bool:
        pk = table.primary_key
        if pk is None or pk.name != primary_key_name(table.name):
            return False
        return pk.columns == tuple(c for c in table.column_names if c in pk.columns)

    def column_args(self, table: Table, c: Column, pk_inline: bool) -> tuple[list[Expr], list[Expr]]:
        args: list[Expr] = [self.type_expr(table, c)]
        kws: list[Expr] = []
        pk = table.primary_key_columns
        for f in table.foreign_keys:
            if self.fk_inline(table, f) and f.columns == (c.name,):
                args.append(call(self.use("ForeignKey"), self.ref(table, f, f.ref_columns[0]), *self.fk_kws(f)))
        kind = c.type.kind
        if kind in SERIAL_KINDS and c.name not in pk:
            args.append(call(self.use("Sequence"), Str(f"{table.name}_{c.name}_seq")))
        if pk_inline and c.name in pk:
            kws.append(Kw("primary_key", Code("True")))
        if c.name in pk and (kind in INTEGER_KINDS or kind in SERIAL_KINDS) and not c.type.array_dims:
            # SQLAlchemy makes a lone integer key SERIAL unless told; in a composite key, only when told
            serial = kind in SERIAL_KINDS
            lone = len(pk) == 1 and not any(c.name in f.columns for f in table.foreign_keys)
            if serial != lone:
                kws.append(Kw("autoincrement", Code("True" if serial else "False")))
        for u in table.uniques:
            if u.columns == (c.name,) and u.name == unique_name(table.name, u.columns) and not u.nulls_not_distinct:
                kws.append(Kw("unique", Code("True")))
        sql = default_sql(c)
        if sql is not None:
            kws.append(Kw("server_default", self.text_(sql)))
        return args, kws

    def type_expr(self, table: Table, c: Column) -> Expr:
        ctype = c.type
        k = ctype.kind
        expr: Expr
        if k is TypeKind.ENUM:
            if ctype.name not in self.enum_names:
                raise SchemaError(f'table "{table.name}", column "{c.name}": enum "{ctype.name}" is not defined')
            expr = Code(self.enum_names[ctype.name])
        elif k is TypeKind.CUSTOM:
            found = _CUSTOM.get(ctype.name or "")
            if found is None:
                raise SchemaError(
                    f'table "{table.name}", column "{c.name}": type {ctype.name} has no SQLAlchemy spelling'
                    " mizzle writes (write this table as a .py DSL or .sql schema)"
                )
            expr = _type(self.use(found[0]), [])
        else:
            name = _TYPES[k][0]
            args: list[Expr] = []
            if ctype.length is not None:
                args = [Code(str(ctype.length))]
            elif k is TypeKind.NUMERIC and ctype.precision is not None:
                args = [Code(str(ctype.precision))]
                if ctype.scale is not None:
                    args.append(Code(str(ctype.scale)))
            elif ctype.precision is not None:  # fractional seconds: only PostgreSQL's own types take them
                name = {TypeKind.TIME: "postgresql.TIME"}.get(k, "postgresql.TIMESTAMP")
                args = [Kw("precision", Code(str(ctype.precision)))]
            if k is TypeKind.TIMESTAMPTZ:
                args.append(Kw("timezone", Code("True")))
            expr = _type(self.use(name), args)
        if ctype.array_dims:
            dims = [Kw("dimensions", Code(str(ctype.array_dims)))] if ctype.array_dims > 1 else []
            expr = call(self.use("postgresql.ARRAY"), expr, *dims)
        return expr

    def python_type(self, c: Column) -> str:
        k = c.type.kind
        if k is TypeKind.ENUM:
            base = "str"
        elif k is TypeKind.CUSTOM:
            base = _CUSTOM.get(c.type.name or "", ("", "Any"))[1]
        else:
            base = _TYPES[k][1]
        if "." in base or base == "Any":
            self.stdlib.add(base.split(".")[0])
        for _ in range(c.type.array_dims):
            base = f"list[{base}]"
        return f"{base} | None" if c.nullable else base

    # --- constraints and indexes -------------------------------------------------------

    def ref(self, table: Table, f: ForeignKey, column: str) -> Str:
        """`"table.column"`, as SQLAlchemy parses a reference: at its dots, so a dot in a name
        would point somewhere else; refused rather than written wrong. A table of another
        schema (`auth.users`) is refused too: the models' MetaData would need that table."""
        if f.ref_schema is not None:
            raise SchemaError(
                f'table "{table.name}", foreign key "{f.name}": references {f.ref_shown}, a table of another '
                "schema, which SQLAlchemy models cannot reference without declaring it; "
                "write this schema as a .py DSL or .sql schema"
            )
        if "." in f.ref_table or "." in column:
            raise SchemaError(
                f'table "{table.name}", foreign key "{f.name}": SQLAlchemy cannot reference a name with a dot'
                f' ("{f.ref_table}"."{column}"); write this schema as a .py DSL or .sql schema'
            )
        return Str(f"{f.ref_table}.{column}")

    def fk_inline(self, table: Table, f: ForeignKey) -> bool:
        return len(f.columns) == 1 and f.name == foreign_key_name(table.name, f.columns)

    def fk_kws(self, f: ForeignKey) -> list[Expr]:
        out: list[Expr] = []
        if f.on_delete != "no action":
            out.append(Kw("ondelete", Str(_FK_ACTIONS[f.on_delete])))
        if f.on_update != "no action":
            out.append(Kw("onupdate", Str(_FK_ACTIONS[f.on_update])))
        if f.deferrable:
            out.append(Kw("deferrable", Code("True")))
        if f.initially_deferred:
            out.append(Kw("initially", Str("DEFERRED")))
        return out

    def table_args(self, table: Table, pk_inline: bool) -> list[Expr]:
        out: list[Expr] = []
        pk = table.primary_key
        if pk is not None and not pk_inline:
            out.append(call(self.use("PrimaryKeyConstraint"), *[Str(c) for c in pk.columns], Kw("name", Str(pk.name))))
        for f in table.foreign_keys:
            if not self.fk_inline(table, f):
                columns = ListOf(tuple(Str(c) for c in f.columns))
                refs = ListOf(tuple(self.ref(table, f, c) for c in f.ref_columns))
                kws = [*self.fk_kws(f), Kw("name", Str(f.name))]
                out.append(call(self.use("ForeignKeyConstraint"), columns, refs, *kws))
        for u in table.uniques:
            if len(u.columns) > 1 or u.name != unique_name(table.name, u.columns) or u.nulls_not_distinct:
                # SQLAlchemy's PostgreSQL compiler writes NULLS NOT DISTINCT from this keyword
                nnd = [Kw("postgresql_nulls_not_distinct", Code("True"))] if u.nulls_not_distinct else []
                keys = [Str(c) for c in u.columns]
                out.append(call(self.use("UniqueConstraint"), *keys, Kw("name", Str(u.name)), *nnd))
        for ch in table.checks:
            out.append(
                call(self.use("CheckConstraint"), self.text_(ch.expr.render("postgres")), Kw("name", Str(ch.name)))
            )
        out += [self.index(i) for i in table.indexes]
        return out

    def index(self, i: Index) -> Expr:
        args: list[Expr] = [Str(i.name), *(self.index_key(k) for k in i.keys)]
        if i.unique:
            args.append(Kw("unique", Code("True")))
        if i.method != "btree":
            args.append(Kw("postgresql_using", Str(i.method)))
        if i.where is not None:
            args.append(Kw("postgresql_where", self.text_(i.where.render("postgres"))))
        if i.nulls_not_distinct:
            args.append(Kw("postgresql_nulls_not_distinct", Code("True")))
        return call(self.use("Index"), *args)

    def index_key(self, k: IndexKey) -> Expr:
        if k.column is not None and not k.desc and k.nulls is None and k.opclass is None and k.collation is None:
            return Str(k.column)
        sql = quote_ident(k.column) if k.column is not None else f"({k.expr.render('postgres') if k.expr else ''})"
        if k.collation is not None:
            sql += f" COLLATE {relation(k.collation)}"
        if k.opclass is not None:
            sql += f" {relation(k.opclass)}"
        if k.desc:
            sql += " DESC"
        if k.nulls is not None:
            sql += f" NULLS {k.nulls.upper()}"
        return self.text_(sql)
