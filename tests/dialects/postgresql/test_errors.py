"""A failed statement's error keeps PostgreSQL's hint, on one line, wherever it is reported:
the migration runner, `push`'s transaction, introspection."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from mizzle.core.errors import MizzleError
from mizzle.core.tracking import DatabaseError
from mizzle.dialects.postgresql.connect import apply
from mizzle.dialects.postgresql.errors import server_message
from mizzle.dialects.postgresql.migration_db import PostgresMigrationDatabase

#: what the server raises when one transaction takes more locks than its lock table holds,
#: raised as such (the real thing fills the shared lock table of every session on the server)
OUT_OF_LOCKS = (
    "DO $$ BEGIN RAISE EXCEPTION 'out of shared memory' USING ERRCODE = '53200', "
    "HINT = 'You might need to increase max_locks_per_transaction.'; END $$"
)
#: an error the server adds a hint to by itself
NO_OPERATOR = "SELECT 'a'::text + 1"


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(pg_url) as conn:
        yield conn


def error_of(conn: psycopg.Connection[Any], sql: str) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as caught:
        conn.execute(sql.encode())
    conn.rollback()
    return caught.value


def test_the_servers_hint_is_kept_after_its_message(conn: psycopg.Connection[Any]) -> None:
    assert server_message(error_of(conn, NO_OPERATOR)) == (
        "operator does not exist: text + integer (hint: No operator matches the given name and argument types. "
        "You might need to add explicit type casts.)"
    )


def test_an_error_without_a_hint_is_the_servers_message_alone(conn: psycopg.Connection[Any]) -> None:
    assert server_message(error_of(conn, "SELECT * FROM nowhere")) == 'relation "nowhere" does not exist'


def test_out_of_shared_memory_keeps_the_hint_and_says_what_to_do(conn: psycopg.Connection[Any]) -> None:
    message = server_message(error_of(conn, OUT_OF_LOCKS))
    assert message.startswith(
        "out of shared memory (hint: You might need to increase max_locks_per_transaction. one transaction locks"
    )
    assert "raise max_locks_per_transaction (postgresql.conf, then restart the server)" in message
    assert "or apply the schema in parts" in message
    assert "\n" not in message


def test_the_migration_runner_keeps_the_hint(conn: psycopg.Connection[Any]) -> None:
    db = PostgresMigrationDatabase(conn)
    with pytest.raises(DatabaseError) as caught:
        db.execute(OUT_OF_LOCKS)
    assert "(hint: You might need to increase max_locks_per_transaction." in str(caught.value)


def test_push_keeps_the_hint_and_applies_nothing(conn: psycopg.Connection[Any]) -> None:
    with pytest.raises(MizzleError) as caught:
        apply(conn, ["CREATE TABLE t (id integer)", OUT_OF_LOCKS])
    assert str(caught.value).startswith("statement 2 of 2 failed, nothing was applied: DO $$")
    assert str(caught.value).endswith("or apply the schema in parts (several migrations))")
    assert conn.execute("SELECT to_regclass('t')").fetchone() == (None,)
