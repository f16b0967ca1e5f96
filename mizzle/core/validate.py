"""Dialect-neutral validation of a Schema. Each problem names its place.

`problems(schema)` lists every problem; `validate(schema)` raises SchemaError with the
first one (and how many more there are). Dialect capability checks (what one database
cannot hold) live in each dialect's `capabilities.py`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from mizzle.core import qualified
from mizzle.core.errors import SchemaError
from mizzle.core.migration_text import one_line
from mizzle.core.model import Column, ForeignKey, LiteralDefault, NowDefault, RandomUuidDefault, Schema, Table
from mizzle.core.partitions import partition_problems
from mizzle.core.sync.parts import problems as sync_problems
from mizzle.core.types import (
    INTEGER_KINDS,
    JSON_KINDS,
    NUMBER_KINDS,
    SERIAL_KINDS,
    TEXT_KINDS,
    ColumnType,
    TypeKind,
)


def validate(schema: Schema) -> Schema:
    """Return `schema` unchanged, or raise SchemaError naming the first problem."""
    found = problems(schema)
    if found:
        more = f" (and {len(found) - 1} more problem{'s' if len(found) > 2 else ''})" if len(found) > 1 else ""
        raise SchemaError(found[0] + more)
    return schema


def problems(schema: Schema) -> list[str]:
    return list(_schema_problems(schema))


def _dupes(names: list[str]) -> list[str]:
    return sorted(n for n, c in Counter(names).items() if c > 1)


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a table, column, constraint, index, enum or view, or None.

    A name is any non-empty text without control characters (U+0000-U+001F, U+007F-U+009F:
    NUL, tab, newline, carriage return...), Unicode line or paragraph separators (U+2028,
    U+2029) or lone surrogates. Names are written on single lines (migration headers, error
    messages, prompts), and neither database can hold a NUL or a surrogate. Quotes, `--`,
    `;`, spaces and any other Unicode are fine: names are always quoted in SQL. The length
    limit is the database's (PostgreSQL: 63 bytes, see its `capabilities.py`)."""
    if not name:
        return "a name cannot be empty"
    if name.isascii() and name.isprintable():  # nearly every name: no character to look up
        return None
    bad = sorted({c for c in name if unicodedata.category(c) in _NOT_IN_NAMES})
    if bad:
        shown = ", ".join(repr(c)[1:-1] for c in bad)  # `\\n`, `\\x00`, `\\u2028`
        return f"a name cannot hold control characters or line breaks (it holds {shown})"
    return None


#: control characters, line and paragraph separators, surrogates
_NOT_IN_NAMES = frozenset({"Cc", "Zl", "Zp", "Cs"})


def _named(schema: Schema) -> Iterator[tuple[str, str]]:
    """(the place, as messages name it, the name) of every name the schema declares."""
    for enum in schema.enums:
        yield f'enum "{one_line(enum.name)}"', enum.name
    for view in schema.views:
        yield f'view "{one_line(view.name)}"', view.name
    for table in schema.tables:
        where = f'table "{one_line(table.name)}"'
        yield where, table.name
        for column in table.columns:
            yield f'{where}, column "{one_line(column.name)}"', column.name
        named: list[tuple[str, str]] = [("primary key", table.primary_key.name)] if table.primary_key else []
        named += [("foreign key", fk.name) for fk in table.foreign_keys]
        named += [("unique", u.name) for u in table.uniques] + [("check", c.name) for c in table.checks]
        named += [("index", i.name) for i in table.indexes]
        for kind, name in named:
            yield f'{where}, {kind} "{one_line(name)}"', name


def _schema_problems(schema: Schema) -> Iterator[str]:
    for place, name in _named(schema):
        problem = name_problem(name)
        if problem:
            yield f"{place}: {problem}"
    for enum in schema.enums:
        for value in enum.values:
            if "\x00" in value:
                yield f'enum "{one_line(enum.name)}": value {value!r}: neither database can hold a NUL character'
    for name in _dupes([t.name for t in schema.tables] + [v.name for v in schema.views]):
        yield f'duplicate table or view name "{name}"'
    for name in _dupes([e.name for e in schema.enums]):
        yield f'duplicate enum name "{name}"'
    for place, name in [(f'table "{t.name}"', t.name) for t in schema.tables] + [
        *((f'view "{v.name}"', v.name) for v in schema.views),
        *((f'enum "{e.name}"', e.name) for e in schema.enums),
    ]:
        problem = _qualified_problem(name)
        if problem:
            yield f"{place}: {problem}"
    for table in schema.tables:
        if table.sync and qualified.schema_of(table.name) is not None:
            # the sync triggers, tombstones and change reads name tables of the default schema
            yield f'table "{table.name}": a sync table must be in the default schema (public)'
    # PostgreSQL keeps tables, views, indexes and the indexes behind PRIMARY KEY and UNIQUE in
    # one namespace per schema (an index is in its table's schema).
    relations = [t.name for t in schema.tables] + [v.name for v in schema.views]
    for table in schema.tables:
        owned = [i.name for i in table.indexes] + [u.name for u in table.uniques]
        owned += [table.primary_key.name] if table.primary_key else []
        relations += [qualified.join(qualified.schema_of(table.name), name) for name in owned]
    for name in _dupes(relations):
        yield f'name "{name}" is used by more than one table, view, index or key'
    for enum in schema.enums:
        if not enum.values:
            yield f'enum "{enum.name}" has no values'
        for value in _dupes(list(enum.values)):
            yield f'enum "{enum.name}": duplicate value {value!r}'
    for table in schema.tables:
        yield from _table_problems(schema, table)
    if schema.partitions or any(t.partition_by is not None for t in schema.tables):
        keys = {t.name: t.partition_by for t in schema.tables}
        yield from partition_problems(keys, {t.name: t.column_names for t in schema.tables}, schema.partitions)
    known = {t.name for t in schema.tables} | {v.name for v in schema.views}
    for view in schema.views:
        for ref in view.referenced_tables():
            if ref not in known:
                yield f'view "{view.name}": reads missing table or view "{ref}"'


