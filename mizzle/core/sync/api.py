"""The dialect-neutral sync API: read a sync table's changes, apply another database's.

    changes = changes_since(client, "note", cursor)          # rows and deletes since cursor
    report = apply_remote(server, "note", changes, relay=True)
    cursor = changes.cursor                                  # for the next call

Everything here speaks to a database through `SyncDatabase` (`database.py`), a small
protocol each dialect implements (`mizzle/dialects/*/sync_db.py`), so the rules live once
and no driver is imported: `mizzle.sync` picks the adapter for a raw sqlite3 or psycopg connection. Values
travel in the neutral wire form of `wire.py`.

**Cursors.** A time cursor (`since` a datetime or ISO text) reads through the index on
`last_modified_at` and the tombstones' (table, deleted_at) index; `Changes.cursor` is the
latest time seen, to pass to the next call. A version cursor (`since` an int N: rows and
tombstones whose `sync_version` > N) scans the whole table: for a first full copy (N = 0)
or a repair, not for polling.

**Applying** (`apply_remote`) happens in one transaction (a savepoint inside the caller's),
with change tracking switched off for its duration and back on before it ends, so the rows
it writes keep the versions, times and devices they came with and are not recorded again as
local changes. Deletes first, then rows, each by the optimistic-concurrency rules of
docs/sync.md: a remote row replaces the local one only when its version is greater; equal
data is `unchanged`; anything else is a `Conflict`, reported and never overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.core.sync import wire
from mizzle.core.sync.database import Pk, SyncColumn, SyncDatabase, TableInfo
from mizzle.core.sync.names import DEVICE_ID, LAST_MODIFIED_AT, SYNC_COLUMNS, SYNC_VERSION
from mizzle.core.types import ColumnType

Row = dict[str, Any]

#: rows read per primary-key lookup statement (SQLite's parameter limit is 32766)
LOOKUP_CHUNK = 500


class SyncError(MizzleError):
    """A sync call that cannot be done: an unknown or non-sync table, a bad cursor, a row
    that does not fit the table, or the database refusing the change (nothing applied)."""


# --- what the API returns --------------------------------------------------------------------


@dataclass(frozen=True)
class Tombstone:
    """A deleted row: its primary key (wire form, in key order), the version it had, when
    and by which device it was deleted."""

    pk: Pk
    sync_version: int
    deleted_at: str
    device_id: str | None = None


@dataclass
class Changes:
    """A table's changes: rows (every column, wire form) and deletes, each ordered by time
    then primary key, and the cursor for the next call (the latest time seen, or the `since`
    given when nothing changed)."""

    table: str
    rows: list[Row] = field(default_factory=list)
    deletes: list[Tombstone] = field(default_factory=list)
    cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (bytes as base64 text): how changes travel between databases."""
        return {
            "table": self.table,
            "rows": [{k: wire.json_ready(v) for k, v in row.items()} for row in self.rows],
            "deletes": [
                {
                    "pk": wire.json_ready(list(t.pk)),
                    "sync_version": t.sync_version,
                    "deleted_at": t.deleted_at,
                    "device_id": t.device_id,
                }
                for t in self.deletes
            ],
            "cursor": self.cursor,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Changes:
        """Read `to_dict()`'s form back (values are typed again by `apply_remote`)."""
        try:
            table, rows, deletes, cursor = data["table"], data["rows"], data["deletes"], data.get("cursor")
            if not isinstance(table, str) or not isinstance(rows, list) or not isinstance(deletes, list):
                raise TypeError("table, rows or deletes of the wrong kind")
            if cursor is not None and not isinstance(cursor, str):
                raise TypeError("cursor is not text")
            if not all(isinstance(r, dict) for r in rows):
                raise TypeError("a row is not an object")
            tombstones = [
                Tombstone(
                    pk=tuple(_checked(d["pk"], list, "pk")),
                    sync_version=_version(d["sync_version"]),
                    deleted_at=_checked(d["deleted_at"], str, "deleted_at"),
                    device_id=_checked(d.get("device_id"), str | None, "device_id"),
                )
                for d in deletes
            ]
        except (KeyError, TypeError, ValueError) as err:
            raise SyncError(f"not a changes object: {_one_line(err)}") from None
        return cls(table=table, rows=[dict(r) for r in rows], deletes=tombstones, cursor=cursor)


@dataclass(frozen=True)
class Conflict:
    """A remote row or delete that was not applied: the local row was changed concurrently.
    `local_row` / `remote_row` are wire form (`remote_row` is None for a delete)."""

    pk: Pk
    local_version: int
    remote_version: int
    reason: str
    local_row: Row | None
    remote_row: Row | None


@dataclass
class ApplyReport:
    """What `apply_remote` did: rows inserted or updated, rows deleted, rows and deletes that
    needed no change, and the conflicts it left alone."""

    applied: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


# --- changes_since -----------------------------------------------------------------------------


def changes_since(db: SyncDatabase, table: str, since: datetime | str | int | None) -> Changes:
    """The rows of sync table `table` changed, and the rows deleted, after `since`: None
    (everything), an aware datetime or ISO text with `Z` or an offset (a time cursor, read
    through the index), or an int N (rows and tombstones whose sync_version > N: a scan)."""
    moment, above = parse_since(since)
    with db.transaction(f'changes_since on "{table}" failed', write=False):
        info = sync_table(db, table)
        raw_rows = db.select_rows(info, moment, above)
        raw_tombstones = db.select_tombstones(info, moment, above)
    read = _row_reader(db, info)
    rows = [read(raw) for raw in raw_rows]
    pk_types = [_column(info, c).type for c in info.primary_key]
    deletes = [
        Tombstone(
            pk=_wire_pk(pk_json, pk_types, table),
            sync_version=int(version),
            deleted_at=wire.canonical(deleted_at, _TIMESTAMPTZ),
            device_id=device,
        )
        for pk_json, version, deleted_at, device in raw_tombstones
    ]
    times = [r[LAST_MODIFIED_AT] for r in rows] + [t.deleted_at for t in deletes]
    if times:
        cursor: str | None = max(times)
    else:
        cursor = wire.timestamptz_text(moment) if moment is not None else None
    return Changes(table=table, rows=rows, deletes=deletes, cursor=cursor)


def parse_since(since: datetime | str | int | None) -> tuple[datetime | None, int | None]:
    """(a UTC time, None), (None, a version) or (None, None); SyncError for anything else."""
    if since is None:
        return None, None
    if isinstance(since, bool) or not isinstance(since, datetime | str | int):
        raise SyncError(f"since must be None, a datetime, ISO text or a version number, not {type(since).__name__}")
    if isinstance(since, int):
        if since < 0:
            raise SyncError(f"since as a version must be 0 or more, not {since}")
        return None, since
    if isinstance(since, str):
        try:
            moment = datetime.fromisoformat(since.strip())
        except ValueError:
            raise SyncError(f"since is not an ISO-8601 time: {since!r}") from None
    else:
        moment = since
    if moment.tzinfo is None:
        raise SyncError(f"since has no time zone: {since!s} (give a UTC `Z` or an offset, e.g. +00:00)")
    return moment.astimezone(UTC), None


# --- apply_remote --------------------------------------------------------------------------------


def apply_remote(
    db: SyncDatabase, table: str, changes: Changes | Sequence[Mapping[str, Any]], *, relay: bool = False
) -> ApplyReport:
    """Apply another database's changes to sync table `table` (see the module docstring).

    `changes`: a `Changes`, or plain rows (every primary-key column and `sync_version`
    needed; columns left out keep their default or local value). `relay=True` is the
    server's mode: rows it accepts get its own time as `last_modified_at`, so that other
    clients' time cursors see them, and deletes it accepts leave a tombstone for them."""
    if isinstance(changes, Changes):
        if changes.table != table:
            raise SyncError(f'changes of table "{changes.table}" given to apply to "{table}"')
        remote_rows: Sequence[Mapping[str, Any]] = changes.rows
        tombstones: Sequence[Tombstone] = changes.deletes
    else:
        remote_rows, tombstones = changes, ()
    report = ApplyReport()
    with db.transaction(f'apply_remote on "{table}" failed, nothing was applied', write=True):
        info = sync_table(db, table)
        rows = [_typed_row(info, r) for r in remote_rows]
        deletes = [_typed_tombstone(info, t) for t in tombstones]
        local = _local_rows(db, info, [_pk(info, r) for r in rows] + [t.pk for t in deletes])
        db.set_tracking(False)
        for tombstone in deletes:
            _apply_delete(db, info, tombstone, local, report, relay=relay)
        for row in rows:
            _apply_row(db, info, row, local, report, relay=relay)
        db.set_tracking(True)
    return report


def _apply_delete(
    db: SyncDatabase, info: TableInfo, t: Tombstone, local: dict[Pk, Row], report: ApplyReport, *, relay: bool
) -> None:
    mine = local.get(t.pk)
    if mine is None:
        report.unchanged += 1  # deleted here already, or never here
        return
    version = mine[SYNC_VERSION]
    if version > t.sync_version:
        reason = f"deleted remotely at version {t.sync_version}, edited here since (version {version})"
        report.conflicts.append(Conflict(t.pk, version, t.sync_version, reason, mine, None))
        return
    pk_json = db.delete(info, _encode_pk(db, info, t.pk))
    if relay and pk_json is not None:
        db.record_tombstone(info.name, pk_json, t.sync_version, t.device_id)
    del local[t.pk]
    report.deleted += 1


def _apply_row(
    db: SyncDatabase, info: TableInfo, row: Row, local: dict[Pk, Row], report: ApplyReport, *, relay: bool
) -> None:
    pk = _pk(info, row)
    mine = local.get(pk)
    remote_version: int = row[SYNC_VERSION]
    if mine is None:
        db.insert(info, _encode(db, info, row), stamp_now=relay)
        local[pk] = row
        report.applied += 1
        return
    version: int = mine[SYNC_VERSION]
    if remote_version > version:
        changed = {k: v for k, v in row.items() if k not in info.primary_key}
        db.update(info, _encode_pk(db, info, pk), _encode(db, info, changed), stamp_now=relay)
        local[pk] = {**mine, **row}
        report.applied += 1
        return
    if all(mine[k] == v for k, v in row.items() if k not in SYNC_COLUMNS):
        report.unchanged += 1
        if relay or remote_version != version:
            return  # the relay's own times stand; an older copy says nothing about this one
        # The same version and data: take the remote time and device, so both sides hold the
        # same bytes (a pushing client adopts the relay's time this way).
        adopt = {k: row[k] for k in (LAST_MODIFIED_AT, DEVICE_ID) if k in row and row[k] != mine[k]}
        if adopt:
            db.update(info, _encode_pk(db, info, pk), _encode(db, info, adopt), stamp_now=False)
            local[pk] = {**mine, **adopt}
        return
    reason = (
        f"remote version {remote_version} is not newer than the local version {version} and the rows differ"
        if remote_version == version
        else f"remote version {remote_version} is older than the local version {version} and the rows differ"
    )
    report.conflicts.append(Conflict(pk, version, remote_version, reason, mine, row))


def _local_rows(db: SyncDatabase, info: TableInfo, pks: list[Pk]) -> dict[Pk, Row]:
    """The local rows the changes touch, by primary key (wire form), locked."""
    wanted = list(dict.fromkeys(pks))
    found: dict[Pk, Row] = {}
    read = _row_reader(db, info)
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = [_encode_pk(db, info, pk) for pk in wanted[start : start + LOOKUP_CHUNK]]
        for raw in db.lock_rows(info, chunk):
            row = read(raw)
            found[_pk(info, row)] = row
    return found


# --- set_device -----------------------------------------------------------------------------------


def set_device(db: SyncDatabase, device_id: str | None) -> None:
    """The device this connection writes as: local inserts and updates record it in
    `device_id`, deletes in their tombstones. None: no device."""
    if device_id is not None and not isinstance(device_id, str):
        raise SyncError(f"device_id must be text or None, not {type(device_id).__name__}")
    with db.transaction("set_device failed", write=True):
        db.set_device(device_id)


# --- tables and rows --------------------------------------------------------------------------------

_TIMESTAMPTZ = ColumnType.model_validate({"kind": "timestamptz"})


def sync_table(db: SyncDatabase, table: str) -> TableInfo:
    """The table's description; SyncError when it is missing or not a sync table."""
    info = db.table_info(table)
    if info is None:
        raise SyncError(f'no table "{table}" in this database')
    missing = info.missing_sync_parts
    if missing:
        lacks = " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1 else missing)
        raise SyncError(
            f'table "{table}" is not a sync table: it lacks {lacks} (declare it with __sync__ = True and migrate)'
        )
    return info


def _column(info: TableInfo, name: str) -> SyncColumn:
    column = info.column(name)
    assert column is not None, name
    return column


def _pk(info: TableInfo, row: Mapping[str, Any]) -> Pk:
    return tuple(row[c] for c in info.primary_key)


def _wire_row(db: SyncDatabase, info: TableInfo, raw: Sequence[Any]) -> Row:
    return _row_reader(db, info)(raw)


def _row_reader(db: SyncDatabase, info: TableInfo) -> Callable[[Sequence[Any]], Row]:
    """What turns a selected row (every column, in order) into its wire form; the per-column
    conversions are chosen once, for all the rows read."""
    steps = [(c.name, db.decoder(c.type), wire.converter(c.type)) for c in info.columns]

    def read(raw: Sequence[Any]) -> Row:
        return {
            name: convert(value if decode is None else decode(value))
            for (name, decode, convert), value in zip(steps, raw, strict=True)
        }

    return read


def _wire_pk(pk_json: str, types: list[ColumnType], table: str) -> Pk:
    try:
        values = json.loads(pk_json)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError(f"{len(types)} values expected")
        return tuple(wire.canonical(v, t) for v, t in zip(values, types, strict=True))
    except ValueError as err:
        raise SyncError(f'a tombstone of "{table}" has a primary key that does not fit: {pk_json} ({err})') from None


def _typed_row(info: TableInfo, remote: Mapping[str, Any]) -> Row:
    """A remote row in wire form by the local column types, checked against the table."""
    unknown = [k for k in remote if info.column(k) is None]
    if unknown:
        raise SyncError(f'a remote row has column "{unknown[0]}", which table "{info.name}" does not')
    missing = [c for c in (*info.primary_key, SYNC_VERSION) if remote.get(c) is None]
    if missing:
        raise SyncError(f'a remote row of "{info.name}" has no "{missing[0]}"')
    row: Row = {}
    for name, value in remote.items():
        try:
            row[name] = wire.canonical(value, _column(info, name).type)
        except wire.WireError as err:
            raise SyncError(f'a remote row of "{info.name}", column "{name}": {err}') from None
    row[SYNC_VERSION] = _version(remote[SYNC_VERSION])
    return row


def _typed_tombstone(info: TableInfo, t: Tombstone) -> Tombstone:
    if len(t.pk) != len(info.primary_key):
        raise SyncError(
            f'a remote delete of "{info.name}" has {len(t.pk)} key values, the primary key has '
            f"{len(info.primary_key)} columns"
        )
    try:
        pk = tuple(wire.canonical(v, _column(info, c).type) for v, c in zip(t.pk, info.primary_key, strict=True))
        deleted_at = wire.canonical(t.deleted_at, _TIMESTAMPTZ)
    except wire.WireError as err:
        raise SyncError(f'a remote delete of "{info.name}": {err}') from None
    return Tombstone(pk=pk, sync_version=_version(t.sync_version), deleted_at=deleted_at, device_id=t.device_id)


def _encode(db: SyncDatabase, info: TableInfo, row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: db.encode(v, _column(info, k).type) for k, v in row.items()}


def _encode_pk(db: SyncDatabase, info: TableInfo, pk: Pk) -> Pk:
    return tuple(db.encode(v, _column(info, c).type) for v, c in zip(pk, info.primary_key, strict=True))


def _version(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SyncError(f"sync_version must be an integer, not {value!r}")
    return value


def _checked(value: Any, kind: Any, what: str) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"{what} is not {getattr(kind, '__name__', kind)}")
    return value


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
