"""The write lock every command that changes a database takes before it decides what to do
(migrate, rollback, push), on both real databases: a command that waited for another decides
on what that one left, never on what it saw before."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from mizzle.app import push as pushing
from mizzle.core.errors import MizzleError
from mizzle.core.model import Schema
from mizzle.core.runner import Outcome, migrate, rollback, write_lock
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from tests.core.test_runner import Target, local, three_migrations, write_migration


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "postgresql":
        return Target("postgresql", request.getfixturevalue("pg_url"))
    return Target("sqlite", str(request.getfixturevalue("sqlite_path")))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "migrations"


def columns(target: Target, table: str) -> list[str]:
    if target.dialect == "sqlite":
        return [name for (name,) in target.rows(f"SELECT name FROM pragma_table_info('{table}') ORDER BY cid")]
    query = f"SELECT column_name FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position"
    return [name for (name,) in target.rows(query)]


class Background(threading.Thread):
    """A command run on its own connection in a thread: its result, or the error it raised."""

    def __init__(self, work: object) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.result: object = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.work()  # type: ignore[operator]
        except BaseException as err:
            self.error = err


def test_a_rollback_that_waited_for_a_migrate_undoes_what_that_migrate_applied(target: Target, folder: Path) -> None:
    """The issue's race: `rollback` saw 0002 as the newest, waited while `migrate` applied 0003,
    then undid 0002 (tracking 0001, 0003; 0003's column gone). It must decide once it holds
    the lock, and so undo 0003."""
    three_migrations(folder)
    migrations = local(folder)
    migrate(target.db(), migrations, to="0002_playlist")
    migrating = target.db()
    migrating.lock()  # another process's migrate has started
    try:
        waiting = Background(lambda: rollback(target.db(), migrations).done)
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive()  # it waits for the lock, before choosing what to undo
        migrate(migrating, migrations)  # applies 0003 (the lock is re-entrant)
    finally:
        migrating.unlock()
    waiting.join(timeout=60)
    assert (waiting.error, waiting.result) == (None, ["0003_note"])
    assert target.tracked() == ["0001_tune", "0002_playlist"]
    assert columns(target, "tune") == ["id", "title"]
    assert columns(target, "playlist") == ["id", "name"]  # 0002 still applied: its table is there


def test_a_rollback_refuses_when_it_would_undo_something_else_than_expected(target: Target, folder: Path) -> None:
    three_migrations(folder)
    migrations = local(folder)
    migrate(target.db(), migrations)
    shown = rollback(target.db(), migrations, steps=2, dry_run=True)
    assert [o.name for o in shown.outcomes] == ["0003_note", "0002_playlist"]
    rollback(target.db(), migrations)  # another process undid 0003 meanwhile
    with pytest.raises(MizzleError) as caught:
        rollback(target.db(), migrations, steps=2, expected=[o.name for o in shown.outcomes])
    assert str(caught.value) == (
        "cannot roll back 0003_note, 0002_playlist: the database changed meanwhile (another process migrated "
        "or rolled back), it would now undo 0002_playlist, 0001_tune; nothing was rolled back"
    )
    assert target.tracked() == ["0001_tune", "0002_playlist"]
    assert rollback(target.db(), migrations, expected=["0002_playlist"]).done == ["0002_playlist"]


def test_each_migration_is_reported_as_it_commits_before_a_later_one_fails(target: Target, folder: Path) -> None:
    three_migrations(folder)
    write_migration(folder, "0004_broken", "ALTER TABLE nowhere ADD COLUMN x text;")
    seen: list[tuple[str, list[str]]] = []

    def done(outcome: Outcome) -> None:
        seen.append((outcome.name, target.tracked()))  # committed: another connection sees it

    with pytest.raises(MizzleError, match=r"^migration 0004_broken failed"):
        migrate(target.db(), local(folder), on_done=done)
    assert seen == [
        ("0001_tune", ["0001_tune"]),
        ("0002_playlist", ["0001_tune", "0002_playlist"]),
        ("0003_note", ["0001_tune", "0002_playlist", "0003_note"]),
    ]
    undone: list[str] = []
    rollback(target.db(), local(folder), steps=2, on_done=lambda o: undone.append(o.name))
    assert undone == ["0003_note", "0002_playlist"]


def test_a_push_planned_before_another_command_changed_the_database_changes_nothing(
    target: Target, folder: Path
) -> None:
    three_migrations(folder)
    migrations = local(folder)
    migrate(target.db(), migrations, to="0002_playlist")
    db = target.db()
    conn = db.conn  # type: ignore[attr-defined]
    plan = pushing.prepare(db, conn, Schema())  # drop both tables
    assert len(plan.operations) == 2
    migrate(target.db(), migrations)  # meanwhile, 0003 adds tune.note
    before = target.dump()
    with pytest.raises(MizzleError) as caught:
        pushing.apply(db, conn, plan)
    assert str(caught.value) == (
        "push refused: the database changed after it was compared with the schema (another migrate, rollback or "
        "push ran meanwhile), nothing was changed: run push again"
    )
    assert target.dump() == before
    pushing.apply(db, conn, pushing.prepare(db, conn, Schema()))  # planned anew, it runs
    assert target.tables() == ["__mizzle_migrations"]


def test_write_lock_is_the_one_migrate_takes(target: Target, folder: Path) -> None:
    """A command still to be written (baseline) gets the same lock from `write_lock`."""
    three_migrations(folder)
    holder = target.db()
    with write_lock(holder):
        waiting = Background(lambda: migrate(target.db(), local(folder)).done)
        waiting.start()
        time.sleep(0.5)
        assert waiting.is_alive() and target.tables() == []
    waiting.join(timeout=60)
    assert waiting.result == ["0001_tune", "0002_playlist", "0003_note"]


def test_sqlite_a_command_gives_up_on_a_held_lock_after_the_busy_timeout(sqlite_path: Path, folder: Path) -> None:
    import sqlite3

    three_migrations(folder)
    holder = SqliteMigrationDatabase(sqlite3.connect(sqlite_path))
    impatient = SqliteMigrationDatabase(sqlite3.connect(sqlite_path), busy_timeout=0.3)
    with write_lock(holder):
        started = time.monotonic()
        with pytest.raises(MizzleError) as caught:
            migrate(impatient, local(folder))
        assert 0.3 <= time.monotonic() - started < 5
    assert str(caught.value) == (
        "cannot take the migration lock: another mizzle command (migrate, rollback or push) is changing this "
        f"database: its lock {sqlite_path}-mizzle-lock was still held after 0.3 s"
    )
    assert migrate(impatient, local(folder)).done == ["0001_tune", "0002_playlist", "0003_note"]


def test_sqlite_an_in_memory_database_needs_no_lock_file(tmp_path: Path, folder: Path) -> None:
    import sqlite3

    three_migrations(folder)
    db = SqliteMigrationDatabase(sqlite3.connect(":memory:"))
    assert migrate(db, local(folder)).done == ["0001_tune", "0002_playlist", "0003_note"]
    assert list(tmp_path.iterdir()) == [folder]
