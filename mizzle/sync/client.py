"""A sync client for a SQLite file: push its changes to a mizzle sync server and pull
everyone's, in one request per round (docs/sync.md, *The Python client*).

    from mizzle.sync.client import SyncClient

    client = SyncClient("app.db", "https://sync.example.com", token=lambda: session.jwt,
                        tables=["project", "task"], device="laptop-1")
    result = client.sync()           # result.conflicts, result.rejected: what was not applied

The device's side of the protocol (the outbox, the request, applying the response) is
`mizzle.dialects.sqlite.sync_device.DeviceSync`, which the browser's client runs too; this
module adds the network: HTTP, retries with backoff, an interval, conflict events.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.core.sync import api
from mizzle.core.sync.api import Tombstone
from mizzle.core.sync.protocol import DEFAULT_LIMIT
from mizzle.dialects.sqlite.sync_device import STATE_TABLE, DeviceSync

#: HTTP statuses worth another try: the server or the database was busy or away
_RETRY_STATUSES = {408, 429, 500, 502, 503, 504}


class SyncClientError(MizzleError):
    """A sync the server refused, or could not be reached for: `code` is the server's error
    code ("unauthorized", "upgrade_required", "schema_ahead", ...) or "unreachable"."""

    def __init__(self, message: str, *, code: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass
class SyncResult:
    """What one `sync()` did: rows and deletes the server took, rows pulled, and per table the
    server's results that were not "applied" (conflicts with the server's row, rejections)."""

    pushed: int = 0
    pulled: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    #: conflicts applying pulled rows met here (a local edit not pushed yet)
    local_conflicts: list[api.Conflict] = field(default_factory=list)
    #: pulled rows and deletes this file refused (a value its column cannot hold): (table, rejection)
    local_rejected: list[tuple[str, api.Rejection]] = field(default_factory=list)
    requests: int = 0


class SyncClient:
    """`db`: a SQLite file path or an open `sqlite3.Connection` (autocommit mode,
    `isolation_level=None`). `tables`: parents first. `token`: the JWT, or a function giving
    a fresh one per request. `retries`: how many times a request that failed in transit is
    sent again, waiting `backoff` seconds, doubled each time (with jitter). `on_conflict`: called
    with each conflict the server reports (the server's push result, with its `table`), once
    the sync that met it has committed."""

    def __init__(
        self,
        db: str | Path | sqlite3.Connection,
        url: str,
        *,
        tables: Sequence[str],
        token: str | Callable[[], str],
        device: str | None = None,
        retries: int = 5,
        backoff: float = 0.2,
        timeout: float = 30.0,
        limit: int = DEFAULT_LIMIT,
        on_conflict: Callable[[dict[str, Any]], None] | None = None,
        push_limit: int = 5000,
    ) -> None:
        if isinstance(db, sqlite3.Connection):
            if db.isolation_level is not None:
                raise MizzleError("the sync client needs a connection in autocommit mode (isolation_level=None)")
            self.conn = db
        else:
            # usable from the thread `sync_every` runs in; `_lock` keeps one sync at a time
            self.conn = sqlite3.connect(str(db), isolation_level=None, timeout=30, check_same_thread=False)
            self.conn.execute("PRAGMA foreign_keys = ON")
        self.url = url.rstrip("/") + "/sync"
        self.tables = list(tables)
        self._token = token
        self.retries, self.backoff, self.timeout, self.limit = retries, backoff, timeout, limit
        self.on_conflict = on_conflict
        self.push_limit = max(1, push_limit)
        self._lock = threading.Lock()
        self.device_sync = DeviceSync(self.conn, self.tables, device=device, limit=limit, push_limit=push_limit)
        self.db = self.device_sync.db
        self.device = device

    def schema_head(self) -> str | None:
        """The last migration applied to the file (None: none, or no tracking table)."""
        return self.device_sync.schema_head()

    # --- sync -------------------------------------------------------------------------------

    def sync(self) -> SyncResult:
        """Push what is waiting (the one pending batch, or the changes since the last push),
        pull until the server has nothing more; SyncClientError when the server refuses.
        One at a time: a call while another runs (another thread) waits for it."""
        with self._lock:
            result = self._sync()
        if self.on_conflict is not None:
            for conflict in result.conflicts:
                self.on_conflict(conflict)
        return result

    def _sync(self) -> SyncResult:
        result = SyncResult()
        push = True
        while True:
            request = self.device_sync.request(push=push)
            response = self._post(request)
            result.requests += 1
            step = self.device_sync.take(request, response)
            result.pushed += step.pushed
            result.pulled += step.pulled
            result.conflicts += step.conflicts
            result.rejected += step.rejected
            result.local_conflicts += step.local_conflicts
            result.local_rejected += step.local_rejected
            if not step.again:
                return result
            push = step.push  # more was waiting than one push carries

    def sync_every(self, interval: float, stop: threading.Event) -> None:
        """Sync every `interval` seconds until `stop` is set; a server out of reach (after
        the retries) is tried again at the next interval, anything else is raised."""
        while not stop.is_set():
            try:
                self.sync()
            except SyncClientError as err:
                if err.code != "unreachable" and err.status not in _RETRY_STATUSES:
                    raise
            stop.wait(interval)

    # --- HTTP -------------------------------------------------------------------------------

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        attempt = 0
        while True:
            token = self._token() if callable(self._token) else self._token
            request = urllib.request.Request(
                self.url,
                data=data,
                method="POST",
                headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                    parsed: dict[str, Any] = json.loads(answer.read())
                    return parsed
            except urllib.error.HTTPError as err:
                error = _error_of(err)
                retry = err.code in _RETRY_STATUSES or error.code == "retry"
                if not retry or attempt >= self.retries:
                    raise error from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as err:
                if attempt >= self.retries:
                    reason = getattr(err, "reason", err)
                    raise SyncClientError(
                        f"the sync server {self.url} is not reachable: {reason}", code="unreachable"
                    ) from None
            time.sleep(self.backoff * (2**attempt) * (0.5 + random.random()))
            attempt += 1

    def close(self) -> None:
        self.conn.close()


def _error_of(err: urllib.error.HTTPError) -> SyncClientError:
    try:
        error = json.loads(err.read())["error"]
        return SyncClientError(str(error["message"]), code=str(error["code"]), status=err.code)
    except (ValueError, KeyError, TypeError):
        return SyncClientError(f"the sync server answered {err.code} {err.reason}", code="http", status=err.code)


__all__ = ["STATE_TABLE", "SyncClient", "SyncClientError", "SyncResult", "Tombstone"]
