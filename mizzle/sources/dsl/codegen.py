"""The schema as Python DSL source (`mizzle pull --out schema.py`).

`schema_to_python(schema)` writes a module that `load_schema` reads back into the very same
schema, laid out as `ruff format` would (see `pyformat.py`) and written to be read:

- enums first, then tables in foreign-key order (a lambda only where a reference points at
  a class defined later or at its own class), then views;
- class names are the table names in PascalCase, `__tablename__` only when the class name
  does not give the table name back; attributes are the column names, with `.name("...")`
  only for names that cannot be an attribute (not an identifier, a keyword, not snake_case,
  or a name the class body needs for something else);
- single-column keys, uniques and foreign keys sit on their column; composite ones, checks
  and indexes in `__primary_key__`, `__uniques__`, `__foreign_keys__`, `__checks__`,
  `__indexes__` (tuples: a list there is a mutable class attribute to linters);
- a constraint or index name is written only when it differs from the name PostgreSQL
  would give it, which the DSL gives back (`dsl/draft.py` decides both);
- expressions are `sql("...")` in their canonical text.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from mizzle.core.canonical import pg_expr
from mizzle.core.diff_pg_objects import partitions_in_order
from mizzle.core.errors import MizzleError, SchemaError
from mizzle.core.expr import SqlExpr, qualify_single_table_columns
from mizzle.core.model import (
    Check,
    Column,
    ExprDefault,
    ForeignKey,
    Identity,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    Scalar,
    Schema,
    Table,
    Unique,
)
from mizzle.core.sequence_options import NUMBERED_OPTIONS, SequenceOptions
from mizzle.core.sync.parts import SYNC_COLUMN_SPECS
from mizzle.core.types import INTEGER_KINDS, NUMBER_KINDS, SERIAL_KINDS, ColumnType, TypeKind
from mizzle.dialects.postgresql.partitions_sql import partition_key_text
from mizzle.sources import dsl
from mizzle.sources.dsl.codegen_security import SecurityWriter
from mizzle.sources.dsl.draft import UNNAMED, TableDraft, name_drafts
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
    Lambda,
    ListOf,
    Statement,
    Str,
    TupleOf,
    call,
    format_module,
    method,
    string_literal,
    text_width,
)
from mizzle.sources.dsl.table import snake_case

HEADER = "The database schema in mizzle's Python DSL (written by `mizzle pull`)."
LINE_LENGTH = 100

#: neutral kind → the DSL builder (enum and custom types are spelled apart).
_BUILDERS: dict[TypeKind, str] = {
    TypeKind.SMALLINT: "smallint",
    TypeKind.INTEGER: "integer",
    TypeKind.BIGINT: "bigint",
    TypeKind.SERIAL: "serial",
    TypeKind.BIGSERIAL: "bigserial",
    TypeKind.BOOLEAN: "boolean",
    TypeKind.TEXT: "text",
    TypeKind.VARCHAR: "varchar",
    TypeKind.CHAR: "char",
    TypeKind.NUMERIC: "numeric",
    TypeKind.REAL: "real",
    TypeKind.DOUBLE: "double",
    TypeKind.DATE: "date",
    TypeKind.TIME: "time",
    TypeKind.TIMESTAMP: "timestamp",
    TypeKind.TIMESTAMPTZ: "timestamptz",
    TypeKind.UUID: "uuid",
    TypeKind.JSON: "json",
    TypeKind.JSONB: "jsonb",
    TypeKind.BYTES: "bytea",
    TypeKind.CUSTOM: "custom",
}
_DECIMAL_KINDS = NUMBER_KINDS - INTEGER_KINDS - SERIAL_KINDS
_DSL_NAMES = frozenset(dsl.__all__)
_INTEGER_TEXT = re.compile(r"-?[0-9]+")
_DECIMAL_TEXT = re.compile(r"-?[0-9]+\.[0-9]+")


def schema_to_python(schema: Schema, *, header: str = HEADER, line_length: int = LINE_LENGTH) -> str:
    """The DSL module that declares `schema` (see the module docstring)."""
    return _Writer(schema).module(header, line_length)


# --- names ---------------------------------------------------------------------------------


def pascal_case(name: str) -> str:
    """`practice_record` → `PracticeRecord` (letters and digits only)."""
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", name) if p]
    result = "".join(p[0].upper() + p[1:] for p in parts)
    return result if result and not result[0].isdigit() else "T" + result


def is_attribute_name(name: str) -> bool:
    """Whether a column name can be its own attribute: the DSL then gives the name back."""
    return (
        name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("__") and snake_case(name) == name
    )


def _attribute_for(name: str) -> str:
    """A readable attribute for a column name that cannot be one (`.name()` carries the name)."""
    text = snake_case(re.sub(r"\W+", "_", name, flags=re.ASCII)).strip("_") or "column"
    if keyword.iskeyword(text):
        return text + "_"
    return "c_" + text if text[0].isdigit() else text


def _unique(candidate: str, taken: set[str]) -> str:
    while candidate in taken or keyword.iskeyword(candidate) or candidate in ("None", "True", "False"):
        candidate += "_"
    taken.add(candidate)
    return candidate


def _free_names(expr: Expr) -> set[str]:
    """Names an expression reads when it runs in a class body (a lambda body reads none there)."""
    if isinstance(expr, Code):
        return {expr.text} if expr.text.isidentifier() else set()
    if isinstance(expr, (Str, Lambda)):
        return set()
    if isinstance(expr, Attr):
        return _free_names(expr.value)
    if isinstance(expr, Kw):
        return _free_names(expr.value)
    if isinstance(expr, Call):
        names = _free_names(expr.func)
        for arg in expr.args:
            names |= _free_names(arg)
        return names
    names = set()
    for item in expr.items:
        names |= _free_names(item)
    return names


# --- what each table writes ----------------------------------------------------------------


@dataclass
class _Plan:
    """A table as the class will declare it: which objects sit on columns, which at the table
    level, and (decided by `_Writer.decide_names`) which need their names written."""

    table: Table
    class_name: str
    #: column name → attribute
    attributes: dict[str, str] = field(default_factory=dict)
    pk_on_column: bool = False
    column_uniques: list[Unique] = field(default_factory=list)
    table_uniques: list[Unique] = field(default_factory=list)
    column_fks: list[ForeignKey] = field(default_factory=list)
    table_fks: list[ForeignKey] = field(default_factory=list)
    #: id() of the model objects whose name must be written
    explicit: set[int] = field(default_factory=set)

    def draft(self) -> TableDraft:
        """The table as the DSL will see it: lists in declaration order, names left out where
        not explicit."""
        unnamed = [o if id(o) in self.explicit else o.model_copy(update={"name": UNNAMED}) for o in self.objects()]
        return _draft(self.table, unnamed)

    def objects(self) -> list[Named]:
        """Every named object, in the DSL's order (see `_objects`)."""
        t = self.table
        pk: list[Named] = [t.primary_key] if t.primary_key else []
        return [
            *t.checks,
            *pk,
            *self.column_uniques,
            *self.table_uniques,
            *self.column_fks,
            *self.table_fks,
            *t.indexes,
        ]


