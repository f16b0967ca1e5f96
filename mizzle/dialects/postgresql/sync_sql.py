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

The WHEN clauses keep the common paths out of PL/pgSQL: an update that sets the version, or
a session applying remote rows, never calls a function.
"""

from __future__ import annotations

from mizzle.core.sync.names import (
    APPLYING_REMOTE_SETTING,
    DEVICE_ID,
    DEVICE_SETTING,
    LAST_MODIFIED_AT,
    PG_DELETE_FUNCTION,
    PG_INSERT_FUNCTION,
    PG_UPDATE_FUNCTION,
    SYNC_VERSION,
    TOMBSTONES,
    trigger_names,
)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_TRACKING = f"current_setting({_text(APPLYING_REMOTE_SETTING)}, true) IS DISTINCT FROM 'on'"
_SESSION_DEVICE = f"nullif(current_setting({_text(DEVICE_SETTING)}, true), '')"
_V, _T, _D = _q(SYNC_VERSION), _q(LAST_MODIFIED_AT), _q(DEVICE_ID)


def support_statements() -> list[str]:
    """Create the tombstone table and the trigger functions (idempotent: CREATE ... IF NOT
    EXISTS / OR REPLACE, so a migration can carry them whatever the database holds)."""
    tombstones = _q(TOMBSTONES)
    return [
        f"""CREATE TABLE IF NOT EXISTS {tombstones} (
  "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  "table_name" text NOT NULL,
  "pk" text NOT NULL,
  "sync_version" integer NOT NULL,
  "deleted_at" timestamptz(3) NOT NULL DEFAULT now(),
  "device_id" text
)""",
        f"CREATE INDEX IF NOT EXISTS {_q(TOMBSTONES + '_table_name_deleted_at_idx')} "
        f'ON {tombstones} ("table_name", "deleted_at")',
        f"""CREATE OR REPLACE FUNCTION {_q(PG_INSERT_FUNCTION)}() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
BEGIN
  NEW.{_D} := {_SESSION_DEVICE};
  RETURN NEW;
END
$mizzle$""",
        f"""CREATE OR REPLACE FUNCTION {_q(PG_UPDATE_FUNCTION)}() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
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
        f"""CREATE OR REPLACE FUNCTION {_q(PG_DELETE_FUNCTION)}() RETURNS trigger LANGUAGE plpgsql AS $mizzle$
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
        f"DROP FUNCTION IF EXISTS {_q(PG_DELETE_FUNCTION)}()",
        f"DROP FUNCTION IF EXISTS {_q(PG_UPDATE_FUNCTION)}()",
        f"DROP FUNCTION IF EXISTS {_q(PG_INSERT_FUNCTION)}()",
        f"DROP TABLE IF EXISTS {_q(TOMBSTONES)}",
    ]


def trigger_statements(table: str, primary_key: tuple[str, ...]) -> list[str]:
    """CREATE TRIGGER for the three triggers of sync table `table`."""
    insert, update, delete = (_q(n) for n in trigger_names("postgresql", table))
    t = _q(table)
    pk_args = ", ".join(_text(c) for c in primary_key)
    return [
        f"CREATE TRIGGER {insert} BEFORE INSERT ON {t} FOR EACH ROW "
        f"WHEN (NEW.{_D} IS NULL AND {_TRACKING}) EXECUTE FUNCTION {_q(PG_INSERT_FUNCTION)}()",
        f"CREATE TRIGGER {update} BEFORE UPDATE ON {t} FOR EACH ROW "
        f"WHEN (NEW.{_V} IS NOT DISTINCT FROM OLD.{_V} AND {_TRACKING}) EXECUTE FUNCTION {_q(PG_UPDATE_FUNCTION)}()",
        f"CREATE TRIGGER {delete} AFTER DELETE ON {t} FOR EACH ROW "
        f"WHEN ({_TRACKING}) EXECUTE FUNCTION {_q(PG_DELETE_FUNCTION)}({pk_args})",
    ]


def drop_trigger_statements(table: str) -> list[str]:
    t = _q(table)
    return [f"DROP TRIGGER IF EXISTS {_q(n)} ON {t}" for n in trigger_names("postgresql", table)]


#: run inside a transaction: tracking off until it ends (the migration runner, the sync API)
TRACKING_OFF = f"SELECT set_config({_text(APPLYING_REMOTE_SETTING)}, 'on', true)"
TRACKING_ON = f"SELECT set_config({_text(APPLYING_REMOTE_SETTING)}, 'off', true)"
