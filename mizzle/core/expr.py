"""SQL expressions held as sqlglot trees (defaults, CHECKs, index keys and predicates, view bodies).

An expression is compared, hashed and serialised by its *canonical text*: the tree printed
by sqlglot's PostgreSQL generator after canonicalisation (outer parentheses stripped,
unquoted identifiers folded to lower case as PostgreSQL folds them, quoting only where it
is needed). Two spellings of the same expression therefore compare equal, which is what
keeps round trips and diffs free of churn.

An expression read as PostgreSQL wrote it (from the catalog, a `.sql` file or the DSL's
text) also keeps that text, its *PostgreSQL spelling* (`char_length(x)`, which the canonical
text spells `LENGTH(x)`): PostgreSQL output prints it verbatim, so a database pulled and
exported is catalog-identical to its source. The spelling never takes part in comparing or
hashing (two spellings of one meaning do not diff); a transformed tree (a rename) drops it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlglot
from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from mizzle.core.errors import SchemaSyntaxError

#: The dialect the canonical text is written in. The model is dialect-neutral, but its
#: expressions need one spelling; PostgreSQL's is the richest of the two targets.
CANONICAL_DIALECT = "postgres"

_SAFE_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def needs_quotes(name: str) -> bool:
    """Whether PostgreSQL needs `name` quoted (upper case, odd characters or a reserved word)."""
    if not _SAFE_IDENTIFIER.match(name):
        return True
    return name.upper() in _RESERVED


# Nodes that are atoms as far as precedence goes: parentheses around them never matter.
_ATOMS = (exp.Column, exp.Literal, exp.Boolean, exp.Null, exp.Func, exp.Paren, exp.Cast, exp.Identifier, exp.Array)
# Places whose content is a whole expression of its own (a clause, an argument, a CASE arm).
_WHOLE_SLOTS = (exp.Where, exp.Having, exp.If, exp.Case, exp.Ordered, exp.Alias, exp.Tuple, exp.Join)
# Operators whose operand must stay parenthesised in PostgreSQL's grammar: `= ANY (...)`.
_KEEP_PARENS = (exp.Any, exp.All, exp.Exists)
# PostgreSQL operator precedence, tightest first (its documentation's table, 4.1.6).
_PRECEDENCE: dict[type[exp.Expr], int] = {
    exp.Neg: 2,
    exp.Pow: 3,
    exp.Mul: 4,
    exp.Div: 4,
    exp.Mod: 4,
    exp.Add: 5,
    exp.Sub: 5,
    exp.DPipe: 6,
    exp.Between: 7,
    exp.In: 7,
    exp.Like: 7,
    exp.ILike: 7,
    exp.EQ: 8,
    exp.NEQ: 8,
    exp.GT: 8,
    exp.GTE: 8,
    exp.LT: 8,
    exp.LTE: 8,
    exp.Is: 9,
    exp.Not: 10,
    exp.And: 11,
    exp.Or: 12,
}
# Levels at which `(a op b) op c` == `a op b op c` (left-associative or associative).
_LEFT_ASSOCIATIVE = {4, 5, 6, 11, 12}


def _is_operator(node: exp.Expr) -> bool:
    # sqlglot makes AND/OR/NOT (and some binary operators) Func subclasses: they are not atoms.
    return isinstance(node, (exp.Binary, exp.Connector, exp.Unary))


def _redundant(paren: exp.Paren) -> bool:
    """Whether removing `paren` keeps the expression's meaning. PostgreSQL's deparser wraps
    every nested operator (`CHECK (((a + (b * c)) > 0))`, `WHERE ((a > 1) AND (b < 2))`),
    hand-written SQL does not; both must canonicalise alike."""
    inner, parent = paren.this, paren.parent
    if parent is None:
        return True
    if isinstance(parent, _KEEP_PARENS):
        return False
    if isinstance(parent, exp.Bracket) and paren.arg_key == "this" and not isinstance(inner, exp.Column):
        # PostgreSQL subscripts a call only in parentheses: `(xpath(...))[1]`, never `xpath(...)[1]`
        return False
    if isinstance(inner, _ATOMS) and not _is_operator(inner):
        return True
    if isinstance(parent, _WHOLE_SLOTS) or (isinstance(parent, exp.Func) and not _is_operator(parent)):
        return True
    if isinstance(parent, exp.Select) and paren.arg_key == "expressions":
        return True
    inner_level = _PRECEDENCE.get(type(inner))
    parent_level = _PRECEDENCE.get(type(parent))
    if inner_level is None or parent_level is None:
        return False
    if inner_level < parent_level:
        return True
    return inner_level == parent_level and inner_level in _LEFT_ASSOCIATIVE and paren.arg_key == "this"


def _flatten_join_groups(tree: exp.Expression) -> None:
    """`FROM ((a JOIN b ON x) JOIN c ON y)` → `FROM a JOIN b ON x JOIN c ON y`, in place. Joins
    associate to the left, so parentheses around the left-hand group change nothing; pg_dump
    (PostgreSQL's plain deparser) writes them, its pretty printer and people do not."""
    for source in list(tree.find_all(exp.From)):
        select = source.parent
        groups, node = [], source.this
        while (
            isinstance(node, exp.Subquery)
            and isinstance(node.this, exp.Subquery | exp.Table)
            and {k for k, v in node.args.items() if v} <= {"this", "joins"}
        ):
            groups.append(node)
            node = node.this
        if not groups or not isinstance(select, exp.Select):
            continue
        joins = list(node.args.get("joins") or [])
        for group in reversed(groups):
            joins += group.args.get("joins") or []
        node.set("joins", None)
        source.set("this", node)
        select.set("joins", joins + list(select.args.get("joins") or []))


def _is_not_null(node: exp.Expression) -> exp.Expression:
    """`NOT x IS NULL` (how sqlglot reads SQLite's `x IS NOT NULL`) becomes `x IS NOT NULL`."""
    if isinstance(node, exp.Not):
        inner = node.this.this if isinstance(node.this, exp.Paren) else node.this
        if isinstance(inner, exp.Is) and isinstance(inner.expression, exp.Null):
            return exp.Is(this=inner.this, expression=exp.Null(), negate=not inner.args.get("negate"))
    return node


def canonicalize(tree: exp.Expression) -> exp.Expression:
    """Return a canonical copy of `tree` (see the module docstring)."""
    tree = tree.copy()
    while isinstance(tree, exp.Paren):
        inner: exp.Expression = tree.this
        tree = inner
    _flatten_join_groups(tree)
    tree = tree.transform(_is_not_null)
    for paren in list(tree.find_all(exp.Paren)):
        if paren.parent is not None and _redundant(paren):
            paren.replace(paren.this)
    for ident in tree.find_all(exp.Identifier):
        name = ident.this if ident.quoted else ident.this.lower()
        ident.set("this", name)
        ident.set("quoted", needs_quotes(name))
    return tree


def parse_expression(text: str, dialect: str = CANONICAL_DIALECT) -> exp.Expression:
    """Parse one SQL expression; raise SchemaSyntaxError with the text on failure.

    An expression opening with a word sqlglot takes for a statement (`lock = 'X'`: Synapse's
    column named `lock`) would come back as an opaque Command, reading no column; it is read
    in parentheses instead, where only an expression can stand."""
    try:
        with _quiet_sqlglot():
            tree = sqlglot.parse_one(text, read=dialect)
            if isinstance(tree, exp.Command):
                inner = sqlglot.parse_one(f"({text})", read=dialect)
                tree = inner.this if isinstance(inner, exp.Paren) else inner
    except (ParseError, TokenError) as err:
        first = str(err).splitlines()[0] if str(err) else "syntax error"
        raise SchemaSyntaxError(f"cannot parse SQL expression {text!r}: {first}") from None
    if not isinstance(tree, exp.Expression):
        raise SchemaSyntaxError(f"empty SQL expression {text!r}")
    return tree


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    """sqlglot logs a warning when it falls back to a Command; `parse_expression` handles that
    case itself, and the warning would reach the user's terminal."""
    logger = logging.getLogger("sqlglot")
    was = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was


def _without_outer_parentheses(text: str) -> str:
    """`(a = 1)` → `a = 1`: PostgreSQL prints a CHECK's or predicate's text in parentheses of
    its own, which its context adds again (`CHECK (...)`)."""
    while text.startswith("(") and _closing(text) == len(text) - 1:
        text = text[1:-1].strip()
    return text


def _closing(text: str) -> int:
    """Where the parenthesis opening `text` closes (-1 if it does not), strings and quoted
    names skipped."""
    depth, quote = 0, ""
    for pos, char in enumerate(text):
        if quote:
            quote = "" if char == quote else quote  # a doubled quote closes and reopens
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pos
    return -1


class SqlExpr:
    """An immutable SQL expression: a canonical sqlglot tree plus its canonical text."""

    __slots__ = ("_pg", "_sql", "_tree")

    def __init__(self, tree: exp.Expression, pg: str | None = None) -> None:
        canonical = canonicalize(tree)
        self._tree = canonical
        self._sql = canonical.sql(dialect=CANONICAL_DIALECT)
        spelled = _without_outer_parentheses(pg.strip().rstrip(";").strip()) if pg is not None else None
        self._pg = spelled if spelled and spelled != self._sql else None

    @classmethod
    def parse(cls, text: str, dialect: str = CANONICAL_DIALECT) -> SqlExpr:
        """`text` read in `dialect`; PostgreSQL text is kept as the expression's spelling."""
        return cls(parse_expression(text, dialect), text if dialect == CANONICAL_DIALECT else None)

    @property
    def tree(self) -> exp.Expression:
        """A private copy of the tree: callers may transform it freely."""
        return self._tree.copy()

    @property
    def sql(self) -> str:
        """The canonical (PostgreSQL) text."""
        return self._sql

    @property
    def pg(self) -> str | None:
        """PostgreSQL's own spelling of the expression, where it was read so and differs
        from the canonical text; None otherwise."""
        return self._pg

    @property
    def pg_text(self) -> str:
        """The text PostgreSQL output writes: the spelling it was read with, else the canonical text."""
        return self._pg if self._pg is not None else self._sql

    @property
    def spelling_key(self) -> tuple[str, str | None]:
        """What decides the printed text (the meaning and the spelling): for caches of printed
        text, where two spellings of one meaning must not share an entry."""
        return (self._sql, self._pg)

    def with_tree(self, tree: exp.Expression) -> SqlExpr:
        """`tree` (the same meaning, rewritten) keeping this expression's spelling."""
        return SqlExpr(tree, self._pg)

    def render(self, dialect: str) -> str:
        """The expression printed for `dialect` (a sqlglot dialect name); for PostgreSQL,
        its own spelling where it has one."""
        if dialect == CANONICAL_DIALECT and self._pg is not None:
            return self._pg
        return self._tree.sql(dialect=dialect)

    def column_names(self) -> list[str]:
        """Names of the columns the expression refers to, in order of first appearance."""
        seen: dict[str, None] = {}
        for col in self._tree.find_all(exp.Column):
            seen.setdefault(col.name, None)
        return list(seen)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SqlExpr) and other._sql == self._sql

    def __hash__(self) -> int:
        return hash(self._sql)

    def __repr__(self) -> str:
        return f"SqlExpr({self._sql!r})"

    def __str__(self) -> str:
        return self._sql

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        def validate(value: Any) -> SqlExpr:
            if isinstance(value, SqlExpr):
                return value
            if isinstance(value, exp.Expression):
                return cls(value)
            if isinstance(value, str):
                return cls.parse(value)
            raise ValueError(f"expected SQL text or a sqlglot expression, got {type(value).__name__}")

        return core_schema.no_info_plain_validator_function(
            validate,
            # The canonical text: what the model means (snapshots, model dumps compared by
            # tests) never depends on how it was spelled.
            serialization=core_schema.plain_serializer_function_ser_schema(lambda v: v.sql, when_used="always"),
            json_schema_input_schema=core_schema.str_schema(),
        )


