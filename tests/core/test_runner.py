"""The migration runner, on both real databases: what it applies, what it refuses, and that a
failure leaves the database exactly as it was (compared by a full dump)."""

from __future__ import annotations

import hashlib
import re
import sqlite3
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.core.errors import MizzleError
from mizzle.core.migration_text import BREAKPOINT, parse_file
from mizzle.core.migrations import LocalMigration, MigrationFolder
from mizzle.core.runner import MigrationFailed, migrate, planned_rollback, rollback, run_untracked, status
from mizzle.core.tracking import MigrationDatabase
from mizzle.dialects.postgresql.migration_db import PostgresMigrationDatabase
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from tests import catalog

DIALECTS = ("postgresql", "sqlite")
BP = f"\n{BREAKPOINT}\n"
#: SQL as a string (the same on both databases) or per dialect
Sql = str | Mapping[str, str]


def write_migration(folder: Path, name: str, up: Sql, down: Sql | None = None) -> None:
    """A migration folder written by hand: `up` / `down` for both dialects (or per dialect)."""
    path = folder / name
    path.mkdir(parents=True)
    for dialect in DIALECTS:
        (path / f"{dialect}.sql").write_text(up if isinstance(up, str) else up[dialect])
        if down is not None:
            (path / f"down.{dialect}.sql").write_text(down if isinstance(down, str) else down[dialect])


def local(folder: Path) -> list[LocalMigration]:
    return MigrationFolder(folder).migrations()


def connect_adapter(dialect: str, where: str) -> MigrationDatabase:
    if dialect == "postgresql":
        return PostgresMigrationDatabase(psycopg.connect(where))
    conn = sqlite3.connect(where, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    return SqliteMigrationDatabase(conn)


@dataclass
class Target:
    """One database under test: an adapter on it, and ways to look at it independently."""

    dialect: str
    where: str  # PostgreSQL URL or SQLite file path

    def db(self) -> MigrationDatabase:
        return connect_adapter(self.dialect, self.where)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        if self.dialect == "postgresql":
            with psycopg.connect(self.where) as conn:
                return conn.execute(sql.encode()).fetchall()
        with sqlite3.connect(self.where) as conn:
            return conn.execute(sql).fetchall()

    def run(self, script: str) -> None:
        """Run statements on their own connection, committed (a test's hand on the database)."""
        if self.dialect == "postgresql":
            with psycopg.connect(self.where, autocommit=True) as conn:
                conn.execute(script.encode())
        else:
            with sqlite3.connect(self.where, isolation_level=None) as conn:
                conn.executescript(script)

    def tables(self) -> list[str]:
        if self.dialect == "postgresql":
            sql = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        else:
            sql = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1"
        return [r[0] for r in self.rows(sql)]

    def tracked(self) -> list[str]:
        return [r[0] for r in self.rows("SELECT name FROM __mizzle_migrations ORDER BY id")]

    def dump(self) -> object:
        """Everything: the schema and every row (tracking table included)."""
        if self.dialect == "sqlite":
            with sqlite3.connect(self.where) as conn:
                return list(conn.iterdump())
        rows = {t: sorted(map(repr, self.rows(f'SELECT * FROM "{t}"'))) for t in self.tables()}
        return catalog.snapshot(self.where), rows


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "postgresql":
        return Target("postgresql", request.getfixturevalue("pg_url"))
    return Target("sqlite", str(request.getfixturevalue("sqlite_path")))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "migrations"


TUNE = "CREATE TABLE tune (id integer PRIMARY KEY, title text NOT NULL)"
PLAYLIST = "CREATE TABLE playlist (id integer PRIMARY KEY, name text)"


def three_migrations(folder: Path) -> None:
    write_migration(folder, "0001_tune", TUNE + ";" + BP + "INSERT INTO tune VALUES (1, 'Reel');", "DROP TABLE tune;")
    write_migration(folder, "0002_playlist", PLAYLIST + ";", "DROP TABLE playlist;")
    write_migration(folder, "0003_note", "ALTER TABLE tune ADD COLUMN note text;", "ALTER TABLE tune DROP COLUMN note;")


# --- migrate ------------------------------------------------------------------------------


def test_migrate_applies_pending_migrations_in_name_order_and_records_each(target: Target, folder: Path) -> None:
    three_migrations(folder)
    report = migrate(target.db(), local(folder))
    assert report.done == ["0001_tune", "0002_playlist", "0003_note"]
    assert target.tracked() == ["0001_tune", "0002_playlist", "0003_note"]
    assert target.rows("SELECT id, title, note FROM tune") == [(1, "Reel", None)]


def test_the_tracking_row_holds_the_checksum_an_iso_utc_time_and_the_duration(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder), to="0001_tune")
    [(name, checksum, applied_at, duration_ms)] = target.rows(
        "SELECT name, checksum, applied_at, duration_ms FROM __mizzle_migrations"
    )
    up = (folder / "0001_tune" / f"{target.dialect}.sql").read_bytes()
    assert (name, checksum) == ("0001_tune", hashlib.sha256(up).hexdigest())
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", applied_at)
    assert isinstance(duration_ms, int) and duration_ms >= 0


