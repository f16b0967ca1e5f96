"""The PostgreSQL server the tests use: MIZZLE_TEST_PG_URL when set, else an embedded
`pgserver` started once per test session. Never skipped: without a server the tests fail."""

from __future__ import annotations

import os
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

_embedded: Any = None


def server_url() -> str:
    """URL of a maintenance database on the test server (starting pgserver if needed)."""
    global _embedded
    url = os.environ.get("MIZZLE_TEST_PG_URL")
    if url:
        return url
    if _embedded is None:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver

        # One server per process, so per xdist worker; "delete" removes its data directory
        # (~50 MB) when the worker exits, instead of leaving one behind per test run.
        datadir = tempfile.mkdtemp(prefix="mizzle-pgserver-")
        _embedded = pgserver.get_server(datadir, cleanup_mode="delete")
    return str(_embedded.get_uri())


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


@contextmanager
def fresh_database(prefix: str = "mz") -> Iterator[str]:
    """Create an empty database, yield its URL, drop it afterwards."""
    admin = server_url()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def need_extensions(url: str, *names: str) -> None:
    """Skip the test when the server cannot create these extensions: the embedded pgserver of
    CI's second pass ships only plpgsql (and vector), no contrib module. Such a test still runs
    in CI's first pass, against the system PostgreSQL, which has them all."""
    with psycopg.connect(url) as conn:
        need_extensions_on(conn, *names)


def need_extensions_on(conn: psycopg.Connection[Any], *names: str) -> None:
    """`need_extensions` through a connection the test already holds."""
    rows = conn.execute("SELECT name FROM pg_available_extensions WHERE name = ANY(%s)", (list(names),))
    missing = sorted(set(names) - {row[0] for row in rows})
    if missing:
        pytest.skip(f"this PostgreSQL server lacks the extension{'s' if len(missing) > 1 else ''} {', '.join(missing)}")


#: the contrib extensions the corpus's Supabase prelude creates (`CREATE EXTENSION ... WITH SCHEMA extensions`)
SUPABASE_EXTENSIONS = ("uuid-ossp", "pgcrypto")
