"""The sync server as deployed: schema versions in the protocol, two server processes over
one database, RS256 tokens from a JWKS, and PostgreSQL RLS policies applied through the
token's claims and role."""

from __future__ import annotations

import functools
import json
import sqlite3
import threading
import time
import urllib.request
import uuid as uuidlib
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from mizzle.app.sync_server.auth import Auth
from mizzle.core.sync.rules import TableRule
from mizzle.sync.client import SyncClientError
from tests.sync.server.harness import (
    ALICE,
    BOB,
    RULES,
    V2,
    config,
    device,
    device_db,
    pg,
    post,
    rows,
    server_db,
    server_process,
    serving,
    token,
)

P1 = "10000000-0000-4000-8000-000000000001"
T1 = "20000000-0000-4000-8000-000000000001"
HEADS = ("0001_init", "0002_priority")


def write(path: Path, sql: str, params: tuple[object, ...] = ()) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(sql, params)
    conn.close()


def read(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def local(path: Path, table: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(path)
    try:
        return rows(conn, table)
    finally:
        conn.close()


def seed(url: str) -> None:
    with pg(url) as conn:
        conn.execute("INSERT INTO project (id, user_id, name) VALUES (%s, %s, 'p')", (P1, ALICE))
        conn.execute("INSERT INTO task (id, project_id, title, priority) VALUES (%s, %s, 'old', 5)", (T1, P1))


def test_a_client_one_migration_behind_syncs_and_leaves_its_missing_column_alone(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url, V2, HEADS)
    seed(pg_url)
    old = device_db(tmp_path / "old.db")  # the first schema: task has no priority
    current = device_db(tmp_path / "current.db", V2, HEADS)
    with serving(config(pg_url)) as base:
        behind = device(old, base, ALICE, "old")
        assert behind.sync().pulled == 2
        write(old, "UPDATE task SET title = 'renamed' WHERE id = ?", (T1,))
        result = behind.sync()
        assert not result.conflicts and not result.rejected
        device(current, base, ALICE, "current").sync()
    with pg(pg_url) as conn:
        [task] = rows(conn, "task")
        assert (task["title"], task["priority"]) == ("renamed", 5)
    assert read(current, "SELECT title, priority FROM task") == [("renamed", 5)]
    assert read(old, "SELECT title FROM task") == [("renamed",)]


def test_a_client_newer_than_the_server_is_refused(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url, V2, HEADS)
    newer = device_db(tmp_path / "newer.db", V2, (*HEADS, "0003_later"))
    with serving(config(pg_url)) as base, pytest.raises(SyncClientError) as refused:
        device(newer, base, ALICE, "newer").sync()
    assert (refused.value.code, refused.value.status) == ("schema_ahead", 409)
    assert str(refused.value) == (
        'the client\'s schema "0003_later" is not a migration this server has applied (a newer client: '
        "migrate the server first)"
    )


def test_a_client_outside_the_window_is_told_to_upgrade_and_keeps_its_rows(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url, V2, HEADS)
    old = device_db(tmp_path / "old.db")
    write(old, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'offline')", (P1, ALICE))
    with serving(config(pg_url, window=0)) as base, pytest.raises(SyncClientError) as refused:
        device(old, base, ALICE, "old").sync()
    assert (refused.value.code, refused.value.status) == ("upgrade_required", 426)
    assert "1 migrations behind the server's (0002_priority)" in str(refused.value)
    assert read(old, "SELECT name FROM project") == [("offline",)]
    with pg(pg_url) as conn:
        assert rows(conn, "project") == []


def test_two_server_processes_serve_the_same_devices(pg_url: str, tmp_path: Path) -> None:
    server_db(pg_url)
    rules = tmp_path / "sync.toml"
    rules.write_text(
        '[tables.project]\nowner = "user_id"\n\n[tables.task]\nvia = "project_id"\n\n[tables.tag]\nshared = true\n'
    )
    one, two = device_db(tmp_path / "one.db"), device_db(tmp_path / "two.db")
    write(one, "INSERT INTO project (id, user_id, name) VALUES (?, ?, 'home')", (P1, ALICE))
    with server_process(pg_url, rules) as first, server_process(pg_url, rules) as second:
        assert first != second
        laptop, phone = device(one, first, ALICE, "laptop"), device(two, second, ALICE, "phone")
        laptop.sync()
        phone.sync()
        write(two, "INSERT INTO task (id, project_id, title) VALUES (?, ?, 'via two')", (T1, P1))
        write(one, "UPDATE project SET name = 'via one' WHERE id = ?", (P1,))
        phone.sync()
        laptop.sync()
        phone.sync()
        # a batch sent to one process and retried on the other is applied once
        batch = {
            "protocol": 1,
            "schema": "0001_init",
            "batch": str(uuidlib.uuid4()),
            "push": {"task": {"rows": [{"id": T1, "project_id": P1, "title": "retried", "sync_version": 9}]}},
        }
        once, twice = post(first, batch, bearer=token(ALICE)), post(second, batch, bearer=token(ALICE))
    assert once == twice
    with pg(pg_url) as conn:
        for table in ("project", "task"):
            assert local(one, table) == local(two, table)
        assert [(r["name"]) for r in rows(conn, "project")] == ["via one"]
        assert [(r["title"], r["sync_version"]) for r in rows(conn, "task")] == [("retried", 9)]
        assert read(one, "SELECT name FROM project") == [("via one",)]


@pytest.mark.parametrize("where", ["file", "url"])
def test_rs256_tokens_are_checked_with_the_keys_of_a_jwks(pg_url: str, tmp_path: Path, where: str) -> None:
    server_db(pg_url)
    key, other = (rsa.generate_private_key(public_exponent=65537, key_size=2048) for _ in range(2))
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}))
    claims = {"sub": ALICE, "role": "authenticated", "exp": int(time.time()) + 600}
    good = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    forged = jwt.encode(claims, other, algorithm="RS256", headers={"kid": "k1"})
    hs = token(ALICE)
    files = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path)))
    threading.Thread(target=files.serve_forever, daemon=True).start()
    jwks = str(tmp_path / "jwks.json") if where == "file" else f"http://127.0.0.1:{files.server_port}/jwks.json"
    with files, serving(config(pg_url, auth=Auth(jwks=jwks))) as base:
        ask = {"protocol": 1, "schema": "0001_init", "pull": {"project": {"cursor": None}}}
        assert post(base, ask, bearer=good)[0] == 200
        assert post(base, ask, bearer=forged) == (
            401,
            {"error": {"code": "unauthorized", "message": "the token is not valid: Signature verification failed"}},
        )
        assert post(base, ask, bearer=hs)[0] == 401
        files.shutdown()


