"""A sync client for a SQLite file: push its changes to a mizzle sync server and pull
everyone's, in one request per round (docs/sync.md, *The Python client*).

    from mizzle.sync.client import SyncClient

    client = SyncClient("app.db", "https://sync.example.com", token=lambda: session.jwt,
                        tables=["project", "task"], device="laptop-1")
    result = client.sync()           # result.conflicts, result.rejected: what was not applied

The outbox is the database itself: the sync triggers record every local write (`sync_seq`,
tombstones), so a change made offline waits there, across restarts, until a push of it is
answered. A push is first written down in the file with its batch id (`__mizzle_sync_client`)
and sent again, byte for byte, until the server answers: the server applies a batch once,
so a lost answer costs a retry, never a second write. Cursors are kept in the same table
and move only in the transaction that applies what they cover.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.core.sync import api
from mizzle.core.sync.api import Changes, Tombstone
from mizzle.core.sync.database import TableInfo
from mizzle.core.sync.names import SYNC_SEQ, TOMBSTONES
from mizzle.core.sync.protocol import DEFAULT_LIMIT, PROTOCOL
from mizzle.core.tracking import TRACKING_TABLE
from mizzle.dialects.sqlite.sync_db import sync_database

#: the client's own state in the SQLite file: (key, value) with keys `pending` (the push
#: being sent), `push:<table>` and `pull:<table>` (cursors)
STATE_TABLE = "__mizzle_sync_client"

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
        self.db = sync_database(self.conn)
        self.conn.execute(
            f'CREATE TABLE IF NOT EXISTS "{STATE_TABLE}" ("key" TEXT PRIMARY KEY NOT NULL, "value" TEXT NOT NULL)'
        )
        if device is not None:
            api.set_device(self.db, device)
        self.device = device

    # --- the state kept in the file ---------------------------------------------------------

    def _get(self, key: str) -> Any:
        row = self.conn.execute(f'SELECT "value" FROM "{STATE_TABLE}" WHERE "key" = ?', (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _set(self, key: str, value: Any) -> None:
        if value is None:
            self.conn.execute(f'DELETE FROM "{STATE_TABLE}" WHERE "key" = ?', (key,))
        else:
            self.conn.execute(
                f'INSERT INTO "{STATE_TABLE}" ("key", "value") VALUES (?, ?) '
                'ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"',
                (key, json.dumps(value)),
            )

    def schema_head(self) -> str | None:
        """The last migration applied to the file (None: none, or no tracking table)."""
        found = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TRACKING_TABLE,)).fetchone()
        if found is None:
            return None
        row = self.conn.execute(f'SELECT "name" FROM "{TRACKING_TABLE}" ORDER BY "id" DESC LIMIT 1').fetchone()
        return None if row is None else str(row[0])

    def _columns(self, table: str) -> list[str]:
        info = api.sync_table(self.db, table)
        return [c.name for c in info.columns]

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
        pending = self._get("pending") or self._outbox()
        first = True
        while True:
            request: dict[str, Any] = {
                "protocol": PROTOCOL,
                "schema": self.schema_head(),
                "device": self.device,
                "pull": {t: {"cursor": self._get(f"pull:{t}"), "columns": self._columns(t)} for t in self.tables},
                "limit": self.limit,
            }
            if first and pending is not None:
                request["batch"], request["push"] = pending["batch"], pending["push"]
            response = self._post(request)
            result.requests += 1
            self._take(response, pending if first else None, result)
            if first and pending is not None and pending.get("partial"):
                pending = self._outbox()  # more was waiting than one push carries
                continue
            first = False
            if not response.get("more"):
                return result

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

    def _outbox(self) -> dict[str, Any] | None:
        """The local changes since the last push, written down as the pending batch: at most
        `push_limit` rows and deletes, the earliest written first (tables in order, each
        table's in commit order), the rest left for the next batch (`partial`)."""
        push: dict[str, Any] = {}
        cursors: dict[str, str | None] = {}
        budget = self.push_limit
        partial = False
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for t in self.tables:
                cursor = self._get(f"push:{t}")
                if budget <= 0:
                    cursors[t], partial = cursor, partial or self._waiting(t)
                    continue
                changes = api.changes_since(self.db, t, cursor)
                cursors[t] = changes.cursor
                bound = self._bound(t, cursor, budget)
                if bound is not None:
                    changes = self._before(t, changes, bound)
                    cursors[t], partial = f"seq:{bound}", True
                budget -= len(changes.rows) + len(changes.deletes)
                if changes.rows or changes.deletes:
                    d = changes.to_dict()
                    push[t] = {"rows": d["rows"], "deletes": d["deletes"]}
            pending = (
                {"batch": str(uuid.uuid4()), "push": push, "cursors": cursors, "partial": partial} if push else None
            )
            if pending is None:  # nothing to send: the cursors move on (past pulled rows too)
                for t, cursor in cursors.items():
                    self._set(f"push:{t}", cursor)
            self._set("pending", pending)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return pending

    def _bound(self, table: str, cursor: str | None, budget: int) -> int | None:
        """The write number past the first `budget` changes of `table` since `cursor`, when
        there are more than that (None: they all fit). Changes without a number of their own
        (rows from before the commit-ordered cursor, all 0) cannot be split: None."""
        since = 0 if cursor is None else int(str(cursor).partition(":")[2])
        name = table.replace('"', '""')
        row = self.conn.execute(
            f'SELECT seq FROM (SELECT "{SYNC_SEQ}" AS seq FROM "{name}" WHERE "{SYNC_SEQ}" >= ? '
            f'UNION ALL SELECT "id" FROM "{TOMBSTONES}" WHERE "table_name" = ? AND "id" >= ?) '
            "ORDER BY seq LIMIT 1 OFFSET ?",
            (since, table, since, budget),
        ).fetchone()
        return None if row is None or int(row[0]) <= since else int(row[0])

    def _before(self, table: str, changes: Changes, bound: int) -> Changes:
        """`changes` without those written at or after write number `bound`."""
        info = api.sync_table(self.db, table)
        name = table.replace('"', '""')
        key = ", ".join(f'"{c.replace(chr(34), chr(34) * 2)}"' for c in info.primary_key)
        read = api.row_reader(
            self.db,
            TableInfo(
                table, tuple(c for k in info.primary_key if (c := info.column(k)) is not None), info.primary_key, True
            ),
        )
        late = {
            tuple(read(r).values())
            for r in self.conn.execute(f'SELECT {key} FROM "{name}" WHERE "{SYNC_SEQ}" >= ?', (bound,))
        }
        late_deletes = {
            api.tombstone(info, r)
            for r in self.conn.execute(
                f'SELECT "pk", "sync_version", "deleted_at", "device_id" FROM "{TOMBSTONES}" '
                'WHERE "table_name" = ? AND "id" >= ?',
                (table, bound),
            )
        }
        return Changes(
            table,
            rows=[r for r in changes.rows if tuple(r[c] for c in info.primary_key) not in late],
            deletes=[d for d in changes.deletes if d not in late_deletes],
        )

    def _take(self, response: dict[str, Any], pending: dict[str, Any] | None, result: SyncResult) -> None:
        """Apply the answer: the push done (its cursors kept, the batch forgotten) and the
        pulled changes applied, in one transaction with the pull cursors."""
        pulled = {t: Changes.from_dict({"table": t, **body}) for t, body in (response.get("pull") or {}).items()}
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            if pending is not None:
                for t, cursor in pending["cursors"].items():
                    self._set(f"push:{t}", cursor)
                self._set("pending", None)
                for t, body in (response.get("push") or {}).items():
                    result.pushed += int(body.get("applied", 0)) + int(body.get("deleted", 0))
                    for item in [*body.get("deletes", []), *body.get("rows", [])]:
                        if item.get("status") == "conflict":
                            result.conflicts.append({"table": t, **item})
                        elif item.get("status") == "rejected":
                            result.rejected.append({"table": t, **item})
            # Tables with no local change waiting get their push cursor moved past the rows
            # this pull writes (one writer at a time: nothing else writes meanwhile), so that
            # pulled rows are not pushed back.
            quiet = [t for t in pulled if not self._waiting(t)]
            ordered = [t for t in self.tables if t in pulled]
            for t in reversed(ordered):
                report = api.apply_remote(self.db, t, Changes(t, deletes=pulled[t].deletes))
                result.local_conflicts += report.conflicts
            for t in ordered:
                report = api.apply_remote(self.db, t, Changes(t, rows=pulled[t].rows))
                result.local_conflicts += report.conflicts
                result.pulled += len(pulled[t].rows)
            floor = f"seq:{self.db.cursor_floor()}"
            for t in ordered:
                self._set(f"pull:{t}", pulled[t].cursor)
                if t in quiet:
                    self._set(f"push:{t}", floor)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise

    def _waiting(self, table: str) -> bool:
        cursor = self._get(f"push:{table}")
        if cursor is None:
            return True
        seq = int(str(cursor).partition(":")[2])
        row = self.conn.execute(
            f'SELECT 1 FROM "{table.replace(chr(34), chr(34) * 2)}" WHERE "{SYNC_SEQ}" >= ? LIMIT 1', (seq,)
        )
        if row.fetchone() is not None:
            return True
        gone = self.conn.execute(
            'SELECT 1 FROM "__mizzle_tombstones" WHERE "table_name" = ? AND "id" >= ? LIMIT 1', (table, seq)
        ).fetchone()
        return gone is not None

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
