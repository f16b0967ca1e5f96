"""sqlglot trees for DDL, shared by the PostgreSQL and SQLite renderers.

Each renderer decides the dialect's spellings (type names, defaults, expressions); the
functions here only assemble them into sqlglot expressions (`exp.Create`, `exp.ColumnDef`,
`exp.Constraint`...) and print them. The statement order both renderers share (tables by
foreign-key dependency, views on views) lives here too.

Identifiers are quoted only when one of the two databases needs it, and the same way in
both, so a name reads alike in PostgreSQL and SQLite DDL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import cache

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect

from mizzle.core.expr import needs_quotes
from mizzle.core.model import ForeignKey, IndexKey, PrimaryKey, Schema, Table, Unique, View

#: Words PostgreSQL takes bare as a name but SQLite does not (a syntax error as a table,
#: column, index or constraint name); found by trying each SQLite keyword on SQLite 3.40.
SQLITE_ONLY_KEYWORDS = frozenset(
    {
        "add",
        "alter",
        "autoincrement",
        "between",
        "commit",
        "delete",
        "drop",
        "escape",
        "exists",
        "if",
        "index",
        "insert",
        "nothing",
        "raise",
        "set",
        "transaction",
        "update",
        "values",
    }
)

_FK_ACTIONS = {"restrict": "RESTRICT", "cascade": "CASCADE", "set null": "SET NULL", "set default": "SET DEFAULT"}


def must_quote(name: str) -> bool:
    """Whether `name` is quoted in DDL (for either database)."""
    return needs_quotes(name) or name in SQLITE_ONLY_KEYWORDS


def ident(name: str) -> exp.Identifier:
    return exp.Identifier(this=name, quoted=must_quote(name))


def table_ref(name: str) -> exp.Table:
    return exp.Table(this=ident(name))


def requote(tree: exp.Expression) -> exp.Expression:
    """`tree` (a model expression, quoted for PostgreSQL) with names quoted as DDL quotes them."""
    for node in tree.find_all(exp.Identifier):
        if not node.quoted and must_quote(node.this):
            node.set("quoted", True)
    return tree


def type_node(spelling: str) -> exp.DataType:
    """A type printed verbatim in every dialect (sqlglot would otherwise rewrite some names)."""
    return exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=spelling)


def raw(text: str) -> exp.Var:
    """SQL text printed verbatim: a default already spelled for its dialect."""
    return exp.Var(this=text)


# --- columns and constraints -------------------------------------------------------------


def column_def(
    name: str, type_spelling: str, *, nullable: bool, default: str | None, checks: Sequence[tuple[str, exp.Expression]]
) -> exp.ColumnDef:
    """`name TYPE [NOT NULL] [DEFAULT x] [CONSTRAINT c CHECK (...)]...`."""
    constraints: list[exp.ColumnConstraint] = []
    if not nullable:
        constraints.append(exp.ColumnConstraint(kind=exp.NotNullColumnConstraint()))
    if default is not None:
        constraints.append(exp.ColumnConstraint(kind=exp.DefaultColumnConstraint(this=raw(default))))
    for check_name, tree in checks:
        constraints.append(exp.ColumnConstraint(this=ident(check_name), kind=exp.CheckColumnConstraint(this=tree)))
    return exp.ColumnDef(this=ident(name), kind=type_node(type_spelling), constraints=constraints)


def primary_key(pk: PrimaryKey) -> exp.Constraint:
    return exp.Constraint(this=ident(pk.name), expressions=[exp.PrimaryKey(expressions=_idents(pk.columns))])


def unique(u: Unique) -> exp.Constraint:
    body = exp.UniqueColumnConstraint(this=exp.Schema(expressions=_idents(u.columns)))
    return exp.Constraint(this=ident(u.name), expressions=[body])


def check(name: str, tree: exp.Expression) -> exp.Constraint:
    return exp.Constraint(this=ident(name), expressions=[exp.CheckColumnConstraint(this=tree)])


def foreign_key(fk: ForeignKey) -> exp.Constraint:
    """`CONSTRAINT f FOREIGN KEY (a) REFERENCES t (b) [ON DELETE x] [ON UPDATE y] [DEFERRABLE ...]`,
    printing only what differs from the defaults (NO ACTION, not deferrable)."""
    options: list[str] = []
    if fk.on_delete != "no action":
        options.append(f"ON DELETE {_FK_ACTIONS[fk.on_delete]}")
    if fk.on_update != "no action":
        options.append(f"ON UPDATE {_FK_ACTIONS[fk.on_update]}")
    if fk.deferrable:
        options.append("DEFERRABLE")
    if fk.initially_deferred:
        options.append("INITIALLY DEFERRED")
    target = exp.Schema(this=table_ref(fk.ref_table), expressions=_idents(fk.ref_columns))
    reference = exp.Reference(this=target, options=options)
    body = exp.ForeignKey(expressions=_idents(fk.columns), reference=reference)
    return exp.Constraint(this=ident(fk.name), expressions=[body])


def _idents(names: Iterable[str]) -> list[exp.Expression]:
    return [ident(n) for n in names]


# --- statements ---------------------------------------------------------------------------


def create_table(name: str, elements: Sequence[exp.Expression]) -> exp.Create:
    return exp.Create(kind="TABLE", this=exp.Schema(this=table_ref(name), expressions=list(elements)))


@cache
def _dialect(name: str) -> Dialect:
    return Dialect.get_or_raise(name)


def sql(tree: exp.Expression, dialect: str) -> str:
    """Print a statement tree built for this one print: sqlglot need not copy it first (nor
    build a dialect object per call, which is most of the cost of printing small trees)."""
    return tree.sql(dialect=_dialect(dialect), copy=False)


def print_create_table(tree: exp.Create, dialect: str) -> str:
    """CREATE TABLE with one column or constraint per line (sqlglot's own pretty printer
    also breaks every parenthesised name list, which reads badly in a migration)."""
    schema = tree.this
    assert isinstance(schema, exp.Schema)
    head = sql(schema.this, dialect)
    body = ",\n  ".join(sql(e, dialect) for e in schema.expressions)
    return f"CREATE TABLE {head} (\n  {body}\n)"


def add_constraint(table_name: str, constraint: exp.Constraint) -> exp.Alter:
    return exp.Alter(this=table_ref(table_name), kind="TABLE", actions=[exp.AddConstraint(expressions=[constraint])])


#: Index keys printed without parentheses: columns and what both databases print as a
#: function call. Any other expression is parenthesised, as PostgreSQL requires.
_BARE_INDEX_KEYS = (exp.Column, exp.Anonymous, exp.Lower, exp.Upper, exp.Coalesce, exp.Cast, exp.Length)


def index_key_tree(key: IndexKey) -> exp.Expression:
    """The column or the (requoted) expression an index key reads."""
    if key.column is not None:
        return exp.column(ident(key.column))
    assert key.expr is not None
    return requote(key.expr.tree)


def index_key(tree: exp.Expression, *, desc: bool, nulls_first: bool) -> exp.Ordered:
    """One index key. `nulls_first` must be given even when default: sqlglot prints NULLS
    FIRST/LAST exactly when it differs from the dialect's default for the direction."""
    if not isinstance(tree, _BARE_INDEX_KEYS):
        tree = exp.Paren(this=tree)
    return exp.Ordered(this=tree, desc=True if desc else None, nulls_first=nulls_first)


