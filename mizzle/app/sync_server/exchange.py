"""One sync exchange: the client's changes up (push), everything it may see since its
cursors down (pull), in one request (docs/sync.md, *The protocol*).

The push is one transaction: the batch id recorded first (a retry waits for the first run,
then gets its answer and applies nothing), ownership checked in SQL for every row and delete
(`visibility`), the changes applied by `mizzle.core.sync.api.apply_remote` in relay mode
(deletes children first, rows parents first), conflicts settled by each table's policy, and
a last check that every row written is still the user's. The pull runs after it commits, in
a read transaction of its own, so that the client gets back what it pushed with the
server's times.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

import psycopg

from mizzle.app.sync_server import store
from mizzle.app.sync_server.auth import Claims
from mizzle.app.sync_server.clock import clocked
from mizzle.app.sync_server.config import ServerConfig
from mizzle.app.sync_server.renames import renames_since
from mizzle.app.sync_server.visibility import condition, q
from mizzle.core.errors import MizzleError
from mizzle.core.sync import api, wire
from mizzle.core.sync.api import Changes, SyncError, Tombstone
from mizzle.core.sync.database import TableInfo
from mizzle.core.sync.names import SYNC_SEQ, SYNC_VERSION, TOMBSTONES
from mizzle.core.sync.protocol import (
    PROTOCOL,
    Page,
    ProtocolError,
    PullRequest,
    PushRequest,
    SyncRequest,
    parse_cursor,
)
from mizzle.core.sync.rules import DELETED, TableRule, remote_wins
from mizzle.dialects.postgresql.sync_db import PostgresSyncDb, select_list

Json = dict[str, Any]


def exchange(conn: psycopg.Connection[Any], config: ServerConfig, claims: Claims, request: SyncRequest) -> Json:
    """The response to one request (ProtocolError for one the server refuses as a whole)."""
    heads = store.migration_heads(conn)
    _check_schema(heads, request.schema, config.window)
    for table in [p.table for p in request.push] + [p.table for p in request.pull]:
        if table not in config.rules:
            raise ProtocolError(f'table "{table}" is not synced by this server', code="unknown_table")
    try:
        names = renames_since(config.migrations, request.schema, heads)
    except MizzleError as err:
        raise ProtocolError(str(err), code="unavailable", status=503) from None
    response: Json = {"protocol": PROTOCOL, "schema": heads[-1] if heads else None}
    if request.push:
        assert request.batch is not None
        pushes = [
            PushRequest(p.table, [names.row_to_server(p.table, r) for r in p.rows], p.deletes) for p in request.push
        ]
        pushed = _push(conn, config, claims, request.batch, request.device, pushes)
        for table, result in pushed.items():
            for item in [*result.get("rows", []), *result.get("deletes", [])]:
                if item.get("server_row") is not None:
                    item["server_row"] = names.row_to_client(table, item["server_row"])
        response["push"] = pushed
    pulls = [
        PullRequest(
            p.table, p.cursor, None if p.columns is None else tuple(names.to_server(p.table, c) for c in p.columns)
        )
        for p in request.pull
    ]
    pulled = _pull(conn, config, claims, pulls, request.limit) if pulls else {}
    for table, result in pulled.items():
        result["rows"] = [names.row_to_client(table, r) for r in result["rows"]]
    response["pull"] = pulled
    response["more"] = any(p["more"] for p in pulled.values())
    return response


def _check_schema(heads: list[str], client: str | None, window: int) -> None:
    if client == (heads[-1] if heads else None):
        return
    if client is not None and client not in heads:
        raise ProtocolError(
            f'the client\'s schema "{client}" is not a migration this server has applied (a newer client: '
            "migrate the server first)",
            code="schema_ahead",
            status=409,
        )
    behind = len(heads) - (heads.index(client) + 1 if client is not None else 0)
    if behind > window:
        raise ProtocolError(
            f"the client's schema is {behind} migrations behind the server's ({heads[-1]}); this server syncs "
            f"clients up to {window} behind: upgrade the client",
            code="upgrade_required",
            status=426,
        )


def _as_user(conn: psycopg.Connection[Any], config: ServerConfig, claims: Claims) -> None:
    """The token's claims for this transaction, as Supabase sets them (RLS policies read
    `request.jwt.claims` and `auth.uid()` reads `request.jwt.claim.sub`), and its role when
    the server was allowed to take it."""
    conn.execute(
        "SELECT set_config('request.jwt.claims', %s, true), set_config('request.jwt.claim.sub', %s, true), "
        "set_config('request.jwt.claim.role', %s, true)",
        (json.dumps(claims.raw), claims.user_id, claims.role or ""),
    )
    if claims.role is not None and claims.role in config.roles:
        conn.execute(f"SET LOCAL ROLE {q(claims.role)}")


# --- push -------------------------------------------------------------------------------------


def _push(
    conn: psycopg.Connection[Any],
    config: ServerConfig,
    claims: Claims,
    batch: str,
    device: str | None,
    pushes: list[PushRequest],
) -> Json:
    db = PostgresSyncDb(conn)
    by_table = {p.table: p for p in pushes}
    order = [t for t in config.rules if t in by_table]
    with conn.transaction():
        _as_user(conn, config, claims)
        seen = store.claim_batch(conn, claims.user_id, batch, device)
        if seen is not None:
            return seen
        results: Json = {t: {"applied": 0, "deleted": 0, "unchanged": 0, "rows": [], "deletes": []} for t in order}
        tables = {t: _TablePush(conn, db, config, claims, t, by_table[t], results[t]) for t in order}
        for t in reversed(order):
            tables[t].deletes()
        for t in order:
            tables[t].rows()
        store.record_batch(conn, claims.user_id, batch, results)
    return results


class _TablePush:
    """One table's part of a push: its checks, its apply_remote calls, its results."""

    def __init__(
        self,
        conn: psycopg.Connection[Any],
        db: PostgresSyncDb,
        config: ServerConfig,
        claims: Claims,
        table: str,
        push: PushRequest,
        out: Json,
    ) -> None:
        self.conn, self.db, self.config, self.claims, self.push, self.out = conn, db, config, claims, push, out
        self.rule: TableRule = config.rules[table]
        try:
            self.info = api.sync_table(db, table)
        except SyncError as err:
            raise ProtocolError(str(err), code="unknown_table") from None
        self.cond = condition(conn, config.rules, table, q(table), claims.user_id)
        self.pk_types = [self._column(c).type for c in self.info.primary_key]

    def _column(self, name: str) -> Any:
        column = self.info.column(name)
        assert column is not None
        return column

    # -- deletes --

    def deletes(self) -> None:
        given = self.push.deletes
        results: list[Json] = [{}] * len(given)
        passed: list[tuple[int, Tombstone]] = []
        keys = [self._key(d.get("pk")) for d in given]
        allowed = self._existing([k for k in keys if k is not None])
        for i, (d, key) in enumerate(zip(given, keys, strict=True)):
            problem = self._writable() or (None if key is not None else "its primary key does not fit the table")
            if problem is None and key is not None and allowed.get(key) is False:
                problem = "the row belongs to another user"
            if problem is None:
                try:
                    passed.append(
                        (i, Changes.from_dict({"table": self.info.name, "rows": [], "deletes": [d]}).deletes[0])
                    )
                    continue
                except SyncError as err:
                    problem = str(err)
            results[i] = {"index": i, "pk": d.get("pk"), "status": "rejected", "reason": problem}
        report = api.apply_remote(
            self.db, self.info.name, Changes(self.info.name, deletes=[t for _, t in passed]), relay=True
        )
        self.out["deleted"] += report.deleted
        self.out["unchanged"] += report.unchanged
        conflicts = {c.pk: c for c in report.conflicts}
        rejected = {r.index: r.reason for r in report.rejected}
        for j, (i, t) in enumerate(passed):
            if j in rejected:
                results[i] = {"index": i, "pk": list(t.pk), "status": "rejected", "reason": rejected[j]}
                continue
            key = self._key(list(t.pk))
            found = conflicts.get(key) if key is not None else None
            if found is None:
                results[i] = {"index": i, "pk": list(t.pk), "status": "applied"}
                if not self.rule.shared:
                    self._record_deleted(t.pk)
                continue
            results[i] = self._settle_delete(i, t, found)
        self.out["deletes"] = results

    def _settle_delete(self, index: int, pushed: Tombstone, found: api.Conflict) -> Json:
        """A delete that met a newer edit here. `reject`: the row stays, untouched. `lww` and
        `server_wins`: the edit wins, the row stays and is written again with a version past
        the client's, so that the device that deleted it gets it back. `hook`: the hook is
        called with None as the pushed row and returns the row to keep (the server's, or a
        merge: written as under lww), None (as reject) or `DELETED` (the delete wins: the row
        is deleted here and the tombstone goes to the other devices)."""
        local = found.local_row
        resolution = None
        problem = None
        if local is not None and self.rule.conflict == "hook":
            assert self.config.hook is not None
            chosen = self.config.hook(self.info.name, local, None)
            if chosen is DELETED:
                problem, resolution = self._delete_anyway(pushed, found.local_version), "client"
            elif isinstance(chosen, Mapping):
                keep = {**local, **chosen, **{c: local[c] for c in self.info.primary_key}}
                problem = self._write({**keep, SYNC_VERSION: max(found.local_version, found.remote_version) + 1})
                resolution = "server" if keep == local else "merged"
        elif local is not None and self.rule.conflict != "reject":
            problem = self._write({**local, SYNC_VERSION: max(found.local_version, found.remote_version) + 1})
            resolution = "server"
        result: Json = {
            "index": index,
            "pk": list(pushed.pk),
            "status": "conflict",
            "reason": found.reason,
            "server_row": _json(local),
            "resolution": resolution,
        }
        if problem:
            result.update(status="rejected", reason=f"the {resolution} side could not be written: {problem}")
        return result

    def _delete_anyway(self, pushed: Tombstone, version: int) -> str | None:
        """Delete the row as the hook decided: a tombstone at the server's version applies."""
        tombstone = Tombstone(pushed.pk, version, pushed.deleted_at, pushed.device_id)
        report = api.apply_remote(self.db, self.info.name, Changes(self.info.name, deletes=[tombstone]), relay=True)
        if report.rejected:
            return report.rejected[0].reason
        if report.deleted != 1:
            return "it was not deleted"
        if not self.rule.shared:
            self._record_deleted(pushed.pk)
        return None

    def _record_deleted(self, pk: Sequence[Any]) -> None:
        slots = ", ".join(f"%s::{self._column(c).sql_type}" for c in self.info.primary_key)
        self.conn.execute(
            f'INSERT INTO "{store.DELETED}" ("table_name", "pk", "owner") '
            f"VALUES (%s, jsonb_build_array({slots})::text, %s) "
            'ON CONFLICT ("table_name", "pk") DO UPDATE SET "owner" = EXCLUDED."owner"',
            (self.info.name, *self._encoded(pk), self.claims.user_id),
        )

    # -- rows --

    def rows(self) -> None:
        given = self.push.rows
        results: list[Json] = [{}] * len(given)
        keys = [self._key([r.get(c) for c in self.info.primary_key]) for r in given]
        allowed = self._existing([k for k in keys if k is not None])
        new_ok = self._new_values_allowed(given)
        passed: list[tuple[int, Json]] = []
        for i, (row, key) in enumerate(zip(given, keys, strict=True)):
            problem = self._writable() or (None if key is not None else "its primary key does not fit the table")
            if problem is None and key is not None:
                if allowed.get(key) is False:
                    problem = "the row belongs to another user"
                elif new_ok.get(i) is False:
                    problem = f"the row would not be the user's (column {self._rule_column()})"
                elif new_ok.get(i) is None and key not in allowed and self._rule_column() is not None:
                    problem = f'a new row must give "{self._rule_column()}"'
            if problem is not None:
                results[i] = {
                    "index": i,
                    "pk": [row.get(c) for c in self.info.primary_key],
                    "status": "rejected",
                    "reason": problem,
                }
            else:
                passed.append((i, row))
        now = self._now()
        report = api.apply_remote(
            self.db,
            self.info.name,
            [dict(clocked(r, now, self.config.max_clock_skew)) for _, r in passed],
            relay=True,
            server_time=False,
        )
        self.out["applied"] += report.applied
        self.out["unchanged"] += report.unchanged
        conflicts = {c.pk: c for c in report.conflicts}
        rejected = {r.index: r.reason for r in report.rejected}
        visible = self._existing([c.pk for c in report.conflicts])
        for j, (i, row) in enumerate(passed):
            pk = [row.get(c) for c in self.info.primary_key]
            if j in rejected:
                results[i] = {"index": i, "pk": pk, "status": "rejected", "reason": rejected[j]}
                continue
            key = keys[i]
            found = conflicts.get(key) if key is not None else None
            if found is None:
                results[i] = {"index": i, "pk": pk, "status": "applied"}
                continue
            if not visible.get(found.pk, False):
                # another user created this key meanwhile: their row is not this user's to see
                results[i] = {"index": i, "pk": pk, "status": "rejected", "reason": "the row belongs to another user"}
                continue
            results[i] = self._settle(i, found)
        self._check_written([k for (i, _) in passed if (k := keys[i]) is not None])
        self.out["rows"] = results

    def _settle(self, index: int, found: api.Conflict) -> Json:
        """A row conflict, settled by the table's policy: the winner is written with a version
        past both, so that the next pull takes it to the client (and to every other one)."""
        assert found.local_row is not None and found.remote_row is not None
        local, remote = found.local_row, found.remote_row
        winner: Mapping[str, Any] | None = None
        resolution = None
        if self.rule.conflict == "hook":
            assert self.config.hook is not None
            chosen = self.config.hook(self.info.name, local, remote)
            if isinstance(chosen, Mapping):
                winner = {**local, **chosen, **{c: local[c] for c in self.info.primary_key}}
                resolution = "server" if winner == local else "client" if winner == {**local, **remote} else "merged"
        else:
            wins = remote_wins(self.rule.conflict, local, remote)
            if wins is not None:
                winner, resolution = ({**local, **remote}, "client") if wins else (local, "server")
        result: Json = {
            "index": index,
            "pk": list(found.pk),
            "status": "conflict",
            "reason": found.reason,
            "server_row": _json(local),
            "resolution": resolution,
        }
        if winner is not None:
            problem = self._write({**winner, SYNC_VERSION: max(found.local_version, found.remote_version) + 1})
            if problem:
                result.update(status="rejected", reason=f"the {resolution} row could not be written: {problem}")
        return result

    def _now(self) -> datetime:
        """The server's clock: the push transaction's start (PostgreSQL's now())."""
        row = self.conn.execute("SELECT now()").fetchone()
        assert row is not None
        return cast(datetime, row[0])

    def _write(self, row: Mapping[str, Any]) -> str | None:
        report = api.apply_remote(self.db, self.info.name, [dict(row)], relay=True, server_time=False)
        if report.rejected:
            return report.rejected[0].reason
        return None if report.applied == 1 else "it was not applied"

    # -- ownership --

    def _writable(self) -> str | None:
        return None if self.rule.writable else f'table "{self.info.name}" is read-only through sync (shared)'

    def _rule_column(self) -> str | None:
        return self.rule.owner or self.rule.via

    def _key(self, pk: Any) -> tuple[Any, ...] | None:
        """The primary key in wire form (as the API compares keys), None when it does not fit."""
        if not isinstance(pk, list | tuple) or len(pk) != len(self.pk_types) or any(v is None for v in pk):
            return None
        try:
            return tuple(wire.canonical(v, t) for v, t in zip(pk, self.pk_types, strict=True))
        except (wire.WireError, TypeError, ValueError, OverflowError):
            return None

    def _encoded(self, key: Sequence[Any]) -> list[Any]:
        return [self.db.encode(v, t) for v, t in zip(key, self.pk_types, strict=True)]

    def _values(self, keys: Sequence[tuple[Any, ...]]) -> tuple[str, list[Any]]:
        one = "(" + ", ".join(f"%s::{self._column(c).sql_type}" for c in self.info.primary_key) + ")"
        return "VALUES " + ", ".join([one] * len(keys)), [v for k in keys for v in self._encoded(k)]

    def _existing(self, keys: Sequence[tuple[Any, ...]]) -> dict[tuple[Any, ...], bool]:
        """The rows of these keys that exist here: whether each is the user's (locked)."""
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        pk = ", ".join(q(c) for c in self.info.primary_key)
        found: dict[tuple[Any, ...], bool] = {}
        read = api.row_reader(self.db, _only(self.info, self.info.primary_key))
        for start in range(0, len(wanted), api.LOOKUP_CHUNK):
            values, params = self._values(wanted[start : start + api.LOOKUP_CHUNK])
            query = (
                f"SELECT {pk}, ({self.cond.sql}) FROM {q(self.info.name)} WHERE ({pk}) IN ({values}) "
                f"FOR UPDATE OF {q(self.info.name)}"
            )
            for *key, ok in self.conn.execute(query, [*self.cond.params, *params]):
                found[tuple(read(key).values())] = bool(ok)
        return found

    def _new_values_allowed(self, rows: Sequence[Json]) -> dict[int, bool]:
        """For rows that give the rule's column: whether its new value makes the row the user's."""
        column = self._rule_column()
        if column is None or self.info.column(column) is None:
            return {}
        sql_type, ctype = self._column(column).sql_type, self._column(column).type
        given: list[tuple[int, Any]] = []
        answer: dict[int, bool] = {}
        for i, row in enumerate(rows):
            if column not in row:
                continue
            try:
                value = (
                    row[column] if row[column] is None else self.db.encode(wire.canonical(row[column], ctype), ctype)
                )
            except (wire.WireError, TypeError, ValueError, OverflowError):
                answer[i] = False
                continue
            given.append((i, value))
        alias = '"__new"'
        new = condition(self.conn, self.config.rules, self.info.name, alias, self.claims.user_id)
        for start in range(0, len(given), api.LOOKUP_CHUNK):
            chunk = given[start : start + api.LOOKUP_CHUNK]
            values = ", ".join([f"(%s::integer, %s::{sql_type})"] * len(chunk))
            query = f'SELECT {alias}."__i" FROM (VALUES {values}) AS {alias}("__i", {q(column)}) WHERE {new.sql}'
            params = [v for pair in chunk for v in pair]
            ok = {int(r[0]) for r in self.conn.execute(query, [*params, *new.params])}
            answer.update({i: i in ok for i, _ in chunk})
        return answer

    def _check_written(self, keys: Sequence[tuple[Any, ...]]) -> None:
        """Every row this push wrote is still the user's: the checks above ran before the
        writes, and a row another transaction created meanwhile may have been updated."""
        if self.rule.shared or not keys:
            return
        wanted = list(dict.fromkeys(keys))
        pk = ", ".join(q(c) for c in self.info.primary_key)
        for start in range(0, len(wanted), api.LOOKUP_CHUNK):
            values, params = self._values(wanted[start : start + api.LOOKUP_CHUNK])
            query = f"SELECT count(*) FROM {q(self.info.name)} WHERE ({pk}) IN ({values}) AND NOT ({self.cond.sql})"
            row = self.conn.execute(query, [*params, *self.cond.params]).fetchone()
            if row is not None and row[0]:
                raise ProtocolError(
                    "a row of this push changed owner while it was applied; nothing was applied: send it again",
                    code="retry",
                    status=409,
                )


