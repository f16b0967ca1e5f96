"""Model expressions (canonical PostgreSQL trees) and values carried into SQLite.

sqlglot prints most PostgreSQL expressions as valid SQLite, but not all, and some wrongly
(see the brief): casts to types SQLite lacks (`'{}'::jsonb` would become a NUMERIC cast,
i.e. 0), `gen_random_uuid()` as a non-existent `UUID()`, `now()` as CURRENT_TIMESTAMP in
a different format than mizzle stores. So the tree is rewritten first (the tables below),
then printed by sqlglot's SQLite generator, then checked on a scratch in-memory SQLite
database, so that what SQLite cannot run fails here with the place named, not later in a
user's browser.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from typing import TypeVar

from sqlglot import ErrorLevel, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.expressions.datatypes import DType
from sqlglot.tokenizer_core import TokenType

from mizzle.core.errors import UnsupportedError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import Index, Scalar, View
from mizzle.core.types import NUMBER_KINDS, ColumnType, TypeKind
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.sqlite import equivalents
from mizzle.dialects.sqlite.types import NOW_SQL, RANDOM_UUID_SQL

DIALECT = "sqlite"
_SQLITE = Dialect.get_or_raise(DIALECT)

#: PostgreSQL constructs with no SQLite equivalent (sqlglot would print them anyway).
UNSUPPORTED_NODES: dict[type[exp.Expression], str] = {
    exp.RegexpLike: "regular expression matching (~)",
    exp.RegexpILike: "regular expression matching (~*)",
    exp.SimilarTo: "SIMILAR TO",
    exp.Interval: "intervals",
    exp.Array: "arrays (ARRAY[...])",
    exp.ArrayContainsAll: "containment (@>)",
    exp.ArrayContains: "array containment",
    exp.ArrayOverlaps: "array overlap (&&)",
    exp.ArraySize: "array_length()",
    exp.ArrayAgg: "array_agg()",
    exp.Unnest: "unnest()",
    exp.Any: "ANY (...)",
    exp.All: "ALL (...)",
    exp.JSONBContains: "jsonb containment",
    exp.JSONBExists: "jsonb key tests (?)",
    exp.Extract: "EXTRACT",
    exp.TimestampTrunc: "date_trunc()",
    exp.DateTrunc: "date_trunc()",
    exp.AtTimeZone: "AT TIME ZONE",
    exp.Collate: "PostgreSQL collations",
    exp.GenerateSeries: "generate_series()",
}

#: SQL functions some SQLite mizzle targets lack: Pyodide's SQLite is 3.39, and the math
#: functions are a compile-time option. A scratch check on a newer SQLite would pass them.
NOT_IN_EVERY_SQLITE: dict[str, str] = {
    **{f: "is newer than SQLite 3.39 (Pyodide)" for f in ("concat", "concat_ws", "unhex", "octet_length")},
    **{f: "is newer than SQLite 3.39 (Pyodide)" for f in ("timediff", "string_agg", "unistr", "if")},
    **{
        f: "is an optional SQLite math function"
        for f in (
            *("acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh"),
            *("degrees", "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power"),
            *("radians", "sin", "sinh", "sqrt", "tan", "tanh", "trunc"),
        )
    },
}

_TIMESTAMP_KINDS = frozenset({TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ})
_PG_TRUE = frozenset({"t", "true", "yes", "on", "1", "y"})
_PG_FALSE = frozenset({"f", "false", "no", "off", "0", "n"})


# --- values --------------------------------------------------------------------------------


def timestamp_text(value: str, kind: TypeKind) -> str:
    """A timestamp literal in the one ISO-8601 form mizzle stores on SQLite (the form of
    `NOW_SQL`): `YYYY-MM-DDTHH:MM:SS.sss`, plus `Z` in UTC for timestamptz (a value without
    an offset is taken as UTC). Text that is not a timestamp ('infinity') is kept as it is."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return value
    if kind is TypeKind.TIMESTAMPTZ:
        moment = moment.astimezone(UTC) if moment.tzinfo else moment
    # Milliseconds, as strftime's %f writes them; microseconds only when there are some.
    precision = "microseconds" if moment.microsecond % 1000 else "milliseconds"
    text = moment.replace(tzinfo=None).isoformat(timespec=precision)
    return text + ("Z" if kind is TypeKind.TIMESTAMPTZ else "")


