"""The browser runtime's Python side, run here on real SQLite: the manifest a bundle carries,
and `Runtime.upgrade/status/check` on a file path and through the JS bridge protocol (here
backed by a real sqlite3 connection, as sql.js or sqlite-wasm back it in a browser)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.runner import migrate
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from mizzle.wasm.bundle import build_manifest
from mizzle.wasm.manifest import Manifest, file_checksum
from mizzle.wasm.runtime import Runtime
from tests.core.test_runner import write_migration

#: the example's migrations, in order
EXAMPLE_MIGRATIONS = ["0001_init", "0002_rate_every_session", "0003_sync_tables", "0004_commit_ordered_sync_cursor"]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "practice_tracker" / "migrations"


class SqliteBridge:
    """The bridge protocol of mizzle.js (exec; query with JSON params and rows) over a real
    sqlite3 connection in autocommit mode, as a JS library holds one."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)

    def exec(self, sql: str) -> None:
        self.conn.execute(sql)

    def query(self, sql: str, params_json: str) -> str:
        return json.dumps(self.conn.execute(sql, json.loads(params_json)).fetchall())


@pytest.fixture
def runtime() -> Runtime:
    return Runtime(json.dumps(build_manifest(MigrationFolder(EXAMPLE))))


@pytest.fixture(params=["path", "bridge"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    path = tmp_path / "app.db"
    return str(path) if request.param == "path" else SqliteBridge(path)


def _path(db: Any) -> str:
    return db if isinstance(db, str) else db.conn.execute("PRAGMA database_list").fetchone()[2]


def test_upgrade_applies_every_migration_and_check_passes(runtime: Runtime, db: Any) -> None:
    result = runtime.upgrade(db)
    assert result["from"] is None and result["to"] == EXAMPLE_MIGRATIONS[-1]
    assert result["applied"] == [
        "0001_init",
        "0002_rate_every_session",
        "0003_sync_tables",
        "0004_commit_ordered_sync_cursor",
    ]
    assert runtime.check(db)["ok"] is True
    assert runtime.upgrade(db)["applied"] == []
    status = runtime.status(db)
    assert (status["current"], status["pending"], status["problems"]) == (EXAMPLE_MIGRATIONS[-1], [], [])


def test_progress_is_reported_per_migration(runtime: Runtime, db: Any) -> None:
    seen: list[str] = []
    runtime.upgrade(db, lambda name, ms: seen.append(name))
    assert seen == EXAMPLE_MIGRATIONS


def test_the_same_migrations_give_the_server_runners_schema_and_tracking_rows(runtime: Runtime, tmp_path: Path) -> None:
    browser, server = tmp_path / "browser.db", tmp_path / "server.db"
    runtime.upgrade(str(browser))
    conn = sqlite3.connect(server, isolation_level=None)
    migrate(SqliteMigrationDatabase(conn), MigrationFolder(EXAMPLE).migrations())
    conn.close()

    def read(path: Path) -> tuple[Any, Any]:
        with sqlite3.connect(path) as c:
            master = c.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
            rows = c.execute("SELECT id, name, checksum FROM __mizzle_migrations ORDER BY id").fetchall()
        return master, rows

    assert read(browser) == read(server)


def test_rows_survive_an_upgrade_from_an_older_version(tmp_path: Path) -> None:
    folder = MigrationFolder(tmp_path / "migrations")
    write_migration(folder.path, "0001_tune", "CREATE TABLE tune (id integer PRIMARY KEY, title text);")
    old = Runtime(json.dumps(build_manifest(folder)))
    path = str(tmp_path / "app.db")
    old.upgrade(path)
    with sqlite3.connect(path) as c:
        c.execute("INSERT INTO tune VALUES (1, 'The Kesh')")
    write_migration(folder.path, "0002_plays", "ALTER TABLE tune ADD COLUMN plays integer NOT NULL DEFAULT 0;")
    new = Runtime(json.dumps(build_manifest(folder)))
    assert new.upgrade(path)["applied"] == ["0002_plays"]
    with sqlite3.connect(path) as c:
        assert c.execute("SELECT id, title, plays FROM tune").fetchall() == [(1, "The Kesh", 0)]


def test_a_failing_migration_leaves_the_file_byte_for_byte(tmp_path: Path, db: Any) -> None:
    folder = MigrationFolder(tmp_path / "migrations")
    write_migration(folder.path, "0001_tune", "CREATE TABLE tune (id integer PRIMARY KEY, title text);")
    Runtime(json.dumps(build_manifest(folder))).upgrade(db)
    write_migration(folder.path, "0002_ok", "CREATE TABLE playlist (id integer PRIMARY KEY);")
    manifest = build_manifest(folder)
    # `mizzle bundle` refuses migrations that fail on an empty database: add this one by hand
    failing = "CREATE TABLE x (id integer);\n--> statement-breakpoint\nSELECT nope();"
    manifest["migrations"].append(
        {"name": "0003_fails", "sql": failing, "down_sql": None, "checksum": file_checksum(failing)}
    )
    before = Path(_path(db)).read_bytes()
    with pytest.raises(MizzleError, match="the upgrade failed and changed nothing: migration 0003_fails failed"):
        Runtime(json.dumps(manifest)).upgrade(db)
    assert Path(_path(db)).read_bytes() == before


def test_a_database_upgraded_by_newer_code_is_refused(tmp_path: Path, db: Any) -> None:
    folder = MigrationFolder(tmp_path / "migrations")
    write_migration(folder.path, "0001_tune", "CREATE TABLE tune (id integer PRIMARY KEY);")
    older = Runtime(json.dumps(build_manifest(folder)))
    write_migration(folder.path, "0002_plays", "ALTER TABLE tune ADD COLUMN plays integer;")
    Runtime(json.dumps(build_manifest(folder))).upgrade(db)
    before = Path(_path(db)).read_bytes()
    with pytest.raises(MizzleError, match=r"upgraded by a newer version of the app .* 0002_plays"):
        older.upgrade(db)
    assert Path(_path(db)).read_bytes() == before
    assert older.check(db)["ok"] is False


def test_check_names_objects_that_differ(runtime: Runtime, db: Any) -> None:
    runtime.upgrade(db)
    with sqlite3.connect(_path(db)) as c:
        c.execute("DROP INDEX tune_lower_idx")
        c.execute("CREATE TABLE stray (id integer)")
    found = runtime.check(db)
    assert found["ok"] is False
    assert (found["missing"], found["extra"], found["changed"]) == (["index tune_lower_idx"], ["table stray"], [])


def test_a_damaged_bundle_is_refused(tmp_path: Path) -> None:
    manifest = build_manifest(MigrationFolder(EXAMPLE))
    manifest["migrations"][1]["sql"] += "\nDROP TABLE tune;"
    with pytest.raises(MizzleError, match="0002_rate_every_session's SQL does not match its checksum"):
        Manifest.from_json(json.dumps(manifest))


def test_call_answers_json_with_one_line_errors(runtime: Runtime, tmp_path: Path) -> None:
    ok = json.loads(runtime.call("status", str(tmp_path / "app.db")))
    assert ok["ok"] is True and ok["value"]["pending"][0] == "0001_init"
    bad = json.loads(runtime.call("status", str(tmp_path / "no" / "such" / "dir" / "app.db")))
    assert bad["ok"] is False and "cannot open the database" in bad["error"]


def test_the_upgrade_path_imports_no_parser_model_or_driver() -> None:
    code = "import sys, mizzle.wasm.runtime; print([m for m in ('sqlglot', 'pydantic', 'psycopg') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