def test_migrate_to_stops_after_the_named_migration(target: Target, folder: Path) -> None:
    three_migrations(folder)
    assert migrate(target.db(), local(folder), to="0002_playlist").done == ["0001_tune", "0002_playlist"]
    assert target.tracked() == ["0001_tune", "0002_playlist"]
    assert migrate(target.db(), local(folder)).done == ["0003_note"]


def test_migrate_to_an_unknown_migration_is_refused(target: Target, folder: Path) -> None:
    three_migrations(folder)
    with pytest.raises(MizzleError, match=r"^no migration named 0009_nope in the migrations folder$"):
        migrate(target.db(), local(folder), to="0009_nope")


def test_a_second_run_applies_nothing(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    before = target.dump()
    assert migrate(target.db(), local(folder)).outcomes == ()
    assert target.dump() == before


def test_status_lists_applied_and_pending(target: Target, folder: Path) -> None:
    three_migrations(folder)
    db = target.db()
    assert status(db, local(folder)).pending == ["0001_tune", "0002_playlist", "0003_note"]
    migrate(db, local(folder), to="0001_tune")
    st = status(db, local(folder))
    assert ([a.name for a in st.applied], st.pending, st.problems) == (
        ["0001_tune"],
        ["0002_playlist", "0003_note"],
        [],
    )


def test_an_applied_migration_edited_since_is_refused(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder), to="0002_playlist")
    (folder / "0001_tune" / f"{target.dialect}.sql").write_text(TUNE + ";\n-- an innocent comment\n")
    assert [p.kind for p in status(target.db(), local(folder)).problems] == ["edited"]
    with pytest.raises(MizzleError, match=r"^cannot migrate: migration 0001_tune was edited after it was applied"):
        migrate(target.db(), local(folder))
    assert target.tracked() == ["0001_tune", "0002_playlist"]


def test_line_endings_alone_are_not_an_edit(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder), to="0001_tune")
    path = folder / "0001_tune" / f"{target.dialect}.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert migrate(target.db(), local(folder)).done == ["0002_playlist", "0003_note"]


def test_an_applied_migration_missing_locally_is_refused(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder), to="0002_playlist")
    for f in (folder / "0002_playlist").iterdir():
        f.unlink()
    (folder / "0002_playlist").rmdir()
    assert [(p.kind, p.migration) for p in status(target.db(), local(folder)).problems] == [
        ("missing", "0002_playlist")
    ]
    with pytest.raises(MizzleError, match=r"^cannot migrate: migration 0002_playlist is applied .* but missing"):
        migrate(target.db(), local(folder))
    assert target.tracked() == ["0001_tune", "0002_playlist"]


def test_a_migration_merged_from_another_branch_is_refused_then_allowed(target: Target, folder: Path) -> None:
    write_migration(folder, "0001_tune", TUNE + ";")
    write_migration(folder, "0003_note", "ALTER TABLE tune ADD COLUMN note text;")
    migrate(target.db(), local(folder))
    write_migration(folder, "0002_playlist", PLAYLIST + ";")  # sorts before 0003, which is applied

    st = status(target.db(), local(folder))
    assert (st.pending, [(p.kind, p.migration) for p in st.problems]) == (
        ["0002_playlist"],
        [("out-of-order", "0002_playlist")],
    )
    with pytest.raises(MizzleError, match=r"^cannot migrate: migration 0002_playlist is pending but sorts before"):
        migrate(target.db(), local(folder))
    assert "playlist" not in target.tables()

    report = migrate(target.db(), local(folder), allow_out_of_order=True)
    assert report.done == ["0002_playlist"]
    assert report.warnings == ("applying 0002_playlist out of order: it sorts before 0003_note, already applied",)
    assert target.tracked() == ["0001_tune", "0003_note", "0002_playlist"]


