"""apply_remote never changes a value to make it fit: a value its column cannot hold as it is,
on either database, is that row's rejection with the reason, and the rest of the batch
applies. Every failure is a SyncError line, never a driver's OverflowError,
UnicodeEncodeError or TypeError. Two devices inserting the same new key at once: the second
one's row is a conflict, its other rows apply."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mizzle.dsl import Table, double, integer, jsonb, numeric, text, varchar
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import Changes, SyncError, Tombstone, apply_remote, changes_since, set_device
from tests.sync.dbs import Db, create, pg_db


class Thing(Table):
    id = varchar(8).primary_key()
    label = varchar(5)
    count = integer()
    amount = numeric(6, 2)
    body = text()
    doc = jsonb()
    ratio = double()
    __sync__ = True


SCHEMA = schema_from_classes([Thing])
GOOD = [
    {"id": f"g{i}", "label": "ok", "count": i, "amount": "12.50", "body": "b", "doc": {"n": i}, "sync_version": 1}
    for i in range(20)
]

#: (column, a value some database holds but the column cannot hold unchanged, the reason)
BAD: list[tuple[str, Any, str]] = [
    ("label", "toolong", "7 characters do not fit varchar(5)"),
    ("id", "a-too-long-key", "14 characters do not fit varchar(8)"),
    ("count", 2**31, "2147483648 is out of range for integer (32-bit)"),
    ("count", -(2**31) - 1, "is out of range for integer"),
    ("count", 2**64, "is out of range for integer"),
    ("amount", "12345.67", "too large for numeric(6, 2)"),
    ("amount", "1.234", "has more than 2 decimals"),
    ("amount", "Infinity", "Infinity cannot be held by numeric(6, 2)"),
    ("amount", "NaN", "NaN cannot be held"),
    ("body", "a\x00b", "NUL character"),
    ("body", json.loads('"\\ud800"'), "lone surrogate (U+D800)"),
    ("doc", {"x": json.loads('"\\udc00"')}, "lone surrogate (U+DC00)"),
    ("doc", {"x": "a\x00"}, "NUL character"),
    ("doc", {"x": float("inf")}, "inf cannot be held by JSON"),
    ("doc", {"x": {1, 2}}, "a set is not a JSON value"),
    ("ratio", float("nan"), "NaN cannot be held"),
    ("ratio", 10**400, "not a number"),
    ("last_modified_at", "2026-03-01T10:00:00.123456Z", "more fractional digits than timestamptz(3) holds"),
    ("sync_version", 2**31, "out of range for integer"),
    ("sync_version", "2", "sync_version must be an integer"),
    ("count", "many", "not an integer"),
    ("count", [1], "not an integer"),
    ("label", {"a": 1}, "not text"),
    ("id", None, 'has no "id"'),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_conn: sqlite3.Connection) -> Iterator[Db]:
    handle = Db("sqlite", sqlite_conn) if request.param == "sqlite" else pg_db(request.getfixturevalue("pg_url"))
    create(handle, SCHEMA)
    yield handle
    if request.param == "postgresql":
        handle.conn.close()


def stored(db: Db) -> list[dict[str, Any]]:
    rows = changes_since(db.conn, "thing", None).rows
    return [{k: r[k] for k in GOOD[0]} for r in sorted(rows, key=lambda r: int(r["id"][1:]))]


@pytest.mark.parametrize(("column", "value", "says"), BAD, ids=[f"{c}-{v!r:.20}" for c, v, _ in BAD])
@pytest.mark.parametrize("relay", [False, True])
def test_a_value_the_column_cannot_hold_is_that_rows_rejection_and_the_rest_applies(
    db: Db, column: str, value: Any, says: str, relay: bool
) -> None:
    bad = {**GOOD[0], "id": "bad", column: value}
    batch = [*GOOD[:10], bad, *GOOD[10:]]
    report = apply_remote(db.conn, "thing", batch, relay=relay)
    assert report.applied == 20 and not report.conflicts
    [rejection] = report.rejected
    assert (rejection.kind, rejection.index) == ("row", 10)
    assert rejection.pk == ((value,) if column == "id" else ("bad",))
    assert says in rejection.reason and "\n" not in rejection.reason
    # nothing changed to fit: the bad row is not there in any form, the good ones exactly
    assert stored(db) == GOOD


def test_rows_sqlite_holds_are_rejected_by_postgresql_with_reasons_nothing_truncated(
    sqlite_conn: sqlite3.Connection, pg_url: str
) -> None:
    device, server = Db("sqlite", sqlite_conn), pg_db(pg_url)
    try:
        create(device, SCHEMA)
        create(server, SCHEMA)
        for row in GOOD:
            device.run(
                "INSERT INTO thing (id, label, count, amount, body, doc) VALUES (?, ?, ?, ?, ?, ?)",
                (row["id"], row["label"], row["count"], row["amount"], row["body"], json.dumps(row["doc"])),
            )
        # what SQLite keeps without a word, each of which PostgreSQL refuses or would change
        device.run("INSERT INTO thing (id, label) VALUES ('long', 'six chars')")
        device.run("INSERT INTO thing (id) VALUES ('a-key-over-8')")
        device.run("INSERT INTO thing (id, count) VALUES ('big', 4294967296)")
        device.run("INSERT INTO thing (id, amount) VALUES ('wide', 123456.5)")
        device.run("INSERT INTO thing (id, amount) VALUES ('round', 1.005)")
        device.run("INSERT INTO thing (id, body) VALUES ('nul', 'a' || char(0) || 'b')")
        device.run("INSERT INTO thing (id, sync_version) VALUES ('version', 2147483648)")
        device.run("INSERT INTO thing (id, doc) VALUES ('inf', '{\"x\": Infinity}')")
        # through JSON, as a push travels
        payload = json.dumps(changes_since(device.conn, "thing", None).to_dict())
        report = apply_remote(server.conn, "thing", Changes.from_dict(json.loads(payload)), relay=True)
        assert report.applied == 20
        assert sorted(r.pk[0] for r in report.rejected if r.pk) == sorted(
            ["long", "a-key-over-8", "big", "wide", "round", "nul", "version", "inf"]
        )
        assert all(r.reason for r in report.rejected)
        assert stored(server) == GOOD
        assert server.query("SELECT count(*) FROM thing") == [(20,)]
    finally:
        server.conn.close()


def test_a_refused_row_is_rejected_with_the_databases_reason(db: Db) -> None:
    # nothing in the value says it: the database refuses the row (a unique index the table
    # has), and the savepoint per row keeps the others
    db.run("CREATE UNIQUE INDEX thing_count ON thing (count)")
    dupe = [{**GOOD[1], "id": "dupe", "count": GOOD[0]["count"]}]
    report = apply_remote(db.conn, "thing", [GOOD[0], *dupe, *GOOD[1:]])
    assert report.applied == 20
    [rejection] = report.rejected
    assert rejection.pk == ("dupe",) and rejection.index == 1
    assert "unique" in rejection.reason.lower() and rejection.reason.startswith("the database refused it: ")


def test_deletes_that_do_not_fit_are_rejected_and_the_others_apply(db: Db) -> None:
    apply_remote(db.conn, "thing", GOOD)
    deletes = [
        Tombstone(pk=("g1",), sync_version=1, deleted_at="2026-01-01T00:00:00Z"),
        Tombstone(pk=("g2",), sync_version=2**31, deleted_at="2026-01-01T00:00:00Z"),
        Tombstone(pk=("far-too-long",), sync_version=1, deleted_at="2026-01-01T00:00:00Z"),
        Tombstone(pk=("g3",), sync_version=1, deleted_at="2026-01-01T00:00:00Z", device_id=json.loads('"\\ud800"')),
    ]
    report = apply_remote(db.conn, "thing", Changes("thing", deletes=deletes), relay=True)
    assert report.deleted == 1
    assert [(r.kind, r.index) for r in report.rejected] == [("delete", 1), ("delete", 2), ("delete", 3)]
    assert "out of range for integer" in report.rejected[0].reason
    assert "do not fit varchar(8)" in report.rejected[1].reason
    assert "lone surrogate" in report.rejected[2].reason


def _waiting_for_a_lock(watch: Db, pid: int) -> bool:
    [(waiting,)] = watch.query("SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = ?", (pid,))
    return bool(waiting)


def test_two_devices_inserting_the_same_new_key_is_a_conflict_of_that_row_only(pg_url: str) -> None:
    first, second, watch = pg_db(pg_url), pg_db(pg_url), pg_db(pg_url)
    try:
        create(first, SCHEMA)
        new = {"id": "same", "label": "mine", "sync_version": 1, "device_id": "phone"}
        theirs = {**new, "label": "yours", "device_id": "laptop"}
        others = [{"id": f"o{i}", "label": "x", "sync_version": 1, "device_id": "laptop"} for i in range(500)]
        # the first device's push holds its transaction open with the new key inserted...
        first.begin()
        assert apply_remote(first.conn, "thing", [new], relay=True).applied == 1
        # ...while the second device's push of the same key (and 500 others) runs
        result: dict[str, Any] = {}

        def push() -> None:
            try:
                result["report"] = apply_remote(
                    second.conn, "thing", [*others[:250], theirs, *others[250:]], relay=True
                )
            except Exception as err:  # kept for the assertion below, with its type
                result["error"] = err

        pusher = threading.Thread(target=push)
        pusher.start()
        pid = second.conn.info.backend_pid
        deadline = time.monotonic() + 10
        while not _waiting_for_a_lock(watch, pid):  # blocked on the key the first one holds
            assert time.monotonic() < deadline and pusher.is_alive(), result
            time.sleep(0.02)
        first.commit()
        pusher.join(10)
        assert "error" not in result, result.get("error")
        report = result["report"]
        assert (report.applied, report.rejected) == (500, [])
        [conflict] = report.conflicts
        assert conflict.pk == ("same",) and conflict.local_row and conflict.local_row["label"] == "mine"
        assert watch.query("SELECT count(*), max(label) FILTER (WHERE id = 'same') FROM thing") == [(501, "mine")]
    finally:
        for handle in (first, second, watch):
            handle.conn.close()


def test_the_driver_never_sees_a_value_it_cannot_send(db: Db) -> None:
    # what used to escape as OverflowError / UnicodeEncodeError / TypeError
    rows = [
        {**GOOD[0], "id": "o", "count": 2**70},
        {**GOOD[0], "id": "u", "body": json.loads('"x\\udfff"')},
        {**GOOD[0], "id": "t", "doc": object()},
    ]
    report = apply_remote(db.conn, "thing", rows)
    assert report.applied == 0
    assert [(r.pk, r.reason.split(": ")[-1]) for r in report.rejected] == [
        (("o",), "1180591620717411303424 is out of range for integer (32-bit)"),
        (("u",), "text with a lone surrogate (U+DFFF) is not valid Unicode"),
        (("t",), "a object is not a JSON value"),
    ]


def test_a_stored_value_not_of_its_type_is_a_sync_error_line(sqlite_conn: sqlite3.Connection) -> None:
    device = Db("sqlite", sqlite_conn)
    create(device, SCHEMA)
    device.run("INSERT INTO thing (id, count) VALUES ('x', 'many')")  # SQLite keeps the text
    with pytest.raises(SyncError, match=r'^a stored value of "thing", column "count", is not of its type: not an'):
        changes_since(device.conn, "thing", None)


@pytest.mark.parametrize(("device", "says"), [("a\x00b", "NUL character"), (json.loads('"\\ud83d"'), "lone surrogate")])
def test_a_device_id_the_other_database_cannot_hold_is_refused(db: Db, device: str, says: str) -> None:
    with pytest.raises(SyncError, match=f"^device_id: .*{says}"):
        set_device(db.conn, device)
