"""A new database gets the head schema in one script (`mizzle/wasm/fresh.py`) when the bundle
proved it the same as replaying (`fresh_build.py`): on real SQLite, against the replay, for
generated migrations, the example app (sync tables), hand-written and data migrations, and
real drizzle histories from the corpus."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from mizzle.cli.app import main
from mizzle.core.atomic import migrate_atomically
from mizzle.core.migrations import MigrationFolder
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from mizzle.wasm.bundle import build_manifest
from mizzle.wasm.fresh_build import fresh_script
from mizzle.wasm.runtime import Runtime
from tests.conftest import CORPUS
from tests.core.test_runner import write_migration
from tests.wasm.test_runtime import EXAMPLE, EXAMPLE_MIGRATIONS, SqliteBridge

#: a generated project: a table, then a column made NOT NULL (a rebuild), a column added, an index
STEPS = [
    "class Tune(Table):\n    id = serial().primary_key()\n    title = text()\n",
    "class Tune(Table):\n    id = serial().primary_key()\n    title = text().not_null().default('')\n",
    "class Tune(Table):\n    id = serial().primary_key()\n    title = text().not_null().default('')\n"
    "    plays = integer()\n    __indexes__ = (index('plays'),)\n"
    "class Player(Table):\n    id = serial().primary_key()\n    tune_id = integer().references(Tune.id)\n",
]
HEADER = "from mizzle.dsl import Table, index, integer, serial, text\n\n"


def catalog(path: str | Path) -> tuple[list[Any], list[Any], list[Any]]:
    """sqlite_master in order (all but rootpage), the tracking rows as a replay writes them
    (but applied_at and duration_ms), and the rows of mizzle's sync control tables."""
    conn = sqlite3.connect(path)
    try:
        master = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid").fetchall()
        tracking = conn.execute("SELECT id, name, checksum, down_checksum FROM __mizzle_migrations ORDER BY id")
        own = [
            (t, conn.execute(f'SELECT * FROM "{t}"').fetchall())
            for (t,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '__mizzle_sync%'"
            )
        ]
        return master, tracking.fetchall(), own
    finally:
        conn.close()


def replayed(folder: MigrationFolder, path: Path) -> Path:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        migrate_atomically(SqliteMigrationDatabase(conn), folder.migrations())
    finally:
        conn.close()
    return path


@pytest.fixture
def generated(tmp_path: Path) -> MigrationFolder:
    project = tmp_path / "project"
    project.mkdir()
    (project / "mizzle.toml").write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["sqlite"]\n')
    for i, source in enumerate(STEPS):
        (project / "schema.py").write_text(HEADER + source)
        assert main(["--config", str(project / "mizzle.toml"), "generate", "--name", f"step{i + 1}"]) == 0
    return MigrationFolder(project / "migrations")


@pytest.mark.parametrize("kind", ["path", "bridge"])
def test_a_new_database_gets_what_the_replay_gives_without_replaying(
    generated: MigrationFolder, tmp_path: Path, kind: str
) -> None:
    manifest = build_manifest(generated)
    assert manifest["fresh_refused"] is None
    statements = manifest["fresh"]["statements"]
    # the head schema only: no ALTER TABLE, no rebuild, no guard
    assert not [s for s in statements if not s.startswith(("CREATE TABLE", "CREATE INDEX"))]
    path = tmp_path / "new.db"
    seen: list[str] = []
    result = Runtime(json.dumps(manifest)).upgrade(
        str(path) if kind == "path" else SqliteBridge(path), lambda name, ms: seen.append(name)
    )
    names = [m.name for m in generated.migrations()]
    assert result["applied"] == seen == names and result["to"] == names[-1]
    assert catalog(path) == catalog(replayed(generated, tmp_path / "replayed.db"))
    assert Runtime(json.dumps(manifest)).check(str(path))["ok"] is True


def test_the_example_app_with_sync_tables_gets_its_control_rows(tmp_path: Path) -> None:
    manifest = build_manifest(MigrationFolder(EXAMPLE))
    assert manifest["fresh_refused"] is None
    path = tmp_path / "new.db"
    assert Runtime(json.dumps(manifest)).upgrade(str(path))["applied"] == EXAMPLE_MIGRATIONS
    master, tracking, own = catalog(path)
    assert (master, tracking, own) == catalog(replayed(MigrationFolder(EXAMPLE), tmp_path / "replayed.db"))
    assert ("__mizzle_sync_control", [(1, 0, None)]) in own


