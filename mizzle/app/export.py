"""`export`: the schema's full DDL for one database, as it would create it in an empty one."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mizzle.core.side_notes import SideNote, header_lines
from mizzle.dialects import BUILT_IN, get_dialect

if TYPE_CHECKING:
    from mizzle.app.config import Config
    from mizzle.core.introspection import Unsupported


@dataclass(frozen=True)
class Exported:
    dialect: str
    #: the statements, in the order that creates the schema
    statements: tuple[str, ...]
    #: what the database holds differently from what the schema says (SQLite's one
    #: auto-increment type...)
    notes: tuple[str, ...]
    #: objects of a .sql schema that mizzle does not carry (not exported)
    unsupported: tuple[Unsupported, ...]
    #: what this database holds and the other not (`core/side_notes.py`): the script's header
    side_notes: tuple[SideNote, ...] = ()

    def script(self) -> str:
        """The statements as a script, under a header naming what this database holds and
        the other not (as a migration creating the schema says it)."""
        header = header_lines(self.side_notes)
        return ("\n".join(header) + "\n\n" if header else "") + sql_script(list(self.statements))


def dialect_for(dialect: str | None, config: Config | None) -> str:
    """`dialect`, else the config's first, else mizzle's first (PostgreSQL)."""
    return dialect if dialect is not None else config.dialects[0] if config else BUILT_IN[0]


def export(schema: Path, dialect: str, sync_tables: tuple[str, ...] = ()) -> Exported:
    """The DDL that creates the schema of `schema` (a .py or .sql file, or `module:attr`
    models) in an empty `dialect` database; UnsupportedError when it does not fit."""
    from mizzle.app.generate import check_fits
    from mizzle.core.diff import diff
    from mizzle.core.model import Schema
    from mizzle.sources.load import load_schema

    loaded = load_schema(schema, sync_tables)
    check_fits(loaded.schema, dialect)
    db = get_dialect(dialect)
    _, notes = db.project(loaded.schema)
    statements = db.render_schema(loaded.schema)
    # the header a first migration creating this schema has: one mechanism, the same words
    empty = Schema()
    side_notes = db.plan(diff(empty, loaded.schema), empty, loaded.schema).notes
    return Exported(dialect, tuple(statements), tuple(notes), tuple(loaded.unsupported), side_notes)


def sql_script(statements: list[str]) -> str:
    """Statements as a script: each ends with `;`, a blank line between them."""
    return "\n".join(f"{stmt.strip().rstrip(';')};\n" for stmt in statements)