# PostgreSQL's reserved key words (those that cannot be a column name unquoted).
_RESERVED = frozenset(
    [
        "ALL",
        "ANALYSE",
        "ANALYZE",
        "AND",
        "ANY",
        "ARRAY",
        "AS",
        "ASC",
        "ASYMMETRIC",
        "AUTHORIZATION",
        "BINARY",
        "BOTH",
        "CASE",
        "CAST",
        "CHECK",
        "COLLATE",
        "COLLATION",
        "COLUMN",
        "CONCURRENTLY",
        "CONSTRAINT",
        "CREATE",
        "CROSS",
        "CURRENT_CATALOG",
        "CURRENT_DATE",
        "CURRENT_ROLE",
        "CURRENT_SCHEMA",
        "CURRENT_TIME",
        "CURRENT_TIMESTAMP",
        "CURRENT_USER",
        "DEFAULT",
        "DEFERRABLE",
        "DESC",
        "DISTINCT",
        "DO",
        "ELSE",
        "END",
        "EXCEPT",
        "FALSE",
        "FETCH",
        "FOR",
        "FOREIGN",
        "FREEZE",
        "FROM",
        "FULL",
        "GRANT",
        "GROUP",
        "HAVING",
        "ILIKE",
        "IN",
        "INITIALLY",
        "INNER",
        "INTERSECT",
        "INTO",
        "IS",
        "ISNULL",
        "JOIN",
        "LATERAL",
        "LEADING",
        "LEFT",
        "LIKE",
        "LIMIT",
        "LOCALTIME",
        "LOCALTIMESTAMP",
        "NATURAL",
        "NOT",
        "NOTNULL",
        "NULL",
        "OFFSET",
        "ON",
        "ONLY",
        "OR",
        "ORDER",
        "OUTER",
        "OVERLAPS",
        "PLACING",
        "PRIMARY",
        "REFERENCES",
        "RETURNING",
        "RIGHT",
        "SELECT",
        "SESSION_USER",
        "SIMILAR",
        "SOME",
        "SYMMETRIC",
        "SYSTEM_USER",
        "TABLE",
        "TABLESAMPLE",
        "THEN",
        "TO",
        "TRAILING",
        "TRUE",
        "UNION",
        "UNIQUE",
        "USER",
        "USING",
        "VARIADIC",
        "VERBOSE",
        "WHEN",
        "WHERE",
        "WINDOW",
        "WITH",
    ]
)


