"""The Data tab's use cases: every table and view with its row count, a page of rows (keyset
pagination on the primary key, sorted and filtered per column), and a row inserted, updated or
deleted, each in its own transaction and returned with the SQL it ran. Every name is quoted by
the dialect, every value is a bound parameter (`values.bound` checks it first)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mizzle.app.studio.backends import MARK, Backend, execute, shown_sql
from mizzle.app.studio.values import ValueRefused, bound, shown
from mizzle.core.errors import MizzleError
from mizzle.core.model import Column, Schema, Table
from mizzle.core.types import INTEGER_KINDS, SERIAL_KINDS, TypeKind
from mizzle.dialects import get_dialect

MAX_PAGE = 500
#: a comparison filter's operator → its SQL (the value is bound)
COMPARISONS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
#: filters that take no value
NULL_TESTS = {"null": "IS NULL", "not null": "IS NOT NULL"}


class StudioError(MizzleError):
    """A request the studio refuses (an unknown table, a row gone, a write in read-only)."""


@dataclass(frozen=True)
class Relation:
    """A table or a view, as the page lists it."""

    name: str
    kind: str  # "table" or "view"
    rows: int
    columns: list[dict[str, Any]]
    primary_key: list[str]
    sync: bool = False


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: Any = None


@dataclass(frozen=True)
class PageRequest:
    sort: str | None = None
    desc: bool = False
    filters: tuple[Filter, ...] = ()
    limit: int = 50
    #: the key of the last row of the previous page (sort column first, then the primary key)
    after: tuple[Any, ...] | None = None
    #: for a relation without a primary key (a view): rows skipped
    offset: int = 0


@dataclass(frozen=True)
class Page:
    columns: list[str]
    rows: list[list[Any]]
    #: the `after` of the next page; None on the last page
    next_after: list[Any] | None
    next_offset: int | None
    sql: str


@dataclass(frozen=True)
class Change:
    """A row change that committed: the SQL it ran with its parameters, and the row after."""

    sql: str
    params: list[Any]
    row: dict[str, Any] | None = None


@dataclass
class Statement:
    parts: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)


def column_info(column: Column, table: Table | None, schema: Schema) -> dict[str, Any]:
    """What the page's form needs to know of a column: its kind (booleans as toggles, enums
    as choices, JSON checked), whether it may be empty, and the row its FK points to."""
    ref = None
    if table is not None:
        for fk in table.foreign_keys:
            if column.name in fk.columns:
                ref = {"table": fk.ref_table, "column": fk.ref_columns[fk.columns.index(column.name)]}
    enum = next((list(e.values) for e in schema.enums if e.name == column.type.name), None)
    kind = column.type.kind
    return {
        "name": column.name,
        "kind": kind.value,
        "type": _type_text(column),
        "array": column.type.array_dims > 0,
        "nullable": column.nullable,
        "has_default": column.default is not None or kind in SERIAL_KINDS,
        "enum": enum if kind is TypeKind.ENUM else None,
        "ref": ref,
    }


def _type_text(column: Column) -> str:
    t = column.type
    text = t.name if t.kind in (TypeKind.ENUM, TypeKind.CUSTOM) and t.name else t.kind.value
    if t.length is not None:
        text += f"({t.length})"
    elif t.precision is not None:
        text += f"({t.precision}{f', {t.scale}' if t.scale is not None else ''})"
    return text + "[]" * t.array_dims


def relations(conn: Any, backend: Backend, schema: Schema) -> list[Relation]:
    """Every table and view of the database with its row count."""
    q = get_dialect(backend.dialect).quote_ident
    out = []
    for table in sorted(schema.tables, key=lambda t: t.name):
        rows = _count(conn, f"SELECT count(*) FROM {q(table.name)}")
        out.append(
            Relation(
                table.name,
                "table",
                rows,
                [column_info(c, table, schema) for c in table.columns],
                list(table.primary_key.columns) if table.primary_key else [],
                table.sync,
            )
        )
    for view in sorted(schema.views, key=lambda v: v.name):
        cursor = conn.execute(f"SELECT * FROM {q(view.name)} WHERE 1 = 0")
        names = [d[0] for d in cursor.description or ()]
        cursor.close()
        columns = [{"name": n, "kind": "text", "type": "", "nullable": True, "ref": None} for n in names]
        out.append(Relation(view.name, "view", _count(conn, f"SELECT count(*) FROM {q(view.name)}"), columns, []))
    return out


def _count(conn: Any, sql: str) -> int:
    cursor = conn.execute(sql)
    (n,) = cursor.fetchone()
    cursor.close()
    return int(n)


def find_table(schema: Schema, name: str) -> Table:
    table = next((t for t in schema.tables if t.name == name), None)
    if table is None:
        raise StudioError(f"no table {name!r} in this database")
    return table


def _column(table: Table, name: str) -> Column:
    column = next((c for c in table.columns if c.name == name), None)
    if column is None:
        raise StudioError(f"no column {name!r} in {table.name}")
    return column


def _key_value(value: Any, column: Column, schema: Schema, backend: Backend) -> Any:
    """A key or filter value as the driver binds it (a cursor's value came from `shown`)."""
    if value is None:
        return None
    relaxed = column.model_copy(update={"nullable": True})
    kind = column.type.kind
    if kind in INTEGER_KINDS | SERIAL_KINDS | {TypeKind.BOOLEAN, TypeKind.REAL, TypeKind.DOUBLE, TypeKind.BYTES}:
        return bound(value, relaxed, schema, backend.storage)
    if kind is TypeKind.NUMERIC:
        return bound(value, relaxed, schema, backend.storage)
    if not isinstance(value, str):
        raise ValueRefused(f"{column.name}: expects text, not {value!r}")
    return value


def page(conn: Any, backend: Backend, schema: Schema, name: str, request: PageRequest) -> Page:
    """One page of `name`'s rows: keyset-paged on the primary key (after the sort column, if
    any), so a page deep in a large table costs what the first one does."""
    dialect = backend.dialect
    q = get_dialect(dialect).quote_ident
    m = MARK
    limit = max(1, min(request.limit, MAX_PAGE))
    table = next((t for t in schema.tables if t.name == name), None)
    view = next((v for v in schema.views if v.name == name), None)
    if table is None and view is None:
        raise StudioError(f"no table or view {name!r} in this database")
    stmt = Statement()
    where: list[str] = []
    columns = [c.name for c in table.columns] if table is not None else []
    for f in request.filters:
        column = _column(table, f.column) if table is not None else None
        target = q(f.column)
        if table is None and f.op not in NULL_TESTS and f.op != "contains":
            raise StudioError("a view's rows are filtered by `contains` or a NULL test")
        if f.op in NULL_TESTS:
            where.append(f"{target} {NULL_TESTS[f.op]}")
        elif f.op == "contains":
            text = str(f.value or "")
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            where.append(f"{backend.as_text.format(target)} LIKE {m} {backend.like_escape}")
            stmt.params.append(pattern)
        elif f.op in COMPARISONS and column is not None:
            where.append(f"{target} {COMPARISONS[f.op]} {m}")
            stmt.params.append(_key_value(f.value, column, schema, backend))
        else:
            raise StudioError(f"unknown filter {f.op!r}")
    pk = list(table.primary_key.columns) if table is not None and table.primary_key else []
    select_list = ", ".join(q(c) for c in columns) if columns else "*"
    sql = f"SELECT {select_list} FROM {q(name)}"
    if not pk:  # a view, or a table without a key: no stable keyset, OFFSET it is
        order = f" ORDER BY {q(request.sort)}{' DESC' if request.desc else ''}" if request.sort else ""
        if request.sort and table is not None:
            _column(table, request.sort)
        sql += (" WHERE " + " AND ".join(where) if where else "") + order + f" LIMIT {limit + 1} OFFSET {m}"
        stmt.params.append(max(0, request.offset))
        cursor = execute(conn, backend, sql, stmt.params)
        names = [d[0] for d in cursor.description or ()]
        rows = cursor.fetchall()
        cursor.close()
        more = len(rows) > limit
        return Page(
            names,
            [[shown(v) for v in r] for r in rows[:limit]],
            None,
            request.offset + limit if more else None,
            shown_sql(backend, sql),
        )
    assert table is not None
    sort = request.sort if request.sort not in (None, *pk) else None
    sort_column = _column(table, sort) if sort is not None else None
    direction = "DESC" if request.desc else "ASC"
    cmp = "<" if request.desc else ">"
    pk_columns = [_column(table, c) for c in pk]
    pk_sql = q(pk[0]) if len(pk) == 1 else "(" + ", ".join(q(c) for c in pk) + ")"
    pk_marks = m if len(pk) == 1 else "(" + ", ".join(m for _ in pk) + ")"
    if request.after is not None:
        after = list(request.after)
        if len(after) != len(pk) + (1 if sort else 0):
            raise StudioError("the page cursor does not fit this sort")
        pk_values = [_key_value(v, c, schema, backend) for v, c in zip(after[-len(pk) :], pk_columns, strict=True)]
        if sort_column is None:
            where.append(f"{pk_sql} {cmp} {pk_marks}")
            stmt.params.extend(pk_values)
        else:
            s = q(sort_column.name)
            sort_value = _key_value(after[0], sort_column, schema, backend)
            if sort_value is None:  # NULLs sort last: after a NULL come only NULLs
                where.append(f"({s} IS NULL AND {pk_sql} {cmp} {pk_marks})")
                stmt.params.extend(pk_values)
            else:
                tail = f" OR {s} IS NULL" if sort_column.nullable else ""
                where.append(f"({s} {cmp} {m} OR ({s} = {m} AND {pk_sql} {cmp} {pk_marks}){tail})")
                stmt.params.extend([sort_value, sort_value, *pk_values])
    ordering = [f"{q(c)} {direction}" for c in pk]
    if sort_column is not None:
        s = q(sort_column.name)
        ordering = [f"{s} {direction}", *ordering]
        if sort_column.nullable:
            ordering = [f"{s} IS NULL", *ordering]
    sql += (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY " + ", ".join(ordering)
    sql += f" LIMIT {limit + 1}"
    cursor = execute(conn, backend, sql, stmt.params)
    rows = cursor.fetchall()
    cursor.close()
    more = len(rows) > limit
    rows = rows[:limit]
    shown_rows = [[shown(v) for v in r] for r in rows]
    next_after = None
    if more and rows:
        last = dict(zip(columns, shown_rows[-1], strict=True))
        next_after = ([last[sort]] if sort else []) + [last[c] for c in pk]
    return Page(columns, shown_rows, next_after, None, shown_sql(backend, sql))


def _editable(schema: Schema, name: str) -> tuple[Table, list[Column]]:
    table = find_table(schema, name)
    if table.primary_key is None:
        raise StudioError(f"{name} has no primary key: its rows cannot be told apart, so the studio does not edit them")
    return table, [_column(table, c) for c in table.primary_key.columns]


def _key_where(backend: Backend, schema: Schema, pk: list[Column], key: dict[str, Any], stmt: Statement) -> str:
    q = get_dialect(backend.dialect).quote_ident
    if set(key) != {c.name for c in pk}:
        raise StudioError(f"a row is named by its primary key ({', '.join(c.name for c in pk)})")
    parts = []
    for column in pk:
        parts.append(f"{q(column.name)} = {MARK}")
        stmt.params.append(_key_value(key[column.name], column, schema, backend))
    return " AND ".join(parts)


def _read_row(conn: Any, backend: Backend, table: Table, schema: Schema, key: dict[str, Any]) -> dict[str, Any] | None:
    q = get_dialect(backend.dialect).quote_ident
    stmt = Statement()
    pk = [_column(table, c) for c in table.primary_key.columns] if table.primary_key else []
    where = _key_where(backend, schema, pk, key, stmt)
    columns = ", ".join(q(c.name) for c in table.columns)
    cursor = execute(conn, backend, f"SELECT {columns} FROM {q(table.name)} WHERE {where}", stmt.params)
    row = cursor.fetchone()
    cursor.close()
    return None if row is None else {c.name: shown(v) for c, v in zip(table.columns, row, strict=True)}


def _values(table: Table, schema: Schema, backend: Backend, values: dict[str, Any]) -> list[tuple[Column, Any]]:
    if not values:
        raise StudioError("no value to write")
    return [(_column(table, n), bound(v, _column(table, n), schema, backend.storage)) for n, v in values.items()]


def update(
    conn: Any, backend: Backend, schema: Schema, name: str, key: dict[str, Any], values: dict[str, Any]
) -> Change:
    """Set `values` in the row of `name` whose primary key is `key`, in one transaction."""
    table, pk = _editable(schema, name)
    q = get_dialect(backend.dialect).quote_ident
    stmt = Statement()
    sets = []
    for column, value in _values(table, schema, backend, values):
        sets.append(f"{q(column.name)} = {MARK}")
        stmt.params.append(value)
    where = _key_where(backend, schema, pk, key, stmt)
    sql = f"UPDATE {q(name)} SET {', '.join(sets)} WHERE {where}"
    new_key = {c.name: values.get(c.name, key[c.name]) for c in pk}
    with backend.transaction(conn):
        cursor = execute(conn, backend, sql, stmt.params)
        if cursor.rowcount != 1:
            raise StudioError(f"no row of {name} has that key any more (changed or deleted meanwhile): nothing changed")
        row = _read_row(conn, backend, table, schema, new_key)
    return Change(shown_sql(backend, sql), [shown(p) for p in stmt.params], row)


def insert(conn: Any, backend: Backend, schema: Schema, name: str, values: dict[str, Any]) -> Change:
    """Insert one row of `values` into `name` (the columns left out take their defaults)."""
    table, pk = _editable(schema, name)
    q = get_dialect(backend.dialect).quote_ident
    pairs = _values(table, schema, backend, values)
    marks = ", ".join(MARK for _ in pairs)
    returning = ", ".join(q(c.name) for c in pk)
    sql = f"INSERT INTO {q(name)} ({', '.join(q(c.name) for c, _ in pairs)}) VALUES ({marks}) RETURNING {returning}"
    params = [v for _, v in pairs]
    with backend.transaction(conn):
        cursor = execute(conn, backend, sql, params)
        key_row = cursor.fetchone()
        cursor.close()
        row = _read_row(conn, backend, table, schema, {c.name: shown(v) for c, v in zip(pk, key_row, strict=True)})
    return Change(shown_sql(backend, sql), [shown(p) for p in params], row)


def delete(conn: Any, backend: Backend, schema: Schema, name: str, key: dict[str, Any]) -> Change:
    """Delete the row of `name` whose primary key is `key`, in one transaction."""
    _, pk = _editable(schema, name)
    q = get_dialect(backend.dialect).quote_ident
    stmt = Statement()
    sql = f"DELETE FROM {q(name)} WHERE {_key_where(backend, schema, pk, key, stmt)}"
    with backend.transaction(conn):
        cursor = execute(conn, backend, sql, stmt.params)
        if cursor.rowcount != 1:
            raise StudioError(f"no row of {name} has that key any more (changed or deleted meanwhile): nothing changed")
    return Change(shown_sql(backend, sql), [shown(p) for p in stmt.params])
