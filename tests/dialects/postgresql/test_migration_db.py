"""The PostgreSQL adapter of the migration runner: explicit transactions, error positions."""

from __future__ import annotations

import psycopg
import pytest

from mizzle.core.errors import MizzleError
from mizzle.core.tracking import DatabaseError
from mizzle.dialects.postgresql.migration_db import PostgresMigrationDatabase, concurrent_index_name


@pytest.fixture
def db(pg_url: str) -> PostgresMigrationDatabase:
    return PostgresMigrationDatabase(psycopg.connect(pg_url))


def test_text_runs_untouched_and_may_hold_several_statements(db: PostgresMigrationDatabase) -> None:
    db.execute("CREATE TABLE t (s text); INSERT INTO t VALUES ('100%'), ('%s');")
    assert db.query("SELECT s FROM t ORDER BY s") == [("%s",), ("100%",)]
    assert db.split_script("SELECT 1; SELECT 2;") == ["SELECT 1; SELECT 2;"]


def test_a_rollback_undoes_the_transaction_begun_by_hand(db: PostgresMigrationDatabase) -> None:
    db.begin()
    db.execute("CREATE TABLE t (id integer)")
    db.rollback()
    db.rollback()  # nothing open: a no-op
    assert db.query("SELECT to_regclass('t')") == [(None,)]


def test_an_error_says_where_in_the_text_it_was_found(db: PostgresMigrationDatabase) -> None:
    script = "SELECT 1;\nSELEC 2;"
    with pytest.raises(DatabaseError) as err:
        db.execute(script)
    assert str(err.value) == 'syntax error at or near "SELEC"'
    assert err.value.position == script.index("SELEC 2")


def test_tracking_rows_are_written_read_and_removed(db: PostgresMigrationDatabase) -> None:
    assert db.applied() == []
    db.ensure_tracking()
    db.ensure_tracking()
    db.record("0001_init", "abc", 12)
    [row] = db.applied()
    assert (row.id, row.name, row.checksum, row.duration_ms) == (1, "0001_init", "abc", 12)
    db.unrecord("0001_init")
    assert db.applied() == []


def test_the_lock_is_held_until_unlocked(db: PostgresMigrationDatabase, pg_url: str) -> None:
    db.lock()
    with psycopg.connect(pg_url, autocommit=True) as other:
        assert other.execute("SELECT pg_try_advisory_lock(%s)", (0x6D697A7A6C65,)).fetchone() == (False,)
        db.unlock()
        assert other.execute("SELECT pg_try_advisory_lock(%s)", (0x6D697A7A6C65,)).fetchone() == (True,)


def test_a_connection_inside_a_transaction_is_refused(pg_url: str) -> None:
    conn = psycopg.connect(pg_url)
    conn.execute("SELECT 1")  # psycopg opened a transaction
    with pytest.raises(MizzleError, match="open transaction"):
        PostgresMigrationDatabase(conn)


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        ("CREATE INDEX CONCURRENTLY tune_title_idx ON tune (title);", "tune_title_idx"),
        ('-- a comment\ncreate unique index concurrently if not exists "a ""b" on t (x)', '"a ""b"'),
        ("CREATE INDEX CONCURRENTLY ON tune (title)", None),  # no name: PostgreSQL picks a new one
        ("CREATE INDEX tune_title_idx ON tune (title)", None),  # in a transaction: never left invalid
    ],
)
def test_the_index_a_concurrent_build_names(sql: str, name: str | None) -> None:
    assert concurrent_index_name(sql) == name


def test_an_invalid_index_left_by_a_failed_concurrent_build_is_dropped_before_it_runs_again(
    db: PostgresMigrationDatabase,
) -> None:
    db.execute("CREATE TABLE t (s text); INSERT INTO t VALUES ('a'), ('a');")
    build = 'CREATE UNIQUE INDEX CONCURRENTLY "t s" ON t (s)'
    with pytest.raises(DatabaseError, match="could not create unique index"):
        db.execute(build)
    assert db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('\"t s\"')") == [(False,)]
    db.execute("DELETE FROM t WHERE ctid = (SELECT min(ctid) FROM t)")
    db.execute(build)  # not "relation already exists"
    assert db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('\"t s\"')") == [(True,)]


def test_waiting_for_the_lock_ends_and_names_the_session_that_holds_it(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SET application_name = 'forgotten psql'")
        holder.execute("SELECT pg_advisory_lock(%s)", (0x6D697A7A6C65,))
        pid = holder.info.backend_pid
        db = PostgresMigrationDatabase(psycopg.connect(pg_url), lock_timeout=0.3)
        with pytest.raises(DatabaseError) as err:
            db.lock()
        message = str(err.value)
        assert message.startswith(
            f"another mizzle command (migrate, rollback or push) is changing this database: backend pid {pid} "
            "(forgotten psql), connected since "
        )
        assert message.endswith("still held its lock after 0.3 s")
        holder.execute("SELECT pg_advisory_unlock(%s)", (0x6D697A7A6C65,))
        db.lock()  # free now: taken at once
        db.lock()  # and re-entrant
        db.unlock()
        db.unlock()
