"""The studio's API tests: the example project (practice tracker) copied into a temporary
folder, migrated into a real database of each kind with rows in it, and the studio's app
driven in-process by Starlette's TestClient with this run's token."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from mizzle.app.config import load_config
from mizzle.app.migrate import migrate
from mizzle.app.studio.server import create_app
from mizzle.app.studio.workspace import Workspace, workspace_for
from mizzle.core.migrations import MigrationFolder
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import get_dialect
from mizzle.dialects.urls import parse_url
from tests.conftest import REPO
from tests.pg import fresh_database

EXAMPLE = REPO / "examples" / "practice_tracker"
TOKEN = "test-token-" + "x" * 32
PROFILES = 120


@dataclass
class Studio:
    url: DatabaseURL
    workspace: Workspace
    client: TestClient
    root: Path

    def query(self, sql: str) -> list[tuple[object, ...]]:
        conn = get_dialect(self.url.dialect).connect(self.url)
        try:
            rows = list(conn.execute(sql).fetchall())
        finally:
            conn.close()
        return rows

    def query_run(self, sql: str) -> None:
        conn = get_dialect(self.url.dialect).connect(self.url)
        try:
            conn.execute(sql)
            conn.commit()
        finally:
            conn.close()


def example_project(tmp_path: Path) -> Path:
    root = tmp_path / "practice_tracker"
    root.mkdir()
    for name in ("schema.py", "mizzle.toml"):
        shutil.copy(EXAMPLE / name, root / name)
    shutil.copytree(EXAMPLE / "migrations", root / "migrations")
    return root


def seeded(url: DatabaseURL, root: Path) -> None:
    """All the example's migrations applied, and PROFILES user profiles with a tune each."""
    migrate(url, MigrationFolder(root / "migrations"))
    conn = get_dialect(url.dialect).connect(url)
    marker = "?" if url.dialect == "sqlite" else "%s"
    try:
        for i in range(1, PROFILES + 1):
            conn.execute(
                f"INSERT INTO user_profile (email, display_name) VALUES ({marker}, {marker})",
                (f"user{i:04d}@example.org", None if i % 10 == 0 else f"User {i:04d}"),
            )
        conn.execute(f"INSERT INTO tune (owner_id, title) VALUES (1, {marker})", ("The Kesh",))
        conn.commit()
    finally:
        conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[DatabaseURL, Path]]:
    root = example_project(tmp_path)
    if request.param == "sqlite":
        url = parse_url(f"sqlite:///{root / 'practice.db'}")
        # created by migrate (app.migrate opens with create=True)
        yield url, root
    else:
        with fresh_database("studio") as text:
            yield parse_url(text), root


def make_studio(url: DatabaseURL, root: Path, *, read_only: bool = False) -> Studio:
    workspace = workspace_for([url], load_config(config_path=root / "mizzle.toml"), read_only=read_only)
    client = TestClient(create_app(workspace, TOKEN, ["testserver"]), headers={"X-Mizzle-Token": TOKEN})
    return Studio(url, workspace, client, root)


@pytest.fixture
def studio(database: tuple[DatabaseURL, Path]) -> Studio:
    url, root = database
    seeded(url, root)
    return make_studio(url, root)


@pytest.fixture
def read_only_studio(database: tuple[DatabaseURL, Path]) -> Studio:
    url, root = database
    seeded(url, root)
    return make_studio(url, root, read_only=True)
