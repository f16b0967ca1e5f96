"""Five processes migrating one database at the same moment apply each migration exactly once:
PostgreSQL through the run's advisory lock, SQLite through its lock file (both taken before
the tracking table is read)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from mizzle.core.migration_text import BREAKPOINT
from mizzle.core.runner import migrate
from tests.core.test_runner import Target, connect_adapter, local, write_migration

PROCESSES = 5
BP = f"\n{BREAKPOINT}\n"
#: a statement that keeps a migration's transaction open a while, so the others must wait
SLOW = {
    "postgresql": "SELECT pg_sleep(0.3);",
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 300000) "
    "INSERT INTO filler SELECT x FROM n;",
}


def migrations(folder: Path) -> None:
    """Three migrations, each leaving one row in `log`: a second run of any would add another
    (or fail on its CREATE TABLE)."""
    write_migration(
        folder,
        "0001_log",
        {
            d: BP.join(["CREATE TABLE log (name text);", "CREATE TABLE filler (x integer);", SLOW[d]])
            + BP
            + "INSERT INTO log VALUES ('0001_log');"
            for d in SLOW
        },
    )
    write_migration(
        folder,
        "0002_tune",
        {
            d: BP.join(["CREATE TABLE tune (id integer);", SLOW[d], "INSERT INTO log VALUES ('0002_tune');"])
            for d in SLOW
        },
    )
    write_migration(
        folder, "0003_note", "ALTER TABLE tune ADD COLUMN note text;" + BP + "INSERT INTO log VALUES ('0003_note');"
    )


def _migrate_when_all_are_ready(dialect: str, where: str, folder: str, ready: Any, results: Any) -> None:
    db = connect_adapter(dialect, where)
    ready.wait()
    try:
        results.put(migrate(db, local(Path(folder))).done)
    except Exception as err:
        results.put(f"{type(err).__name__}: {err}")


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def target(request: pytest.FixtureRequest) -> Target:
    if request.param == "postgresql":
        return Target("postgresql", request.getfixturevalue("pg_url"))
    return Target("sqlite", str(request.getfixturevalue("sqlite_path")))


def test_five_parallel_runs_apply_each_migration_exactly_once(target: Target, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    migrations(folder)
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(PROCESSES)
    results = ctx.Queue()
    workers = [
        ctx.Process(
            target=_migrate_when_all_are_ready, args=(target.dialect, target.where, str(folder), ready, results)
        )
        for _ in range(PROCESSES)
    ]
    for w in workers:
        w.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    assert [w.exitcode for w in workers] == [0] * PROCESSES
    assert not [o for o in outcomes if isinstance(o, str)]  # no run failed
    applied_by_someone = sorted(name for done in outcomes for name in done)
    assert applied_by_someone == ["0001_log", "0002_tune", "0003_note"]
    assert target.tracked() == ["0001_log", "0002_tune", "0003_note"]
    assert sorted(target.rows("SELECT name FROM log")) == [("0001_log",), ("0002_tune",), ("0003_note",)]