def _only(info: TableInfo, names: Sequence[str]) -> TableInfo:
    columns = tuple(c for name in names if (c := info.column(name)) is not None)
    return TableInfo(info.name, columns, info.primary_key, has_triggers=True)


def _json(row: Mapping[str, Any] | None) -> Json | None:
    return None if row is None else {k: wire.json_ready(v) for k, v in row.items()}


# --- pull -------------------------------------------------------------------------------------


def _pull(
    conn: psycopg.Connection[Any], config: ServerConfig, claims: Claims, pulls: list[PullRequest], limit: int
) -> Json:
    db = PostgresSyncDb(conn)
    out: Json = {}
    with conn.transaction():
        _as_user(conn, config, claims)
        # Before any row: no row committed after this moment is below it (see SyncDatabase)
        floor = db.cursor_floor()
        for pull in pulls:
            out[pull.table] = _pull_table(conn, db, config, claims, pull, limit, floor)
    return out


def _pull_table(
    conn: psycopg.Connection[Any],
    db: PostgresSyncDb,
    config: ServerConfig,
    claims: Claims,
    pull: PullRequest,
    limit: int,
    floor_now: int,
) -> Json:
    try:
        info = api.sync_table(db, pull.table)
    except SyncError as err:
        raise ProtocolError(str(err), code="unknown_table") from None
    since, page = parse_cursor(pull.cursor)
    floor, after = (floor_now, None) if page is None else (page.floor, page.after)
    if page is not None:
        since = page.since
    names = _columns_for(info, pull.columns)
    cond = condition(conn, config.rules, info.name, q(info.name), claims.user_id)
    where, params = [cond.sql], list(cond.params)
    if since is not None:
        where.append(f"{q(SYNC_SEQ)} >= %s")
        params.append(since)
    pk = ", ".join(q(c) for c in info.primary_key)
    if after is not None:
        if len(after) != len(info.primary_key):
            raise ProtocolError(f'pull of "{info.name}": the page cursor does not fit the table')
        slots = ", ".join(f"%s::{_sql_type(info, c)}" for c in info.primary_key)
        where.append(f"({pk}) > ({slots})")
        params.extend(db.encode(v, _type(info, c)) for v, c in zip(after, info.primary_key, strict=True))
    query = f"SELECT {select_list(info)} FROM {q(info.name)} WHERE {' AND '.join(where)} ORDER BY {pk} LIMIT %s"
    try:
        raw = conn.execute(query, [*params, limit + 1]).fetchall()
    except psycopg.errors.DataException as err:
        raise ProtocolError(f'pull of "{info.name}": the cursor does not fit the table ({err})') from None
    read = api.row_reader(db, info)
    rows = [read(r) for r in raw[:limit]]
    more = len(raw) > limit
    deletes = (
        _tombstones(conn, db, info, config.rules[info.name], claims, since)
        if page is None and since is not None
        else []
    )
    if more:
        cursor = Page(since, floor, [wire.json_ready(rows[-1][c]) for c in info.primary_key]).token()
    else:
        cursor = f"xid:{max(floor, since or 0)}"
    return {
        "rows": [{k: wire.json_ready(v) for k, v in r.items() if k in names} for r in rows],
        "deletes": [
            {
                "pk": wire.json_ready(list(t.pk)),
                "sync_version": t.sync_version,
                "deleted_at": t.deleted_at,
                "device_id": t.device_id,
            }
            for t in deletes
        ],
        "cursor": cursor,
        "more": more,
    }


