"""The cursor `changes_since` returns never lets a later pull pass over a committed row, and
no clock takes part in it: every row and tombstone carries the `sync_seq` of its last write
(PostgreSQL: the writing transaction's id; SQLite: the database's write counter), and the
cursor is the xmin of the pull's snapshot (PostgreSQL) or one past the counter (SQLite).
Rows may come again; they are then `unchanged` where they are applied.

PostgreSQL's transaction ids are the server's, not one database's: a transaction open on
any database of the server (another test's) holds its cursors back, and rows come again.
So on PostgreSQL these tests check that rows come, and come again only when allowed to."""

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
from mizzle.sync import SyncError, apply_remote, changes_since
from tests.sync.dbs import Db, create, pg_db


class Item(Table):
    id = integer().primary_key()
    title = text()
    __sync__ = True


SCHEMA = schema_from_classes([Item])
LONG_AGO = "2001-01-01T00:00:00.000Z"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_conn: sqlite3.Connection) -> Iterator[Db]:
    handle = Db("sqlite", sqlite_conn) if request.param == "sqlite" else pg_db(request.getfixturevalue("pg_url"))
    create(handle, SCHEMA)
    yield handle
    if request.param == "postgresql":
        handle.conn.close()


def ids(db: Db, since: str | None) -> set[int]:
    return {int(r["id"]) for r in changes_since(db.conn, "item", since).rows}


def test_a_row_written_after_a_pull_with_a_time_long_before_it_is_pulled(db: Db) -> None:
    # what a clock set back, or a writer giving its own time, does: the time is no cursor
    db.run("INSERT INTO item (id, title) VALUES (1, 'now')")
    cursor = changes_since(db.conn, "item", None).cursor
    db.run("INSERT INTO item (id, title, last_modified_at) VALUES (2, 'long ago', ?)", (LONG_AGO,))
    db.run("UPDATE item SET title = 'again', sync_version = 5, last_modified_at = ? WHERE id = 1", (LONG_AGO,))
    assert ids(db, cursor) == {1, 2}


def test_a_delete_after_a_pull_is_pulled_and_the_cursor_moves_on(db: Db) -> None:
    db.run("INSERT INTO item (id, title) VALUES (1, 'a'), (2, 'b')")
    first = changes_since(db.conn, "item", None)
    assert first.cursor is not None and first.cursor.startswith(("xid:", "seq:"))
    db.run("DELETE FROM item WHERE id = 2")
    second = changes_since(db.conn, "item", first.cursor)
    assert [d.pk for d in second.deletes] == [(2,)]
    assert {r["id"] for r in second.rows} <= {1}  # 1 only again, and on SQLite not at all
    third = changes_since(db.conn, "item", second.cursor)
    assert int(third.cursor.partition(":")[2]) >= int(second.cursor.partition(":")[2])  # type: ignore[union-attr]
    if db.dialect == "sqlite":
        assert (second.rows, third.rows, third.deletes) == ([], [], [])


def test_rows_an_apply_writes_with_tracking_off_are_pulled(db: Db) -> None:
    # the rows a sync writes (not recorded as local changes) still reach this database's next pull
    cursor = changes_since(db.conn, "item", None).cursor
    report = apply_remote(
        db.conn, "item", [{"id": 7, "title": "remote", "sync_version": 3, "last_modified_at": LONG_AGO}]
    )
    assert report.applied == 1
    assert ids(db, cursor) == {7}


@pytest.mark.postgres
@pytest.mark.parametrize("writer", ["relay push", "local insert"])
def test_a_transaction_open_during_a_pull_is_pulled_after_it_commits(pg_url: str, writer: str) -> None:
    held, other, puller = pg_db(pg_url), pg_db(pg_url), pg_db(pg_url)
    try:
        create(held, SCHEMA)
        held.begin()
        if writer == "relay push":
            batch = [{"id": i, "title": "held", "sync_version": 1} for i in range(15000)]
            assert apply_remote(held.conn, "item", batch, relay=True).applied == 15000
        else:
            # a time far before every other: a time cursor would pass these rows over
            held.run(
                "INSERT INTO item (id, title, last_modified_at) "
                "SELECT g, 'held', ? FROM generate_series(0, 14999) AS g",
                (LONG_AGO,),
            )
        time.sleep(0.01)
        # a later, short push commits while the long one is open
        assert apply_remote(
            other.conn, "item", [{"id": 15000, "title": "quick", "sync_version": 1}], relay=True
        ).applied
        first = changes_since(puller.conn, "item", None)
        assert [r["id"] for r in first.rows] == [15000]  # from None: what has committed
        held.commit()
        second = changes_since(puller.conn, "item", first.cursor)
        assert {int(r["id"]) for r in second.rows} == set(range(15001))  # 15000 again: allowed
    finally:
        for handle in (held, other, puller):
            handle.conn.close()


