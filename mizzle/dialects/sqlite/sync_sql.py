"""The SQL of sync tables on SQLite: the support tables (tombstones, the one-row control
table) and each sync table's three triggers. Standard library only: the browser runtime
reads the tracking switch from here.

SQLite triggers cannot change NEW, so the insert and update triggers run AFTER and write the
row again (by rowid). They behave as PostgreSQL's (`postgresql/sync_sql.py`, whose
docstring lists the rules); how they get there differs:

- Every insert and update (tracking on or off) takes the next number of the database's
  sequence (`__mizzle_sync_seq`) as the row's `sync_seq`, and every tombstone takes one as
  its id. SQLite runs one write transaction at a time, so the numbers are in commit order:
  a pull that has read up to n has seen every commit numbered n or less.
- The update trigger fires only when the statement left `sync_seq` alone, and its own
  UPDATE sets it, so it never fires on itself (whatever recursive_triggers says); the
  insert trigger's write sets it too. The version, time and device change only when the
  statement left `sync_version` alone and tracking is on.
- Tracking is off while the control row's `applying_remote` is 1. It is only ever set to 1
  inside a write transaction that sets it back to 0 before COMMIT, so no other connection
  sees it; a missing control row means tracking is on.
- Times are `strftime('%Y-%m-%dT%H:%M:%fZ','now')`: ISO-8601 UTC with milliseconds, the
  same text the sync API makes of PostgreSQL's `timestamptz(3)`.
"""

from __future__ import annotations

from mizzle.core.quoting import quoted_name, text_literal
from mizzle.core.sync.names import (
    CONTROL_TABLE,
    DEVICE_ID,
    LAST_MODIFIED_AT,
    SEQ_TABLE,
    SYNC_SEQ,
    SYNC_VERSION,
    TOMBSTONES,
    TRIGGER_EVENTS,
)


def trigger_names(table: str) -> tuple[str, ...]:
    """A sync table's trigger names (insert, update, delete): SQLite names triggers per
    database, so they carry the table's name (its insert and update triggers stamp the
    sequence themselves)."""
    return tuple(f"__mizzle_sync_{event}_{table}" for event in TRIGGER_EVENTS)


NOW = "strftime('%Y-%m-%dT%H:%M:%fZ','now')"


_CONTROL = quoted_name(CONTROL_TABLE)
_SEQ_TABLE = quoted_name(SEQ_TABLE)
_TRACKING = f'(SELECT "applying_remote" FROM {_CONTROL}) IS NOT 1'
_SESSION_DEVICE = f'(SELECT "device_id" FROM {_CONTROL})'
_V, _T, _D, _S = (quoted_name(c) for c in (SYNC_VERSION, LAST_MODIFIED_AT, DEVICE_ID, SYNC_SEQ))

#: the next number of the database's sequence: run NEXT_SEQ, then read CURRENT_SEQ
NEXT_SEQ = f'UPDATE {_SEQ_TABLE} SET "seq" = "seq" + 1'
CURRENT_SEQ = f'(SELECT "seq" FROM {_SEQ_TABLE})'


def support_statements() -> list[str]:
    """Create the tombstone, control and sequence tables (idempotent: it also brings a
    database of an older form, without the sequence, up to date)."""
    tombstones = quoted_name(TOMBSTONES)
    return [
        f"""CREATE TABLE IF NOT EXISTS {_CONTROL} (
  "id" INTEGER PRIMARY KEY CHECK ("id" = 1),
  "applying_remote" INTEGER NOT NULL DEFAULT 0,
  "device_id" TEXT
)""",
        f'INSERT OR IGNORE INTO {_CONTROL} ("id") VALUES (1)',
        f"""CREATE TABLE IF NOT EXISTS {tombstones} (
  "id" INTEGER PRIMARY KEY,
  "table_name" TEXT NOT NULL,
  "pk" TEXT NOT NULL,
  "sync_version" INTEGER NOT NULL,
  "deleted_at" TEXT NOT NULL DEFAULT ({NOW}),
  "device_id" TEXT
)""",
        f"CREATE INDEX IF NOT EXISTS {quoted_name(TOMBSTONES + '_table_name_deleted_at_idx')} "
        f'ON {tombstones} ("table_name", "deleted_at")',
        # The sequence: rows take it as sync_seq, tombstones as their id, so it starts past
        # the ids of tombstones written before it existed (and catches up with any an older
        # trigger wrote after a rollback)
        f"""CREATE TABLE IF NOT EXISTS {_SEQ_TABLE} (
  "id" INTEGER PRIMARY KEY CHECK ("id" = 1),
  "seq" INTEGER NOT NULL
)""",
        f'INSERT OR IGNORE INTO {_SEQ_TABLE} ("id", "seq") VALUES (1, 0)',
        f'UPDATE {_SEQ_TABLE} SET "seq" = max("seq", (SELECT coalesce(max("id"), 0) FROM {tombstones}))',
    ]


def drop_support_statements() -> list[str]:
    return [
        f"DROP TABLE IF EXISTS {_SEQ_TABLE}",
        f"DROP TABLE IF EXISTS {quoted_name(TOMBSTONES)}",
        f"DROP TABLE IF EXISTS {_CONTROL}",
    ]


