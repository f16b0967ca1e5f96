"""The dialect-neutral sync API: read a sync table's changes, apply another database's.

    changes = changes_since(client, "note", cursor)          # rows and deletes since cursor
    report = apply_remote(server, "note", changes, relay=True)
    cursor = changes.cursor                                  # for the next call

Everything here speaks to a database through `SyncDatabase` (`database.py`), a small
protocol each dialect implements (`mizzle/dialects/*/sync_db.py`), so the rules live once
and no driver is imported: `mizzle.sync` picks the adapter for a raw sqlite3 or psycopg connection. Values
travel in the neutral wire form of `wire.py`.

**Cursors.** `Changes.cursor` is opaque text naming a place in the database's own commit
order, typed by its kind: `xid:N` on PostgreSQL (the xmin of the pull's snapshot: every
transaction not finished then has an id at or above N), `seq:N` on SQLite (one past the
database's write counter). Every row and tombstone carries the `sync_seq` of its last write,
so the next call (`sync_seq >= N`, through an index) cannot pass over a row committed after
this one, whatever the clocks say; rows may come twice, never not at all. A version cursor
(`since` an int N: rows and tombstones whose `sync_version` > N) and a time (older callers)
scan the whole table: for a first full copy or a repair, not for polling.

**Applying** (`apply_remote`) happens in one transaction (a savepoint inside the caller's),
with change tracking switched off for its duration and back on before it ends, so the rows
it writes keep the versions, times and devices they came with and are not recorded again as
local changes. Deletes first, then rows, each by the optimistic-concurrency rules of
docs/sync.md: a remote row replaces the local one only when its version is greater (or, in
a device's re-pull after a migration, `refresh`, is the same with other data and the local
row was pushed); equal data is `unchanged`; anything else is a `Conflict`, reported and
never overwritten. A change
that cannot be written as it is (`fit.py`, or the database refusing it) is a `Rejection` of
that change alone: the batch goes in one savepoint, and only when the database refuses
something is it written again change by change, each in a savepoint of its own.
"""

from __future__ import annotations

import collections
import functools
import json
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.core.sync import fit, wire
from mizzle.core.sync.database import Pk, Since, SyncColumn, SyncDatabase, TableInfo
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
    then primary key, and the cursor for the next call (opaque text: `xid:N` on PostgreSQL,
    `seq:N` on SQLite; see the module docstring)."""

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


@dataclass(frozen=True)
class Rejection:
    """A remote row or delete that was not applied because it cannot be written as it is: a
    value its column cannot hold unchanged, a row that does not fit the table, or one the
    database refused (a foreign key, a check). `kind` is "row" or "delete", `index` its
    place in the rows or deletes given, `pk` its primary key as given (None when it has
    none), `reason` one line."""

    kind: str
    index: int
    pk: Pk | None
    reason: str


@dataclass
class ApplyReport:
    """What `apply_remote` did: rows inserted or updated, rows deleted, rows and deletes that
    needed no change, the conflicts it left alone and the changes it rejected."""

    applied: int = 0
    deleted: int = 0
    unchanged: int = 0
    conflicts: list[Conflict] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


# --- changes_since -----------------------------------------------------------------------------


def changes_since(db: SyncDatabase, table: str, since: datetime | str | int | None) -> Changes:
    """The rows of sync table `table` changed, and the rows deleted, since `since`: None
    (everything), a cursor a previous call returned (`Changes.cursor`: read through the index
    on sync_seq), an int N (rows and tombstones whose sync_version > N: a scan), or, from
    older callers, a time (an aware datetime or ISO text with `Z` or an offset: rows written
    after it, a scan with the old limits of docs/sync.md). The cursor returned is always one
    of this database's commit-ordered cursors."""
    wanted = parse_since(since)
    if wanted.seq is not None:
        kind = since.partition(":")[0] if isinstance(since, str) else ""
        if kind != db.cursor_kind:
            raise SyncError(
                f"since is a {_CURSOR_DATABASES[kind]} cursor ({since}), this database is "
                f"{_CURSOR_DATABASES[db.cursor_kind]}: a cursor belongs to the database that returned it"
            )
    with db.transaction(f'changes_since on "{table}" failed', write=False):
        info = sync_table(db, table)
        # Before the rows: no row committed after this moment is below it (see SyncDatabase)
        floor = db.cursor_floor()
        raw_rows = db.select_rows(info, wanted)
        raw_tombstones = db.select_tombstones(info, wanted)
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
    # never behind the cursor given: a cursor only moves forward
    cursor = max(floor, wanted.seq) if wanted.seq is not None else floor
    return Changes(table=table, rows=rows, deletes=deletes, cursor=f"{db.cursor_kind}:{cursor}")


