"""apply_remote writes the updates of a batch together (a statement per set of columns on
PostgreSQL: `UPDATE ... FROM (VALUES ...)`), with the same outcome as one statement per row:
every newer row written with its values and types, a key that comes twice written in order,
a refusal still the one row's rejection."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from mizzle.dsl import Table, check, integer, jsonb, numeric, text, varchar
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import apply_remote, changes_since
from tests.sync.dbs import Db, create, pg_db


class Item(Table):
    id = varchar(8).primary_key()
    label = text().not_null()
    count = integer()
    amount = numeric(6, 2)
    doc = jsonb()
    tags = text().array()
    __sync__ = True
    __checks__ = (check("count IS NULL OR count >= 0"),)


SCHEMA = schema_from_classes([Item])
N = 300


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_conn: sqlite3.Connection) -> Iterator[Db]:
    handle = Db("sqlite", sqlite_conn) if request.param == "sqlite" else pg_db(request.getfixturevalue("pg_url"))
    create(handle, SCHEMA)
    first = [
        {"id": f"i{i}", "label": "old", "count": i, "amount": "1.00", "doc": {"n": i}, "tags": ["a"], "sync_version": 1}
        for i in range(N)
    ]
    assert apply_remote(handle.conn, "item", first).applied == N
    yield handle
    if request.param == "postgresql":
        handle.conn.close()


def stored(db: Db) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in changes_since(db.conn, "item", None).rows}


def test_a_batch_of_updates_writes_every_row_with_its_values(db: Db) -> None:
    newer = [
        {
            "id": f"i{i}",
            "label": f"new {i}",
            "count": i * 2,
            "amount": "12.50",
            "doc": {"n": [i]},
            "tags": ["b", "c"],
            "sync_version": 2,
        }
        for i in range(N)
    ]
    # a second set of columns: these rows give only the label (the others keep theirs)
    partial = [{"id": f"i{i}", "label": "partial", "sync_version": 3} for i in range(0, N, 10)]
    # keys that come once with a third set of columns (label and count): written together too
    fewer = [{"id": f"i{i}", "label": "fewer", "count": 99, "sync_version": 2} for i in range(5, N, 10)]
    newer = [r for r in newer if int(r["id"][1:]) % 10 != 5]
    report = apply_remote(db.conn, "item", newer + partial + fewer)
    assert (report.applied, report.conflicts, report.rejected) == (N + N // 10, [], [])
    rows = stored(db)
    for i in range(N):
        row = rows[f"i{i}"]
        if i % 10 == 5:
            assert (row["label"], row["count"], row["amount"], row["doc"]) == ("fewer", 99, "1.00", {"n": i})
            continue
        assert row["label"] == ("partial" if i % 10 == 0 else f"new {i}")
        assert (row["count"], row["amount"], row["doc"], row["tags"]) == (i * 2, "12.50", {"n": [i]}, ["b", "c"])
        assert row["sync_version"] == (3 if i % 10 == 0 else 2)


def test_a_key_that_comes_twice_is_written_in_order(db: Db) -> None:
    report = apply_remote(
        db.conn,
        "item",
        [
            {"id": "i1", "label": "second", "sync_version": 2},
            {"id": "i2", "label": "other", "sync_version": 2},
            {"id": "i1", "label": "third", "sync_version": 3},
        ],
    )
    assert (report.applied, report.conflicts) == (3, [])
    rows = stored(db)
    assert (rows["i1"]["label"], rows["i1"]["sync_version"], rows["i2"]["label"]) == ("third", 3, "other")


def test_a_refused_update_is_that_rows_rejection_and_the_others_apply(db: Db) -> None:
    report = apply_remote(
        db.conn,
        "item",
        [{"id": f"i{i}", "label": "x", "count": -1 if i == 5 else 7, "sync_version": 2} for i in range(10)],
    )
    assert report.applied == 9
    [rejection] = report.rejected
    assert (rejection.index, rejection.pk) == (5, ("i5",))
    assert "the database refused it" in rejection.reason
    rows = stored(db)
    assert [rows[f"i{i}"]["count"] for i in range(10)] == [7, 7, 7, 7, 7, 5, 7, 7, 7, 7]


@pytest.mark.parametrize("server_time", [True, False])
def test_a_relay_keeps_the_rows_times_only_when_told(db: Db, server_time: bool) -> None:
    written = "2026-01-02T03:04:05.678Z"
    rows = [{"id": "i1", "label": "edited", "sync_version": 2, "last_modified_at": written}]
    rows.append({"id": "new", "label": "new", "sync_version": 1, "last_modified_at": written})
    assert apply_remote(db.conn, "item", rows, relay=True, server_time=server_time).applied == 2
    times = {k: r["last_modified_at"] for k, r in stored(db).items() if k in ("i1", "new")}
    if server_time:  # the relay's own clock: now, not the time given
        assert written not in times.values()
    else:
        assert times == {"i1": written, "new": written}
