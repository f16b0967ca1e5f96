"""What `render_schema` adds for sync tables, the same way for each dialect: the support
objects once (when any table is sync), then each sync table's triggers. The SQL itself is
the dialect's (`<dialect>/sync_sql.py`, which both follow: `support_statements()` and
`trigger_statements(table, primary_key)`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mizzle.core.model import Table


def sync_statements(
    tables: Sequence[Table],
    support: Callable[[], list[str]],
    triggers: Callable[[str, tuple[str, ...]], list[str]],
) -> list[str]:
    sync_tables = [t for t in tables if t.sync]  # each has a primary key: validate() requires one
    if not sync_tables:
        return []
    statements = support()
    for t in sync_tables:
        statements += triggers(t.name, t.primary_key_columns)
    return statements
