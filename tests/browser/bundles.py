"""Bundles the upgrade tests serve: one project's migrations at three versions, built with the
real `mizzle generate` and `mizzle bundle` code, and a server-side twin of each step.

    v1  tune (a sync table) and player
    v2  tune gains `plays integer NOT NULL DEFAULT 0` and an index; a new table `note`
    v3  tune.key becomes NOT NULL DEFAULT 'D' (a SQLite table rebuild of a sync table), and
        player gains a unique email
    bad v3 with one more migration that fails halfway: its first statement works, its guard
        then finds the NULL `player.email` the v1 rows hold
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mizzle.cli.app import main
from mizzle.core.migrations import MigrationFolder
from mizzle.core.runner import migrate
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from mizzle.wasm.bundle import build_wheel, write_bundle

HEAD = "from mizzle.dsl import Table, index, integer, serial, text, unique\n"

V1 = """
class Tune(Table):
    id = serial().primary_key()
    title = text().not_null()
    key = text()
    __sync__ = True

class Player(Table):
    id = serial().primary_key()
    name = text().not_null()
    email = text()
"""

V2 = (
    V1.replace(
        "    key = text()\n    __sync__ = True\n",
        "    key = text()\n    plays = integer().not_null().default(0)\n    __indexes__ = [index('plays')]\n"
        "    __sync__ = True\n",
    )
    + """
class Note(Table):
    id = serial().primary_key()
    body = text()
"""
)

V3 = V2.replace("    key = text()\n", "    key = text().not_null().default('D')\n").replace(
    "    email = text()\n", "    email = text()\n    __uniques__ = [unique('email')]\n"
)

#: rows written at v1 (SQL that runs in the browser and on the server alike)
V1_ROWS = [
    "INSERT INTO tune (id, title, key) VALUES (1, 'The Kesh', 'G'), (2, 'Drowsy Maggie', NULL)",
    "INSERT INTO player (id, name, email) VALUES (1, 'Siobhán', NULL), (2, 'Tomás', 't@example.org')",
    "UPDATE tune SET title = 'The Kesh Jig' WHERE id = 1",  # a local edit: version 2, unsynced
]

#: fails halfway: the column is added, then the guard finds 1 NULL email
BAD = (
    "ALTER TABLE player ADD COLUMN nick text;\n--> statement-breakpoint\n"
    "-- mizzle:guard player has {count} rows without an email\n"
    "SELECT count(*) FROM player WHERE email IS NULL;\n--> statement-breakpoint\n"
    "CREATE TABLE never (id integer);\n"
)


@dataclass(frozen=True)
class Bundles:
    root: Path
    v1: Path
    v3: Path
    bad: Path
    folder: MigrationFolder  # v3's migrations

    def server_twin(self, path: Path, rows: list[str]) -> None:
        """What `mizzle migrate` makes on a server-side SQLite file: v1, `rows`, then v3."""
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            db = SqliteMigrationDatabase(conn)
            migrations = self.folder.migrations()
            migrate(db, migrations, to=migrations[0].name)
            for statement in rows:
                conn.execute(statement)
            migrate(db, migrations)
        finally:
            conn.close()


def build(root: Path, pyodide: Path) -> Bundles:
    project = root / "project"
    project.mkdir(parents=True)
    (project / "mizzle.toml").write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["sqlite"]\n')
    wheels = root / "wheel"
    wheels.mkdir()
    wheel = build_wheel(wheels, with_model=True)  # the bundles below are --with-model
    bundles: dict[str, Path] = {}
    for version, source in (("v1", V1), ("v2", V2), ("v3", V3)):
        (project / "schema.py").write_text(HEAD + source)
        assert main(["--config", str(project / "mizzle.toml"), "generate", "--name", version]) == 0
        if version != "v2":
            bundles[version] = root / version
            write_bundle(
                bundles[version], MigrationFolder(project / "migrations"), pyodide=pyodide, wheel=wheel, with_model=True
            )
    # the failing one: v3's migrations plus a hand-written fourth
    bad_project = root / "bad-project"
    shutil.copytree(project / "migrations", bad_project / "migrations")
    extra = bad_project / "migrations" / "0004_bad"
    extra.mkdir()
    (extra / "sqlite.sql").write_text(BAD)
    # `write_bundle` learns the schema by applying every migration to an empty database, where
    # the bad one passes (no rows: its guard counts 0), so it is bundled like any other.
    bundles["bad"] = root / "bad"
    write_bundle(bundles["bad"], MigrationFolder(bad_project / "migrations"), pyodide=pyodide, wheel=wheel)
    return Bundles(root, bundles["v1"], bundles["v3"], bundles["bad"], MigrationFolder(project / "migrations"))


#: Python run both here and in Pyodide: `dump(path)` is a database as the tests compare it, as
#: JSON: its objects (the SQL SQLite stores), every row but the times (the browser and the
#: server write at different moments), the tracking rows but their times.
DUMP_SOURCE = """
import json, sqlite3

def dump(path):
    conn = sqlite3.connect(path)
    try:
        master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        rows = {}
        for kind, name, _, _ in master:
            if kind != "table" or name.startswith("sqlite_") or name == "__mizzle_migrations":
                continue
            columns = [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')]
            kept = ", ".join(f'"{c}"' for c in columns if c not in ("last_modified_at", "deleted_at"))
            rows[name] = conn.execute(f'SELECT {kept} FROM "{name}" ORDER BY 1').fetchall()
        tracking = conn.execute("SELECT id, name, checksum FROM __mizzle_migrations ORDER BY id").fetchall()
        return json.dumps({"master": master, "rows": rows, "tracking": tracking})
    finally:
        conn.close()
"""


def dump(path: Path) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    exec(DUMP_SOURCE, scope)
    result: dict[str, Any] = json.loads(scope["dump"](str(path)))
    return result


#: a migration with seconds of work for SQLite in WebAssembly (100k rows written and indexed), so
#: that a page can be seen painting, or not, while an upgrade runs
HEAVY = (
    "CREATE TABLE heavy (id integer PRIMARY KEY, v text NOT NULL);\n--> statement-breakpoint\n"
    "INSERT INTO heavy (id, v) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000) "
    "SELECT i, hex(randomblob(16)) FROM n;\n--> statement-breakpoint\n"
    "CREATE INDEX heavy_v ON heavy (v);\n"
)
AFTER_HEAVY = "CREATE TABLE after_heavy (id integer PRIMARY KEY);\n"


def build_heavy(bundles: Bundles, pyodide: Path) -> Path:
    """v3's migrations, then 0004_heavy (see HEAVY) and 0005_after: bundled beside the others."""
    project = bundles.root / "heavy-project"
    shutil.copytree(bundles.folder.path, project / "migrations")
    for name, sql in (("0004_heavy", HEAVY), ("0005_after", AFTER_HEAVY)):
        (project / "migrations" / name).mkdir()
        (project / "migrations" / name / "sqlite.sql").write_text(sql)
    [wheel] = (bundles.root / "wheel").glob("*.whl")
    out = bundles.root / "heavy"
    write_bundle(out, MigrationFolder(project / "migrations"), pyodide=pyodide, wheel=wheel)
    return out
