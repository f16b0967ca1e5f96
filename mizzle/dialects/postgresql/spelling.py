"""Model expressions as PostgreSQL output prints them: in PostgreSQL's own spelling where
the model keeps one (read from the catalog, a `.sql` file or the DSL's text), so that pull →
export → apply gives back the catalog it was read from; else the canonical tree.

The spelling is printed verbatim, inside the parentheses the grammar needs around it
(`CHECK (...)`, an index's expression key, `GENERATED ALWAYS AS (...)`, a DEFAULT that is
not a plain value); the canonical tree is the fallback for an expression with none (a
rename rewrote it, or the schema came from SQLite).
"""

from __future__ import annotations

import re

from sqlglot import exp

from mizzle.core.expr import SqlExpr
from mizzle.core.model import Check, Column, ExprDefault, Index, IndexKey
from mizzle.dialects import ddl_trees as ddl


def expr_tree(expr: SqlExpr) -> exp.Expression:
    """The tree to print for `expr`: its spelling verbatim, or the canonical tree requoted."""
    if expr.pg is not None:
        return ddl.raw(expr.pg)
    return ddl.requote(expr.tree)


def index_key_tree(key: IndexKey) -> exp.Expression:
    """The column or the expression an index key reads: a spelling bare where PostgreSQL's
    grammar takes it so (a function call: `lower(email)`), else in parentheses."""
    if key.expr is not None and key.expr.pg is not None:
        text = key.expr.pg
        if _is_call(text) and isinstance(key.expr.tree, _CALLS) and not isinstance(key.expr.tree, exp.Cast):
            return ddl.raw(text)
        return exp.Paren(this=ddl.raw(text))
    return ddl.index_key_tree(key)


#: what an index key may be without parentheses, besides a column (PostgreSQL's
#: `func_expr_windowless`)
_CALLS = (exp.Anonymous, exp.Lower, exp.Upper, exp.Coalesce, exp.Length)
_CALL_HEAD = re.compile(r"[A-Za-z_][\w$]*(?:\.[A-Za-z_][\w$]*)?\s*\(")


def _is_call(text: str) -> bool:
    """Whether `text` is one call `name(...)`: the parenthesis after the name closes at the end."""
    head = _CALL_HEAD.match(text)
    if head is None or not text.endswith(")"):
        return False
    depth, quote = 0, ""
    for pos in range(head.end() - 1, len(text)):
        char = text[pos]
        if quote:
            quote = "" if char == quote else quote  # a doubled quote closes and reopens: same depth
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return pos == len(text) - 1
    return False


def column_spellings(column: Column) -> tuple[object, ...]:
    """What, besides the model's meaning, decides how a column prints (for the print caches)."""
    default = column.default.expr.spelling_key if isinstance(column.default, ExprDefault) else None
    generated = column.generated.spelling_key if column.generated is not None else None
    return (default, generated)


def check_spellings(check: Check) -> tuple[object, ...]:
    return check.expr.spelling_key


def index_spellings(index: Index) -> tuple[object, ...]:
    keys = tuple(k.expr.spelling_key if k.expr is not None else None for k in index.keys)
    return (keys, index.where.spelling_key if index.where is not None else None)