_CURSOR_DATABASES = {"xid": "PostgreSQL", "seq": "SQLite"}
_CURSOR = re.compile(r"(xid|seq):([0-9]{1,19})")


def parse_since(since: datetime | str | int | None) -> Since:
    """What `since` asks for (see `changes_since`); SyncError for anything else."""
    if since is None:
        return Since()
    if isinstance(since, bool) or not isinstance(since, datetime | str | int):
        raise SyncError(
            f"since must be None, a cursor, a version number, a datetime or ISO text, not {type(since).__name__}"
        )
    if isinstance(since, int):
        if since < 0:
            raise SyncError(f"since as a version must be 0 or more, not {since}")
        return Since(version=since)
    if isinstance(since, str):
        cursor = _CURSOR.fullmatch(since.strip())
        if cursor is not None:
            return Since(seq=int(cursor.group(2)))
        if since.strip().startswith(("xid:", "seq:")):
            raise SyncError(f"since is not a cursor changes_since returned: {since[:40]!r}")
        try:
            moment = datetime.fromisoformat(since.strip())
        except ValueError:
            raise SyncError(f"since is neither a cursor nor an ISO-8601 time: {since[:40]!r}") from None
    else:
        moment = since
    if moment.tzinfo is None:
        raise SyncError(f"since has no time zone: {since!s} (give a UTC `Z` or an offset, e.g. +00:00)")
    return Since(time=moment.astimezone(UTC))


# --- apply_remote --------------------------------------------------------------------------------


def apply_remote(
    db: SyncDatabase,
    table: str,
    changes: Changes | Sequence[Mapping[str, Any]],
    *,
    relay: bool = False,
    server_time: bool = True,
    refresh: bool = False,
    unpushed: Collection[Pk] = (),
) -> ApplyReport:
    """Apply another database's changes to sync table `table` (see the module docstring).

    `changes`: a `Changes`, or plain rows (every primary-key column and `sync_version`
    needed; columns left out keep their default or local value). `relay=True` is the
    server's mode: rows it accepts get its own time as `last_modified_at`, so that other
    clients' time cursors see them, and deletes it accepts leave a tombstone for them.
    `server_time=False` (relay mode only): the rows keep the time they carry (the sync
    server, whose last-write-wins compares the times rows were written, caps them first).

    A row or delete that cannot be written as it is (a value its column cannot hold, one
    the database refuses) is a `Rejection` in the report and the rest applies; SyncError
    only for what makes the whole call impossible (an unknown table, changes of another).

    `refresh=True` (a device pulling a table again after a migration changed it): a remote
    row of the same version as the local one, with other data, replaces it, unless its key
    is in `unpushed` (written here and not pushed yet: still a conflict). The version is the
    same, so the server's row is the one the device already had, now with the values of the
    columns the device lacked when it pulled it."""
    if isinstance(changes, Changes):
        if changes.table != table:
            raise SyncError(f'changes of table "{changes.table}" given to apply to "{table}"')
        remote_rows: Sequence[Any] = changes.rows
        tombstones: Sequence[Any] = changes.deletes
    else:
        if isinstance(changes, str | bytes) or not isinstance(changes, Sequence):
            raise SyncError(f"changes must be a Changes or a list of rows, not {type(changes).__name__}")
        remote_rows, tombstones = changes, ()
    report = ApplyReport()
    stamp = relay and server_time
    #: a refresh: the keys whose same-version rows are still conflicts (None: no refresh)
    same = frozenset(unpushed) if refresh else None
    with db.transaction(f'apply_remote on "{table}" failed, nothing was applied', write=True):
        info = sync_table(db, table)
        deletes = [(i, d) for i, given in enumerate(tombstones) if (d := _checked_tombstone(info, i, given, report))]
        steps = _row_steps(info)
        rows = [(i, r) for i, given in enumerate(remote_rows) if (r := _checked_row(info, i, given, report, steps))]
        checked = list(report.rejected)
        db.set_tracking(False)
        try:
            # The fast path: everything in one savepoint. Should the database refuse any of
            # it, that is undone and each change is applied again in a savepoint of its own,
            # so the refusal is that change's rejection and the rest still applies.
            with db.transaction("a change was refused", write=True):
                _apply_all(db, info, deletes, rows, report, relay=relay, stamp=stamp, one_by_one=False, same=same)
        except SyncError:
            report = ApplyReport(rejected=checked)
            _apply_all(db, info, deletes, rows, report, relay=relay, stamp=stamp, one_by_one=True, same=same)
        db.set_tracking(True)
    report.rejected.sort(key=lambda r: (r.kind != "delete", r.index))
    return report