Named = Check | PrimaryKey | Unique | ForeignKey | Index


def _objects(d: TableDraft) -> list[Named]:
    pk: list[Named] = [d.primary_key] if d.primary_key else []
    return [*d.checks, *pk, *d.uniques, *d.foreign_keys, *d.indexes]


def _draft(table: Table, objects: list[Named]) -> TableDraft:
    """A draft of `table` holding `objects` (in `_objects` order)."""
    d = TableDraft(table.name, table.columns)
    for o in objects:
        if isinstance(o, Check):
            d.checks.append(o)
        elif isinstance(o, PrimaryKey):
            d.primary_key = o
        elif isinstance(o, Unique):
            d.uniques.append(o)
        elif isinstance(o, ForeignKey):
            d.foreign_keys.append(o)
        else:
            d.indexes.append(o)
    return d


def _as_declared(table: Table) -> Table:
    """A sync table as its class declares it: `__sync__ = True` appends the sync columns,
    so they are left out when they end the table exactly as sync adds them (the index on
    sync_seq stays written: it is then the table's own and sync adds none)."""
    n = len(SYNC_COLUMN_SPECS)
    if table.sync and table.columns[-n:] == SYNC_COLUMN_SPECS:
        return table.model_copy(update={"columns": table.columns[:-n]})
    return table


