"""How SQLite holds a column, carried in a PostgreSQL `.sql` schema file as comment lines.

A `.sql` schema is PostgreSQL DDL, which has no place for a SQLite declared type, DEFAULT text
or AUTOINCREMENT (`Column.sqlite_type`, `sqlite_default`, `sqlite_autoincrement`). `mizzle
pull` to `.sql` writes them after the statements, one comment line per column:

    -- mizzle:sqlite {"table": "users", "column": "created_at", "type": "DATETIME", "default": "CURRENT_TIMESTAMP"}

A SQLite trigger (`Table.triggers`: SQLite's text, which PostgreSQL would not take) is one
line too:

    -- mizzle:sqlite {"table": "messages", "trigger": "messages_ai", "definition": "CREATE TRIGGER ..."}

A SQLite virtual table (FTS5..., `Schema.virtual_tables`), which PostgreSQL does not have:

    -- mizzle:sqlite {"virtual_table": "chat_search_fts", "definition": "CREATE VIRTUAL TABLE ..."}

An index or constraint name longer than PostgreSQL's 63 bytes (SQLite has no limit) would be
read back truncated, as PostgreSQL truncates it; its full name is carried the same way:

    -- mizzle:sqlite {"table": "users", "name": "users_a_very_long_index_name_..."}

PostgreSQL (and psql) skip comments, so the file still applies anywhere; the reader applies
the lines to the model. The payload is JSON, so any name and any text is written safely. A
line naming a table or column the file does not create is an error naming its line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mizzle.core.errors import SchemaError
from mizzle.core.model import Column, Schema, Table
from mizzle.core.naming import MAX_IDENTIFIER_BYTES
from mizzle.core.routines import Trigger
from mizzle.core.virtual_tables import VirtualTable

PREFIX = "-- mizzle:sqlite "
_LINE = re.compile(r"^-- mizzle:sqlite (?P<json>\{.*\})[ \t]*$", re.M)
_FIELDS = {
    "type": "sqlite_type",
    "default": "sqlite_default",
    "autoincrement": "sqlite_autoincrement",
    "null_key": "sqlite_null_key",
}


def _named(table: Table) -> list[Any]:
    """The table's indexes and constraints: the objects whose names are carried in full."""
    pk = [table.primary_key] if table.primary_key else []
    return [*pk, *table.foreign_keys, *table.uniques, *table.checks, *table.indexes]


def note_lines(schema: Schema) -> list[str]:
    """One comment line per column with something SQLite-only to carry, and per index or
    constraint whose name PostgreSQL would truncate."""
    lines = []
    for table in schema.tables:
        for obj in _named(table):
            if len(obj.name.encode()) > MAX_IDENTIFIER_BYTES:
                lines.append(PREFIX + json.dumps({"table": table.name, "name": obj.name}, ensure_ascii=False))
    for table in schema.tables:
        for column in table.columns:
            payload: dict[str, Any] = {"table": table.name, "column": column.name}
            payload |= {key: getattr(column, f) for key, f in _FIELDS.items() if getattr(column, f)}
            if len(payload) > 2:
                lines.append(PREFIX + json.dumps(payload, ensure_ascii=False))
    for table in schema.tables:
        for trigger in table.triggers:
            if trigger.sqlite is not None:
                note = {"table": table.name, "trigger": trigger.name, "definition": trigger.sqlite}
                lines.append(PREFIX + json.dumps(note, ensure_ascii=False))
    for virtual in schema.virtual_tables:
        note = {"virtual_table": virtual.name, "definition": virtual.sqlite}
        lines.append(PREFIX + json.dumps(note, ensure_ascii=False))
    return lines


