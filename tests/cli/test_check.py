"""`mizzle check`: the migrations folder's integrity and a database's drift, exit code 0 / 1 for CI;
`mizzle hash` to rewrite the sum file once the folder has been checked by a person."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mizzle.dialects.urls import parse_url
from tests.cli.conftest import Mizzle
from tests.cli.project import DATABASES, HAND_WRITTEN, Project, applied, empty_database, make_project, sql


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    project = make_project(tmp_path / "app", mizzle)
    assert project("generate", "--name", "init").code == 0
    return project


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


def findings(project: Project, *args: str) -> list[str]:
    """What check lists (it fails, with one error line, when it lists anything)."""
    result = project("check", *args)
    listed = [line.strip() for line in result.out.splitlines() if line.startswith("  ")]
    assert (result.code, result.err) == (
        (1, f"error: check found {len(listed)} problem{'' if len(listed) == 1 else 's'} (listed above)\n")
        if listed
        else (0, "")
    ), result.out + result.err
    return listed


def test_a_sound_folder_passes(project: Project) -> None:
    result = project("check")
    assert (result.code, result.out) == (0, f"{project.migrations}: 1 migration\nok\n")


def test_an_edited_migration_is_reported(project: Project) -> None:
    path = project.migrations / "0001_init" / "postgresql.sql"
    path.write_text(path.read_text().replace("text NOT NULL", "varchar(10) NOT NULL", 1))
    (only,) = findings(project)
    assert only.startswith("folder: migration 0001_init changed after mizzle.sum was written")


def test_two_branches_adding_a_migration_each_are_reported_as_a_collision(project: Project, mizzle: Mizzle) -> None:
    other = make_project(project.root.parent / "other-branch", mizzle)
    shutil.copytree(project.migrations, other.migrations)
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    other.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    assert project("generate", "--name", "add_key").code == 0
    assert other("generate", "--name", "add_mood").code == 0
    # The merge: both folders side by side, the sum file as this branch wrote it.
    shutil.copytree(other.migrations / "0002_add_mood", project.migrations / "0002_add_mood")
    listed = findings(project)
    assert [line.split(":")[0] for line in listed] == ["folder", "folder"]
    assert listed[0].startswith("folder: migrations 0002_add_key and 0002_add_mood share the number 0002")
    assert listed[1].startswith("folder: migration 0002_add_mood is not in mizzle.sum")


def test_the_advice_after_two_branches_merged_gives_a_migration_that_applies_after_theirs(
    project: Project, mizzle: Mizzle, db_url: str, tmp_path: Path
) -> None:
    other = make_project(project.root.parent / "other-branch", mizzle)
    shutil.copytree(project.migrations, other.migrations)
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    other.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    assert project("generate", "--name", "add_key").code == 0
    assert other("generate", "--name", "add_mood").code == 0
    # The other branch reached a database first.
    assert other("migrate", "--db", db_url).code == 0
    # The merge: both folders side by side, the schema holding both columns, the sum in conflict.
    shutil.copytree(other.migrations / "0002_add_mood", project.migrations / "0002_add_mood")
    project.edit_schema("    key = text()\n", "    key = text()\n    mood = text()\n")
    sum_file = project.migrations / "mizzle.sum"
    sum_file.write_text("<<<<<<< HEAD\n" + sum_file.read_text() + "=======\n>>>>>>> other\n")
    listed = findings(project)
    assert listed[0].startswith("folder: migrations 0002_add_key and 0002_add_mood share the number 0002")
    for line in listed:
        assert "move the migrations your branch added out of the folder" in line, line
        assert "run `mizzle hash`, then `mizzle generate` again" in line, line
        assert "renumber" not in line.split("(renumbering")[0], line

    # The advice, step by step.
    shutil.move(project.migrations / "0002_add_key", tmp_path / "0002_add_key")
    assert project("hash").code == 0
    assert project("generate", "--name", "add_key").code == 0
    assert project.folders() == ["0001_init", "0002_add_mood", "0003_add_key"]
    up = (project.migrations / "0003_add_key" / f"{parse_url(db_url).dialect}.sql").read_text()
    assert ("key" in up, "mood" in up) == (True, False)

    assert project("migrate", "--db", db_url).code == 0
    assert applied(db_url) == ["0001_init", "0002_add_mood", "0003_add_key"]
    assert findings(project, "--db", db_url) == []
    assert "no changes" in project("generate", "--name", "again").out


def test_a_merge_conflict_in_the_sum_file_is_reported(project: Project) -> None:
    sum_file = project.migrations / "mizzle.sum"
    sum_file.write_text("<<<<<<< HEAD\n" + sum_file.read_text() + "=======\n>>>>>>> other\n")
    (only,) = findings(project)
    assert only.startswith(f"folder: {sum_file} holds git conflict markers: two branches added migrations")


def test_a_gap_in_the_numbers_is_reported(project: Project) -> None:
    project.edit_schema("    notes = text()\n", "")
    assert project("generate", "--name", "drop_notes").code == 0
    (project.migrations / "0002_drop_notes").rename(project.migrations / "0003_drop_notes")
    assert project("hash").code == 0
    (only,) = findings(project)
    assert only.startswith("folder: migration numbers skip 0002 (before 0003_drop_notes)")


def test_a_missing_migration_is_reported(project: Project) -> None:
    shutil.rmtree(project.migrations / "0001_init")
    (only,) = findings(project)
    assert only.startswith("folder: migration 0001_init is listed in mizzle.sum but its folder is gone")


def test_a_migrated_database_without_drift_passes(project: Project, db_url: str) -> None:
    assert project("migrate", "--db", db_url).code == 0
    result = project("check", "--db", db_url)
    assert result.code == 0, result.out + result.err
    assert result.out.splitlines()[1].endswith(
        ": 1 applied, 0 pending; compared with the snapshot of 0001_init: 0 differences"
    )


def test_changes_made_by_hand_are_reported_as_drift(project: Project, db_url: str) -> None:
    assert project("migrate", "--db", db_url).code == 0
    sql(db_url, "ALTER TABLE tune ADD COLUMN extra text")
    sql(db_url, "DROP INDEX tune_title_idx")
    assert findings(project, "--db", db_url) == [
        "drift: unexpected column tune.extra",
        "drift: missing index tune_title_idx on tune",
    ]


def test_a_table_created_by_hand_is_drift_not_a_rename(project: Project, db_url: str) -> None:
    assert project("migrate", "--db", db_url).code == 0
    sql(db_url, "CREATE TABLE playlist_copy (id integer PRIMARY KEY, name text NOT NULL)")
    assert findings(project, "--db", db_url) == ["drift: unexpected table playlist_copy"]


def test_pending_migrations_are_reported(project: Project, db_url: str) -> None:
    assert project("migrate", "--db", db_url).code == 0
    project.edit_schema("    notes = text()\n", "")
    assert project("generate", "--name", "drop_notes").code == 0
    assert findings(project, "--db", db_url) == ["pending: 0002_drop_notes"]


def test_a_database_with_nothing_applied_is_compared_with_an_empty_schema(project: Project, pg_url: str) -> None:
    sql(pg_url, "CREATE TABLE stray (id integer)")
    assert findings(project, "--db", pg_url) == [
        "pending: 0001_init",
        "drift: unexpected table stray",
    ]


def test_hash_rewrites_the_sum_after_a_custom_migration_is_filled_in(project: Project, db_url: str) -> None:
    assert project("generate", "--name", "backfill", "--custom").code == 0
    for dialect in ("postgresql", "sqlite"):
        with (project.migrations / "0002_backfill" / f"{dialect}.sql").open("a") as f:
            f.write("UPDATE tune SET notes = 'none' WHERE notes IS NULL;\n")
    assert project("migrate", "--db", db_url).code == 1  # refused: the folder no longer matches its sum
    result = project("hash")
    assert (result.code, result.out) == (0, f"wrote {project.migrations / 'mizzle.sum'}: 2 migrations\n")
    assert project("check").code == 0
    assert project("migrate", "--db", db_url).code == 0


def test_a_column_changed_by_hand_is_reported_as_differing(project: Project, pg_url: str) -> None:
    assert project("migrate", "--db", pg_url).code == 0
    sql(pg_url, "ALTER TABLE tune ALTER COLUMN notes TYPE varchar(10)")
    assert findings(project, "--db", pg_url) == ["drift: differs: alter column tune.notes: type varchar(10) → text"]


def test_expressions_the_database_prints_differently_are_no_drift(tmp_path: Path, mizzle: Mizzle, pg_url: str) -> None:
    project = make_project(tmp_path / "hand", mizzle)
    project.write_schema(HAND_WRITTEN)
    assert project("generate", "--name", "init").code == 0
    assert project("migrate", "--db", pg_url).code == 0
    assert findings(project, "--db", pg_url) == []


def configure_database(project: Project, url: str) -> None:
    toml = project.root / "mizzle.toml"
    toml.write_text(f'database_url = "{url}"\n' + toml.read_text())


def test_without_db_the_configured_database_is_checked(project: Project, db_url: str) -> None:
    configure_database(project, db_url)
    assert project("migrate").code == 0
    sql(db_url, "ALTER TABLE tune ADD COLUMN extra text")
    assert findings(project) == ["drift: unexpected column tune.extra"]
    assert findings(project, "--no-db") == []


def test_a_configured_url_whose_variable_is_unset_checks_no_database_and_says_so(project: Project) -> None:
    configure_database(project, "${MIZZLE_TEST_UNSET_URL}")
    result = project("check")
    assert (result.code, result.out.splitlines()[-1]) == (0, "ok")
    assert result.err.startswith("-- note: no database checked: ")
    assert "MIZZLE_TEST_UNSET_URL" in result.err
    assert project("check", "--no-db").err == ""


def test_db_and_no_db_together_are_a_usage_error(project: Project) -> None:
    result = project("check", "--db", "sqlite:///x.db", "--no-db")
    assert (result.code, "--no-db" in result.error_line) == (2, True)


def test_a_schema_edited_without_generate_is_reported(project: Project) -> None:
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    assert findings(project) == [
        f"schema: {project.root / 'schema.py'} differs from the snapshot of 0001_init: add column tune.key text "
        "(run `mizzle generate`)"
    ]
    assert project("generate", "--name", "add_key").code == 0
    assert findings(project) == []


def test_a_schema_that_does_not_load_is_reported_with_the_rest(project: Project) -> None:
    project.write_schema("ratio = 1 / 0\n")
    assert findings(project) == [f"schema: {project.root / 'schema.py'}:1: ZeroDivisionError: division by zero"]
