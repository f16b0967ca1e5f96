"""The migrations manifest a bundle carries, and the schema fingerprint.

`manifest.json` (format 1):

    {"format": 1, "dialect": "sqlite",
     "migrations": [{"name": "0001_init", "sql": "...", "down_sql": "..." | null, "checksum": "<sha256>"}],
     "head": "0003_sync_tables",
     "schema": {"fingerprint": "<sha256>", "objects": [["table", "tune", "<sha256 of its SQL>"], ...]},
     "snapshot": {...the neutral schema after the last migration, as snapshot.json holds it...},
     "fresh": {"statements": ["CREATE TABLE ...", ...], "checksum": "<sha256>"} | null,
     "fresh_refused": null | "<why a new database replays every migration>"}

`fresh` (optional): the head schema as one script for a database with nothing in it
(`fresh.py`), present only when the bundle proved it gives what replaying gives
(`fresh_build.py`); its checksum is `script_checksum` of its statements.

A migration's checksum is the one the tracking table records (sha256 of the SQLite up file,
line endings normalised), so the browser checks the bundle's SQL against it before running
anything, and the runner checks it against the database's tracking rows, as on a server.

The schema fingerprint is what `check` compares: every object in `sqlite_master` (tables,
indexes, triggers, views; mizzle's tracking table and SQLite's own objects left out) with the
SQL SQLite stores for it, whitespace collapsed. A database that went through the same
migrations holds the same text, whichever SQLite ran them, so comparing it costs one query,
not an introspection (which would need sqlglot in the browser).

Standard library only.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mizzle.core.errors import MizzleError
from mizzle.core.tracking import TRACKING_TABLE

FORMAT = 1
DIALECT = "sqlite"

#: the objects `check` compares, as sqlite_master lists them
MASTER_QUERY = (
    "SELECT type, name, sql FROM sqlite_master "
    f"WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND tbl_name <> '{TRACKING_TABLE}' AND sql IS NOT NULL"
)

_SPACE = re.compile(r"\s+")


class Queryable(Protocol):
    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]: ...


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def file_checksum(text: str) -> str:
    """What `mizzle.core.migrations.checksum` gives for a file holding `text`."""
    return sha256(text.replace("\r\n", "\n").replace("\r", "\n"))


def schema_objects(db: Queryable) -> list[tuple[str, str, str]]:
    """(type, name, sha256 of its whitespace-collapsed SQL) for every object `check` compares, sorted."""
    rows = db.query(MASTER_QUERY)
    return sorted((str(t), str(n), sha256(_SPACE.sub(" ", str(sql)).strip())) for t, n, sql in rows)


def script_checksum(statements: Sequence[str]) -> str:
    """What identifies a fresh script: sha256 of its statements as a JSON array."""
    return sha256(json.dumps(list(statements), ensure_ascii=False))


def fingerprint(objects: Iterable[Sequence[str]]) -> str:
    return sha256(json.dumps([list(o) for o in objects]))


@dataclass(frozen=True)
class FreshScript:
    """The head schema for a new database (`fresh.py`): statements, each whole without its `;`."""

    statements: tuple[str, ...]
    checksum: str


@dataclass(frozen=True)
class BundledMigration:
    """A migration as the manifest holds it (the runner's `Migration` protocol; SQLite only)."""

    name: str
    up: str
    down: str | None
    sum: str

    def sql(self, dialect: str) -> str:
        return self.up

    def down_sql(self, dialect: str) -> str | None:
        return self.down

    def checksum(self, dialect: str) -> str:
        return self.sum


@dataclass(frozen=True)
class Manifest:
    migrations: tuple[BundledMigration, ...]
    head: str | None
    fingerprint: str
    objects: tuple[tuple[str, str, str], ...]
    snapshot: Mapping[str, Any]
    #: the head schema for a new database, when the bundle proved it the same as replaying
    fresh: FreshScript | None = None

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Read and verify a manifest: its format, and every migration's SQL against its checksum."""
        try:
            data = json.loads(text)
        except ValueError as err:
            raise MizzleError(f"the bundle's manifest is not JSON: {err}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("dialect") != DIALECT:
            raise MizzleError(f"the bundle's manifest is not a format-{FORMAT} SQLite manifest: rebuild the bundle")
        migrations = []
        for item in data["migrations"]:
            m = BundledMigration(item["name"], item["sql"], item.get("down_sql"), item["checksum"])
            if file_checksum(m.up) != m.sum:
                raise MizzleError(f"the bundle is damaged: migration {m.name}'s SQL does not match its checksum")
            migrations.append(m)
        schema = data["schema"]
        fresh = None
        if data.get("fresh"):
            statements = tuple(str(s) for s in data["fresh"]["statements"])
            if script_checksum(statements) != data["fresh"]["checksum"]:
                raise MizzleError("the bundle is damaged: its new-database script does not match its checksum")
            fresh = FreshScript(statements, data["fresh"]["checksum"])
        return cls(
            migrations=tuple(migrations),
            head=data.get("head"),
            fingerprint=schema["fingerprint"],
            objects=tuple((str(t), str(n), str(h)) for t, n, h in schema["objects"]),
            snapshot=data.get("snapshot") or {},
            fresh=fresh,
        )
