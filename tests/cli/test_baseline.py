"""`mizzle baseline` and what points to it: a database that already holds the schema of its
migrations (made by push, by hand) records them without running them, after a comparison
that refuses, recording nothing, when it differs; `migrate` on such a database names
baseline instead of failing half way; `generate --applied-on` records a change made by hand
on the database where it was made (the database-first loop)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import Mizzle
from tests.cli.project import DATABASES, Project, applied, columns, empty_database, make_project, sql, tables
from tests.pg import fresh_database


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    return make_project(tmp_path / "app", mizzle)


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


def ok(project: Project, *args: str) -> str:
    result = project(*args)
    assert result.code == 0, result.err
    return result.out


def recorded(url: str) -> list[str]:
    """The migrations the database records; none when it has no tracking table."""
    return applied(url) if "__mizzle_migrations" in tables(url) else []


def test_baseline_records_a_pushed_database_without_running_anything_and_again_changes_nothing(
    project: Project, db_url: str
) -> None:
    ok(project, "generate", "--name", "init")
    ok(project, "push", "--db", db_url)
    sql(db_url, "INSERT INTO playlist (name) VALUES ('kept')")
    out = ok(project, "baseline", "--db", db_url)
    assert "recorded 0001_init (not run)" in out
    assert recorded(db_url) == ["0001_init"]
    assert sql(db_url, "SELECT name FROM playlist") == [("kept",)]
    assert "nothing to record" in ok(project, "baseline", "--db", db_url)
    assert "is up to date" in ok(project, "migrate", "--db", db_url)
    assert "ok" in ok(project, "check", "--db", db_url)


def test_baseline_refuses_a_database_that_differs_listing_the_differences_and_records_nothing(
    project: Project, db_url: str
) -> None:
    ok(project, "generate", "--name", "init")
    ok(project, "push", "--db", db_url)
    sql(db_url, "DROP INDEX tune_title_idx")
    sql(db_url, "CREATE TABLE extra (id integer PRIMARY KEY)")
    result = project("baseline", "--db", db_url)
    assert result.code == 1
    assert "  missing index tune_title_idx on tune\n" in result.out
    assert "  unexpected table extra\n" in result.out
    assert "differs from its snapshot in 2 places" in result.error_line
    assert "nothing was recorded" in result.error_line
    assert recorded(db_url) == []


def test_baseline_to_an_earlier_migration_records_only_those_and_migrate_runs_the_rest(
    project: Project, db_url: str
) -> None:
    ok(project, "generate", "--name", "init")
    ok(project, "push", "--db", db_url)
    sql(db_url, "INSERT INTO tune (title) VALUES ('kept')")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    ok(project, "generate", "--name", "add_key")
    bad = project("baseline", "--db", db_url)  # the database does not hold 0002's column
    assert bad.code == 1 and "  missing column tune.key text\n" in bad.out
    assert "recorded 0001_init" in ok(project, "baseline", "--db", db_url, "--to", "0001_init")
    assert "applied 0002_add_key" in ok(project, "migrate", "--db", db_url)
    assert recorded(db_url) == ["0001_init", "0002_add_key"]
    assert sql(db_url, "SELECT title, key FROM tune") == [("kept", None)]


def test_migrate_on_a_database_holding_the_tables_names_baseline_before_running_anything(
    project: Project, db_url: str
) -> None:
    ok(project, "push", "--db", db_url)
    ok(project, "generate", "--name", "init")
    result = project("migrate", "--db", db_url)
    assert result.code == 1
    assert "already holds tables playlist, tune" in result.error_line
    assert "`mizzle baseline`" in result.error_line
    assert recorded(db_url) == []


def test_migrate_failing_on_an_object_made_by_hand_names_baseline_and_leaves_nothing_half_applied(
    project: Project, db_url: str
) -> None:
    ok(project, "generate", "--name", "init")
    ok(project, "migrate", "--db", db_url)
    # the change made by hand first, then generated: migrate on that same database
    key_type = "integer" if db_url.startswith("sqlite") else "serial"  # as each database spells serial
    sql(db_url, f"CREATE TABLE note (id {key_type} PRIMARY KEY, body text)")
    project.write_schema(
        project.root.joinpath("schema.py").read_text()
        + "\nclass Note(Table):\n    id = serial().primary_key()\n    body = text()\n"
    )
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    ok(project, "generate", "--name", "add_note")
    result = project("migrate", "--db", db_url)
    assert result.code == 1
    assert "already exists" in result.error_line
    assert "`mizzle baseline --to 0002_add_note`" in result.error_line
    assert recorded(db_url) == ["0001_init"]
    assert "key" not in columns(db_url, "tune")  # the migration rolled back whole
    missing = project("baseline", "--db", db_url)
    assert missing.code == 1 and "  missing column tune.key text\n" in missing.out
    sql(db_url, "ALTER TABLE tune ADD COLUMN key text")
    assert "recorded 0002_add_note" in ok(project, "baseline", "--db", db_url)


@pytest.fixture
def other_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second empty database of the same kind as `db_url` (production, beside development)."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'prod.db'}"
        return
    with fresh_database() as url:
        yield url


def test_database_first_loop_hand_change_pull_generate_applied_on_then_another_database_migrates(
    project: Project, db_url: str, other_url: str
) -> None:
    """psql-style change on the developer's database, pulled, generated and recorded there;
    another database (production) migrates to it with its rows kept."""
    other = other_url
    ok(project, "generate", "--name", "init")
    ok(project, "migrate", "--db", db_url)
    ok(project, "migrate", "--db", other)
    sql(other, "INSERT INTO tune (title) VALUES ('kept')")
    sql(db_url, "ALTER TABLE tune ADD COLUMN key text")
    ok(project, "pull", "--db", db_url, "--out", project.root / "schema.py", "--force")
    out = ok(project, "generate", "--name", "add_key", "--applied-on", db_url)
    assert "recorded 0002_add_key as applied on" in out
    assert recorded(db_url) == ["0001_init", "0002_add_key"]
    assert "is up to date" in ok(project, "migrate", "--db", db_url)
    assert "applied 0002_add_key" in ok(project, "migrate", "--db", other)
    assert sql(other, "SELECT title, key FROM tune") == [("kept", None)]
    assert "ok" in ok(project, "check", "--db", other)


def test_generate_applied_on_a_database_without_the_change_refuses_but_keeps_the_migration(
    project: Project, db_url: str
) -> None:
    ok(project, "generate", "--name", "init")
    ok(project, "migrate", "--db", db_url)
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    result = project("generate", "--name", "add_key", "--applied-on", db_url)
    assert result.code == 1
    assert "  missing column tune.key text\n" in result.out
    assert "nothing was recorded" in result.error_line
    assert project.folders() == ["0001_init", "0002_add_key"]
    assert recorded(db_url) == ["0001_init"]
    assert "applied 0002_add_key" in ok(project, "migrate", "--db", db_url)