def test_a_failing_statement_leaves_schema_rows_and_tracking_as_before(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    write_migration(
        folder,
        "0004_broken",
        BP.join(
            [
                "INSERT INTO tune (id, title) VALUES (2, 'Jig');",
                "CREATE TABLE tag (id integer PRIMARY KEY);",
                "INSERT INTO nowhere VALUES (1);",
                "CREATE TABLE never (id integer);",
            ]
        ),
    )
    before = target.dump()
    with pytest.raises(MigrationFailed) as err:
        migrate(target.db(), local(folder))
    message = str(err.value)
    assert message.startswith("migration 0004_broken failed, nothing of it was applied: `INSERT INTO nowhere")
    assert "nowhere" in message.split(" -- ", 1)[1]  # the database's own message
    assert err.value.migration == "0004_broken"
    assert target.dump() == before


def test_a_failure_in_a_hand_written_script_names_the_failing_line(target: Target, folder: Path) -> None:
    migrate(target.db(), [])  # the tracking table exists before the dump
    write_migration(folder, "0001_script", "CREATE TABLE a (id integer);\nINSERT INTO a VALUES (1);\nSELEC 1;\n")
    before = target.dump()
    with pytest.raises(MigrationFailed, match=r"nothing of it was applied: `SELEC 1;` -- .*syntax error"):
        migrate(target.db(), local(folder))
    assert target.dump() == before


def test_a_guard_that_fires_stops_the_migration_with_its_message(target: Target, folder: Path) -> None:
    write_migration(
        folder,
        "0001_tune",
        "CREATE TABLE tune (id integer PRIMARY KEY, title text);"
        + BP
        + "INSERT INTO tune VALUES (1, NULL), (2, NULL);",
    )
    migrate(target.db(), local(folder))
    write_migration(
        folder,
        "0002_title_required",
        BP.join(
            [
                "UPDATE tune SET id = id + 10;",
                "-- mizzle:guard cannot make tune.title NOT NULL: {count} rows hold NULL and it has no default\n"
                "SELECT count(*) FROM tune WHERE title IS NULL;",
                "CREATE TABLE after_guard (id integer);",
            ]
        ),
    )
    before = target.dump()
    with pytest.raises(MigrationFailed) as err:
        migrate(target.db(), local(folder))
    assert str(err.value) == (
        "migration 0002_title_required failed, nothing of it was applied: "
        "cannot make tune.title NOT NULL: 2 rows hold NULL and it has no default"
    )
    assert target.dump() == before


def test_a_guard_that_counts_zero_lets_the_migration_run(target: Target, folder: Path) -> None:
    write_migration(
        folder,
        "0001_tune",
        BP.join(
            [TUNE + ";", "-- mizzle:guard {count} titles are NULL\nSELECT count(*) FROM tune WHERE title IS NULL;"]
        ),
    )
    assert migrate(target.db(), local(folder)).done == ["0001_tune"]


def test_dry_run_returns_the_sql_and_changes_nothing(target: Target, folder: Path) -> None:
    three_migrations(folder)
    before = target.dump()
    report = migrate(target.db(), local(folder), dry_run=True)
    assert report.dry_run and report.done == []
    assert [o.name for o in report.outcomes] == ["0001_tune", "0002_playlist", "0003_note"]
    script = report.sql()
    assert script.startswith("-- 0001_tune\nBEGIN;\n" + TUNE + ";\n")
    assert "ALTER TABLE tune ADD COLUMN note text;\n-- + the tracking row\nCOMMIT;\n" in script
    assert target.dump() == before  # not even the tracking table


def test_rollback_undoes_the_last_steps_newest_first(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    assert rollback(target.db(), local(folder)).done == ["0003_note"]
    assert target.rows("SELECT * FROM tune") == [(1, "Reel")]
    assert rollback(target.db(), local(folder), steps=2).done == ["0002_playlist", "0001_tune"]
    assert (target.tables(), target.tracked()) == (["__mizzle_migrations"], [])


def test_rollback_to_keeps_the_named_migration_applied(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    assert rollback(target.db(), local(folder), to="0001_tune").done == ["0003_note", "0002_playlist"]
    assert target.tracked() == ["0001_tune"]
    with pytest.raises(MizzleError, match=r"^cannot roll back to 0002_playlist: it is not applied to this database$"):
        rollback(target.db(), local(folder), to="0002_playlist")


def test_rollback_follows_the_order_applied_not_the_name_order(target: Target, folder: Path) -> None:
    write_migration(folder, "0001_tune", TUNE + ";", "DROP TABLE tune;")
    write_migration(folder, "0003_note", "ALTER TABLE tune ADD COLUMN note text;", "ALTER TABLE tune DROP COLUMN note;")
    migrate(target.db(), local(folder))
    write_migration(folder, "0002_playlist", PLAYLIST + ";", "DROP TABLE playlist;")
    migrate(target.db(), local(folder), allow_out_of_order=True)
    assert rollback(target.db(), local(folder)).done == ["0002_playlist"]


def test_rollback_dry_run_returns_the_down_sql_and_changes_nothing(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    before = target.dump()
    report = rollback(target.db(), local(folder), steps=2, dry_run=True)
    assert report.sql() == (
        "-- 0003_note\nBEGIN;\nALTER TABLE tune DROP COLUMN note;\n-- + the tracking row\nCOMMIT;\n\n"
        "-- 0002_playlist\nBEGIN;\nDROP TABLE playlist;\n-- + the tracking row\nCOMMIT;\n"
    )
    assert target.dump() == before


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        ("no-down", "^cannot roll back 0003_note: it has no down.{dialect}.sql$"),
        ("edited", "^cannot roll back 0003_note: it was edited after it was applied"),
        ("missing", "^cannot roll back 0003_note: it is missing from the migrations folder$"),
    ],
)
def test_rollback_refuses_what_it_cannot_undo_faithfully(
    target: Target, folder: Path, damage: str, message: str
) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    path = folder / "0003_note"
    if damage == "no-down":
        (path / f"down.{target.dialect}.sql").unlink()
    elif damage == "edited":
        (path / f"{target.dialect}.sql").write_text("ALTER TABLE tune ADD COLUMN note varchar(10);")
    else:
        for f in path.iterdir():
            f.unlink()
        path.rmdir()
    before = target.dump()
    with pytest.raises(MizzleError, match=message.format(dialect=target.dialect)):
        rollback(target.db(), local(folder), steps=2)
    assert target.dump() == before


def test_the_tracking_row_holds_the_down_files_checksum(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder), to="0001_tune")
    down = (folder / "0001_tune" / f"down.{target.dialect}.sql").read_bytes()
    assert target.rows("SELECT down_checksum FROM __mizzle_migrations") == [(hashlib.sha256(down).hexdigest(),)]


def test_rollback_refuses_a_down_file_edited_after_its_migration_was_applied(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    # e.g. a DROP TABLE slipped in, then `mizzle hash` run so that mizzle.sum agrees: the
    # recorded checksum still tells
    (folder / "0003_note" / f"down.{target.dialect}.sql").write_text("DROP TABLE tune;")
    before = target.dump()
    with pytest.raises(MizzleError, match=rf"^cannot roll back 0003_note: its down.{target.dialect}.sql was edited"):
        rollback(target.db(), local(folder))
    assert target.dump() == before
    [problem] = status(target.db(), local(folder)).problems
    assert (problem.kind, problem.migration) == ("down-edited", "0003_note")


def test_a_tracking_table_from_before_down_checksums_gains_the_column_and_keeps_working(
    target: Target, folder: Path
) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder), to="0002_playlist")
    key = "bigint GENERATED BY DEFAULT AS IDENTITY" if target.dialect == "postgresql" else "integer"
    old = f"id {key} PRIMARY KEY, name text NOT NULL UNIQUE, checksum text NOT NULL, applied_at text NOT NULL, "
    old += "duration_ms integer NOT NULL"
    # the tracking table as older versions created it: no down_checksum
    script = (
        "CREATE TABLE old_tracking AS SELECT id, name, checksum, applied_at, duration_ms FROM __mizzle_migrations; "
        f"DROP TABLE __mizzle_migrations; CREATE TABLE __mizzle_migrations ({old}); "
        "INSERT INTO __mizzle_migrations (name, checksum, applied_at, duration_ms) "
        "SELECT name, checksum, applied_at, duration_ms FROM old_tracking ORDER BY id; DROP TABLE old_tracking;"
    )
    target.run(script)
    # NULL (recorded before down checksums): the down file is not compared, so an edit passes
    (folder / "0002_playlist" / f"down.{target.dialect}.sql").write_text("DROP TABLE playlist; -- edited")
    assert rollback(target.db(), local(folder)).done == ["0002_playlist"]
    assert migrate(target.db(), local(folder)).done == ["0002_playlist", "0003_note"]
    rows = target.rows("SELECT name, down_checksum IS NULL FROM __mizzle_migrations ORDER BY id")
    assert [(name, bool(null)) for name, null in rows] == [
        ("0001_tune", True),
        ("0002_playlist", False),
        ("0003_note", False),
    ]