class _Writer:
    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        taken = set(_DSL_NAMES)
        self.enum_names = {e.name: _unique(pascal_case(e.name), taken) for e in schema.enums}
        order = _dependency_order(schema.tables)
        self.plans = [self.plan(t, _unique(pascal_case(t.name), taken)) for t in order]
        self.position = {p.table.name: i for i, p in enumerate(self.plans)}
        self.by_table = {p.table.name: p for p in self.plans}
        self.view_names = {v.name: _unique(pascal_case(v.name), taken) for v in schema.views}
        self.used: set[str] = set()
        #: the names `code` gave extensions, functions and triggers
        self.code_names: set[str] = set()
        self.security = SecurityWriter(schema.security, {t.name for t in schema.tables})
        self.decide_names()
        for p in self.plans:
            self.decide_attributes(p)

    # --- planning ----------------------------------------------------------------------

    def plan(self, table: Table, class_name: str) -> _Plan:
        table = _as_declared(table)
        p = _Plan(table, class_name)
        taken = set(table.column_names)
        for c in table.columns:
            if is_attribute_name(c.name):
                p.attributes[c.name] = c.name
        for c in table.columns:
            if c.name not in p.attributes:
                p.attributes[c.name] = _unique(_attribute_for(c.name), taken | set(p.attributes.values()))
        p.pk_on_column = table.primary_key is not None and len(table.primary_key.columns) == 1

        def on_column(columns: tuple[str, ...]) -> bool:
            return len(columns) == 1 and table.column(columns[0]) is not None

        # column-level ones in column order, as the DSL collects them
        # a column's `.unique()` has no NULLS NOT DISTINCT option: such a unique is a table one
        p.column_uniques = [
            u for c in table.columns for u in table.uniques if u.columns == (c.name,) and not u.nulls_not_distinct
        ]
        p.table_uniques = [u for u in table.uniques if not on_column(u.columns) or u.nulls_not_distinct]
        p.column_fks = [f for c in table.columns for f in table.foreign_keys if f.columns == (c.name,)]
        p.table_fks = [f for f in table.foreign_keys if not on_column(f.columns)]
        return p

    def decide_names(self) -> None:
        """Mark for writing every name the DSL would not give back by itself. Writing one name
        can change the names the DSL picks for others (it reserves written names first), so
        repeat until the DSL gives back every name left out."""
        views = [v.name for v in self.schema.views]
        while True:
            named = name_drafts([p.draft() for p in self.plans], views)
            changed = False
            for plan, draft in zip(self.plans, named, strict=True):
                for obj, given in zip(plan.objects(), _objects(draft), strict=True):
                    if obj.name != given.name and id(obj) not in plan.explicit:
                        plan.explicit.add(id(obj))
                        changed = True
            if not changed:
                return

    def decide_attributes(self, plan: _Plan) -> None:
        """Rename an attribute the class body reads after declaring it (`date = date()` is fine,
        but not when a later line calls `date()`): the attribute would shadow the name."""
        statements = self.class_body(plan)
        read_later: dict[str, set[str]] = {}
        later: set[str] = set()
        for stmt in reversed(statements):
            read_later[stmt.target] = set(later)
            later |= _free_names(stmt.value)
        taken = set(plan.table.column_names) | set(plan.attributes.values())
        for c in plan.table.columns:
            attr = plan.attributes[c.name]
            if attr in read_later[attr]:
                plan.attributes[c.name] = _unique(attr + "_", taken)

    # --- the module ----------------------------------------------------------------------

    def module(self, header: str, line_length: int) -> str:
        body: list[Statement] = []
        for e in self.schema.enums:
            values = ListOf(tuple(Str(v) for v in e.values))
            body.append(Assign(self.enum_names[e.name], call(self.use("Enum"), Str(e.name), values)))
        for p in self.plans:
            body.append(ClassDef(p.class_name, (self.use("Table"),), tuple(self.class_body(p))))
        for v in self.schema.views:
            query = call(self.use("sql"), Str(_spelled(v.query, view=True)))
            body.append(Assign(self.view_names[v.name], call(self.use("View"), Str(v.name), query)))
        body += self.code(line_length)
        body += self.objects(line_length)
        body += self.security.module_body(self.use)
        names = sorted(self.used, key=lambda n: (not n[0].isupper(), n))
        head: list[Statement] = [Docstring(header)] if header else []
        if names:
            head.append(ImportFrom("mizzle.dsl", tuple(names)))
        return format_module(head + body, line_length)

    def use(self, name: str) -> str:
        self.used.add(name)
        return name

    def code(self, width: int) -> list[Statement]:
        """Extensions, functions, SQLite's virtual tables, then triggers (which may write the
        virtual tables; `mizzle.sources.dsl.code`), their SQL verbatim."""
        taken = set(self.enum_names.values()) | {p.class_name for p in self.plans} | set(self.view_names.values())
        taken |= set(_DSL_NAMES)
        out: list[Statement] = []
        for x in self.schema.extensions:
            args: list[Expr] = [Str(x.name)]
            args += [Kw("schema", Str(x.schema_name))] if x.schema_name is not None else []
            args += [Kw("version", Str(x.version))] if x.version is not None else []
            out.append(Assign(_unique(pascal_case(x.name), taken), call(self.use("extension"), *args)))
        for f in self.schema.functions:
            out.append(
                Assign(_unique(pascal_case(f.name), taken), call(self.use("function"), _sql_text(f.definition, width)))
            )
        for v in self.schema.virtual_tables:
            args = [Str(v.name), _sql_text(v.sqlite, width)]
            out.append(Assign(_unique(pascal_case(v.name), taken), call(self.use("virtual_table"), *args)))
        for p in self.plans:
            for t in p.table.triggers:
                args = [Str(t.name), Code(p.class_name)]
                args += [
                    Kw(k, _sql_text(v, width)) for k in ("postgresql", "sqlite") if (v := getattr(t, k)) is not None
                ]
                args += [Kw("state", Str(t.state))] if t.state != "enabled" else []
                out.append(Assign(_unique(pascal_case(t.name), taken), call(self.use("trigger"), *args)))
        self.code_names = taken
        return out

    def objects(self, width: int) -> list[Statement]:
        """Domains, sequences, materialized views, aggregates, partitions (`mizzle.sources.dsl.objects`)."""
        taken = set(self.enum_names.values()) | {p.class_name for p in self.plans} | set(self.view_names.values())
        taken |= set(_DSL_NAMES) | self.code_names
        out: list[Statement] = []

        def add(name: str, value: Expr) -> None:
            out.append(Assign(_unique(pascal_case(name.replace(".", "_")), taken), value))

        for d in self.schema.domains:
            args: list[Expr] = [Str(d.name), Str(d.base_type)]
            args += [Kw("default", Str(d.default.sql))] if d.default is not None else []
            args += [Kw("not_null", Code("True"))] if d.not_null else []
            if d.checks:
                body = ", ".join(f"{string_literal(c.name)}: {string_literal(c.expr.sql)}" for c in d.checks)
                args.append(Kw("checks", Code("{" + body + "}")))
            add(d.name, call(self.use("domain"), *args))
        for q in self.schema.sequences:
            args = [Str(q.name)]
            args += [Kw("data_type", Str(q.data_type))] if q.data_type != "bigint" else []
            args += sequence_kws(q)
            args += [Kw("owned_by", Str(q.owned_by))] if q.owned_by is not None else []
            add(q.name, call(self.use("sequence"), *args))
        for a in self.schema.aggregates:
            add(a.name, call(self.use("aggregate"), _sql_text(a.definition, width)))
        for v in self.schema.materialized_views:
            args = [Str(v.name), _sql_text(v.query, width)]
            args += [Kw("with_data", Code("False"))] if not v.with_data else []
            if v.indexes:
                args.append(Kw("indexes", ListOf(tuple(Str(i) for i in v.indexes))))
            add(v.name, call(self.use("materialized_view"), *args))
        for part in partitions_in_order(self.schema.partitions):
            args = [Str(part.name), Kw("of", Str(part.parent)), Kw("values", Str(part.bound))]
            if part.partition_by is not None:
                args.append(Kw("partition_by", Str(partition_key_text(part.partition_by))))
            if part.indexes:
                args.append(Kw("indexes", ListOf(tuple(Str(i) for i in part.indexes))))
            if part.constraints:
                pairs = tuple(TupleOf((Str(c.name), Str(c.definition))) for c in part.constraints)
                args.append(Kw("constraints", ListOf(pairs)))
            add(part.name, call(self.use("partition"), *args))
        return out

    def class_body(self, p: _Plan) -> list[Assign]:
        body = []
        if snake_case(p.class_name) != p.table.name:
            body.append(Assign("__tablename__", Str(p.table.name)))
        body += [Assign(p.attributes[c.name], self.column(p, c)) for c in p.table.columns]
        body += self.table_level(p)
        if p.table.sync:
            body.append(Assign("__sync__", Code("True")))
        if p.table.partition_by is not None:
            body.append(Assign("__partition_by__", Str(partition_key_text(p.table.partition_by))))
        return body + self.security.table_body(p.table.name, self.use)

    def table_level(self, p: _Plan) -> list[Assign]:
        t = p.table
        out = []
        if t.primary_key is not None and not p.pk_on_column:
            args = [Str(c) for c in t.primary_key.columns] + self.name_kw(p, t.primary_key)
            out.append(Assign("__primary_key__", call(self.use("primary_key"), *args)))
        if p.table_uniques:
            uniques = [
                call(
                    self.use("unique"),
                    *[Str(c) for c in u.columns],
                    *([Kw("nulls_not_distinct", Code("True"))] if u.nulls_not_distinct else []),
                    *self.name_kw(p, u),
                )
                for u in p.table_uniques
            ]
            out.append(Assign("__uniques__", TupleOf(tuple(uniques))))
        if p.table_fks:
            out.append(Assign("__foreign_keys__", TupleOf(tuple(self.foreign_key(p, f) for f in p.table_fks))))
        if t.checks:
            checks = [call(self.use("check"), Str(_spelled(c.expr)), *self.name_kw(p, c)) for c in t.checks]
            out.append(Assign("__checks__", TupleOf(tuple(checks))))
        if t.indexes:
            out.append(Assign("__indexes__", TupleOf(tuple(self.index(p, i) for i in t.indexes))))
        return out

    def name_kw(self, p: _Plan, obj: Named) -> list[Expr]:
        return [Kw("name", Str(obj.name))] if id(obj) in p.explicit else []

    # --- columns -------------------------------------------------------------------------

    def column(self, p: _Plan, c: Column) -> Expr:
        expr = self.type_expr(c.type)
        attr = p.attributes[c.name]
        if attr != c.name:
            expr = method(expr, "name", Str(c.name))
        pk = p.table.primary_key
        in_pk = pk is not None and c.name in pk.columns
        if pk is not None and p.pk_on_column and in_pk:
            expr = method(expr, "primary_key", *self.name_kw(p, pk))
        if c.identity is not None:
            expr = method(expr, "identity", *self.identity_kws(c.identity))
        elif not c.nullable and not in_pk:
            expr = method(expr, "not_null")
        if c.sequence is not None:
            data_type = [Kw("data_type", Str(c.sequence.data_type))] if c.sequence.data_type else []
            expr = method(expr, "sequence", *data_type, *sequence_kws(c.sequence))
        for u in p.column_uniques:
            if u.columns == (c.name,):
                expr = method(expr, "unique", *self.name_kw(p, u))
        if c.default is not None:
            expr = method(expr, "default", self.default(c))
        if c.generated is not None:
            expr = method(expr, "generated", Str(_spelled(c.generated)))
        if c.domain is not None:
            expr = method(expr, "domain", Str(c.domain))
        sqlite: list[Expr] = []
        if c.sqlite_type is not None:
            sqlite.append(Kw("type", Str(c.sqlite_type)))
        if c.sqlite_default is not None:
            sqlite.append(Kw("default", Str(c.sqlite_default)))
        if c.sqlite_autoincrement:
            sqlite.append(Kw("autoincrement", Code("True")))
        if c.sqlite_null_key:
            sqlite.append(Kw("null_key", Code("True")))
        if sqlite:
            expr = method(expr, "sqlite", *sqlite)
        for f in p.column_fks:
            if f.columns == (c.name,):
                expr = method(expr, "references", *self.reference(p, f))
        return expr

    def identity_kws(self, identity: Identity) -> list[Expr]:
        out: list[Expr] = [Kw("always", Code("True"))] if identity.always else []
        return out + sequence_kws(identity)

    def type_expr(self, ctype: ColumnType) -> Expr:
        k = ctype.kind
        if k is TypeKind.ENUM:
            assert ctype.name is not None
            if ctype.name not in self.enum_names:
                raise SchemaError(f'enum "{ctype.name}" is used by a column but not defined')
            expr: Expr = method(Code(self.enum_names[ctype.name]), "column")
        else:
            args: list[Expr] = []
            if k is TypeKind.CUSTOM:
                args = [Str(ctype.name or "")]
            elif k is TypeKind.CHAR or (k is TypeKind.VARCHAR and ctype.length is not None):
                # char's length is always written: `char()` means char(1), `char(None)` bpchar
                args = [Code(str(ctype.length))]
            elif k is TypeKind.NUMERIC and ctype.precision is not None:
                args = [Code(str(ctype.precision))]
                if ctype.scale != 0:
                    args.append(Code(str(ctype.scale)))
            elif ctype.precision is not None:
                args = [Code(str(ctype.precision))]
            expr = call(self.use(_BUILDERS[k]), *args)
        if ctype.array_dims == 1:
            expr = method(expr, "array")
        elif ctype.array_dims:
            expr = method(expr, "array", Kw("dims", Code(str(ctype.array_dims))))
        return expr

    def default(self, c: Column) -> Expr:
        d = c.default
        if isinstance(d, NowDefault):
            # `sql("CURRENT_TIMESTAMP")` reads back as the same default, spelling kept
            return call(self.use("sql"), Str(d.pg)) if d.pg is not None else call(self.use("now"))
        if isinstance(d, RandomUuidDefault):
            return call(self.use("random_uuid"))
        if isinstance(d, ExprDefault):
            return call(self.use("sql"), Str(_spelled(d.expr)))
        assert isinstance(d, LiteralDefault)
        if d.pg is not None:
            # `sql("'active'::text")` reads back as the same literal, its cast kept
            return call(self.use("sql"), Str(d.pg))
        if isinstance(d.value, list):
            return ListOf(tuple(_literal(v, c.type.element) for v in d.value))
        return _literal(d.value, c.type)

    def target_class(self, p: _Plan, table: str) -> tuple[str, bool] | None:
        """The class of `table`, and whether it must be read in a lambda (defined later, or own)."""
        target = self.by_table.get(table)
        if target is None:
            return None
        return target.class_name, self.position[table] >= self.position[p.table.name]

    def reference(self, p: _Plan, f: ForeignKey) -> list[Expr]:
        found = self.target_class(p, f.ref_table) if f.ref_schema is None else None
        target_plan = self.by_table.get(f.ref_table)
        ref = f.ref_columns[0]
        if found is None or target_plan is None or target_plan.table.column(ref) is None:
            target: Expr = Str(f"{f.ref_shown}.{ref}")
        else:
            class_name, lazy = found
            column = Attr(Code(class_name), target_plan.attributes[ref])
            target = Lambda(column) if lazy else column
        return [target, *self.actions(p, f)]

    def foreign_key(self, p: _Plan, f: ForeignKey) -> Expr:
        found = self.target_class(p, f.ref_table) if f.ref_schema is None else None
        if found is None:
            target: Expr = Str(f.ref_shown)
        else:
            class_name, lazy = found
            target = Lambda(Code(class_name)) if lazy else Code(class_name)
        columns = ListOf(tuple(Str(c) for c in f.columns))
        ref_columns = ListOf(tuple(Str(c) for c in f.ref_columns))
        return call(self.use("foreign_key"), columns, target, ref_columns, *self.actions(p, f))

    def actions(self, p: _Plan, f: ForeignKey) -> list[Expr]:
        out: list[Expr] = []
        if f.on_delete != "no action":
            out.append(Kw("on_delete", Str(f.on_delete)))
        if f.on_update != "no action":
            out.append(Kw("on_update", Str(f.on_update)))
        if f.deferrable:
            out.append(Kw("deferrable", Code("True")))
        if f.initially_deferred:
            out.append(Kw("initially_deferred", Code("True")))
        return out + self.name_kw(p, f)

    def index(self, p: _Plan, i: Index) -> Expr:
        args: list[Expr] = [self.index_key(k) for k in i.keys]
        if i.unique:
            args.append(Kw("unique", Code("True")))
        if i.where is not None:
            args.append(Kw("where", call(self.use("sql"), Str(_spelled(i.where)))))
        if i.method != "btree":
            args.append(Kw("method", Str(i.method)))
        if i.nulls_not_distinct:
            args.append(Kw("nulls_not_distinct", Code("True")))
        return call(self.use("index"), *args, *self.name_kw(p, i))

    def index_key(self, k: IndexKey) -> Expr:
        key: Expr = (
            Str(k.column) if k.column is not None else call(self.use("sql"), Str(_spelled(k.expr) if k.expr else ""))
        )
        if not k.desc and k.nulls is None and k.opclass is None and k.collation is None:
            return key
        nulls: list[Expr] = [Kw("nulls", Str(k.nulls))] if k.nulls else []
        nulls += [Kw("opclass", Str(k.opclass))] if k.opclass else []
        nulls += [Kw("collation", Str(k.collation))] if k.collation else []
        return call(self.use("desc" if k.desc else "asc"), key, *nulls)


