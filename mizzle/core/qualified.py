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

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mizzle.core.model import Schema

#: schemas a platform (PostgreSQL, Supabase) manages: an app references them, never owns them
PLATFORM_SCHEMAS = frozenset({"public", "information_schema", "auth", "storage", "realtime", "extensions", "vault"})
_PLATFORM_PREFIXES = ("pg_", "graphql", "supabase_")


def is_platform(schema: str) -> bool:
    """Whether `schema` is the default schema or one a platform manages (not the app's own)."""
    return schema in PLATFORM_SCHEMAS or schema.startswith(_PLATFORM_PREFIXES)


def split(name: str) -> tuple[str | None, str]:
    """`basejump.accounts` → ("basejump", "accounts"); `accounts` → (None, "accounts")."""
    schema, dot, bare = name.partition(".")
    return (schema, bare) if dot else (None, name)


def schema_of(name: str) -> str | None:
    """The schema named by a model name, None for the default schema."""
    return split(name)[0]


def schemas_of(names: Iterable[str]) -> list[str]:
    """The schemas other than the default one that model names `names` live in, sorted."""
    return sorted({s for s in map(schema_of, names) if s is not None})


def join(schema: str | None, name: str) -> str:
    """The model's name of `name` in `schema` (None: the default schema)."""
    return f"{schema}.{name}" if schema else name


#: the schema a function's text names when it names none (the model's default schema)
DEFAULT_SCHEMA = "public"


def schemas_in(schema: Schema) -> list[str]:
    """The app's schemas other than the default one that `schema` has objects in (tables,
    views, types, functions, default privileges): the ones an export creates first and a
    comparison reads from the database besides the default schema. A platform's schema
    (`auth`) a default privilege names is referenced, never created."""
    names = [t.name for t in schema.tables] + [v.name for v in schema.views] + [e.name for e in schema.enums]
    found = set(schemas_of(names))
    found |= {f.schema_name for f in schema.functions if f.schema_name != DEFAULT_SCHEMA}
    defaults = {d.schema_name for d in schema.security.default_privileges if d.schema_name}
    found |= {s for s in defaults if not is_platform(s)}
    return sorted(found)
