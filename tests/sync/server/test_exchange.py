"""The sync server end to end: real PostgreSQL, real SQLite device files, a real uvicorn
server on 127.0.0.1, Python clients (`mizzle.sync.client`) and raw forged requests."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid as uuidlib
from datetime import UTC, timedelta
from pathlib import Path

import jwt
import pytest

from tests.sync.server.harness import (
    ALICE,
    BOB,
    SECRET,
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

P1, P2 = "10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002"
T1, T2, T3 = (f"20000000-0000-4000-8000-00000000000{i}" for i in (1, 2, 3))


def write(path: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    """A local write on a device, as the app would make it (offline: no server involved)."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(sql, params)
    conn.close()


def local(path: Path, table: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        return rows(conn, table)
    finally:
        conn.close()


def test_two_devices_with_offline_edits_converge_and_a_delete_propagates(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    write(one, "INSERT INTO task (id, project_id, title) VALUES (?, ?, 'paint'), (?, ?, 'sweep')", (T1, P1, T2, P1))
    with serving(config(pg_url)) as base:
        laptop, phone = device(one, base, ALICE, "laptop"), device(two, base, ALICE, "phone")
        assert laptop.sync().pushed == 3
        assert phone.sync().pulled == 3
        # offline on both: the phone edits a task, deletes another, adds one; the laptop renames
        write(two, "UPDATE task SET done = 1 WHERE id = ?", (T1,))
        write(two, "DELETE FROM task WHERE id = ?", (T2,))
        write(two, "INSERT INTO task (id, project_id, title) VALUES (?, ?, 'mop')", (T3, P1))
        write(one, "UPDATE project SET name = 'house' WHERE id = ?", (P1,))
        for client in (phone, laptop, phone):
            result = client.sync()
            assert not result.conflicts and not result.rejected and not result.local_conflicts
    with pg(pg_url) as conn:
        for table in ("project", "task"):
            assert local(one, table) == local(two, table) == rows(conn, table)
        assert [(r["title"], r["done"]) for r in rows(conn, "task")] == [("paint", True), ("mop", False)]
        assert rows(conn, "project")[0]["name"] == "house"


def test_a_concurrent_edit_is_a_conflict_under_reject(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    with serving(config(pg_url)) as base:
        laptop, phone = device(one, base, ALICE, "laptop"), device(two, base, ALICE, "phone")
        laptop.sync()
        phone.sync()
        write(one, "UPDATE project SET name = 'laptop says' WHERE id = ?", (P1,))
        write(two, "UPDATE project SET name = 'phone says' WHERE id = ?", (P1,))
        assert not laptop.sync().conflicts
        result = phone.sync()
    [conflict] = result.conflicts
    assert (conflict["table"], conflict["pk"], conflict["resolution"]) == ("project", [P1], None)
    assert conflict["server_row"]["name"] == "laptop says"
    with pg(pg_url) as conn:
        assert rows(conn, "project")[0]["name"] == "laptop says"  # never overwritten
    assert local(two, "project")[0]["name"] == "phone says"  # the phone's edit is kept for the app to settle
    # the app settles it by writing its choice again: a version past both
    write(two, "UPDATE project SET name = 'agreed' WHERE id = ?", (P1,))
    with serving(config(pg_url)) as base:
        assert not device(two, base, ALICE, "phone").sync().conflicts
        device(one, base, ALICE, "laptop").sync()
    with pg(pg_url) as conn:
        assert local(one, "project") == local(two, "project") == rows(conn, "project")
        assert rows(conn, "project")[0]["name"] == "agreed"


def test_last_write_wins_resolves_a_concurrent_edit(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    with serving(config(pg_url, with_policy("lww"))) as base:
        laptop, phone = device(one, base, ALICE, "laptop"), device(two, base, ALICE, "phone")
        laptop.sync()
        phone.sync()
        write(one, "UPDATE project SET name = 'earlier' WHERE id = ?", (P1,))
        assert not laptop.sync().conflicts
        write(two, "UPDATE project SET name = 'later' WHERE id = ?", (P1,))  # after the laptop's reached the server
        [conflict] = phone.sync().conflicts
        assert (conflict["resolution"], conflict["server_row"]["name"]) == ("client", "earlier")
        laptop.sync()
    with pg(pg_url) as conn:
        assert [r["name"] for r in rows(conn, "project")] == ["later"]
        assert local(one, "project") == local(two, "project") == rows(conn, "project")


def test_last_write_wins_goes_by_when_the_rows_were_written_not_when_they_arrived(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    with serving(config(pg_url, with_policy("lww"))) as base:
        laptop, phone = device(one, base, ALICE, "laptop"), device(two, base, ALICE, "phone")
        laptop.sync()
        phone.sync()
        write(one, "UPDATE project SET name = 'written first' WHERE id = ?", (P1,))
        time.sleep(0.01)
        write(two, "UPDATE project SET name = 'written last' WHERE id = ?", (P1,))
        laptop.sync()  # the earlier edit reaches the server first
        [conflict] = phone.sync().conflicts
        assert (conflict["resolution"], conflict["server_row"]["name"]) == ("client", "written first")
        laptop.sync()
    with pg(pg_url) as conn:
        [row] = rows(conn, "project")
        assert row["name"] == "written last"
        # the winner keeps the time the phone wrote it at
        assert row["last_modified_at"] == local(two, "project")[0]["last_modified_at"]
        assert local(one, "project") == local(two, "project") == rows(conn, "project")


def test_a_time_far_ahead_of_the_servers_clock_is_capped_to_it(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    path = device_db(tmp_path / "d.db")
    write(path, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    with serving(config(pg_url, with_policy("lww"), max_clock_skew=60)) as base:
        device(path, base, ALICE, "d").sync()
        ahead = {"id": P1, "user_id": ALICE, "name": "from 2099", "sync_version": 2,
                 "last_modified_at": "2099-01-01T00:00:00.000Z", "device_id": "skewed"}  # fmt: skip
        within = {"id": P2, "user_id": ALICE, "name": "a little ahead", "sync_version": 1,
                  "last_modified_at": None, "device_id": "skewed"}  # fmt: skip
        with pg(pg_url) as conn:
            server_now = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        soon = (server_now + timedelta(seconds=30)).astimezone(UTC)
        within["last_modified_at"] = soon.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        untimed = {"id": "10000000-0000-4000-8000-000000000003", "user_id": ALICE, "name": "no time",
                   "sync_version": 1}  # fmt: skip
        push = {"project": {"rows": [ahead, within, untimed]}}
        body = {"protocol": 1, "schema": "0001_init", "batch": "b1", "push": push}
        status, answer = post(base, body, bearer=token(ALICE))
        assert status == 200, answer
        assert [r["status"] for r in answer["push"]["project"]["rows"]] == ["applied", "applied", "applied"]
        with pg(pg_url) as conn:
            times = {r["name"]: r["last_modified_at"] for r in rows(conn, "project")}
            now_text = conn.execute("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')").fetchone()[0]  # type: ignore[index]
        assert times["from 2099"].startswith(now_text)  # capped to the server's time
        assert times["a little ahead"] == within["last_modified_at"]  # within the skew: kept
        assert times["no time"].startswith(now_text)  # none given: the server's


def test_requests_share_a_bounded_pool_of_connections(pg_url: str) -> None:
    server_db(pg_url)
    body = {"protocol": 1, "schema": "0001_init", "pull": {"project": {"cursor": None}}}
    answers: list[int] = []
    with serving(config(pg_url, max_connections=2)) as base:

        def ask() -> None:
            for _ in range(4):
                answers.append(post(base, body, bearer=token(ALICE))[0])

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with pg(pg_url) as conn:
            [(open_now,)] = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mizzle-sync' "
                "AND datname = current_database()"
            ).fetchall()
    assert answers == [200] * 24
    assert 1 <= open_now <= 2  # kept open between requests, never more than max_connections
    with pg(pg_url) as conn:  # and closed with the app
        [(after,)] = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mizzle-sync' "
            "AND datname = current_database()"
        ).fetchall()
    assert after == 0


def test_server_wins_sends_the_servers_row_back(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    with serving(config(pg_url, with_policy("server_wins"))) as base:
        laptop, phone = device(one, base, ALICE, "laptop"), device(two, base, ALICE, "phone")
        laptop.sync()
        phone.sync()
        write(one, "UPDATE project SET name = 'first' WHERE id = ?", (P1,))
        write(two, "UPDATE project SET name = 'second' WHERE id = ?", (P1,))
        laptop.sync()
        [conflict] = phone.sync().conflicts
        assert conflict["resolution"] == "server"
    with pg(pg_url) as conn:
        assert local(two, "project") == rows(conn, "project")
        assert rows(conn, "project")[0]["name"] == "first"


def test_a_user_never_receives_nor_writes_another_users_rows(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    alice_db, bob_db = device_db(tmp_path / "alice.db"), device_db(tmp_path / "bob.db")
    write(alice_db, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'alice''s')", (P1, ALICE))
    write(alice_db, "INSERT INTO task (id, project_id, title) VALUES (?, ?, 'hers')", (T1, P1))
    write(bob_db, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'bob''s')", (P2, BOB))
    write(bob_db, "INSERT INTO task (id, project_id, title) VALUES (?, ?, 'his'), (?, ?, 'his too')", (T2, P2, T3, P2))
    with serving(config(pg_url)) as base:
        alice, bob = device(alice_db, base, ALICE, "a"), device(bob_db, base, BOB, "b")
        alice.sync()
        bob.sync()
        write(bob_db, "DELETE FROM task WHERE id = ?", (T3,))
        bob.sync()
        alice.sync()
        assert [r["id"] for r in local(alice_db, "project")] == [P1]
        assert [r["id"] for r in local(alice_db, "task")] == [T1]
        assert [r["id"] for r in local(bob_db, "task")] == [T2]
        # forged pushes from Alice: Bob's project renamed (a high version), a project given
        # to Bob, a task in Bob's project, Bob's task deleted, her own project handed to Bob
        forged = {
            "protocol": 1,
            "schema": "0001_init",
            "batch": str(uuidlib.uuid4()),
            "push": {
                "project": {
                    "rows": [
                        {"id": P2, "user_id": BOB, "name": "pwned", "sync_version": 99},
                        {"id": str(uuidlib.uuid4()), "user_id": BOB, "name": "gift", "sync_version": 1},
                        {"id": P1, "user_id": BOB, "name": "alice's", "sync_version": 99},
                    ]
                },
                "task": {
                    "rows": [{"id": str(uuidlib.uuid4()), "project_id": P2, "title": "x", "sync_version": 1}],
                    "deletes": [{"pk": [T2], "sync_version": 99, "deleted_at": "2030-01-01T00:00:00.000Z"}],
                },
                "tag": {"rows": [{"id": "t", "label": "mine", "sync_version": 1}]},
            },
            "pull": {"project": {"cursor": None}, "task": {"cursor": None}},
        }
        status, answer = post(base, forged, bearer=token(ALICE))
        # deletes too: Bob's tombstone goes to Bob's devices only
        since_start = {"protocol": 1, "schema": "0001_init", "pull": {"task": {"cursor": "xid:0"}}}
        assert post(base, since_start, bearer=token(ALICE))[1]["pull"]["task"]["deletes"] == []
        assert [d["pk"] for d in post(base, since_start, bearer=token(BOB))[1]["pull"]["task"]["deletes"]] == [[T3]]
    assert status == 200
    statuses = [
        (table, kind, r["status"], r["reason"])
        for table, body in answer["push"].items()
        for kind in ("deletes", "rows")
        for r in body[kind]
    ]
    assert statuses == [
        ("project", "rows", "rejected", "the row belongs to another user"),
        ("project", "rows", "rejected", "the row would not be the user's (column user_id)"),
        ("project", "rows", "rejected", "the row would not be the user's (column user_id)"),
        ("task", "deletes", "rejected", "the row belongs to another user"),
        ("task", "rows", "rejected", "the row would not be the user's (column project_id)"),
        ("tag", "rows", "rejected", 'table "tag" is read-only through sync (shared)'),
    ]
    assert [r["id"] for r in answer["pull"]["project"]["rows"]] == [P1]
    assert [r["id"] for r in answer["pull"]["task"]["rows"]] == [T1]
    with pg(pg_url) as conn:
        assert sorted((r["id"], r["user_id"], r["name"]) for r in rows(conn, "project")) == [
            (P1, ALICE, "alice's"),
            (P2, BOB, "bob's"),
        ]
        assert sorted(r["id"] for r in rows(conn, "task")) == [T1, T2]
        assert rows(conn, "tag") == []


@pytest.mark.parametrize(
    ("bearer", "message"),
    [
        (None, "no Authorization header (expected: Bearer <JWT>)"),
        ("not-a-jwt", "the token is not valid: Not enough segments"),
        (token(ALICE, expires_in=-60), "the token has expired"),
        (
            token(ALICE, secret="another-secret-of-more-than-32-bytes"),
            "the token is not valid: Signature verification failed",
        ),
        (token(""), 'the token has no "sub" claim naming the user'),
        (
            jwt.encode({"sub": ALICE, "exp": int(time.time()) + 60}, None, algorithm="none"),
            "the token is not valid: The specified alg value is not allowed",
        ),
        (
            jwt.encode({"sub": ALICE}, SECRET, algorithm="HS256"),
            'the token is not valid: Token is missing the "exp" claim',
        ),
    ],
)
def test_a_bad_token_is_refused(pg_url: str, bearer: str | None, message: str) -> None:
    server_db(pg_url)
    with serving(config(pg_url)) as base:
        status, answer = post(base, {"protocol": 1, "schema": "0001_init", "pull": {}}, bearer=bearer)
    assert (status, answer) == (401, {"error": {"code": "unauthorized", "message": message}})


def test_a_retried_batch_is_applied_once(pg_url: str) -> None:
    server_db(pg_url)
    push = {
        "protocol": 1,
        "schema": "0001_init",
        "batch": "batch-1",
        "push": {"project": {"rows": [{"id": P1, "user_id": ALICE, "name": "v1", "sync_version": 1}]}},
    }
    with serving(config(pg_url)) as base:
        first = post(base, push, bearer=token(ALICE))
        # meanwhile another device moved the row on
        edit = {**push, "batch": "batch-2"}
        edit["push"] = {"project": {"rows": [{"id": P1, "user_id": ALICE, "name": "v2", "sync_version": 2}]}}
        assert post(base, edit, bearer=token(ALICE))[1]["push"]["project"]["rows"][0]["status"] == "applied"
        again = post(base, push, bearer=token(ALICE))  # the first request's answer was lost: sent again
    assert (
        first[1]["push"]
        == again[1]["push"]
        == {
            "project": {
                "applied": 1,
                "deleted": 0,
                "unchanged": 0,
                "rows": [{"index": 0, "pk": [P1], "status": "applied"}],
                "deletes": [],
            }
        }
    )
    with pg(pg_url) as conn:
        assert [(r["name"], r["sync_version"]) for r in rows(conn, "project")] == [("v2", 2)]
        assert conn.execute('SELECT count(*) FROM "__mizzle_sync_batches"').fetchone() == (2,)


def test_a_fresh_device_pulls_in_pages(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    with pg(pg_url) as conn:
        conn.execute("INSERT INTO project (id, user_id, name) VALUES (%s, %s, 'p')", (P1, ALICE))
        conn.execute(
            "INSERT INTO task (id, project_id, title) "
            "SELECT gen_random_uuid(), %s, 't' || n FROM generate_series(1, 2500) n",
            (P1,),
        )
    fresh = device_db(tmp_path / "fresh.db")
    with serving(config(pg_url)) as base:
        result = device(fresh, base, ALICE, "new", limit=1000).sync()
    # three pages of tasks (the project may come again with each: see The cursor's limits)
    assert result.requests == 3
    with pg(pg_url) as conn:
        assert len(local(fresh, "task")) == 2500
        assert local(fresh, "task") == rows(conn, "task")


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        ([1, 2], 400, "bad_request", "the request body must be a JSON object"),
        ({"protocol": 2}, 400, "bad_request", "protocol 2 is not spoken here (this server speaks 1)"),
        ({"protocol": 1, "pul": {}}, 400, "bad_request", 'unknown request field "pul"'),
        (
            {"protocol": 1, "schema": "0001_init", "push": {"project": {"rows": []}}},
            400,
            "bad_request",
            "a push needs a batch id (so that a retried request applies nothing twice)",
        ),
        (
            {"protocol": 1, "schema": "0001_init", "pull": {"secrets": {"cursor": None}}},
            400,
            "unknown_table",
            'table "secrets" is not synced by this server',
        ),
        (
            {"protocol": 1, "schema": "0001_init", "pull": {"project": {"cursor": "page:e30"}}},
            400,
            "bad_request",
            "not a cursor this server gave: 'page:e30'",
        ),
        (
            {"protocol": 1, "schema": "0001_init", "pull": {"project": {"cursor": "xid:1", "columns": ["name"]}}},
            400,
            "bad_request",
            'pull of "project": the columns must include "id"',
        ),
        ({"protocol": 1, "limit": 0}, 400, "bad_request", "limit must be an integer from 1 to 10000"),
    ],
)
def test_a_request_that_is_not_one_is_refused_in_one_line(
    pg_url: str, body: object, status: int, code: str, message: str
) -> None:
    server_db(pg_url)
    with serving(config(pg_url)) as base:
        assert post(base, body, bearer=token(ALICE)) == (status, {"error": {"code": code, "message": message}})


def test_rows_written_while_a_fresh_device_pages_come_with_its_next_pull(pg_url: str) -> None:
    server_db(pg_url)
    keys = [f"30000000-0000-4000-8000-00000000000{i}" for i in range(1, 7)]
    with pg(pg_url) as conn:
        conn.execute("INSERT INTO project (id, user_id, name) VALUES (%s, %s, 'p')", (P1, ALICE))
        for key in keys[1:5]:
            conn.execute("INSERT INTO task (id, project_id, title) VALUES (%s, %s, 'before')", (key, P1))
    ask = {"protocol": 1, "schema": "0001_init", "pull": {"task": {"cursor": None}}, "limit": 2}
    seen: list[tuple[str, str]] = []
    with serving(config(pg_url)) as base:
        _, page = post(base, ask, bearer=token(ALICE))
        seen += [(r["id"], r["title"]) for r in page["pull"]["task"]["rows"]]
        assert page["more"] and page["pull"]["task"]["cursor"].startswith("page:")
        with pg(pg_url) as conn:  # behind the pages read so far, and ahead of them
            conn.execute("UPDATE task SET title = 'edited' WHERE id = %s", (keys[1],))
            conn.execute(
                "INSERT INTO task (id, project_id, title) VALUES (%s, %s, 'new'), (%s, %s, 'new')",
                (keys[0], P1, keys[5], P1),
            )
        while page["more"]:
            ask["pull"] = {"task": {"cursor": page["pull"]["task"]["cursor"]}}
            _, page = post(base, ask, bearer=token(ALICE))
            seen += [(r["id"], r["title"]) for r in page["pull"]["task"]["rows"]]
        assert page["pull"]["task"]["cursor"].startswith("xid:")
        ask["pull"] = {"task": {"cursor": page["pull"]["task"]["cursor"]}}
        ask["limit"] = 100
        _, after = post(base, ask, bearer=token(ALICE))
    latest = dict(seen)
    latest.update((r["id"], r["title"]) for r in after["pull"]["task"]["rows"])
    assert latest == {
        keys[0]: "new",
        keys[1]: "edited",
        keys[2]: "before",
        keys[3]: "before",
        keys[4]: "before",
        keys[5]: "new",
    }


def test_a_body_over_the_limit_is_refused_before_it_is_read(pg_url: str) -> None:
    server_db(pg_url)
    rows_ = [{"id": str(uuidlib.uuid4()), "user_id": ALICE, "name": "x" * 100, "sync_version": 1} for _ in range(20)]
    push = {"protocol": 1, "schema": "0001_init", "batch": "big", "push": {"project": {"rows": rows_}}}
    with serving(config(pg_url, max_body=1000)) as base:
        assert post(base, push, bearer=token(ALICE)) == (
            413,
            {
                "error": {
                    "code": "too_large",
                    "message": "the request is larger than 1000 bytes: push fewer rows at once",
                }
            },
        )
        assert post(base, "[" * 100_000, bearer=token(ALICE))[0] == 413
    with serving(config(pg_url)) as base:
        assert post(base, json.loads("[" * 500 + "]" * 500), bearer=token(ALICE))[0] == 400
        nested = "[" * 100_000 + "]" * 100_000  # deeper than the JSON parser goes
        request = urllib.request.Request(
            base + "/sync", data=nested.encode(), method="POST", headers={"Authorization": f"Bearer {token(ALICE)}"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert (refused.value.code, json.loads(refused.value.read())) == (
            400,
            {"error": {"code": "bad_request", "message": "the request body is not JSON"}},
        )
    with pg(pg_url) as conn:
        assert rows(conn, "project") == []