def sequence_kws(options: SequenceOptions) -> list[Expr]:
    """A sequence's options as the DSL's keywords (`start=10, cycle=True`), the unsaid left out."""
    out: list[Expr] = []
    for option in NUMBERED_OPTIONS:
        value = getattr(options, option)
        if value is not None:
            out.append(Kw(option, Code(str(value))))
    return out + ([Kw("cycle", Code("True"))] if options.cycle else [])


def _sql_text(text: str, width: int) -> Expr:
    """SQL code as a string: a multi-line one as a triple-quoted string, read as it is written,
    when nothing in it needs escaping and its lines fit the module's width without ending in
    blanks (a written module keeps neither); else as an ordinary string literal."""
    lines = text.split("\n")
    plain = "\\" not in text and '"""' not in text and "\r" not in text and not text.endswith('"')
    fits = all(line == line.rstrip() and text_width(line) <= width - 8 for line in lines)
    if len(lines) == 1 or not plain or not fits:
        return Str(text)
    return Code('"""' + text + '"""')


def _literal(value: Scalar, ctype: ColumnType) -> Expr:
    """A literal default as the DSL takes it back: numbers of numeric, real and double columns
    are written as numbers when the DSL turns them back into the same text."""
    if value is None:
        return Code("None")
    if isinstance(value, bool):
        return Code("True" if value else "False")
    if isinstance(value, int):
        return Code(str(value))
    if ctype.kind in _DECIMAL_KINDS:
        if _INTEGER_TEXT.fullmatch(value) and str(int(value)) == value:
            return Code(value)
        is_float = _DECIMAL_TEXT.fullmatch(value) and repr(float(value)) == value
        if is_float and format(Decimal(value), "f") == value:
            return Code(value)
    return Str(value)