def test_a_database_several_steps_behind_replays_what_is_pending(generated: MigrationFolder, tmp_path: Path) -> None:
    names = [m.name for m in generated.migrations()]
    path = tmp_path / "behind.db"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate_atomically(SqliteMigrationDatabase(conn), generated.migrations()[:1])
    conn.execute("INSERT INTO tune (title) VALUES ('The Kesh')")
    conn.close()
    result = Runtime(json.dumps(build_manifest(generated))).upgrade(str(path))
    assert result["applied"] == names[1:]
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT title, plays FROM tune").fetchall() == [("The Kesh", None)]


def test_a_database_holding_only_an_app_table_is_not_new(generated: MigrationFolder, tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as c:
        c.execute("CREATE TABLE tune (id integer PRIMARY KEY)")
    # not empty: the replay runs, and fails on the table that is already there, changing nothing
    with pytest.raises(Exception, match="table tune already exists"):
        Runtime(json.dumps(build_manifest(generated))).upgrade(str(path))
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT name FROM sqlite_master").fetchall() == [("tune",)]


def test_a_hand_written_migration_makes_new_databases_replay(generated: MigrationFolder, tmp_path: Path) -> None:
    custom = generated.custom("seed", ["sqlite"])
    (custom.path / "sqlite.sql").write_text(
        (custom.path / "sqlite.sql").read_text() + "CREATE TABLE note (id integer PRIMARY KEY);\n"
    )
    manifest = build_manifest(MigrationFolder(generated.path))
    assert manifest["fresh"] is None
    assert manifest["fresh_refused"] == f"migration {custom.name} is hand-written (custom)"
    path = tmp_path / "new.db"
    Runtime(json.dumps(manifest)).upgrade(str(path))
    assert catalog(path) == catalog(replayed(MigrationFolder(generated.path), tmp_path / "replayed.db"))


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("INSERT INTO tune (title) VALUES ('seed');", "migration 0002_seed has a statement that is not schema: INSERT"),
        ("UPDATE tune SET title = 'x';", "migration 0002_seed has a statement that is not schema: UPDATE tune"),
        ("PRAGMA user_version = 7;", "migration 0002_seed has a statement that is not schema: PRAGMA user_version"),
    ],
)
def test_a_data_statement_makes_new_databases_replay(tmp_path: Path, sql: str, why: str) -> None:
    folder = MigrationFolder(tmp_path / "migrations")
    write_migration(folder.path, "0001_tune", "CREATE TABLE tune (id integer PRIMARY KEY, title text);")
    write_migration(folder.path, "0002_seed", sql)
    script, refused = fresh_script(folder.migrations())
    assert script is None and refused is not None and refused.startswith(why)


@pytest.mark.parametrize("history", ["dyad-sh__dyad", "generalaction__emdash"])
def test_real_histories_get_the_replays_schema_or_a_reason(tmp_path: Path, history: str) -> None:
    # a drizzle history as mizzle migrations (drizzle also separates statements with breakpoints)
    source = CORPUS / "apps" / "sqlite-histories" / history
    folder = MigrationFolder(tmp_path / "migrations")
    for i, name in enumerate((source / "ORDER.txt").read_text().split()):
        write_migration(folder.path, f"{i + 1:04d}_step_{i + 1}", (source / name).read_text())
    manifest = build_manifest(folder)
    assert len(manifest["migrations"]) > 40
    path = tmp_path / "new.db"
    assert len(Runtime(json.dumps(manifest)).upgrade(str(path))["applied"]) == len(manifest["migrations"])
    assert catalog(path) == catalog(replayed(folder, tmp_path / "replayed.db"))
    if manifest["fresh"] is None:
        assert manifest["fresh_refused"]
    else:
        assert not [s for s in manifest["fresh"]["statements"] if s.upper().startswith(("ALTER", "DROP"))]


def test_a_damaged_script_is_refused_when_the_manifest_is_read(generated: MigrationFolder) -> None:
    manifest = build_manifest(generated)
    manifest["fresh"]["statements"][0] += " -- edited"
    with pytest.raises(Exception, match="its new-database script does not match its checksum"):
        Runtime(json.dumps(manifest))


def test_the_example_bundle_is_unchanged_by_copying(tmp_path: Path) -> None:
    # the same migrations in another folder give the same script (nothing depends on the path)
    copy = tmp_path / "migrations"
    shutil.copytree(EXAMPLE, copy)
    assert fresh_script(MigrationFolder(copy).migrations()) == fresh_script(MigrationFolder(EXAMPLE).migrations())
