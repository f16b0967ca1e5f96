"""The Python client's outbox and retries, conflict hooks, and the rules as declared."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.sync.rules import DELETED, RuleError, TableRule
from mizzle.dsl import Table, text, uuid
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync.client import SyncClientError
from mizzle.sync.server import rules_from_classes
from tests.sync.server.harness import (
    ALICE,
    RULES,
    config,
    device,
    device_db,
    pg,
    post,
    rows,
    server_db,
    serving,
    token,
    with_policy,
)

P1 = "10000000-0000-4000-8000-000000000001"
T1 = "20000000-0000-4000-8000-000000000001"


def write(path: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(sql, params)
    conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_offline_write_waits_in_the_file_across_a_restart(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    path = device_db(tmp_path / "d.db")
    write(path, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'offline')", (P1, ALICE))
    nowhere = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(SyncClientError) as failed:
        device(path, nowhere, ALICE, "d", retries=2).sync()
    assert failed.value.code == "unreachable"
    with serving(config(pg_url)) as base:
        reopened = device(path, base, ALICE, "d")  # a new process: only the file remembers
        assert reopened.sync().pushed == 1
    with pg(pg_url) as conn:
        assert [r["name"] for r in rows(conn, "project")] == ["offline"]


def test_a_batch_whose_answer_was_lost_is_sent_again_and_applied_once(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    path = device_db(tmp_path / "d.db")
    write(path, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'v1')", (P1, ALICE))
    with serving(config(pg_url)) as base:
        client = device(path, base, ALICE, "d")
        pending = client.device_sync.request(push=True)  # written down, then sent; the answer never arrives
        assert "batch" in pending
        body = {"protocol": 1, "schema": "0001_init", "batch": pending["batch"], "push": pending["push"]}
        assert post(base, body, bearer=token(ALICE))[0] == 200
        # meanwhile another device moved the row on: were the batch applied again, it would conflict
        post(
            base,
            {
                "protocol": 1,
                "schema": "0001_init",
                "batch": "other",
                "push": {"project": {"rows": [{"id": P1, "user_id": ALICE, "name": "v2", "sync_version": 2}]}},
            },
            bearer=token(ALICE),
        )
        result = client.sync()  # sends the pending batch again, as it was
    assert (result.pushed, result.conflicts, result.rejected) == (1, [], [])
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT name, sync_version FROM project").fetchall() == [("v2", 2)]
    assert conn.execute("SELECT key FROM __mizzle_sync_client WHERE key = 'pending'").fetchall() == []


def test_a_conflict_hook_merges_the_two_rows(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    seen: list[tuple[str, str, str]] = []

    def merge(table: str, server: Mapping[str, Any], pushed: Mapping[str, Any]) -> Mapping[str, Any]:
        seen.append((table, server["name"], pushed["name"]))
        return {"name": f"{server['name']} + {pushed['name']}"}

    with serving(config(pg_url, with_policy("hook"), hook=merge)) as base:
        laptop, phone = device(one, base, ALICE, "laptop"), device(two, base, ALICE, "phone")
        laptop.sync()
        phone.sync()
        write(one, "UPDATE project SET name = 'a' WHERE id = ?", (P1,))
        write(two, "UPDATE project SET name = 'b' WHERE id = ?", (P1,))
        laptop.sync()
        [conflict] = phone.sync().conflicts
        laptop.sync()
    assert seen == [("project", "a", "b")]
    assert conflict["resolution"] == "merged"
    with pg(pg_url) as conn:
        assert [r["name"] for r in rows(conn, "project")] == ["a + b"]
        for path in (one, two):
            assert sqlite3.connect(path).execute("SELECT name FROM project").fetchall() == [("a + b",)]


@pytest.mark.parametrize("decision", ["delete", "keep", "unresolved"])
def test_a_conflict_hook_decides_a_delete_that_meets_a_newer_edit(pg_url: str, tmp_path: Path, decision: str) -> None:
    server_db(pg_url)
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    seen: list[tuple[str, str, object]] = []

    def decide(table: str, server: Mapping[str, Any], pushed: Mapping[str, Any] | None) -> object:
        seen.append((table, server["name"], pushed))
        return {"delete": DELETED, "keep": {"name": "kept"}, "unresolved": None}[decision]

    with serving(config(pg_url, with_policy("hook"), hook=decide)) as base:
        laptop, phone = device(one, base, ALICE, "laptop"), device(two, base, ALICE, "phone")
        laptop.sync()
        phone.sync()
        write(one, "UPDATE project SET name = 'edited' WHERE id = ?", (P1,))  # the newer edit
        write(two, "DELETE FROM project WHERE id = ?", (P1,))  # the delete, made without it
        laptop.sync()
        [conflict] = phone.sync().conflicts
        laptop.sync()
        phone.sync()
    assert seen == [("project", "edited", None)]
    assert conflict["server_row"]["name"] == "edited"
    assert conflict["resolution"] == {"delete": "client", "keep": "merged", "unresolved": None}[decision]
    with pg(pg_url) as conn:
        server = [r["name"] for r in rows(conn, "project")]
    laptop_rows = sqlite3.connect(one).execute("SELECT name FROM project").fetchall()
    phone_rows = sqlite3.connect(two).execute("SELECT name FROM project").fetchall()
    if decision == "delete":  # gone everywhere, the edited copy on the laptop too
        assert (server, laptop_rows, phone_rows) == ([], [], [])
    elif decision == "keep":  # the hook's row everywhere, the phone getting it back
        assert (server, laptop_rows, phone_rows) == (["kept"], [("kept",)], [("kept",)])
    else:  # as reject: the edit stays, and the phone pulls it back as a row changed since its cursor
        assert (server, laptop_rows, phone_rows) == (["edited"], [("edited",)], [("edited",)])


def test_rules_are_declared_with_the_table() -> None:
    assert {
        "project": TableRule(owner="user_id"),
        "task": TableRule(via="project_id"),
        "tag": TableRule(shared=True),
    } == RULES

    class Note(Table):
        id = uuid().primary_key()
        body = text()
        __sync__: ClassVar[dict[str, object]] = {"owner": "author"}

    with pytest.raises(SchemaError, match='the rule names column "author", which the table does not have'):
        schema_from_classes([Note])
    Note.__sync__ = {"owner": "body", "conflict": "newest"}
    with pytest.raises(SchemaError, match="conflict must be one of reject, lww, server_wins, hook, not 'newest'"):
        schema_from_classes([Note])
    Note.__sync__ = {"owner": "body", "shared": True}
    with pytest.raises(RuleError, match="give exactly one of owner, via or shared = true"):
        rules_from_classes([Note])
    Note.__sync__ = {"owner": "body", "conflict": "lww"}
    [table] = schema_from_classes([Note]).tables
    assert table.sync
    assert rules_from_classes([Note]) == {"note": TableRule(owner="body", conflict="lww")}


def test_sync_every_keeps_syncing_until_stopped_and_reports_conflicts_as_events(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    events: list[dict[str, Any]] = []
    with serving(config(pg_url)) as base:
        laptop = device(one, base, ALICE, "laptop")
        laptop.sync()
        phone = device(two, base, ALICE, "phone", on_conflict=events.append)
        phone.sync()
        write(one, "UPDATE project SET name = 'laptop' WHERE id = ?", (P1,))
        write(two, "UPDATE project SET name = 'phone' WHERE id = ?", (P1,))
        laptop.sync()
        stop = threading.Event()
        # its own connection: the loop runs in a thread of its own
        looping = device(two, base, ALICE, "phone", on_conflict=events.append)
        loop = threading.Thread(target=looping.sync_every, args=(0.05, stop))
        loop.start()
        try:
            deadline = time.monotonic() + 30
            while not events and time.monotonic() < deadline:
                time.sleep(0.05)
            write(two, "INSERT INTO task (id, project_id, title) VALUES (?, ?, 'later')", (T1, P1))
            with pg(pg_url) as conn:
                while not rows(conn, "task") and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert [r["title"] for r in rows(conn, "task")] == ["later"]
        finally:
            stop.set()
            loop.join(30)
    assert not loop.is_alive()
    [event] = events
    assert (event["table"], event["status"], event["server_row"]["name"]) == ("project", "conflict", "laptop")


def test_more_waiting_than_one_push_carries_goes_in_several_batches_in_write_order(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    path = device_db(tmp_path / "d.db")
    write(path, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'p')", (P1, ALICE))
    for i in range(7):
        write(
            path,
            "INSERT INTO task (id, project_id, title) VALUES (?, ?, ?)",
            (f"20000000-0000-4000-8000-00000000010{i}", P1, f"t{i}"),
        )
    write(path, "UPDATE task SET title = 'edited' WHERE title = 't0'")
    write(path, "DELETE FROM task WHERE title = 't6'")
    with serving(config(pg_url)) as base:
        result = device(path, base, ALICE, "d", push_limit=3).sync()
        assert result.rejected == [] and result.conflicts == []
        assert result.requests >= 3  # 1 project + 7 task writes + 1 edit + 1 delete, 3 at a time
        assert device(path, base, ALICE, "d", push_limit=3).sync().pushed == 0  # nothing left waiting
    with pg(pg_url) as conn:
        assert sorted(r["title"] for r in rows(conn, "task")) == ["edited", "t1", "t2", "t3", "t4", "t5"]
        conn_rows = rows(conn, "task")
    local = sqlite3.connect(path)
    try:
        assert rows(local, "task") == conn_rows
    finally:
        local.close()
