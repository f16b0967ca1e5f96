"""The names sync tables and their machinery use, on every database.

Standard library only: the migration runners (the CLI's and the browser's) read these to
turn change tracking off while a migration runs.

A sync table carries four columns (`SYNC_VERSION`, `LAST_MODIFIED_AT`, `DEVICE_ID`, `SYNC_SEQ`)
and three triggers (insert, update, delete; PostgreSQL a fourth for `SYNC_SEQ`). What the
triggers record of deleted rows goes to
one per-database table, `TOMBSTONES`. Tracking is switched off per session: on PostgreSQL by
the custom setting `APPLYING_REMOTE_SETTING` ('on'), on SQLite, which has no session
variables a trigger can read, by the one-row table `CONTROL_TABLE` (`applying_remote` = 1,
only ever inside a transaction that sets it back before it commits). The device writing is
`DEVICE_SETTING` on PostgreSQL and `CONTROL_TABLE.device_id` on SQLite.
"""

from __future__ import annotations

SYNC_VERSION = "sync_version"
LAST_MODIFIED_AT = "last_modified_at"
DEVICE_ID = "device_id"
#: where the row's last write stands in commit order: on PostgreSQL the id of the writing
#: transaction, on SQLite a per-database counter; the pull cursor reads through it
SYNC_SEQ = "sync_seq"
SYNC_COLUMNS = (SYNC_VERSION, LAST_MODIFIED_AT, DEVICE_ID, SYNC_SEQ)

#: deleted rows of sync tables: (id, table_name, pk (JSON array), sync_version, deleted_at, device_id)
TOMBSTONES = "__mizzle_tombstones"
#: SQLite only: the one-row switch (applying_remote, device_id)
CONTROL_TABLE = "__mizzle_sync_control"
#: SQLite only: the one-row counter (id = 1, seq) the triggers take each write's `SYNC_SEQ`
#: from (and each tombstone's id): a table of its own, so that creating it is idempotent
SEQ_TABLE = "__mizzle_sync_seq"

APPLYING_REMOTE_SETTING = "mizzle.applying_remote"
DEVICE_SETTING = "mizzle.device_id"

#: PostgreSQL trigger functions (shared by every sync table; the table's primary-key columns
#: are the delete trigger's arguments)
PG_INSERT_FUNCTION = "__mizzle_sync_insert"
PG_UPDATE_FUNCTION = "__mizzle_sync_update"
PG_DELETE_FUNCTION = "__mizzle_sync_delete"
#: sets `SYNC_SEQ` to the writing transaction's id on every insert and update (tracking on or off)
PG_SEQ_FUNCTION = "__mizzle_sync_seq"

#: a sync table's triggers, in this order; each dialect names them (`Dialect.trigger_names`)
TRIGGER_EVENTS = ("insert", "update", "delete")
