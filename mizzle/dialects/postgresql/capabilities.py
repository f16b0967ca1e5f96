"""What PostgreSQL cannot hold of a schema.

PostgreSQL holds everything the model can say, so `project` changes nothing. The one trap
is length: PostgreSQL silently truncates identifiers to 63 bytes (and refuses longer enum
labels), so a longer name would come back different from the schema that declared it. And
a foreign key must join columns of compatible types, which SQLite does not ask.
"""

from __future__ import annotations

from collections.abc import Iterator

from mizzle.core.model import Schema
from mizzle.core.naming import MAX_IDENTIFIER_BYTES
from mizzle.core.validate import foreign_key_type_problems


def _too_long(name: str) -> bool:
    return len(name.encode()) > MAX_IDENTIFIER_BYTES


def _named_objects(schema: Schema) -> Iterator[tuple[str, str]]:
    """(place, name) of every identifier the schema gives PostgreSQL."""
    for enum in schema.enums:
        yield "enum", enum.name
        for value in enum.values:
            yield f'enum "{enum.name}", value', value  # labels are refused rather than truncated
    for view in schema.views:
        yield "view", view.name
    for table in schema.tables:
        yield "table", table.name
        where = f'table "{table.name}"'
        for column in table.columns:
            yield f"{where}, column", column.name
        if table.primary_key:
            yield f"{where}, primary key", table.primary_key.name
        for fk in table.foreign_keys:
            yield f"{where}, foreign key", fk.name
        for unique in table.uniques:
            yield f"{where}, unique", unique.name
        for check in table.checks:
            yield f"{where}, check", check.name
        for index in table.indexes:
            yield f"{where}, index", index.name


def capability_problems(schema: Schema) -> list[str]:
    """Names PostgreSQL would truncate (or refuse), and foreign keys between columns of
    incompatible types (which SQLite holds): each names its place."""
    return [
        f'{place} "{name}": {len(name.encode())} bytes, but PostgreSQL keeps at most {MAX_IDENTIFIER_BYTES}'
        for place, name in _named_objects(schema)
        if _too_long(name)
    ] + list(foreign_key_type_problems(schema))


def project(schema: Schema) -> tuple[Schema, list[str]]:
    """PostgreSQL holds the model as it is, no notes; only what is SQLite's alone is not
    there (its virtual tables, triggers given for SQLite alone), and the other triggers
    without their SQLite text."""
    if schema.virtual_tables:
        schema = schema.model_copy(update={"virtual_tables": ()})
    if not any(t.triggers for t in schema.tables):
        return schema, []
    tables = []
    for table in schema.tables:
        held = tuple(t for t in (tr.only_for("postgresql") for tr in table.triggers) if t is not None)
        tables.append(table if held == table.triggers else table.model_copy(update={"triggers": held}))
    return schema.model_copy(update={"tables": tuple(tables)}), []
