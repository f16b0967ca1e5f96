"""From Table classes, enums and views to the neutral model (`schema_from_classes`).

Misuse the DSL alone can see (two primary keys, a reference that is not a column, a literal
default the model cannot hold) raises SchemaError naming the table and column; what any
schema can get wrong (unknown columns, missing tables, bad defaults) is left to
`core.validate`, which names its places the same way.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlglot import exp

from mizzle.core import model
from mizzle.core.errors import MizzleError, SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.partitions import parse_partition_key
from mizzle.core.security import Security
from mizzle.core.sync.rules import RuleError, TableRule
from mizzle.core.types import INTEGER_KINDS, JSON_KINDS, NUMBER_KINDS, SERIAL_KINDS, ColumnType, TypeKind
from mizzle.sources.dsl.columns import UNSET, Column, ColumnSpec, Reference
from mizzle.sources.dsl.constraints import (
    CheckDecl,
    ColumnRef,
    ForeignKeyDecl,
    IndexDecl,
    PrimaryKeyDecl,
    UniqueDecl,
)
from mizzle.sources.dsl.draft import UNNAMED, TableDraft, add_sync_parts, name_tables
from mizzle.sources.dsl.security import ServerOnly, server_only_items, table_items
from mizzle.sources.dsl.table import Enum, Table, View, is_abstract, snake_case, table_name

_DECIMAL_KINDS = NUMBER_KINDS - INTEGER_KINDS - SERIAL_KINDS
#: The dunder attributes a Table class reads.
TABLE_OPTIONS = (
    "__tablename__",
    "__abstract__",
    "__primary_key__",
    "__uniques__",
    "__foreign_keys__",
    "__checks__",
    "__indexes__",
    "__sync__",
    "__rls__",
    "__policies__",
    "__grants__",
    "__comment__",
    "__comments__",
    "__partition_by__",
)
D = TypeVar("D")
# Python's own class attributes are not misspelt options (`__qualname__` looks like `__tablename__`).
_KNOWN_DUNDERS = frozenset(TABLE_OPTIONS) | set(vars(Table)) | set(vars(type)) | {"__qualname__", "__annotate__"}


def schema_from_classes(
    tables: Iterable[type[Table]],
    enums: Iterable[Enum] = (),
    views: Iterable[View] = (),
    server_only: Iterable[ServerOnly] = (),
) -> model.Schema:
    """The schema the given declarations describe. Enums used by columns are included even
    when not listed; names are given to unnamed constraints in the order of `tables`;
    security (`dsl/security.py`) from the table classes and the `ServerOnly` blocks."""
    classes = [cls for cls in dict.fromkeys(tables) if not is_abstract(cls)]
    view_list = list(dict.fromkeys(views))
    drafts = [_TableBuilder(cls).draft() for cls in classes]
    enum_models = {model.Enum(name=e.name, values=e.values): None for e in enums}
    for cls in classes:
        for column in cls.__columns__.values():
            if column.spec.enum is not None:
                e = column.spec.enum
                enum_models.setdefault(model.Enum(name=e.name, values=e.values), None)
    view_models = [model.View(name=v.name, query=v.query) for v in view_list]
    items = [item for cls in classes for item in table_items(table_name(cls), cls, column_names(cls))]
    return model.Schema(
        tables=tuple(_own_references(list(name_tables(drafts, [v.name for v in view_list])))),
        enums=tuple(enum_models),
        views=tuple(view_models),
        security=Security.of(items + server_only_items(server_only)),
    )


def column_names(cls: type[Table]) -> dict[str, str]:
    """attribute → column name, in declaration order."""
    return {attr: col.spec.column_name or snake_case(attr) for attr, col in cls.__columns__.items()}


class _TableBuilder:
    def __init__(self, cls: type[Table]) -> None:
        self.cls = cls
        self.name = table_name(cls)
        self.where = f'table "{self.name}"'
        self.names = column_names(cls)

    def fail(self, what: str, problem: str) -> SchemaError:
        return SchemaError(f"{self.where}{', ' + what if what else ''}: {problem}")

    def column(self, ref: ColumnRef, what: str) -> str:
        """The column name `ref` stands for; an unknown name is kept for `validate` to report."""
        if isinstance(ref, Column):
            attr = self.cls.__column_ids__.get(id(ref))
            if attr is None and ref.spec.owner is not None and issubclass(self.cls, ref.spec.owner):
                attr = ref.spec.attribute
            if attr is None:
                raise self.fail(what, f"{ref!r} is not a column of this table (name it by a string)")
            return self.names[attr]
        return self.names.get(ref, ref)

    def draft(self) -> TableDraft:
        cls = self.cls
        draft = TableDraft(name=self.name, columns=())
        pk_columns: list[str] = []
        pk_names: set[str | None] = set()
        columns = []
        for attr, col in cls.__columns__.items():
            spec, name = col.spec, self.names[attr]
            what = f'column "{name}"'
            if spec.primary_key:
                pk_columns.append(name)
                pk_names.add(spec.primary_key_name)
            columns.append((name, spec))
            draft.checks += [model.Check(name=n or UNNAMED, expr=e) for e, n in spec.checks]
            draft.uniques += [model.Unique(name=n or UNNAMED, columns=(name,)) for n in spec.uniques]
            draft.foreign_keys += [self.reference(name, ref, what) for ref in spec.references]
        self.check_options()
        table_pk = cls.__primary_key__
        if table_pk is not None and not isinstance(table_pk, PrimaryKeyDecl):
            raise self.fail("", f"__primary_key__ is {table_pk!r}, not a primary_key(...)")
        if table_pk is not None and pk_columns:
            raise self.fail("", "two primary keys: columns marked .primary_key() and __primary_key__")
        if len(pk_names - {None}) > 1:
            named = sorted(n for n in pk_names if n is not None)
            raise self.fail("", f"primary key columns give different names {named}")
        if table_pk is not None:
            pk_columns = [self.column(c, "primary key") for c in table_pk.columns]
            pk_names = {table_pk.name}
        if pk_columns:
            pk_name = next(iter(pk_names - {None}), None)
            draft.primary_key = model.PrimaryKey(name=pk_name or UNNAMED, columns=tuple(pk_columns))
        draft.columns = tuple(self.model_column(name, spec, name in pk_columns) for name, spec in columns)
        for u in self.declared("__uniques__", UniqueDecl, "unique"):
            cols = tuple(self.column(c, "unique") for c in u.columns)
            draft.uniques.append(
                model.Unique(name=u.name or UNNAMED, columns=cols, nulls_not_distinct=u.nulls_not_distinct)
            )
        checks = self.declared("__checks__", CheckDecl, "check")
        draft.checks += [model.Check(name=c.name or UNNAMED, expr=c.expr) for c in checks]
        draft.foreign_keys += [
            self.foreign_key(fk) for fk in self.declared("__foreign_keys__", ForeignKeyDecl, "foreign_key")
        ]
        draft.indexes += [self.index(i) for i in self.declared("__indexes__", IndexDecl, "index")]
        sync = getattr(cls, "__sync__", False)
        if isinstance(sync, Mapping):
            # a sync table with its sync server rule (owner, via, shared, conflict): the
            # table is the same; the rule is the server's (`mizzle.sync.server.rules_from_classes`)
            try:
                rule = TableRule.from_mapping(draft.name, sync)
            except RuleError as err:
                raise self.fail("", f"__sync__: {err}") from None
            rule_column = rule.owner or rule.via
            if rule_column is not None and rule_column not in {c.name for c in draft.columns}:
                raise self.fail("", f'__sync__: the rule names column "{rule_column}", which the table does not have')
        elif not isinstance(sync, bool):
            raise self.fail(
                "", f"__sync__ must be True, False or a sync rule such as {{'owner': 'user_id'}}, not {sync!r}"
            )
        if sync:
            add_sync_parts(draft)
        key = getattr(cls, "__partition_by__", None)
        if key is not None:
            if not isinstance(key, str):
                raise self.fail("", f'__partition_by__ must be a key such as "RANGE (created_at)", not {key!r}')
            try:
                draft.partition_by = parse_partition_key(key)
            except (ValueError, MizzleError) as err:
                raise self.fail("", f"__partition_by__: {err}") from None
        return draft

    def check_options(self) -> None:
        """A misspelt table option would be ignored silently: name it."""
        for klass in self.cls.__mro__[:-2]:  # not Table's nor object's own
            for attr in vars(klass):
                if attr.startswith("__") and attr.endswith("__") and attr not in _KNOWN_DUNDERS:
                    close = difflib.get_close_matches(attr, TABLE_OPTIONS, n=1, cutoff=0.8)
                    if close:
                        raise self.fail("", f"unknown table option {attr} (did you mean {close[0]}?)")

    def declared(self, option: str, kind: type[D], maker: str) -> list[D]:
        """The declarations of a table-level option, checked to be a tuple or list of `maker(...)`."""
        value = getattr(self.cls, option)
        if not isinstance(value, (tuple, list)):
            raise self.fail("", f"{option} must be a tuple or list of {maker}(...), not {value!r}")
        for item in value:
            if not isinstance(item, kind):
                raise self.fail("", f"{option} holds {item!r}, which is not a {maker}(...)")
        return list(value)

    def model_column(self, name: str, spec: ColumnSpec, in_pk: bool) -> model.Column:
        where = f'column "{name}"'
        if spec.sequence is not None and (spec.ctype.kind not in SERIAL_KINDS or spec.ctype.array_dims):
            raise self.fail(where, "only a serial or bigserial column has sequence options")
        try:
            default = None if spec.default is UNSET else _default(spec.ctype, spec.default)
            return model.Column(
                name=name,
                type=spec.ctype,
                nullable=not (spec.not_null or in_pk),
                default=default,
                sqlite_type=spec.sqlite_type,
                sqlite_default=spec.sqlite_default,
                sqlite_autoincrement=spec.sqlite_autoincrement,
                sqlite_null_key=spec.sqlite_null_key,
                identity=spec.identity,
                sequence=spec.sequence,
                generated=spec.generated,
                domain=spec.domain,
            )
        except ValidationError:
            raise self.fail(
                where, f'default {spec.default!r} is not a literal mizzle can hold (write sql("..."))'
            ) from None

    def reference(self, column: str, ref: Reference, what: str) -> model.ForeignKey:
        target = ref.target
        ref_schema = None
        if isinstance(target, str):
            table, dot, ref_column = target.rpartition(".")
            if not dot or not table:
                raise self.fail(what, f'references {target!r}: write "table.column"')
            ref_schema, table = _schema_and_table(table)
        else:
            if not isinstance(target, Column):
                target = self.call(target, what)
            if not isinstance(target, Column):
                raise self.fail(what, f"references {target!r}, which is not a column of a Table class")
            if target.spec.owner is None:
                # a column object of this class body: a reference to the own table
                attr = self.cls.__column_ids__.get(id(target))
                if attr is None:
                    raise self.fail(what, f"references {target!r}, which belongs to no Table class")
                table, ref_column = self.name, self.names[attr]
            else:
                owner, attr = target.spec.owner, target.spec.attribute
                assert attr is not None
                table, ref_column = table_name(owner), column_names(owner)[attr]
        return self.make_fk(
            what,
            name=ref.name or UNNAMED,
            columns=(column,),
            ref_table=table,
            ref_schema=ref_schema,
            ref_columns=(ref_column,),
            on_delete=ref.on_delete,
            on_update=ref.on_update,
            deferrable=ref.deferrable,
            initially_deferred=ref.initially_deferred,
        )

    def foreign_key(self, fk: ForeignKeyDecl) -> model.ForeignKey:
        what = "foreign key" + (f' "{fk.name}"' if fk.name else "")
        target: Any = fk.target
        if not isinstance(target, (str, type)):
            target = self.call(target, what)
        ref_schema = None
        if isinstance(target, str):
            (ref_schema, table), ref_names = _schema_and_table(target), {}
        elif isinstance(target, type) and issubclass(target, Table):
            table, ref_names = table_name(target), column_names(target)
        else:
            raise self.fail(what, f"references {target!r}, which is not a Table class or a table name")
        ref_columns = []
        for ref in fk.ref_columns:
            if isinstance(ref, Column):
                owner, attr = ref.spec.owner, ref.spec.attribute
                if owner is None or attr is None:
                    raise self.fail(what, f"{ref!r} belongs to no Table class (name it by a string)")
                ref_columns.append(column_names(owner)[attr])
            else:
                ref_columns.append(ref_names.get(ref, ref))
        return self.make_fk(
            what,
            name=fk.name or UNNAMED,
            columns=tuple(self.column(c, what) for c in fk.columns),
            ref_table=table,
            ref_schema=ref_schema,
            ref_columns=tuple(ref_columns),
            on_delete=fk.on_delete,
            on_update=fk.on_update,
            deferrable=fk.deferrable,
            initially_deferred=fk.initially_deferred,
        )

    def make_fk(self, what: str, **fields: Any) -> model.ForeignKey:
        try:
            return model.ForeignKey(**fields)
        except ValidationError as err:
            message = err.errors()[0]["msg"].removeprefix("Value error, ")
            raise self.fail(what, message.removeprefix(f"foreign key {fields['name']}: ")) from None

    def call(self, target: Callable[[], Any], what: str) -> Any:
        """Evaluate a lambda given as a reference target, naming its place if it fails."""
        try:
            return target()
        except KeyboardInterrupt:
            raise
        except BaseException as err:  # the user's lambda (sys.exit too): any failure is reported, with its line
            code = getattr(target, "__code__", None)
            place = f"{code.co_filename}:{code.co_firstlineno}: " if code else ""
            raise SchemaError(
                f"{place}{self.where}, {what}: the reference target raised {type(err).__name__}: {err}"
            ) from None

    def index(self, decl: IndexDecl) -> model.Index:
        what = "index" + (f' "{decl.name}"' if decl.name else "")
        keys = []
        for k in decl.keys:
            if isinstance(k.key, SqlExpr):
                # `sql("title")` is the column key PostgreSQL makes of `((title))`
                tree = k.key.tree
                bare = isinstance(tree, exp.Column) and not tree.table
                key = {"column": tree.name} if bare else {"expr": k.key}
            else:
                key = {"column": self.column(k.key, what)}
            keys.append(model.IndexKey(**key, desc=k.desc, nulls=k.nulls, opclass=k.opclass, collation=k.collation))
        try:
            return model.Index(
                name=decl.name or UNNAMED,
                keys=tuple(keys),
                unique=decl.unique,
                where=decl.where,
                method=decl.method,
                nulls_not_distinct=decl.nulls_not_distinct,
            )
        except ValidationError as err:
            raise self.fail(what, err.errors()[0]["msg"].removeprefix("Value error, ")) from None


def _default(ctype: ColumnType, value: Any) -> model.Default | None:
    """The model default for a `.default(...)` value on a column of `ctype`: literals are
    spelled as the database gives them back (numbers other than integers as decimal text,
    json as text, bytea in PostgreSQL's hex form); `sql(...)` goes through the same reading as
    a DDL default, so `sql("now()")` is `now()` and `sql("'x'")` the literal 'x'."""
    from mizzle.core.canonical import default_from_pg

    if value is None:
        return None
    if isinstance(value, (model.NowDefault, model.RandomUuidDefault, model.ExprDefault, model.LiteralDefault)):
        return value
    if isinstance(value, SqlExpr):
        return default_from_pg(value.tree, ctype, value.pg_text)
    if isinstance(value, (list, tuple)) and ctype.array_dims:
        return model.LiteralDefault(value=[_scalar(ctype.element, v) for v in value])
    return model.LiteralDefault(value=_scalar(ctype, value))


def _scalar(ctype: ColumnType, value: Any) -> Any:
    kind = ctype.kind
    if isinstance(value, bool) or value is None:
        return value
    if kind in _DECIMAL_KINDS and isinstance(value, (int, float, Decimal)):
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        return format(number, "f")
    if kind in JSON_KINDS and isinstance(value, (dict, list, tuple, int, float)):
        return json.dumps(value)
    if kind is TypeKind.BYTES and isinstance(value, (bytes, bytearray)):
        return "\\x" + bytes(value).hex()
    return value


def _schema_and_table(name: str) -> tuple[str | None, str]:
    """`"auth.users"` → ("auth", "users"): a table of another schema, which the schema
    references but never creates (Supabase's users); `"users"` → (None, "users");
    `"public.users"` → ("public", "users"), made (None, "users") by `_own_references` when the
    schema holds the table (otherwise a table the project leaves out, `tables_filter`)."""
    schema, dot, table = name.partition(".")
    if not dot or not schema or not table:
        return None, name
    return schema, table


def _own_references(tables: list[model.Table]) -> list[model.Table]:
    """The tables with each `public.<table>` reference to a table of the schema made a key inside it."""
    names = {t.name for t in tables}

    def own(fk: model.ForeignKey) -> model.ForeignKey:
        if fk.ref_schema == "public" and fk.ref_table in names:
            return fk.model_copy(update={"ref_schema": None})
        return fk

    return [
        t.model_copy(update={"foreign_keys": tuple(map(own, t.foreign_keys))})
        if any(fk.ref_schema == "public" for fk in t.foreign_keys)
        else t
        for t in tables
    ]
