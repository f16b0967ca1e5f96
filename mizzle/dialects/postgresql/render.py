"""Model → PostgreSQL DDL, through sqlglot trees (see `ddl_trees.py`).

Type names and literal defaults come from `types.py`; expressions held by the model
(defaults, checks, index keys and predicates, view bodies) are printed in PostgreSQL's own
spelling where the model keeps one, else as their canonical trees (see `spelling.py`).
Every constraint and index is printed with its name.
"""

from __future__ import annotations

from sqlglot import exp

from mizzle.core import qualified
from mizzle.core.diff_pg_objects import materialized_views_in_order, partitions_in_order
from mizzle.core.errors import UnsupportedError
from mizzle.core.expr import parse_expression
from mizzle.core.model import (
    Check,
    Column,
    Enum,
    ExprDefault,
    ForeignKey,
    Index,
    LiteralDefault,
    NowDefault,
    RandomUuidDefault,
    Schema,
    Table,
    View,
)
from mizzle.core.naming import make_object_name
from mizzle.core.routines import needs_tables, relation_words
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.postgresql import spelling, sync_sql, types
from mizzle.dialects.postgresql.capabilities import capability_problems
from mizzle.dialects.postgresql.objects_sql import column_type_sql, create_sql
from mizzle.dialects.postgresql.partitions_sql import partition_by_sql
from mizzle.dialects.postgresql.render_security import default_privilege_statements, security_statements
from mizzle.dialects.postgresql.routines_sql import NO_BODY_CHECKS_SESSION, create_extension_sql, create_trigger_sql
from mizzle.dialects.sync_render import sync_statements

DIALECT = "postgres"

#: The method PostgreSQL uses when CREATE INDEX names none.
DEFAULT_INDEX_METHOD = "btree"


#: how this dialect writes a name in SQL text (`Dialect.quote_ident`): by the renderer's rule
quote_ident = ddl.quote_ident


def default_sql(column: Column) -> str | None:
    """The column's DEFAULT expression as PostgreSQL text, or None."""
    default = column.default
    if default is None:
        return None
    if isinstance(default, NowDefault):
        return default.pg or "now()"  # its PostgreSQL spelling, where it was read with one
    if isinstance(default, RandomUuidDefault):
        return "gen_random_uuid()"
    if isinstance(default, LiteralDefault):
        return default.pg or types.literal_sql(default.value, column.type)
    assert isinstance(default, ExprDefault)
    text = default.expr.render(DIALECT)
    # PostgreSQL's spelling may be an operator where the canonical tree is a call
    # (`now() AT TIME ZONE 'utc'` for `timezone('utc', now())`): its own shape decides
    tree = parse_expression(default.expr.pg) if default.expr.pg is not None else default.expr.tree
    return f"({text})" if isinstance(tree, _NEEDS_PARENTHESES) else text


#: Expressions PostgreSQL's grammar does not take bare after DEFAULT (a `b_expr`: no boolean
#: operators, AT TIME ZONE, IS, IN, BETWEEN, LIKE...): `DEFAULT (CURRENT_TIMESTAMP AT TIME
#: ZONE 'utc')` loses its parentheses in the model's tree and must get them back.
_NEEDS_PARENTHESES = (
    exp.Not,
    exp.AtTimeZone,
    exp.And,
    exp.Or,
    exp.Is,
    exp.In,
    exp.Between,
    exp.Like,
    exp.ILike,
    exp.SimilarTo,
    exp.Collate,
    exp.Exists,
)


def _column_tree(column: Column) -> exp.ColumnDef:
    return ddl.column_def(
        column.name,
        column_type_sql(column),
        nullable=column.nullable,
        default=default_sql(column),
        checks=(),
        generated=_generated_sql(column),
    )


def _generated_sql(column: Column) -> str | None:
    """`GENERATED ALWAYS AS IDENTITY ...` or `GENERATED ALWAYS AS (expr) STORED`, if any."""
    if column.identity is not None:
        return column.identity.sql()
    if column.generated is not None:
        return f"GENERATED ALWAYS AS ({ddl.sql(spelling.expr_tree(column.generated), DIALECT)}) STORED"
    return None


#: column → its definition (tables repeat columns: ids, timestamps, sync columns)
_COLUMNS: ddl.Memo[tuple[object, ...], str] = ddl.Memo()


def column_sql(table: Table, column: Column, schema: Schema) -> str:
    """The column definition fragment, e.g. `price numeric(10,2) NOT NULL DEFAULT 0`.
    (`table` and `schema` are unused on PostgreSQL; the signature matches SQLite's.)"""
    return _column_sql(column)