def test_rollback_refuses_more_steps_than_are_applied(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder), to="0002_playlist")
    before = target.dump()
    with pytest.raises(
        MizzleError,
        match=r"^cannot roll back 10 steps: only 2 migrations are applied to this database "
        r"\(--steps 2 undoes them all\)$",
    ):
        rollback(target.db(), local(folder), steps=10)
    assert target.dump() == before


def test_rollback_undoes_only_what_was_shown_when_expected(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrate(target.db(), local(folder))
    shown = [name for name, _ in planned_rollback(target.db(), local(folder))]
    assert shown == ["0003_note"]
    migrate(target.db(), local(folder))  # nothing new; then another process rolls back meanwhile
    rollback(target.db(), local(folder))
    with pytest.raises(MizzleError, match=r"^cannot roll back 0003_note: the database changed meanwhile"):
        rollback(target.db(), local(folder), expected=shown)
    assert target.tracked() == ["0001_tune", "0002_playlist"]


def test_a_failing_down_file_leaves_the_migration_applied(target: Target, folder: Path) -> None:
    write_migration(folder, "0001_tune", TUNE + ";", "DROP TABLE tune;" + BP + "DROP TABLE nowhere;")
    migrate(target.db(), local(folder))
    before = target.dump()
    with pytest.raises(
        MigrationFailed, match=r"^rollback of 0001_tune failed, nothing of it was undone: `DROP TABLE nowhere"
    ):
        rollback(target.db(), local(folder))
    assert target.dump() == before


def test_an_empty_migration_is_recorded(target: Target, folder: Path) -> None:
    write_migration(folder, "0001_custom", "-- mizzle migration 0001_custom: custom\n")
    assert migrate(target.db(), local(folder)).done == ["0001_custom"]
    assert target.tracked() == ["0001_custom"]


def test_a_hand_written_script_runs_whole_with_its_trigger_bodies(target: Target, folder: Path) -> None:
    trigger = {
        "sqlite": "CREATE TRIGGER tune_log AFTER INSERT ON tune BEGIN\n"
        "  INSERT INTO log VALUES ('added; ' || NEW.title);\n"
        "END;",
        "postgresql": "CREATE FUNCTION tune_log() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN INSERT INTO log VALUES ('added; ' || NEW.title); RETURN NEW; END $$;\n"
        "CREATE TRIGGER tune_log AFTER INSERT ON tune FOR EACH ROW EXECUTE FUNCTION tune_log();",
    }
    script = {
        d: f"-- a data migration written by hand\n{TUNE};\nCREATE TABLE log (line text);\n{trigger[d]}\n"
        "INSERT INTO tune VALUES (1, 'Reel; in D');  -- a comment; with a semicolon\n"
        for d in DIALECTS
    }
    write_migration(folder, "0001_script", script)
    migrate(target.db(), local(folder))
    assert target.rows("SELECT line FROM log") == [("added; Reel; in D",)]


def test_an_untracked_run_applies_all_or_nothing_and_writes_no_tracking_row(target: Target) -> None:
    migrate(target.db(), [])
    ok = parse_file(BP.join([TUNE + ";", "INSERT INTO tune VALUES (1, 'Reel');"]))
    assert isinstance(run_untracked(target.db(), ok, "push"), int)
    assert (target.rows("SELECT title FROM tune"), target.tracked()) == ([("Reel",)], [])
    before = target.dump()
    broken = parse_file(BP.join(["DELETE FROM tune;", "SELEC 1;"]))
    with pytest.raises(MigrationFailed, match=r"^push failed, nothing of it was applied: `SELEC 1;` -- "):
        run_untracked(target.db(), broken, "push")
    assert target.dump() == before


# --- SQLite: foreign keys off around a table rebuild ----------------------------------------

REBUILD_PARENT = BP.join(
    [
        "CREATE TABLE \"__new_parent\" (id integer PRIMARY KEY, name text NOT NULL DEFAULT '')",
        "INSERT INTO \"__new_parent\" (id, name) SELECT id, COALESCE(name, '') FROM parent",
        "DROP TABLE parent",
        'ALTER TABLE "__new_parent" RENAME TO parent',
    ]
)


@pytest.fixture
def sqlite_family(sqlite_path: Path, folder: Path) -> Target:
    write_migration(
        folder,
        "0001_family",
        "CREATE TABLE parent (id integer PRIMARY KEY, name text);"
        + BP
        + "CREATE TABLE child (id integer PRIMARY KEY, parent_id integer REFERENCES parent(id) ON DELETE CASCADE);"
        + BP
        + "INSERT INTO parent VALUES (1, 'a'), (2, NULL);"
        + BP
        + "INSERT INTO child VALUES (10, 1), (20, 2);",
    )
    t = Target("sqlite", str(sqlite_path))
    migrate(t.db(), local(folder))
    return t


def test_sqlite_rebuilding_a_parent_with_foreign_keys_off_keeps_its_cascading_children(
    sqlite_family: Target, folder: Path
) -> None:
    write_migration(folder, "0002_rebuild", "-- mizzle:foreign-keys-off\n" + REBUILD_PARENT)
    db = sqlite_family.db()
    migrate(db, local(folder))
    assert sqlite_family.rows("SELECT id, parent_id FROM child ORDER BY id") == [(10, 1), (20, 2)]
    assert sqlite_family.rows("SELECT id, name FROM parent ORDER BY id") == [(1, "a"), (2, "")]
    # foreign keys are back on, and the cascade still cascades
    db.execute("DELETE FROM parent WHERE id = 1")
    assert sqlite_family.rows("SELECT id FROM child") == [(20,)]


def test_sqlite_the_same_rebuild_without_the_directive_would_delete_the_children(
    sqlite_family: Target, folder: Path
) -> None:
    # the trap drizzle-kit and Atlas fall into: why the directive exists
    write_migration(folder, "0002_rebuild", REBUILD_PARENT)
    migrate(sqlite_family.db(), local(folder))
    assert sqlite_family.rows("SELECT count(*) FROM child") == [(0,)]


def test_sqlite_a_foreign_key_violation_found_before_commit_rolls_back(sqlite_family: Target, folder: Path) -> None:
    write_migration(
        folder, "0002_rebuild", "-- mizzle:foreign-keys-off\n" + REBUILD_PARENT + BP + "DELETE FROM parent WHERE id = 2"
    )
    before = sqlite_family.dump()
    db = sqlite_family.db()
    with pytest.raises(MigrationFailed) as err:
        migrate(db, local(folder))
    assert str(err.value) == (
        "migration 0002_rebuild failed, nothing of it was applied: "
        "it would break foreign keys: 1 row(s) of child point to missing rows of parent"
    )
    assert sqlite_family.dump() == before
    assert db.query("PRAGMA foreign_keys") == [(1,)]


# --- PostgreSQL: statements outside the transaction -----------------------------------------


@pytest.fixture
def pg(pg_url: str) -> Target:
    return Target("postgresql", pg_url)


def test_postgresql_create_index_concurrently_runs_outside_the_transaction(pg: Target, folder: Path) -> None:
    write_migration(
        folder,
        "0001_tune",
        {
            "postgresql": BP.join(
                [
                    TUNE + ";",
                    "-- mizzle:no-transaction\nCREATE INDEX CONCURRENTLY tune_title_idx ON tune (title);",
                    "INSERT INTO tune VALUES (1, 'Reel');",
                ]
            ),
            "sqlite": "",
        },
    )
    report = migrate(pg.db(), local(folder))
    assert report.outcomes[0].script == (
        "-- 0001_tune\nBEGIN;\n" + TUNE + ";\nCOMMIT;\n-- outside a transaction:\n"
        "CREATE INDEX CONCURRENTLY tune_title_idx ON tune (title);\n"
        "BEGIN;\nINSERT INTO tune VALUES (1, 'Reel');\n-- + the tracking row\nCOMMIT;\n"
    )
    assert pg.rows("SELECT indexname FROM pg_indexes WHERE tablename = 'tune' ORDER BY 1") == [
        ("tune_pkey",),
        ("tune_title_idx",),
    ]
    assert pg.tracked() == ["0001_tune"]


def test_postgresql_a_failure_after_a_committed_part_says_what_stays(pg: Target, folder: Path) -> None:
    write_migration(
        folder,
        "0001_tune",
        {
            "postgresql": BP.join(
                [
                    TUNE + ";" + BP + "INSERT INTO tune VALUES (1, 'Reel'), (2, 'Reel');",
                    "-- mizzle:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY tune_title_key ON tune (title);",
                ]
            ),
            "sqlite": "",
        },
    )
    with pytest.raises(MigrationFailed) as err:
        migrate(pg.db(), local(folder))
    assert str(err.value).startswith(
        "migration 0001_tune failed, 1 of its 2 parts (split by no-transaction statements) had committed "
        "and stay applied (__mizzle_progress records them): fix the cause and run it again to resume after them: "
        "`CREATE UNIQUE INDEX CONCURRENTLY"
    )
    assert "could not create unique index" in str(err.value)
    assert pg.tracked() == []
    st = status(pg.db(), local(folder))
    assert (st.pending, [p.message for p in st.problems]) == (
        ["0001_tune"],
        [
            "the migration of 0001_tune was interrupted after 1 of its parts (split by no-transaction statements) "
            "committed: run `mizzle migrate` again to resume it"
        ],
    )
    # The failed build left an INVALID index of that name; once the cause is fixed, the run
    # resumes after the committed part (not CREATE TABLE again) and builds the index anew.
    assert pg.rows("SELECT indisvalid FROM pg_index WHERE indexrelid = 'tune_title_key'::regclass") == [(False,)]
    pg.run("DELETE FROM tune WHERE id = 2")
    assert migrate(pg.db(), local(folder)).done == ["0001_tune"]
    assert pg.rows("SELECT indisvalid FROM pg_index WHERE indexrelid = 'tune_title_key'::regclass") == [(True,)]
    assert (pg.tracked(), pg.rows("SELECT count(*) FROM __mizzle_progress")) == (["0001_tune"], [(0,)])


def test_postgresql_an_interrupted_rollback_resumes_after_its_committed_part(pg: Target, folder: Path) -> None:
    down = BP.join(
        [
            "ALTER TABLE tune DROP COLUMN note;",
            "-- mizzle:no-transaction\nCREATE UNIQUE INDEX CONCURRENTLY tune_title_key ON tune (title);",
            "INSERT INTO tune VALUES (3, 'Jig');",
        ]
    )
    write_migration(folder, "0001_tune", {"postgresql": TUNE + ";", "sqlite": ""}, down="DROP TABLE tune;")
    write_migration(folder, "0002_note", "ALTER TABLE tune ADD COLUMN note text;", {"postgresql": down, "sqlite": ""})
    migrate(pg.db(), local(folder))
    pg.run("INSERT INTO tune VALUES (1, 'Reel', 'x'), (2, 'Reel', 'y')")
    with pytest.raises(MigrationFailed, match=r"1 of its 3 parts .* had committed and stay undone .* resume after"):
        rollback(pg.db(), local(folder))
    assert pg.tracked() == ["0001_tune", "0002_note"]  # the tracking row goes with the last part
    [problem] = status(pg.db(), local(folder)).problems
    assert problem.message.startswith("the rollback of 0002_note was interrupted after 1 of its parts")
    pg.run("DELETE FROM tune WHERE id = 2")
    # Not DROP COLUMN again (it would fail: the column is gone); the invalid index is rebuilt.
    assert rollback(pg.db(), local(folder)).done == ["0002_note"]
    assert pg.tracked() == ["0001_tune"]
    assert pg.rows("SELECT id, title FROM tune ORDER BY id") == [(1, "Reel"), (3, "Jig")]
    assert pg.rows("SELECT indisvalid FROM pg_index WHERE indexrelid = 'tune_title_key'::regclass") == [(True,)]


def test_postgresql_a_progress_row_of_an_edited_file_is_not_resumed(pg: Target, folder: Path) -> None:
    parts = [TUNE + ";", "-- mizzle:no-transaction\nCREATE INDEX CONCURRENTLY tune_title_idx ON tune (nowhere);"]
    write_migration(folder, "0001_tune", {"postgresql": BP.join(parts), "sqlite": ""})
    with pytest.raises(MigrationFailed, match="resume after them"):
        migrate(pg.db(), local(folder))
    parts[0] = TUNE.replace("title text", "name text") + ";"
    (folder / "0001_tune" / "postgresql.sql").write_text(BP.join(parts))
    with pytest.raises(
        MigrationFailed,
        match=r"^migration 0001_tune did not start: an earlier migration of 0001_tune was interrupted after 1 of",
    ):
        migrate(pg.db(), local(folder))
    assert pg.tracked() == []


def test_postgresql_a_deferred_foreign_key_failing_at_commit_rolls_back(pg: Target, folder: Path) -> None:
    write_migration(
        folder,
        "0001_deferred",
        {
            "postgresql": BP.join(
                [
                    TUNE + ";",
                    "CREATE TABLE take (tune_id integer REFERENCES tune (id) DEFERRABLE INITIALLY DEFERRED);",
                    "INSERT INTO take VALUES (42);",
                ]
            ),
            "sqlite": "",
        },
    )
    migrate(pg.db(), [])
    before = pg.dump()
    with pytest.raises(MigrationFailed, match=r"nothing of it was applied: COMMIT -- .*violates foreign key"):
        migrate(pg.db(), local(folder))
    assert pg.dump() == before


def test_postgresql_the_run_lock_is_released_after_a_failure(pg: Target, folder: Path) -> None:
    write_migration(folder, "0001_bad", "SELEC 1;")
    db = pg.db()
    with pytest.raises(MigrationFailed):
        migrate(db, local(folder))
    # this database's locks only: other tests on the same server hold their own
    held = "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database"
    assert pg.rows(f"{held} WHERE l.locktype = 'advisory' AND d.datname = current_database()") == [(0,)]


# --- what the runner imports ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "banned"),
    [
        ("mizzle.core.runner", ("sqlglot", "pydantic", "psycopg")),
        # the browser runtime migrates with it, in Pyodide, without sqlglot or pydantic
        ("mizzle.dialects.sqlite.migration_db", ("sqlglot", "pydantic", "psycopg")),
    ],
)
def test_the_runner_imports_no_parser_model_or_foreign_driver(module: str, banned: tuple[str, ...]) -> None:
    code = f"import sys, {module}; print([m for m in {banned!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_adapter_refuses_a_connection_inside_a_transaction(sqlite_path: Path) -> None:
    conn = sqlite3.connect(sqlite_path, isolation_level=None)
    conn.execute("BEGIN")
    with pytest.raises(MizzleError, match="open transaction"):
        SqliteMigrationDatabase(conn)


