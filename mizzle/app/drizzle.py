"""drizzle-kit's migration history, as `mizzle adopt drizzle` reads it: the folder's
`meta/_journal.json` (one entry per migration: its `tag`, the file `<tag>.sql`, and `when`, in
milliseconds) and the table drizzle's migrator writes, one row per applied file: its `hash`
(sha256, hex, of the file's text as read) and `created_at` (the journal's `when`).

The table is `__drizzle_migrations`, in the `drizzle` schema on PostgreSQL. Facts of drizzle's,
not of a database's, hence this small table of where to find it rather than a dialect hook."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from mizzle.core.errors import MizzleError
from mizzle.core.tracking import DatabaseError, MigrationDatabase

#: where drizzle's migrator keeps its rows, by mizzle dialect
HISTORY_TABLE = {"sqlite": '"__drizzle_migrations"', "postgresql": '"drizzle"."__drizzle_migrations"'}
_SHOWN = 3


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


def applied_rows(db: MigrationDatabase) -> list[DrizzleRow] | None:
    """drizzle's rows, oldest first; None when the database has no such table."""
    table = HISTORY_TABLE.get(db.dialect)
    if table is None:
        raise MizzleError(f"drizzle's history on {db.dialect} is not known to mizzle")
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
