"""Sync tables in each database: rendered, introspected back as sync tables, exported to a
.sql file that loads back the same, and recognised only when the triggers are mizzle's own."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import psycopg
import pytest

from mizzle.core.model import Schema
from mizzle.dialects.postgresql import introspect as pg_introspect
from mizzle.dialects.postgresql import render_schema as pg_render
from mizzle.dialects.postgresql.connect import apply as pg_apply
from mizzle.dialects.sqlite import introspect as sqlite_introspect
from mizzle.dialects.sqlite import project
from mizzle.dialects.sqlite import render_schema as sqlite_render
from mizzle.dialects.sqlite.connect import apply as sqlite_apply
from mizzle.sources.load import load_schema

SOURCE = """
from mizzle.dsl import Table, integer, primary_key, random_uuid, serial, text, uuid

class Tune(Table):
    id = serial().primary_key()
    title = text()
    __sync__ = True

class Setlist(Table):
    tune_id = integer().not_null()
    position = integer().not_null()
    __primary_key__ = primary_key("tune_id", "position")
    __sync__ = True

class Note(Table):
    id = uuid().primary_key().default(random_uuid())
    body = text()
"""


@pytest.fixture
def schema(tmp_path: Path) -> Schema:
    path = tmp_path / "schema.py"
    path.write_text(textwrap.dedent(SOURCE))
    return load_schema(path).schema


def test_sqlite_reads_back_sync_tables(schema: Schema, sqlite_conn: sqlite3.Connection) -> None:
    sqlite_apply(sqlite_conn, sqlite_render(schema))
    found = sqlite_introspect(sqlite_conn)
    assert found.unsupported == ()
    assert found.schema == project(schema)[0]
    assert [t.name for t in found.schema.tables if t.sync] == ["setlist", "tune"]


def test_sqlite_edited_trigger_is_not_taken_for_mizzles(schema: Schema, sqlite_conn: sqlite3.Connection) -> None:
    sqlite_apply(sqlite_conn, sqlite_render(schema))
    sqlite_conn.execute('DROP TRIGGER "__mizzle_sync_update_tune"')
    sqlite_conn.execute('CREATE TRIGGER "__mizzle_sync_update_tune" AFTER UPDATE ON tune BEGIN SELECT 1; END')
    found = sqlite_introspect(sqlite_conn)
    tune = found.schema.table("tune")
    assert tune is not None and not tune.sync
    assert {(u.kind, u.name) for u in found.unsupported} == {
        ("trigger", "__mizzle_sync_delete_tune"),
        ("trigger", "__mizzle_sync_insert_tune"),
        ("trigger", "__mizzle_sync_update_tune"),
    }


def test_postgresql_reads_back_sync_tables(schema: Schema, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        pg_apply(conn, pg_render(schema))
        found = pg_introspect(conn)
    assert found.unsupported == ()
    assert found.schema == schema


def test_postgresql_table_missing_a_trigger_is_not_sync(schema: Schema, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        pg_apply(conn, pg_render(schema))
        conn.execute('DROP TRIGGER "__mizzle_sync_delete" ON tune')
        found = pg_introspect(conn)
    tune = found.schema.table("tune")
    assert tune is not None and not tune.sync
    assert {(u.kind, u.name) for u in found.unsupported} == {
        ("trigger", "__mizzle_sync_insert"),
        ("trigger", "__mizzle_sync_update"),
        ("trigger", "__mizzle_sync_seq"),
    }


def test_exported_sql_loads_back_the_same_schema(schema: Schema, tmp_path: Path) -> None:
    path = tmp_path / "exported.sql"
    path.write_text(";\n".join(pg_render(schema)) + ";\n")
    loaded = load_schema(path)
    assert loaded.unsupported == ()
    assert loaded.schema == schema