def json_array_text(values: Sequence[Scalar], element: ColumnType) -> str:
    """A PostgreSQL array value as the JSON text SQLite stores: `["a","b"]`, `[1,2.5]`."""
    items: list[str] = []
    for v in values:
        if v is None:
            items.append("null")
        elif isinstance(v, bool):
            items.append("true" if v else "false")
        elif element.kind in NUMBER_KINDS or isinstance(v, int):
            items.append(str(v))
        elif element.kind in _TIMESTAMP_KINDS:
            items.append(json.dumps(timestamp_text(v, element.kind), ensure_ascii=False))
        else:
            items.append(json.dumps(v, ensure_ascii=False))
    return "[" + ",".join(items) + "]"


# --- rewriting -----------------------------------------------------------------------------


class _Refused(Exception):
    """SQLite cannot hold an expression; the message is the reason, without the place."""


def _no(what: str, text: str) -> _Refused:
    return _Refused(f"SQLite has no {what} (in {text})")


#: Cast targets by the storage class SQLite gives them (the declared types of `types.py`).
_CAST_STORAGE: dict[DType, str] = {
    **{t: "INTEGER" for t in exp.DataType.INTEGER_TYPES | {DType.SERIAL, DType.BIGSERIAL, DType.SMALLSERIAL}},
    **{t: "NUMERIC" for t in exp.DataType.REAL_TYPES - exp.DataType.FLOAT_TYPES},
    **{t: "REAL" for t in exp.DataType.FLOAT_TYPES},
    **{t: "BLOB" for t in exp.DataType.BINARY_TYPES | {DType.BLOB}},
}
#: Timestamps are text in one ISO-8601 form (`timestamp_text`): only literals can be cast.
_CAST_TIMESTAMPS = {
    DType.TIMESTAMPTZ: TypeKind.TIMESTAMPTZ,
    DType.TIMESTAMPLTZ: TypeKind.TIMESTAMPTZ,
    DType.TIMESTAMP: TypeKind.TIMESTAMP,
    DType.DATETIME: TypeKind.TIMESTAMP,
}


def _cast(node: exp.Cast, text: str) -> exp.Expression:
    """A PostgreSQL cast as SQLite should do it: a literal becomes the value SQLite stores
    (text for uuids, json, enums, dates and other text-stored types; 1/0 for booleans), any
    other cast goes to the storage class of the target type."""
    target = node.to
    operand = _rewrite(node.this, text)
    literal = operand.this if isinstance(operand, exp.Literal) and operand.is_string else None
    spelled = target.sql(dialect="postgres").lower()
    if target.is_type(*exp.DataType.ARRAY_TYPES):
        raise _no(f"casts to {spelled} (arrays are JSON text)", text)
    storage = _CAST_STORAGE.get(target.this)
    if storage is not None:
        return exp.Cast(this=operand, to=ddl.type_node(storage))
    if target.this is DType.BOOLEAN:
        if isinstance(operand, exp.Boolean):
            return operand
        word = literal.strip().lower() if literal is not None else None
        if word in _PG_TRUE or word in _PG_FALSE:
            return exp.Literal.number(1 if word in _PG_TRUE else 0)
        raise _no("casts to boolean (only of literals)", text)
    if literal is not None:
        stamp = _CAST_TIMESTAMPS.get(target.this)
        return exp.Literal.string(timestamp_text(literal, stamp) if stamp else literal)
    if target.this is DType.DATE:
        return exp.Anonymous(this="date", expressions=[operand])
    if target.this in _CAST_TIMESTAMPS or target.this in (DType.TIME, DType.TIMETZ, DType.INTERVAL):
        raise _no(f"casts to {spelled} (only of literals)", text)
    return exp.Cast(this=operand, to=ddl.type_node("TEXT"))


def _rewrite(tree: exp.Expression, text: str) -> exp.Expression:
    def fix(node: exp.Expression) -> exp.Expression:
        # PostgreSQL's now() and uuid functions (`equivalents.py`), verbatim, in the spelling
        # of the matching defaults (sqlglot would rewrite them). Before the refusals: an
        # equivalent may be written with one (`now() AT TIME ZONE 'utc'`).
        found = equivalents.equivalent(node)
        if found == "now":
            return exp.Paren(this=ddl.raw(NOW_SQL[TypeKind.TIMESTAMPTZ]))
        if found == "random_uuid":
            return exp.Paren(this=ddl.raw(RANDOM_UUID_SQL))
        for cls, what in UNSUPPORTED_NODES.items():
            if isinstance(node, cls):
                raise _no(what, text)
        if isinstance(node, exp.Cast):  # TryCast too: PostgreSQL has no TRY_CAST of its own
            return _cast(node, text)
        if isinstance(node, exp.SetOperation):
            _compound_members(node)
        return node

    # transform() does not descend into a node `fix` replaced: `_cast` rewrites its operand
    # itself. No copy: callers pass a private tree (`SqlExpr.tree` is one).
    return ddl.requote(tree.transform(fix, copy=False))


