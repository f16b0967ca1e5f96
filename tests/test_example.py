"""The Quickstart's first command runs the bundled example: it must pass, on a real server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import REPO
from tests.pg import server_url


@pytest.mark.postgres
def test_the_example_migrates_both_databases_keeping_rows_without_drift() -> None:
    env = {**os.environ, "DATABASE_URL": server_url()}
    run = subprocess.run(
        [sys.executable, str(REPO / "examples" / "practice_tracker" / "run.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "both databases: rows kept, schema identical, no drift, synced" in run.stdout
    assert "1 conflict reported, the server's row kept" in run.stdout
    # It says which database it used (and dropped), not the one DATABASE_URL names to connect.
    assert (
        "postgresql: database mizzle_practice_tracker (dropped and recreated) on the server of DATABASE_URL, "
        in run.stdout
    )
