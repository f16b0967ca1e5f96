"""Schema public's owner when another role than PostgreSQL's `pg_database_owner` owns it
(Pagila's dump: `ALTER SCHEMA public OWNER TO postgres`): read from the database, a .sql and
a .py schema alike, written back, and changed both ways by a migration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.core.diff import diff
from mizzle.core.errors import SchemaError
from mizzle.core.migration_text import render_file
from mizzle.core.security import SchemaOwner, Security
from mizzle.dialects.postgresql import connect, introspect
from mizzle.dialects.postgresql.plan import plan
from mizzle.dialects.postgresql.render import render_schema
from mizzle.dialects.sqlite.plan import plan as sqlite_plan
from mizzle.dialects.urls import parse_url
from mizzle.sources.dsl.codegen import schema_to_python
from mizzle.sources.dsl.security import schema_owner
from mizzle.sources.load import load_schema
from mizzle.sources.sql.reader import parse_ddl

OWNER = "mz_sec_owner"
BASE = "CREATE TABLE tune (id int PRIMARY KEY);\n"


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    c = connect(parse_url(pg_url))
    c.execute(
        f'DO $$ BEGIN CREATE ROLE "{OWNER}"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$'
    )
    c.commit()
    yield c
    c.close()


def owner_of_public(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'public'").fetchone()
    assert row is not None
    return str(row[0])


def test_the_sql_reader_keeps_an_owner_other_than_postgresqls() -> None:
    held = parse_ddl(BASE + f"ALTER SCHEMA public OWNER TO {OWNER};").schema.security
    assert held.schema_owners == (SchemaOwner(schema_name="public", owner=OWNER),)
    assert parse_ddl(BASE + "ALTER SCHEMA public OWNER TO pg_database_owner;").schema.security == Security()
    with pytest.raises(SchemaError, match="only schema public"):
        schema_owner("app", OWNER)


def test_the_python_writer_and_dsl_carry_it(tmp_path: Path) -> None:
    schema = parse_ddl(BASE + f"ALTER SCHEMA public OWNER TO {OWNER};").schema
    code = schema_to_python(schema)
    assert f'schema_owner("public", "{OWNER}")' in code
    path = tmp_path / "schema.py"
    path.write_text(code, encoding="utf-8")
    assert load_schema(path).schema.security == schema.security


def test_read_written_back_and_migrated_both_ways(conn: psycopg.Connection[Any]) -> None:
    old = parse_ddl(BASE).schema
    new = parse_ddl(BASE + f"ALTER SCHEMA public OWNER TO {OWNER};").schema
    for statement in render_schema(old):
        conn.execute(statement.encode())
    conn.commit()
    assert introspect(conn).schema.security == Security()
    p = plan(diff(old, new), old, new)
    up = [s for step in p.steps for s in step.statements]
    assert up == [f"ALTER SCHEMA public OWNER TO {OWNER}"]
    for statement in up:
        conn.execute(statement.encode())
    conn.commit()
    assert owner_of_public(conn) == OWNER
    assert introspect(conn).schema.security == new.security
    for statement in (s for step in p.down().steps for s in step.statements):
        conn.execute(statement.encode())
    conn.commit()
    assert owner_of_public(conn) == "pg_database_owner"
    assert introspect(conn).schema.security == Security()


def test_sqlite_plans_nothing_for_it_and_says_so_once() -> None:
    old, new = parse_ddl(BASE).schema, parse_ddl(BASE + f"ALTER SCHEMA public OWNER TO {OWNER};").schema
    planned = sqlite_plan(diff(old, new), old, new)
    assert planned.steps == ()
    assert "-- server-only: 1 schema owner: PostgreSQL only, not on SQLite" in render_file(planned, "0002_own (sqlite)")
