"""The names PostgreSQL itself gives unnamed constraints and indexes.

Schema loaders name every unnamed constraint and index with these rules, so that a
schema rendered without names and introspected back compares equal to itself, and so
that an object created by hand (`CREATE INDEX ON t (a)`) and the same object declared in
the DSL get the same name. Mirrors PostgreSQL's `ChooseConstraintName`,
`ChooseRelationName` and `makeObjectName` (identifiers are at most 63 bytes; the two name
parts are shortened, the longer one first, until the whole fits).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlglot import exp

from mizzle.core.expr import SqlExpr

MAX_IDENTIFIER_BYTES = 63


def _clip(text: str, nbytes: int) -> str:
    """The longest prefix of `text` that fits in `nbytes` UTF-8 bytes (no split characters)."""
    out = text.encode()[:nbytes]
    return out.decode(errors="ignore")


def pg_identifier(name: str) -> str:
    """`name` as PostgreSQL keeps it: its first 63 bytes, cut at a character boundary
    (`truncate_identifier`); a name that fits is itself."""
    return name if len(name.encode()) <= MAX_IDENTIFIER_BYTES else _clip(name, MAX_IDENTIFIER_BYTES)


def make_object_name(name1: str, name2: str | None, label: str | None) -> str:
    """PostgreSQL's makeObjectName: `name1_name2_label`, shortened to fit 63 bytes."""
    overhead = (len(label.encode()) + 1 if label else 0) + (1 if name2 else 0)
    avail = MAX_IDENTIFIER_BYTES - overhead
    n1 = len(name1.encode())
    n2 = len(name2.encode()) if name2 else 0
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    result = _clip(name1, n1)
    if name2:
        result += "_" + _clip(name2, n2)
    if label:
        result += "_" + label
    return result


def choose_name(name1: str, name2: str | None, label: str, taken: Callable[[str], bool]) -> str:
    """makeObjectName, then `label1`, `label2`... until the name is free (ChooseRelationName)."""
    name = make_object_name(name1, name2, label)
    n = 0
    while taken(name):
        n += 1
        name = make_object_name(name1, name2, f"{label}{n}")
    return name


def _join(columns: Iterable[str]) -> str:
    # PostgreSQL joins the column names with "_" and stops once the result is a full identifier.
    out = ""
    for col in columns:
        out = f"{out}_{col}" if out else col
        if len(out.encode()) >= MAX_IDENTIFIER_BYTES:
            break
    return _clip(out, MAX_IDENTIFIER_BYTES)


def primary_key_name(table: str, taken: Callable[[str], bool] = lambda _: False) -> str:
    return choose_name(table, None, "pkey", taken)


def foreign_key_name(table: str, columns: Iterable[str], taken: Callable[[str], bool] = lambda _: False) -> str:
    return choose_name(table, _join(columns), "fkey", taken)


def unique_name(table: str, columns: Iterable[str], taken: Callable[[str], bool] = lambda _: False) -> str:
    return choose_name(table, _join(columns), "key", taken)


def check_name(table: str, expr: SqlExpr, taken: Callable[[str], bool] = lambda _: False) -> str:
    """`t_col_check` when the expression reads exactly one column, else `t_check`."""
    cols = expr.column_names()
    return choose_name(table, cols[0] if len(cols) == 1 else None, "check", taken)


#: sqlglot function classes whose PostgreSQL name differs from sqlglot's name for them.
_PG_FUNCTION_NAMES: dict[type[exp.Expression], str] = {exp.TimestampTrunc: "date_trunc"}
_TRIM_FUNCTIONS = {"LEADING": "ltrim", "TRAILING": "rtrim"}


def index_key_label(column: str | None, expr: SqlExpr | None) -> str:
    """The name part PostgreSQL uses for one index key (its FigureIndexColname): the column,
    a function's name, a cast's type name, or `expr`."""
    if column is not None:
        return column
    assert expr is not None
    tree = expr.tree
    label = _expression_label(tree.this if isinstance(tree, exp.Cast) else tree)
    if label == "expr" and isinstance(tree, exp.Cast):
        return tree.to.sql(dialect="postgres").split("(")[0].lower()
    return label


def _expression_label(tree: exp.Expression) -> str:
    if isinstance(tree, exp.Column):
        return tree.name
    if isinstance(tree, exp.Binary):  # an operator, even where sqlglot makes it a function (`->>`)
        return "expr"
    if isinstance(tree, exp.Anonymous):
        return str(tree.this).lower()
    if isinstance(tree, exp.Trim):  # PostgreSQL's grammar turns TRIM into btrim/ltrim/rtrim
        return _TRIM_FUNCTIONS.get(str(tree.args.get("position") or "").upper(), "btrim")
    if type(tree) in _PG_FUNCTION_NAMES:
        return _PG_FUNCTION_NAMES[type(tree)]
    if isinstance(tree, exp.Func):
        return tree.sql_name().lower()
    return "expr"


def _distinct_labels(labels: Iterable[str]) -> list[str]:
    """A repeated key label gets a number, as PostgreSQL's ChooseIndexColumnNames does (`a`, `a1`)."""
    out: list[str] = []
    for label in labels:
        name, n = label, 0
        while name in out:
            n += 1
            name = _clip(label, MAX_IDENTIFIER_BYTES - len(str(n))) + str(n)
        out.append(name)
    return out


def index_name(
    table: str, keys: Iterable[tuple[str | None, SqlExpr | None]], taken: Callable[[str], bool] = lambda _: False
) -> str:
    labels = _distinct_labels(index_key_label(c, e) for c, e in keys)
    return choose_name(table, _join(labels), "idx", taken)
