"""The SQL of sync tables on PostgreSQL: the shared support objects (tombstone table and
trigger functions) and each sync table's three triggers.

Trigger functions are PL/pgSQL, which sqlglot does not model, so these are text templates
over quoted identifiers. The behaviour is the same as SQLite's (`sqlite/sync_sql.py`),
pinned by tests running one sequence of writes on both:

- INSERT: column defaults apply (`sync_version` 1, `last_modified_at` now); an explicit
  version or time is kept; a NULL `device_id` becomes the session's device, if set.
- UPDATE that leaves `sync_version` as it was: version + 1, `last_modified_at` now, and the
  session's device unless the statement set `device_id`. An UPDATE that sets a different
  version (a sync applying a remote row) is left alone.
- DELETE: a tombstone (table, primary key as a JSON array, version, time, device).
- All three do nothing while `mizzle.applying_remote` is 'on' (the sync API and the
  migration runner set it, transaction-local).
- A fourth, on every insert and update whether tracking is on or not (a sync applying
  remote rows writes too, and the rows it writes must reach the next pull of this database):
  `sync_seq` is the writing transaction's id (`pg_current_xact_id()`, the top-level one
  inside savepoints), and so is each tombstone's (the column's default). A pull's cursor is
  the xmin of its snapshot (`sync_db.py`): every transaction not finished then has an id at
  or above it, so no row committed later is behind the cursor.

The WHEN clauses keep the common paths out of PL/pgSQL: an update that sets the version, or
a session applying remote rows, never calls a function.
"""

from __future__ import annotations

from mizzle.core.quoting import quoted_name, text_literal
from mizzle.core.sync.names import (
    APPLYING_REMOTE_SETTING,
    DEVICE_ID,
    DEVICE_SETTING,
    LAST_MODIFIED_AT,
    PG_DELETE_FUNCTION,
    PG_INSERT_FUNCTION,
    PG_SEQ_FUNCTION,
    PG_UPDATE_FUNCTION,
    SYNC_SEQ,
    SYNC_VERSION,
    TOMBSTONES,
    TRIGGER_EVENTS,
)

#: PostgreSQL names triggers per table, so every sync table's triggers have these names (and
#: keep them through a table rename)
TRIGGER_NAMES = (*(f"__mizzle_sync_{event}" for event in TRIGGER_EVENTS), PG_SEQ_FUNCTION)

_TRACKING = f"current_setting({text_literal(APPLYING_REMOTE_SETTING)}, true) IS DISTINCT FROM 'on'"
_SESSION_DEVICE = f"nullif(current_setting({text_literal(DEVICE_SETTING)}, true), '')"
_V, _T, _D = quoted_name(SYNC_VERSION), quoted_name(LAST_MODIFIED_AT), quoted_name(DEVICE_ID)
_S = quoted_name(SYNC_SEQ)
_INSERT_FN, _UPDATE_FN, _DELETE_FN, _SEQ_FN = (
    quoted_name(f) for f in (PG_INSERT_FUNCTION, PG_UPDATE_FUNCTION, PG_DELETE_FUNCTION, PG_SEQ_FUNCTION)
)
#: the writing transaction's id as a bigint (xid8 is 64 bits with the epoch: it never wraps)
XID = "pg_current_xact_id()::text::bigint"


def trigger_names(table: str) -> tuple[str, ...]:
    """A sync table's trigger names (insert, update, delete, and the sequence stamp):
    `TRIGGER_NAMES` on every table."""
    return TRIGGER_NAMES