def _qualified_problem(name: str) -> str | None:
    """A dot separates a schema from the name (`core/qualified.py`): once, between two names."""
    schema, bare = qualified.split(name)
    if schema is not None and (not schema or not bare or "." in bare):
        return "a dot separates the schema from the name (`schema.name`): a name cannot hold another one"
    return None


def _table_problems(schema: Schema, table: Table) -> Iterator[str]:
    where = f'table "{table.name}"'
    if not table.columns:
        yield f"{where}: has no columns"
    for name in _dupes(table.column_names):
        yield f'{where}: duplicate column "{name}"'
    constraint_names = [fk.name for fk in table.foreign_keys] + [u.name for u in table.uniques]
    constraint_names += [c.name for c in table.checks]
    constraint_names += [table.primary_key.name] if table.primary_key else []
    for name in _dupes(constraint_names):
        yield f'{where}: duplicate constraint name "{name}"'

    def missing(columns: list[str] | tuple[str, ...], what: str) -> Iterator[str]:
        for col in columns:
            if table.column(col) is None:
                yield f'{where}, {what}: no column "{col}"'

    for column in table.columns:
        yield from _column_problems(schema, table, column)
    if table.primary_key:
        pk = table.primary_key
        yield from missing(pk.columns, f'primary key "{pk.name}"')
        for name in _dupes(list(pk.columns)):
            yield f'{where}, primary key "{pk.name}": column "{name}" twice'
        for col in pk.columns:
            c = table.column(col)
            if c is not None and c.nullable:
                yield f'{where}, column "{col}": primary key columns must be NOT NULL'
    for unique in table.uniques:
        yield from missing(unique.columns, f'unique "{unique.name}"')
    for check in table.checks:
        yield from missing(check.expr.column_names(), f'check "{check.name}"')
    for index in table.indexes:
        yield from missing(index.columns, f'index "{index.name}"')
        if not index.keys:
            yield f'{where}, index "{index.name}": has no keys'
    for fk in table.foreign_keys:
        yield from missing(fk.columns, f'foreign key "{fk.name}"')
        yield from _foreign_key_problems(schema, table, fk)
    if table.sync:
        yield from sync_problems(table)
    if table.name.startswith("__mizzle"):
        yield f"{where}: names starting with __mizzle are mizzle's own (tracking and sync tables)"


#: the types an identity column may have (PostgreSQL's rule)
_IDENTITY_KINDS = frozenset({TypeKind.SMALLINT, TypeKind.INTEGER, TypeKind.BIGINT})


def _column_problems(schema: Schema, table: Table, column: Column) -> Iterator[str]:
    where = f'table "{table.name}", column "{column.name}"'
    ctype = column.type
    if ctype.kind is TypeKind.ENUM:
        assert ctype.name is not None
        if schema.enum(ctype.name) is None:
            yield f'{where}: enum "{ctype.name}" is not defined'
    if ctype.kind in SERIAL_KINDS and column.default is not None:
        yield f"{where}: a {ctype.kind.value} column takes no default (it has its own)"
    if column.identity is not None:
        if ctype.kind not in _IDENTITY_KINDS or ctype.array_dims:
            yield f"{where}: an identity column is smallint, integer or bigint, not {ctype.describe()}"
        elif column.default is not None:
            yield f"{where}: an identity column takes no default (its sequence gives the values)"
    if column.generated is not None:
        if column.default is not None or column.identity is not None or ctype.kind in SERIAL_KINDS:
            yield f"{where}: a generated column takes no default, identity or serial type (its expression computes it)"
        if table.primary_key is not None and column.name in table.primary_key.columns:
            yield f"{where}: a generated column cannot be part of the primary key"
    if column.sqlite_null_key and (
        table.primary_key is None or column.name not in table.primary_key.columns or ctype.kind in SERIAL_KINDS
    ):
        yield f"{where}: only a primary-key column that is not a serial can be a SQLite NULL key"
    if column.default is not None:
        problem = _default_problem(schema, ctype, column.default)
        if problem:
            yield f"{where}: {problem}"