def test_rls_policies_apply_to_the_tokens_user_and_role(pg_url: str) -> None:
    server_db(pg_url)
    role = f"mz_sync_{uuidlib.uuid4().hex[:8]}"
    with pg(pg_url) as conn:
        conn.execute(
            "INSERT INTO project (id, user_id, name) VALUES (%s, %s, 'hers'), (%s, %s, 'his')",
            (P1, ALICE, str(uuidlib.uuid4()), BOB),
        )
        conn.execute(f'CREATE ROLE "{role}" NOLOGIN')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
        conn.execute("ALTER TABLE project ENABLE ROW LEVEL SECURITY")
        mine = "user_id::text = current_setting('request.jwt.claim.sub', true)"
        conn.execute(f'CREATE POLICY own ON project TO "{role}" USING ({mine})')
    try:
        # the rule alone would give every project (shared): the policy keeps Bob's from Alice
        rules = {**RULES, "project": TableRule(shared=True)}
        with serving(config(pg_url, rules, roles=frozenset({role}))) as base:
            ask = {"protocol": 1, "schema": "0001_init", "pull": {"project": {"cursor": None}}}
            status, answer = post(base, ask, bearer=token(ALICE, role=role))
            assert status == 200
            assert [r["name"] for r in answer["pull"]["project"]["rows"]] == ["hers"]
            # a role the server was not allowed to take is not taken: the policy does not apply to it
            status, answer = post(base, ask, bearer=token(ALICE))
            assert sorted(r["name"] for r in answer["pull"]["project"]["rows"]) == ["hers", "his"]
    finally:
        with pg(pg_url) as conn:
            conn.execute(f'DROP OWNED BY "{role}"')
            conn.execute(f'DROP ROLE "{role}"')


def test_the_app_mounts_in_an_existing_starlette_service(pg_url: str) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from mizzle.sync.server import app

    server_db(pg_url)
    seed_alice = {"protocol": 1, "schema": "0001_init", "batch": "b1"}
    seed_alice["push"] = {"project": {"rows": [{"id": P1, "user_id": ALICE, "name": "p", "sync_version": 1}]}}
    service = Starlette(routes=[Mount("/api/sync", app(config(pg_url)))])
    with serving(service) as base:
        with urllib.request.urlopen(base + "/api/sync/health", timeout=10) as health:
            assert json.loads(health.read()) == {"ok": True}
        assert post(base + "/api/sync", seed_alice, bearer=None)[0] == 401
        status, answer = post(base + "/api/sync", seed_alice, bearer=token(ALICE))
    assert status == 200
    assert answer["push"]["project"]["rows"] == [{"index": 0, "pk": [P1], "status": "applied"}]
