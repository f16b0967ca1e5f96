"""Bundle time: the head schema as one script for new databases (`fresh.py` applies it in the
browser), and the proof that it gives exactly what replaying every migration gives.

`fresh_script(migrations)` returns the script, or None and the reason a new database must
replay the migrations instead:

1. every migration is one `mizzle generate` wrote (not a custom one: hand-written SQL may do
   anything), holding schema statements only: CREATE, ALTER, DROP, guards, a rebuild's
   `PRAGMA legacy_alter_table` (a connection setting, put back at once), and writes into
   mizzle's own tables (`__mizzle_new_*` for a table rebuild's copy, `__mizzle_sync_*` for
   the sync control rows); an INSERT, UPDATE or DELETE of an app's table is data;
2. the migrations are replayed on an empty in-memory database with the runner
   (`migrate_atomically`), as a browser replays them;
3. the script is every object of that database's `sqlite_master` with the SQL SQLite stored
   for it, in the order it stored them (rowid), less the tracking table (`apply_fresh`
   creates it first, as the runner does) and what SQLite makes by itself (autoindexes,
   `sqlite_sequence`); then the rows mizzle's own tables hold, as INSERTs; an app's table
   that holds rows after the replay refuses the script;
4. the script is applied to a second empty database by `apply_fresh` itself (the runtime's
   code), and the two are compared: `sqlite_master` row by row in order (type, name,
   tbl_name, sql), every table's rows, the tracking rows (id, name, checksum, down checksum),
   `user_version` and `application_id`. Any difference refuses the script, naming it.

Server side (runs with the bundle command); standard library only all the same.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Sequence

from mizzle.core.atomic import migrate_atomically
from mizzle.core.errors import MizzleError
from mizzle.core.migration_text import parse_file
from mizzle.core.migrations import LocalMigration
from mizzle.core.quoting import quoted_name, text_literal
from mizzle.core.tracking import PROGRESS_TABLE, TRACKING_TABLE
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase, split_script
from mizzle.wasm.fresh import apply_fresh
from mizzle.wasm.manifest import DIALECT, BundledMigration, FreshScript, script_checksum

#: the first line of a migration `mizzle new` made for hand-written SQL (`migrations.custom_header`)
_CUSTOM = re.compile(r"^-- mizzle migration \S+ \(sqlite\): custom$")
_SCHEMA = re.compile(r"^(CREATE|ALTER|DROP)\s", re.IGNORECASE)
#: a table rebuild's rename runs with this connection setting, put back right after
#: (`dialects/sqlite/rebuild.py`): nothing of it stays in the database
_REBUILD_PRAGMA = re.compile(r"^PRAGMA\s+legacy_alter_table\s*=\s*(ON|OFF)\s*;?$", re.IGNORECASE)
#: a write, and the table it writes to
_WRITE = re.compile(
    r'^(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+("?)([\w$]+)\1',
    re.IGNORECASE,
)
#: mizzle's own tables: a rebuild's copy, the sync control tables
_MIZZLE_OWN = "__mizzle_"
_MIZZLE_TABLES = (TRACKING_TABLE, PROGRESS_TABLE)
_CATALOG = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY rowid"


def fresh_script(migrations: Sequence[LocalMigration]) -> tuple[FreshScript | None, str | None]:
    """(the script, None), or (None, why a new database replays every migration)."""
    if not migrations:
        return None, "there are no migrations"
    for m in migrations:
        why = _not_schema_only(m.name, m.sql(DIALECT))
        if why:
            return None, why
    replayed = sqlite3.connect(":memory:", isolation_level=None)
    fresh = sqlite3.connect(":memory:", isolation_level=None)
    try:
        migrate_atomically(SqliteMigrationDatabase(replayed), migrations)
        statements = _objects(replayed)
        rows, why = _own_rows(replayed)
        if why:
            return None, why
        script = FreshScript(tuple(statements + rows), script_checksum(statements + rows))
        bundled = [
            BundledMigration(m.name, m.sql(DIALECT), m.down_sql(DIALECT), m.checksum(DIALECT)) for m in migrations
        ]
        try:
            apply_fresh(SqliteMigrationDatabase(fresh), script, bundled)
        except MizzleError as err:
            return None, f"the head schema does not apply by itself ({err})"
        why = _difference(replayed, fresh)
        return (None, why) if why else (script, None)
    finally:
        replayed.close()
        fresh.close()


def _not_schema_only(name: str, sql: str) -> str | None:
    """Why migration `name` may not be skipped for a new database; None when it may."""
    first = sql.lstrip().split("\n", 1)[0].rstrip()
    if _CUSTOM.match(first):
        return f"migration {name} is hand-written (custom)"
    for chunk in parse_file(sql).statements:
        if chunk.guard_message is not None:
            continue  # a count that must be 0: always 0 on an empty database, changes nothing
        for statement in split_script(chunk.sql):
            code = _code(statement)
            if _SCHEMA.match(code) or _REBUILD_PRAGMA.match(code):
                continue
            write = _WRITE.match(code)
            if write and write.group(2).startswith(_MIZZLE_OWN):
                continue
            return f"migration {name} has a statement that is not schema: {code.splitlines()[0][:80]}"
    return None


def _code(statement: str) -> str:
    """The statement without the comment lines above it."""
    lines = statement.splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    return "\n".join(lines).lstrip()


def _objects(conn: sqlite3.Connection) -> list[str]:
    """The CREATE statements of every object, in the order SQLite stored them."""
    out = []
    for _type, name, tbl_name, sql in conn.execute(_CATALOG):
        if sql is None or str(tbl_name) in _MIZZLE_TABLES or str(name).startswith("sqlite_"):
            continue  # autoindexes, sqlite_sequence; the tracking table is apply_fresh's
        out.append(str(sql))
    return out


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [str(n) for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]


def _own_rows(conn: sqlite3.Connection) -> tuple[list[str], str | None]:
    """The rows of mizzle's own tables as INSERTs; a reason when an app's table holds rows."""
    inserts = []
    for table in _tables(conn):
        if table in _MIZZLE_TABLES or table.startswith("sqlite_"):
            continue
        rows = conn.execute(f"SELECT * FROM {quoted_name(table)}").fetchall()
        if not rows:
            continue
        if not table.startswith(_MIZZLE_OWN):
            return [], f"the migrations leave {len(rows)} row(s) in {table}: data, which only replaying writes"
        columns = [str(d[0]) for d in conn.execute(f"SELECT * FROM {quoted_name(table)} LIMIT 0").description]
        names = ", ".join(quoted_name(c) for c in columns)
        for row in rows:
            values = [_literal(v) for v in row]
            if None in values:
                return [], f"{table} holds a value that cannot be written as a literal"
            inserts.append(f"INSERT INTO {quoted_name(table)} ({names}) VALUES ({', '.join(str(v) for v in values)})")
    return inserts, None


def _literal(value: object) -> str | None:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return text_literal(value)
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    return None


def _difference(replayed: sqlite3.Connection, fresh: sqlite3.Connection) -> str | None:
    """The first way the fresh database differs from the replayed one; None when they are the same."""
    a, b = replayed.execute(_CATALOG).fetchall(), fresh.execute(_CATALOG).fetchall()
    if a != b:
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            if x != y:
                return f"the head schema's catalog differs from the replay's at {x[0]} {x[1]} (object {i + 1})"
        return f"the head schema's catalog has {len(b)} objects, the replay's {len(a)}"
    for pragma in ("user_version", "application_id"):
        if replayed.execute(f"PRAGMA {pragma}").fetchall() != fresh.execute(f"PRAGMA {pragma}").fetchall():
            return f"PRAGMA {pragma} differs from the replay's"
    tracking = f"SELECT id, name, checksum, down_checksum FROM {quoted_name(TRACKING_TABLE)} ORDER BY id"
    if replayed.execute(tracking).fetchall() != fresh.execute(tracking).fetchall():
        return "the tracking rows differ from the replay's"
    for table in _tables(replayed):
        if table == TRACKING_TABLE:
            continue
        query = f"SELECT * FROM {quoted_name(table)}"
        if sorted(map(repr, replayed.execute(query))) != sorted(map(repr, fresh.execute(query))):
            return f"the rows of {table} differ from the replay's"
    return None
