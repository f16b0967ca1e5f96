"""The SQLite adapter of the migration runner: splitting hand-written scripts, tracking rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mizzle.core.tracking import BrokenForeignKeys, DatabaseError
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase, split_script

TRIGGER = "CREATE TRIGGER t AFTER INSERT ON a BEGIN\n  INSERT INTO b VALUES (1);\n  DELETE FROM c;\nEND;"


@pytest.mark.parametrize(
    ("script", "statements"),
    [
        ("SELECT 1; SELECT 2;", ["SELECT 1;", "SELECT 2;"]),
        ("SELECT 1;\nSELECT 2", ["SELECT 1;", "SELECT 2;"]),
        ("SELECT 'a;b';", ["SELECT 'a;b';"]),
        ('SELECT 1 AS "x;y";', ['SELECT 1 AS "x;y";']),
        ("SELECT 1; -- done; really\n", ["SELECT 1;"]),
        ("/* a; b */ SELECT 1;", ["/* a; b */ SELECT 1;"]),
        (f"{TRIGGER}\nSELECT 3;", [TRIGGER, "SELECT 3;"]),
        ("-- only a comment\n", []),
        (";;", []),
    ],
)
def test_split_script_keeps_strings_comments_and_trigger_bodies_whole(script: str, statements: list[str]) -> None:
    assert split_script(script) == statements


@pytest.fixture
def db(sqlite_path: Path) -> SqliteMigrationDatabase:
    return SqliteMigrationDatabase(sqlite3.connect(sqlite_path))


def test_the_adapter_puts_the_connection_in_autocommit_with_a_busy_timeout(db: SqliteMigrationDatabase) -> None:
    assert (db.conn.isolation_level, db.query("PRAGMA busy_timeout")) == (None, [(30000,)])


def test_tracking_rows_are_written_read_and_removed(db: SqliteMigrationDatabase) -> None:
    assert db.applied() == []  # no tracking table yet
    db.ensure_tracking()
    db.ensure_tracking()  # idempotent
    db.record("0001_init", "abc", 12)
    [row] = db.applied()
    assert (row.id, row.name, row.checksum, row.duration_ms) == (1, "0001_init", "abc", 12)
    db.unrecord("0001_init")
    assert db.applied() == []


def test_foreign_key_violations_are_counted_per_table_and_parent(db: SqliteMigrationDatabase) -> None:
    db.execute("CREATE TABLE p (id INTEGER PRIMARY KEY)")
    db.execute("CREATE TABLE c (p_id INTEGER REFERENCES p (id))")
    db.foreign_keys(False)
    db.execute("INSERT INTO c VALUES (1), (2), (NULL)")
    assert db.foreign_key_violations() == [BrokenForeignKeys(table="c", parent="p", rows=2)]


def test_errors_carry_sqlites_message(db: SqliteMigrationDatabase) -> None:
    with pytest.raises(DatabaseError, match=r"^no such table: nowhere$"):
        db.execute("SELECT * FROM nowhere")