@pytest.mark.postgres
def test_a_transaction_begun_before_a_pull_that_writes_after_it_is_pulled(pg_url: str) -> None:
    held, puller = pg_db(pg_url), pg_db(pg_url)
    try:
        create(held, SCHEMA)
        held.run("INSERT INTO item (id, title) VALUES (1, 'before')")
        held.begin()
        held.query("SELECT 1")  # open, no id yet: it takes one when it writes
        first = changes_since(puller.conn, "item", None)
        held.run("INSERT INTO item (id, title, last_modified_at) VALUES (2, 'late', ?)", (LONG_AGO,))
        held.commit()
        assert 2 in ids(puller, first.cursor)
    finally:
        held.conn.close()
        puller.conn.close()


@pytest.mark.postgres
def test_re_sent_rows_are_unchanged_where_they_are_applied(pg_url: str, sqlite_conn: sqlite3.Connection) -> None:
    server, held = pg_db(pg_url), pg_db(pg_url)
    client = Db("sqlite", sqlite_conn)
    try:
        create(server, SCHEMA)
        create(client, SCHEMA)
        held.begin()
        held.run("INSERT INTO item (id, title) VALUES (3, 'held')")  # an id before the others'
        server.run("INSERT INTO item (id, title) VALUES (1, 'a'), (2, 'b')")
        first = changes_since(server.conn, "item", None)
        assert apply_remote(client.conn, "item", first).applied == 2
        held.commit()
        second = changes_since(server.conn, "item", first.cursor)
        assert {r["id"] for r in second.rows} == {1, 2, 3}  # the open transaction held the cursor back
        report = apply_remote(client.conn, "item", second)
        assert (report.applied, report.unchanged, report.conflicts) == (1, 2, [])
    finally:
        server.conn.close()
        held.conn.close()


@pytest.mark.postgres
def test_a_role_that_cannot_see_other_sessions_still_moves_its_cursor_on(pg_url: str) -> None:
    # the snapshot holds every transaction, whoever runs it: no pg_stat_activity, no grant
    role = f"mz_puller_{uuid.uuid4().hex[:12]}"
    held, other = pg_db(pg_url), pg_db(pg_url)
    try:
        create(held, SCHEMA)
        held.run(f'CREATE ROLE "{role}" LOGIN')
        held.run(f'GRANT SELECT ON item, "__mizzle_tombstones" TO "{role}"')
        puller = Db("postgresql", psycopg.connect(make_conninfo(pg_url, user=role), autocommit=True))
        try:
            other.run("INSERT INTO item (id, title) VALUES (1, 'old')")
            start = changes_since(puller.conn, "item", None).cursor
            held.begin()
            held.run("INSERT INTO item (id, title) VALUES (2, 'held')")
            other.run("INSERT INTO item (id, title) VALUES (3, 'quick')")
            first = changes_since(puller.conn, "item", start)
            assert 3 in {r["id"] for r in first.rows} and 2 not in {r["id"] for r in first.rows}
            held.commit()
            assert {2, 3} <= ids(puller, first.cursor)
        finally:
            puller.conn.close()
    finally:
        other.conn.close()
        held.conn.close()
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP OWNED BY "{role}"')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_a_time_from_an_older_caller_is_still_read_and_answered_with_a_cursor(db: Db) -> None:
    db.run("INSERT INTO item (id, title, last_modified_at) VALUES (1, 'a', '2026-03-01T10:00:00.500Z')")
    changes = changes_since(db.conn, "item", "2026-03-01T10:00:00.400Z")
    assert [r["id"] for r in changes.rows] == [1]
    assert changes.cursor is not None and changes.cursor.startswith("xid:" if db.dialect == "postgresql" else "seq:")
    assert ids(db, changes.cursor) <= ({1} if db.dialect == "postgresql" else set())


def test_a_cursor_of_another_database_or_a_made_up_one_is_refused(db: Db) -> None:
    other = "seq:5" if db.dialect == "postgresql" else "xid:5"
    with pytest.raises(SyncError, match="cursor belongs to the database that returned it"):
        changes_since(db.conn, "item", other)
    for bad in ("xid:-1", "seq:abc", "xid:99999999999999999999"):
        with pytest.raises(SyncError, match="since is not a cursor"):
            changes_since(db.conn, "item", bad)
