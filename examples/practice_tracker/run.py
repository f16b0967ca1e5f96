"""mizzle's main job on the bundled example, against embedded defaults:

schema.py → DDL for PostgreSQL and SQLite → applied to a fresh database of each → read
back by introspection → must equal the schema (as each database holds it) → pulled back to
Python → loaded again → must still be equal.

- SQLite: `practice.db` beside this file, removed and recreated on every run.
- PostgreSQL: a database named `mizzle_practice_tracker`, dropped and recreated on every run,
  on the server of DATABASE_URL (environment, .env or .env.local) when it is set, else on an
  embedded server from the `pgserver` wheel (`pip install -e '.[embedded]'`) whose data lives
  in `.pgdata/` here.
- The pulled schemas go to `pulled/<dialect>.py`.

Exits 1 on any difference. Later issues replace this with `mizzle generate` + `mizzle migrate`.
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
from urllib.parse import urlsplit, urlunsplit

from rich.console import Console
from rich.table import Table

from mizzle.core.codegen import schema_to_python
from mizzle.core.config import Config, load_config
from mizzle.core.errors import MizzleError
from mizzle.core.load import load_schema
from mizzle.core.model import Schema
from mizzle.core.urls import DatabaseURL, parse_url
from mizzle.dialects import get_dialect, postgresql, sqlite

HERE = Path(__file__).resolve().parent
PG_DATABASE = "mizzle_practice_tracker"
T = TypeVar("T")
console = Console()


@dataclass
class Outcome:
    dialect: str
    where: str
    tables: int
    statements: int
    seconds: dict[str, float]
    problems: list[str]


def timed(seconds: dict[str, float], step: str, fn: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = fn()
    seconds[step] = time.perf_counter() - start
    return result


def open_database(name: str, config: Config) -> tuple[Any, str]:
    """A connection to a fresh, empty database of dialect `name`, and where it is."""
    if name == "sqlite":
        path = HERE / "practice.db"
        path.unlink(missing_ok=True)
        return sqlite.connect(parse_url(f"sqlite:///{path}"), create=True), path.name
    url, where = postgresql_database(config)
    return postgresql.connect(url), where


def postgresql_database(config: Config) -> tuple[DatabaseURL, str]:
    """A fresh database on DATABASE_URL's server, or on the embedded pgserver."""
    import psycopg

    server = config.env.get("DATABASE_URL")
    if server:
        where = f"{parse_url(server).redacted} (DATABASE_URL)"
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
        where = "embedded pgserver (.pgdata/)"
    admin = parse_url(server)
    if admin.dialect != "postgresql":
        raise MizzleError(f"DATABASE_URL must be a PostgreSQL URL for this example, not {admin.redacted}")
    with psycopg.connect(admin.url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DATABASE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DATABASE}"')
    parts = urlsplit(admin.url)
    return parse_url(urlunsplit((parts.scheme, parts.netloc, "/" + PG_DATABASE, parts.query, ""))), where


def differences(label: str, expected: Schema, actual: Schema) -> list[str]:
    if expected == actual:
        return []
    diff = difflib.unified_diff(
        expected.to_json().splitlines(), actual.to_json().splitlines(), "schema", label, lineterm="", n=2
    )
    return [f"{label} differs from the schema:", *diff]


def run_one(name: str, schema: Schema, config: Config) -> Outcome:
    dialect = get_dialect(name)
    seconds: dict[str, float] = {}
    statements = timed(seconds, "render", lambda: dialect.render_schema(schema))
    projected, notes = dialect.project(schema)
    for note in notes:
        console.print(f"{name}: {note}", style="dim", markup=False, highlight=False, soft_wrap=True)

    conn, where = open_database(name, config)
    try:
        timed(seconds, "apply", lambda: dialect.apply(conn, statements))
        introspected = timed(seconds, "introspect", lambda: dialect.introspect(conn))
    finally:
        conn.close()
    problems = differences(f"{name} database", projected, introspected.schema)
    problems += [f"{name}: unexpected object {u}" for u in introspected.unsupported]

    pulled = HERE / "pulled" / f"{name}.py"
    pulled.parent.mkdir(exist_ok=True)
    timed(seconds, "pull", lambda: pulled.write_text(schema_to_python(introspected.schema)))
    problems += differences(f"pulled/{name}.py", projected, load_schema(pulled).schema)
    return Outcome(name, where, len(introspected.schema.tables), len(statements), seconds, problems)


def main() -> int:
    config = load_config(config_path=HERE / "mizzle.toml")
    loaded = load_schema(config.require_schema())
    outcomes = [run_one(name, loaded.schema, config) for name in config.dialects]

    table = Table(title="schema.py → DDL → database → introspect → pull", title_justify="left")
    for column in ("database", "tables", "statements", "apply", "introspect", "pull", "round trip"):
        table.add_column(column, no_wrap=True)
    for o in outcomes:
        table.add_row(
            o.dialect,
            str(o.tables),
            str(o.statements),
            *(f"{o.seconds[step] * 1000:.0f} ms" for step in ("apply", "introspect", "pull")),
            "[red]DIFFERENT[/red]" if o.problems else "[green]identical[/green]",
        )
    console.print(table)
    for o in outcomes:
        console.print(f"{o.dialect}: {o.where}", markup=False, highlight=False, soft_wrap=True)
    problems = [line for o in outcomes for line in o.problems]
    for line in problems:
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print("round trip: " + ("[red]DIFFERENT[/red]" if problems else "[green]identical[/green]"))
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MizzleError as err:
        console.print(f"error: {err}", markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
