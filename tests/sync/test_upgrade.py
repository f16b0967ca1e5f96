"""Sync tables of the older form (three sync columns, a time cursor) move over to the
commit-ordered cursor through a migration `mizzle generate` writes: the example's 0004,
generated from 0003's snapshot, run here on both databases over rows written by the old
triggers. Afterwards the tables are sync tables again (no drift: `mizzle check`), the old
rows come with a first pull, and a row written with a time long past after a pull comes with
the next one."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from mizzle.cli.app import main
from mizzle.core.operations import CreateSyncSupport, DropSyncSupport
from mizzle.sync import changes_since
from tests.pg import with_database

EXAMPLE = Path(__file__).parents[2] / "examples" / "practice_tracker"
UPGRADE = "0004_commit_ordered_sync_cursor"


def test_the_upgrade_is_its_own_reverse_never_a_drop_of_the_tombstones() -> None:
    assert CreateSyncSupport(upgrade=True).reverse() == CreateSyncSupport(upgrade=True)
    assert CreateSyncSupport().reverse() == DropSyncSupport()


def test_generate_writes_the_upgrade_from_the_older_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    shutil.rmtree(project / "migrations" / UPGRADE)
    (project / "migrations" / "mizzle.sum").unlink()
    assert main(["--config", str(project / "mizzle.toml"), "hash"]) == 0
    assert main(["--config", str(project / "mizzle.toml"), "generate", "--name", "again"]) == 0
    [written] = (project / "migrations").glob("0004_again")
    for dialect in ("postgresql", "sqlite"):
        sql = (written / f"{dialect}.sql").read_text()
        assert "bring the sync support objects up to date" in sql
        assert "sync_seq" in sql and "NOT NULL DEFAULT 0" in sql
        assert sql == (EXAMPLE / "migrations" / UPGRADE / f"{dialect}.sql").read_text().replace(UPGRADE, "0004_again")
    capsys.readouterr()


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("*.db*", "__pycache__"))
    return project


def test_sqlite_tables_move_over_and_pull_by_the_counter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _project(tmp_path)
    path = tmp_path / "device.db"
    url = f"sqlite:///{path}"

    def write(title: str) -> None:
        with sqlite3.connect(path, isolation_level=None) as conn:
            conn.execute("INSERT INTO tune (id, title) VALUES (?, ?)", (str(uuid.uuid4()), title))

    config = str(project / "mizzle.toml")
    assert main(["--config", config, "migrate", "--db", url, "--to", "0003_sync_tables"]) == 0
    write("old")
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("DELETE FROM tune WHERE title = 'old'")
    write("kept")
    assert main(["--config", config, "migrate", "--db", url]) == 0
    assert main(["--config", config, "check", "--db", url]) == 0, capsys.readouterr().out
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        first = changes_since(conn, "tune", None)
        assert [r["title"] for r in first.rows] == ["kept"] and len(first.deletes) == 1
        conn.execute(
            "INSERT INTO tune (id, title, last_modified_at) VALUES (?, 'late', '2001-01-01T00:00:00.000Z')",
            (str(uuid.uuid4()),),
        )
        conn.execute("DELETE FROM tune WHERE title = 'kept'")
        second = changes_since(conn, "tune", first.cursor)
        assert [r["title"] for r in second.rows] == ["late"] and len(second.deletes) == 1
    finally:
        conn.close()


@pytest.mark.postgres
def test_postgresql_tables_move_over_and_pull_by_transaction_id(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    project = _project(tmp_path)
    name = f"mz_upgrade_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_conninfo(pg_url, dbname=name)
    db_url = with_database(pg_url, name)  # the server's URL form (the embedded one's ?host= socket)
    try:
        config = str(project / "mizzle.toml")
        assert main(["--config", config, "migrate", "--db", db_url, "--to", "0003_sync_tables"]) == 0
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("INSERT INTO tune (title) VALUES ('old'), ('kept')")
            conn.execute("DELETE FROM tune WHERE title = 'old'")
        assert main(["--config", config, "migrate", "--db", db_url]) == 0
        assert main(["--config", config, "check", "--db", db_url]) == 0, capsys.readouterr().out
        with psycopg.connect(url, autocommit=True) as conn:
            first = changes_since(conn, "tune", None)
            assert [r["title"] for r in first.rows] == ["kept"] and len(first.deletes) == 1
            conn.execute("INSERT INTO tune (title, last_modified_at) VALUES ('late', '2001-01-01T00:00:00Z')")
            conn.execute("DELETE FROM tune WHERE title = 'kept'")
            second = changes_since(conn, "tune", first.cursor)
            assert "late" in [r["title"] for r in second.rows]
            assert len(second.deletes) >= 1
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
