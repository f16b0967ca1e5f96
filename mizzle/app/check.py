"""`check`: is the migrations folder sound, is every change of the schema in a migration, and
does a database hold what its applied migrations say it should? Each part is a function of
its own, returning findings (one line each: `folder: ...`, `schema: ...`, `pending: ...`,
`drift: ...`), so an edge can show each part as it comes; `check` runs them all. Also
`hash_sum`, which rewrites the sum file once a person has checked the folder."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mizzle.app.database import opened
from mizzle.app.folder import shown
from mizzle.core import integrity, runner
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from mizzle.core.table_filter import EVERY_TABLE, TableFilter
from mizzle.core.urls import DatabaseURL

if TYPE_CHECKING:
    from mizzle.app.config import Config
    from mizzle.core.introspection import Unsupported
    from mizzle.core.model import Schema


def folder_findings(folder: MigrationFolder) -> list[str]:
    """The folder against mizzle.sum: edits, gaps, collisions, missing migrations."""
    return [f"folder: {p.message}" for p in integrity.verify(folder)]


def schema_findings(folder: MigrationFolder, config: Config) -> list[str]:
    """What the config's schema holds that no migration does: a schema edited without
    `generate` (a schema that does not load is one finding). Read the folder's findings
    first: a broken folder has no last snapshot to compare with."""
    from mizzle.app.push import no_renames
    from mizzle.core.diff import diff  # the model, sqlglot: only when there is a schema
    from mizzle.sources.load import load_schema

    schema_file = config.require_schema()
    try:
        schema = load_schema(schema_file, config.sync_tables).schema
    except MizzleError as err:
        return [f"schema: {err}"]
    previous = folder.last_snapshot()
    operations = diff(previous, schema, no_renames(previous, schema))
    last = folder.migrations()[-1].name if folder.migrations() else None
    since = f"the snapshot of {last}" if last else "no migration"
    where = shown(schema_file)
    return [f"schema: {where} differs from {since}: {op.describe()} (run `mizzle generate`)" for op in operations]


@dataclass(frozen=True)
class DatabaseCheck:
    """A database against the folder: its findings and what it was compared with."""

    findings: tuple[str, ...]
    applied: int
    pending: int
    #: what the database was compared with (`the snapshot of 0002_x`); None when it was not
    #: (its last applied migration is missing locally, a finding already)
    compared_with: str | None = None
    #: how many differences the comparison found (each is a `drift:` finding)
    differences: int = 0
    #: objects of the database the model cannot hold (not compared)
    unsupported: tuple[Unsupported, ...] = field(default=())


def database_findings(folder: MigrationFolder, url: DatabaseURL, tables: TableFilter = EVERY_TABLE) -> DatabaseCheck:
    """The database at `url`: applied migrations edited or missing locally, pending ones, and
    drift from the snapshot of its last applied migration, in the tables `tables` keeps.
    Changes nothing."""
    from mizzle.app.push import compare, describe_drift, drift  # the model, sqlglot: only with a database

    with opened(url) as database:
        st = runner.status(database.db, folder.migrations())
        findings = [f"database: {p.message}" for p in st.problems]
        findings += [f"pending: {name}" for name in st.pending]
        expected = _expected_schema(folder, [row.name for row in st.applied])
        if expected is None:
            return DatabaseCheck(tuple(findings), len(st.applied), len(st.pending))
        label, schema = expected
        comparison = compare(database.db, database.conn, schema, tables)
        changes = drift(database.db, database.conn, comparison)
    findings += [f"drift: {describe_drift(op)}" for op in changes]
    return DatabaseCheck(
        tuple(findings), len(st.applied), len(st.pending), label, len(changes), tuple(comparison.unsupported)
    )


def _expected_schema(folder: MigrationFolder, applied: list[str]) -> tuple[str, Schema] | None:
    """The schema the database should hold: the snapshot of the last migration applied (by
    name), or an empty schema when none is; None when that migration is missing locally (a
    problem reported already)."""
    if not applied:
        from mizzle.core.model import Schema

        return "an empty schema (no migration applied)", Schema()
    last = max(applied)
    migration = folder.get(last)
    if migration is None:
        return None
    return f"the snapshot of {last}", migration.snapshot()


@dataclass(frozen=True)
class Checked:
    """Everything `check` found; `ok` when nothing."""

    migrations: int
    findings: tuple[str, ...]
    #: the database's part; None when no database was checked
    database: DatabaseCheck | None

    @property
    def ok(self) -> bool:
        return not self.findings


def check(folder: MigrationFolder, config: Config | None = None, url: DatabaseURL | None = None) -> Checked:
    """The folder, the config's schema (when it names one and the folder is sound) and the
    database at `url` (when given), in that order; changes nothing."""
    findings = folder_findings(folder)
    if config is not None and config.schema is not None and not findings:
        findings += schema_findings(folder, config)
    tables = config.tables_filter if config is not None else EVERY_TABLE
    database = database_findings(folder, url, tables) if url is not None else None
    if database is not None:
        findings += database.findings
    return Checked(len(folder.migrations()), tuple(findings), database)


def hash_sum(folder: MigrationFolder) -> Path:
    """Rewrite the folder's mizzle.sum as the folder is now; return its path. For after a
    person checked the folder, never to paper over an edit of an applied migration."""
    if not folder.path.is_dir():
        raise MizzleError(f"no migrations folder at {folder.path}")
    return integrity.write(folder)