def _tombstones(
    conn: psycopg.Connection[Any], db: PostgresSyncDb, info: TableInfo, rule: TableRule, claims: Claims, since: int
) -> list[Tombstone]:
    """The deletes since the cursor: of a shared table all, of an owned one those the user made
    (`store.DELETED`)."""
    mine = (
        ""
        if rule.shared
        else f' AND EXISTS (SELECT 1 FROM "{store.DELETED}" d WHERE d."table_name" = t."table_name" '
        'AND d."pk" = t."pk" AND d."owner" = %s)'
    )
    query = (
        f'SELECT t."pk", t."sync_version", t."deleted_at", t."device_id" FROM {q(TOMBSTONES)} t '
        f'WHERE t."table_name" = %s AND t.{q(SYNC_SEQ)} >= %s{mine} ORDER BY t.{q(SYNC_SEQ)}, t."id"'
    )
    params: list[Any] = [info.name, since] + ([] if rule.shared else [claims.user_id])
    return [api.tombstone(info, r) for r in conn.execute(query, params).fetchall()]


def _columns_for(info: TableInfo, wanted: Sequence[str] | None) -> set[str]:
    """The columns a client's rows carry: those it says its table has (an older client's
    table lacks the columns later migrations added), never fewer than the key and version."""
    have = {c.name for c in info.columns}
    if wanted is None:
        return have
    needed = [*info.primary_key, SYNC_VERSION]
    lacking = [c for c in needed if c not in wanted]
    if lacking:
        raise ProtocolError(f'pull of "{info.name}": the columns must include "{lacking[0]}"')
    return have & set(wanted)


def _type(info: TableInfo, name: str) -> Any:
    column = info.column(name)
    assert column is not None
    return column.type


def _sql_type(info: TableInfo, name: str) -> str:
    column = info.column(name)
    assert column is not None
    return column.sql_type
