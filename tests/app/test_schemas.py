"""The app's own schemas besides `public` (issue 11): a database with a `basejump` schema is
pulled (.py and .sql), exported, pushed to a fresh database and read back identically, on
PostgreSQL; on SQLite each object keeps its whole `schema.name` as one name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from mizzle.app import pull as pulling
from mizzle.app.config import load_config
from mizzle.app.export import export
from mizzle.app.push import push
from mizzle.core.errors import ConfigError, SchemaError, UnsupportedError
from mizzle.core.model import Schema
from mizzle.core.operations import RenameTable
from mizzle.core.validate import validate
from mizzle.dialects.postgresql.introspect import introspect
from mizzle.dialects.postgresql.plan import plan
from mizzle.dialects.sqlite.introspect import introspect as sqlite_introspect
from mizzle.dialects.sqlite.render import render_schema as sqlite_render
from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema
from tests.pg import fresh_database

pytestmark = pytest.mark.postgres

BASEJUMP = """
CREATE SCHEMA basejump;
CREATE TYPE basejump.role AS ENUM ('owner', 'member');
CREATE TABLE basejump.accounts (
  id serial PRIMARY KEY, name text NOT NULL, role basejump.role DEFAULT 'member' CHECK (name <> '')
);
CREATE INDEX accounts_name ON basejump.accounts (lower(name)) WHERE role = 'owner';
CREATE TABLE basejump."Odd Name" (id int PRIMARY KEY, account_id int REFERENCES basejump.accounts (id));
CREATE TABLE notes (id serial PRIMARY KEY, account_id int REFERENCES basejump.accounts (id), body text);
CREATE VIEW basejump.named AS
  SELECT a.id, a.name, n.body FROM basejump.accounts a JOIN notes n ON n.account_id = a.id;
