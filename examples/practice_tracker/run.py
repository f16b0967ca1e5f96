"""mizzle's main job on the bundled example, against embedded defaults: migrate both databases
with the committed migrations, with rows in between, and check nothing is lost or left over.

For each database (SQLite, then PostgreSQL):
1. migrate an empty database to `0001_init` (the runner of `mizzle migrate`);
2. insert a user, a tune and two practice records, one never rated (quality NULL);
3. migrate to the head: `0002_rate_every_session` adds a column and turns `quality` into
   `real NOT NULL DEFAULT 3` — on SQLite that is a table rebuild, the change drizzle-kit
   gets wrong (the new column copied as a string literal, NULLs not filled);
4. check the rows (the unrated record now holds 3, the new column is NULL; `0003_sync_tables`
   made the tables sync tables without moving a version), that the database is exactly what
   the last migration's snapshot says (no drift), and that pulling it back to Python gives
   the same schema.

Then the two databases sync (`mizzle.sync`): the SQLite device records a practice session
offline and pushes it to the PostgreSQL server, which takes it at the device's version; an
edit made on both sides at once is reported as a conflict, and the server's row stays as it
was.

- SQLite: `practice.db` beside this file, removed and recreated on every run.
- PostgreSQL: a database named `mizzle_practice_tracker`, dropped and recreated on every run
  (whatever it holds), on the server of DATABASE_URL (environment, .env or .env.local) when it
  is set (the database the URL names is only used to connect), else on an
  embedded server from the `pgserver` wheel (`pip install -e '.[embedded]'`) whose data lives
  in `.pgdata/` here.
- The pulled schemas go to `pulled/<dialect>.py`.

Exits 1 on any difference.
"""

from __future__ import annotations

import difflib
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from mizzle.app.config import Config, load_config
from mizzle.core import integrity, runner
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.model import Schema
from mizzle.core.tracking import MigrationDatabase
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import get_dialect, postgresql, sqlite
from mizzle.dialects.postgresql.migration_db import PostgresMigrationDatabase
from mizzle.dialects.postgresql.url import with_database
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from mizzle.dialects.urls import parse_url
from mizzle.sources.dsl.codegen import schema_to_python
from mizzle.sources.load import load_schema

HERE = Path(__file__).resolve().parent
PG_DATABASE = "mizzle_practice_tracker"
T = TypeVar("T")
console = Console()


FIRST = "0001_init"
USER = "INSERT INTO user_profile (id, email, display_name) VALUES (1, 'siobhan@example.org', 'Siobhán')"
TUNE = (
    "INSERT INTO tune (id, owner_id, title, tune_type) "
    "VALUES ('5b0e5a1e-0000-4000-8000-000000000001', 1, 'The Kesh', 'jig')"
)
RECORDS = (
    "INSERT INTO practice_record (id, user_id, tune_id, minutes, quality) VALUES "
    "('5b0e5a1e-0000-4000-8000-00000000000a', 1, '5b0e5a1e-0000-4000-8000-000000000001', 20, NULL), "
    "('5b0e5a1e-0000-4000-8000-00000000000b', 1, '5b0e5a1e-0000-4000-8000-000000000001', 15, 5)"
)
#: (minutes, quality, bpm) of the two records after the head migration
EXPECTED_RECORDS = [(15, 5.0, None), (20, 3.0, None)]


@dataclass
class Outcome:
    dialect: str
    where: str
    url: DatabaseURL
    tables: int
    migrations: int
    seconds: dict[str, float]
    problems: list[str]


