"""`rehash`: a generated migration edited by hand (a data step before or after the generated
statements: `DELETE FROM settings;` before a NOT NULL column is added, a backfill after) is
accepted as the new version of that migration.

Its checksum lives in `mizzle.sum` (a database records it only when it applies the
migration), so that is what is rewritten, and only when it is safe: the edited migration is the
only problem the folder has, its files still parse, and no database mizzle knows of (the
config's, and any given) has applied it. A migration applied somewhere keeps its text: the
data step goes into a new migration (`generate --custom`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mizzle.app.database import opened
from mizzle.app.folder import one_line_list, shown
from mizzle.core import integrity
from mizzle.core.errors import MizzleError
from mizzle.core.migration_text import parse_file
from mizzle.core.migrations import MigrationFolder, down_file, up_file
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import dialect_names


@dataclass(frozen=True)
class Rehashed:
    name: str
    #: False: the migration was unchanged since mizzle.sum was written (nothing to do)
    changed: bool
    #: the databases checked (redacted URLs)
    checked: tuple[str, ...]


def rehash(folder: MigrationFolder, name: str, databases: Sequence[DatabaseURL] = ()) -> Rehashed:
    """Rewrite mizzle.sum for the edited migration `name`, after the checks above."""
    migration = folder.get(name)
    if migration is None:
        raise MizzleError(f"cannot rehash: no migration named {name} in {shown(folder.path)}")
    problems = integrity.verify(folder)
    others = [p.message for p in problems if not (p.kind == "edited" and p.migration == name)]
    if others:
        raise one_line_list(f"cannot rehash {name}: {shown(folder.path)} has other problems to fix first", others)
    if not problems:
        return Rehashed(name, False, ())
    for dialect in dialect_names():
        for file_name, text in ((up_file(dialect), migration.sql), (down_file(dialect), migration.down_sql)):
            if (migration.path / file_name).is_file():
                try:
                    parse_file(text(dialect) or "")
                except MizzleError as err:
                    raise MizzleError(f"cannot rehash {name}: {file_name}: {err}") from None
    checked = []
    for url in databases:
        with opened(url) as database:
            applied = {row.name for row in database.db.applied()}
        if name in applied:
            raise MizzleError(
                f"cannot rehash {name}: it is applied to {url.redacted} already, which would keep the version it "
                "ran: restore that version, and put the new step in a new migration (`mizzle generate --custom`)"
            )
        checked.append(url.redacted)
    integrity.write(folder)
    return Rehashed(name, True, tuple(checked))