def create_index(
    name: str,
    table_name: str,
    keys: Sequence[exp.Ordered],
    *,
    unique: bool,
    using: str | None = None,
    where: exp.Expression | None = None,
) -> exp.Create:
    params = exp.IndexParameters(
        using=exp.Var(this=using) if using else None,
        columns=list(keys),
        where=exp.Where(this=where) if where is not None else None,
    )
    index = exp.Index(this=ident(name), table=table_ref(table_name), params=params)
    return exp.Create(kind="INDEX", this=index, unique=unique)


def create_view(name: str, query: exp.Expression) -> exp.Create:
    return exp.Create(kind="VIEW", this=table_ref(name), expression=query)


# --- statement order ----------------------------------------------------------------------


def _ordered(names: list[str], depends_on: Callable[[str], set[str]]) -> list[str]:
    """Names in dependency order: each after what it depends on, ties by name. On a cycle,
    the first remaining name (by name) goes next, so the order is always total and stable."""
    remaining = sorted(names)
    done: set[str] = set()
    order: list[str] = []
    while remaining:
        ready = next((n for n in remaining if depends_on(n) - {n} <= done), remaining[0])
        remaining.remove(ready)
        done.add(ready)
        order.append(ready)
    return order


def table_order(schema: Schema) -> tuple[list[Table], set[tuple[str, str]]]:
    """Tables in foreign-key dependency order, and the (table, foreign key) pairs whose target
    is created later (cycles): those must be added once every table exists."""
    known = {t.name for t in schema.tables}

    def targets(name: str) -> set[str]:
        table = schema.table(name)
        assert table is not None
        return {fk.ref_table for fk in table.foreign_keys if fk.ref_table in known}

    order = _ordered(sorted(known), targets)
    created: set[str] = set()
    deferred: set[tuple[str, str]] = set()
    tables: list[Table] = []
    for name in order:
        created.add(name)
        table = schema.table(name)
        assert table is not None
        tables.append(table)
        deferred |= {(name, fk.name) for fk in table.foreign_keys if fk.ref_table not in created}
    return tables, deferred


def view_order(views: Sequence[View]) -> list[View]:
    """Views after the views they read, ties by name."""
    by_name = {v.name: v for v in views}

    def reads(name: str) -> set[str]:
        return {r for r in by_name[name].referenced_tables() if r in by_name}

    return [by_name[n] for n in _ordered(list(by_name), reads)]
