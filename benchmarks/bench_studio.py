"""The studio benchmark: a page of a 1,000,000-row table, through the studio's HTTP API.

    python benchmarks/bench_studio.py                    # the full run, writes results/studio.md
    python benchmarks/bench_studio.py --rows 100000 --runs 5 --no-results

A table of N rows (bigint key, text, integer, timestamp text) on SQLite and on PostgreSQL.
mizzle's time: one `POST /api/db/{i}/rows` through the studio's ASGI app in-process
(Starlette's TestClient: token and Host checks, a new connection, the keyset query after a
key 90% of the way in, the rows as JSON), the page of 50 the Data tab shows. The peer: the
same 50 rows read with `LIMIT 50 OFFSET n` straight through the driver on an open connection
(what an OFFSET pager does, with no HTTP, JSON or connection cost). Runs of the two are
interleaved. The target is the issue's: under 100 ms. The runner exits non-zero when the
pages differ from the peer's rows (something does not work), never because of a time.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg
from harness import (
    DEFAULT_PG_URL,
    HERE,
    BenchmarkFailed,
    Report,
    Row,
    finish,
    fresh_pg_database,
    machine,
    results_document,
    runs_label,
)

from mizzle.app.studio.server import create_app
from mizzle.app.studio.workspace import workspace_for
from mizzle.dialects.urls import parse_url

TOKEN = "bench-token"
PAGE = 50


def build_sqlite(path: Path, rows: int) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        "CREATE TABLE event (id INTEGER PRIMARY KEY, title TEXT NOT NULL, score INTEGER, created_at TEXT);"
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "
        "INSERT INTO event SELECT i, 'event ' || i, i % 1000, '2026-01-01T00:00:00.000Z' FROM n;"
    )
    conn.commit()
    conn.close()


def build_pg(url: str, rows: int) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("CREATE TABLE event (id bigint PRIMARY KEY, title text NOT NULL, score integer, created_at text)")
        conn.execute(
            "INSERT INTO event SELECT i, 'event ' || i, i %% 1000, '2026-01-01T00:00:00.000Z' "
            "FROM generate_series(1, %s) AS i",
            (rows,),
        )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE event")


def measure(url_text: str, label: str, rows: int, runs: int, report: Report) -> None:
    from starlette.testclient import TestClient

    url = parse_url(url_text)
    row = Row(
        f"a page of {PAGE} after key {int(rows * 0.9):,} of {rows:,} rows, studio API, {label}",
        peer_name=f"LIMIT {PAGE} OFFSET {int(rows * 0.9):,} via the driver",
        target="< 0.100 s",
        limit=0.1,
    )
    with report.step(row):
        client = TestClient(
            create_app(workspace_for([url], None), TOKEN, ["testserver"]), headers={"X-Mizzle-Token": TOKEN}
        )
        start = int(rows * 0.9)
        body = {"table": "event", "after": [start], "limit": PAGE}
        # the first request introspects the database (once per studio): not what a page costs
        warm = client.post("/api/db/0/rows", json=body)
        if warm.status_code != 200:
            raise BenchmarkFailed(f"the studio refused the page: {warm.text}")
        marker = "?" if url.dialect == "sqlite" else "%s"
        peer_sql = f"SELECT id, title, score, created_at FROM event ORDER BY id LIMIT {PAGE} OFFSET {marker}"
        conn: Any = sqlite3.connect(url.sqlite_path) if url.dialect == "sqlite" else psycopg.connect(url.url)
        try:
            for i in range(runs):
                order = [False, True] if i % 2 == 0 else [True, False]
                for peer in order:
                    began = time.perf_counter()
                    if peer:
                        got: list[Any] = [list(r) for r in conn.execute(peer_sql, (start,)).fetchall()]
                    else:
                        response = client.post("/api/db/0/rows", json=body)
                        got = response.json()["rows"]
                    elapsed = time.perf_counter() - began
                    (row.peer_times if peer else row.times).append(elapsed)
                    if [r[0] for r in got] != list(range(start + 1, start + PAGE + 1)):
                        raise BenchmarkFailed(f"{'the peer' if peer else 'the studio'} returned the wrong rows")
        finally:
            conn.close()
        report.notes.append(f"{label}: the studio's query was `{warm.json()['sql']}`")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--results", type=Path, default=HERE / "results" / "studio.md")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args(argv)
    report = Report()
    with tempfile.TemporaryDirectory() as tmp, fresh_pg_database(args.pg_url) as pg_url:
        path = Path(tmp) / "events.db"
        began = time.perf_counter()
        build_sqlite(path, args.rows)
        build_pg(pg_url, args.rows)
        report.notes.append(f"both tables of {args.rows:,} rows built in {time.perf_counter() - began:.1f} s")
        measure(f"sqlite:///{path}", "SQLite", args.rows, args.runs, report)
        measure(pg_url, "PostgreSQL", args.rows, args.runs, report)
    method = (
        "Each row: the studio's `POST /api/db/0/rows` in-process (Starlette's TestClient), timed with "
        "time.perf_counter, beside the peer (the same rows by OFFSET through the driver on an open "
        "connection), runs interleaved. The median is shown."
    )

    def document() -> str:
        return results_document(
            "Studio: a page of a large table",
            "benchmarks/bench_studio.py",
            argv,
            machine(args.pg_url, with_drizzle=False),
            method,
            f"Every run ({runs_label(args.runs)}), seconds:",
            report,
        )

    return finish(
        "bench_studio",
        "a page of a large table in the studio",
        report,
        None if args.no_results else args.results,
        document,
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
