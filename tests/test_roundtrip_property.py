"""The schema core's central property, on both databases: render a schema, apply it to a real
empty database, introspect it back, and get the model you started with (for SQLite: the model
as SQLite holds it, `project()`, whose few documented changes are tested on their own)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
from hypothesis import HealthCheck, given, settings

from mizzle.core.model import Schema
from mizzle.dialects import get_dialect
from tests.pg import server_url
from tests.strategies import schemas

_settings = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _reset_public(conn: psycopg.Connection) -> None:
    conn.execute("DROP SCHEMA public CASCADE")
    conn.execute("CREATE SCHEMA public")
    # as in a new database: made again, it is its maker's (pulled as `schema_owner`)
    conn.execute("ALTER SCHEMA public OWNER TO pg_database_owner")
    conn.commit()


@_settings
@given(schema=schemas())
def test_postgresql_render_apply_introspect_gives_the_schema_back(schema: Schema, pg_url: str) -> None:
    pg = get_dialect("postgresql")
    from mizzle.dialects.urls import parse_url

    conn = pg.connect(parse_url(pg_url))
    try:
        _reset_public(conn)
        pg.apply(conn, pg.render_schema(schema))
        back = pg.introspect(conn)
    finally:
        conn.close()
    assert back.unsupported == ()
    assert back.schema.to_dict() == schema.to_dict()
    assert back.schema == schema


@_settings
@given(schema=schemas())
def test_sqlite_render_apply_introspect_gives_the_projected_schema_back(schema: Schema, tmp_path: Path) -> None:
    lite = get_dialect("sqlite")
    expected, _notes = lite.project(schema)
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        lite.apply(conn, lite.render_schema(schema))
        back = lite.introspect(conn)
    finally:
        conn.close()
    assert back.unsupported == ()
    assert back.schema.to_dict() == expected.to_dict()
    assert back.schema == expected


def test_the_property_runs_against_a_real_server() -> None:
    # Guard against a silently skipped PostgreSQL: the server must answer.
    with psycopg.connect(server_url()) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
