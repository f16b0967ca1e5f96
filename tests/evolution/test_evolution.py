"""The evolution suite: every scenario of `scenarios.py`, on PostgreSQL and on SQLite, through
the real CLI (`generate`, `migrate`, `rollback`) run in-process.

For each: build a project with schema A, `generate` + `migrate` an empty database, insert
rows, switch to schema B, `generate` + `migrate` again, then assert
1. the migrated database's schema equals a fresh database built from B (both read by mizzle's
   introspector; the catalogs of fresh and migrated databases must agree);
2. every row reads back as expected;
3. foreign keys still enforce (an orphan is refused) and cascades still cascade;
4. `rollback` gives back A's schema (and A's rows, unless the change lost or rewrote them),
   and migrating forward again gives B once more.
A scenario that must fail instead checks that the failed migration changed nothing at all:
schema, rows, the tracking table and the sync tombstones, and that the message says why.

Sync tables (the synced variant of every scenario, and the sync scenarios): no migration
moves a row's `sync_version` or `last_modified_at` or writes a tombstone (the runner runs
migrations with tracking off), and afterwards the triggers still fire: an UPDATE bumps the
version, a DELETE leaves a tombstone.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.cli.app import main
from mizzle.core.model import Schema
from mizzle.core.sync.names import CONTROL_TABLE, TOMBSTONES
from mizzle.dialects import get_dialect
from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema
from tests.evolution.scenarios import SCENARIOS, SYNCED_SCENARIOS, Scenario
from tests.pg import fresh_database


@dataclass
class Database:
    dialect: str
    url: str

    def connect(self) -> Any:
        if self.dialect == "postgresql":
            return psycopg.connect(self.url, autocommit=True)
        conn = sqlite3.connect(parse_url(self.url).sqlite_path or "", isolation_level=None)
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def schema(self) -> Schema:
        d = get_dialect(self.dialect)
        conn = d.connect(parse_url(self.url))
        try:
            found = d.introspect(conn)
        finally:
            conn.close()
        assert found.unsupported == (), found.unsupported
        return found.schema

    def mark(self) -> str:
        return "%s" if self.dialect == "postgresql" else "?"

    def insert(self, rows: dict[str, list[dict[str, Any]]]) -> None:
        conn = self.connect()
        try:
            for table, items in rows.items():
                for row in items:
                    cols = ", ".join(f'"{c}"' for c in row)
                    marks = ", ".join(self.mark() for _ in row)
                    conn.execute(f'INSERT INTO "{table}" ({cols}) VALUES ({marks})', tuple(row.values()))
        finally:
            conn.close()

    def rows(self, table: str, columns: list[str]) -> list[dict[str, Any]]:
        conn = self.connect()
        try:
            cols = ", ".join(f'"{c}"' for c in columns)
            found = conn.execute(f'SELECT {cols} FROM "{table}" ORDER BY 1').fetchall()
        finally:
            conn.close()
        return [dict(zip(columns, row, strict=True)) for row in found]

    def exists(self, table: str) -> bool:
        conn = self.connect()
        try:
            if self.dialect == "postgresql":
                return conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f'"{table}"',)).fetchone()[0]
            return bool(conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone())
        finally:
            conn.close()

    def tombstones(self) -> list[Any]:
        if not self.exists(TOMBSTONES):
            return []
        conn = self.connect()
        try:
            return conn.execute(f'SELECT * FROM "{TOMBSTONES}" ORDER BY 1').fetchall()
        finally:
            conn.close()

    def stamps(self, schema: Schema) -> dict[str, dict[tuple[Any, ...], tuple[Any, Any]]]:
        """Per sync table: primary key → (sync_version, last_modified_at)."""
        out = {}
        conn = self.connect()
        try:
            for table in schema.tables:
                if table.sync and table.primary_key:
                    keys = ", ".join(f'"{c}"' for c in table.primary_key.columns)
                    rows = conn.execute(f'SELECT {keys}, sync_version, last_modified_at FROM "{table.name}"').fetchall()
                    n = len(table.primary_key.columns)
                    out[table.name] = {tuple(r[:n]): (r[n], r[n + 1]) for r in rows}
        finally:
            conn.close()
        return out

    def everything(self) -> tuple[dict[str, Any], list[Any]]:
        """The schema plus every row of every table (the tracking table and the sync
        support tables included)."""
        schema = self.schema()
        conn = self.connect()
        try:
            support = [t for t in (TOMBSTONES, CONTROL_TABLE) if self.exists(t)]
            tables = [t.name for t in schema.tables] + ["__mizzle_migrations"] + support
            data = [conn.execute(f'SELECT * FROM "{t}" ORDER BY 1').fetchall() for t in tables]
        finally:
            conn.close()
        return schema.to_dict(), data


@pytest.fixture(params=["postgresql", "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "postgresql":
        with fresh_database("evo") as url:
            yield Database("postgresql", url)
    else:
        yield Database("sqlite", f"sqlite:///{tmp_path / 'evolution.db'}")


def fresh_schema(dialect: str, schema_file: Path, tmp_path: Path) -> dict[str, Any]:
    """What a fresh database built straight from a schema file introspects to."""
    schema = load_schema(schema_file).schema
    d = get_dialect(dialect)
    if dialect == "postgresql":
        with fresh_database("fresh") as url:
            db = Database(dialect, url)
            conn = d.connect(parse_url(url))
            d.apply(conn, d.render_schema(schema))
            conn.close()
            return db.schema().to_dict()
    path = tmp_path / f"fresh-{schema_file.stem}.db"
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    d.apply(conn, d.render_schema(schema))
    conn.close()
    return Database(dialect, f"sqlite:///{path}").schema().to_dict()


class Project:
    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys
        config = 'schema = "schema.py"\nout = "migrations"\ndialects = ["postgresql", "sqlite"]\n'
        (root / "mizzle.toml").write_text(config)

    def cli(self, *args: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main(["--config", str(self.root / "mizzle.toml"), *args])
        captured = self.capsys.readouterr()
        return code, captured.out + captured.err

    def write_schema(self, source: str, name: str) -> Path:
        (self.root / "schema.py").write_text(source)
        keep = self.root / f"{name}.py"  # a copy to build the fresh comparison database from
        keep.write_text(source)
        return keep

    def generate(self, name: str, renames: tuple[str, ...] = ()) -> None:
        flags = [arg for r in renames for arg in ("--rename", r)]
        code, out = self.cli("generate", "--name", name, *flags)
        assert code == 0, out


ALL_SCENARIOS = SCENARIOS + SYNCED_SCENARIOS


@pytest.mark.postgres
@pytest.mark.parametrize("scenario", ALL_SCENARIOS, ids=[s.name for s in ALL_SCENARIOS])
def test_scenario(scenario: Scenario, database: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = Project(tmp_path, capsys)
    schema_a = project.write_schema(scenario.source("a"), "schema_a")
    project.generate("a")
    code, out = project.cli("migrate", "--db", database.url)
    assert code == 0, out
    database.insert(scenario.rows)
    model_a = load_schema(schema_a).schema
    stamps_a = database.stamps(model_a)

    schema_b = project.write_schema(scenario.source("b"), "schema_b")
    project.generate("b", scenario.renames)

    if scenario.fails is not None and database.dialect in scenario.fails_on:
        before = database.everything()
        code, out = project.cli("migrate", "--db", database.url)
        assert code == 1, out
        assert scenario.fails in out and "Traceback" not in out, out
        assert database.everything() == before
        return

    code, out = project.cli("migrate", "--db", database.url)
    assert code == 0, out
    assert _shape(database.schema().to_dict(), scenario) == _shape(
        fresh_schema(database.dialect, schema_b, tmp_path), scenario
    )
    model_b = load_schema(schema_b).schema
    _check_stamps_kept(stamps_a, database.stamps(model_b))
    assert database.tombstones() == []
    for table, expected in scenario.expect.items():
        columns = list(expected[0]) if expected else ["1"]
        got = database.rows(table, columns) if expected else []
        assert got == expected, table
    _check_filled(scenario, database)

    # --force: a lossy down file (a dropped column's values) is refused without it
    code, out = project.cli("rollback", "--db", database.url, "--force")
    assert code == 0, out
    assert _shape(database.schema().to_dict(), scenario) == _shape(
        fresh_schema(database.dialect, schema_a, tmp_path), scenario
    )
    if not scenario.lossy:
        for table, rows in scenario.rows.items():
            if rows:
                assert database.rows(table, list(rows[0])) == sorted(rows, key=lambda r: next(iter(r.values())))
        assert database.stamps(model_a) == stamps_a

    # forward again after the rollback, then check that foreign keys enforce and cascade
    code, out = project.cli("migrate", "--db", database.url)
    assert code == 0, out
    assert _shape(database.schema().to_dict(), scenario) == _shape(
        fresh_schema(database.dialect, schema_b, tmp_path), scenario
    )
    assert database.tombstones() == []
    if scenario.cascade:
        _check_foreign_keys(scenario.cascade, database)  # its cascaded deletes leave tombstones
    _check_triggers_fire(database, model_b)


def _shape(schema: dict[str, Any], scenario: Scenario) -> dict[str, Any]:
    """The schema as compared. In the synced variants a column added to a table lands after
    the sync columns (ALTER TABLE ADD COLUMN appends; PostgreSQL cannot reorder columns)
    while a fresh database has the sync columns last, so their columns compare by name."""
    if not scenario.name.endswith("[synced]"):
        return schema
    tables = [{**t, "columns": sorted(t["columns"], key=lambda c: c["name"])} for t in schema.get("tables", [])]
    return {**schema, "tables": tables}


def _check_stamps_kept(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Rows of a table that is sync before and after the migration keep their version and time."""
    for table, rows in before.items():
        for key, stamp in rows.items():
            if table in after and key in after[table]:
                assert after[table][key] == stamp, (table, key)


