"""What the sync server tests share: a schema with an owned table, a table owned through a
foreign key and a shared one; the PostgreSQL database and SQLite devices made from it (with
migration heads recorded as the runner would); real uvicorn servers on 127.0.0.1, in this
process (a thread) or as `mizzle sync serve` processes; tokens; raw requests."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import jwt
import psycopg
import uvicorn

from mizzle.app.sync_server.asgi import create_app
from mizzle.app.sync_server.auth import Auth
from mizzle.app.sync_server.config import ServerConfig
from mizzle.core.model import Schema
from mizzle.dialects.postgresql.migration_db import migration_database as pg_migrations
from mizzle.dialects.sqlite.migration_db import migration_database as sqlite_migrations
from mizzle.dsl import Table, boolean, integer, text, uuid
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import changes_since
from mizzle.sync.client import SyncClient
from mizzle.sync.server import TableRule, rules_from_classes
from tests.sync.dbs import create, pg_db, sqlite_db

SECRET = "a-test-secret-of-more-than-32-bytes!"
ALICE = "a11ce000-0000-4000-8000-000000000001"
BOB = "b0b00000-0000-4000-8000-000000000002"
TABLES = ["project", "task", "tag"]


class Project(Table):
    id = uuid().primary_key()
    user_id = uuid().not_null()
    name = text().not_null()
    __sync__: ClassVar[dict[str, object]] = {"owner": "user_id"}


class Task(Table):
    id = uuid().primary_key()
    project_id = uuid().not_null().references(lambda: Project.id)
    title = text().not_null()
    done = boolean().not_null().default(False)
    __sync__: ClassVar[dict[str, object]] = {"via": "project_id"}


class Tag(Table):
    id = text().primary_key()
    label = text()
    __sync__: ClassVar[dict[str, object]] = {"shared": True}


class TaskV2(Table):
    """Task after the second migration: a priority column."""

    __tablename__ = "task"
    id = uuid().primary_key()
    project_id = uuid().not_null().references(lambda: Project.id)
    title = text().not_null()
    done = boolean().not_null().default(False)
    priority = integer()
    __sync__: ClassVar[dict[str, object]] = {"via": "project_id"}


V1 = schema_from_classes([Project, Task, Tag])
V2 = schema_from_classes([Project, TaskV2, Tag])
RULES = rules_from_classes([Project, Task, Tag])


def with_policy(policy: str) -> dict[str, TableRule]:
    return {t: replace(r, conflict=policy) if t in ("project", "task") else r for t, r in RULES.items()}


def server_db(url: str, schema: Schema = V1, heads: tuple[str, ...] = ("0001_init",)) -> None:
    db = pg_db(url)
    create(db, schema)
    tracking = pg_migrations(db.conn)  # type: ignore[arg-type]
    tracking.ensure_tracking()
    for name in heads:
        tracking.record(name, "0" * 64, 0)
    db.conn.close()


def device_db(path: Path, schema: Schema = V1, heads: tuple[str, ...] = ("0001_init",)) -> Path:
    db = sqlite_db(str(path))
    create(db, schema)
    tracking = sqlite_migrations(db.conn)  # type: ignore[arg-type]
    tracking.ensure_tracking()
    for name in heads:
        tracking.record(name, "0" * 64, 0)
    db.conn.close()
    return path


def token(user: str, *, secret: str = SECRET, expires_in: float = 3600, **claims: Any) -> str:
    payload = {"sub": user, "role": "authenticated", "exp": int(time.time() + expires_in), **claims}
    return jwt.encode(payload, secret, algorithm="HS256")


def config(url: str, rules: dict[str, TableRule] | None = None, **options: Any) -> ServerConfig:
    return ServerConfig(url, rules or RULES, options.pop("auth", None) or Auth(secret=SECRET), **options)


@contextmanager
def serving(cfg: ServerConfig | Any) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 (a free port) in a thread, serving the sync app of
    `cfg` (or `cfg` itself when it is an ASGI app); its base URL."""
    app = create_app(cfg) if isinstance(cfg, ServerConfig) else cfg
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="auto"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def server_process(url: str, rules_file: Path, *options: str) -> Iterator[str]:
    """`mizzle sync serve` as a process of its own, on a free port, given `options` besides;
    its base URL."""
    env = {**os.environ, "MIZZLE_SYNC_JWT_SECRET": SECRET}
    mizzle = str(Path(sys.executable).parent / "mizzle")
    command = [mizzle, "sync", "serve", "--db", url, "--rules", str(rules_file), *options]
    proc = subprocess.Popen([*command, "--port", "0"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            found = re.search(r"sync server on (http://\S+)", line)
            if found:
                yield found.group(1)
                break
        else:
            raise AssertionError(f"the server did not start (exit {proc.wait()})")
    finally:
        proc.terminate()
        proc.wait(10)


def device(path: Path, base: str, user: str, name: str, **options: Any) -> SyncClient:
    return SyncClient(path, base, tables=TABLES, token=token(user), device=name, backoff=0.01, **options)


def post(base: str, body: Any, *, bearer: str | None) -> tuple[int, dict[str, Any]]:
    """A raw request (as a forged or retried one would be sent): status and JSON."""
    headers = {"Content-Type": "application/json"}
    if bearer is not None:
        headers["Authorization"] = f"Bearer {bearer}"
    request = urllib.request.Request(base + "/sync", data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def rows(conn: Any, table: str) -> list[dict[str, Any]]:
    """A table's rows in wire form (every column but sync_seq), by primary key."""
    got = changes_since(conn, table, None).to_dict()["rows"]
    return sorted(got, key=lambda r: json.dumps([r[k] for k in sorted(r) if k == "id"]))


def pg(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(url, autocommit=True)
