"""The sync benchmark: what change tracking costs a write, and how fast a delta pull is.

    python benchmarks/bench_sync.py                      # the full run, writes results/sync.md
    python benchmarks/bench_sync.py --updates 10000 --rows 100000 --runs 3 --no-results

- Trigger overhead: N single-row `UPDATE t SET title = ? WHERE id = ?` statements through
  the Python driver (sqlite3, psycopg), each its own statement, on a sync table (triggers,
  sync columns, the index on last_modified_at) and on the same table without sync, per
  database; runs of the two interleaved, alternately first. Twice: each update committed on
  its own (how an app saves a user's edits), and all of them in one transaction (the
  triggers' CPU cost with no commit to hide it: SQLite's AFTER UPDATE trigger must write the
  row a second time, since SQLite triggers cannot change the row being written).
- Delta pull: `mizzle.sync.changes_since` on a 1,000,000-row sync table, from a cursor taken
  before exactly 1,000 of its rows were written again; the time per call, and the query plan
  that shows it reads through the index on sync_seq.

In-process timing (time.perf_counter around the statements or the call): these are library
calls, not commands. The runner exits non-zero when something does not work (triggers that
did not fire, a pull that returns the wrong rows, a plan without the index), never because
of a time: times get a verdict against the issue's targets. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
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
from sync_designs import DESIGNS, VERSION_LEFT

from mizzle.core.model import Schema
from mizzle.core.sync import api as sync_api
from mizzle.core.sync.database import TableInfo
from mizzle.dialects.postgresql import sync_sql as pg_sync_sql
from mizzle.dialects.postgresql.connect import apply as pg_apply
from mizzle.dialects.postgresql.render import render_schema as pg_render
from mizzle.dialects.postgresql.sync_db import PostgresSyncDb
from mizzle.dialects.sqlite import sync_sql as sqlite_sync_sql
from mizzle.dialects.sqlite.connect import apply as sqlite_apply
from mizzle.dialects.sqlite.render import render_schema as sqlite_render
from mizzle.dialects.urls import redact
from mizzle.dsl import Table, boolean, integer, numeric, text
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync import adapter, changes_since, set_device

DEFAULT_RESULTS = HERE / "results" / "sync.md"

#: The issue's targets: an update on a sync table under 1.5× (SQLite) / 2× (PostgreSQL) of
#: the same update without sync; a 1,000-row delta pull from 1,000,000 rows under 50 ms.
SQLITE_TARGET_RATIO = 1.5
PG_TARGET_RATIO = 2.0
PULL_TARGET_S = 0.05

SECTIONS = ("triggers", "pull", "designs", "apply")
#: what a run measures unless --only says otherwise (the designs are asked for by name)
DEFAULT_SECTIONS = ("triggers", "pull")
DIALECTS = ("SQLite", "PostgreSQL")


class Synced(Table):
    id = integer().primary_key()
    title = text().not_null()
    __sync__ = True


class Plain(Table):
    id = integer().primary_key()
    title = text().not_null()


class Big(Table):
    id = integer().primary_key()
    title = text().not_null()
    qty = integer().not_null().default(0)
    price = numeric(10, 2)
    done = boolean().not_null().default(False)
    __sync__ = True


UPDATE_SCHEMA = schema_from_classes([Synced, Plain])
PULL_SCHEMA = schema_from_classes([Big])


@dataclass
class Options:
    updates: int
    rows: int
    changed: int
    runs: int
    calls: int
    only: tuple[str, ...]
    pg_url: str
    results: Path | None
    plans: dict[str, str] = field(default_factory=dict)


# --- the databases ---------------------------------------------------------------------------


class Database:
    """One benchmark database of either kind: create the schema, run a statement, time a
    transaction of many statements."""

    def __init__(self, dialect: str, conn: Any) -> None:
        self.dialect, self.conn = dialect, conn

    @classmethod
    def sqlite(cls, path: Path, schema: Schema) -> Database:
        conn = sqlite3.connect(path, isolation_level=None)  # autocommit: BEGIN/COMMIT are ours
        # what apps on a device use: WAL, and no fsync on every commit
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        sqlite_apply(conn, sqlite_render(schema))
        return cls("SQLite", conn)

    @classmethod
    def postgresql(cls, url: str, schema: Schema) -> Database:
        conn = psycopg.connect(url, autocommit=True)
        pg_apply(conn, pg_render(schema))
        return cls("PostgreSQL", conn)

    def sql(self, text: str) -> str:
        return text.replace("?", "%s") if self.dialect == "PostgreSQL" else text

    def run(self, text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(self.sql(text), params)
        return list(cursor.fetchall()) if cursor.description else []

    def timed_updates(self, table: str, n: int, tag: str, *, each_committed: bool) -> float:
        """n single-row updates of `table`, in seconds: all in one transaction (COMMIT
        included), or `each_committed` in its own (autocommit, as an app saves each edit)."""
        statement = self.sql(f"UPDATE {table} SET title = ? WHERE id = ?")
        cursor = self.conn.cursor()  # one cursor: psycopg prepares the repeated statement
        execute = cursor.execute
        start = time.perf_counter()
        if not each_committed:
            cursor.execute("BEGIN")
        for i in range(1, n + 1):
            execute(statement, (f"{tag}-{i}", i))
        if not each_committed:
            cursor.execute("COMMIT")
        return time.perf_counter() - start

    def tracking_off_transaction(self, statement: str, params: tuple[Any, ...]) -> None:
        """Run one statement in a transaction with change tracking switched off (a bulk load
        that must not be recorded, as the sync API's own writes are not)."""
        switch = pg_sync_sql if self.dialect == "PostgreSQL" else sqlite_sync_sql
        self.run("BEGIN")
        self.run(switch.TRACKING_OFF)
        self.run(statement, params)
        self.run(switch.TRACKING_ON)
        self.run("COMMIT")

    def close(self) -> None:
        self.conn.close()


def open_databases(opts: Options, work: Path, schema: Schema, stack: contextlib.ExitStack) -> list[Database]:
    """A SQLite file and a fresh PostgreSQL database with `schema`, closed (and dropped) with `stack`."""
    sqlite = Database.sqlite(work / "bench.db", schema)
    stack.callback(sqlite.close)
    pg = Database.postgresql(stack.enter_context(fresh_pg_database(opts.pg_url)), schema)
    stack.callback(pg.close)
    return [sqlite, pg]


# --- trigger overhead --------------------------------------------------------------------------


def fill_update_tables(db: Database, n: int) -> None:
    for table in ("synced", "plain"):
        if db.dialect == "PostgreSQL":
            db.run(f"INSERT INTO {table} (id, title) SELECT g, 'new' FROM generate_series(1, ?) AS g", (n,))
        else:
            db.run(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                f"INSERT INTO {table} (id, title) SELECT i, 'new' FROM n",
                (n,),
            )
    # A client writes as its device: the update trigger then reads the device too.
    set_device(db.conn, "bench-device")


def settle(db: Database) -> None:
    """Between timed runs: PostgreSQL's dead row versions vacuumed and written out, so that
    run k does not pay for run k-1's garbage; SQLite needs nothing (it updates in place)."""
    if db.dialect == "PostgreSQL":
        db.run("VACUUM (ANALYZE) synced")
        db.run("VACUUM (ANALYZE) plain")
        db.run("CHECKPOINT")


def check_tracked(db: Database, runs: int, n: int) -> None:
    """Every update of the sync table bumped its row's version once, the others none."""
    [(low, high, count)] = db.run("SELECT min(sync_version), max(sync_version), count(*) FROM synced")
    if (low, high, count) != (runs + 1, runs + 1, n):
        raise BenchmarkFailed(
            f"{db.dialect}: after {runs} rounds of updates the sync table's versions are {low}..{high} "
            f"over {count} rows, expected {runs + 1} on all {n}: the triggers did not fire as they should"
        )


def bench_triggers(opts: Options, report: Report) -> None:
    """The two ways an app writes: each edit committed on its own (what a user's edits are),
    and many updates in one transaction (the triggers' CPU cost with nothing to hide it)."""
    for each_committed in (True, False):
        _bench_triggers(opts, report, each_committed=each_committed)


def _bench_triggers(opts: Options, report: Report, *, each_committed: bool) -> None:
    n = opts.updates
    how = "each committed (autocommit)" if each_committed else "in one transaction"
    rows = {
        dialect: Row(
            f"{n:,} single-row UPDATEs {how}, sync table, {dialect}",
            peer_name="same table without sync",
            target=f"< {limit:g}× without sync",
            limit=limit,
            limit_is_ratio=True,
        )
        for dialect, limit in zip(DIALECTS, (SQLITE_TARGET_RATIO, PG_TARGET_RATIO), strict=True)
    }
    with (
        report.step(*rows.values()),
        tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        for db in open_databases(opts, Path(tmp), UPDATE_SCHEMA, stack):
            row = rows[db.dialect]
            fill_update_tables(db, n)
            for i in range(opts.runs):
                # in turn first: a slow moment of the machine hits both alike
                order = [("synced", False), ("plain", True)]
                for table, peer in order if i % 2 == 0 else reversed(order):
                    settle(db)
                    elapsed = db.timed_updates(table, n, f"run{i}", each_committed=each_committed)
                    (row.peer_times if peer else row.times).append(elapsed)
            check_tracked(db, opts.runs, n)
    if "SQLite" in rows and rows["SQLite"].times and not each_committed:
        report.notes.append(
            "SQLite: a file database in WAL mode with synchronous=NORMAL (what apps on a device use: a commit "
            "appends to the log without an fsync); PostgreSQL: the system server over TCP on 127.0.0.1, one "
            "prepared statement, its default synchronous_commit=on"
        )


# --- delta pull ----------------------------------------------------------------------------------

_BASE = "2026-01-01T00:00:00Z"


def cursor_for(opts: Options) -> str:
    """The time after which exactly `changed` rows were written: row i is at base + i seconds."""
    from datetime import datetime, timedelta

    moment = datetime.fromisoformat(_BASE) + timedelta(seconds=opts.rows - opts.changed)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def fill_big(db: Database, rows: int) -> float:
    """`rows` rows, row i modified at base + i seconds, loaded with tracking off; seconds taken."""
    start = time.perf_counter()
    if db.dialect == "PostgreSQL":
        db.tracking_off_transaction(
            "INSERT INTO big (id, title, qty, price, done, last_modified_at) "
            "SELECT g, 'row ' || g, mod(g, 1000), mod(g, 100000) / 100.0, mod(g, 2) = 0, "
            "timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second' FROM generate_series(1, ?) AS g",
            (rows,),
        )
        db.run("VACUUM (ANALYZE) big")
    else:
        db.tracking_off_transaction(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
            "INSERT INTO big (id, title, qty, price, done, last_modified_at) "
            "SELECT i, 'row ' || i, i % 1000, (i % 100000) / 100.0, i % 2 = 0, "
            "strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || i || ' seconds') FROM n",
            (rows,),
        )
        db.run("ANALYZE")
    return time.perf_counter() - start


def seq_cursor(db: Database, changed: int) -> str:
    """The pull cursor now, then the last `changed` rows written again after it (their own
    transaction): the rows a pull from that cursor must bring."""
    cursor = changes_since(db.conn, "big", 2**31 - 1).cursor  # no row has that version: the cursor only
    assert cursor is not None
    db.run(f"UPDATE big SET title = title || '!' WHERE id > (SELECT max(id) FROM big) - {changed}")
    db.run("ANALYZE big" if db.dialect == "PostgreSQL" else "ANALYZE")
    return cursor


def query_plan(db: Database, cursor: str) -> str:
    from mizzle.core.sync.database import Since

    sync_db = adapter(db.conn)
    seq = int(cursor.partition(":")[2])
    if db.dialect == "PostgreSQL":  # the rows' own number: a busy server's cursor may be further back
        seq = int(db.conn.execute("SELECT max(sync_seq) FROM big").fetchone()[0])  # type: ignore[index]
    query, _ = sync_db.rows_query(sync_db.table_info("big"), Since(seq=seq))  # type: ignore[attr-defined]
    if db.dialect == "PostgreSQL":
        lines = db.conn.execute("EXPLAIN " + query, (seq,)).fetchall()
        plan = "\n".join(str(line[0]) for line in lines)
    else:
        plan = "\n".join(str(line[3]) for line in db.run("EXPLAIN QUERY PLAN " + query, (seq,)))
    if "big_sync_seq_idx" not in plan or "Seq Scan" in plan or "SCAN big" in plan:
        raise BenchmarkFailed(f"{db.dialect}: the changes query does not read through the index:\n{plan}")
    return f"{query}\n\n{plan}"


def bench_pull(opts: Options, report: Report) -> None:
    rows = {
        dialect: Row(
            f"changes_since, {opts.changed:,} of {opts.rows:,} rows changed, {dialect}",
            target=f"< {PULL_TARGET_S * 1000:g} ms",
            limit=PULL_TARGET_S,
        )
        for dialect in DIALECTS
    }
    expected = set(range(opts.rows - opts.changed + 1, opts.rows + 1))
    with (
        report.step(*rows.values()),
        tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        for db in open_databases(opts, Path(tmp), PULL_SCHEMA, stack):
            load_s = fill_big(db, opts.rows)
            report.notes.append(f"{db.dialect}: loading {opts.rows:,} rows with tracking off: {load_s:.2f} s")
            cursor = seq_cursor(db, opts.changed)
            opts.plans[db.dialect] = query_plan(db, cursor)
            row = rows[db.dialect]
            for _ in range(opts.calls):
                start = time.perf_counter()
                changes = changes_since(db.conn, "big", cursor)
                row.times.append(time.perf_counter() - start)
                got = {r["id"] for r in changes.rows}
                # PostgreSQL may send more again while a write is open anywhere on the server
                if not expected <= got or (db.dialect == "SQLite" and got != expected) or changes.deletes:
                    raise BenchmarkFailed(
                        f"{db.dialect}: changes_since returned {len(got)} rows, not the last {opts.changed}"
                    )


# --- tracking designs (SQLite) ------------------------------------------------------------------


def bench_designs(opts: Options, report: Report) -> None:
    """What each part of SQLite's tracking costs an update: mizzle's sync table with one
    thing changed per design (`sync_designs.py`), each against the same table without sync
    in the same file, both ways of committing, runs interleaved."""
    n = opts.updates
    for each_committed in (True, False):
        how = "each committed" if each_committed else "in one transaction"
        rows = {
            name: Row(
                f"{n:,} UPDATEs {how}, SQLite, design {name}: {what}",
                peer_name="same table without sync",
                target=f"< {SQLITE_TARGET_RATIO:g}× without sync",
                limit=SQLITE_TARGET_RATIO,
                limit_is_ratio=True,
            )
            for name, (what, _) in DESIGNS.items()
        }
        with report.step(*rows.values()), tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp:
            dbs = {}
            try:
                for name, (_, statements) in DESIGNS.items():
                    db = dbs[name] = Database.sqlite(Path(tmp) / f"{name}.db", UPDATE_SCHEMA)
                    for statement in statements:
                        db.run(statement)
                    fill_update_tables(db, n)
                for i in range(opts.runs):
                    names = list(DESIGNS) if i % 2 == 0 else list(reversed(DESIGNS))
                    for name in names:
                        order = [("synced", False), ("plain", True)]
                        for table, peer in order if i % 2 == 0 else reversed(order):
                            elapsed = dbs[name].timed_updates(table, n, f"run{i}", each_committed=each_committed)
                            (rows[name].peer_times if peer else rows[name].times).append(elapsed)
                for name, db in dbs.items():
                    check_tracked(db, 0 if name in VERSION_LEFT else opts.runs, n)
            finally:
                for db in dbs.values():
                    db.close()


# --- applying a push's updates (PostgreSQL) ------------------------------------------------------


class _RowByRow(PostgresSyncDb):
    """The adapter as it was before updates were written together: one UPDATE per row."""

    def update_many(
        self, info: TableInfo, rows: Sequence[tuple[tuple[Any, ...], Mapping[str, Any]]], *, stamp_now: bool
    ) -> None:
        for pk, values in rows:
            self.update(info, pk, values, stamp_now=stamp_now)


def bench_apply(opts: Options, report: Report) -> None:
    """What the sync server does with a push of edits: `apply_remote(..., relay=True)` of
    `--updates` rows each newer than the server's, in one transaction; beside the same call
    through an adapter that writes one UPDATE per row (how it was before)."""
    n = opts.updates
    row = Row(
        f"apply_remote of {n:,} newer rows (updates, relay), PostgreSQL",
        peer_name="the same, one UPDATE per row",
    )
    with report.step(row), contextlib.ExitStack() as stack:
        conn = psycopg.connect(stack.enter_context(fresh_pg_database(opts.pg_url)), autocommit=True)
        stack.callback(conn.close)
        pg_apply(conn, pg_render(UPDATE_SCHEMA))
        fill_update_tables(Database("PostgreSQL", conn), n)
        version = 1
        for i in range(opts.runs):
            order = [(PostgresSyncDb(conn), False), (_RowByRow(conn), True)]
            for db, peer in order if i % 2 == 0 else reversed(order):
                version += 1
                rows = [{"id": k, "title": f"v{version}-{k}", "sync_version": version} for k in range(1, n + 1)]
                conn.execute("VACUUM (ANALYZE) synced")
                start = time.perf_counter()
                got = sync_api.apply_remote(db, "synced", rows, relay=True)
                (row.peer_times if peer else row.times).append(time.perf_counter() - start)
                if got.applied != n or got.conflicts or got.rejected:
                    raise BenchmarkFailed(f"apply_remote applied {got.applied} of {n} rows")
        [(low, high)] = conn.execute("SELECT min(sync_version), max(sync_version) FROM synced").fetchall()
        if (low, high) != (version, version):
            raise BenchmarkFailed(f"after the runs the versions are {low}..{high}, not {version}")


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--updates", type=int, default=100_000, help="single-row updates per run and table (100000)")
    p.add_argument("--rows", type=int, default=1_000_000, help="rows of the table changes_since reads (1000000)")
    p.add_argument("--changed", type=int, default=1000, help="rows newer than the cursor (1000)")
    p.add_argument("--runs", type=int, default=5, help="runs of each update measurement (5); the median is shown")
    p.add_argument("--calls", type=int, default=21, help="changes_since calls per database (21); the median is shown")
    p.add_argument(
        "--only",
        default=",".join(DEFAULT_SECTIONS),
        help=f"comma-separated: {', '.join(SECTIONS)} ({','.join(DEFAULT_SECTIONS)})",
    )
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"server to create the databases on ({DEFAULT_PG_URL})")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="markdown file to write (results/sync.md)")
    p.add_argument("--no-results", action="store_true", help="print the table only")
    a = p.parse_args(argv)
    if min(a.updates, a.rows, a.changed, a.runs, a.calls) < 1:
        p.error("--updates, --rows, --changed, --runs and --calls must be at least 1")
    if a.changed > a.rows:
        p.error("--changed must not be more than --rows")
    only = tuple(s.strip() for s in a.only.split(",") if s.strip())
    if not only or any(s not in SECTIONS for s in only):
        p.error(f"--only takes {', '.join(SECTIONS)}; got {a.only!r}")
    return Options(
        updates=a.updates,
        rows=a.rows,
        changed=a.changed,
        runs=a.runs,
        calls=a.calls,
        only=only,
        pg_url=a.pg_url,
        results=None if a.no_results else a.results,
    )


def results_markdown(opts: Options, report: Report, machine_lines: list[str], argv: list[str]) -> str:
    method = (
        "Timed in-process with `time.perf_counter`. Update rows: the median of"
        f" {runs_label(opts.runs)} of {opts.updates:,} single-row `UPDATE t SET title = ? WHERE id = ?`"
        " statements, each executed on its own through the driver (sqlite3; psycopg 3, which prepares the"
        " repeated statement), either each committed on its own (autocommit) or all in one transaction,"
        " COMMIT included, on a table `(id integer primary key,"
        " title text)` with sync (its 3 triggers, 4 sync columns, the index on sync_seq, on SQLite the sequence"
        " table; a device set)"
        " and the same table without; the two interleaved, alternately first, PostgreSQL's tables vacuumed"
        f" between runs. Pull rows: the median of {opts.calls} calls of `mizzle.sync.changes_since(conn,"
        f' "big", cursor)` on a {opts.rows:,}-row sync table of 5 columns, row i last modified at'
        f" 2026-01-01 + i seconds, the cursor placed so that exactly {opts.changed:,} rows are newer; each"
        " call reads the catalog, the rows and the tombstones and converts the rows to the wire form."
    )
    runs_intro = "Every run, in seconds (updates: the whole transaction; pulls: one call):"
    document = results_document(
        "Sync benchmark results", "benchmarks/bench_sync.py", argv, machine_lines, method, runs_intro, report
    )
    if opts.plans:
        plans = [f"{dialect}:\n\n```\n{plan}\n```" for dialect, plan in opts.plans.items()]
        document += "\nThe changes query and its plan at that cursor (EXPLAIN / EXPLAIN QUERY PLAN):\n\n"
        document += "\n\n".join(plans) + "\n"
    return document


BENCHMARKS: dict[str, Callable[[Options, Report], None]] = {
    "triggers": bench_triggers,
    "pull": bench_pull,
    "designs": bench_designs,
    "apply": bench_apply,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    report = Report()
    try:
        machine_lines = machine(opts.pg_url, with_drizzle=False)
    except (psycopg.Error, BenchmarkFailed, OSError, subprocess.CalledProcessError) as err:
        print(f"bench_sync: cannot start: {redact(str(err))}", file=sys.stderr)
        return 2
    for name in SECTIONS:
        if name in opts.only:
            load = os.getloadavg()[0]
            BENCHMARKS[name](opts, report)
            report.notes.append(f"load average (1 min) before {name}: {load:.2f}, after: {os.getloadavg()[0]:.2f}")
    summary = f"medians of {runs_label(opts.runs)} (updates) and {opts.calls} calls (pulls); " + "; ".join(
        machine_lines
    )
    return finish(
        "bench_sync", summary, report, opts.results, lambda: results_markdown(opts, report, machine_lines, argv)
    )


if __name__ == "__main__":
    sys.exit(main())