def qualify_single_table_columns(tree: exp.Expression) -> exp.Expression:
    """Qualify the bare columns of a top-level SELECT that reads one table and no joins
    (`SELECT a FROM t` → `SELECT t.a FROM t`), as PostgreSQL up to 15 prints a stored view
    (16 leaves them bare): a view then compares equal however it was written or read back.
    Names in ORDER BY that are output aliases stay bare; nested SELECTs are left alone
    (PostgreSQL qualifies their columns on every version)."""
    tree = tree.copy()
    for select in list(tree.find_all(exp.Select)):
        source = select.args.get("from_")
        if select.find_ancestor(exp.Select) is not None or select.args.get("joins") or source is None:
            continue
        table = source.this
        if not isinstance(table, exp.Table):
            continue
        alias = table.args.get("alias")
        if alias is None and not isinstance(table.this, exp.Identifier):
            continue  # an unnamed function read as a table: nothing to qualify with
        qualifier = alias.this if alias is not None else table.this  # an Identifier, quoting kept
        outputs = {e.alias for e in select.expressions if isinstance(e, exp.Alias)}
        for column in list(select.find_all(exp.Column)):
            if column.table or column.find_ancestor(exp.Select) is not select:
                continue
            if column.name in outputs and column.find_ancestor(exp.Order) is not None:
                continue
            column.set("table", qualifier.copy())
    return tree
