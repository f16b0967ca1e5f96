from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg import fresh_database

REPO = Path(__file__).resolve().parent.parent
#: The shared corpus of real public schemas (Chinook, Pagila): `shared/corpus` beside the
#: repository (where CI and the developers' machines have it), or MIZZLE_CORPUS.
CORPUS = Path(os.environ.get("MIZZLE_CORPUS") or REPO.parent / "shared" / "corpus")
if not (CORPUS / "chinook").is_dir():
    raise RuntimeError(f"the test corpus is missing at {CORPUS} (set MIZZLE_CORPUS to its folder)")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    with fresh_database() as url:
        yield url


@pytest.fixture
def sqlite_path(tmp_path: Path) -> Path:
    return tmp_path / "test.db"


@pytest.fixture
def sqlite_conn(sqlite_path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(sqlite_path)
    yield conn
    conn.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every test that touches PostgreSQL is marked, so CI can run that part again against a
    # second server (the system one and the embedded pgserver).
    for item in items:
        if "pg_url" in getattr(item, "fixturenames", ()) or item.get_closest_marker("postgres"):
            item.add_marker(pytest.mark.postgres)