def _compound_members(node: exp.SetOperation) -> None:
    """SQLite takes no parentheses around a member of a UNION (PostgreSQL's
    `... UNION ALL (SELECT ...)`): a plain member loses them, one with its own ORDER BY or
    LIMIT becomes `SELECT * FROM (...)`."""
    for side in ("this", "expression"):
        member = node.args.get(side)
        if not isinstance(member, exp.Subquery) or member.alias:
            continue
        inner = member.this
        own = isinstance(inner, exp.Select) and any(inner.args.get(k) for k in ("order", "limit", "offset"))
        if isinstance(inner, exp.Select) and not own:
            node.set(side, inner)
        else:
            node.set(side, exp.select("*").from_(member))


#: Words the tokenizer reads as names but that open syntax, not a function call.
_SYNTAX_CALLS = frozenset({"cast", "exists", "filter", "over", "values"})


def _function_names(sql: str, relations: set[str]) -> list[str]:
    """Names called as functions in `sql` (a name followed by `(`, other than the given
    table and CTE names, which can be followed by a column list)."""
    tokens = _SQLITE.tokenize(sql)
    return [
        tok.text.lower()
        for tok, nxt in itertools.pairwise(tokens)
        if nxt.token_type is TokenType.L_PAREN
        and tok.token_type is TokenType.VAR
        and tok.text.lower() not in _SYNTAX_CALLS | relations
    ]


@cache
def _sqlite_functions() -> frozenset[str]:
    """The functions the running SQLite has (empty if it cannot list them)."""
    conn = sqlite3.connect(":memory:")
    try:
        return frozenset(str(row[0]).lower() for row in conn.execute("PRAGMA function_list"))
    except sqlite3.Error:
        return frozenset()
    finally:
        conn.close()


