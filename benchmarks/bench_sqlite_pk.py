"""SQLite primary keys: what declaring `integer().primary_key()` as `INT` (not the rowid alias,
mizzle's rendering) costs against `INTEGER` (the rowid alias), on the operations an app does
by id. Issue 15's last question; the decision is written in docs/types.md.

Two tables of the same rows, `id INT NOT NULL, ..., PRIMARY KEY (id)` (mizzle's rendering of
an `integer` primary key: the key lives in a separate `sqlite_autoindex` b-tree) and
`id INTEGER NOT NULL, ..., PRIMARY KEY (id)` (the rowid alias: the key is the table's own
b-tree). Timed in-process through Python's sqlite3, each operation in its own statement, the
two tables interleaved run by run; the median of the runs is shown, with every run, the
ratio (INT / INTEGER) with its min–max over the paired runs, and the load average.

    python benchmarks/bench_sqlite_pk.py [--rows 100000] [--ops 20000] [--runs 5] [--results FILE]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLES = {
    "INT (mizzle's `integer` key)": "INT",
    "INTEGER (the rowid alias)": "INTEGER",
}


def create(conn: sqlite3.Connection, name: str, declared: str, rows: int) -> None:
    conn.execute(
        f"CREATE TABLE {name} (id {declared} NOT NULL, title TEXT, plays INT, CONSTRAINT {name}_pkey PRIMARY KEY (id))"
    )
    conn.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", ((i, f"tune {i}", i % 7) for i in range(1, rows + 1)))
    conn.commit()


def operations(rows: int, ops: int) -> dict[str, Callable[[sqlite3.Connection, str, list[int]], None]]:
    def lookup(conn: sqlite3.Connection, table: str, ids: list[int]) -> None:
        for i in ids:
            conn.execute(f"SELECT title, plays FROM {table} WHERE id = ?", (i,)).fetchone()

    def update(conn: sqlite3.Connection, table: str, ids: list[int]) -> None:
        for i in ids:
            conn.execute(f"UPDATE {table} SET plays = plays + 1 WHERE id = ?", (i,))
        conn.commit()

    def insert_delete(conn: sqlite3.Connection, table: str, ids: list[int]) -> None:
        fresh = range(rows + 1, rows + 1 + len(ids))  # new ids, in order, as an app's would come
        for i in fresh:
            conn.execute(f"INSERT INTO {table} VALUES (?, 'new', 0)", (i,))
        for i in fresh:
            conn.execute(f"DELETE FROM {table} WHERE id = ?", (i,))
        conn.commit()

    return {
        f"{ops} lookups by id": lookup,
        f"{ops} single-row updates by id": update,
        f"{ops} inserts, then deletes by id": insert_delete,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--ops", type=int, default=20_000)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--results", type=Path, default=HERE / "results" / "sqlite_pk.md")
    p.add_argument("--no-results", action="store_true")
    a = p.parse_args()
    if min(a.rows, a.ops, a.runs) < 1:
        p.error("--rows, --ops and --runs must be at least 1")
    lines = [
        "| what | INT key (mizzle) | INTEGER key (rowid alias) | ratio INT / INTEGER (min–max) | load |",
        "|---|---|---|---|---|",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "pk.db")
        conn.execute("PRAGMA journal_mode = WAL")
        names = {}
        for index, (label, declared) in enumerate(TABLES.items()):
            names[label] = f"t{index}"
            create(conn, names[label], declared, a.rows)
        plans = [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT title FROM t0 WHERE id = 1")]
        plans += [r[3] for r in conn.execute("EXPLAIN QUERY PLAN SELECT title FROM t1 WHERE id = 1")]
        rng = random.Random(15)
        for what, op in operations(a.rows, a.ops).items():
            times: dict[str, list[float]] = {label: [] for label in TABLES}
            loads = []
            for _ in range(a.runs):
                ids = [rng.randint(1, a.rows) for _ in range(a.ops)]
                for label in TABLES:
                    start = time.perf_counter()
                    op(conn, names[label], ids)
                    times[label].append(time.perf_counter() - start)
                loads.append(os.getloadavg()[0])
            first, second = (times[label] for label in TABLES)
            ratios = [x / y for x, y in zip(first, second, strict=True)]
            lines.append(
                f"| {what} | {statistics.median(first):.3f} s | {statistics.median(second):.3f} s "
                f"| {statistics.median(first) / statistics.median(second):.2f}× ({min(ratios):.2f}–{max(ratios):.2f}) "
                f"| {min(loads):.1f}–{max(loads):.1f} |"
            )
        conn.close()
    table = "\n".join(lines)
    print(table)
    print("query plans:", "; ".join(plans))
    if not a.no_results:
        a.results.write_text(
            f"# SQLite primary keys: INT against INTEGER (the rowid alias)\n\n"
            f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, SQLite {sqlite3.sqlite_version}, "
            f"Python {sys.version.split()[0]}; {a.rows} rows per table, medians of {a.runs} paired runs "
            f"(load average: the 1-minute figure over the runs of the row).\n\n{table}\n\n"
            f"Query plans of `WHERE id = ?`: {'; '.join(plans)}.\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
