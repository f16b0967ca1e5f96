"""Change-tracking designs for SQLite, measured side by side by `bench_sync.py --only designs`.

Not mizzle's triggers (those are `mizzle/dialects/sqlite/sync_sql.py`, measured as they ship
in the `triggers` section): each design here takes mizzle's rendered sync table and changes
one thing, so that what each part of the tracking costs a write can be read off the ratios
(issue 14: "profile what each trigger write costs"). Every design keeps the rules of
docs/sync.md for an update (the version bumped, the time and the device written) except the
change-log-only one, which is the floor: what tracking costs when the row is not written a
second time at all.

Each design is a list of statements run after the table `synced` (mizzle's render, its three
triggers, the index on `sync_seq`, the sequence table) is created; `{NOW}`, `{TRACKING}`,
`{DEVICE}` and `{SEQ}` are filled from `sync_sql` so that the designs read the same switch and
device as mizzle's triggers.
"""

from __future__ import annotations

from mizzle.core.sync.names import CONTROL_TABLE
from mizzle.dialects.sqlite import sync_sql

_LOG = '"__bench_change_log"'
_DROP_UPDATE = 'DROP TRIGGER "__mizzle_sync_update_synced"'
#: the update rule: local (tracking on, version left alone) writes version, time and device;
#: an update that changes sync_seq is the insert trigger's own write, not the app's
_LOCAL = 'NEW."sync_seq" IS OLD."sync_seq" AND NEW."sync_version" IS OLD."sync_version" AND {TRACKING}'
_DEVICE = (
    'CASE WHEN NEW."device_id" IS OLD."device_id" THEN coalesce({DEVICE}, NEW."device_id") ELSE NEW."device_id" END'
)
_SECOND_WRITE = (
    'UPDATE "synced" SET "sync_version" = OLD."sync_version" + 1, "last_modified_at" = {NOW}, '
    f'"device_id" = {_DEVICE}{{EXTRA}} WHERE rowid = NEW.rowid'
)


def _fill(text: str) -> str:
    return (
        text.replace("{NOW}", sync_sql.NOW)
        .replace("{TRACKING}", f'(SELECT "applying_remote" FROM "{CONTROL_TABLE}") IS NOT 1')
        .replace("{DEVICE}", f'(SELECT "device_id" FROM "{CONTROL_TABLE}")')
        .replace("{SEQ}", sync_sql.CURRENT_SEQ)
    )


def _update_trigger(when: str, *body: str) -> str:
    return _fill(
        f'CREATE TRIGGER "__bench_update" AFTER UPDATE ON "synced" FOR EACH ROW WHEN {when}\nBEGIN\n  '
        + ";\n  ".join(body)
        + ";\nEND"
    )


#: name → (what it changes, the statements that make it from mizzle's table)
DESIGNS: dict[str, tuple[str, list[str]]] = {
    "shipped": ("mizzle's triggers as they ship (sequence table, second write, index on sync_seq)", []),
    "no_seq_index": (
        "the same without the index on sync_seq (its entry no longer moves to the right edge)",
        ['DROP INDEX "synced_sync_seq_idx"'],
    ),
    "second_write_only": (
        "no sequence at all: the second write of version, time and device only",
        [
            _DROP_UPDATE,
            'DROP INDEX "synced_sync_seq_idx"',
            _update_trigger(_LOCAL, _SECOND_WRITE.replace("{EXTRA}", "")),
        ],
    ),
    "log_and_second_write": (
        "an append-only change log (sequence, table, key) as the cursor, and the second write"
        " (sync_seq left alone, so its index entry stays where it is)",
        [
            _DROP_UPDATE,
            f'CREATE TABLE {_LOG} ("seq" INTEGER PRIMARY KEY, "table_name" TEXT NOT NULL, "pk" TEXT NOT NULL)',
            _update_trigger(
                _LOCAL,
                f'INSERT INTO {_LOG} ("table_name", "pk") VALUES (\'synced\', json_array(NEW."id"))',
                _SECOND_WRITE.replace("{EXTRA}", ""),
            ),
        ],
    ),
    "log_only": (
        "the floor: the change log alone, the row not written a second time (the version, time"
        " and device would then have to be settled later, e.g. when a sync reads them)",
        [
            _DROP_UPDATE,
            f'CREATE TABLE {_LOG} ("seq" INTEGER PRIMARY KEY, "table_name" TEXT NOT NULL, "pk" TEXT NOT NULL)',
            _update_trigger(
                'NEW."sync_seq" IS OLD."sync_seq" AND {TRACKING}',
                f'INSERT INTO {_LOG} ("table_name", "pk") VALUES (\'synced\', json_array(NEW."id"))',
            ),
        ],
    ),
}

#: designs whose update leaves the row's version as it was (the floor)
VERSION_LEFT = frozenset({"log_only"})
