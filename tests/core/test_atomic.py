"""`migrate_atomically`: every pending migration and its tracking row in one transaction, on
both real databases; a failure anywhere leaves the database exactly as it was (SQLite: the
file byte for byte)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mizzle.core.atomic import migrate_atomically
from mizzle.core.errors import MizzleError
from mizzle.core.migration_text import DIRECTIVE_FK_OFF, DIRECTIVE_NO_TRANSACTION, parse_file
from mizzle.core.runner import MigrationFailed, migrate
from tests.core.test_runner import BP, PLAYLIST, TUNE, Target, folder, local, target, three_migrations, write_migration

__all__ = ["folder", "target"]  # fixtures shared with the runner's tests


def test_all_pending_migrations_apply_and_are_recorded(target: Target, folder: Path) -> None:
    three_migrations(folder)
    report = migrate_atomically(target.db(), local(folder))
    assert report.done == ["0001_tune", "0002_playlist", "0003_note"]
    assert target.tracked() == ["0001_tune", "0002_playlist", "0003_note"]
    assert target.rows("SELECT id, title, note FROM tune") == [(1, "Reel", None)]


def test_nothing_pending_does_nothing(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    before = target.dump()
    assert migrate_atomically(target.db(), local(folder)).done == []
    assert target.dump() == before


def test_a_failure_in_the_last_migration_undoes_the_earlier_ones(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder), to="0001_tune")
    write_migration(folder, "0004_broken", "ALTER TABLE tune ADD COLUMN x integer;" + BP + "SELECT no_such_function();")
    before = target.dump()
    file_before = Path(target.where).read_bytes() if target.dialect == "sqlite" else None
    with pytest.raises(MigrationFailed) as err:
        migrate_atomically(target.db(), local(folder))
    assert err.value.migration == "0004_broken"
    assert "migration 0004_broken failed, and the whole upgrade was rolled back" in str(err.value)
    assert target.dump() == before
    assert target.tracked() == ["0001_tune"]
    if file_before is not None:
        assert Path(target.where).read_bytes() == file_before


def test_a_guard_failing_midway_rolls_everything_back(target: Target, folder: Path) -> None:
    write_migration(folder, "0001_tune", TUNE + ";" + BP + "INSERT INTO tune VALUES (1, 'Reel');")
    write_migration(folder, "0002_playlist", PLAYLIST + ";")
    write_migration(folder, "0003_guarded", "-- mizzle:guard {count} tunes in the way\nSELECT count(*) FROM tune;")
    with pytest.raises(MigrationFailed, match="1 tunes in the way"):
        migrate_atomically(target.db(), local(folder))
    assert "tune" not in target.tables() and "playlist" not in target.tables()


def test_foreign_keys_are_checked_over_the_whole_upgrade_on_sqlite(sqlite_path: Path, folder: Path) -> None:
    write_migration(
        folder,
        "0001_tables",
        "CREATE TABLE parent (id integer PRIMARY KEY);"
        + BP
        + "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent (id));",
    )
    # a rebuild-style migration (foreign keys off) that leaves an orphan behind
    write_migration(folder, "0002_orphan", f"{DIRECTIVE_FK_OFF}\nINSERT INTO child VALUES (1, 42);")
    t = Target("sqlite", str(sqlite_path))
    with pytest.raises(MigrationFailed, match="1 row\\(s\\) of child point to missing rows of parent"):
        migrate_atomically(t.db(), local(folder))
    assert t.tables() == []
    conn = sqlite3.connect(sqlite_path)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (0,)  # a new connection: the default
    conn.close()


def test_a_no_transaction_statement_is_refused_before_anything_runs(target: Target, folder: Path) -> None:
    write_migration(folder, "0001_tune", TUNE + ";")
    write_migration(
        folder,
        "0002_index",
        f"{DIRECTIVE_NO_TRANSACTION}\nCREATE INDEX tune_title_idx ON tune (title);",
    )
    with pytest.raises(MizzleError, match="0002_index has a statement that must run outside a transaction"):
        migrate_atomically(target.db(), local(folder))
    assert target.tables() == []


def test_a_newer_database_is_refused(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    older_code = local(folder)[:2]
    with pytest.raises(MizzleError, match="0003_note is applied to this database but missing"):
        migrate_atomically(target.db(), older_code)


def test_the_atomic_runner_imports_only_the_standard_library() -> None:
    code = "import sys, mizzle.core.atomic; print([m for m in ('sqlglot', 'pydantic', 'psycopg') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_each_pending_file_is_parsed_once_per_upgrade(target: Target, folder: Path) -> None:
    # read before the transaction (foreign keys, no-transaction statements) and again to run it:
    # the second read is the cache's
    three_migrations(folder)
    parse_file.cache_clear()
    assert migrate_atomically(target.db(), local(folder)).done == ["0001_tune", "0002_playlist", "0003_note"]
    info = parse_file.cache_info()
    assert (info.misses, info.hits) == (3, 3)
    assert target.tracked() == ["0001_tune", "0002_playlist", "0003_note"]
