"""`mizzle.app.pull`: a live database's schema written as DSL, SQLAlchemy models or DDL,
called in-process; a file it cannot write is refused before the database is read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mizzle.app import pull as pulling
from mizzle.app.push import push
from mizzle.core.errors import MizzleError
from mizzle.core.table_filter import TableFilter
from mizzle.core.urls import DatabaseURL
from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema
from tests.app.conftest import Project
from tests.cli.project import sql


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
    with pytest.raises(MizzleError, match=r"already exists and was not written by mizzle pull .*: pass --force"):
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


# --- the database-first loop: pull again, see what changed ---------------------------------------


@pytest.mark.parametrize(("name", "style"), [("s.py", "dsl"), ("m.py", "sqlalchemy"), ("s.sql", "dsl")])
def test_a_second_pull_replaces_its_own_file_with_the_same_bytes_and_no_changes(
    filled: DatabaseURL, tmp_path: Path, name: str, style: pulling.Style
) -> None:
    out = tmp_path / name
    first = pulling.pull(filled, out, style=style)
    assert first.changes is None  # nothing was replaced
    written = out.read_bytes()
    assert written.startswith(pulling.marker_line(out.suffix, style).encode() + b"\n")
    again = pulling.pull(filled, out, style=style)
    assert out.read_bytes() == written
    assert again.replaced_pulled
    assert again.previous_problem is None
    assert again.changes is not None
    assert again.changes.summary() == "no changes"


@pytest.mark.parametrize(("name", "style"), [("s.py", "dsl"), ("m.py", "sqlalchemy"), ("s.sql", "dsl")])
def test_a_pull_after_a_hand_change_says_what_changed(
    filled: DatabaseURL, tmp_path: Path, name: str, style: pulling.Style
) -> None:
    out = tmp_path / name
    pulling.pull(filled, out, style=style)
    sql(filled.url, "ALTER TABLE tune ADD COLUMN mode text")
    sql(filled.url, "CREATE TABLE session_log (id integer PRIMARY KEY, at text)")
    sql(filled.url, "DROP INDEX tune_title_idx")
    again = pulling.pull(filled, out, style=style)
    assert again.changes is not None
    assert again.changes.summary() == (
        "1 table added (session_log); 1 column added (tune.mode); 1 index removed (tune.tune_title_idx)"
    )
    third = pulling.pull(filled, out, style=style)  # the file written says what the database holds
    assert third.changes is not None and third.changes.summary() == "no changes"


def test_a_file_without_the_marker_line_is_refused_so_hand_edits_are_kept(filled: DatabaseURL, tmp_path: Path) -> None:
    out = tmp_path / "schema.py"
    pulling.pull(filled, out)
    edited = out.read_text().split("\n", 1)[1] + "# my own note\n"  # the marker line deleted
    out.write_text(edited)
    with pytest.raises(MizzleError, match="not written by mizzle pull"):
        pulling.pull(filled, out)
    assert out.read_text() == edited
    forced = pulling.pull(filled, out, force=True)
    assert not forced.replaced_pulled
    assert forced.changes is not None and not forced.changes  # the same tables, read from the edited file


def test_a_replaced_file_that_does_not_load_is_named_not_compared(filled: DatabaseURL, tmp_path: Path) -> None:
    out = tmp_path / "schema.py"
    out.write_text("this is not python\n")
    pulled = pulling.pull(filled, out, force=True)
    assert pulled.changes is None
    assert pulled.previous_problem is not None and "schema.py:1" in pulled.previous_problem


def test_the_table_filter_keeps_only_the_tables_it_matches(filled: DatabaseURL, tmp_path: Path) -> None:
    out = tmp_path / "schema.py"
    sql(filled.url, "CREATE TABLE legacy_a (id integer PRIMARY KEY)")
    pulled = pulling.pull(filled, out, tables=TableFilter(exclude=("legacy_*",)))
    assert pulled.left_out == ("legacy_a",)
    assert sorted(t.name for t in load_schema(out).schema.tables) == ["playlist", "tune"]
    # tune's key to playlist stays, as a reference to a table the schema does not manage
    pulling.pull(filled, out, tables=TableFilter(include=("tune",)))
    keys = [fk for t in load_schema(out).schema.tables for fk in t.foreign_keys]
    assert {(fk.ref_schema, fk.ref_table) for fk in keys} == {("public", "playlist")}
    pulled = pulling.pull(filled, out, tables=TableFilter(include=("playlist", "legacy_*")))
    assert sorted(t.name for t in load_schema(out).schema.tables) == ["legacy_a", "playlist"]


DRIZZLE_TABLE = "(id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)"


def test_drizzles_migration_table_is_never_pulled_from_sqlite(tmp_path: Path) -> None:
    url = parse_url(f"sqlite:///{tmp_path / 'app.db'}")
    sqlite3.connect(tmp_path / "app.db").executescript(
        "CREATE TABLE __drizzle_migrations (id integer PRIMARY KEY, hash text NOT NULL, created_at numeric);"
        "CREATE TABLE tune (id integer PRIMARY KEY);"
    )
    pulled = pulling.pull(url, tmp_path / "schema.py")
    assert pulled.counts == "1 table"
    assert pulled.left_out == ()
    assert "__drizzle" not in (tmp_path / "schema.py").read_text()


@pytest.mark.postgres
def test_drizzles_migration_tables_are_never_pulled_from_postgresql(pg_url: str, tmp_path: Path) -> None:
    # drizzle-kit keeps them in its own `drizzle` schema, or in `public` (migrations.schema)
    sql(pg_url, f"CREATE SCHEMA drizzle; CREATE TABLE drizzle.__drizzle_migrations {DRIZZLE_TABLE}")
    sql(pg_url, f"CREATE TABLE __drizzle_migrations {DRIZZLE_TABLE}; CREATE TABLE tune (id integer PRIMARY KEY)")
    pulled = pulling.pull(parse_url(pg_url), tmp_path / "schema.sql")
    assert pulled.counts == "1 table"
    assert "__drizzle" not in (tmp_path / "schema.sql").read_text()