def _dependency_order(tables: Iterable[Table]) -> list[Table]:
    """Tables after the tables they reference, else by name. The tables of a reference cycle
    come together, by name, once the tables the cycle needs are out: only references inside a
    cycle point forward."""
    remaining = sorted(tables, key=lambda t: t.name)
    names = {t.name for t in remaining}
    deps = {t.name: {f.ref_table for f in t.foreign_keys if f.ref_schema is None} & names - {t.name} for t in remaining}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = {start}, [start]
        while todo:
            for n in deps[todo.pop()] - done:
                if n == goal:
                    return True
                if n not in seen:
                    seen.add(n)
                    todo.append(n)
        return start == goal

    done: set[str] = set()
    order: list[Table] = []
    while remaining:
        ready = [t for t in remaining if not deps[t.name] - done]
        if ready:
            picked = ready[:1]
        else:
            # Stuck on cycles: take one whose unmet references all lead back to it (nothing
            # outside the cycle is missing), with the whole cycle.
            first = next(t for t in remaining if all(reaches(d, t.name) for d in deps[t.name] - done))
            picked = [
                t for t in remaining if t is first or (reaches(first.name, t.name) and reaches(t.name, first.name))
            ]
        for t in picked:
            remaining.remove(t)
            done.add(t.name)
            order.append(t)
    return order


def _spelled(expr: SqlExpr, *, view: bool = False) -> str:
    """The text `sql(...)` is written with: the expression's PostgreSQL spelling where reading
    it back as `sql()` does gives the same expression (a pg_dump file's `public.` qualifiers
    do not: the `.sql` reader drops them, `sql()` keeps them), else the canonical text."""
    if expr.pg is None:
        return expr.sql
    try:
        back = pg_expr(expr.pg)
    except MizzleError:
        return expr.sql
    if view:  # as `View` holds its query
        back = back.with_tree(qualify_single_table_columns(back.tree))
    return expr.pg if back == expr else expr.sql
