"""`mizzle rehash`: a generated migration edited by hand (a data step before the generated
statements and a backfill after them) is accepted once rehashed, and migrates with the rows
transformed as the steps say; refused while the folder has other problems, and for a
migration a known database applied already."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Mizzle
from tests.cli.project import DATABASES, Project, applied, empty_database, make_project, sql

SCHEMA = """
from mizzle.dsl import Table, serial, text

class Tune(Table):
    id = serial().primary_key()
    title = text().not_null()
"""


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    made = make_project(tmp_path / "app", mizzle)
    made.write_schema(SCHEMA)
    return made


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


def ok(project: Project, *args: str) -> str:
    result = project(*args)
    assert result.code == 0, result.err
    return result.out


def add_data_steps(migration: Path) -> None:
    """Each up file: a DELETE before the generated statements, a backfill after them."""
    for file in migration.glob("*.sql"):
        if file.name.startswith("down."):
            continue
        header, _, body = file.read_text().partition("\n\n")
        file.write_text(
            f"{header}\n\nDELETE FROM tune WHERE title = 'obsolete';\n--> statement-breakpoint\n{body}"
            "--> statement-breakpoint\nUPDATE tune SET key = upper(title);\n"
        )


def test_an_edited_migration_rehashed_migrates_with_its_data_steps(project: Project, db_url: str) -> None:
    ok(project, "generate", "--name", "init")
    ok(project, "migrate", "--db", db_url)
    sql(db_url, "INSERT INTO tune (title) VALUES ('a'), ('obsolete'), ('b')")
    project.edit_schema(
        "    title = text().not_null()\n", "    title = text().not_null()\n    key = text().not_null().default('k')\n"
    )
    ok(project, "generate", "--name", "add_key")
    add_data_steps(project.migrations / "0002_add_key")
    refused = project("migrate", "--db", db_url)
    assert refused.code == 1 and "0002_add_key changed after mizzle.sum was written" in refused.error_line
    assert "rehashed 0002_add_key" in ok(project, "rehash", "0002_add_key", "--db", db_url)
    assert "nothing to rehash" in ok(project, "rehash", "0002_add_key")
    assert "applied 0002_add_key" in ok(project, "migrate", "--db", db_url)
    assert sql(db_url, "SELECT title, key FROM tune ORDER BY id") == [("a", "A"), ("b", "B")]
    assert applied(db_url) == ["0001_init", "0002_add_key"]


def test_rehash_refuses_a_migration_a_known_database_applied(project: Project, db_url: str) -> None:
    ok(project, "generate", "--name", "init")
    ok(project, "migrate", "--db", db_url)
    init = project.migrations / "0001_init"
    for file in init.glob("*.sql"):
        file.write_text(file.read_text() + "\n-- edited\n")
    result = project("rehash", "0001_init", "--db", db_url)
    assert result.code == 1
    assert "it is applied to" in result.error_line and "generate --custom" in result.error_line
    assert project("migrate", "--db", db_url).code == 1  # the sum still says the file was edited


def test_rehash_refuses_while_the_folder_has_other_problems(project: Project) -> None:
    ok(project, "generate", "--name", "init")
    project.edit_schema("    title = text().not_null()\n", "    title = text().not_null()\n    key = text()\n")
    ok(project, "generate", "--name", "add_key")
    for name in ("0001_init", "0002_add_key"):
        file = project.migrations / name / "sqlite.sql"
        file.write_text(file.read_text() + "\n-- edited\n")
    result = project("rehash", "0002_add_key")
    assert result.code == 1
    assert "has other problems to fix first" in result.error_line and "0001_init" in result.error_line
    missing = project("rehash", "0009_nope")
    assert missing.code == 1 and "no migration named 0009_nope" in missing.error_line