def support_statements() -> list[str]:
    """Create the tombstone table and the trigger functions (idempotent: CREATE ... IF NOT
    EXISTS / OR REPLACE, ADD COLUMN IF NOT EXISTS, so a migration can carry them whatever
    the database holds, and brings an older form up to date)."""
    tombstones = quoted_name(TOMBSTONES)
    return [
        f"""CREATE TABLE IF NOT EXISTS {tombstones} (
  "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "table_name" text NOT NULL,
  "pk" text NOT NULL,
  "sync_version" integer NOT NULL,
  "deleted_at" timestamptz(3) NOT NULL DEFAULT now(),
  "device_id" text
)""",
        f"CREATE INDEX IF NOT EXISTS {quoted_name(TOMBSTONES + '_table_name_deleted_at_idx')} "
        f'ON {tombstones} ("table_name", "deleted_at")',
        # tombstones written before this column came take the upgrading transaction's id:
        # a cursor taken before it sends them again, none is lost
        f"ALTER TABLE {tombstones} ADD COLUMN IF NOT EXISTS {_S} bigint NOT NULL DEFAULT ({XID})",
        f"CREATE INDEX IF NOT EXISTS {quoted_name(TOMBSTONES + '_table_name_sync_seq_idx')} "
        f'ON {tombstones} ("table_name", {_S})',
        f"""CREATE OR REPLACE FUNCTION {_SEQ_FN}() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  NEW.{_S} := {XID};
  RETURN NEW;
END
$mizzle$""",
        f"""CREATE OR REPLACE FUNCTION {_INSERT_FN}() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  NEW.{_D} := {_SESSION_DEVICE};
  RETURN NEW;
END
$mizzle$""",
        f"""CREATE OR REPLACE FUNCTION {_UPDATE_FN}() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  NEW.{_V} := OLD.{_V} + 1;
  NEW.{_T} := now();
  IF NEW.{_D} IS NOT DISTINCT FROM OLD.{_D} THEN
    NEW.{_D} := coalesce({_SESSION_DEVICE}, NEW.{_D});
  END IF;
  RETURN NEW;
END
$mizzle$""",
        # The primary-key columns come as the trigger's arguments, so one function serves
        # every table; to_jsonb(OLD) gives each value as JSON (numbers, strings).
        f"""CREATE OR REPLACE FUNCTION {_DELETE_FN}() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  INSERT INTO {tombstones} ("table_name", "pk", "sync_version", "device_id")
  SELECT TG_TABLE_NAME,
         (SELECT jsonb_agg(to_jsonb(OLD) -> k.name ORDER BY k.n)
            FROM unnest(TG_ARGV) WITH ORDINALITY AS k(name, n))::text,
         OLD.{_V},
         {_SESSION_DEVICE};
  RETURN OLD;
END
$mizzle$""",
    ]


def drop_support_statements() -> list[str]:
    """The reverse of `support_statements` (run once no table is sync any more)."""
    return [
        f"DROP FUNCTION IF EXISTS {_SEQ_FN}()",
        f"DROP FUNCTION IF EXISTS {_DELETE_FN}()",
        f"DROP FUNCTION IF EXISTS {_UPDATE_FN}()",
        f"DROP FUNCTION IF EXISTS {_INSERT_FN}()",
        f"DROP TABLE IF EXISTS {quoted_name(TOMBSTONES)}",
    ]


def trigger_statements(table: str, primary_key: tuple[str, ...], *, seq: bool = True) -> list[str]:
    """CREATE TRIGGER for the four triggers of sync table `table`. `seq=False`: the three of
    the older form, for a table without `sync_seq` (a rollback past the upgrade to it)."""
    insert, update, delete, stamp = (quoted_name(n) for n in trigger_names(table))
    t = quoted_name(table)
    pk_args = ", ".join(text_literal(c) for c in primary_key)
    return [
        f"CREATE TRIGGER {insert} BEFORE INSERT ON {t} FOR EACH ROW "
        f"WHEN (NEW.{_D} IS NULL AND {_TRACKING}) EXECUTE FUNCTION {_INSERT_FN}()",
        f"CREATE TRIGGER {update} BEFORE UPDATE ON {t} FOR EACH ROW "
        f"WHEN (NEW.{_V} IS NOT DISTINCT FROM OLD.{_V} AND {_TRACKING}) EXECUTE FUNCTION {_UPDATE_FN}()",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {t} FOR EACH ROW "
        f"WHEN ({_TRACKING}) EXECUTE FUNCTION {_DELETE_FN}({pk_args})",
    ] + (
        [f"CREATE TRIGGER {stamp} BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {_SEQ_FN}()"]
        if seq
        else []
    )


def drop_trigger_statements(table: str) -> list[str]:
    t = quoted_name(table)
    return [f"DROP TRIGGER IF EXISTS {quoted_name(n)} ON {t}" for n in trigger_names(table)]


#: run inside a transaction: tracking off until it ends (the migration runner, the sync API)
TRACKING_OFF = f"SELECT set_config({text_literal(APPLYING_REMOTE_SETTING)}, 'on', true)"
TRACKING_ON = f"SELECT set_config({text_literal(APPLYING_REMOTE_SETTING)}, 'off', true)"
