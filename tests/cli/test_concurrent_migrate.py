"""Five `mizzle migrate` processes started together against one database apply each migration
exactly once, and all five succeed: on PostgreSQL they queue on the run's advisory lock, on
SQLite on its lock file (`<database>-mizzle-lock`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import Mizzle
from tests.cli.project import DATABASES, Project, applied, empty_database, make_project, sql

PROCESSES = 5
MIZZLE = Path(sys.executable).parent / "mizzle"
#: a statement that keeps the custom migration's transaction open a while, so the others wait
SLOW = {
    "postgresql": "SELECT pg_sleep(0.5);",
    "sqlite": "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 500000) "
    "SELECT count(*) FROM n;",
}


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return empty_database(request, tmp_path)


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    """0001_init, a slow 0002_slow that logs itself in a table, and 0003_add_key."""
    project = make_project(tmp_path / "app", mizzle)
    assert project("generate", "--name", "init").code == 0
    assert project("generate", "--name", "slow", "--custom").code == 0
    for dialect, slow in SLOW.items():
        with (project.migrations / "0002_slow" / f"{dialect}.sql").open("a") as f:
            f.write(f"{slow}\n--> statement-breakpoint\nINSERT INTO playlist (name) VALUES ('0002_slow ran');\n")
    assert project("hash").code == 0
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    assert project("generate", "--name", "add_key").code == 0
    return project


def test_five_parallel_migrate_processes_apply_each_migration_once(project: Project, db_url: str) -> None:
    config = project.root / "mizzle.toml"
    runs = [
        subprocess.Popen(
            [MIZZLE, "--config", config, "migrate", "--db", db_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0] * PROCESSES, outputs
    assert applied(db_url) == ["0001_init", "0002_slow", "0003_add_key"]
    assert sql(db_url, "SELECT name FROM playlist") == [("0002_slow ran",)]
    lines = [line for out, _ in outputs for line in out.splitlines() if line.startswith("applied ")]
    assert sorted(line.split(" ")[1] for line in lines) == ["0001_init", "0002_slow", "0003_add_key"]