def _round_trips(pg: Target, folder: Path) -> int:
    """Round trips of one `migrate` of the folder: the server's ReadyForQuery messages, read
    from libpq's trace of the connection."""
    db = PostgresMigrationDatabase(psycopg.connect(pg.where))
    trace = folder.parent / f"trace-{len(list(folder.parent.iterdir()))}.txt"
    with trace.open("w") as out:
        db.conn.pgconn.trace(out.fileno())
        migrate(db, local(folder))
        db.conn.pgconn.untrace()
    return trace.read_text().count("\tReadyForQuery\t")


def test_postgresql_a_migrations_statements_go_to_the_server_together(pg: Target, tmp_path: Path) -> None:
    # One round trip per statement was most of `migrate`'s time over psql's: statements
    # between guards are pipelined, so the round trips do not grow with them. A text that
    # may hold several statements (a function body, a hand-written chunk) goes on its own.
    folder = tmp_path / "migrations"
    few = [f"CREATE TABLE a{i} (id integer PRIMARY KEY);" for i in range(3)]
    many = [f"CREATE TABLE b{i} (id integer PRIMARY KEY);" for i in range(30)]
    several = "INSERT INTO b0 VALUES (1);\nINSERT INTO b0 VALUES (2);"
    write_migration(folder, "0001_few", BP.join([*few, "INSERT INTO a0 VALUES (1);"]))
    first = _round_trips(pg, folder)
    write_migration(folder, "0002_many", BP.join([*many[:15], several, *many[15:], "INSERT INTO b0 VALUES (3);"]))
    second = _round_trips(pg, folder)
    assert second - first == 2, (first, second)  # the chunk of two statements, and the pipeline after it
    assert pg.tracked() == ["0001_few", "0002_many"]
    assert pg.rows("SELECT count(*) FROM pg_tables WHERE tablename ~ '^[ab][0-9]+$'") == [(33,)]
    assert pg.rows("SELECT id FROM b0 ORDER BY id") == [(1,), (2,), (3,)]
