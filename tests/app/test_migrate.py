"""`mizzle.app.migrate`: migrate, rollback and status on real SQLite and PostgreSQL, called
in-process; a rollback's losses go to the `confirm` callback, which can stop it."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.app import generate as generating
from mizzle.app import migrate as migrating
from mizzle.app.rollback import Loss
from mizzle.core.errors import MizzleError
from mizzle.core.runner import Outcome
from mizzle.core.urls import DatabaseURL
from tests.app.conftest import Project
from tests.cli.project import applied, sql, tables


def _two_migrations(project: Project) -> None:
    generating.generate(project.config, "init")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    generating.generate(project.config, "add_mood")


def test_migrate_applies_every_pending_migration_and_reports_each_as_it_commits(
    project: Project, db_url: DatabaseURL
) -> None:
    _two_migrations(project)
    heard: list[str] = []
    done = migrating.migrate(db_url, project.folder, on_done=lambda o: heard.append(o.name))
    assert heard == ["0001_init", "0002_add_mood"]
    assert done.report.done == ["0001_init", "0002_add_mood"]
    assert done.local == 2
    assert applied(db_url.url) == ["0001_init", "0002_add_mood"]

    again = migrating.migrate(db_url, project.folder)
    assert again.report.done == []


def test_migrate_to_stops_after_the_named_migration(project: Project, db_url: DatabaseURL) -> None:
    _two_migrations(project)
    migrating.migrate(db_url, project.folder, to="0001_init")
    assert applied(db_url.url) == ["0001_init"]


def test_a_dry_run_returns_the_sql_and_creates_nothing(project: Project, tmp_path: Path) -> None:
    _two_migrations(project)
    path = tmp_path / "new.db"
    done = migrating.migrate(_sqlite(path), project.folder, dry_run=True)
    assert done.report.dry_run
    assert "CREATE TABLE" in done.report.sql()
    assert not path.exists()


def test_migrate_refuses_a_folder_failing_its_sum_and_applies_nothing(project: Project, db_url: DatabaseURL) -> None:
    _two_migrations(project)
    with (project.folder.path / "0002_add_mood" / "sqlite.sql").open("a") as f:
        f.write("-- edited\n")
    with (project.folder.path / "0002_add_mood" / "postgresql.sql").open("a") as f:
        f.write("-- edited\n")
    with pytest.raises(MizzleError, match=r"cannot migrate: .* fails its integrity check"):
        migrating.migrate(db_url, project.folder)
    if db_url.dialect == "sqlite":
        assert not Path(db_url.sqlite_path or "").exists()
    else:
        assert tables(db_url.url) == []


def test_a_rollback_that_loses_data_asks_confirm_and_a_refusal_changes_nothing(
    project: Project, db_url: DatabaseURL
) -> None:
    _two_migrations(project)
    migrating.migrate(db_url, project.folder)
    sql(db_url.url, "INSERT INTO tune (title, mood) VALUES ('Morrison''s', 'glad')")
    asked: list[list[Loss]] = []

    def refuse(losses: list[Loss]) -> None:
        asked.append(losses)
        raise MizzleError("no")

    with pytest.raises(MizzleError, match="no"):
        migrating.rollback(db_url, project.folder, confirm=refuse)
    assert [str(loss) for loss in asked[0]] == ["0002_add_mood: drop column tune.mood (1 non-null value)"]
    assert applied(db_url.url) == ["0001_init", "0002_add_mood"]
    assert sql(db_url.url, "SELECT mood FROM tune") == [("glad",)]


def test_a_rollback_that_loses_data_without_confirm_or_force_is_refused(project: Project, db_url: DatabaseURL) -> None:
    _two_migrations(project)
    migrating.migrate(db_url, project.folder)
    sql(db_url.url, "INSERT INTO tune (title, mood) VALUES ('Morrison''s', 'glad')")
    with pytest.raises(MizzleError, match=r"rollback would lose data: 0002_add_mood: drop column tune\.mood"):
        migrating.rollback(db_url, project.folder)
    assert applied(db_url.url) == ["0001_init", "0002_add_mood"]


def test_a_forced_rollback_does_not_ask_and_returns_what_it_lost(project: Project, db_url: DatabaseURL) -> None:
    _two_migrations(project)
    migrating.migrate(db_url, project.folder)
    sql(db_url.url, "INSERT INTO tune (title, mood) VALUES ('Morrison''s', 'glad')")
    heard: list[Outcome] = []

    def never(losses: list[Loss]) -> None:
        raise AssertionError(f"asked about {losses}")

    done = migrating.rollback(db_url, project.folder, force=True, confirm=never, on_done=heard.append)
    assert [o.name for o in heard] == ["0002_add_mood"]
    assert [(loss.what, loss.count) for loss in done.losses] == [("drop column tune.mood (1 non-null value)", 1)]
    assert applied(db_url.url) == ["0001_init"]


def test_a_rollback_that_loses_nothing_does_not_ask(project: Project, db_url: DatabaseURL) -> None:
    _two_migrations(project)
    migrating.migrate(db_url, project.folder)

    def never(losses: list[Loss]) -> None:
        raise AssertionError(f"asked about {losses}")

    done = migrating.rollback(db_url, project.folder, confirm=never)
    assert [loss.count for loss in done.losses] == [0]
    assert applied(db_url.url) == ["0001_init"]


def test_a_dry_run_rollback_counts_what_it_would_lose_and_changes_nothing(
    project: Project, db_url: DatabaseURL
) -> None:
    _two_migrations(project)
    migrating.migrate(db_url, project.folder)
    sql(db_url.url, "INSERT INTO tune (title, mood) VALUES ('a', 'glad'), ('b', 'sad')")
    done = migrating.rollback(db_url, project.folder, dry_run=True, steps=2)
    assert done.report.dry_run
    counted = {(loss.migration, loss.what, loss.count) for loss in done.losses}
    assert ("0002_add_mood", "drop column tune.mood (2 non-null values)", 2) in counted
    assert ("0001_init", "drop table tune (2 rows)", 2) in counted
    assert applied(db_url.url) == ["0001_init", "0002_add_mood"]


def test_status_lists_applied_and_pending_and_the_folders_problems(project: Project, db_url: DatabaseURL) -> None:
    _two_migrations(project)
    migrating.migrate(db_url, project.folder, to="0001_init")
    found = migrating.status(db_url, project.folder)
    assert [row.name for row in found.status.applied] == ["0001_init"]
    assert found.status.pending == ["0002_add_mood"]
    assert found.problems == ()

    (project.folder.path / "mizzle.sum").unlink()
    assert migrating.status(db_url, project.folder).problems  # the folder without its sum


def test_status_of_a_sqlite_file_that_does_not_exist_is_an_error_and_creates_nothing(
    project: Project, tmp_path: Path
) -> None:
    generating.generate(project.config, "init")
    path = tmp_path / "typo.db"
    with pytest.raises(MizzleError):
        migrating.status(_sqlite(path), project.folder)
    assert not path.exists()


def _sqlite(path: Path) -> DatabaseURL:
    from mizzle.dialects.urls import parse_url

    return parse_url(f"sqlite:///{path}")