def _check_triggers_fire(database: Database, schema: Schema) -> None:
    """On every sync table holding rows: an UPDATE bumps the version by one; a DELETE (of a row
    no foreign key keeps) leaves a tombstone naming it. At least one DELETE must go through."""
    stamps = database.stamps(schema)
    deleted: list[tuple[str, list[Any]]] = []
    conn = database.connect()
    mark = database.mark()
    try:
        for table, rows in stamps.items():
            keys = schema.table(table).primary_key.columns  # type: ignore[union-attr]
            where = " AND ".join(f'"{c}" = {mark}' for c in keys)
            for key, (version, _) in rows.items():
                conn.execute(f"UPDATE \"{table}\" SET device_id = 'probe' WHERE {where}", key)
                now = conn.execute(f'SELECT sync_version FROM "{table}" WHERE {where}', key).fetchone()[0]
                assert now == version + 1, (table, key)
            for key in rows:
                try:
                    conn.execute(f'DELETE FROM "{table}" WHERE {where}', key)
                except (psycopg.errors.IntegrityError, sqlite3.IntegrityError):
                    continue  # a child row keeps it: try the next
                deleted.append((table, list(key)))
                break
    finally:
        conn.close()
    if any(stamps.values()):
        assert deleted
        # (table, pk, ...): cascaded deletes leave tombstones too
        left = {(t[1], json.dumps(json.loads(t[2]))) for t in database.tombstones()}
        for table, key in deleted:
            assert (table, json.dumps(key)) in left, (table, key)


