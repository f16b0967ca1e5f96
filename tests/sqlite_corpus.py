"""The SQLite databases of the shared corpus, materialised as files as the apps hold them.

Each drizzle-kit history is applied file by file as drizzle's migrator does (each file wrapped in
`BEGIN; ... COMMIT;`, `--> statement-breakpoint` markers removed); Homarr's hand-edited files
open with `COMMIT TRANSACTION`, which closes that wrapper early, and that is how they ran in
the field too. Chinook and Synapse are one script (or a few) run as they are.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import CORPUS

_HISTORIES = CORPUS / "apps" / "sqlite-histories"

_DRIZZLE_TABLE = (
    'CREATE TABLE IF NOT EXISTS "__drizzle_migrations" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)'
)

#: the corpus databases, by name
SQLITE_CORPUS = (
    "chinook",
    "homarr-labs__homarr",
    "dyad-sh__dyad",
    "generalaction__emdash",
    "matrix-org__synapse",
)


def _ordered(folder: Path) -> list[Path]:
    names = (folder / "ORDER.txt").read_text(encoding="utf-8").split()
    return [folder / n for n in names]


def materialise(name: str, path: Path) -> Path:
    """Write the final state of corpus database `name` to the SQLite file `path`."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        if name == "chinook":
            conn.executescript((CORPUS / "chinook" / "Chinook_Sqlite.sql").read_text(encoding="utf-8-sig"))
        elif name == "matrix-org__synapse":
            for f in _ordered(CORPUS / "apps" / "large-pg" / name / "sqlite"):
                conn.executescript(f.read_text(encoding="utf-8"))
        else:
            # drizzle's migrator keeps its history in the same database: the table as it makes it
            conn.execute(_DRIZZLE_TABLE)
            for f in _ordered(_HISTORIES / name):
                text = f.read_text(encoding="utf-8").replace("--> statement-breakpoint", "")
                conn.executescript(f"BEGIN;\n{text}\nCOMMIT;")
                conn.execute("INSERT INTO __drizzle_migrations (hash, created_at) VALUES (?, 0)", (f.name,))
    finally:
        conn.close()
    return path
