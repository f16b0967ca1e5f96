"""`mizzle.app.check`: the folder, the schema and a database checked in-process; each finding
one line, nothing changed."""

from __future__ import annotations

from mizzle.app import check as checking
from mizzle.app import generate as generating
from mizzle.app import migrate as migrating
from mizzle.core.urls import DatabaseURL
from tests.app.conftest import Project
from tests.cli.project import sql


def test_a_migrated_database_and_an_unchanged_schema_are_ok(project: Project, db_url: DatabaseURL) -> None:
    generating.generate(project.config, "init")
    migrating.migrate(db_url, project.folder)
    found = checking.check(project.folder, project.config, db_url)
    assert found.ok, found.findings
    assert found.migrations == 1
    assert found.database is not None
    assert (found.database.applied, found.database.pending) == (1, 0)
    assert found.database.compared_with == "the snapshot of 0001_init"
    assert found.database.differences == 0


def test_a_schema_edited_without_generate_is_a_finding(project: Project) -> None:
    generating.generate(project.config, "init")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    found = checking.check(project.folder, project.config)
    assert found.findings == (
        "schema: " + str(project.schema) + " differs from the snapshot of 0001_init: add column tune.mood text "
        "(run `mizzle generate`)",
    )
    assert found.database is None


def test_pending_migrations_and_drift_are_findings(project: Project, db_url: DatabaseURL) -> None:
    generating.generate(project.config, "init")
    migrating.migrate(db_url, project.folder)
    sql(db_url.url, "ALTER TABLE tune ADD COLUMN extra text")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    generating.generate(project.config, "add_mood")
    found = checking.database_findings(project.folder, db_url)
    assert found.findings == ("pending: 0002_add_mood", "drift: unexpected column tune.extra")
    assert found.differences == 1


def test_a_folder_failing_its_sum_is_a_finding_and_the_schema_is_not_compared(project: Project) -> None:
    generating.generate(project.config, "init")
    (project.folder.path / "mizzle.sum").write_text("garbage\n")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    found = checking.check(project.folder, project.config)
    assert found.findings
    assert all(line.startswith("folder: ") for line in found.findings)


def test_hash_sum_rewrites_the_sum_so_the_folder_checks_again(project: Project) -> None:
    generating.generate(project.config, "init")
    (project.folder.path / "mizzle.sum").unlink()
    assert checking.folder_findings(project.folder)
    path = checking.hash_sum(project.folder)
    assert path == project.folder.path / "mizzle.sum"
    assert checking.folder_findings(project.folder) == []


def test_tables_the_filter_leaves_out_are_not_drift(project: Project, db_url: DatabaseURL) -> None:
    generating.generate(project.config, "init")
    migrating.migrate(db_url, project.folder)
    sql(db_url.url, "CREATE TABLE legacy_log (id integer PRIMARY KEY)")
    found = checking.check(project.folder, project.config, db_url)
    assert found.findings == ("drift: unexpected table legacy_log",)
    with (project.root / "mizzle.toml").open("a") as toml:
        toml.write('tables_filter = ["!legacy_*"]\n')
    assert checking.check(project.folder, project.config, db_url).ok
