"""The sync triggers and the sync API do the same on SQLite and PostgreSQL: one sequence of
inserts, updates, deletes, switches and remote applies runs on both, and what each database
recorded (versions, devices, tombstones, apply reports) is compared equal. Times differ
between the databases, so of them only their order and presence are compared, except the
times a remote change brings, which must be kept exactly."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.core.sync import wire
from mizzle.core.types import t
from mizzle.dialects.postgresql import sync_sql as pg_sync_sql
from mizzle.dialects.sqlite import sync_sql as sqlite_sync_sql
from mizzle.dsl import Table, integer, primary_key, random_uuid, text
from mizzle.dsl import uuid as uuid_column
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import Changes, Tombstone, apply_remote, changes_since, set_device
from tests.sync.dbs import Db, create, pg_db


class Item(Table):
    id = text().primary_key()
    title = text().not_null()
    qty = integer()
    __sync__ = True


class Pair(Table):
    a = integer().not_null()
    b = text().not_null()
    note = text()
    __primary_key__ = primary_key("a", "b")
    __sync__ = True


class Doc(Table):
    id = uuid_column().primary_key().default(random_uuid())
    body = text()
    __sync__ = True


SCHEMA = schema_from_classes([Item, Pair, Doc])
DOC_ID = "6f1c1c52-7d43-4c55-9a57-0c2a7c3e8b11"
# Remote times in the future: later than anything the databases' clocks write in the test.
REMOTE_T1, REMOTE_T2, REMOTE_T3 = "2030-01-02T03:04:05.678Z", "2030-01-02T03:04:06.000Z", "2030-01-02T03:04:07.001Z"
KEYS = {"item": "id", "pair": "a, b", "doc": "id"}


@pytest.fixture
def dbs(pg_url: str, sqlite_conn: sqlite3.Connection) -> Iterator[tuple[Db, Db]]:
    # SQLite in Python's default mode (it opens transactions by itself), PostgreSQL in
    # autocommit: the API must handle both ways a connection is commonly used.
    sqlite, pg = Db("sqlite", sqlite_conn), pg_db(pg_url)
    for db in (sqlite, pg):
        create(db, SCHEMA)
    yield sqlite, pg
    pg.conn.close()


def rows(db: Db, table: str) -> list[tuple[Any, ...]]:
    """(primary key..., sync_version, device_id) of every row, by key."""
    found = db.query(f"SELECT {KEYS[table]}, sync_version, device_id FROM {table} ORDER BY {KEYS[table]}")
    return [tuple(str(v) if isinstance(v, uuid.UUID) else v for v in row) for row in found]


def tombstones(db: Db, table: str) -> list[tuple[Any, ...]]:
    return [(d.pk, d.sync_version, d.device_id) for d in changes_since(db.conn, table, None).deletes]


def modified(db: Db, item: str) -> str:
    [(value,)] = db.query("SELECT last_modified_at FROM item WHERE id = ?", (item,))
    return str(wire.canonical(value, t("timestamptz")))


def state(db: Db) -> dict[str, list[tuple[Any, ...]]]:
    return {
        **{table: rows(db, table) for table in KEYS},
        **{f"{table} tombstones": tombstones(db, table) for table in KEYS},
    }


def failing_rows() -> list[dict[str, Any]]:
    """A good row, then one the table refuses (title is NOT NULL): only that one is rejected."""
    return [{"id": "i8", "title": "eight", "sync_version": 1}, {"id": "i9", "title": None, "sync_version": 1}]


def sequence(db: Db) -> dict[str, Any]:
    """Run the sequence on one database; what it recorded at each step, by step."""
    seen: dict[str, Any] = {}
    run = db.run
    run("INSERT INTO item (id, title) VALUES ('i1', 'one')")
    run("INSERT INTO item (id, title, sync_version) VALUES ('i2', 'two', 5)")
    seen["insert: version 1 by default, an explicit version kept"] = state(db)

    before = modified(db, "i1")
    run("UPDATE item SET title = 'one!' WHERE id = 'i1'")
    run("UPDATE item SET title = 'two!', sync_version = 9 WHERE id = 'i2'")
    seen["update: version bumped; an explicit version kept; no device set"] = state(db)
    seen["update: the time moves on"] = modified(db, "i1") >= before

    set_device(db.conn, "dev-1")
    run("UPDATE item SET qty = 3 WHERE id = 'i1'")
    run("UPDATE item SET title = 'one#', device_id = 'explicit' WHERE id = 'i1'")
    seen["update: the session's device, or an explicit one"] = state(db)

    run("INSERT INTO item (id, title) VALUES ('i3', 'three')")
    run("INSERT INTO item (id, title, device_id) VALUES ('i4', 'four', 'other')")
    run("INSERT INTO item (id, title) VALUES ('i6', 'six')")
    run("INSERT INTO item (id, title) VALUES ('i7', 'seven')")
    run("UPDATE item SET qty = 7 WHERE id = 'i7'")
    run("DELETE FROM item WHERE id = 'i2'")
    run("INSERT INTO pair (a, b) VALUES (1, 'x')")
    run("INSERT INTO pair (a, b) VALUES (2, 'y')")
    run("DELETE FROM pair WHERE a = 1 AND b = 'x'")
    run("INSERT INTO doc (id, body) VALUES (?, 'd')", (DOC_ID,))
    run("DELETE FROM doc WHERE id = ?", (DOC_ID,))
    seen["insert with the session's device; tombstones of text, composite and uuid keys"] = state(db)

    remote = Changes(
        table="item",
        rows=[
            {"id": "i5", "title": "five", "sync_version": 7, "last_modified_at": REMOTE_T1, "device_id": "remote"},
            {"id": "i1", "title": "1", "qty": 1, "sync_version": 10, "last_modified_at": REMOTE_T2, "device_id": "r"},
            # the same data at the same version: unchanged, but the time and device are adopted
            {"id": "i3", "title": "three", "sync_version": 1, "last_modified_at": REMOTE_T3, "device_id": "remote"},
            {"id": "i4", "title": "4", "sync_version": 1, "last_modified_at": REMOTE_T3, "device_id": "remote"},
        ],
        deletes=[
            Tombstone(pk=("i6",), sync_version=1, deleted_at=REMOTE_T1, device_id="remote"),
            Tombstone(pk=("i7",), sync_version=1, deleted_at=REMOTE_T1, device_id="remote"),
            Tombstone(pk=("zz",), sync_version=1, deleted_at=REMOTE_T1, device_id="remote"),
        ],
    )
    report = apply_remote(db.conn, "item", remote)
    seen["apply_remote: its report"] = (
        report.applied,
        report.deleted,
        report.unchanged,
        [(c.pk, c.local_version, c.remote_version, c.reason, c.remote_row is None) for c in report.conflicts],
    )
    seen["apply_remote: no bump, no tombstone"] = state(db)
    seen["apply_remote: the remote times kept"] = [modified(db, i) for i in ("i5", "i1", "i3")]
    seen["apply_remote: the switch is on again"] = db.tracking_is_on()

    run("UPDATE item SET title = 'five!' WHERE id = 'i5'")
    run("DELETE FROM item WHERE id = 'i5'")
    seen["tracked again after apply_remote"] = state(db)

    # The switch itself, as the migration runner uses it: off for the rest of a transaction.
    switch = pg_sync_sql if db.dialect == "postgresql" else sqlite_sync_sql
    db.begin()
    run(switch.TRACKING_OFF)
    run("UPDATE item SET title = 'quiet' WHERE id = 'i3'")
    run("DELETE FROM item WHERE id = 'i4'")
    run(switch.TRACKING_ON)
    db.commit()
    seen["switched off: no bump, no tombstone"] = state(db)

    refused = apply_remote(db.conn, "item", failing_rows())
    reason = refused.rejected[0].reason if refused.rejected else ""
    seen["a refused row: rejected with the reason, the rest applied"] = (
        refused.applied,
        [(r.kind, r.index, r.pk) for r in refused.rejected],
        ("\n" not in reason, "null" in reason.lower()),
    )
    seen["a refused row: the switch is on"] = db.tracking_is_on()
    run("UPDATE item SET qty = 11 WHERE id = 'i1'")
    seen["a refused row: tracking after it"] = state(db)

    # Inside the caller's transaction apply_remote is a savepoint, a refused row one of its own.
    db.begin()
    run("INSERT INTO item (id, title) VALUES ('i10', 'ten')")
    again = apply_remote(db.conn, "item", failing_rows())
    assert (again.unchanged, [r.pk for r in again.rejected]) == (1, [("i9",)])
    eleven = {"id": "i11", "title": "eleven", "sync_version": 4, "last_modified_at": REMOTE_T1, "device_id": "remote"}
    report = apply_remote(db.conn, "item", [eleven])
    run("UPDATE item SET qty = 12 WHERE id = 'i11'")
    db.commit()
    seen["in the caller's transaction: a savepoint, tracking after it"] = (report.applied, state(db))

    db.begin()
    apply_remote(db.conn, "item", [{**eleven, "id": "i12"}])
    db.rollback()
    seen["in the caller's transaction: rolled back with it"] = state(db)
    return seen


def test_one_sequence_records_the_same_on_sqlite_and_postgresql(dbs: tuple[Db, Db]) -> None:
    sqlite, pg = dbs
    on_sqlite = sequence(sqlite)
    assert on_sqlite == sequence(pg)

    # What both recorded, pinned (equal alone would pass if both were wrong alike).
    steps = list(on_sqlite.values())
    assert steps[0]["item"] == [("i1", 1, None), ("i2", 5, None)]
    assert steps[1]["item"] == [("i1", 2, None), ("i2", 9, None)]
    assert steps[2] is True
    assert steps[3]["item"] == [("i1", 4, "explicit"), ("i2", 9, None)]
    recorded = steps[4]
    assert recorded["item"] == [
        ("i1", 4, "explicit"),
        ("i3", 1, "dev-1"),
        ("i4", 1, "other"),
        ("i6", 1, "dev-1"),
        ("i7", 2, "dev-1"),
    ]
    assert recorded["item tombstones"] == [(("i2",), 9, "dev-1")]
    assert (recorded["pair"], recorded["pair tombstones"]) == ([(2, "y", 1, "dev-1")], [((1, "x"), 1, "dev-1")])
    assert (recorded["doc"], recorded["doc tombstones"]) == ([], [((DOC_ID,), 1, "dev-1")])

    applied, deleted, unchanged, conflicts = steps[5]
    assert (applied, deleted, unchanged) == (2, 1, 2)  # i5, i1 | i6 | i3, and zz (not here)
    assert [c[:3] for c in conflicts] == [(("i7",), 2, 1), (("i4",), 1, 1)]
    assert "edited here since" in conflicts[0][3] and conflicts[0][4]
    assert "not newer" in conflicts[1][3] and not conflicts[1][4]
    after = steps[6]
    assert after["item"] == [
        ("i1", 10, "r"),
        ("i3", 1, "remote"),
        ("i4", 1, "other"),
        ("i5", 7, "remote"),
        ("i7", 2, "dev-1"),
    ]
    assert after["item tombstones"] == [(("i2",), 9, "dev-1")]  # none for i6
    assert steps[7] == [REMOTE_T1, REMOTE_T2, REMOTE_T3]
    assert steps[8] is True
    assert steps[9]["item tombstones"] == [(("i2",), 9, "dev-1"), (("i5",), 8, "dev-1")]
    quiet = steps[10]
    assert [r for r in quiet["item"] if r[0] in ("i3", "i4")] == [("i3", 1, "remote")]
    assert quiet["item tombstones"] == steps[9]["item tombstones"]
    assert steps[11:13] == [(1, [("row", 1, ("i9",))], (True, True)), True]
    assert ("i1", 11, "dev-1") in steps[13]["item"] and ("i8", 1, None) in steps[13]["item"]
    one, savepoint = steps[14]
    assert one == 1
    assert sorted(r for r in savepoint["item"] if r[0] in ("i8", "i9", "i10", "i11")) == [
        ("i10", 1, "dev-1"),
        ("i11", 5, "dev-1"),
        ("i8", 1, None),
    ]
    assert steps[15] == savepoint


def test_a_device_set_on_sqlite_stays_with_the_database_file(tmp_path: Path) -> None:
    path = tmp_path / "device.db"
    first = Db("sqlite", sqlite3.connect(path, isolation_level=None))
    create(first, SCHEMA)
    set_device(first.conn, "laptop")
    first.conn.close()
    again = Db("sqlite", sqlite3.connect(path))  # Python's default mode this time
    try:
        again.run("INSERT INTO item (id, title) VALUES ('k', 'v')")
        assert rows(again, "item") == [("k", 1, "laptop")]
        set_device(again.conn, None)
        again.run("DELETE FROM item")
        assert tombstones(again, "item") == [(("k",), 1, None)]
    finally:
        again.conn.close()


def test_a_device_set_on_postgresql_is_the_sessions_only(pg_url: str) -> None:
    # set_device commits its setting even on a connection that is not in autocommit mode
    first = Db("postgresql", psycopg.connect(pg_url))
    second = pg_db(pg_url)
    try:
        create(first, SCHEMA)
        set_device(first.conn, "server-1")
        first.run("INSERT INTO item (id, title) VALUES ('a', 'x')")
        first.commit()
        second.run("INSERT INTO item (id, title) VALUES ('b', 'y')")
        assert rows(second, "item") == [("a", 1, "server-1"), ("b", 1, None)]
    finally:
        first.conn.close()
        second.conn.close()
