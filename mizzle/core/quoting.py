"""Quoting for SQL written as text (where no sqlglot tree is built: trigger bodies, the
standard-library-only runtime): a name in double quotes, a string in single quotes, each
with its quote character doubled. PostgreSQL and SQLite agree on both. Standard library only.

A name here is always quoted, unlike `Dialect.quote_ident` (quoted when the renderer's rule
says so): this text is read by no renderer and must not depend on one (the browser runtime
has no sqlglot), and quoting always is safe for any name on any database."""

from __future__ import annotations


def quoted_name(name: str) -> str:
    """`tune` → `"tune"`, `a"b` → `"a""b"`: always quoted, so any name is safe."""
    return '"' + name.replace('"', '""') + '"'


def text_literal(value: str) -> str:
    """`it's` → `'it''s'`."""
    return "'" + value.replace("'", "''") + "'"
