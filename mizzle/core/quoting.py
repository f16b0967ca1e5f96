"""Quoting for SQL written as text (where no sqlglot tree is built: trigger bodies, the
standard-library-only runtime): a name in double quotes, a string in single quotes, each
with its quote character doubled. PostgreSQL and SQLite agree on both. Standard library only."""

from __future__ import annotations


def quoted_name(name: str) -> str:
    """`tune` → `"tune"`, `a"b` → `"a""b"`: always quoted, so any name is safe."""
    return '"' + name.replace('"', '""') + '"'


def text_literal(value: str) -> str:
    """`it's` → `'it''s'`."""
    return "'" + value.replace("'", "''") + "'"