"""


def _read(url: str, schemas: tuple[str, ...] = ("basejump",)) -> Schema:
    with psycopg.connect(url, autocommit=True) as conn:
        return introspect(conn, schemas=schemas).schema


@pytest.fixture
def basejump_db() -> object:
    with fresh_database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(BASEJUMP)
        yield url


def test_objects_of_the_apps_schema_are_read_with_qualified_names(basejump_db: str) -> None:
    schema = _read(basejump_db)
    assert [t.name for t in schema.tables] == ["basejump.Odd Name", "basejump.accounts", "notes"]
    assert [e.name for e in schema.enums] == ["basejump.role"]
    assert [v.name for v in schema.views] == ["basejump.named"]
    notes = schema.table("notes")
    assert notes is not None and notes.foreign_keys[0].ref_table == "basejump.accounts"
    accounts = schema.table("basejump.accounts")
    assert accounts is not None
    assert accounts.columns[0].type.kind == "serial"  # its sequence, basejump.accounts_id_seq, is its own
    assert accounts.columns[2].type.name == "basejump.role"
    assert schema.views[0].referenced_tables() == ["basejump.accounts", "notes"]


def test_without_the_schema_listed_only_public_is_read_as_before(basejump_db: str) -> None:
    with psycopg.connect(basejump_db, autocommit=True) as conn:
        read = introspect(conn)
    assert [t.name for t in read.schema.tables] == ["notes"]
    assert read.schema.tables[0].foreign_keys == ()  # it references a table not read
    assert read.schema.views == () and read.schema.enums == ()
    assert ("schema", "basejump") in {(u.kind, u.name) for u in read.unsupported}


@pytest.mark.parametrize("suffix", [".py", ".sql"])
def test_pull_export_and_apply_give_the_same_database(basejump_db: str, tmp_path: Path, suffix: str) -> None:
    original = _read(basejump_db)
    out = tmp_path / f"schema{suffix}"
    pulled = pulling.pull(parse_url(basejump_db), out, schemas=("basejump",))
    assert pulled.counts == "3 tables, 1 enum, 1 view"
    assert pulled.warnings == ()
    assert load_schema(out).schema == original
    exported = export(out, "postgresql")
    assert exported.statements[0] == "CREATE SCHEMA IF NOT EXISTS basejump"
    with fresh_database() as copy:
        with psycopg.connect(copy, autocommit=True) as conn:
            for statement in exported.statements:
                conn.execute(statement)
        assert _read(copy) == original
        with psycopg.connect(copy, autocommit=True) as conn:
            catalog = conn.execute(
                "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('basejump', 'public')"
                " ORDER BY 1, 2"
            ).fetchall()
        with psycopg.connect(basejump_db, autocommit=True) as conn:
            expected = conn.execute(
                "SELECT n.nspname, c.relname, c.relkind::text FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('basejump', 'public')"
                " ORDER BY 1, 2"
            ).fetchall()
        assert catalog == expected


def test_push_of_the_pulled_schema_has_nothing_to_do_and_creates_it_in_a_fresh_database(
    basejump_db: str, tmp_path: Path
) -> None:
    pulling.pull(parse_url(basejump_db), tmp_path / "schema.py", schemas=("basejump",))
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\ndialects = ["postgresql", "sqlite"]\n')
    config = load_config(config_path=tmp_path / "mizzle.toml")
    assert push(config, parse_url(basejump_db), dry_run=True).plan.empty
    with fresh_database() as fresh:
        assert push(config, parse_url(fresh)).applied
        assert _read(fresh) == _read(basejump_db)
        assert push(config, parse_url(fresh), dry_run=True).plan.empty


def test_migrations_create_the_schema_first_and_drop_index_in_it(basejump_db: str) -> None:
    schema = _read(basejump_db)
    from mizzle.core.diff import diff

    steps = plan(diff(Schema(), schema), Schema(), schema).steps
    first = steps[0].statements
    assert first[0] == "CREATE SCHEMA IF NOT EXISTS basejump"
    accounts = schema.table("basejump.accounts")
    assert accounts is not None
    without_index = schema.model_copy(
        update={"tables": [t.model_copy(update={"indexes": ()}) if t is accounts else t for t in schema.tables]}
    )
    dropped = plan(diff(schema, without_index), schema, without_index).steps
    assert dropped[0].statements == ("DROP INDEX basejump.accounts_name",)
    with psycopg.connect(basejump_db, autocommit=True) as conn:
        for step in dropped:
            for statement in step.statements:
                conn.execute(statement)
    assert _read(basejump_db) == without_index


def test_moving_a_table_to_another_schema_is_refused_in_one_line(basejump_db: str) -> None:
    schema = _read(basejump_db)
    with pytest.raises(UnsupportedError, match="moving a table to another schema"):
        plan([RenameTable(old="notes", new="basejump.notes")], schema, schema)


def test_sqlite_keeps_the_qualified_name_as_one_name(basejump_db: str) -> None:
    schema = _read(basejump_db)
    db = sqlite3.connect(":memory:")
    statements = sqlite_render(schema)
    assert 'CREATE TABLE "basejump.accounts" (' in statements[0] or any(
        s.startswith('CREATE TABLE "basejump.accounts"') for s in statements
    )
    for statement in statements:
        db.execute(statement)
    back = sqlite_introspect(db).schema
    assert [t.name for t in back.tables] == [t.name for t in schema.tables]
    assert [v.name for v in back.views] == ["basejump.named"]
    assert back.views[0].referenced_tables() == ["basejump.accounts", "notes"]


def test_config_refuses_a_platform_schema(tmp_path: Path) -> None:
    (tmp_path / "mizzle.toml").write_text('schema = "s.py"\nschemas = ["basejump", "auth"]\n')
    with pytest.raises(ConfigError, match="'auth' is not the app's own schema"):
        load_config(config_path=tmp_path / "mizzle.toml")
    (tmp_path / "mizzle.toml").write_text('schema = "s.py"\nschemas = ["basejump"]\n')
    assert load_config(config_path=tmp_path / "mizzle.toml").schemas == ("basejump",)


def test_a_name_holding_two_dots_is_refused(basejump_db: str) -> None:
    schema = _read(basejump_db)
    odd = schema.tables[0].model_copy(update={"name": "a.b.c"})
    with pytest.raises(SchemaError, match="a dot separates the schema from the name"):
        validate(schema.model_copy(update={"tables": [*schema.tables[1:], odd]}))


def test_a_sql_schema_carries_what_it_creates_in_its_own_schema_only(tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    path.write_text(
        "CREATE SCHEMA app;\nCREATE TABLE app.x (a int PRIMARY KEY);\n"
        "CREATE TABLE y (a int REFERENCES app.x (a));\nCREATE TABLE other.z (a int);\n"
    )
    loaded = load_schema(path)
    assert [t.name for t in loaded.schema.tables] == ["app.x", "y"]
    y = loaded.schema.table("y")
    assert y is not None and y.foreign_keys[0].ref_table == "app.x"
    assert ("table", "other.z") in {(u.kind, u.name) for u in loaded.unsupported}


def test_a_sync_table_outside_the_default_schema_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "schema.sql"
    path.write_text("CREATE SCHEMA app;\nCREATE TABLE app.tune (id uuid PRIMARY KEY, title text);\n")
    with pytest.raises(SchemaError, match=r'table "app\.tune": a sync table must be in the default schema'):
        load_schema(path, ("app.tune",))
