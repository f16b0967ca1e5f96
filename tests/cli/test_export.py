from __future__ import annotations

import sqlite3
from pathlib import Path

import psycopg
import pytest

from mizzle.dialects import get_dialect
from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema
from tests.cli.conftest import EXAMPLE, Mizzle

EXAMPLE_CONFIG = EXAMPLE / "mizzle.toml"
EXAMPLE_SCHEMA = EXAMPLE / "schema.py"


def test_sqlite_export_of_the_example_applies_and_reads_back_as_sqlite_holds_it(mizzle: Mizzle, tmp_path: Path) -> None:
    result = mizzle("--config", EXAMPLE_CONFIG, "export", "--dialect", "sqlite")
    assert result.code == 0, result.err
    with sqlite3.connect(tmp_path / "app.db") as conn:
        conn.executescript(result.out)
    sqlite = get_dialect("sqlite")
    conn = sqlite.connect(parse_url(f"sqlite:///{tmp_path / 'app.db'}"))
    try:
        introspected = sqlite.introspect(conn)
    finally:
        conn.close()
    assert introspected.schema.to_json() == sqlite.project(load_schema(EXAMPLE_SCHEMA).schema)[0].to_json()


def test_postgresql_export_of_the_example_applies_and_reads_back_as_postgresql_holds_it(
    mizzle: Mizzle, pg_url: str
) -> None:
    result = mizzle("--config", EXAMPLE_CONFIG, "export", "--dialect", "postgresql")
    assert result.code == 0, result.err
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(result.out.encode())
    postgresql = get_dialect("postgresql")
    conn = postgresql.connect(parse_url(pg_url))
    try:
        introspected = postgresql.introspect(conn)
    finally:
        conn.close()
    assert introspected.schema.to_json() == postgresql.project(load_schema(EXAMPLE_SCHEMA).schema)[0].to_json()


def test_statements_end_with_a_semicolon_and_a_blank_line_separates_them(mizzle: Mizzle) -> None:
    out = mizzle("--config", EXAMPLE_CONFIG, "export", "--dialect", "sqlite").out
    statements = get_dialect("sqlite").render_schema(load_schema(EXAMPLE_SCHEMA).schema)
    assert out.endswith(";\n")
    assert out.split(";\n\n") == [s.rstrip(";") for s in statements[:-1]] + [statements[-1].rstrip(";") + ";\n"]


def test_default_dialect_is_the_first_configured(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "mizzle.toml").write_text(f'schema = "{EXAMPLE_SCHEMA}"\ndialects = ["sqlite", "postgresql"]\n')
    assert (
        mizzle("--config", tmp_path / "mizzle.toml", "export").out
        == mizzle("export", "--schema", EXAMPLE_SCHEMA, "--dialect", "sqlite").out
    )


def test_without_a_config_the_default_dialect_is_postgresql(
    mizzle: Mizzle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (
        mizzle("export", "--schema", EXAMPLE_SCHEMA).out
        == mizzle("export", "--schema", EXAMPLE_SCHEMA, "--dialect", "postgresql").out
    )


GIN_SCHEMA = """\
from mizzle.dsl import Table, bigserial, index, jsonb

class Doc(Table):
    id = bigserial().primary_key()
    body = jsonb()
    __indexes__ = [index("body", method="gin")]
"""


def test_what_sqlite_holds_differently_is_noted_on_stderr_as_sql_comments(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "schema.py").write_text(GIN_SCHEMA)
    result = mizzle("export", "--schema", tmp_path / "schema.py", "--dialect", "sqlite")
    notes = result.err.splitlines()
    assert (result.code, len(notes), all(n.startswith("-- note: ") for n in notes)) == (0, 2, True)
    assert ("bigserial" in result.err, "gin" in result.err, "note" in result.out) == (True, True, False)


def test_postgresql_export_of_the_same_schema_has_no_notes(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "schema.py").write_text(GIN_SCHEMA)
    result = mizzle("export", "--schema", tmp_path / "schema.py", "--dialect", "postgresql")
    assert (result.code, result.err, "USING gin" in result.out) == (0, "", True)


def test_objects_of_a_sql_schema_mizzle_does_not_carry_are_noted(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text(
        "CREATE TABLE t (id integer PRIMARY KEY);\n"
        "CREATE TYPE pair AS (a int, b int);\n"
        "CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int);\n"
        "CREATE FUNCTION one() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;\n"
    )
    result = mizzle("export", "--schema", tmp_path / "schema.sql")
    assert result.code == 0, result.err
    assert result.err.startswith("-- note: not carried by mizzle: composite type pair")
    assert "CREATE TABLE t" in result.out
    assert "CREATE FUNCTION one()" in result.out  # a function is carried verbatim (core/routines.py)
    assert "CREATE AGGREGATE total(int)" in result.out  # so is an aggregate (core/pg_objects.py)


def test_a_schema_sqlite_cannot_hold_is_an_error(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "schema.py").write_text(
        "from mizzle.dsl import Table, integer\n\nclass Stat(Table):\n"
        "    __tablename__ = 'sqlite_stat'\n    a = integer()\n"
    )
    result = mizzle("export", "--schema", tmp_path / "schema.py", "--dialect", "sqlite")
    assert result.code == 1
    assert "does not fit sqlite" in result.error_line
    assert result.out == ""


def test_the_sqlite_script_names_what_the_server_alone_has_in_its_header(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "schema.py").write_text(
        "from mizzle.dsl import Table, integer, primary_key, serial, sql, text\n\n"
        "class Pair(Table):\n    a = serial()\n    b = integer()\n"
        "    owner = text().default(sql('auth.uid()'))\n    __primary_key__ = primary_key('a', 'b')\n"
    )
    result = mizzle("export", "--schema", tmp_path / "schema.py", "--dialect", "sqlite")
    assert result.code == 0, result.err
    assert result.out.splitlines()[:3] == [
        "-- server-only: auto-increment of pair.a (SQLite numbers only a sole primary key: "
        "the device must supply its values)",
        "-- server-only: default on pair.owner: auth.uid() (uid() is not a SQLite function; "
        "the app supplies the value on the device)",
        "",
    ]
    conn = sqlite3.connect(":memory:")
    conn.executescript(result.out)
    conn.execute("INSERT INTO pair (a, b) VALUES (1, 1)")
    assert conn.execute("SELECT a, b, owner FROM pair").fetchall() == [(1, 1, None)]


def test_the_postgresql_script_names_what_the_device_alone_has(mizzle: Mizzle, tmp_path: Path) -> None:
    (tmp_path / "schema.py").write_text(
        "from mizzle.dsl import Table, integer, text, virtual_table\n\n"
        "class Chat(Table):\n    id = integer().primary_key()\n    body = text()\n\n"
        "ChatFts = virtual_table('chat_fts', 'CREATE VIRTUAL TABLE chat_fts USING fts5(body)')\n"
    )
    result = mizzle("export", "--schema", tmp_path / "schema.py", "--dialect", "postgresql")
    assert result.code == 0, result.err
    assert result.out.startswith("-- device-only: virtual table chat_fts\n\nCREATE TABLE chat (")
    assert "VIRTUAL" not in result.out.split("\n", 1)[1]
