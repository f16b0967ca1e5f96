"""`mizzle rebase`: after two branches each added migrations, yours are generated again after
theirs, holding only your change, and apply on a database that has theirs already."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mizzle.dialects.urls import parse_url
from tests.cli.conftest import Mizzle
from tests.cli.project import DATABASES, Project, applied, empty_database, make_project, sql


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


@pytest.fixture
def branches(tmp_path: Path, mizzle: Mizzle) -> tuple[Project, Project]:
    """Your branch and the other, from one first migration; the other adds a column `mood`."""
    yours = make_project(tmp_path / "yours", mizzle)
    assert yours("generate", "--name", "init").code == 0
    other = make_project(tmp_path / "other", mizzle)
    shutil.copytree(yours.migrations, other.migrations)
    other.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    assert other("generate", "--name", "add_mood").code == 0
    return yours, other


def merge(yours: Project, other: Project, *added: str) -> None:
    """What git leaves: both folders side by side, the schema holding both changes, the sum in conflict."""
    shutil.copytree(other.migrations / "0002_add_mood", yours.migrations / "0002_add_mood")
    yours.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")
    sum_file = yours.migrations / "mizzle.sum"
    sum_file.write_text("<<<<<<< HEAD\n" + sum_file.read_text() + "=======\n>>>>>>> other\n")


def test_rebased_migrations_apply_after_theirs_and_nothing_twice(
    branches: tuple[Project, Project], db_url: str
) -> None:
    yours, other = branches
    yours.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    assert yours("generate", "--name", "add_key").code == 0
    assert yours("generate", "--name", "backfill", "--custom").code == 0
    for dialect in ("postgresql", "sqlite"):
        with (yours.migrations / "0003_backfill" / f"{dialect}.sql").open("a") as f:
            f.write("UPDATE tune SET key = 'C' WHERE key IS NULL;\n")
    assert yours("hash").code == 0
    assert other("migrate", "--db", db_url).code == 0  # theirs reached the database first
    sql(db_url, "INSERT INTO tune (title, mood) VALUES ('Morrison''s', 'glad')")
    merge(yours, other)
    assert yours("check").code == 1

    result = yours("rebase", "0002_add_key", "0003_backfill")
    assert result.code == 0, result.err
    assert yours.folders() == ["0001_init", "0002_add_mood", "0003_add_key", "0004_backfill"]
    up = (yours.migrations / "0003_add_key" / f"{parse_url(db_url).dialect}.sql").read_text()
    assert ("key" in up, "mood" in up) == (True, False)
    assert yours("check").code == 0

    assert yours("migrate", "--db", db_url).code == 0
    assert applied(db_url) == ["0001_init", "0002_add_mood", "0003_add_key", "0004_backfill"]
    assert sql(db_url, "SELECT title, mood, key FROM tune") == [("Morrison's", "glad", "C")]
    assert yours("check", "--db", db_url).code == 0
    assert "no changes" in yours("generate", "--name", "again").out


def test_a_change_that_no_longer_fits_is_refused_and_nothing_changes(branches: tuple[Project, Project]) -> None:
    yours, other = branches
    yours.edit_schema("    notes = text()\n", "    notes = text()\n    mood = text()\n")  # the same column
    assert yours("generate", "--name", "add_mood_too").code == 0
    merge_folder = other.migrations / "0002_add_mood"
    shutil.copytree(merge_folder, yours.migrations / "0002_add_mood")
    before = sorted(str(p.relative_to(yours.root)) for p in yours.migrations.rglob("*"))
    result = yours("rebase", "0002_add_mood_too")
    assert result.code == 1
    assert result.error_line.startswith(
        "error: cannot rebase 0002_add_mood_too: its change no longer fits after the other branch's"
    )
    assert sorted(str(p.relative_to(yours.root)) for p in yours.migrations.rglob("*")) == before


def test_a_migration_edited_by_hand_is_refused(branches: tuple[Project, Project]) -> None:
    yours, other = branches
    yours.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    assert yours("generate", "--name", "add_key").code == 0
    with (yours.migrations / "0002_add_key" / "sqlite.sql").open("a") as f:
        f.write("UPDATE tune SET key = 'C';\n")
    merge(yours, other)
    result = yours("rebase", "0002_add_key")
    assert result.code == 1
    assert "its files differ from what generate wrote" in result.error_line
    assert (yours.migrations / "0002_add_key").is_dir()


def test_an_unknown_migration_is_an_error(branches: tuple[Project, Project]) -> None:
    yours, _ = branches
    result = yours("rebase", "0009_nothing")
    assert (result.code, result.error_line) == (1, f"error: no migration 0009_nothing in {yours.migrations}")
