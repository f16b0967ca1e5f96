"""Which rows a user may see and write, as SQL the server's queries carry (PostgreSQL).

A table's rule (`mizzle.core.sync.rules.TableRule`) becomes a condition on a row of it:
`owner` compares the owner column (as text) with the user id; `via` follows the foreign key
in the named column to the row it points at and asks that table's condition of it (an
`EXISTS`), so chains of `via` end at an `owner` or a `shared` table; `shared` is true.
Names are quoted by `quoted_name`; the user id is always a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg

from mizzle.core.quoting import quoted_name
from mizzle.core.sync.rules import RuleError, TableRule

#: the longest `via` chain followed (a loop is an error, not a hang)
MAX_DEPTH = 8

_FOREIGN_KEY = """
SELECT rc.relname, fa.attname
FROM pg_constraint c
JOIN pg_class rc ON rc.oid = c.confrelid
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
WHERE c.conrelid = to_regclass(%s) AND c.contype = 'f' AND cardinality(c.conkey) = 1 AND a.attname = %s
LIMIT 1
"""


def q(name: str) -> str:
    # `%` doubled: the text goes into a psycopg query, where a lone `%` starts a placeholder
    return quoted_name(name).replace("%", "%%")


@dataclass(frozen=True)
class Condition:
    """SQL true for the rows the user may see, over the table as `alias`, and its parameters."""

    sql: str
    params: tuple[Any, ...]


def condition(
    conn: psycopg.Connection[Any], rules: Mapping[str, TableRule], table: str, alias: str, user: str, depth: int = 0
) -> Condition:
    """The condition of `table`'s rule for `user`, over rows called `alias` (quoted already)."""
    if depth > MAX_DEPTH:
        raise RuleError(f'sync rule of "{table}": the via chain is longer than {MAX_DEPTH} tables (a loop?)')
    rule = rules.get(table)
    if rule is None:
        raise RuleError(f'table "{table}" has no sync rule: a via chain must end at a table the server syncs')
    if rule.shared:
        return Condition("true", ())
    if rule.owner is not None:
        return Condition(f"{alias}.{q(rule.owner)}::text = %s", (user,))
    assert rule.via is not None
    found = conn.execute(_FOREIGN_KEY, (quoted_name(table), rule.via)).fetchone()
    if found is None:
        raise RuleError(f'sync rule of "{table}": column "{rule.via}" is not a one-column foreign key')
    parent, parent_column = str(found[0]), str(found[1])
    inner_alias = f"__p{depth}"
    inner = condition(conn, rules, parent, inner_alias, user, depth + 1)
    sql = (
        f"EXISTS (SELECT 1 FROM {q(parent)} AS {inner_alias} "
        f"WHERE {inner_alias}.{q(parent_column)} = {alias}.{q(rule.via)} AND {inner.sql})"
    )
    return Condition(sql, inner.params)
