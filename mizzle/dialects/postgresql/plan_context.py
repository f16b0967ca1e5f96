"""What the PostgreSQL planner modules share: the context an operation is planned in, what
planning one operation gives, and the spellings of names, literals and guard queries.

Names are quoted by the renderer's rule (`ddl_trees.must_quote`), so a name reads alike in
a migration and in the DDL that created the object.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from mizzle.core import qualified
from mizzle.core.expr import SqlExpr
from mizzle.core.model import Check, Index, Schema, Table, View
from mizzle.core.operations import Operation
from mizzle.core.plan import Guard
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.postgresql import spelling

DIALECT = "postgres"


@dataclass(frozen=True)
class Planned:
    """The SQL one operation becomes (see `mizzle.core.plan.Step`)."""

    statements: tuple[str, ...]
    guards: tuple[Guard, ...] = ()
    transactional: bool = True


class Context:
    """Where an operation runs. The schemas before and after it are computed on first use
    (most operations need neither, and following every operation of a 1000-table initial
    migration through the model would cost more than planning it)."""

    def __init__(
        self,
        before: Callable[[], Schema],
        after: Callable[[], Schema],
        later: Callable[[], Sequence[Operation]],
        *,
        concurrent: bool = False,
    ) -> None:
        self._before, self._after, self._later = before, after, later
        #: CreateIndex / DropIndex: CONCURRENTLY, as a step outside the transaction
        self.concurrent = concurrent

    @cached_property
    def before(self) -> Schema:
        return self._before()

    @cached_property
    def after(self) -> Schema:
        return self._after()

    @cached_property
    def later(self) -> Sequence[Operation]:
        """The operations that run after this one in the same migration."""
        return self._later()

    def table_before(self, name: str) -> Table:
        table = self.before.table(name)
        assert table is not None, f"no table {name} before the operation"  # evolve() checked the operations
        return table

    def table_after(self, name: str) -> Table:
        table = self.after.table(name)
        assert table is not None, f"no table {name} after the operation"
        return table


# --- spellings ---------------------------------------------------------------------------------


#: a name, quoted when the renderer quotes it
ident = ddl.quote_ident


def rel(name: str) -> str:
    """A table's, view's or type's model name (`app.t`: `t` in schema `app`), quoted as needed."""
    return ddl.relation_sql(name, DIALECT)


def in_schema_of(table: str, name: str) -> str:
    """An index of `table` by name (`DROP INDEX` needs the schema of its table)."""
    schema = qualified.schema_of(table)
    return f"{ident(schema)}.{ident(name)}" if schema else ident(name)


def create_schema_sql(name: str) -> list[str]:
    """Before creating `name` in one of the app's other schemas: that schema (kept when the
    object is dropped again, as other objects may live in it)."""
    schema = qualified.schema_of(name)
    return [f"CREATE SCHEMA IF NOT EXISTS {ident(schema)}"] if schema else []


def idents(names: Iterable[str]) -> str:
    return ", ".join(ident(n) for n in names)


def string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def strings(texts: Iterable[str]) -> str:
    return ", ".join(string(t) for t in texts)


def expr_sql(expr: SqlExpr) -> str:
    """A model expression (CHECK, index predicate) as the renderer prints it."""
    return ddl.sql(ddl.requote(expr.tree), DIALECT)


def alter_table(table: str) -> str:
    return f"ALTER TABLE {rel(table)}"


def alter_column(table: str, column: str) -> str:
    return f"ALTER TABLE {rel(table)} ALTER COLUMN {ident(column)}"


def drop_constraint(table: str, name: str) -> str:
    return f"{alter_table(table)} DROP CONSTRAINT {ident(name)}"


def add_check_sql(table: str, check: Check) -> str:
    return ddl.sql(ddl.add_constraint(table, ddl.check(check.name, spelling.expr_tree(check.expr))), DIALECT)


def reads_by_expression(index: Index, column: str) -> bool:
    """Whether the index reads `column` in an expression key or its predicate. PostgreSQL
    rebuilds such an index from its stored text when the column's type changes, and that
    text may name the old type (`WHERE m = 'a'::mood__old`); a plain column key is rebuilt
    for the new type without trouble."""
    exprs = [k.expr for k in index.keys if k.expr is not None] + ([index.where] if index.where else [])
    return any(column in e.column_names() for e in exprs)


# --- guards --------------------------------------------------------------------------------------


def message_text(text: str) -> str:
    """`text` (names, values) made safe inside a guard message, which is filled with str.format."""
    return text.replace("{", "{{").replace("}", "}}")


def count_guard(table: str, condition: str | None, message: str) -> Guard:
    """A guard counting the rows of `table` (that match `condition`)."""
    where = f" WHERE {condition}" if condition else ""
    return Guard(query=f"SELECT count(*) FROM {rel(table)}{where}", message=message)


def duplicates_guard(table: str, keys: Sequence[str], where: str | None, message: str, *, skip_nulls: bool) -> Guard:
    """A guard counting the key values (`keys`: SQL expressions) that more than one row holds.
    A UNIQUE lets rows whose key holds a NULL repeat (`skip_nulls`); a PRIMARY KEY does not."""
    conditions = [f"{k} IS NOT NULL" for k in keys] if skip_nulls else []
    conditions += [f"({where})"] if where else []
    filtered = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    inner = f"SELECT 1 FROM {rel(table)}{filtered} GROUP BY {', '.join(keys)} HAVING count(*) > 1"
    return Guard(query=f"SELECT count(*) FROM ({inner}) AS duplicate", message=message)


# --- views -------------------------------------------------------------------------------------


def views_over(schema: Schema, names: Iterable[str]) -> list[View]:
    """The views that read any of `names` (tables or views), directly or through other
    views, in creation order: drop them in reverse, recreate them in this order."""
    reached = set(names)
    found: dict[str, View] = {}
    changed = True
    while changed:
        changed = False
        for view in schema.views:
            if view.name not in found and reached & set(view.referenced_tables()):
                found[view.name] = view
                reached.add(view.name)
                changed = True
    return ddl.view_order(list(found.values()))


def drop_view(name: str) -> str:
    return f"DROP VIEW {rel(name)}"
