"""Names of objects in the app's own schemas other than the default one.

The model names a table, view or enum of another schema the app manages `schema.name`
(`basejump.accounts`), and one of the default schema (PostgreSQL's `public`) by its bare
name, so that every name-keyed part of mizzle (diff, evolve, plans, snapshots) works on
several schemas as on one. A dot in a relation's name is therefore read as the schema's
separator: a table whose own name holds a dot cannot be carried (validation says so).

PostgreSQL writes `schema.name` as two quoted-if-needed parts; SQLite, which has no schemas
(a dotted name there means an attached database), keeps the whole key as one quoted name
(`"basejump.accounts"`), which reads back as the same key: a round trip loses nothing.
"""

from __future__ import annotations


def split(name: str) -> tuple[str | None, str]:
    """`basejump.accounts` → ("basejump", "accounts"); `accounts` → (None, "accounts")."""
    schema, dot, bare = name.partition(".")
    return (schema, bare) if dot else (None, name)


def schema_of(name: str) -> str | None:
    """The schema named by a model name, None for the default schema."""
    return split(name)[0]


def join(schema: str | None, name: str) -> str:
    """The model's name of `name` in `schema` (None: the default schema)."""
    return f"{schema}.{name}" if schema else name
