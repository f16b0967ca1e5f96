"""Adding a database is one folder plus one line: the throwaway dialect `sqlite_strict`
(tests/dialects/sqlite_strict/, SQLite under its own name and `sqlite-strict://` scheme) is
registered from here and driven through the real CLI, in-process: generate, migrate, status,
push, check. Nothing in the `mizzle` package names it: that is the point."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import mizzle
from mizzle import dialects
from mizzle.cli.app import main
from mizzle.core.errors import DatabaseURLError, MizzleError
from mizzle.dialects import dialect_names, get_dialect, register
from mizzle.dialects.urls import parse_url
from mizzle.sync import adapter
from tests.cli.conftest import Result
from tests.cli.project import Project, applied, columns, make_project

FOLDER = Path(__file__).parent / "sqlite_strict"


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`sqlite_strict` registered for one test: the one line a new dialect adds."""
    monkeypatch.setattr(dialects, "REGISTRY", dict(dialects.REGISTRY))
    register("sqlite_strict", "tests.dialects.sqlite_strict")
    yield


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Project:
    """A project for PostgreSQL and `sqlite_strict`, its CLI run in-process."""
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def run(*args: str | Path) -> Result:
        capsys.readouterr()
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return make_project(tmp_path / "proj", run, dialects=("postgresql", "sqlite_strict"))


def test_the_mizzle_package_knows_nothing_of_the_new_dialect() -> None:
    package = Path(mizzle.__file__).parent
    naming = [p for p in package.rglob("*") if p.is_file() and b"sqlite_strict" in p.read_bytes()]
    naming += [p for p in package.rglob("*") if p.is_file() and b"sqlite-strict" in p.read_bytes()]
    assert naming == []
    assert sorted(p.name for p in FOLDER.iterdir() if p.suffix == ".py") == ["__init__.py"]


def test_an_unregistered_dialect_is_unknown_everywhere(project: Project, tmp_path: Path) -> None:
    assert "sqlite_strict" not in dialect_names()
    with pytest.raises(DatabaseURLError, match="unknown database URL scheme 'sqlite-strict'"):
        parse_url(f"sqlite-strict:///{tmp_path / 'x.db'}")
    result = project("generate", "--name", "init")
    assert result.code == 1
    assert "unknown dialect 'sqlite_strict'" in result.error_line


@pytest.mark.postgres
def test_a_registered_dialect_is_driven_through_the_cli(strict: None, project: Project, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    url = f"sqlite-strict:///{db}"
    assert parse_url(url).dialect == "sqlite_strict"

    assert project("generate", "--name", "init").code == 0
    (folder,) = project.folders()
    files = sorted(p.name for p in (project.migrations / folder).iterdir())
    assert "sqlite_strict.sql" in files and "postgresql.sql" in files and "sqlite.sql" not in files

    migrated = project("migrate", "--db", url)
    assert migrated.code == 0, migrated.err
    assert applied(f"sqlite:///{db}") == [folder]
    status = project("status", "--db", url)
    assert status.code == 0 and folder in status.out and "sqlite-strict:///" in status.out
    assert project("check", "--db", url).code == 0

    project.edit_schema("notes = text()", "notes = text()\n    rating = integer()")
    pushed = project("push", "--db", url)
    assert pushed.code == 0, pushed.err
    assert "rating" in columns(f"sqlite:///{db}", "tune")
    drift = project("check", "--db", url)
    # the pushed column is in the database and not in a migration: drift, seen through the dialect
    assert drift.code == 1 and "drift: unexpected column tune.rating" in drift.out

    exported = project("export", "--dialect", "sqlite_strict")
    assert exported.code == 0 and "CREATE TABLE" in exported.out


def test_a_registered_dialect_is_a_choice_of_the_contract(strict: None, tmp_path: Path) -> None:
    strict_dialect = get_dialect("sqlite_strict")
    conn = strict_dialect.connect(parse_url(f"sqlite-strict:///{tmp_path / 'y.db'}"), create=True)
    try:
        assert strict_dialect.migration_database(conn).dialect == "sqlite_strict"
        # a sqlite3 connection is SQLite's, for the sync API, whichever dialect opened it
        assert type(adapter(conn)).__name__ == "SqliteSyncDb"
        assert isinstance(conn, sqlite3.Connection)
    finally:
        conn.close()


@pytest.mark.parametrize("name", dialects.BUILT_IN)
def test_each_built_in_dialect_has_every_function_of_the_contract(name: str) -> None:
    dialect = get_dialect(name)
    assert name == dialect.NAME and dialect.SQLGLOT and dialect.URL_SCHEMES
    for function, module in dialects.CONTRACT.items():
        assert callable(getattr(dialect, function)), f"{name}.{module}.{function}"
        assert getattr(dialect, function).__module__.startswith("mizzle.dialects"), function


def test_a_registered_dialect_cannot_take_over_a_built_in_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialects, "REGISTRY", dict(dialects.REGISTRY))
    register("sqlite_strict", "tests.dialects.sqlite_strict")
    monkeypatch.setattr("tests.dialects.sqlite_strict.URL_SCHEMES", ("sqlite-strict", "postgresql"))
    assert parse_url("postgresql://me:secret@db/app").dialect == "postgresql"


@pytest.mark.parametrize("name", ["", "SQLite", "my-db", "../x", "a.b", "1st"])
def test_a_dialect_name_is_a_lower_case_word(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dialects, "REGISTRY", dict(dialects.REGISTRY))
    with pytest.raises(MizzleError, match="a dialect's name is a lower-case word"):
        register(name, "tests.dialects.sqlite_strict")
    assert name not in dialect_names()
