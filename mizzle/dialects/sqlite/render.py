"""Model → SQLite DDL, through sqlglot trees (see `ddl_trees.py`).

Never a transpilation of PostgreSQL DDL: declared types come from `types.py`, defaults are
spelled here, and every expression the model holds goes through `transpile.py` (rewritten,
printed, checked on a scratch database). `render_schema` renders the schema as SQLite
holds it (`capabilities.project`); the other functions take model objects as they are and
are the building blocks of migration plans.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from mizzle.core.errors import UnsupportedError
from mizzle.core.model import (
    Check,
    Column,
    ExprDefault,
    Index,
    LiteralDefault,
    NowDefault,
    RandomUuidDefault,
    Schema,
    Table,
    View,
)
from mizzle.core.quoting import text_literal
from mizzle.core.types import NUMBER_KINDS, TypeKind
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.sqlite import sync_sql, transpile
from mizzle.dialects.sqlite.capabilities import capability_problems, serial_problem, storage_projection
from mizzle.dialects.sqlite.spelling import default_clause, default_problem, type_problem
from mizzle.dialects.sqlite.types import ENUM_CHECK_PREFIX, NOW_SQL, RANDOM_UUID_SQL, declared_type
from mizzle.dialects.sync_render import sync_statements

DIALECT = transpile.DIALECT


#: how this dialect writes a name in SQL text (`Dialect.quote_ident`): by the renderer's rule
quote_ident = ddl.quote_ident


def default_sql(column: Column, *, table_name: str | None = None) -> str | None:
    """The column's DEFAULT as SQLite text, always in parentheses, or None.
    `table_name` only serves error messages (an expression SQLite cannot run)."""
    default = column.default
    ctype = column.type
    if default is None:
        return None
    if column.sqlite_default is not None:
        # as the database held it (see `spelling.py`), proven one expression before use
        clause = default_clause(column.sqlite_default)
        if clause is None:
            problem = default_problem(column.sqlite_default)
            raise UnsupportedError(f'table "{table_name}", column "{column.name}": {problem}')
        return clause
    if isinstance(default, NowDefault):
        return f"({NOW_SQL[ctype.kind]})"
    if isinstance(default, RandomUuidDefault):
        return f"({RANDOM_UUID_SQL})"
    if isinstance(default, LiteralDefault):
        value = default.value
        if isinstance(value, list):
            return f"({text_literal(transpile.json_array_text(value, ctype.element))})"
        if isinstance(value, bool):
            return "(1)" if value else "(0)"
        if isinstance(value, int) or ctype.kind in NUMBER_KINDS:
            return f"({value})"
        if ctype.kind in (TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ):
            return f"({text_literal(transpile.timestamp_text(value, ctype.kind))})"
        return f"({text_literal(value)})"
    assert isinstance(default, ExprDefault)
    where = (f'table "{table_name}", ' if table_name else "") + f'column "{column.name}", default'
    return f"({transpile.default_expression(default.expr, where)})"


def autoincrement_column(table: Table) -> Column | None:
    """The AUTOINCREMENT rowid alias, if the table has one."""
    return next((c for c in table.columns if c.sqlite_autoincrement), None)


def _sole_pk_column(table: Table) -> str | None:
    pk = table.primary_key
    return pk.columns[0] if pk is not None and len(pk.columns) == 1 else None


def _enum_check(table: Table, column: Column, schema: Schema) -> list[tuple[str, exp.Expression]]:
    """The `CONSTRAINT "enum:<name>" CHECK (col IN (...))` an enum column carries on SQLite."""
    ctype = column.type
    if ctype.kind is not TypeKind.ENUM or ctype.array_dims:
        return []
    assert ctype.name is not None
    enum = schema.enum(ctype.name)
    if enum is None:
        raise UnsupportedError(f'table "{table.name}", column "{column.name}": enum "{ctype.name}" is not defined')
    values = [exp.Literal.string(v) for v in enum.values]
    return [(ENUM_CHECK_PREFIX + enum.name, exp.In(this=exp.column(ddl.ident(column.name)), expressions=values))]


def column_declared(table: Table, column: Column) -> str:
    """The column's declared type: as the database held it (`sqlite_type`), else mizzle's."""
    if column.sqlite_type is not None:
        if problem := type_problem(column.sqlite_type):
            raise UnsupportedError(f'table "{table.name}", column "{column.name}": {problem}')
        return column.sqlite_type
    return declared_type(column.type, sole_primary_key=_sole_pk_column(table) == column.name)


def _column_tree(table: Table, column: Column, schema: Schema) -> exp.ColumnDef:
    declared = column_declared(table, column)
    return ddl.column_def(
        column.name,
        declared,
        nullable=column.nullable or column.sqlite_null_key,  # SQLite's NULL key: declared as it was
        default=default_sql(column, table_name=table.name),
        checks=_enum_check(table, column, schema),
        generated=_generated_sql(table, column),
    )


def _generated_sql(table: Table, column: Column) -> str | None:
    """`GENERATED ALWAYS AS (expr) STORED` of a generated column, the expression in SQLite's spelling."""
    if column.generated is None:
        return None
    tree = transpile.check_expression(column.generated, f'table "{table.name}", column "{column.name}", generated')
    return f"GENERATED ALWAYS AS ({ddl.sql(tree, DIALECT)}) STORED"