def _function_problem(sql: str, tree: exp.Expression) -> str | None:
    relations = {t.name.lower() for t in tree.find_all(exp.Table)}
    relations |= {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    known = _sqlite_functions()
    for name in _function_names(sql, relations):
        if name in NOT_IN_EVERY_SQLITE:
            return f"{name}() {NOT_IN_EVERY_SQLITE[name]}"
        if known and name not in known:
            return f"{name}() is not a SQLite function"
    return None


@lru_cache(maxsize=4096)
def _carried(expr: SqlExpr) -> tuple[exp.Expression, str] | str:
    """(SQLite tree, SQLite text) of a model expression, or why SQLite cannot hold it.
    Cached: a schema's render, projection and capability check carry the same expressions."""
    try:
        tree = _rewrite(expr.tree, expr.sql)
    except _Refused as refusal:
        return str(refusal)
    try:
        sql = tree.sql(dialect=_SQLITE, unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as err:
        return str(_no(f"equivalent ({str(err).splitlines()[0]})", expr.sql))
    problem = _function_problem(sql, tree)
    if problem is not None:
        return f"{problem} (in {expr.sql})"
    return tree, sql


def _carry(expr: SqlExpr, where: str) -> tuple[exp.Expression, str]:
    carried = _carried(expr)
    if isinstance(carried, str):
        raise UnsupportedError(f"{where}: {carried}")
    return carried


def to_sqlite(expr: SqlExpr, where: str) -> exp.Expression:
    """`expr` rewritten for SQLite (names quoted as DDL quotes them); raises UnsupportedError
    naming `where` when SQLite has no equivalent (a PostgreSQL-only construct, or a function
    some SQLite builds lack)."""
    return _carry(expr, where)[0].copy()


def sqlite_sql(expr: SqlExpr, where: str) -> str:
    """`expr` as SQLite text (see `to_sqlite`)."""
    return _carry(expr, where)[1]


# --- checking on a scratch database ---------------------------------------------------------

_SCRATCH = "_mizzle_scratch"
_E = TypeVar("_E", bound=exp.Expression)


#: Rows tried on the scratch table: some uses SQLite refuses only when a row is written
#: (`now` in a CHECK or an index is "non-deterministic use of strftime()"). A row failing
#: the CHECK itself is fine: only errors other than a constraint failure count.
_PROBES = (f"INSERT INTO {_SCRATCH} DEFAULT VALUES", f"INSERT INTO {_SCRATCH} (_mizzle_key) VALUES (1)")


@lru_cache(maxsize=4096)
def _failure(statements: tuple[str, ...], probe: bool) -> str | None:
    conn = sqlite3.connect(":memory:")
    try:
        for statement in statements:
            conn.execute(statement)
        for insert in _PROBES if probe else ():
            with contextlib.suppress(sqlite3.IntegrityError):
                conn.execute(insert)
    except sqlite3.Error as err:
        return str(err)
    finally:
        conn.close()
    return None


def verify(statements: Sequence[str], where: str, text: str, *, probe: bool = False) -> None:
    """Run `statements` on an empty in-memory SQLite database (and, with `probe`, write rows
    to the scratch table they create); a failure means the expression cannot live in SQLite
    (unknown function, a subquery in a CHECK, a non-deterministic index expression...)."""
    failure = _failure(tuple(statements), probe)
    if failure is not None:
        raise UnsupportedError(f"{where}: SQLite cannot run {text} ({failure})")


def _on_scratch(tree: _E) -> _E:
    """`tree` with every column qualifier pointing at the scratch table: an index or CHECK may
    name its own table (`"projects"."deleted_at"`, as drizzle-kit writes partial indexes),
    which on the scratch database is `_mizzle_scratch`."""
    tree = tree.copy()
    for col in tree.find_all(exp.Column):
        if col.table:
            col.set("table", exp.to_identifier(_SCRATCH))
    return tree


def _scratch_table(columns: Sequence[str], *, check: str | None = None) -> str:
    """A table with the given (untyped) columns to try an expression on."""
    parts = [ddl.sql(ddl.ident(c), DIALECT) for c in ["_mizzle_key", *columns]]
    parts += [f"CHECK ({check})"] if check is not None else []
    return f"CREATE TABLE {_SCRATCH} ({', '.join(parts)})"


# --- each place an expression lives ---------------------------------------------------------


def default_expression(expr: SqlExpr, where: str) -> str:
    """An expression default as SQLite text (without the parentheses DEFAULT needs)."""
    sql = sqlite_sql(expr, where)
    verify([f"SELECT ({sql})", f"CREATE TABLE {_SCRATCH} (x DEFAULT ({sql}))"], where, sql)
    return sql


def check_expression(expr: SqlExpr, where: str) -> exp.Expression:
    """A CHECK expression as a SQLite tree."""
    tree, sql = _carry(expr, where)
    scratch_sql = ddl.sql(_on_scratch(tree), DIALECT)
    verify([_scratch_table(expr.column_names(), check=scratch_sql)], where, sql, probe=True)
    return tree.copy()


def index_keys(index: Index, where: str) -> tuple[list[exp.Ordered], exp.Expression | None]:
    """An index's keys and predicate as SQLite trees. SQLite has no NULLS FIRST/LAST in an
    index (nor methods): each key gets SQLite's own default (NULLs first ascending, last
    descending), so none is printed."""
    keys = [
        ddl.index_key(
            ddl.index_key_tree(key) if key.expr is None else to_sqlite(key.expr, where),
            desc=key.desc,
            nulls_first=not key.desc,
        )
        for key in index.keys
    ]
    predicate = to_sqlite(index.where, where) if index.where is not None else None
    if index.where is not None or any(k.expr is not None for k in index.keys):
        scratch = ddl.create_index(index.name, _SCRATCH, keys, unique=index.unique, where=predicate)
        parts = [sqlite_sql(k.expr, where) if k.expr else ddl.ident(k.column or "").sql() for k in index.keys]
        text = ", ".join(parts) + (f" WHERE {sqlite_sql(index.where, where)}" if index.where is not None else "")
        verify([_scratch_table(index.columns), ddl.sql(_on_scratch(scratch), DIALECT)], where, text, probe=True)
    return keys, predicate


def view_query(view: View) -> exp.Expression:
    """A view's body as a SQLite tree. SQLite checks a body's names only when the view is
    read, so this relies on the rewrite tables and on the check for functions some builds
    lack; its syntax is checked on the scratch database (CREATE VIEW parses the body)."""
    where = f'view "{view.name}"'
    tree = _carry(view.query, where)[0]
    verify([f"CREATE VIEW {_SCRATCH} AS {ddl.sql(tree.copy(), DIALECT)}"], where, "its body")
    return tree.copy()
