"""What PostgreSQL cannot hold of a schema.

PostgreSQL holds everything the model can say, so `project` changes nothing. The trap is
length: PostgreSQL cuts identifiers to 63 bytes, which `long_names.py` models (the model keeps
the long name, the database the cut one, read back as the long one); two names cut to the
same one are refused, and so are enum labels (PostgreSQL refuses them) and the names of
enums, views, domains, sequences, materialized views and aggregates over 63 bytes (not read
back). And a foreign key must join columns of compatible types,
which SQLite does not ask.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mizzle.core import qualified
from mizzle.core.model import Column, Schema
from mizzle.core.naming import MAX_IDENTIFIER_BYTES
from mizzle.core.validate import foreign_key_type_problems
from mizzle.dialects.postgresql.long_names import collisions


def _too_long(name: str) -> bool:
    return len(name.encode()) > MAX_IDENTIFIER_BYTES


def _named_objects(schema: Schema) -> Iterator[tuple[str, str]]:
    """(place, name) of the identifiers PostgreSQL cannot hold over 63 bytes: enum labels
    (refused); enum, view, domain, sequence, materialized view and aggregate names, a
    domain's CHECK names and a materialized view's index names (cut, and not read back
    under the long name)."""
    for enum in schema.enums:
        yield "enum", enum.name
        for value in enum.values:
            yield f'enum "{enum.name}", value', value
    for view in schema.views:
        yield "view", view.name
    for domain in schema.domains:
        yield "domain", domain.name
        yield from ((f'domain "{domain.name}", check', c.name) for c in domain.checks)
    yield from (("sequence", s.name) for s in schema.sequences)
    for matview in schema.materialized_views:
        yield "materialized view", matview.name
        for index in matview.indexes:
            if (name := _index_name(index)) is not None:
                yield f'materialized view "{matview.name}", index', name
    yield from (("aggregate", a.name) for a in schema.aggregates)


#: the name a verbatim CREATE INDEX statement gives its index
_INDEX_HEAD = re.compile(
    r"""^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")*"|[^\s"(]+)\s+ON\b""",
    re.IGNORECASE,
)


def _index_name(statement: str) -> str | None:
    found = _INDEX_HEAD.match(statement)
    if found is None:
        return None
    name = found.group(1)
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


def capability_problems(schema: Schema) -> list[str]:
    """Names PostgreSQL would refuse, or cut to the same name as another one, and foreign keys
    between columns of incompatible types (which SQLite holds): each names its place."""
    return (
        [
            f'{place} "{name}": {len(name.encode())} bytes, but PostgreSQL keeps at most {MAX_IDENTIFIER_BYTES}'
            for place, name in _named_objects(schema)
            # an object's model name may be `schema.name`; a label or a part's name is one name
            if _too_long(name if '"' in place else qualified.split(name)[1])
        ]
        + collisions(schema)
        + list(foreign_key_type_problems(schema))
    )


#: the column facts that are SQLite's alone (`Column.sqlite_*`): PostgreSQL never reads them back
_SQLITE_COLUMN_FACTS = {
    "sqlite_type": None,
    "sqlite_default": None,
    "sqlite_autoincrement": False,
    "sqlite_null_key": False,
}


def _sqlite_facts(column: Column) -> bool:
    return any(getattr(column, f) != v for f, v in _SQLITE_COLUMN_FACTS.items())


def project(schema: Schema) -> tuple[Schema, list[str]]:
    """PostgreSQL holds the model as it is, no notes; only what is SQLite's alone is not
    there (its virtual tables, the columns' SQLite spellings, triggers given for SQLite
    alone), and the other triggers without their SQLite text: so that a push or check
    against PostgreSQL never sees a difference PostgreSQL cannot hold."""
    if schema.virtual_tables:
        schema = schema.model_copy(update={"virtual_tables": ()})
    if not any(t.triggers or any(map(_sqlite_facts, t.columns)) for t in schema.tables):
        return schema, []
    tables = []
    for table in schema.tables:
        held = tuple(t for t in (tr.only_for("postgresql") for tr in table.triggers) if t is not None)
        columns = tuple(c.model_copy(update=_SQLITE_COLUMN_FACTS) if _sqlite_facts(c) else c for c in table.columns)
        if held == table.triggers and columns == table.columns:
            tables.append(table)
        else:
            tables.append(table.model_copy(update={"triggers": held, "columns": columns}))
    return schema.model_copy(update={"tables": tuple(tables)}), []