#: (column, sole primary key?, its enum) → its definition (tables repeat columns: ids,
#: timestamps, sync columns). The table only names the place in error messages.
_COLUMNS: ddl.Memo[tuple[object, ...], str] = ddl.Memo()


def column_sql(table: Table, column: Column, schema: Schema) -> str:
    """The column definition fragment, e.g. `id INTEGER NOT NULL` (a serial sole primary key:
    with the table's PRIMARY KEY it is the rowid alias) or
    `mood TEXT CONSTRAINT "enum:mood" CHECK (mood IN ('ok', 'sad'))`."""
    ctype = column.type
    enum = schema.enum(ctype.name) if ctype.kind is TypeKind.ENUM and ctype.name is not None else None
    key = ddl.column_key(column, _sole_pk_column(table) == column.name, enum)
    return _COLUMNS.get(key, lambda: ddl.sql(_column_tree(table, column, schema), DIALECT))


def _check_sql(table: Table, check: Check) -> str:
    def build(names: Sequence[str]) -> exp.Constraint:
        tree = transpile.check_expression(check.expr, f'table "{table.name}", check "{names[0]}"')
        return ddl.check(names[0], tree)

    return ddl.print_named(("check", ddl.shape(check, "name")), (check.name,), build, DIALECT)


def create_table_sql(table: Table, schema: Schema) -> str:
    """CREATE TABLE with columns, primary key, foreign keys (SQLite has no ADD CONSTRAINT, and
    checks no target at CREATE time), uniques and checks. `schema` gives the enums' values."""
    problem = serial_problem(table)
    if problem:
        raise UnsupportedError(problem)
    elements = [column_sql(table, c, schema) for c in table.columns]
    auto = autoincrement_column(table)
    if auto is not None and table.primary_key:
        # AUTOINCREMENT exists only in a column's own PRIMARY KEY clause
        pk = f" CONSTRAINT {ddl.name_sql(table.primary_key.name, DIALECT)} PRIMARY KEY AUTOINCREMENT"
        elements[table.columns.index(auto)] += pk
    elif table.primary_key:
        elements.append(ddl.primary_key_sql(table.primary_key, DIALECT))
    elements += [ddl.unique_sql(u, DIALECT) for u in table.uniques]
    elements += [_check_sql(table, check) for check in table.checks]
    # SQLite has one schema: a reference to a table the project leaves out is unqualified there
    elements += [
        ddl.foreign_key_sql(fk if fk.ref_schema is None else fk.model_copy(update={"ref_schema": None}), DIALECT)
        for fk in table.foreign_keys
    ]
    return ddl.create_table_text(ddl.name_sql(table.name, DIALECT), elements)


def create_index_sql(table_name: str, index: Index) -> str:
    """CREATE [UNIQUE] INDEX, without a method or NULLS FIRST/LAST: SQLite has neither
    (see `capabilities.project`)."""

    def build(names: Sequence[str]) -> exp.Create:
        name, table = names
        keys, predicate = transpile.index_keys(index, f'table "{table}", index "{name}"')
        return ddl.create_index(name, table, keys, unique=index.unique, where=predicate)

    return ddl.print_named(("index", ddl.shape(index, "name")), (index.name, table_name), build, DIALECT)


def create_view_sql(view: View) -> str:
    return ddl.sql(ddl.create_view(view.name, transpile.view_query(view)), DIALECT)


def render_schema(schema: Schema) -> list[str]:
    """Every statement creating `schema` in an empty SQLite database: the schema as SQLite
    holds it (`capabilities.project`; expressions are carried once, here), tables in
    foreign-key order with every foreign key inline, then indexes, then views (each after
    the views it reads), then the sync tables' support tables and triggers, then the virtual
    tables (FTS5...) as written, then the app's triggers given for SQLite (which may write
    them). Enums have no statement: each enum column carries its CHECK;
    PostgreSQL's functions and extensions have none either."""
    problems = capability_problems(schema)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsupportedError(problems[0] + more)
    held = storage_projection(schema)
    tables, _cycles = ddl.table_order(held)
    statements = [create_table_sql(t, held) for t in tables]
    statements += [create_index_sql(t.name, i) for t in tables for i in t.indexes]
    statements += sync_statements(tables, sync_sql.support_statements, sync_sql.trigger_statements)
    statements += [create_view_sql(v) for v in ddl.view_order(held.views)]
    statements += [v.sqlite for v in held.virtual_tables]
    statements += [tr.sqlite for t in tables for tr in t.triggers if tr.sqlite is not None]
    return statements