def _apply_all(
    db: SyncDatabase,
    info: TableInfo,
    deletes: list[tuple[int, Tombstone]],
    rows: list[tuple[int, Row]],
    report: ApplyReport,
    *,
    relay: bool,
    stamp: bool,
    one_by_one: bool,
    same: frozenset[Pk] | None,
) -> None:
    local = _local_rows(db, info, [_pk(info, r) for _, r in rows] + [t.pk for _, t in deletes])
    if not one_by_one:
        for _, t in deletes:
            _apply_delete(db, info, t, local, report, relay=relay)
        inserted = _insert_new(db, info, [r for _, r in rows], local, report, stamp=stamp)
        # Updates of keys that come once are gathered and written together, a statement per
        # set of columns (a key that comes twice is written in order, one statement each)
        keys = collections.Counter(_pk(info, r) for _, r in rows)
        updates: dict[tuple[str, ...], list[tuple[Pk, Row]]] = {}
        for _, r in rows:
            if id(r) not in inserted:
                gather = updates if keys[_pk(info, r)] == 1 else None
                _apply_row(db, info, r, local, report, relay=relay, stamp=stamp, updates=gather, same=same)
        for group in updates.values():
            db.update_many(info, group, stamp_now=stamp)
        return
    changes: Sequence[tuple[str, int, Pk, Callable[[], None]]] = [
        ("delete", i, t.pk, functools.partial(_apply_delete, db, info, t, local, report, relay=relay))
        for i, t in deletes
    ] + [
        (
            "row",
            i,
            _pk(info, r),
            functools.partial(_apply_row, db, info, r, local, report, relay=relay, stamp=stamp, same=same),
        )
        for i, r in rows
    ]
    for kind, index, pk, apply in changes:
        before, counts = local.get(pk), (report.applied, report.deleted)
        try:
            with db.transaction("the database refused it", write=True):
                apply()
        except SyncError as err:
            # undone by the savepoint: the local copy and the counts go back with it
            report.applied, report.deleted = counts
            if before is None:
                local.pop(pk, None)
            else:
                local[pk] = before
            report.rejected.append(Rejection(kind, index, pk, str(err)))


class _KeyTaken(Exception):
    """A row of a multi-row insert found its key taken: the insert is undone."""


def _insert_new(
    db: SyncDatabase, info: TableInfo, rows: list[Row], local: dict[Pk, Row], report: ApplyReport, *, stamp: bool
) -> set[int]:
    """The rows whose key is not here (and comes once in the batch) inserted together, a
    statement per group of rows that give the same columns, instead of a statement each: a
    push of new rows is the common case. A group where a key turned out to be taken (another
    transaction inserted it since the rows were read) is undone and left to the row-by-row
    path, which compares. The ids of the rows inserted."""
    keys = [_pk(info, r) for r in rows]
    once = {k for k, n in collections.Counter(keys).items() if n == 1}
    groups: dict[tuple[str, ...], list[Row]] = {}
    for key, row in zip(keys, rows, strict=True):
        if key in once and key not in local:
            groups.setdefault(tuple(row), []).append(row)
    done: set[int] = set()
    for group in groups.values():
        if len(group) < 2:
            continue  # one row: the row path costs the same
        try:
            with db.transaction("the database refused it", write=True):
                if db.insert_many(info, [_encode(db, info, r) for r in group], stamp_now=stamp) != len(group):
                    raise _KeyTaken
        except _KeyTaken:
            continue
        for row in group:
            local[_pk(info, row)] = row
            done.add(id(row))
        report.applied += len(group)
    return done


