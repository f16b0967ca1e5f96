"""Connecting (one-line, password-free failures) and applying DDL (all or nothing), on a real server."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from mizzle.core.errors import ConnectionFailed, MizzleError
from mizzle.dialects.postgresql import apply, connect
from mizzle.dialects.postgresql.connect import describe_connect_error
from mizzle.dialects.urls import parse_url
from tests.pg import with_database

SECRET = "s3cr3t-pw"


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    c = connect(parse_url(pg_url))
    yield c
    c.close()


def _failure(url: str, timeout: float = 10) -> str:
    with pytest.raises(ConnectionFailed) as info:
        connect(parse_url(url), timeout=timeout)
    message = str(info.value)
    assert "\n" not in message
    assert SECRET not in message
    return message


def test_connect_gives_a_connection_with_autocommit_off(conn: psycopg.Connection[Any]) -> None:
    assert conn.autocommit is False
    assert conn.execute("select 1").fetchone() == (1,)


def test_a_refused_port_names_the_host_and_port() -> None:
    message = _failure(f"postgresql://me:{SECRET}@127.0.0.1:1/app")
    assert message == (
        "cannot connect to postgresql://me:***@127.0.0.1:1/app: "
        "nothing is listening on 127.0.0.1:1 (is PostgreSQL running there?)"
    )


def test_an_unknown_database_is_named(pg_url: str) -> None:
    parts = urlsplit(with_database(pg_url, "no_such_database_here"))
    netloc = f"{parts.username or 'postgres'}:{SECRET}@{parts.netloc.rsplit('@', 1)[-1]}"
    url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    message = _failure(url)
    assert message == f'cannot connect to {parse_url(url).redacted}: database "no_such_database_here" does not exist'


def test_an_unknown_host_is_named() -> None:
    message = _failure(f"postgresql://me:{SECRET}@nosuchhost.invalid:5432/app")
    assert (
        message == "cannot connect to postgresql://me:***@nosuchhost.invalid:5432/app: unknown host nosuchhost.invalid"
    )


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        message = _failure(f"postgresql://me:{SECRET}@127.0.0.1:{port}/app", timeout=1)
    assert (
        message == f"cannot connect to postgresql://me:***@127.0.0.1:{port}/app: no answer from the server within 1 s"
    )


@pytest.mark.parametrize(
    ("driver_text", "problem"),
    [
        (
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            'FATAL:  password authentication failed for user "app"',
            'password authentication failed for user "app"',
        ),
        (
            'connection failed: connection to server on socket "/run/pg/.s.PGSQL.5432" failed: '
            "No such file or directory\n\tIs the server running locally?",
            "nothing is listening on socket /run/pg/.s.PGSQL.5432 (is PostgreSQL running there?)",
        ),
        (
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            'FATAL:  role "app" does not exist',
            'role "app" does not exist',
        ),
        (
            'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
            "fe_sendauth: no password supplied",
            "the server asks for a password and the URL has none",
        ),
        (
            f'connection failed: connection to server at "10.0.0.5", port 5432 failed: FATAL:  odd {SECRET} thing',
            "the driver's message is not shown: it may hold the password",
        ),
    ],
)
def test_driver_messages_become_one_line(driver_text: str, problem: str) -> None:
    url = parse_url(f"postgresql://app:{SECRET}@10.0.0.5/db")
    assert describe_connect_error(driver_text, url) == f"cannot connect to postgresql://app:***@10.0.0.5/db: {problem}"


def test_a_password_that_is_also_the_user_and_the_scheme_leaves_the_message_alone() -> None:
    # Masking the password's text wherever it occurred printed `***ql://***:***@...`.
    url = parse_url("postgresql://postgres:postgres@10.0.0.5/db")
    driver_text = (
        'connection failed: connection to server at "10.0.0.5", port 5432 failed: '
        'FATAL:  role "postgres" does not exist'
    )
    assert describe_connect_error(driver_text, url) == (
        'cannot connect to postgresql://postgres:***@10.0.0.5/db: role "postgres" does not exist'
    )


def test_a_host_name_that_is_not_a_dns_name_is_one_line() -> None:
    message = _failure(f"postgresql://me:{SECRET}@a..b:1/app")
    assert message == "cannot connect to postgresql://me:***@a..b:1/app: the host name is not a valid DNS name"


# --- apply ---------------------------------------------------------------------------------


def _tables(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute("select relname from pg_class where relnamespace = 'public'::regnamespace and relkind = 'r'")
    names = sorted(r[0] for r in rows)
    conn.rollback()
    return names


def test_apply_runs_every_statement_and_commits(conn: psycopg.Connection[Any], pg_url: str) -> None:
    apply(
        conn,
        ["CREATE TABLE a (id int)", "CREATE TABLE b (id int CHECK (id::text LIKE '1%'))", "INSERT INTO b VALUES (1)"],
    )
    with psycopg.connect(pg_url) as other:
        assert other.execute("select id from b").fetchall() == [(1,)]


def test_apply_on_failure_rolls_back_and_names_the_statement(conn: psycopg.Connection[Any]) -> None:
    statements = [
        "CREATE TABLE a (id int)",
        "CREATE TABLE b (\n  id int REFERENCES nowhere (id)\n)",
        "CREATE TABLE c ()",
    ]
    with pytest.raises(MizzleError) as info:
        apply(conn, statements)
    assert str(info.value) == (
        'statement 2 of 3 failed, nothing was applied: CREATE TABLE b ( -- relation "nowhere" does not exist'
    )
    assert _tables(conn) == []


def test_apply_reports_a_failure_at_commit(conn: psycopg.Connection[Any]) -> None:
    statements = [
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE c (p int REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED)",
        "INSERT INTO c VALUES (1)",
    ]
    with pytest.raises(MizzleError, match=r"^could not apply the changes, nothing was applied: .*foreign key"):
        apply(conn, statements)
    assert _tables(conn) == []


def test_apply_of_nothing_does_nothing(conn: psycopg.Connection[Any]) -> None:
    apply(conn, [])
    assert _tables(conn) == []