def _column_sql(column: Column) -> str:
    key = ddl.column_key(column, *spelling.column_spellings(column))
    return _COLUMNS.get(key, lambda: ddl.sql(_column_tree(column), DIALECT))


def _check_sql(check: Check) -> str:
    key = ("check", ddl.shape(check, "name"), spelling.check_spellings(check))
    return ddl.print_named(key, (check.name,), lambda n: ddl.check(n[0], spelling.expr_tree(check.expr)), DIALECT)


def _create_table_sql(table: Table, fks: tuple[ForeignKey, ...]) -> str:
    elements = [_column_sql(c) for c in table.columns]
    if table.primary_key:
        elements.append(ddl.primary_key_sql(table.primary_key, DIALECT))
    elements += [ddl.unique_sql(u, DIALECT) for u in table.uniques]
    elements += [_check_sql(c) for c in table.checks]
    elements += [ddl.foreign_key_sql(fk, DIALECT) for fk in fks]
    text = ddl.create_table_text(ddl.relation_sql(table.name, DIALECT), elements)
    return f"{text} {partition_by_sql(table.partition_by)}" if table.partition_by is not None else text


def create_table_sql(table: Table, schema: Schema, *, inline_fks: bool = True) -> str:
    """CREATE TABLE with its columns, primary key, uniques, checks and (when `inline_fks`)
    foreign keys; without them, add each later with `add_foreign_key_sql`."""
    return _create_table_sql(table, table.foreign_keys if inline_fks else ())


def add_foreign_key_sql(table_name: str, fk: ForeignKey) -> str:
    return ddl.add_foreign_key_sql(table_name, fk, DIALECT)


def serial_sequence_sql(table_name: str, column: Column) -> str | None:
    """A serial's sequence made as the model holds it, where it differs from the one the
    serial made (`Column.sequence`): its type and options, restarted at its start (the
    table is new). None for a serial whose sequence is the serial's own."""
    sequence = column.sequence
    if sequence is None:
        return None
    schema, bare = qualified.split(table_name)
    name = qualified.join(schema, make_object_name(bare, column.name, "seq"))
    clauses = ([f"AS {sequence.data_type}"] if sequence.data_type else []) + sequence.clauses()
    return f"ALTER SEQUENCE {ddl.relation_sql(name, DIALECT)} {' '.join([*clauses, 'RESTART'])}"


def serial_sequences_sql(table: Table) -> list[str]:
    """`serial_sequence_sql` of each of the table's columns that has one."""
    return [text for c in table.columns if (text := serial_sequence_sql(table.name, c)) is not None]


def create_enum_sql(enum: Enum) -> str:
    values = [exp.Literal.string(v) for v in enum.values]
    body = exp.DataType(this=exp.DataType.Type.ENUM, expressions=values)
    return ddl.sql(exp.Create(kind="TYPE", this=ddl.table_ref(enum.name), expression=body), DIALECT)


def create_index_sql(table_name: str, index: Index) -> str:
    """CREATE [UNIQUE] INDEX, with USING only for methods other than btree and NULLS
    FIRST/LAST only where the model records a non-default ordering."""
    if index.nulls_not_distinct:
        return _nulls_not_distinct_index_sql(table_name, index)
    key = ("index", ddl.shape(index, "name"), spelling.index_spellings(index))
    return ddl.print_named(key, (index.name, table_name), lambda n: _create_index_tree(n[1], index, n[0]), DIALECT)


def _nulls_not_distinct_index_sql(table_name: str, index: Index) -> str:
    """sqlglot neither reads nor prints an index's NULLS NOT DISTINCT, which PostgreSQL wants
    after the keys and before WHERE: the index is printed without its predicate, the option
    and the (printed) predicate follow."""
    text = ddl.sql(_create_index_tree(table_name, index.model_copy(update={"where": None}), index.name), DIALECT)
    text += " NULLS NOT DISTINCT"
    if index.where is not None:
        text += " " + ddl.sql(exp.Where(this=spelling.expr_tree(index.where)), DIALECT)
    return text


def _create_index_tree(table_name: str, index: Index, name: str) -> exp.Create:
    keys = []
    for key in index.keys:
        tree = spelling.index_key_tree(key)
        # PostgreSQL's default: NULLS LAST ascending, NULLS FIRST descending.
        nulls_first = key.desc if key.nulls is None else key.nulls == "first"
        keys.append(
            ddl.index_key(tree, desc=key.desc, nulls_first=nulls_first, opclass=key.opclass, collation=key.collation)
        )
    return ddl.create_index(
        name,
        table_name,
        keys,
        unique=index.unique,
        using=index.method if index.method != DEFAULT_INDEX_METHOD else None,
        where=spelling.expr_tree(index.where) if index.where else None,
    )


