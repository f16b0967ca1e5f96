"""What the sync API refuses, on both databases: one MizzleError line that says why, and
nothing written."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from mizzle.core.errors import MizzleError
from mizzle.dsl import Table, integer, text, uuid
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import Changes, SyncError, Tombstone, apply_remote, changes_since, set_device
from tests.sync.dbs import Db, create, pg_db


class Note(Table):
    id = uuid().primary_key()
    title = text().not_null()
    __sync__ = True


class Plain(Table):
    id = integer().primary_key()
    title = text()


SCHEMA = schema_from_classes([Note, Plain])
NOTE = "0b7c1c52-7d43-4c55-9a57-0c2a7c3e8b11"


# pg_url is asked for only by the PostgreSQL case, so that one is marked `postgres` by hand
@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_conn: sqlite3.Connection) -> Iterator[Db]:
    handle = Db("sqlite", sqlite_conn) if request.param == "sqlite" else pg_db(request.getfixturevalue("pg_url"))
    create(handle, SCHEMA)
    yield handle
    if request.param == "postgresql":
        handle.conn.close()


def refused(call: Any, *args: Any, **kwargs: Any) -> str:
    """The one line the call failed with."""
    with pytest.raises(MizzleError) as failed:
        call(*args, **kwargs)
    message = str(failed.value)
    assert "\n" not in message and message
    return message


def test_unknown_and_non_sync_tables_are_named(db: Db) -> None:
    assert refused(changes_since, db.conn, "nope", None) == 'no table "nope" in this database'
    assert refused(apply_remote, db.conn, "plain", [{"id": 1, "sync_version": 1}]) == (
        'table "plain" is not a sync table: it lacks the columns "sync_version", "last_modified_at", "device_id", '
        '"sync_seq" '
        "and its sync triggers (declare it with __sync__ = True and migrate)"
    )
    assert "is not a sync table" in refused(changes_since, db.conn, "plain", None)
    assert db.query("SELECT count(*) FROM plain") == [(0,)]


@pytest.mark.parametrize(
    ("since", "says"),
    [
        (datetime(2026, 1, 1), "since has no time zone"),
        ("2026-01-01T00:00:00", "since has no time zone"),
        ("yesterday", "since is neither a cursor nor an ISO-8601 time: 'yesterday'"),
        (-1, "since as a version must be 0 or more, not -1"),
        (1.5, "not float"),
        (True, "not bool"),
    ],
)
def test_a_bad_since_is_refused(db: Db, since: Any, says: str) -> None:
    assert says in refused(changes_since, db.conn, "note", since)


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        ([{"id": NOTE, "title": "t", "sync_version": 1, "colour": "red"}], 'column "colour", which table "note"'),
        ([{"id": NOTE, "title": "t"}], 'a remote row of "note" has no "sync_version"'),
        ([{"title": "t", "sync_version": 1}], 'a remote row of "note" has no "id"'),
        ([{"id": "not-a-uuid", "title": "t", "sync_version": 1}], "column \"id\": not a uuid: 'not-a-uuid'"),
        ([{"id": NOTE, "title": "t", "sync_version": "2"}], "sync_version must be an integer"),
        ([{"id": NOTE, "title": "t", "sync_version": 1, "last_modified_at": "soon"}], "not an ISO-8601 time"),
    ],
)
def test_rows_that_do_not_fit_the_table_are_rejected_and_the_rest_applies(
    db: Db, rows: list[dict[str, Any]], says: str
) -> None:
    good = {"id": "1b7c1c52-7d43-4c55-9a57-0c2a7c3e8b11", "title": "fine", "sync_version": 1}
    report = apply_remote(db.conn, "note", [good, *rows])
    assert report.applied == 1
    [rejection] = report.rejected
    assert (rejection.kind, rejection.index) == ("row", 1)
    assert says in rejection.reason and "\n" not in rejection.reason
    assert db.query("SELECT count(*) FROM note") == [(1,)]


def test_changes_of_another_table_and_bad_deletes_are_refused(db: Db) -> None:
    assert "changes of table" in refused(apply_remote, db.conn, "note", Changes(table="plain"))
    short = Changes(table="note", deletes=[Tombstone(pk=(NOTE, 2), sync_version=1, deleted_at="2026-01-01T00:00:00Z")])
    [rejection] = apply_remote(db.conn, "note", short).rejected
    assert (rejection.kind, rejection.index, rejection.pk) == ("delete", 0, (NOTE, 2))
    assert "has 2 key values, the primary key has 1" in rejection.reason
    assert "must be a Changes or a list of rows, not str" in refused(apply_remote, db.conn, "note", "rows")


@pytest.mark.parametrize(
    "data",
    [
        {"rows": [], "deletes": []},
        {"table": "note", "rows": "no", "deletes": []},
        {"table": "note", "rows": [], "deletes": [{"pk": "x", "sync_version": 1, "deleted_at": "t"}]},
        {"table": "note", "rows": [], "deletes": [], "cursor": 5},
    ],
)
def test_from_dict_refuses_what_is_not_a_changes_object(data: dict[str, Any]) -> None:
    with pytest.raises(SyncError, match=r"^not a changes object: "):
        Changes.from_dict(data)


def test_what_is_not_a_connection_or_a_device_is_refused(db: Db) -> None:
    assert "expected a sqlite3.Connection or a psycopg.Connection, not str" in refused(changes_since, "db", "note", 0)
    assert "device_id must be text or None, not int" in refused(set_device, db.conn, 7)


def test_set_device_on_a_sqlite_database_without_sync_tables_is_refused(tmp_path: Any) -> None:
    conn = sqlite3.connect(tmp_path / "empty.db")
    try:
        assert "has no sync tables" in refused(set_device, conn, "laptop")
    finally:
        conn.close()