def trigger_statements(table: str, primary_key: tuple[str, ...], *, seq: bool = True) -> list[str]:
    """CREATE TRIGGER for the three triggers of sync table `table`. `seq=False`: those of
    the older form, for a table without `sync_seq` (a rollback past the upgrade to it)."""
    if not seq:
        return _triggers_without_seq(table, primary_key)
    insert, update, delete = (quoted_name(n) for n in trigger_names(table))
    t = quoted_name(table)
    pk = ", ".join(f"OLD.{quoted_name(c)}" for c in primary_key)
    # The rules of the module docstring, each write also taking the next sequence number.
    # An UPDATE that changes sync_seq is a trigger's own write: the update trigger skips it
    # (WHEN), and every trigger write changes it (the sequence only grows), so one second
    # write per row suffices and nothing recurses.
    local = f"NEW.{_V} IS OLD.{_V} AND {_TRACKING}"
    return [
        f"""CREATE TRIGGER {insert} AFTER INSERT ON {t} FOR EACH ROW
BEGIN
  {NEXT_SEQ};
  UPDATE {t} SET {_S} = {CURRENT_SEQ},
    {_D} = CASE WHEN NEW.{_D} IS NULL AND {_TRACKING} THEN {_SESSION_DEVICE} ELSE NEW.{_D} END
  WHERE rowid = NEW.rowid;
END""",
        f"""CREATE TRIGGER {update} AFTER UPDATE ON {t} FOR EACH ROW
WHEN NEW.{_S} IS OLD.{_S}
BEGIN
  {NEXT_SEQ};
  UPDATE {t} SET {_S} = {CURRENT_SEQ},
    {_V} = CASE WHEN {local} THEN OLD.{_V} + 1 ELSE NEW.{_V} END,
    {_T} = CASE WHEN {local} THEN {NOW} ELSE NEW.{_T} END,
    {_D} = CASE WHEN {local} AND NEW.{_D} IS OLD.{_D} THEN coalesce({_SESSION_DEVICE}, NEW.{_D}) ELSE NEW.{_D} END
  WHERE rowid = NEW.rowid;
END""",
        f"""CREATE TRIGGER {delete} AFTER DELETE ON {t} FOR EACH ROW
WHEN {_TRACKING}
BEGIN
  {NEXT_SEQ};
  INSERT INTO {quoted_name(TOMBSTONES)} ("id", "table_name", "pk", "sync_version", "device_id")
  VALUES ({CURRENT_SEQ}, {text_literal(table)}, json_array({pk}), OLD.{_V}, {_SESSION_DEVICE});
END""",
    ]


def _triggers_without_seq(table: str, primary_key: tuple[str, ...]) -> list[str]:
    """The triggers of the form before sync_seq (kept for rolling back to it)."""
    insert, update, delete = (quoted_name(n) for n in trigger_names(table))
    t = quoted_name(table)
    pk = ", ".join(f"OLD.{quoted_name(c)}" for c in primary_key)
    return [
        f"""CREATE TRIGGER {insert} AFTER INSERT ON {t} FOR EACH ROW
WHEN NEW.{_D} IS NULL AND {_TRACKING} AND {_SESSION_DEVICE} IS NOT NULL
BEGIN
  UPDATE {t} SET {_D} = {_SESSION_DEVICE}, {_V} = NEW.{_V} + 1 WHERE rowid = NEW.rowid;
  UPDATE {t} SET {_V} = NEW.{_V} WHERE rowid = NEW.rowid;
END""",
        f"""CREATE TRIGGER {update} AFTER UPDATE ON {t} FOR EACH ROW
WHEN NEW.{_V} IS OLD.{_V} AND {_TRACKING}
BEGIN
  UPDATE {t} SET {_V} = OLD.{_V} + 1, {_T} = {NOW},
    {_D} = CASE WHEN NEW.{_D} IS OLD.{_D} THEN coalesce({_SESSION_DEVICE}, NEW.{_D}) ELSE NEW.{_D} END
  WHERE rowid = NEW.rowid;
END""",
        f"""CREATE TRIGGER {delete} AFTER DELETE ON {t} FOR EACH ROW
WHEN {_TRACKING}
BEGIN
  INSERT INTO {quoted_name(TOMBSTONES)} ("table_name", "pk", "sync_version", "device_id")
  VALUES ({text_literal(table)}, json_array({pk}), OLD.{_V}, {_SESSION_DEVICE});
END""",
    ]


def drop_trigger_statements(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {quoted_name(n)}" for n in trigger_names(table)]


#: Tracking off / on for the rest of the open transaction, where the control table exists
#: (the migration runner checks `CONTROL_EXISTS` first; before any sync table there is
#: nothing to switch).
CONTROL_EXISTS = f"SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = {text_literal(CONTROL_TABLE)}"
TRACKING_OFF = f'UPDATE {_CONTROL} SET "applying_remote" = 1'
TRACKING_ON = f'UPDATE {_CONTROL} SET "applying_remote" = 0'