def _check_filled(scenario: Scenario, database: Database) -> None:
    """Columns added with a now() / random uuid default hold a value in every old row."""
    for table, column, distinct in FILLED.get(scenario.name, ()):
        values = [r[column] for r in database.rows(table, [column])]
        assert values and all(v is not None for v in values)
        if distinct:
            assert len({str(v) for v in values}) == len(values)


FILLED = {
    "add_now_default_column_to_populated_table": [("tune", "added_at", False)],
    "add_uuid_default_column_to_populated_table": [("tune", "uid", True)],
}


def _check_foreign_keys(cascade: tuple[str, str, Any, str], database: Database) -> None:
    parent, key, value, child = cascade
    conn = database.connect()
    mark = database.mark()
    try:
        # find the child's FK column pointing at the parent, from the migrated schema
        schema = database.schema()
        fk = next(f for f in schema.table(child).foreign_keys if f.ref_table == parent)  # type: ignore[union-attr]
        fk_col = fk.columns[0]
        children = conn.execute(f'SELECT count(*) FROM "{child}" WHERE "{fk_col}" = {mark}', (value,)).fetchone()[0]
        assert children > 0, "the scenario's rows must give the parent children"
        # an orphan is refused
        pk = schema.table(child).primary_key.columns[0]  # type: ignore[union-attr]
        with pytest.raises((psycopg.errors.ForeignKeyViolation, sqlite3.IntegrityError)):
            conn.execute(f'INSERT INTO "{child}" ("{pk}", "{fk_col}") VALUES (999999, 888888)')
        # deleting the parent cascades
        conn.execute(f'DELETE FROM "{parent}" WHERE "{key}" = {mark}', (value,))
        left = conn.execute(f'SELECT count(*) FROM "{child}" WHERE "{fk_col}" = {mark}', (value,)).fetchone()[0]
        assert left == 0
    finally:
        conn.close()


def test_there_are_at_least_thirty_scenarios() -> None:
    assert len(SCENARIOS) >= 30
    assert len(SYNCED_SCENARIOS) >= 30
    assert len({s.name for s in ALL_SCENARIOS}) == len(ALL_SCENARIOS)
