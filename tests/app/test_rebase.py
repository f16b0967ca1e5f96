"""`mizzle.app.rebase`: after a merge, your branch's migrations generated again after the other
branch's, called in-process; the rebased folder applies on a database that has theirs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mizzle.app import check as checking
from mizzle.app import generate as generating
from mizzle.app import migrate as migrating
from mizzle.app.rebase import Rebased, rebase
from mizzle.core.errors import MizzleError
from mizzle.core.urls import DatabaseURL
from tests.app.conftest import Project
from tests.cli.project import applied, columns

MOOD = ("    notes = text()\n", "    notes = text()\n    mood = text()\n")
KEY = ("    notes = text()\n", "    notes = text()\n    key = text()\n")


def _merged(tmp_path: Path, project: Project) -> Project:
    """Your branch added 0002_add_key; the other 0002_add_mood, which is merged in."""
    generating.generate(project.config, "init")
    other = Project(tmp_path / "other")
    shutil.copytree(project.root, other.root)
    other.edit_schema(*MOOD)
    generating.generate(other.config, "add_mood")
    project.edit_schema(*KEY)
    generating.generate(project.config, "add_key")
    shutil.copytree(other.folder.path / "0002_add_mood", project.folder.path / "0002_add_mood")
    project.edit_schema("    key = text()\n", "    key = text()\n    mood = text()\n")
    return other


def test_your_migration_moves_after_theirs_and_applies_on_their_database(
    tmp_path: Path, project: Project, db_url: DatabaseURL
) -> None:
    other = _merged(tmp_path, project)
    migrating.migrate(db_url, other.folder)  # theirs reached the database first

    moved = rebase(project.config, ["0002_add_key"])
    assert moved == [Rebased("0002_add_key", project.folder.path / "0003_add_key")]
    assert [m.name for m in project.folder.migrations()] == ["0001_init", "0002_add_mood", "0003_add_key"]
    assert checking.check(project.folder, project.config).ok

    migrating.migrate(db_url, project.folder)
    assert applied(db_url.url) == ["0001_init", "0002_add_mood", "0003_add_key"]
    assert {"mood", "key"} <= set(columns(db_url.url, "tune"))


def test_an_unknown_migration_is_refused_and_nothing_moves(tmp_path: Path, project: Project) -> None:
    _merged(tmp_path, project)
    before = sorted(p.name for p in project.folder.path.iterdir())
    with pytest.raises(MizzleError, match="no migration 0009_nope"):
        rebase(project.config, ["0009_nope"])
    assert sorted(p.name for p in project.folder.path.iterdir()) == before


def test_a_change_that_no_longer_fits_is_refused_and_nothing_moves(tmp_path: Path, project: Project) -> None:
    generating.generate(project.config, "init")
    other = Project(tmp_path / "other")
    shutil.copytree(project.root, other.root)
    other.edit_schema(*MOOD)
    generating.generate(other.config, "add_mood")
    project.edit_schema(*MOOD)  # both branches added the same column
    generating.generate(project.config, "add_mood_too")
    shutil.copytree(other.folder.path / "0002_add_mood", project.folder.path / "0002_add_mood")
    with pytest.raises(MizzleError, match="cannot rebase 0002_add_mood_too: its change no longer fits"):
        rebase(project.config, ["0002_add_mood_too"])
    assert (project.folder.path / "0002_add_mood_too").is_dir()
