"""Tables, keys, constraints, indexes and views on PostgreSQL.

Every constraint that existing rows could break is preceded by a guard counting them (a
PRIMARY KEY over duplicates, a UNIQUE or unique index over duplicates, a FOREIGN
KEY over orphans, a CHECK over rows it rejects), so the migration stops with a message
naming the table and the count instead of PostgreSQL's first offending row.
"""

from __future__ import annotations

from sqlglot import exp

from mizzle.core import qualified
from mizzle.core.errors import UnsupportedError
from mizzle.core.model import ForeignKey, Index, PrimaryKey, Schema, View
from mizzle.core.operations import (
    AddCheck,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    CreateIndex,
    CreateTable,
    CreateView,
    DropCheck,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    DropUnique,
    DropView,
    RenameTable,
    ReplaceView,
)
from mizzle.core.plan import Guard
from mizzle.core.types import SERIAL_KINDS
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.postgresql import sync_sql
from mizzle.dialects.postgresql.plan_context import (
    DIALECT,
    Context,
    Planned,
    add_check_sql,
    alter_table,
    count_guard,
    create_schema_sql,
    drop_constraint,
    drop_view,
    duplicates_guard,
    expr_sql,
    ident,
    in_schema_of,
    message_text,
    rel,
    views_over,
)
from mizzle.dialects.postgresql.plan_serials import rename_sequence
from mizzle.dialects.postgresql.render import (
    add_foreign_key_sql,
    create_index_sql,
    create_table_sql,
    create_view_sql,
    serial_sequences_sql,
)

# --- tables ------------------------------------------------------------------------------------


def create_table(op: CreateTable, ctx: Context) -> Planned:
    """CREATE TABLE with its keys, constraints and foreign keys (evolve() has checked that
    their targets exist), then its indexes (a Table holds its indexes), then a sync table's
    triggers (DROP TABLE drops them with it)."""
    table = op.table
    # (create_table_sql's schema only matters on SQLite)
    statements = [*create_schema_sql(table.name), create_table_sql(table, Schema(tables=(table,)))]
    statements += serial_sequences_sql(table)
    statements += [create_index_sql(table.name, i) for i in table.indexes]
    if table.sync:
        statements += sync_sql.trigger_statements(table.name, table.primary_key_columns)
    return Planned(tuple(statements))


def drop_table(op: DropTable, ctx: Context) -> Planned:
    return Planned((f"DROP TABLE {rel(op.table.name)}",))


def rename_table(op: RenameTable, ctx: Context) -> Planned:
    """ALTER TABLE ... RENAME, and each serial's sequence with it (see `plan_serials.py`).
    Constraint and index names stay: PostgreSQL keeps them, and so does the model."""
    (old_schema, _), (new_schema, new_name) = qualified.split(op.old), qualified.split(op.new)
    if old_schema != new_schema:
        raise UnsupportedError(
            f"cannot rename table {message_text(op.old)} to {message_text(op.new)}: moving a table to another schema"
            " is not planned (drop and create it, or move it by hand with ALTER TABLE ... SET SCHEMA)"
        )
    statements = [f"{alter_table(op.old)} RENAME TO {ident(new_name)}"]
    table = ctx.table_after(op.new)
    statements += [rename_sequence(op.new, c.name) for c in table.columns if c.type.kind in SERIAL_KINDS]
    return Planned(tuple(statements))


# --- keys and constraints ----------------------------------------------------------------------


def _place(table: str, columns: tuple[str, ...] | list[str]) -> str:
    return f"{message_text(table)}({message_text(', '.join(columns))})"


def add_primary_key(op: AddPrimaryKey, ctx: Context) -> Planned:
    """ADD CONSTRAINT ... PRIMARY KEY, guarded against duplicates (its columns are NOT NULL
    already: evolve() refuses a key over a nullable column, so a SET NOT NULL and its own
    guard come first)."""
    key: PrimaryKey = op.key
    message = f"cannot add primary key {message_text(key.name)} on {_place(op.table, key.columns)}: "
    message += "{count} values appear more than once"
    guard = duplicates_guard(op.table, [ident(c) for c in key.columns], None, message, skip_nulls=False)
    return Planned((ddl.sql(ddl.add_constraint(op.table, ddl.primary_key(key)), DIALECT),), guards=(guard,))


def drop_primary_key(op: DropPrimaryKey, ctx: Context) -> Planned:
    return Planned((drop_constraint(op.table, op.key.name),))


def _orphans_guard(table: str, fk: ForeignKey) -> Guard:
    """Rows whose key matches no row of the referenced table (a key holding a NULL is not
    checked: MATCH SIMPLE)."""
    present = " AND ".join(f"child.{ident(c)} IS NOT NULL" for c in fk.columns)
    match = " AND ".join(
        f"parent.{ident(r)} = child.{ident(c)}" for c, r in zip(fk.columns, fk.ref_columns, strict=True)
    )
    parent_table = rel(fk.ref_table) if fk.ref_schema is None else f"{ident(fk.ref_schema)}.{ident(fk.ref_table)}"
    parent = f"SELECT 1 FROM {parent_table} AS parent WHERE {match}"
    query = f"SELECT count(*) FROM {rel(table)} AS child WHERE {present} AND NOT EXISTS ({parent})"
    message = (
        f"cannot add foreign key {message_text(fk.name)} on {_place(table, fk.columns)}: "
        f"{{count}} rows of {message_text(table)} have no matching row in {message_text(fk.ref_shown)}"
    )
    return Guard(query=query, message=message)


def add_foreign_key(op: AddForeignKey, ctx: Context) -> Planned:
    return Planned((add_foreign_key_sql(op.table, op.fk),), guards=(_orphans_guard(op.table, op.fk),))


