"""The device side of the sync protocol on SQLite, without the network: what a client sends
(`request`) and what it does with the answer (`take`). The Python client (`mizzle.sync.client`)
and the browser's (`mz.sync` in mizzle.js, through Pyodide) both run this one module, so the
two build the same request from the same database and apply a response to the same rows.

    device = DeviceSync(conn, tables=["project", "task"], device="laptop-1")
    request = device.request(push=True)       # written down in the file before it is sent
    response = post(request)                   # the caller's transport, retries and all
    step = device.take(request, response)      # step.again: send the next request at once

The outbox is the database itself: the sync triggers record every local write (`sync_seq`,
tombstones), so a change made offline waits there, across restarts, until a push of it is
answered. A push is first written down in the file with its batch id (`__mizzle_sync_client`)
and sent again, byte for byte, until the server answers: the server applies a batch once, so a
lost answer costs a retry, never a second write. Cursors are kept in the same table and move
only in the transaction that applies what they cover.

`conn` is a `sqlite3.Connection` in autocommit mode, or anything that behaves like one
(`SqliteConnection`: the browser's bridge to a sql.js or sqlite-wasm handle).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mizzle.core.quoting import quoted_name
from mizzle.core.sync import api
from mizzle.core.sync.api import Changes
from mizzle.core.sync.database import TableInfo
from mizzle.core.sync.names import SYNC_SEQ, TOMBSTONES
from mizzle.core.sync.protocol import DEFAULT_LIMIT, PROTOCOL
from mizzle.core.sync.wire import json_ready
from mizzle.core.tracking import TRACKING_TABLE
from mizzle.dialects.sqlite import sync_sql
from mizzle.dialects.sqlite.sync_db import SqliteConnection, sync_database

#: the client's own state in the SQLite file: (key, value) with keys `pending` (the push
#: being sent), `push:<table>` and `pull:<table>` (cursors), `columns:<table>` (the columns
#: and types the table had at its last request) and `refresh:<table>` (pulled again since a
#: migration changed it, until the pull is done)
STATE_TABLE = "__mizzle_sync_client"
_STATE = quoted_name(STATE_TABLE)


@dataclass
class Step:
    """What taking one response did: rows and deletes the server took (`pushed`), rows
    pulled, the server's results that were not "applied" (each with its `table`), conflicts
    met applying the pulled rows here (a local edit not pushed yet), and whether another
    request should follow at once (`again`; with `push`: it carries the next push batch)."""

    pushed: int = 0
    pulled: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    local_conflicts: list[api.Conflict] = field(default_factory=list)
    #: pulled rows and deletes this database refused (a value its column cannot hold), by table
    local_rejected: list[tuple[str, api.Rejection]] = field(default_factory=list)
    again: bool = False
    push: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (bytes as base64), for the browser."""
        return {
            "pushed": self.pushed,
            "pulled": self.pulled,
            "conflicts": self.conflicts,
            "rejected": self.rejected,
            "local_conflicts": [
                {
                    "pk": json_ready(list(c.pk)),
                    "local_version": c.local_version,
                    "remote_version": c.remote_version,
                    "reason": c.reason,
                    "local_row": _row_json(c.local_row),
                    "remote_row": _row_json(c.remote_row),
                }
                for c in self.local_conflicts
            ],
            "local_rejected": [
                {"table": t, "kind": r.kind, "pk": None if r.pk is None else json_ready(list(r.pk)), "reason": r.reason}
                for t, r in self.local_rejected
            ],
            "again": self.again,
            "push": self.push,
        }


