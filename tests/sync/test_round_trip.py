"""Two SQLite clients and a PostgreSQL server with the same DSL schema, synced through the
API the way an application would: each client pushes its changes since its push cursor to
the server (`relay=True`), and pulls the server's since its pull cursor. Every change goes
through `Changes.to_dict()`, JSON and back, as it would over a network. After each round the
three databases hold the same rows, byte for byte; concurrent edits of one row end in a
Conflict for the second pusher, and nothing is lost."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.dsl import Table, boolean, integer, jsonb, numeric, primary_key, random_uuid, text, timestamptz, uuid
from mizzle.dsl import json as json_column
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import ApplyReport, Changes, apply_remote, changes_since, set_device
from tests.sync.dbs import Db, create, sqlite_db


class Author(Table):
    id = uuid().primary_key().default(random_uuid())
    name = text().not_null()
    active = boolean().not_null().default(True)
    rating = numeric(4, 1)
    profile = jsonb()
    __sync__ = True


class Post(Table):
    id = uuid().primary_key().default(random_uuid())
    author_id = uuid().not_null().references(lambda: Author.id)
    title = text().not_null()
    tags = text().array()
    published = boolean().not_null().default(False)
    price = numeric(10, 2)
    meta = json_column()
    published_at = timestamptz()
    __sync__ = True


class Comment(Table):
    post_id = uuid().not_null().references(lambda: Post.id)
    n = integer().not_null()
    body = text()
    __primary_key__ = primary_key("post_id", "n")
    __sync__ = True


SCHEMA = schema_from_classes([Author, Post, Comment])
#: parents first: rows are applied in this order, deletes in the reverse one (foreign keys)
TABLES = ("author", "post", "comment")
A1, A2 = "a1a1a1a1-0000-4000-8000-000000000001", "a2a2a2a2-0000-4000-8000-000000000002"
P1, P2, P3 = (f"b{i}b{i}b{i}b{i}-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))


@dataclass
class Client:
    db: Db
    push_cursor: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(TABLES))
    pull_cursor: dict[str, str | None] = field(default_factory=lambda: dict.fromkeys(TABLES))


def over_the_wire(changes: Changes) -> Changes:
    return Changes.from_dict(json.loads(json.dumps(changes.to_dict())))


def apply_all(conn: Any, changes: dict[str, Changes], *, relay: bool) -> dict[str, ApplyReport]:
    """Deletes child tables first, then rows parent tables first, each an apply_remote (a
    savepoint of the caller's one transaction); one report per table."""
    reports = {table: ApplyReport() for table in TABLES}
    for table in reversed(TABLES):
        done = apply_remote(conn, table, Changes(table, deletes=changes[table].deletes), relay=relay)
        reports[table].deleted, reports[table].unchanged = done.deleted, done.unchanged
        reports[table].conflicts += done.conflicts
    for table in TABLES:
        done = apply_remote(conn, table, Changes(table, rows=changes[table].rows), relay=relay)
        reports[table].applied, reports[table].unchanged = done.applied, reports[table].unchanged + done.unchanged
        reports[table].conflicts += done.conflicts
    return reports


def push(client: Client, server: psycopg.Connection[Any]) -> dict[str, ApplyReport]:
    sent = {t: changes_since(client.db.conn, t, client.push_cursor[t]) for t in TABLES}
    with server.transaction():
        reports = apply_all(server, {t: over_the_wire(c) for t, c in sent.items()}, relay=True)
    client.push_cursor = {t: c.cursor for t, c in sent.items()}
    return reports


def pull(client: Client, server: psycopg.Connection[Any]) -> dict[str, ApplyReport]:
    got = {t: over_the_wire(changes_since(server, t, client.pull_cursor[t])) for t in TABLES}
    client.db.begin()
    reports = apply_all(client.db.conn, got, relay=False)
    client.db.commit()
    client.pull_cursor = {t: c.cursor for t, c in got.items()}
    return reports


def held(conn: Any) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table in wire form, as JSON would carry it."""
    return {t: changes_since(conn, t, None).to_dict()["rows"] for t in TABLES}


def counts(reports: dict[str, ApplyReport]) -> dict[str, tuple[int, int, int, int]]:
    return {t: (r.applied, r.deleted, r.unchanged, len(r.conflicts)) for t, r in reports.items()}


@pytest.fixture
def world(pg_url: str, tmp_path: Path) -> Iterator[tuple[Client, Client, psycopg.Connection[Any]]]:
    a, b = Client(sqlite_db(str(tmp_path / "a.db"))), Client(sqlite_db(str(tmp_path / "b.db")))
    server = psycopg.connect(pg_url)
    for db in (a.db, b.db, Db("postgresql", server)):
        create(db, SCHEMA)
    set_device(a.db.conn, "device-a")
    set_device(b.db.conn, "device-b")
    yield a, b, server
    for conn in (a.db.conn, b.db.conn, server):
        conn.close()


def test_two_clients_and_a_server_converge_and_concurrent_edits_conflict(
    world: tuple[Client, Client, psycopg.Connection[Any]],
) -> None:
    a, b, server = world

    # Round 1: A works offline (inserts, an update, a row created and deleted), then syncs.
    run = a.db.run
    run("INSERT INTO author (id, name, rating, profile) VALUES (?, 'Ann', 4.5, ?)", (A1, '{"langs": ["en", "fr"]}'))
    run("INSERT INTO author (id, name, active) VALUES (?, 'Bo', 0)", (A2,))
    run(
        "INSERT INTO post (id, author_id, title, tags, price, meta, published_at) VALUES (?, ?, 'Hi', ?, 12.5, ?, ?)",
        (P1, A1, '["x","y"]', '{"n": 1.25}', "2026-03-04T05:06:07.123Z"),
    )
    run("INSERT INTO post (id, author_id, title, published) VALUES (?, ?, 'Two', 1)", (P2, A1))
    run("INSERT INTO post (id, author_id, title) VALUES (?, ?, 'Three')", (P3, A2))
    run("INSERT INTO comment (post_id, n, body) VALUES (?, 1, 'first')", (P1,))
    run("UPDATE post SET title = 'Hello' WHERE id = ?", (P1,))
    run("DELETE FROM post WHERE id = ?", (P3,))

    assert counts(push(a, server)) == {
        "author": (2, 0, 0, 0),
        "post": (2, 0, 1, 0),  # P3's delete: the server never had it
        "comment": (1, 0, 0, 0),
    }
    assert counts(pull(b, server)) == {"author": (2, 0, 0, 0), "post": (2, 0, 0, 0), "comment": (1, 0, 0, 0)}
    assert counts(pull(a, server)) == {"author": (0, 0, 2, 0), "post": (0, 0, 2, 0), "comment": (0, 0, 1, 0)}
    rows = held(server)
    assert held(a.db.conn) == rows
    assert held(b.db.conn) == rows
    [hello, _] = sorted(rows["post"], key=lambda r: r["title"])
    assert (hello["id"], hello["sync_version"], hello["device_id"]) == (P1, 2, "device-a")
    assert (hello["tags"], hello["price"], hello["meta"], hello["published_at"]) == (
        ["x", "y"],
        "12.50",
        {"n": 1.25},
        "2026-03-04T05:06:07.123Z",
    )
    # What a client applied is not a local change: its next push sends the pulled rows once
    # more (they were written after its push cursor), exactly as the server has them, and no
    # delete (applied deletes leave no tombstone).
    for client in (a, b):
        for table in TABLES:
            echo = changes_since(client.db.conn, table, client.push_cursor[table])
            assert all(r in rows[table] for r in echo.rows), table
            assert echo.deletes == []

    # Round 2: B renames an author, deletes A's comment and writes one of its own.
    b.db.run("UPDATE author SET name = 'Bo B.' WHERE id = ?", (A2,))
    b.db.run("DELETE FROM comment WHERE post_id = ? AND n = 1", (P1,))
    b.db.run("INSERT INTO comment (post_id, n, body) VALUES (?, 1, 'second')", (P2,))
    pushed = push(b, server)
    assert [(t, r.applied, r.deleted) for t, r in pushed.items()] == [
        ("author", 1, 0),
        ("post", 0, 0),
        ("comment", 1, 1),
    ]
    assert not any(r.conflicts for r in pushed.values())
    assert counts(pull(a, server))["comment"] == (1, 1, 0, 0)
    pull(b, server)
    rows = held(server)
    assert held(a.db.conn) == rows
    assert held(b.db.conn) == rows
    assert [(c["post_id"], c["body"], c["device_id"]) for c in rows["comment"]] == [(P2, "second", "device-b")]
    renamed = next(r for r in rows["author"] if r["id"] == A2)
    assert (renamed["name"], renamed["sync_version"], renamed["device_id"]) == ("Bo B.", 2, "device-b")

    # Round 3: both edit post P2 (version 1) offline. A pushes first and wins.
    a.db.run("UPDATE post SET title = 'Two, by A' WHERE id = ?", (P2,))
    b.db.run("UPDATE post SET title = 'Two, by B', price = 3 WHERE id = ?", (P2,))
    assert counts(push(a, server))["post"][0] == 1
    second = push(b, server)
    [conflict] = second["post"].conflicts
    assert (conflict.pk, conflict.local_version, conflict.remote_version) == ((P2,), 2, 2)
    assert "version 2" in conflict.reason
    assert conflict.local_row is not None and conflict.local_row["title"] == "Two, by A"
    assert conflict.remote_row is not None and conflict.remote_row["title"] == "Two, by B"
    assert second["post"].applied == 0
    server_post = next(r for r in held(server)["post"] if r["id"] == P2)
    assert (server_post["title"], server_post["device_id"]) == ("Two, by A", "device-a")

    # Nothing lost: B keeps its edit when it pulls A's (a conflict there too), until it
    # decides. It edits again on top, and that newer version wins everywhere.
    [on_b] = pull(b, server)["post"].conflicts
    assert (on_b.pk, on_b.local_row and on_b.local_row["title"]) == ((P2,), "Two, by B")
    [(title,)] = b.db.query("SELECT title FROM post WHERE id = ?", (P2,))
    assert title == "Two, by B"
    b.db.run("UPDATE post SET title = 'Two, by A and B' WHERE id = ?", (P2,))
    assert counts(push(b, server))["post"][0] == 1
    pull(a, server)
    pull(b, server)
    rows = held(server)
    assert held(a.db.conn) == rows
    assert held(b.db.conn) == rows
    merged = next(r for r in rows["post"] if r["id"] == P2)
    assert (merged["title"], merged["price"], merged["sync_version"]) == ("Two, by A and B", "3.00", 3)


def test_a_push_after_a_pull_resends_the_pulled_rows_and_the_server_keeps_them_unchanged(
    world: tuple[Client, Client, psycopg.Connection[Any]],
) -> None:
    # Pulled rows carry the server's times, later than the client's push cursor: the next
    # push sends them back (docs/sync.md, "Cursors"), and the server changes nothing.
    a, b, server = world
    a.db.run("INSERT INTO author (id, name) VALUES (?, 'Ann')", (A1,))
    push(a, server)
    pull(b, server)
    before = held(server)
    reports = push(b, server)
    assert counts(reports)["author"] == (0, 0, 1, 0)
    assert held(server) == before


def test_a_client_in_pythons_default_transaction_mode_syncs_too(pg_url: str, tmp_path: Path) -> None:
    client = Client(sqlite_db(str(tmp_path / "c.db"), autocommit=False))
    server = psycopg.connect(pg_url)
    try:
        create(client.db, SCHEMA)
        create(Db("postgresql", server), SCHEMA)
        set_device(client.db.conn, "device-c")
        client.db.run("INSERT INTO author (id, name) VALUES (?, 'Cy')", (A1,))
        assert counts(push(client, server))["author"] == (1, 0, 0, 0)
        assert isinstance(client.db.conn, sqlite3.Connection) and not client.db.conn.in_transaction
        pull(client, server)
        assert held(server) == held(client.db.conn)
    finally:
        client.db.conn.close()
        server.close()
