"""Columns renamed between an old client's schema and the server's, read from the migration
history, so that a client within the window keeps syncing with the names it knows.

A client at head H names its columns as the schema was at H; the server's tables are as its
last migration left them. The migrations after H (the server has applied them: the window
check comes first) are read from the project's migrations folder, and every column rename
mizzle wrote into their PostgreSQL files (`ALTER TABLE t RENAME COLUMN a TO b`) is followed,
in order, so that `title` → `label` → `name` maps `title` to `name`. The map is per table,
by the table's name on the server; a table renamed after H is not followed (its old name is
not served).

Read once per client head (the files of applied migrations do not change under a server).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder

_IDENT = r'"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*'
#: a column rename as mizzle's PostgreSQL planner writes it (`plan_columns.py`)
_RENAME = re.compile(
    rf"ALTER\s+TABLE\s+(?:ONLY\s+)?(?:IF\s+EXISTS\s+)?(?:(?:{_IDENT})\.)?({_IDENT})\s+"
    rf"RENAME\s+COLUMN\s+({_IDENT})\s+TO\s+({_IDENT})",
    re.IGNORECASE,
)


def _name(ident: str) -> str:
    """An identifier as PostgreSQL reads it: quoted as written, bare folded to lower case."""
    if ident.startswith('"'):
        return ident[1:-1].replace('""', '"')
    return ident.lower()


@dataclass(frozen=True)
class Renames:
    """Per table (the server's name): the client's column name → the server's."""

    columns: Mapping[str, Mapping[str, str]]

    def to_server(self, table: str, name: str) -> str:
        return self.columns.get(table, {}).get(name, name)

    def to_client(self, table: str, name: str) -> str:
        for old, new in self.columns.get(table, {}).items():
            if new == name:
                return old
        return name

    def row_to_server(self, table: str, row: Mapping[str, object]) -> dict[str, object]:
        mapped = self.columns.get(table)
        return dict(row) if not mapped else {mapped.get(k, k): v for k, v in row.items()}

    def row_to_client(self, table: str, row: Mapping[str, object]) -> dict[str, object]:
        if not self.columns.get(table):
            return dict(row)
        return {self.to_client(table, k): v for k, v in row.items()}


NONE = Renames({})


def renames_since(folder: Path | None, client: str | None, heads: Sequence[str]) -> Renames:
    """The column renames of the migrations the server applied after the client's head."""
    if folder is None or client == (heads[-1] if heads else None):
        return NONE
    later = tuple(heads[heads.index(client) + 1 :] if client in heads else heads)
    return _read(Path(folder), later)


@functools.lru_cache(maxsize=64)
def _read(folder: Path, migrations: tuple[str, ...]) -> Renames:
    local = MigrationFolder(folder)
    # server's current name of each renamed column, by table: client name -> current name
    columns: dict[str, dict[str, str]] = {}
    for name in migrations:
        migration = local.get(name)
        if migration is None or not migration.has_sql("postgresql"):
            raise MizzleError(
                f'the migration "{name}" the server applied is not in {folder}: renamed columns cannot be mapped '
                "for an older client (serve with the project's migrations folder)"
            )
        for m in _RENAME.finditer(migration.sql("postgresql")):
            table, old, new = (_name(g) for g in m.groups())
            mapped = columns.setdefault(table, {})
            # a column renamed again: whoever knew it by an earlier name now maps further
            chained = False
            for client_name, current in mapped.items():
                if current == old:
                    mapped[client_name], chained = new, True
            if not chained:
                mapped[old] = new
    return Renames({t: {k: v for k, v in m.items() if k != v} for t, m in columns.items()})
