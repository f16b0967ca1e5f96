"""`mizzle.app.pull`: a live database's schema written as DSL, SQLAlchemy models or DDL,
called in-process; a file it cannot write is refused before the database is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.app import pull as pulling
from mizzle.app.push import push
from mizzle.core.errors import MizzleError
from mizzle.core.urls import DatabaseURL
from mizzle.sources.load import load_schema
from tests.app.conftest import Project


@pytest.fixture
def filled(project: Project, db_url: DatabaseURL) -> DatabaseURL:
    push(project.config, db_url)
    return db_url


def test_pull_writes_a_dsl_module_that_loads_back_to_the_same_tables(filled: DatabaseURL, tmp_path: Path) -> None:
    out = tmp_path / "pulled.py"
    pulled = pulling.pull(filled, out)
    assert pulled.path == out
    assert pulled.counts == "2 tables"
    assert pulled.warnings == ()
    assert sorted(t.name for t in load_schema(out).schema.tables) == ["playlist", "tune"]


@pytest.mark.parametrize(
    ("name", "style", "marker"), [("m.py", "sqlalchemy", "DeclarativeBase"), ("s.sql", "dsl", "CREATE TABLE")]
)
def test_pull_writes_sqlalchemy_models_or_postgresql_ddl(
    filled: DatabaseURL, tmp_path: Path, name: str, style: pulling.Style, marker: str
) -> None:
    out = tmp_path / name
    pulling.pull(filled, out, style=style)
    assert marker in out.read_text()


def test_an_existing_file_is_kept_without_force(filled: DatabaseURL, tmp_path: Path) -> None:
    out = tmp_path / "pulled.py"
    out.write_text("mine\n")
    with pytest.raises(MizzleError, match="already exists and was not written by mizzle pull .*: pass --force"):
        pulling.pull(filled, out)
    assert out.read_text() == "mine\n"
    pulling.pull(filled, out, force=True)
    assert "class Tune" in out.read_text()


@pytest.mark.parametrize(
    ("name", "style", "message"),
    [("s.txt", "dsl", "write a .py"), ("s.sql", "sqlalchemy", "writes a .py file"), ("folder", "dsl", None)],
)
def test_a_file_pull_cannot_write_is_a_usage_error(
    tmp_path: Path, name: str, style: pulling.Style, message: str | None
) -> None:
    out = tmp_path / name
    if message is None:
        out = tmp_path / "folder.py"
        out.mkdir()
    with pytest.raises(pulling.BadTarget, match=message or "is a directory") as raised:
        pulling.check_target(out, style=style)
    assert raised.value.exit_code == 2


def test_a_missing_folder_is_created_only_when_asked(filled: DatabaseURL, tmp_path: Path) -> None:
    out = tmp_path / "db" / "schema.py"
    with pytest.raises(MizzleError, match="there is no folder"):
        pulling.pull(filled, out)
    assert not out.parent.exists()
    pulling.pull(filled, out, make_folder=True)
    assert out.is_file()


def test_the_configs_schema_is_the_default_target_unless_it_is_a_python_object(project: Project) -> None:
    assert pulling.configured_target(project.config) == project.schema
    (project.root / "mizzle.toml").write_text('schema = "app.models:Base.metadata"\n')
    with pytest.raises(pulling.BadTarget, match="is a Python object"):
        pulling.configured_target(project.config)
