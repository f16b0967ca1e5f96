"""changes_since: the wire form of every type, the same from both databases; time and
version cursors; the cursor read through the index on sync_seq (EXPLAIN)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from mizzle.core.sync import wire
from mizzle.core.sync.api import sync_table
from mizzle.core.sync.database import Since
from mizzle.core.types import t
from mizzle.dsl import (
    Enum,
    Table,
    bigint,
    boolean,
    bytea,
    char,
    custom,
    date,
    double,
    integer,
    jsonb,
    numeric,
    real,
    smallint,
    text,
    time,
    timestamp,
    timestamptz,
    uuid,
    varchar,
)
from mizzle.dsl import json as json_column
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import adapter, apply_remote, changes_since
from tests.sync.dbs import Db, create, pg_db

Mood = Enum("mood", ["calm", "wild"])


class Kinds(Table):
    id = uuid().primary_key()
    small = smallint()
    whole = integer()
    big = bigint()
    ok = boolean()
    label = varchar(10)
    code = char(5)
    body = text()
    amount = numeric(10, 2)
    ratio = numeric()
    score = real()
    weight = double()
    day = date()
    at = time()
    stamp = timestamp()
    moment = timestamptz()
    doc = json_column()
    docb = jsonb()
    blob = bytea()
    mood = Mood.column()
    moods = Mood.column().array()
    tags = text().array()
    grid = integer().array(2)
    prices = numeric(6, 2).array()
    span = custom("interval")
    __sync__ = True


class Item(Table):
    id = integer().primary_key()
    title = text()
    __sync__ = True


SCHEMA = schema_from_classes([Kinds, Item], [Mood])
ROW_ID = "C0FFEE00-0000-4000-8000-0000000000AB"  # upper case: the wire form is lower case

#: One row as PostgreSQL takes it (SQL literals), and its wire form.
PG_VALUES = {
    "id": f"'{ROW_ID}'",
    "small": "-3",
    "whole": "7",
    "big": "9000000000",
    "ok": "true",
    "label": "'hi'",
    "code": "'ab'",
    "body": "'ünïcode ✓'",
    "amount": "12.5",
    "ratio": "1.2500",
    "score": "1.5",
    "weight": "0.1",
    "day": "'2026-02-03'",
    "at": "'04:05:06.5'",
    "stamp": "'2026-02-03 04:05:06.123456'",
    "moment": "'2026-02-03 04:05:06.789+02'",
    "doc": """'{"a": [1, 2.5, null], "b": "x"}'""",
    "docb": """'{"k": true}'""",
    "blob": "'\\x00ff'::bytea",
    "mood": "'wild'",
    "moods": "'{calm,wild}'",
    "tags": """'{"a b",NULL}'""",
    "grid": "'{{1,2},{3,4}}'",
    "prices": "'{1.5,NULL}'",
    "span": "'1 day 02:00:00'",
}
WIRE = {
    "id": ROW_ID.lower(),
    "small": -3,
    "whole": 7,
    "big": 9000000000,
    "ok": True,
    "label": "hi",
    "code": "ab",
    "body": "ünïcode ✓",
    "amount": "12.50",
    "ratio": "1.25",
    "score": 1.5,
    "weight": 0.1,
    "day": "2026-02-03",
    "at": "04:05:06.500",
    "stamp": "2026-02-03T04:05:06.123456",
    "moment": "2026-02-03T02:05:06.789Z",
    "doc": {"a": [1, 2.5, None], "b": "x"},
    "docb": {"k": True},
    "blob": "AP8=",
    "mood": "wild",
    "moods": ["calm", "wild"],
    "tags": ["a b", None],
    "grid": [[1, 2], [3, 4]],
    "prices": ["1.50", None],
    "span": "1 day 02:00:00",
    "sync_version": 1,
    "device_id": None,
}


@pytest.fixture
def dbs(pg_url: str, sqlite_conn: sqlite3.Connection) -> Iterator[tuple[Db, Db]]:
    sqlite, pg = Db("sqlite", sqlite_conn), pg_db(pg_url)
    for db in (sqlite, pg):
        create(db, SCHEMA)
    yield sqlite, pg
    pg.conn.close()


def test_every_type_has_one_wire_form_whichever_database_holds_it(dbs: tuple[Db, Db]) -> None:
    sqlite, pg = dbs
    pg.run(f"INSERT INTO kinds ({', '.join(PG_VALUES)}) VALUES ({', '.join(PG_VALUES.values())})")
    from_pg = changes_since(pg.conn, "kinds", None)
    [row] = from_pg.to_dict()["rows"]
    assert {k: v for k, v in row.items() if k != "last_modified_at"} == WIRE
    assert from_pg.cursor is not None and from_pg.cursor.startswith("xid:")  # PostgreSQL's own kind
    assert json.loads(json.dumps(from_pg.to_dict())) == from_pg.to_dict()

    assert apply_remote(sqlite.conn, "kinds", from_pg).applied == 1
    on_sqlite = changes_since(sqlite.conn, "kinds", None)
    assert on_sqlite.to_dict() == {**from_pg.to_dict(), "cursor": on_sqlite.cursor}
    # as SQLite stores them: 0/1, JSON text, the numeric as a number, times as ISO text
    [stored] = sqlite.query("SELECT ok, docb, tags, prices, amount, moment, blob FROM kinds")
    assert stored == (1, '{"k":true}', '["a b",null]', "[1.50,null]", 12.5, "2026-02-03T02:05:06.789Z", b"\x00\xff")

    # and back: an update made on SQLite reaches PostgreSQL as the same values
    sqlite.run("UPDATE kinds SET amount = 3, tags = '[\"z\"]', grid = '[[5]]', ok = 0, code = 'cd'")
    changed = changes_since(sqlite.conn, "kinds", on_sqlite.cursor)
    assert apply_remote(pg.conn, "kinds", changed).applied == 1
    assert changes_since(pg.conn, "kinds", None).rows == changes_since(sqlite.conn, "kinds", None).rows
    [back] = changes_since(pg.conn, "kinds", None).rows
    assert (back["amount"], back["tags"], back["grid"], back["ok"], back["code"], back["sync_version"]) == (
        "3.00",
        ["z"],
        [[5]],
        False,
        "cd",
        2,
    )


def fill(db: Db, rows: int) -> None:
    """`rows` items, one second apart from 2026-01-01 00:00:01 UTC (explicit times are kept)."""
    if db.dialect == "postgresql":
        db.run(
            "INSERT INTO item (id, title, last_modified_at) SELECT g, 't' || g, "
            "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, ?) AS g",
            (rows,),
        )
        db.run("ANALYZE item")
    else:
        db.run(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO item (id, title, last_modified_at) "
            "SELECT i, 't' || i, strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' seconds') FROM n",
            (rows,),
        )
        db.run("ANALYZE")


START = datetime(2026, 1, 1, tzinfo=UTC)
KIND = {"postgresql": "xid:", "sqlite": "seq:"}


@pytest.mark.parametrize(
    ("since", "ids"),
    [
        (None, list(range(1, 31))),
        (START + timedelta(seconds=27), [28, 29, 30]),
        (START + timedelta(seconds=27, microseconds=999), [28, 29, 30]),
        ("2026-01-01T00:00:27.000Z", [28, 29, 30]),
        ("2026-01-01T02:00:28+02:00", [29, 30]),
        (datetime(2026, 1, 1, 3, 0, 30, tzinfo=timezone(timedelta(hours=3))), []),
        ("2027-01-01T00:00:00.000123Z", []),
        (0, [*range(1, 5), *range(6, 31), 5]),
        (1, [5]),
        (2, []),
    ],
)
def test_time_and_version_cursors(dbs: tuple[Db, Db], since: Any, ids: list[int]) -> None:
    # times (from older callers) and versions still select as they did; the cursor returned
    # is the database's own commit-ordered one either way
    for db in dbs:
        fill(db, 30)
        if isinstance(since, int):  # a version cursor: one row at version 2, at a later time
            # an update that sets the version keeps the time it sets (a bump would take the clock's)
            db.run(
                "UPDATE item SET title = 'again', sync_version = 2, last_modified_at = ? WHERE id = 5",
                ("2026-01-01T00:00:40.000Z",),
            )
        changes = changes_since(db.conn, "item", since)
        assert [r["id"] for r in changes.rows] == ids, db.dialect
        assert changes.cursor is not None and changes.cursor.startswith(KIND[db.dialect]), db.dialect


def test_deletes_come_with_time_and_version_cursors(dbs: tuple[Db, Db]) -> None:
    for db in dbs:
        fill(db, 3)
        db.run("DELETE FROM item WHERE id = 2")
        db.run("UPDATE item SET title = 'x' WHERE id = 3")
        db.run("DELETE FROM item WHERE id = 3")
        everything = changes_since(db.conn, "item", None)
        assert [(d.pk, d.sync_version) for d in everything.deletes] == [((2,), 1), ((3,), 2)]
        assert [d.pk for d in changes_since(db.conn, "item", 1).deletes] == [(3,)]
        db.run("DELETE FROM item WHERE id = 1")
        later = changes_since(db.conn, "item", everything.cursor).deletes
        # the new one; on PostgreSQL the others may come again (see test_cursor.py), never on SQLite
        assert (1,) in [d.pk for d in later]
        assert db.dialect == "postgresql" or [d.pk for d in later] == [(1,)]


def plan(db: Db, query: str, param: Any) -> str:
    if db.dialect == "postgresql":
        return "\n".join(str(r[0]) for r in db.query("EXPLAIN " + query.replace("%s", "?"), (param,)))
    return "\n".join(str(r[3]) for r in db.query("EXPLAIN QUERY PLAN " + query, (param,)))


def test_the_cursor_reads_through_the_index_on_sync_seq(dbs: tuple[Db, Db]) -> None:
    for db in dbs:
        fill(db, 5000)
        cursor = changes_since(db.conn, "item", None).cursor
        assert cursor is not None
        db.run("UPDATE item SET title = 'new' WHERE id > 4990")
        db.run("ANALYZE item" if db.dialect == "postgresql" else "ANALYZE")
        sync_db = adapter(db.conn)
        # the latest writes' own number (a cursor on a busy server can be further back)
        [(seq,)] = db.query("SELECT max(sync_seq) FROM item")
        query, params = sync_db.rows_query(sync_table(sync_db, "item"), Since(seq=seq))  # type: ignore[attr-defined]
        assert 'WHERE "sync_seq" >= ' in query and query.endswith('ORDER BY "last_modified_at", "id"')
        explained = plan(db, query, params[0])
        assert "item_sync_seq_idx" in explained, explained
        if db.dialect == "postgresql":
            assert "Seq Scan" not in explained, explained
        else:
            assert "SEARCH item USING INDEX item_sync_seq_idx (sync_seq>?)" in explained
        assert len(changes_since(db.conn, "item", cursor).rows) >= 10


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("2026-01-02T03:04:05Z", "timestamptz", "2026-01-02T03:04:05.000Z"),
        ("2026-01-02 03:04:05.1234+01:00", "timestamptz", "2026-01-02T02:04:05.123400Z"),
        ("2026-01-02T03:04:05.120", "timestamptz", "2026-01-02T03:04:05.120Z"),  # no offset: UTC
        (datetime(2026, 1, 2, 3, 4, 5, 6000), "timestamp", "2026-01-02T03:04:05.006"),
        ("12.5", "numeric", "12.5"),
        (12.0, "numeric", "12"),
        ("1E+3", "numeric", "1000"),
        ("0.000100", "numeric", "0.0001"),
        ("NaN", "numeric", "NaN"),
        (1, "boolean", True),
        ("ab   ", "char", "ab"),
        (b"\x01", "bytes", b"\x01"),
        ("AQ==", "bytes", b"\x01"),
        ("7", "bigint", 7),
        (7.0, "integer", 7),
    ],
)
def test_canonical_wire_values(value: Any, kind: str, expected: Any) -> None:
    assert wire.canonical(value, t(kind)) == expected


@pytest.mark.parametrize(
    ("value", "kind", "says"),
    [
        ("soon", "timestamptz", "not an ISO-8601 time: 'soon'"),
        ("2026-01-02T03:04:05Z", "timestamp", "has no offset"),
        ("x", "numeric", "not a number"),
        (2, "boolean", "not a boolean"),
        (True, "integer", "not an integer"),
        (1.5, "integer", "not an integer"),
        ("!!", "bytes", "not bytes"),
        ("abc", "uuid", "not a uuid"),
        ({"a": 1}, "text", "not text"),
    ],
)
def test_values_that_are_not_of_their_type_say_so(value: Any, kind: str, says: str) -> None:
    with pytest.raises(wire.WireError, match=says):
        wire.canonical(value, t(kind))


def test_numeric_scale_and_arrays_follow_the_column_type() -> None:
    assert wire.canonical(12.5, t("numeric", precision=10, scale=2)) == "12.50"
    assert wire.canonical([[1, None]], t("numeric", precision=4, scale=1, array_dims=2)) == [["1.0", None]]
    with pytest.raises(wire.WireError, match="not an array"):
        wire.canonical("x", t("text", array_dims=1))
