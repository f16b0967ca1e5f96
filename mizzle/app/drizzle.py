"""drizzle-kit's migration history, as `mizzle adopt drizzle` reads it: the folder's
`meta/_journal.json` (one entry per migration: its `tag`, the file `<tag>.sql`, and `when`, in
milliseconds) and the table drizzle's migrator writes, one row per applied file: its `hash`
(sha256, hex, of the file's text as read) and `created_at` (the journal's `when`).

The table is `__drizzle_migrations`, in the `drizzle` schema on PostgreSQL, unless the project's
drizzle config moves it (`migrations: { table, schema }` in `drizzle.config.ts`, read by
`configured_history`) or `--migrations-table` names it. Facts of drizzle's, not of a
database's, hence this small table of where to find it rather than a dialect hook."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from mizzle.core.errors import MizzleError
from mizzle.core.quoting import quoted_name
from mizzle.core.tracking import DatabaseError, MigrationDatabase

DEFAULT_TABLE = "__drizzle_migrations"
#: the schema drizzle's migrator keeps its table in by default, by mizzle dialect (SQLite has
#: no schemas: a schema its config names means nothing there)
DEFAULT_SCHEMA: dict[str, str | None] = {"sqlite": None, "postgresql": "drizzle"}
#: where drizzle's migrator keeps its rows by default, by mizzle dialect (as messages show it)
HISTORY_TABLE = {"sqlite": '"__drizzle_migrations"', "postgresql": '"drizzle"."__drizzle_migrations"'}
_SHOWN = 3

#: the names drizzle-kit looks for its config under
CONFIG_FILES = tuple(f"drizzle.config.{ext}" for ext in ("ts", "js", "mjs", "cjs", "mts", "cts", "json"))
_KEY = r"""["']?{}["']?\s*:\s*"""
_MIGRATIONS = re.compile(_KEY.format("migrations") + r"\{(?P<body>[^{}]*)\}")
_STRING = r"""(["'`])(?P<value>(?:(?!\1).)*)\1"""


@dataclass(frozen=True)
class HistoryPlace:
    """Where drizzle's migrator keeps its rows: `table`, in `schema` (None on SQLite, or
    PostgreSQL's default `drizzle`)."""

    table: str = DEFAULT_TABLE
    schema: str | None = None

    def schema_on(self, dialect: str) -> str | None:
        """The table's schema on `dialect` (None where the dialect has no schemas)."""
        default = DEFAULT_SCHEMA.get(dialect)
        return (self.schema or default) if default is not None else None

    def sql(self, dialect: str) -> str:
        """The table's name as SQL, quoted."""
        schema = self.schema_on(dialect)
        named = quoted_name(self.table)
        return f"{quoted_name(schema)}.{named}" if schema else named

    @property
    def is_default(self) -> bool:
        return self.table == DEFAULT_TABLE and self.schema in (None, "drizzle")


def configured_history(folders: Iterable[Path]) -> tuple[HistoryPlace, Path | None]:
    """The `migrations: { table, schema }` of the first drizzle config file found in `folders`
    (a `drizzle.config.ts` is code: its literal strings are read, nothing is run), and that
    file; the defaults and None when there is none or it does not say."""
    for folder in folders:
        for name in CONFIG_FILES:
            path = folder / name
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            found = _MIGRATIONS.search(text)
            if found is None:
                return HistoryPlace(), path
            body = found.group("body")
            table = re.search(_KEY.format("table") + _STRING, body)
            schema = re.search(_KEY.format("schema") + _STRING, body)
            return HistoryPlace(
                table.group("value") if table else DEFAULT_TABLE, schema.group("value") if schema else None
            ), path
    return HistoryPlace(), None


def history_place(text: str) -> HistoryPlace:
    """`--migrations-table`: `table`, or `schema.table` (PostgreSQL)."""
    schema, dot, table = text.rpartition(".")
    if not table or (dot and not schema):
        raise MizzleError(f"--migrations-table {text!r}: give a table name, or schema.table")
    return HistoryPlace(table, schema or None)


@dataclass(frozen=True)
class JournalEntry:
    tag: str
    #: the journal's `when`: what drizzle records as `created_at`
    when: int
    #: sha256 of `<tag>.sql` as drizzle computes it
    hash: str


@dataclass(frozen=True)
class DrizzleRow:
    hash: str
    created_at: int


def read_journal(folder: Path) -> list[JournalEntry]:
    """The journal's entries with each file's hash; MizzleError naming what is missing or malformed."""
    journal = folder / "meta" / "_journal.json"
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MizzleError(f"{journal} not found: --from names drizzle-kit's migrations folder (`out`)") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise MizzleError(f"cannot read {journal}: {err}") from None
    raw = data.get("entries") if isinstance(data, dict) else None
    if not isinstance(raw, list):
        raise MizzleError(f"{journal} is not a drizzle-kit journal (it has no `entries` list)")
    entries = []
    for item in raw:
        tag, when = (item.get("tag"), item.get("when")) if isinstance(item, dict) else (None, None)
        if not isinstance(tag, str) or not isinstance(when, int):
            raise MizzleError(f"{journal}: an entry has no `tag` or no numeric `when`: {item!r}"[:200])
        path = folder / f"{tag}.sql"
        try:
            text = path.read_bytes()
        except OSError as err:
            raise MizzleError(f"cannot read {path}, listed in {journal}: {err.strerror}") from None
        # drizzle hashes the file's text as read, line endings and all
        entries.append(JournalEntry(tag, when, hashlib.sha256(text).hexdigest()))
    return entries


def applied_rows(db: MigrationDatabase, place: HistoryPlace | None = None) -> list[DrizzleRow] | None:
    """drizzle's rows, oldest first, from its table (`place`, default: drizzle's own); None
    when the database has no such table."""
    if db.dialect not in HISTORY_TABLE:
        raise MizzleError(f"drizzle's history on {db.dialect} is not known to mizzle")
    table = (place or HistoryPlace()).sql(db.dialect)
    try:
        rows = db.query(f"SELECT hash, created_at FROM {table} ORDER BY id")
    except DatabaseError:
        return None  # (the adapters run outside a transaction here: nothing to roll back)
    return [DrizzleRow(str(h), int(str(c))) for h, c in rows]


def disagreements(entries: list[JournalEntry], rows: list[DrizzleRow]) -> list[str]:
    """Where the journal and the database's rows disagree, one line each; empty when every
    journal entry is applied as it is now and the database applied nothing else."""
    hashes = {row.hash for row in rows}
    stamps = {row.created_at for row in rows}
    problems = []
    pending = [e.tag for e in entries if e.hash not in hashes and e.when not in stamps]
    if pending:
        problems.append(f"{_listed(pending, 'is', 'are')} not applied to the database (run drizzle's migrate first)")
    edited = [e.tag for e in entries if e.hash not in hashes and e.when in stamps]
    if edited:
        problems.append(
            f"{_listed(edited, 'was', 'were')} edited after it was applied (its hash differs from the recorded one)"
        )
    journal_hashes = {e.hash for e in entries}
    edited_stamps = {e.when for e in entries if e.hash not in hashes}  # said above
    unknown = [row for row in rows if row.hash not in journal_hashes and row.created_at not in edited_stamps]
    if unknown:
        problems.append(
            f"the database records {len(unknown)} migration{'' if len(unknown) == 1 else 's'} the journal does not "
            f"list (hash {unknown[0].hash[:12]}..., created_at {unknown[0].created_at})"
        )
    return problems


def _listed(tags: list[str], one: str, more: str) -> str:
    """`0003_x is`, `0003_x, 0004_y are`: the tags shown, then the verb."""
    shown = ", ".join(tags[:_SHOWN]) + (f" (and {len(tags) - _SHOWN} more)" if len(tags) > _SHOWN else "")
    return f"{shown} {one if len(tags) == 1 else more}"
