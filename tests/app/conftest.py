"""A throwaway project for the use cases, called in-process as the studio and the Python API
call them: `mizzle.toml` and `schema.py` in a temporary folder, read into a `Config`, and one
empty database of each kind."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from mizzle.app.config import Config, load_config
from mizzle.core.migrations import MigrationFolder
from mizzle.core.urls import DatabaseURL
from mizzle.dialects.urls import parse_url
from tests.cli.project import DATABASES, SCHEMA_A, empty_database


@dataclass
class Project:
    root: Path

    @property
    def config(self) -> Config:
        return load_config(config_path=self.root / "mizzle.toml")

    @property
    def folder(self) -> MigrationFolder:
        return MigrationFolder(self.root / "migrations")

    @property
    def schema(self) -> Path:
        return self.root / "schema.py"

    def write_schema(self, source: str) -> None:
        self.schema.write_text(textwrap.dedent(source))

    def edit_schema(self, old: str, new: str) -> None:
        text = self.schema.read_text()
        assert old in text, old
        self.schema.write_text(text.replace(old, new))


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    root.mkdir()
    (root / "mizzle.toml").write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["postgresql", "sqlite"]\n')
    made = Project(root)
    made.write_schema(SCHEMA_A)
    return made


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseURL:
    """An empty database of each kind (SQLite: a file not created yet)."""
    return parse_url(empty_database(request, tmp_path))