def _checked_row(info: TableInfo, index: int, remote: Any, report: ApplyReport, steps: _Steps) -> Row | None:
    """The remote row typed for the table, or None with its rejection in the report."""
    try:
        return _typed_row(info, remote, steps)
    except SyncError as err:
        pk = tuple(remote.get(c) for c in info.primary_key) if isinstance(remote, Mapping) else None
        report.rejected.append(Rejection("row", index, pk, str(err)))
        return None


def _checked_tombstone(info: TableInfo, index: int, t: Any, report: ApplyReport) -> Tombstone | None:
    try:
        if not isinstance(t, Tombstone):
            raise SyncError(f'a remote delete of "{info.name}" is not a Tombstone: {type(t).__name__}')
        return _typed_tombstone(info, t)
    except SyncError as err:
        report.rejected.append(Rejection("delete", index, getattr(t, "pk", None), str(err)))
        return None


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
    db: SyncDatabase,
    info: TableInfo,
    row: Row,
    local: dict[Pk, Row],
    report: ApplyReport,
    *,
    relay: bool,
    stamp: bool,
    updates: dict[tuple[str, ...], list[tuple[Pk, Row]]] | None = None,
    same: frozenset[Pk] | None = None,
) -> None:
    """Apply one remote row (see the module docstring). `updates`: where an update of the
    row is gathered, by its columns, for the caller to write with the others, rather than
    written now. `same`: a refresh's unpushed keys (see `apply_remote`)."""
    pk = _pk(info, row)
    mine = local.get(pk)
    remote_version: int = row[SYNC_VERSION]
    if mine is None:
        if db.insert(info, _encode(db, info, row), stamp_now=stamp):
            local[pk] = row
            report.applied += 1
            return
        # Another transaction inserted this key since the rows were read (two devices
        # creating the same new row, pushed at once): its row is now the local one, and
        # this row is compared with it like any other (a conflict unless equal).
        found = db.lock_rows(info, [_encode_pk(db, info, pk)])
        if not found:
            raise SyncError("another transaction inserted and deleted this row meanwhile: apply it again")
        mine = _row_reader(db, info)(found[0])
        local[pk] = mine
    version: int = mine[SYNC_VERSION]
    refreshed = same is not None and remote_version == version and pk not in same and not _same_data(mine, row)
    if remote_version > version or refreshed:
        changed = {k: v for k, v in row.items() if k not in info.primary_key}
        if updates is not None:
            updates.setdefault(tuple(changed), []).append((_encode_pk(db, info, pk), _encode(db, info, changed)))
        else:
            db.update(info, _encode_pk(db, info, pk), _encode(db, info, changed), stamp_now=stamp)
        local[pk] = {**mine, **row}
        report.applied += 1
        return
    if _same_data(mine, row):
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


def _same_data(mine: Row, row: Row) -> bool:
    """Whether the remote row's values are the local row's (sync columns aside)."""
    return all(mine[k] == v for k, v in row.items() if k not in SYNC_COLUMNS)


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
    # the triggers copy it into every row written: one the other database cannot hold
    # would make each of those rows a rejection there
    found = fit.problem(device_id, ColumnType.model_validate({"kind": "text"}))
    if found:
        raise SyncError(f"device_id: {found}")
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


