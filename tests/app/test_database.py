"""`mizzle.app.database.opened`: a URL opened as the runner's adapter and a driver connection;
a SQLite file is created only when asked, and a dry run reads a missing one as empty."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.app.database import opened
from mizzle.core.errors import MizzleError
from mizzle.dialects.urls import parse_url


def test_a_missing_sqlite_file_is_an_error_unless_created(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with pytest.raises(MizzleError), opened(parse_url(f"sqlite:///{path}")):
        pass
    assert not path.exists()
    with opened(parse_url(f"sqlite:///{path}"), create=True) as database:
        assert database.db.dialect == "sqlite"
        database.db.execute("CREATE TABLE t (a integer)")
    assert path.is_file()


def test_a_missing_sqlite_file_read_as_empty_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with opened(parse_url(f"sqlite:///{path}"), missing_as_empty=True) as database:
        assert database.db.query("SELECT count(*) FROM sqlite_master") == [(0,)]
    assert not path.exists()


def test_postgresql_opens_its_adapter_and_closes_the_connection(pg_url: str) -> None:
    with opened(parse_url(pg_url)) as database:
        assert database.db.dialect == "postgresql"
        assert database.db.query("SELECT 1") == [(1,)]
        conn = database.conn
    assert conn.closed
