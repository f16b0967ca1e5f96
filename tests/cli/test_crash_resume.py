"""A `mizzle migrate` killed (kill -9) between the parts of a `--concurrent-indexes` migration,
then run again: it resumes after the committed part and rebuilds the index the crash left
INVALID, instead of failing on the part that had committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.cli.conftest import Mizzle
from tests.cli.project import Project, applied, make_project, sql

pytestmark = pytest.mark.postgres

INDEX_WAITING = (
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
    "AND query LIKE 'CREATE INDEX CONCURRENTLY tune_key_idx%%' AND wait_event_type = 'Lock'"
)


@pytest.fixture
def project(tmp_path: Path, mizzle: Mizzle) -> Project:
    return make_project(tmp_path / "app", mizzle)


def wait_for(url: str, query: str, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = sql(url, query)
        if rows:
            return int(rows[0][0])
        time.sleep(0.1)
    raise AssertionError(f"nothing matched within {timeout}s: {query}")


def test_a_migrate_killed_before_its_concurrent_index_resumes_when_run_again(project: Project, pg_url: str) -> None:
    assert project("generate", "--name", "init").code == 0
    assert project("migrate", "--db", pg_url).code == 0
    sql(pg_url, "INSERT INTO tune (title) VALUES ('a'), ('b')")
    project.edit_schema("    notes = text()\n", "    notes = text()\n    key = text()\n")
    project.edit_schema('index("title")', 'index("title"), index("key")')
    assert project("generate", "--name", "add_key", "--concurrent-indexes").code == 0

    # An open transaction holding a snapshot: CREATE INDEX CONCURRENTLY waits for it to end
    # (after the column was added and committed), which is where the run is killed.
    with psycopg.connect(pg_url) as holder:
        holder.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
        holder.execute("SELECT 1")
        script = Path(sys.executable).parent / "mizzle"
        config = project.root / "mizzle.toml"
        proc = subprocess.Popen(
            [script, "--config", config, "migrate", "--db", pg_url],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            backend = wait_for(pg_url, INDEX_WAITING)
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        # the server's side of the crash: the session ends with it
        sql(pg_url, "SELECT pg_terminate_backend(%s)", (backend,))
        holder.rollback()

    # What the crash left: the column, an INVALID index, no tracking row.
    assert applied(pg_url) == ["0001_init"]
    assert sql(pg_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'tune_key_idx'::regclass") == [(False,)]

    result = project("migrate", "--db", pg_url)
    assert result.code == 0, result.err
    assert result.out.startswith("applied 0002_add_key")
    assert applied(pg_url) == ["0001_init", "0002_add_key"]
    assert sql(pg_url, "SELECT indisvalid FROM pg_index WHERE indexrelid = 'tune_key_idx'::regclass") == [(True,)]
    assert sql(pg_url, 'SELECT count(*) FROM "__mizzle_progress"') == [(0,)]
    assert project("status", "--db", pg_url).code == 0
    assert project("check", "--db", pg_url).code == 0