def create_view_sql(view: View) -> str:
    return ddl.sql(ddl.create_view(view.name, spelling.expr_tree(view.query)), DIALECT)


def schema_names(schema: Schema) -> list[str]:
    """The app's schemas other than the default one that `schema`'s objects live in."""
    return qualified.schemas_in(schema)


def _on_index(schema: Schema, fk: ForeignKey) -> bool:
    """Whether `fk` references columns that only a unique index (no primary key or unique
    constraint) makes unique, as PostgreSQL allows (Danbooru's `login_sessions(login_id)`):
    such a key can be added only once the indexes exist."""
    target = schema.table(fk.ref_table) if fk.ref_schema is None else None
    if target is None:
        return False
    keys = {frozenset(u.columns) for u in target.uniques}
    if target.primary_key is not None:
        keys.add(frozenset(target.primary_key.columns))
    return frozenset(fk.ref_columns) not in keys


def render_schema(schema: Schema, *, refuse_problems: bool = True) -> list[str]:
    """Every statement creating `schema` in an empty PostgreSQL database, in order:
    extensions, default privileges (tables created next receive them), enums, domains,
    sequences (their OWNED BY after the tables), the functions whose signature names no
    table (a DEFAULT may call one), tables (foreign keys inline when the target exists
    already), foreign keys closing a cycle, the other functions (bodies unchecked until they
    run, as pg_dump writes them), aggregates, indexes (which may call functions), foreign
    keys on a unique index (not a constraint) of their target, partitions (each after its
    parent; their own indexes and constraints), sync support and triggers, views (each
    after the views it reads), materialized views and their indexes, the app's triggers,
    then grants, row level security, policies (which may call the functions) and comments.
    `refuse_problems=False` renders what PostgreSQL would refuse or truncate too (`mizzle
    pull` records a SQLite database as it is, and warns)."""
    problems = capability_problems(schema) if refuse_problems else []
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsupportedError(problems[0] + more)
    statements = [f"CREATE SCHEMA IF NOT EXISTS {quote_ident(name)}" for name in schema_names(schema)]
    statements += [create_extension_sql(x) for x in schema.extensions]
    statements += default_privilege_statements(schema.security)
    statements += [create_enum_sql(e) for e in schema.enums]
    statements += [s for d in schema.domains for s in create_sql(d)]
    # sequences before the tables whose defaults call them, their owners once the columns exist
    statements += [s for q in schema.sequences for s in create_sql(q.model_copy(update={"owned_by": None}))]
    relations = relation_words([t.name for t in schema.tables] + [v.name for v in schema.views])
    early = [f for f in schema.functions if not needs_tables(f, relations)]
    if early:  # a column's DEFAULT or CHECK may call one
        statements += [NO_BODY_CHECKS_SESSION, *(f.definition for f in early)]
    tables, deferred = ddl.table_order(schema)
    later: list[str] = []
    after_indexes: list[str] = []
    for table in tables:
        inline = tuple(
            fk for fk in table.foreign_keys if (table.name, fk.name) not in deferred and not _on_index(schema, fk)
        )
        statements.append(_create_table_sql(table, inline))
        for fk in table.foreign_keys:
            if _on_index(schema, fk):
                after_indexes.append(add_foreign_key_sql(table.name, fk))
            elif (table.name, fk.name) in deferred:
                later.append(add_foreign_key_sql(table.name, fk))
    statements += later
    statements += [s for t in tables for s in serial_sequences_sql(t)]
    statements += [create_sql(q)[-1] for q in schema.sequences if q.owned_by is not None]
    late = [f for f in schema.functions if f not in early]
    # before the indexes, which may call them (Danbooru's `lower(text[])`); after the tables,
    # whose row types their signatures name
    if late:
        statements += [NO_BODY_CHECKS_SESSION, *(f.definition for f in late)]
    statements += [s for a in schema.aggregates for s in create_sql(a)]
    statements += [create_index_sql(t.name, i) for t in tables for i in t.indexes]
    statements += after_indexes
    # partitions once their tables, those tables' indexes and what their own keys reference exist
    statements += [s for p in partitions_in_order(schema.partitions) for s in create_sql(p)]
    statements += sync_statements(tables, sync_sql.support_statements, sync_sql.trigger_statements)
    statements += [create_view_sql(v) for v in ddl.view_order(schema.views)]
    statements += [s for v in materialized_views_in_order(schema.materialized_views) for s in create_sql(v)]
    for table in schema.tables:
        for trigger in table.triggers:
            statements += create_trigger_sql(table.name, trigger) if trigger.postgresql is not None else []
    return statements + security_statements(schema.security)