def _row_reader(db: SyncDatabase, info: TableInfo) -> Callable[[Sequence[Any]], Row]:
    """What turns a selected row (every column, in order) into its wire form; the per-column
    conversions are chosen once, for all the rows read."""
    steps = [(c.name, db.decoder(c.type), wire.converter(c.type)) for c in info.columns]

    def read(raw: Sequence[Any]) -> Row:
        try:
            return {
                name: convert(value if decode is None else decode(value))
                for (name, decode, convert), value in zip(steps, raw, strict=True)
            }
        except wire.WireError:
            pass  # found again below, by column, for the message
        for (name, decode, convert), value in zip(steps, raw, strict=True):
            try:
                convert(value if decode is None else decode(value))
            except wire.WireError as err:
                raise SyncError(
                    f'a stored value of "{info.name}", column "{name}", is not of its type: {err}'
                ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    return read


def _wire_pk(pk_json: str, types: list[ColumnType], table: str) -> Pk:
    try:
        values = json.loads(pk_json)
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError(f"{len(types)} values expected")
        return tuple(wire.canonical(v, t) for v, t in zip(values, types, strict=True))
    except ValueError as err:
        raise SyncError(f'a tombstone of "{table}" has a primary key that does not fit: {pk_json} ({err})') from None


def _typed_row(info: TableInfo, remote: Any, steps: _Steps) -> Row:
    """A remote row in wire form by the local column types, checked against the table and
    against what each column holds unchanged (`fit`)."""
    if not isinstance(remote, Mapping):
        raise SyncError(f'a remote row of "{info.name}" is not an object but {type(remote).__name__}')
    unknown = [k for k in remote if k not in steps]
    if unknown:
        raise SyncError(f'a remote row has column "{unknown[0]}", which table "{info.name}" does not')
    missing = [c for c in (*info.primary_key, SYNC_VERSION) if remote.get(c) is None]
    if missing:
        raise SyncError(f'a remote row of "{info.name}" has no "{missing[0]}"')
    row: Row = {}
    row[SYNC_VERSION] = _version(remote[SYNC_VERSION])
    for name, value in remote.items():
        convert, check = steps[name]
        try:
            row[name] = convert(value)
            found = None if check is None or value is None else check(value)
        except (wire.WireError, TypeError, ValueError, OverflowError) as err:
            found = str(err)
        if found:
            raise SyncError(f'a remote row of "{info.name}", column "{name}": {found}')
    return row


_Steps = dict[str, tuple[Callable[[Any], Any], Callable[[Any], str | None] | None]]


def _row_steps(info: TableInfo) -> _Steps:
    """Per column of the table: its wire conversion and its `fit` check, chosen once a call."""
    return {c.name: (wire.converter(c.type), fit.checker(c.type)) for c in info.columns}


def _typed_tombstone(info: TableInfo, t: Tombstone) -> Tombstone:
    if len(t.pk) != len(info.primary_key):
        raise SyncError(
            f'a remote delete of "{info.name}" has {len(t.pk)} key values, the primary key has '
            f"{len(info.primary_key)} columns"
        )
    try:
        pk = tuple(wire.canonical(v, _column(info, c).type) for v, c in zip(t.pk, info.primary_key, strict=True))
        found = next(
            (p for v, c in zip(t.pk, info.primary_key, strict=True) if (p := fit.problem(v, _column(info, c).type))),
            None,
        )
        deleted_at = wire.canonical(t.deleted_at, _TIMESTAMPTZ)
        version = _version(t.sync_version)
        found = found or fit.problem(version, _column(info, SYNC_VERSION).type)
        if t.device_id is not None and not isinstance(t.device_id, str):
            found = found or f"device_id is not text: {t.device_id!r}"
        found = found or fit.problem(t.device_id, _column(info, DEVICE_ID).type)
    except (wire.WireError, TypeError, ValueError, OverflowError) as err:
        found = str(err)
    if found:
        raise SyncError(f'a remote delete of "{info.name}": {found}')
    return Tombstone(pk=pk, sync_version=version, deleted_at=deleted_at, device_id=t.device_id)


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


# --- for the sync server, which reads rows with its own queries ------------------------------


def row_reader(db: SyncDatabase, info: TableInfo) -> Callable[[Sequence[Any]], Row]:
    """What turns a row selected with every column of `info` (in order) into its wire form."""
    return _row_reader(db, info)


def tombstone(info: TableInfo, raw: tuple[str, int, Any, str | None]) -> Tombstone:
    """A tombstone row as `SyncDatabase.select_tombstones` gives it, in wire form."""
    pk_json, version, deleted_at, device = raw
    pk_types = [_column(info, c).type for c in info.primary_key]
    return Tombstone(
        pk=_wire_pk(pk_json, pk_types, info.name),
        sync_version=int(version),
        deleted_at=wire.canonical(deleted_at, _TIMESTAMPTZ),
        device_id=device,
    )