def _row_json(row: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if row is None else {k: json_ready(v) for k, v in row.items()}


def sync_tables(conn: SqliteConnection) -> list[str]:
    """The database's sync tables (those with their triggers), parents before children."""
    names = [str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    triggers = {str(r[0]) for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    synced = [n for n in names if set(sync_sql.trigger_names(n)) <= triggers]
    parents = {
        n: {str(r[2]) for r in conn.execute(f"PRAGMA foreign_key_list({quoted_name(n)})")} & set(synced) - {n}
        for n in synced
    }
    ordered: list[str] = []
    while len(ordered) < len(synced):
        ready = [n for n in synced if n not in ordered and parents[n] <= set(ordered)]
        ordered += ready or [n for n in synced if n not in ordered]  # a cycle: the rest as they are
    return ordered


class DeviceSync:
    """One SQLite database's side of the protocol (see the module docstring). `tables`:
    parents first (None: every sync table, parents first). `push_limit`: the most rows and
    deletes one push carries (the earliest written first; `Step.push` says more is waiting)."""

    def __init__(
        self,
        conn: SqliteConnection,
        tables: Sequence[str] | None = None,
        *,
        device: str | None = None,
        limit: int = DEFAULT_LIMIT,
        push_limit: int = 5000,
    ) -> None:
        self.conn = conn
        self.db = sync_database(conn)
        self.tables = list(tables) if tables is not None else sync_tables(conn)
        self.device = device
        self.limit = limit
        self.push_limit = max(1, push_limit)
        conn.execute(f'CREATE TABLE IF NOT EXISTS {_STATE} ("key" TEXT PRIMARY KEY NOT NULL, "value" TEXT NOT NULL)')
        if device is not None:
            api.set_device(self.db, device)

    # --- the state kept in the file ---------------------------------------------------------

    def get(self, key: str) -> Any:
        row = self.conn.execute(f'SELECT "value" FROM {_STATE} WHERE "key" = ?', (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def _set(self, key: str, value: Any) -> None:
        if value is None:
            self.conn.execute(f'DELETE FROM {_STATE} WHERE "key" = ?', (key,))
        else:
            self.conn.execute(
                f'INSERT INTO {_STATE} ("key", "value") VALUES (?, ?) '
                'ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"',
                (key, json.dumps(value)),
            )

    def schema_head(self) -> str | None:
        """The last migration applied to the file (None: none, or no tracking table)."""
        found = self.conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (TRACKING_TABLE,)).fetchone()
        if found is None:
            return None
        last = f'SELECT "name" FROM {quoted_name(TRACKING_TABLE)} ORDER BY "id" DESC LIMIT 1'
        row = self.conn.execute(last).fetchone()
        return None if row is None else str(row[0])

    def _refresh_changed(self) -> dict[str, list[str]]:
        """Pull again, from the start, every table a migration changed since its last request
        (columns added, dropped, renamed or retyped): the rows pulled before it lack the
        server's values of the new columns, and the pull cursor is past them. Tables the
        migration left alone keep their cursors. Written down in the file first, so a request
        that fails is followed by the same re-pull. Each table's columns, by table."""
        columns: dict[str, list[str]] = {}
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            for t in self.tables:
                shape = [[c.name, c.sql_type] for c in api.sync_table(self.db, t).columns]
                columns[t] = [name for name, _ in shape]
                before = self.get(f"columns:{t}")
                if before == shape:
                    continue
                # no shape written down: a first sync, or the last one was before shapes were
                # kept (nothing to compare with: the cursor stays)
                if before is not None and self.get(f"pull:{t}") is not None:
                    self._set(f"pull:{t}", None)
                    self._set(f"refresh:{t}", True)
                self._set(f"columns:{t}", shape)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        return columns

    def _unpushed(self, table: str) -> set[tuple[Any, ...]]:
        """The keys of `table`'s rows written here and not pushed yet (past its push cursor;
        every row when it has none)."""
        info = api.sync_table(self.db, table)
        key = ", ".join(quoted_name(c) for c in info.primary_key)
        read = api.row_reader(
            self.db,
            TableInfo(
                table, tuple(c for k in info.primary_key if (c := info.column(k)) is not None), info.primary_key, True
            ),
        )
        cursor = self.get(f"push:{table}")
        since = 0 if cursor is None else int(str(cursor).partition(":")[2])
        query = f"SELECT {key} FROM {quoted_name(table)} WHERE {quoted_name(SYNC_SEQ)} >= ?"
        return {tuple(read(r).values()) for r in self.conn.execute(query, (since,))}

    # --- the two steps ----------------------------------------------------------------------

    def request(self, *, push: bool) -> dict[str, Any]:
        """The next request: with `push`, the pending batch (the one written down before, sent
        again as it was, or a new one from the changes since the last push, written down
        first); always the pull of every table from its cursor (from the start for a table a
        migration changed since: `_refresh_changed`)."""
        columns = self._refresh_changed()
        request: dict[str, Any] = {
            "protocol": PROTOCOL,
            "schema": self.schema_head(),
            "device": self.device,
            "pull": {t: {"cursor": self.get(f"pull:{t}"), "columns": columns[t]} for t in self.tables},
            "limit": self.limit,
        }
        pending = (self.get("pending") or self._outbox()) if push else None
        if pending is not None:
            request["batch"], request["push"] = pending["batch"], pending["push"]
        return request

    def take(self, request: dict[str, Any], response: dict[str, Any]) -> Step:
        """Apply the server's answer to `request`: the push done (its cursors kept, the batch
        forgotten) and the pulled changes applied, in one transaction with the pull cursors."""
        step = Step()
        pulled = {t: Changes.from_dict({"table": t, **body}) for t, body in (response.get("pull") or {}).items()}
        pending = self.get("pending")
        answered = pending is not None and request.get("batch") == pending["batch"]
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            if answered:
                for t, cursor in pending["cursors"].items():
                    self._set(f"push:{t}", cursor)
                self._set("pending", None)
                for t, body in (response.get("push") or {}).items():
                    step.pushed += int(body.get("applied", 0)) + int(body.get("deleted", 0))
                    for item in [*body.get("deletes", []), *body.get("rows", [])]:
                        if item.get("status") == "conflict":
                            step.conflicts.append({"table": t, **item})
                        elif item.get("status") == "rejected":
                            step.rejected.append({"table": t, **item})
            # Tables with no local change waiting get their push cursor moved past the rows
            # this pull writes (one writer at a time: nothing else writes meanwhile), so that
            # pulled rows are not pushed back.
            quiet = [t for t in pulled if not self._waiting(t)]
            ordered = [t for t in self.tables if t in pulled]
            # a table pulled again after a migration: its same-version rows replace the local
            # ones but for those written here and not pushed yet (read before anything is applied)
            refresh = {t: self._unpushed(t) for t in ordered if self.get(f"refresh:{t}")}
            for t in reversed(ordered):
                report = api.apply_remote(self.db, t, Changes(t, deletes=pulled[t].deletes))
                step.local_conflicts += report.conflicts
                step.local_rejected += [(t, r) for r in report.rejected]
            for t in ordered:
                rows = Changes(t, rows=pulled[t].rows)
                report = api.apply_remote(self.db, t, rows, refresh=t in refresh, unpushed=refresh.get(t, ()))
                step.local_conflicts += report.conflicts
                step.local_rejected += [(t, r) for r in report.rejected]
                step.pulled += len(pulled[t].rows)
            floor = f"seq:{self.db.cursor_floor()}"
            for t in ordered:
                self._set(f"pull:{t}", pulled[t].cursor)
                if t in refresh and not response["pull"][t].get("more"):
                    self._set(f"refresh:{t}", None)
                if t in quiet:
                    self._set(f"push:{t}", floor)
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        step.push = bool(answered and pending is not None and pending.get("partial"))
        step.again = step.push or bool(response.get("more"))
        return step

    # --- the outbox -------------------------------------------------------------------------

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
                cursor = self.get(f"push:{t}")
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
        row = self.conn.execute(
            f"SELECT seq FROM (SELECT {quoted_name(SYNC_SEQ)} AS seq FROM {quoted_name(table)} "
            f"WHERE {quoted_name(SYNC_SEQ)} >= ? "
            f'UNION ALL SELECT "id" FROM {quoted_name(TOMBSTONES)} WHERE "table_name" = ? AND "id" >= ?) '
            "ORDER BY seq LIMIT 1 OFFSET ?",
            (since, table, since, budget),
        ).fetchone()
        return None if row is None or int(row[0]) <= since else int(row[0])

    def _before(self, table: str, changes: Changes, bound: int) -> Changes:
        """`changes` without those written at or after write number `bound`."""
        info = api.sync_table(self.db, table)
        key = ", ".join(quoted_name(c) for c in info.primary_key)
        read = api.row_reader(
            self.db,
            TableInfo(
                table, tuple(c for k in info.primary_key if (c := info.column(k)) is not None), info.primary_key, True
            ),
        )
        late = {
            tuple(read(r).values())
            for r in self.conn.execute(
                f"SELECT {key} FROM {quoted_name(table)} WHERE {quoted_name(SYNC_SEQ)} >= ?", (bound,)
            )
        }
        late_deletes = {
            api.tombstone(info, r)
            for r in self.conn.execute(
                f'SELECT "pk", "sync_version", "deleted_at", "device_id" FROM {quoted_name(TOMBSTONES)} '
                'WHERE "table_name" = ? AND "id" >= ?',
                (table, bound),
            )
        }
        return Changes(
            table,
            rows=[r for r in changes.rows if tuple(r[c] for c in info.primary_key) not in late],
            deletes=[d for d in changes.deletes if d not in late_deletes],
        )

    def _waiting(self, table: str) -> bool:
        """Whether `table` has local changes past its push cursor."""
        cursor = self.get(f"push:{table}")
        if cursor is None:
            return True
        seq = int(str(cursor).partition(":")[2])
        changed = f"SELECT 1 FROM {quoted_name(table)} WHERE {quoted_name(SYNC_SEQ)} >= ? LIMIT 1"
        if self.conn.execute(changed, (seq,)).fetchone() is not None:
            return True
        gone = self.conn.execute(
            f'SELECT 1 FROM {quoted_name(TOMBSTONES)} WHERE "table_name" = ? AND "id" >= ? LIMIT 1', (table, seq)
        ).fetchone()
        return gone is not None
