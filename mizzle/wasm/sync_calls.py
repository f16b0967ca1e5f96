"""The browser's sync client, Python's half: `mz.sync` in mizzle.js sends the requests (fetch,
retries, backoff, events) and calls these two for everything that touches the database, so
the outbox, the request and applying the response are the Python client's own code
(`mizzle.dialects.sqlite.sync_device`), not a second implementation that could drift.

    sync_request(db, {"tables", "device", "limit", "push_limit", "push"}) -> request JSON text
    sync_take(db, {"tables", "device", "request", "response"}) -> Step.to_dict()

The request and the response cross JavaScript as JSON *text*, never parsed there: JS numbers
would cut an integer beyond 2^53 (a bigint column's value, a pulled row's). What `sync_take`
returns for the app to read (conflicts with the server's rows) has such integers as decimal
text for the same reason.

`db` is a path in Pyodide's file system or a bridge to a sql.js / sqlite-wasm handle (its
`rows` method, see `handle_conn.py`). Standard library only.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.dialects.sqlite.sync_db import SqliteConnection
from mizzle.dialects.sqlite.sync_device import DeviceSync
from mizzle.wasm.handle_conn import HandleConnection, SyncBridge

#: JS numbers hold integers exactly up to this
_SAFE = 2**53 - 1


@contextmanager
def _connection(db: str | SyncBridge) -> Iterator[SqliteConnection]:
    if not isinstance(db, str):
        yield HandleConnection(db)
        return
    try:
        conn = sqlite3.connect(db, isolation_level=None)
    except sqlite3.Error as err:
        raise MizzleError(f"cannot open the database {db}: {err}") from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        yield conn
    finally:
        conn.close()


def _device(conn: SqliteConnection, args: dict[str, Any]) -> DeviceSync:
    tables = args.get("tables")
    return DeviceSync(
        conn,
        None if tables is None else [str(t) for t in tables],
        device=args.get("device"),
        limit=int(args.get("limit") or 1000),
        push_limit=int(args.get("push_limit") or 5000),
    )


def sync_request(db: str | SyncBridge, args: dict[str, Any]) -> str:
    """The next request to send, as JSON text (a push is written down in the database before
    it returns)."""
    with _connection(db) as conn:
        return json.dumps(_device(conn, args).request(push=bool(args.get("push", True))))


def sync_take(db: str | SyncBridge, args: dict[str, Any]) -> dict[str, Any]:
    """Apply the server's `response` (JSON text) to `request` (the text sync_request gave);
    what it did, JSON-ready, integers JS cannot hold as decimal text."""
    try:
        response = json.loads(args["response"])
    except ValueError:
        raise MizzleError("the sync server's answer is not JSON") from None
    with _connection(db) as conn:
        step = _device(conn, args).take(json.loads(args["request"]), response)
    safe: dict[str, Any] = _js_safe(step.to_dict())
    return safe


def _js_safe(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and not -_SAFE <= value <= _SAFE:
        return str(value)
    if isinstance(value, dict):
        return {k: _js_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_js_safe(v) for v in value]
    return value
