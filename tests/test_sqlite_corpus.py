"""SQLite databases as real apps hold them (the corpus: Chinook, Synapse, and the final state of
three drizzle-kit histories), adopted without churn, end to end through the CLI: `mizzle pull`
to `.py` and to `.sql`, then `mizzle push --dry-run` against the same database has nothing to
do. Then a change that rebuilds every table keeps what the app's tables hold: declared types,
DEFAULT texts, AUTOINCREMENT counters, the rows."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sqlite_corpus import SQLITE_CORPUS, materialise

MIZZLE = str(Path(sys.executable).parent / "mizzle")


def mizzle(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *args], capture_output=True, text=True, timeout=600, cwd=cwd)


@pytest.fixture(scope="module")
def corpus_dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("sqlite-corpus")
    return {name: materialise(name, folder / f"{name}.db") for name in SQLITE_CORPUS}


def _project(tmp_path: Path, db: Path, suffix: str) -> Path:
    project = tmp_path / "app"
    project.mkdir()
    (project / "mizzle.toml").write_text(f'schema = "schema.{suffix}"\ndialects = ["sqlite"]\n', encoding="utf-8")
    copy = project / "app.db"
    copy.write_bytes(db.read_bytes())
    return project


def _columns(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every table's columns as SQLite reports them: name, declared type (its case aside: mizzle
    writes its own names in capitals), NOT NULL, default text, pk. NOT NULL is left out for
    primary-key columns (a rebuild writes it; see docs/types.md), and `DEFAULT NULL` is no
    default."""
    conn = sqlite3.connect(path)
    query = (
        'SELECT name, upper(type), CASE WHEN pk > 0 THEN NULL ELSE "notnull" END, '
        "CASE WHEN upper(dflt_value) = 'NULL' THEN NULL ELSE dflt_value END, pk FROM pragma_table_info(?1)"
    )
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: conn.execute(query, (n,)).fetchall() for n in names}
    finally:
        conn.close()


@pytest.mark.parametrize("suffix", ["py", "sql"])
@pytest.mark.parametrize("name", SQLITE_CORPUS)
def test_pull_then_push_changes_nothing(corpus_dbs: dict[str, Path], tmp_path: Path, name: str, suffix: str) -> None:
    project = _project(tmp_path, corpus_dbs[name], suffix)
    pulled = mizzle(project, "pull", "--db", "sqlite:///app.db", "-o", f"schema.{suffix}")
    assert pulled.returncode == 0, pulled.stderr
    assert "__drizzle_migrations" not in (project / f"schema.{suffix}").read_text(encoding="utf-8")
    pushed = mizzle(project, "push", "--db", "sqlite:///app.db", "--dry-run")
    assert pushed.returncode == 0, pushed.stderr
    assert pushed.stdout == "nothing to push: sqlite:///app.db matches the schema\n"


def test_drizzle_history_tables_are_not_pulled(corpus_dbs: dict[str, Path], tmp_path: Path) -> None:
    project = _project(tmp_path, corpus_dbs["dyad-sh__dyad"], "py")
    pulled = mizzle(project, "pull", "--db", "sqlite:///app.db", "-o", "schema.py")
    assert pulled.returncode == 0, pulled.stderr
    assert "drizzle" not in (project / "schema.py").read_text(encoding="utf-8").lower()
    conn = sqlite3.connect(project / "app.db")
    assert conn.execute("SELECT count(*) FROM __drizzle_migrations").fetchone() == (50,)
    conn.close()


def _state(path: Path) -> tuple[object, ...]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone() for t in tables}
        sequence = (
            sorted(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
            if ("sqlite_sequence" in tables)
            else []
        )
        return counts, sequence
    finally:
        conn.close()


@pytest.mark.parametrize("name", SQLITE_CORPUS)
def test_rebuilding_every_table_keeps_what_sqlite_holds(corpus_dbs: dict[str, Path], tmp_path: Path, name: str) -> None:
    """Each table rebuilt into its own definition as introspected (what any change of a column
    or constraint does on SQLite): the declared types, DEFAULT texts, NOT NULLs, keys,
    AUTOINCREMENT counters and rows SQLite reports are the same afterwards."""
    from mizzle.dialects.sqlite.introspect import introspect
    from mizzle.dialects.sqlite.rebuild import Surroundings, TableRebuild, rebuild_sql

    path = tmp_path / "app.db"
    path.write_bytes(corpus_dbs[name].read_bytes())
    before_columns, before_state = _columns(path), _state(path)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        read = introspect(conn)
        schema = read.schema
        views = {v.name: v for v in schema.views}
        tables = {t.name: t for t in schema.tables}
        triggered = {u.detail.split('"')[1] for u in read.unsupported if u.kind == "trigger"}
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute("BEGIN")
        for table in schema.tables:
            if table.name in triggered:
                continue  # not this test's business: a rebuild refuses to drop a trigger it cannot make again
            rebuild = TableRebuild(table, table, {c.name: c.name for c in table.columns}, schema, schema)
            _, statements = rebuild_sql(rebuild, Surroundings(views, views, tables))
            for statement in statements:
                conn.execute(statement)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        conn.execute("COMMIT")
    finally:
        conn.close()
    assert _columns(path) == before_columns
    assert _state(path) == before_state
