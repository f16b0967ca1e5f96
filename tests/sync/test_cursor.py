"""The cursor `changes_since` returns never lets a later pull pass over a committed row: not a
row of a transaction that was open during the pull and commits after it (PostgreSQL, where
a row's time is its transaction's start), nor one written in the same millisecond as the
latest row seen (both databases)."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.conninfo import make_conninfo

from mizzle.dsl import Table, integer, text
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import apply_remote, changes_since
from tests.sync.dbs import Db, create, pg_db


class Item(Table):
    id = integer().primary_key()
    title = text()
    __sync__ = True


SCHEMA = schema_from_classes([Item])


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_conn: sqlite3.Connection) -> Iterator[Db]:
    handle = Db("sqlite", sqlite_conn) if request.param == "sqlite" else pg_db(request.getfixturevalue("pg_url"))
    create(handle, SCHEMA)
    yield handle
    if request.param == "postgresql":
        handle.conn.close()


def ids(db: Db, since: str | None) -> set[int]:
    return {int(r["id"]) for r in changes_since(db.conn, "item", since).rows}


def test_a_row_committed_later_in_the_millisecond_of_the_cursor_is_pulled(db: Db) -> None:
    moment = "2026-03-01T10:00:00.123Z"
    db.run("INSERT INTO item (id, title, last_modified_at) VALUES (1, 'a', ?)", (moment,))
    cursor = changes_since(db.conn, "item", None).cursor
    # another transaction, committed after the pull, that wrote in the same millisecond
    db.run("INSERT INTO item (id, title, last_modified_at) VALUES (2, 'b', ?)", (moment,))
    assert ids(db, cursor) == {1, 2}  # 1 again (unchanged where applied), 2 not passed over


@pytest.mark.parametrize("writer", ["relay push", "local insert"])
def test_a_pull_while_a_long_write_is_open_misses_none_of_its_rows(pg_url: str, writer: str) -> None:
    held, other, puller = pg_db(pg_url), pg_db(pg_url), pg_db(pg_url)
    try:
        create(held, SCHEMA)
        held.begin()  # its rows take this moment as their time
        time.sleep(0.01)
        if writer == "relay push":
            batch = [{"id": i, "title": "held", "sync_version": 1} for i in range(15000)]
            assert apply_remote(held.conn, "item", batch, relay=True).applied == 15000
        else:
            held.run("INSERT INTO item (id, title) SELECT g, 'held' FROM generate_series(0, 14999) AS g")
        time.sleep(0.01)
        # a later, short push commits while the long one is open
        assert apply_remote(
            other.conn, "item", [{"id": 15000, "title": "quick", "sync_version": 1}], relay=True
        ).applied
        first = changes_since(puller.conn, "item", None)
        assert [r["id"] for r in first.rows] == [15000]
        held.commit()
        assert ids(puller, first.cursor) == set(range(15001))
    finally:
        for handle in (held, other, puller):
            handle.conn.close()


def test_the_cursor_never_goes_back_before_since(db: Db) -> None:
    db.run("INSERT INTO item (id, title, last_modified_at) VALUES (1, 'a', '2026-03-01T10:00:00.500Z')")
    since = "2026-03-01T10:00:00.4995Z"
    assert changes_since(db.conn, "item", since).cursor == "2026-03-01T10:00:00.499500Z"
    assert changes_since(db.conn, "item", "2026-03-01T10:00:00.400Z").cursor == "2026-03-01T10:00:00.499Z"


def test_a_transaction_the_pulling_role_cannot_see_keeps_the_cursor_where_it_was(pg_url: str) -> None:
    # the puller is a plain role: pg_stat_activity hides the superuser's open transaction
    role = f"mz_puller_{uuid.uuid4().hex[:12]}"
    held, other = pg_db(pg_url), pg_db(pg_url)
    try:
        create(held, SCHEMA)
        held.run(f'CREATE ROLE "{role}" LOGIN')
        held.run(f'GRANT SELECT ON item, "__mizzle_tombstones" TO "{role}"')
        puller = Db("postgresql", psycopg.connect(make_conninfo(pg_url, user=role), autocommit=True))
        try:
            held.begin()
            held.run("INSERT INTO item (id, title) VALUES (1, 'held')")
            time.sleep(0.01)
            other.run("INSERT INTO item (id, title) VALUES (2, 'quick')")
            first = changes_since(puller.conn, "item", "2026-01-01T00:00:00Z")
            assert [r["id"] for r in first.rows] == [2]
            assert first.cursor == "2026-01-01T00:00:00.000Z"  # nothing known: not moved
            held.commit()
            assert ids(puller, first.cursor) == {1, 2}
        finally:
            puller.conn.close()
    finally:
        other.conn.close()
        held.conn.close()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')