def timed(seconds: dict[str, float], step: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = fn()
    seconds[step] = time.perf_counter() - start
    return result


def open_database(name: str, config: Config) -> tuple[Any, str, DatabaseURL]:
    """A connection to a fresh, empty database of dialect `name`, where it is, and its URL."""
    if name == "sqlite":
        path = HERE / "practice.db"
        path.unlink(missing_ok=True)
        url = parse_url(f"sqlite:///{path}")
        return sqlite.connect(url, create=True), path.name, url
    url, where = postgresql_database(config)
    return postgresql.connect(url), where, url


def postgresql_database(config: Config) -> tuple[DatabaseURL, str]:
    """A fresh database on DATABASE_URL's server, or on the embedded pgserver."""
    server = config.env.get("DATABASE_URL")
    if server:
        # the database used, not the one of the URL (which only names the server)
        server_shown = parse_url(server).redacted
        where = f"database {PG_DATABASE} (dropped and recreated) on the server of DATABASE_URL, {server_shown}"
    else:
        try:
            with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
                warnings.simplefilter("ignore")
                import pgserver
        except ImportError:
            raise MizzleError(
                "no DATABASE_URL and no embedded PostgreSQL: pip install -e '.[embedded]', or set DATABASE_URL"
            ) from None
        server = str(pgserver.get_server(HERE / ".pgdata", cleanup_mode="stop").get_uri())
        where = f"database {PG_DATABASE} (dropped and recreated) on the embedded pgserver (.pgdata/)"
    admin = parse_url(server)
    if admin.dialect != "postgresql":
        raise MizzleError(f"DATABASE_URL must be a PostgreSQL URL for this example, not {admin.redacted}")
    # mizzle's connect: a failure is one password-free line, not psycopg's traceback
    with postgresql.connect(admin) as conn:
        conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    return with_database(admin, PG_DATABASE), where


def differences(label: str, expected: Schema, actual: Schema) -> list[str]:
    if expected == actual:
        return []
    diff = difflib.unified_diff(
        expected.to_json().splitlines(), actual.to_json().splitlines(), "schema", label, lineterm="", n=2
    )
    return [f"{label} differs from the schema:", *diff]


def adapter(name: str, conn: Any) -> MigrationDatabase:
    return SqliteMigrationDatabase(conn) if name == "sqlite" else PostgresMigrationDatabase(conn)


def run_one(name: str, folder: MigrationFolder, config: Config) -> Outcome:
    dialect = get_dialect(name)
    seconds: dict[str, float] = {}
    expected, notes = dialect.project(folder.last_snapshot())
    for note in notes:
        console.print(f"{name}: {note}", style="dim", markup=False, highlight=False, soft_wrap=True)
    migrations = folder.migrations()

    conn, where, url = open_database(name, config)
    try:
        db = adapter(name, conn)
        timed(seconds, "migrate 0001", lambda: runner.migrate(db, migrations, to=FIRST))
        for statement in (USER, TUNE, RECORDS):
            db.execute(statement)
        timed(seconds, "migrate head", lambda: runner.migrate(db, migrations))
        records = [
            tuple(row) for row in db.query("SELECT minutes, quality, bpm FROM practice_record ORDER BY minutes", ())
        ]
        status = runner.status(db, migrations)
        introspected = timed(seconds, "introspect", lambda: dialect.introspect(conn))
    finally:
        conn.close()
    problems = [f"{name}: {p.message}" for p in status.problems]
    problems += [f"{name}: {len(status.pending)} migrations still pending"] if status.pending else []
    if records != EXPECTED_RECORDS:
        problems.append(f"{name}: practice records read back as {records}, expected {EXPECTED_RECORDS}")
    problems += differences(f"{name} database", expected, introspected.schema)
    problems += [f"{name}: unexpected object {u}" for u in introspected.unsupported]
    if name == "sqlite" and (versions := [v for (v,) in _versions(url)]) != [1, 1]:
        problems.append(f"sqlite: the migrations moved sync versions: {versions}")

    pulled = HERE / "pulled" / f"{name}.py"
    pulled.parent.mkdir(exist_ok=True)
    timed(seconds, "pull", lambda: pulled.write_text(schema_to_python(introspected.schema)))
    problems += differences(f"pulled/{name}.py", expected, load_schema(pulled).schema)
    return Outcome(name, where, url, len(introspected.schema.tables), len(status.applied), seconds, problems)


def _versions(url: DatabaseURL) -> list[tuple[int]]:
    conn = sqlite.connect(url)
    try:
        return [tuple(r) for r in conn.execute("SELECT sync_version FROM practice_record ORDER BY minutes")]
    finally:
        conn.close()


NEW_RECORD = "5b0e5a1e-0000-4000-8000-00000000000c"


def sync_round(device_url: DatabaseURL, server_url: DatabaseURL) -> list[str]:
    """The device records a session offline and pushes it; then both sides edit it at once."""
    from mizzle.sync import apply_remote, changes_since, set_device

    device, server = sqlite.connect(device_url), postgresql.connect(server_url)
    server.autocommit = True
    table = "practice_record"
    problems = []
    try:
        set_device(device, "fiddle-tablet")
        cursor = changes_since(device, table, None).cursor  # what the device had already sent
        with device:
            device.execute(
                "INSERT INTO practice_record (id, user_id, tune_id, minutes) VALUES (?, 1, ?, 10)",
                (NEW_RECORD, "5b0e5a1e-0000-4000-8000-000000000001"),
            )
            device.execute("UPDATE practice_record SET notes = 'lift the B part' WHERE id = ?", (NEW_RECORD,))
        changes = changes_since(device, table, cursor)
        pushed = apply_remote(server, table, changes, relay=True)
        row = server.execute("SELECT sync_version, notes, device_id FROM practice_record WHERE id = %s", (NEW_RECORD,))
        if (pushed.applied, row.fetchone()) != (1, (2, "lift the B part", "fiddle-tablet")):
            problems.append(f"sync: the device's session did not reach the server as it should ({pushed})")
        # both sides change the session before the device pushes again
        server.execute("UPDATE practice_record SET minutes = 25 WHERE id = %s", (NEW_RECORD,))
        with device:
            device.execute("UPDATE practice_record SET minutes = 30 WHERE id = ?", (NEW_RECORD,))
        again = apply_remote(server, table, changes_since(device, table, changes.cursor), relay=True)
        minutes = server.execute("SELECT minutes FROM practice_record WHERE id = %s", (NEW_RECORD,)).fetchone()
        if len(again.conflicts) != 1 or minutes != (25,):
            problems.append(f"sync: a concurrent edit was not reported as a conflict ({again})")
        console.print(
            f"sync: device → server: {pushed.applied} new session at version 2; edited on both sides: "
            f"{len(again.conflicts)} conflict reported, the server's row kept",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    finally:
        device.close()
        server.close()
    return problems


def main() -> int:
    config = load_config(config_path=HERE / "mizzle.toml")
    folder = MigrationFolder(config.out)
    broken = integrity.verify(folder)
    if broken:
        raise MizzleError(f"the migrations folder fails its sum check: {broken[0].message}")
    schema = load_schema(config.require_schema()).schema
    if schema != folder.last_snapshot():
        raise MizzleError("schema.py has changes no migration holds yet: run `mizzle generate --name ...`")
    outcomes = [run_one(name, folder, config) for name in ("sqlite", "postgresql")]

    steps = ("migrate 0001", "migrate head", "introspect", "pull")
    table = Table(title="migrations → database (with rows) → introspect → pull", title_justify="left")
    for column in ("db", "tables", "applied", "0001", "head", "introspect", "pull", "result"):
        table.add_column(column, no_wrap=True)
    for o in outcomes:
        table.add_row(
            o.dialect,
            str(o.tables),
            str(o.migrations),
            *(f"{o.seconds[step] * 1000:.0f} ms" for step in steps),
            "[red]DIFFERENT[/red]" if o.problems else "[green]ok[/green]",
        )
    console.print(table)
    for o in outcomes:
        console.print(f"{o.dialect}: {o.where}", markup=False, highlight=False, soft_wrap=True)
    problems = [line for o in outcomes for line in o.problems]
    by_name = {o.dialect: o for o in outcomes}
    problems += sync_round(by_name["sqlite"].url, by_name["postgresql"].url)
    for line in problems:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    verdict = "[red]DIFFERENT[/red]" if problems else "[green]rows kept, schema identical, no drift, synced[/green]"
    console.print("both databases: " + verdict)
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MizzleError as err:
        console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
