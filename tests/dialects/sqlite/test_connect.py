from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mizzle.core.errors import ConnectionFailed, MizzleError
from mizzle.dialects import get_dialect
from mizzle.dialects.sqlite.connect import apply, connect
from mizzle.dialects.urls import parse_url


def url_of(path: Path | str) -> str:
    return f"sqlite:///{path}"


def test_a_missing_file_is_an_error_and_is_not_created(sqlite_path: Path) -> None:
    with pytest.raises(ConnectionFailed) as err:
        connect(parse_url(url_of(sqlite_path)))
    assert str(err.value) == f"no SQLite database at {sqlite_path}"
    assert not sqlite_path.exists()


def test_create_makes_a_new_database(sqlite_path: Path) -> None:
    connect(parse_url(url_of(sqlite_path)), create=True).close()
    assert sqlite_path.is_file()


def test_create_in_a_missing_directory_names_it(tmp_path: Path) -> None:
    with pytest.raises(ConnectionFailed, match=r"no directory .*nowhere"):
        connect(parse_url(url_of(tmp_path / "nowhere" / "x.db")), create=True)


def test_a_file_that_is_not_a_database_is_one_clear_line(sqlite_path: Path) -> None:
    sqlite_path.write_text("hello, I am a text file, not a database at all\n" * 100)
    with pytest.raises(ConnectionFailed) as err:
        connect(parse_url(url_of(sqlite_path)))
    assert str(err.value) == f"{sqlite_path} is not a usable SQLite database: file is not a database"


def test_a_relative_url_opens_an_existing_file(sqlite_path: Path) -> None:
    sqlite3.connect(sqlite_path).execute("CREATE TABLE t (a)").connection.close()
    conn = connect(parse_url("sqlite:///test.db", base_dir=sqlite_path.parent))
    assert conn.execute("SELECT name FROM sqlite_master").fetchall() == [("t",)]


def test_the_connection_enforces_foreign_keys_in_autocommit_mode(sqlite_path: Path) -> None:
    conn = connect(parse_url(url_of(sqlite_path)), create=True)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.isolation_level is None
    conn.execute("CREATE TABLE t (a)")
    assert not conn.in_transaction


def test_memory_database(tmp_path: Path) -> None:
    conn = connect(parse_url("sqlite://:memory:"))
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_apply_runs_every_statement_in_one_transaction(sqlite_path: Path) -> None:
    conn = connect(parse_url(url_of(sqlite_path)), create=True)
    apply(conn, ["CREATE TABLE a (x INT)", "CREATE TABLE b (y INT)", "INSERT INTO a VALUES (1)"])
    other = sqlite3.connect(sqlite_path)
    assert other.execute("SELECT name FROM sqlite_master ORDER BY name").fetchall() == [("a",), ("b",)]
    assert not conn.in_transaction


def test_apply_rolls_everything_back_and_names_the_failing_statement(sqlite_path: Path) -> None:
    conn = connect(parse_url(url_of(sqlite_path)), create=True)
    statements = ["CREATE TABLE a (x INT)", "CREATE TABLE b (\n  y INT REFERENCES nowhere,\n  y TEXT\n)"]
    with pytest.raises(MizzleError) as err:
        apply(conn, statements)
    assert str(err.value) == "SQLite failed on `CREATE TABLE b ( ...`: duplicate column name: y"
    assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    assert not conn.in_transaction


def test_apply_rolls_back_when_a_deferred_foreign_key_fails_at_commit(sqlite_path: Path) -> None:
    conn = connect(parse_url(url_of(sqlite_path)), create=True)
    apply(conn, ["CREATE TABLE p (id INTEGER PRIMARY KEY)"])
    apply(conn, ["CREATE TABLE c (p INT REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)"])
    with pytest.raises(MizzleError, match=r"^SQLite failed on `COMMIT`: FOREIGN KEY constraint failed$"):
        apply(conn, ["INSERT INTO c VALUES (42)"])
    assert conn.execute("SELECT count(*) FROM c").fetchone() == (0,)
    assert not conn.in_transaction


def test_apply_inside_an_open_transaction_is_refused(sqlite_path: Path) -> None:
    conn = connect(parse_url(url_of(sqlite_path)), create=True)
    conn.execute("BEGIN")
    with pytest.raises(MizzleError, match="cannot start a transaction"):
        apply(conn, ["CREATE TABLE a (x INT)"])


def test_the_dialect_module_offers_the_dialect_functions() -> None:
    dialect = get_dialect("sqlite")
    assert (dialect.NAME, dialect.SQLGLOT) == ("sqlite", "sqlite")
    for name in ("render_schema", "capability_problems", "project", "connect", "introspect", "apply"):
        assert callable(getattr(dialect, name)), name


def test_importing_the_sqlite_dialect_does_not_import_psycopg() -> None:
    code = "import sys, mizzle.dialects.sqlite; print('psycopg' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


#: holds the database at argv[1] with BEGIN EXCLUSIVE for argv[2] seconds, in a process of its own
_HOLD_EXCLUSIVE = (
    "import sqlite3, sys, time\n"
    "conn = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "conn.execute('BEGIN EXCLUSIVE')\n"
    "print('held', flush=True)\n"
    "time.sleep(float(sys.argv[2]))\n"
    "conn.execute('COMMIT')\n"
)


def _held_exclusively(path: Path, seconds: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_EXCLUSIVE, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_a_database_held_exclusively_a_while_is_waited_for_beyond_five_seconds(sqlite_path: Path) -> None:
    """sqlite3's own default gave up after 5 s, reporting "not a usable SQLite database"."""
    connect(parse_url(url_of(sqlite_path)), create=True).close()
    holder = _held_exclusively(sqlite_path, 6.5)
    started = time.monotonic()
    conn = connect(parse_url(url_of(sqlite_path)))
    conn.close()
    assert time.monotonic() - started >= 5
    holder.wait(timeout=30)


def test_a_database_held_exclusively_too_long_is_named_locked_not_unusable(sqlite_path: Path) -> None:
    connect(parse_url(url_of(sqlite_path)), create=True).close()
    holder = _held_exclusively(sqlite_path, 5)
    try:
        with pytest.raises(ConnectionFailed) as err:
            connect(parse_url(url_of(sqlite_path)), busy_timeout=0.3)
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert str(err.value) == (
        f"the SQLite database {sqlite_path} is locked by another process (waited 0.3 s): database is locked"
    )
