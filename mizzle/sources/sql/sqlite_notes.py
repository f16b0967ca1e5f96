"""How SQLite holds a column, carried in a PostgreSQL `.sql` schema file as comment lines.

A `.sql` schema is PostgreSQL DDL, which has no place for a SQLite declared type, DEFAULT text
or AUTOINCREMENT (`Column.sqlite_type`, `sqlite_default`, `sqlite_autoincrement`). `mizzle
pull` to `.sql` writes them after the statements, one comment line per column:

    -- mizzle:sqlite {"table": "users", "column": "created_at", "type": "DATETIME", "default": "CURRENT_TIMESTAMP"}

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

PREFIX = "-- mizzle:sqlite "
_LINE = re.compile(r"^-- mizzle:sqlite (?P<json>\{.*\})[ \t]*$", re.M)
_FIELDS = {"type": "sqlite_type", "default": "sqlite_default", "autoincrement": "sqlite_autoincrement"}


def note_lines(schema: Schema) -> list[str]:
    """One comment line per column with something SQLite-only to carry."""
    lines = []
    for table in schema.tables:
        for column in table.columns:
            payload: dict[str, Any] = {"table": table.name, "column": column.name}
            payload |= {key: getattr(column, f) for key, f in _FIELDS.items() if getattr(column, f)}
            if len(payload) > 2:
                lines.append(PREFIX + json.dumps(payload, ensure_ascii=False))
    return lines


def apply_notes(text: str, schema: Schema, source: str, statement_lines: set[int]) -> Schema:
    """`schema` with the notes of `text` applied. `statement_lines`: the lines statements
    occupy (a note line inside a statement, e.g. in a function body, is not a note)."""
    notes: dict[str, dict[str, dict[str, Any]]] = {}
    for m in _LINE.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if line in statement_lines:
            continue
        where = f"{source}:{line}"
        try:
            payload = json.loads(m["json"])
        except ValueError:
            raise SchemaError(f"{where}: a mizzle:sqlite line must hold a JSON object") from None
        table, column = payload.pop("table", None), payload.pop("column", None)
        unknown = set(payload) - set(_FIELDS)
        if not isinstance(table, str) or not isinstance(column, str) or unknown:
            raise SchemaError(
                f'{where}: a mizzle:sqlite line names "table", "column" and any of type, default, autoincrement'
            )
        t = schema.table(table)
        if t is None or t.column(column) is None:
            raise SchemaError(f'{where}: mizzle:sqlite names column "{table}.{column}", which the file does not create')
        if not all(isinstance(payload.get(k, ""), str) for k in ("type", "default")) or not isinstance(
            payload.get("autoincrement", False), bool
        ):
            raise SchemaError(f"{where}: mizzle:sqlite type and default are text, autoincrement true or false")
        notes.setdefault(table, {})[column] = payload
    if not notes:
        return schema
    return Schema(
        tables=tuple(_noted(t, notes.get(t.name, {})) for t in schema.tables), enums=schema.enums, views=schema.views
    )


def _noted(table: Table, notes: dict[str, dict[str, Any]]) -> Table:
    if not notes:
        return table
    columns = tuple(_column(c, notes[c.name]) if c.name in notes else c for c in table.columns)
    return table.model_copy(update={"columns": columns})


def _column(column: Column, payload: dict[str, Any]) -> Column:
    return column.model_copy(update={_FIELDS[k]: v for k, v in payload.items()})