def drop_foreign_key(op: DropForeignKey, ctx: Context) -> Planned:
    return Planned((drop_constraint(op.table, op.fk.name),))


def add_unique(op: AddUnique, ctx: Context) -> Planned:
    u = op.unique
    message = f"cannot add unique {message_text(u.name)} on {_place(op.table, u.columns)}: "
    message += "{count} values appear more than once"
    # NULLS NOT DISTINCT: rows with NULL keys count as duplicates too (GROUP BY groups NULLs)
    skip_nulls = not u.nulls_not_distinct
    guard = duplicates_guard(op.table, [ident(c) for c in u.columns], None, message, skip_nulls=skip_nulls)
    return Planned((ddl.sql(ddl.add_constraint(op.table, ddl.unique(u)), DIALECT),), guards=(guard,))


def drop_unique(op: DropUnique, ctx: Context) -> Planned:
    return Planned((drop_constraint(op.table, op.unique.name),))


def add_check(op: AddCheck, ctx: Context) -> Planned:
    check = op.check
    statement = add_check_sql(op.table, check)
    # a CHECK accepts a row whose expression is NULL: count only the rows where it is false
    message = f"cannot add check {message_text(check.name)} on {message_text(op.table)}: {{count}} rows break it"
    return Planned((statement,), guards=(count_guard(op.table, f"NOT ({expr_sql(check.expr)})", message),))


def drop_check(op: DropCheck, ctx: Context) -> Planned:
    return Planned((drop_constraint(op.table, op.check.name),))


# --- indexes -----------------------------------------------------------------------------------

_CREATE_INDEX = ("CREATE INDEX ", "CREATE UNIQUE INDEX ")


def _concurrently(statement: str) -> str:
    """`CREATE [UNIQUE] INDEX` → `CREATE [UNIQUE] INDEX CONCURRENTLY` (the renderer prints the rest)."""
    head = next(h for h in _CREATE_INDEX if statement.startswith(h))
    return f"{head}CONCURRENTLY {statement[len(head) :]}"


def _index_key_sql(index: Index) -> list[str]:
    return [ddl.sql(ddl.index_key_tree(k), DIALECT) for k in index.keys]


def create_index(op: CreateIndex, ctx: Context) -> Planned:
    index = op.index
    guards: tuple[Guard, ...] = ()
    if index.unique:
        keys = _index_key_sql(index)
        message = f"cannot create unique index {message_text(index.name)} on {_place(op.table, keys)}: "
        message += "{count} values appear more than once"
        where = expr_sql(index.where) if index.where else None
        skip_nulls = not index.nulls_not_distinct
        guards = (duplicates_guard(op.table, keys, where, message, skip_nulls=skip_nulls),)
    statement = create_index_sql(op.table, index)
    if not ctx.concurrent:
        return Planned((statement,), guards=guards)
    # CONCURRENTLY cannot run in a transaction. A build that fails leaves an invalid index
    # behind under the name: dropping it first lets the migration simply run again.
    drop = f"DROP INDEX CONCURRENTLY IF EXISTS {in_schema_of(op.table, index.name)}"
    return Planned((drop, _concurrently(statement)), guards=guards, transactional=False)


def drop_index(op: DropIndex, ctx: Context) -> Planned:
    if ctx.concurrent:
        # Outside a transaction, so it may run again when a run killed after it resumes (the
        # progress record comes with the next transaction): IF EXISTS makes that a no-op.
        drop = f"DROP INDEX CONCURRENTLY IF EXISTS {in_schema_of(op.table, op.index.name)}"
        return Planned((drop,), transactional=False)
    return Planned((f"DROP INDEX {in_schema_of(op.table, op.index.name)}",))


# --- views -------------------------------------------------------------------------------------


def create_view(op: CreateView, ctx: Context) -> Planned:
    return Planned((*create_schema_sql(op.view.name), create_view_sql(op.view)))


def drop_view_op(op: DropView, ctx: Context) -> Planned:
    return Planned((drop_view(op.view.name),))


def _sources(query: exp.Select) -> list[str]:
    """The FROM and JOIN clauses, as text."""
    parts = [query.args.get("from_"), *(query.args.get("joins") or [])]
    return [p.sql(dialect=DIALECT) for p in parts if p is not None]


def _replaceable(old: View, new: View) -> bool:
    """Whether CREATE OR REPLACE VIEW can turn `old` into `new`: PostgreSQL lets it add
    output columns at the end only, never drop, rename or retype one. That holds when the old
    output list is a prefix of the new one, read from the same tables."""
    a, b = old.query.tree, new.query.tree
    if not (isinstance(a, exp.Select) and isinstance(b, exp.Select)) or a.is_star or b.is_star:
        return False
    outputs_a = [e.sql(dialect=DIALECT) for e in a.expressions]
    outputs_b = [e.sql(dialect=DIALECT) for e in b.expressions]
    return outputs_b[: len(outputs_a)] == outputs_a and _sources(a) == _sources(b)


def replace_view(op: ReplaceView, ctx: Context) -> Planned:
    """CREATE OR REPLACE VIEW where PostgreSQL allows it; otherwise the view is dropped and
    created again, with the views reading it dropped before and created again after."""
    if _replaceable(op.old, op.new):
        statement = create_view_sql(op.new)
        return Planned(("CREATE OR REPLACE VIEW" + statement.removeprefix("CREATE VIEW"),))
    dependents = views_over(ctx.before, [op.old.name])
    statements = [drop_view(v.name) for v in reversed(dependents)] + [drop_view(op.old.name), create_view_sql(op.new)]
    after = {v.name: v for v in ctx.after.views}
    statements += [create_view_sql(after[v.name]) for v in dependents]
    return Planned(tuple(statements))