def apply_notes(text: str, schema: Schema, source: str, statement_lines: set[int]) -> Schema:
    """`schema` with the notes of `text` applied. `statement_lines`: the lines statements
    occupy (a note line inside a statement, e.g. in a function body, is not a note)."""
    notes: dict[str, dict[str, dict[str, Any]]] = {}
    names: dict[str, list[tuple[str, str]]] = {}
    triggers: dict[str, list[tuple[str, Trigger]]] = {}
    virtual: list[VirtualTable] = []
    for m in _LINE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if line in statement_lines:
            continue
        where = f"{source}:{line}"
        try:
            payload = json.loads(m["json"])
        except ValueError:
            raise SchemaError(f"{where}: a mizzle:sqlite line must hold a JSON object") from None
        if set(payload) == {"table", "name"} and all(isinstance(v, str) for v in payload.values()):
            names.setdefault(payload["table"], []).append((where, payload["name"]))
            continue
        if set(payload) == {"table", "trigger", "definition"} and all(isinstance(v, str) for v in payload.values()):
            trigger = Trigger(name=payload["trigger"], sqlite=payload["definition"])
            triggers.setdefault(payload["table"], []).append((where, trigger))
            continue
        if set(payload) == {"virtual_table", "definition"} and all(isinstance(v, str) for v in payload.values()):
            try:
                virtual.append(VirtualTable(name=payload["virtual_table"], sqlite=payload["definition"]))
            except ValueError as err:  # pydantic's ValidationError
                detail = str(err).splitlines()[1:2] or [""]
                raise SchemaError(f"{where}: {detail[0].strip().removeprefix('Value error, ')}") from None
            continue
        table, column = payload.pop("table", None), payload.pop("column", None)
        unknown = set(payload) - set(_FIELDS)
        if not isinstance(table, str) or not isinstance(column, str) or unknown:
            raise SchemaError(
                f'{where}: a mizzle:sqlite line names "table", "column" and any of type, default, autoincrement'
            )
        t = schema.table(table)
        if t is None or t.column(column) is None:
            raise SchemaError(f'{where}: mizzle:sqlite names column "{table}.{column}", which the file does not create')
        if not all(isinstance(payload.get(k, ""), str) for k in ("type", "default")) or not all(
            isinstance(payload.get(k, False), bool) for k in ("autoincrement", "null_key")
        ):
            raise SchemaError(
                f"{where}: mizzle:sqlite type and default are text, autoincrement and null_key true or false"
            )
        notes.setdefault(table, {})[column] = payload
    if virtual:
        schema = schema.model_copy(update={"virtual_tables": (*schema.virtual_tables, *virtual)})
    if not notes and not names and not triggers:
        return schema
    tables = [_noted(t, notes.get(t.name, {})) for t in schema.tables]
    tables = [_full_names(t, names.get(t.name, [])) for t in tables]
    tables = [_with_triggers(t, triggers.get(t.name, [])) for t in tables]
    places = {**{t: n[0][0] for t, n in names.items()}, **{t: n[0][0] for t, n in triggers.items()}}
    missing = sorted(set(places) - {t.name for t in tables})
    if missing:
        raise SchemaError(
            f'{places[missing[0]]}: mizzle:sqlite names table "{missing[0]}", which the file does not create'
        )
    return schema.model_copy(update={"tables": tuple(tables)})


def _with_triggers(table: Table, noted: list[tuple[str, Trigger]]) -> Table:
    """`table` with the SQLite texts of its noted triggers (joined to the trigger of that name
    the file creates for PostgreSQL, if any)."""
    if not noted:
        return table
    held = {t.name: t for t in table.triggers}
    for _, trigger in noted:
        same = held.get(trigger.name)
        held[trigger.name] = same.model_copy(update={"sqlite": trigger.sqlite}) if same else trigger
    return table.model_copy(update={"triggers": tuple(held.values())})


def _full_names(table: Table, names: list[tuple[str, str]]) -> Table:
    """`table` with each object read under PostgreSQL's truncation of a noted name renamed to it."""
    if not names:
        return table
    fields: dict[str, Any] = {}
    for where, full in names:
        clipped = full.encode()[:MAX_IDENTIFIER_BYTES].decode(errors="ignore")
        obj = next((o for o in _named(table) if o.name == clipped), None)
        if obj is None:
            raise SchemaError(f'{where}: mizzle:sqlite names "{full}", which table "{table.name}" does not have')
        field = _FIELD_OF[type(obj).__name__]
        renamed = obj.model_copy(update={"name": full})
        if field == "primary_key":
            fields[field] = renamed
        else:
            current = fields.get(field, getattr(table, field))
            fields[field] = tuple(renamed if o is obj or o.name == clipped else o for o in current)
    return table.model_copy(update=fields)


_FIELD_OF = {
    "PrimaryKey": "primary_key",
    "ForeignKey": "foreign_keys",
    "Unique": "uniques",
    "Check": "checks",
    "Index": "indexes",
}


def _noted(table: Table, notes: dict[str, dict[str, Any]]) -> Table:
    if not notes:
        return table
    columns = tuple(_column(c, notes[c.name]) if c.name in notes else c for c in table.columns)
    return table.model_copy(update={"columns": columns})


def _column(column: Column, payload: dict[str, Any]) -> Column:
    return column.model_copy(update={_FIELDS[k]: v for k, v in payload.items()})
