"""The schema-core benchmark runner works end to end at a tiny scale (correctness only: the
times it prints are never asserted). drizzle-kit is left out: CI need not have Node."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.pg import server_url

RUNNER = REPO / "benchmarks" / "bench_schema_core.py"


def run_benchmark(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(RUNNER), *args], capture_output=True, text=True, check=False, timeout=600
    )


@pytest.mark.postgres
def test_runner_measures_every_row_and_writes_the_results(tmp_path: Path) -> None:
    results = tmp_path / "schema_core.md"
    args = ["--tables", "5", "--pull-tables", "4", "--runs", "2", "--pull-runs", "1", "--skip-drizzle"]
    proc = run_benchmark(*args, "--pg-url", server_url(), "--results", str(results))
    assert proc.returncode == 0, proc.stderr
    text = results.read_text()
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| what")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| render PostgreSQL DDL, 5 tables",
        "| render SQLite DDL, 5 tables",
        "| introspect PostgreSQL, 5 tables",
        "| introspect SQLite, 5 tables",
        "| `mizzle pull --out schema.py`, 4 PostgreSQL tables",
        "| `mizzle pull --out schema.sql`, 4 PostgreSQL tables",
    ]
    # Verdicts, not times: whether the 1 s target is met depends on the machine, never asserted.
    verdicts = [row.rstrip(" |").rsplit(" | ", 1)[1] for row in rows]
    assert [v if v not in ("met", "MISSED") else "met or MISSED" for v in verdicts] == [
        "no target",
        "no target",
        "met or MISSED",
        "no target",
        "no peer measured",
        "no peer measured",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--pg-url", "postgresql://postgres@127.0.0.1:1/postgres"], "cannot start"),
        (["--columns", "3"], "--columns must be between"),
        (["--runs", "0"], "must be at least 1"),
    ],
)
def test_runner_fails_loudly_on_what_it_cannot_do(args: list[str], message: str) -> None:
    proc = run_benchmark("--skip-drizzle", "--no-results", *args)
    assert proc.returncode != 0
    assert message in proc.stderr
