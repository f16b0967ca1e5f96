"""What PostgreSQL cannot hold of a schema.

PostgreSQL holds everything the model can say, so `project` changes nothing. The one trap
is length: PostgreSQL silently truncates identifiers to 63 bytes (and refuses longer enum
labels), so a longer name would come back different from the schema that declared it. And
a foreign key must join columns of compatible types, which SQLite does not ask.
"""

from __future__ import annotations

from collections.abc import Iterator

from mizzle.core.model import Column, Schema
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