def _default_problem(schema: Schema, ctype: ColumnType, default: object) -> str | None:
    kind = ctype.kind
    if isinstance(default, NowDefault):
        if kind not in (TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ) or ctype.array_dims:
            return f"default now() needs a timestamp column, not {ctype.describe()}"
        return None
    if isinstance(default, RandomUuidDefault):
        if kind is not TypeKind.UUID or ctype.array_dims:
            return f"a random uuid default needs a uuid column, not {ctype.describe()}"
        return None
    if not isinstance(default, LiteralDefault):
        return None  # expressions are checked by the database that runs them
    value = default.value
    if ctype.array_dims:
        if not isinstance(value, list):
            return f"default {value!r} is not an array (write a list) for {ctype.describe()}"
        for item in value:
            if item is not None and (p := _scalar_problem(schema, ctype.element, item)):
                return p
        return None
    if isinstance(value, list):
        return f"default {value!r} is a list, but the column is {ctype.describe()}"
    return _scalar_problem(schema, ctype, value)


def _scalar_problem(schema: Schema, ctype: ColumnType, value: object) -> str | None:
    kind = ctype.kind
    bad = f"default {value!r} does not fit {ctype.describe()}"
    if kind is TypeKind.BOOLEAN:
        return None if isinstance(value, bool) else bad
    if kind in INTEGER_KINDS:
        return None if isinstance(value, int) and not isinstance(value, bool) else bad
    if kind in NUMBER_KINDS:
        if isinstance(value, bool):
            return bad
        if isinstance(value, int):
            return None
        try:
            Decimal(str(value))
        except InvalidOperation:
            return bad
        return None
    if not isinstance(value, str):
        return bad
    if "\x00" in value:
        return f"default {value!r}: neither database can hold a NUL character in text"
    if kind in (TypeKind.VARCHAR, TypeKind.CHAR) and ctype.length is not None and len(value) > ctype.length:
        return f"default {value!r} is longer than {ctype.describe()}"
    if kind is TypeKind.ENUM:
        enum = schema.enum(ctype.name or "")
        if enum is not None and value not in enum.values:
            return f"default {value!r} is not a value of enum {enum.name} {list(enum.values)}"
    return None


def _comparable(a: ColumnType, b: ColumnType) -> bool:
    """Whether a foreign key from a column of type `a` to one of type `b` is sound."""
    if a.array_dims != b.array_dims:
        return False
    ints = INTEGER_KINDS | SERIAL_KINDS
    if a.kind in ints and b.kind in ints:
        return True
    if a.kind in TEXT_KINDS and b.kind in TEXT_KINDS:
        return True
    if a.kind in JSON_KINDS or b.kind in JSON_KINDS:
        return False
    return a.kind == b.kind and a.name == b.name and a.precision == b.precision and a.scale == b.scale


def foreign_key_type_problems(schema: Schema) -> Iterator[str]:
    """Foreign keys whose columns' types differ from the referenced columns' (integer → text):
    PostgreSQL refuses them ("incompatible types"), SQLite holds them and real apps rely on
    that, so this is PostgreSQL's capability problem (`dialects/postgresql/capabilities.py`),
    not a problem of the schema."""
    for table in schema.tables:
        for fk in table.foreign_keys:
            target = schema.table(fk.ref_table) if fk.ref_schema is None else None
            for col, ref in zip(fk.columns, fk.ref_columns, strict=True):
                src = table.column(col)
                dst = target.column(ref) if target is not None else None
                if src is not None and dst is not None and not _comparable(src.type, dst.type):
                    yield (
                        f'table "{table.name}", foreign key "{fk.name}": type mismatch, "{col}" is '
                        f'{src.type.describe()} but "{fk.ref_table}.{ref}" is {dst.type.describe()}'
                    )


def _foreign_key_problems(schema: Schema, table: Table, fk: ForeignKey) -> Iterator[str]:
    where = f'table "{table.name}", foreign key "{fk.name}"'
    if fk.ref_schema is not None:
        return  # a table of another schema: PostgreSQL checks the reference when it is made
    target = schema.table(fk.ref_table)
    if target is None:
        yield f'{where}: references missing table "{fk.ref_table}"'
        return
    for ref in fk.ref_columns:
        if target.column(ref) is None:
            yield f'{where}: references missing column "{fk.ref_table}.{ref}"'
    keys = [set(target.primary_key.columns)] if target.primary_key else []
    keys += [set(u.columns) for u in target.uniques]
    keys += [
        {k.column or "" for k in i.keys}
        for i in target.indexes
        if i.unique and i.where is None and all(k.column for k in i.keys)
    ]
    if all(target.column(r) for r in fk.ref_columns) and set(fk.ref_columns) not in keys:
        yield f'{where}: "{fk.ref_table}"({", ".join(fk.ref_columns)}) is not a primary key or unique'
