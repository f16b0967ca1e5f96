"""The baseline use case called in-process: what it records (exactly what migrate would), what
it refuses (differences, another checksum) with nothing recorded; and drizzle's journal
against its table's rows."""

from __future__ import annotations

import hashlib

import pytest

from mizzle.app.baseline import SchemaMismatch, baseline
from mizzle.app.database import opened
from mizzle.app.drizzle import DrizzleRow, JournalEntry, disagreements
from mizzle.app.generate import generate
from mizzle.app.migrate import migrate
from mizzle.app.push import push
from mizzle.core.errors import MizzleError
from mizzle.core.runner import down_checksum
from mizzle.core.urls import DatabaseURL
from tests.app.conftest import Project


def _rows(url: DatabaseURL) -> list[tuple[str, str, str | None, int]]:
    with opened(url) as database:
        return [(r.name, r.checksum, r.down_checksum, r.duration_ms) for r in database.db.applied()]


def test_baseline_records_what_migrate_records(project: Project, db_url: DatabaseURL) -> None:
    generate(project.config, "init")
    push(project.config, db_url)
    done = baseline(db_url, project.folder)
    assert done.recorded == ("0001_init",) and done.already == ()
    (m,) = project.folder.migrations()
    assert _rows(db_url) == [("0001_init", m.checksum(db_url.dialect), down_checksum(m, db_url.dialect), 0)]
    again = baseline(db_url, project.folder)
    assert again.recorded == () and again.already == ("0001_init",)


def test_baseline_mismatch_lists_differences_and_records_nothing(project: Project, db_url: DatabaseURL) -> None:
    generate(project.config, "init")
    project.edit_schema("    notes = text()\n", "")
    push(project.config, db_url, force=True)
    with pytest.raises(SchemaMismatch) as caught:
        baseline(db_url, project.folder)
    assert caught.value.differences == ("missing column tune.notes text",)
    assert _rows(db_url) == []


def test_baseline_refuses_a_migration_recorded_with_another_checksum(project: Project, db_url: DatabaseURL) -> None:
    generate(project.config, "init")
    migrate(db_url, project.folder)
    with opened(db_url) as database:
        database.db.execute("UPDATE \"__mizzle_migrations\" SET checksum = 'other'")
    with pytest.raises(MizzleError, match="recorded on this database with another checksum"):
        baseline(db_url, project.folder)


def _entry(tag: str, when: int) -> JournalEntry:
    return JournalEntry(tag, when, hashlib.sha256(tag.encode()).hexdigest())


def test_drizzle_journal_and_rows_agree_or_say_where_they_do_not() -> None:
    entries = [_entry("0000_a", 1), _entry("0001_b", 2), _entry("0002_c", 3)]
    rows = [DrizzleRow(e.hash, e.when) for e in entries]
    assert disagreements(entries, rows) == []
    assert disagreements(entries, rows[:2]) == ["0002_c is not applied to the database (run drizzle's migrate first)"]
    edited = [*rows[:2], DrizzleRow("0" * 64, 3)]
    assert disagreements(entries, edited) == [
        "0002_c was edited after it was applied (its hash differs from the recorded one)"
    ]
    (unknown,) = disagreements(entries, [*rows, DrizzleRow("f" * 64, 9)])
    assert unknown.startswith("the database records 1 migration the journal does not list")
