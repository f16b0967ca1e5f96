"""The schema-core benchmark: render, introspect and `pull` on generated schemas, beside
drizzle-kit's `pull` on the same PostgreSQL database.

    python benchmarks/bench_schema_core.py                 # the full run, writes results/schema_core.md
    python benchmarks/bench_schema_core.py --skip-drizzle  # without the peer (no Node needed)

Every number is the median of several runs (the machine has few cores, so single runs are
noisy). Each database is created fresh for its benchmark and dropped afterwards. The runner
exits non-zero when something does not work (an error, a wrong introspection, a pull whose
output lacks a table), never because of a time: times get a verdict against their target.
See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from gen_schema import COLUMNS, MIN_COLUMNS, generate_schema, postgresql_ddl
from harness import (
    DEFAULT_PG_URL,
    DRIZZLE_DIR,
    HERE,
    BenchmarkFailed,
    Report,
    Row,
    Timing,
    byte_compile_mizzle,
    check_mentions_tables,
    drizzle_config,
    drizzle_kit,
    finish,
    fresh_pg_database,
    load_pg,
    load_sqlite,
    machine,
    mizzle_executable,
    results_document,
    run_cli,
    runs_label,
    write_bytecode_as_users_do,
)

from mizzle.core.model import Schema
from mizzle.dialects import get_dialect
from mizzle.dialects.ddl_trees import forget_printed
from mizzle.dialects.urls import parse_url, redact

DEFAULT_RESULTS = HERE / "results" / "schema_core.md"

#: Targets of the issue: introspecting 1000 PostgreSQL tables under a second; `mizzle pull`
#: under a tenth of drizzle-kit's time on the same database.
INTROSPECT_PG_TARGET_S = 1.0
PULL_TARGET_RATIO = 0.1


# --- checks --------------------------------------------------------------------------------


def check_same_schema(what: str, got: Schema, expected: Schema) -> None:
    """Fail naming the first table that differs between what was read and what was loaded."""
    if got == expected:
        return
    got_names = [t.name for t in got.tables]
    expected_names = [t.name for t in expected.tables]
    if got_names != expected_names:
        missing = sorted(set(expected_names) - set(got_names))[:3]
        extra = sorted(set(got_names) - set(expected_names))[:3]
        raise BenchmarkFailed(
            f"{what}: read {len(got_names)} tables, expected {len(expected_names)} (missing {missing}, extra {extra})"
        )
    for g, e in zip(got.tables, expected.tables, strict=True):
        if g != e:
            detail = _first_difference(g.model_dump(mode="json"), e.model_dump(mode="json"))
            raise BenchmarkFailed(f"{what}: table {g.name} differs from the loaded schema: {detail}")
    raise BenchmarkFailed(f"{what}: the schema read back differs from the loaded one (enums or views)")


def _first_difference(got: object, expected: object, path: str = "") -> str:
    if isinstance(got, dict) and isinstance(expected, dict):
        for key in sorted(set(got) | set(expected)):
            if got.get(key) != expected.get(key):
                return _first_difference(got.get(key), expected.get(key), f"{path}.{key}")
    if isinstance(got, list) and isinstance(expected, list) and len(got) == len(expected):
        for i, (g, e) in enumerate(zip(got, expected, strict=True)):
            if g != e:
                return _first_difference(g, e, f"{path}[{i}]")
    return f"{path.lstrip('.')}: read {json.dumps(got)}, expected {json.dumps(expected)}"


def count_create_tables(statements: list[str]) -> int:
    return sum(1 for s in statements if re.match(r"\s*CREATE TABLE", s, re.IGNORECASE))


# --- the benchmarks ------------------------------------------------------------------------


@dataclass
class Options:
    tables: int
    columns: int
    pull_tables: int
    pull_columns: int
    runs: int
    pull_runs: int
    skip_drizzle: bool
    pg_url: str
    results: Path | None


def bench_render(opts: Options, report: Report) -> None:
    for name, module in (("PostgreSQL", "postgresql"), ("SQLite", "sqlite")):
        row = Row(f"render {name} DDL, {opts.tables} tables")
        with report.step(row):
            render = importlib.import_module(f"mizzle.dialects.{module}.render").render_schema
            for _ in range(opts.runs):
                # a new model each run, and the renderers' memos of printed text emptied, so
                # nothing cached carries over from the previous run
                schema = generate_schema(opts.tables, opts.columns)
                forget_printed()
                start = time.perf_counter()
                statements: list[str] = render(schema)
                elapsed = time.perf_counter() - start
                if count_create_tables(statements) != opts.tables:
                    raise BenchmarkFailed(
                        f"render {name}: {count_create_tables(statements)} CREATE TABLE for {opts.tables} tables"
                    )
                row.times.append(elapsed)


def bench_introspect_postgresql(opts: Options, report: Report) -> None:
    row = Row(
        f"introspect PostgreSQL, {opts.tables} tables",
        target=f"< {INTROSPECT_PG_TARGET_S:g} s",
        limit=INTROSPECT_PG_TARGET_S,
    )
    with report.step(row), fresh_pg_database(opts.pg_url) as url:
        from mizzle.dialects.postgresql.connect import connect
        from mizzle.dialects.postgresql.introspect import introspect

        load_s = load_pg(url, postgresql_ddl(opts.tables, opts.columns))
        report.notes.append(
            f"loading the {opts.tables}-table PostgreSQL DDL to introspect (one psycopg execute): {load_s:.2f} s"
        )
        expected = generate_schema(opts.tables, opts.columns)
        for _ in range(opts.runs):
            # a new connection each run, as a CLI call has: PostgreSQL's catalog caches are per connection
            conn = connect(parse_url(url))
            try:
                start = time.perf_counter()
                result = introspect(conn)
                elapsed = time.perf_counter() - start
            finally:
                conn.close()
            check_same_schema("introspect PostgreSQL", result.schema, expected)
            row.times.append(elapsed)


def bench_introspect_sqlite(opts: Options, report: Report) -> None:
    row = Row(f"introspect SQLite, {opts.tables} tables")
    with report.step(row), tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp:
        from mizzle.dialects.sqlite.introspect import introspect
        from mizzle.dialects.sqlite.render import render_schema

        path = Path(tmp) / "bench.db"
        schema = generate_schema(opts.tables, opts.columns)
        load_sqlite(path, render_schema(schema))
        expected, _ = get_dialect("sqlite").project(schema)
        for _ in range(opts.runs):
            conn = sqlite3.connect(path)
            try:
                start = time.perf_counter()
                result = introspect(conn)
                elapsed = time.perf_counter() - start
            finally:
                conn.close()
            check_same_schema("introspect SQLite", result.schema, expected)
            row.times.append(elapsed)


def drizzle_pull(url: str, work: Path, tables: int) -> Timing:
    """`drizzle-kit pull` into a new folder of `work`; checks its schema.ts declares every table."""
    bin_cjs, _ = drizzle_kit()
    out = Path(tempfile.mkdtemp(prefix="drizzle-", dir=work))
    config = drizzle_config(out.with_suffix(".config.ts"), url, out)
    timing = run_cli(["node", str(bin_cjs), "pull", "--config", str(config)], cwd=DRIZZLE_DIR)
    schema_ts = out / "schema.ts"
    if not schema_ts.exists():
        raise BenchmarkFailed(f"drizzle-kit pull wrote no {schema_ts}")
    check_mentions_tables("drizzle-kit pull", schema_ts.read_text(), 'pgTable("{name}"', tables)
    return timing


def mizzle_pull(url: str, work: Path, suffix: str, tables: int) -> Timing:
    """`mizzle pull --db URL --out schema<suffix>` as a subprocess; checks the file names every table."""
    out = Path(tempfile.mkdtemp(prefix="mizzle-", dir=work)) / f"schema{suffix}"
    timing = run_cli([str(mizzle_executable()), "pull", "--db", url, "--out", str(out)], cwd=out.parent)
    if not out.exists():
        raise BenchmarkFailed(f"mizzle pull wrote no {out}")
    text = out.read_text()
    if suffix == ".sql":
        check_mentions_tables("mizzle pull --out schema.sql", text, "CREATE TABLE {name} ", tables)
    else:
        check_mentions_tables("mizzle pull --out schema.py", text, '"{name}"', tables)
    return timing


def bench_pull(opts: Options, report: Report) -> None:
    n = opts.pull_tables
    rows = {
        suffix: Row(
            f"`mizzle pull --out schema{suffix}`, {n} PostgreSQL tables",
            peer_name="skipped" if opts.skip_drizzle else "drizzle-kit pull",
            target=f"< {PULL_TARGET_RATIO:g}× drizzle-kit",
            limit=PULL_TARGET_RATIO,
            limit_is_ratio=True,
        )
        for suffix in (".py", ".sql")
    }
    # not a row of the table: its times are the peer's of both mizzle rows
    drizzle = Row(f"drizzle-kit pull, {n} PostgreSQL tables")
    with (
        report.step(*rows.values()),
        fresh_pg_database(opts.pg_url) as url,
        tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp,
    ):
        load_s = load_pg(url, postgresql_ddl(n, opts.pull_columns))
        report.notes.append(f"loading the {n}-table PostgreSQL DDL to pull (one psycopg execute): {load_s:.2f} s")
        work = Path(tmp)
        # Interleaved, so that a slow moment of the machine hits all three alike.
        for _ in range(opts.pull_runs):
            for suffix, row in rows.items():
                report.attempt(row, functools.partial(mizzle_pull, url, work, suffix, n))
            if not opts.skip_drizzle:
                report.attempt(drizzle, functools.partial(drizzle_pull, url, work, n))
    for row in rows.values():
        row.peer_times = drizzle.times
        row.peer_cpu_times = drizzle.cpu_times
        if drizzle.error:
            row.peer_name = "drizzle-kit pull: FAILED"


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--tables", type=int, default=1000, help="tables of the render/introspect schema (1000)")
    p.add_argument("--columns", type=int, default=12, help="columns per table of that schema (12)")
    p.add_argument("--pull-tables", type=int, default=200, help="tables of the pull database (200)")
    p.add_argument("--pull-columns", type=int, default=11, help="columns per table of the pull database (11)")
    p.add_argument("--runs", type=int, default=5, help="runs of each in-process measurement (5); the median is shown")
    p.add_argument("--pull-runs", type=int, default=3, help="runs of each pull, mizzle's and drizzle-kit's (3)")
    p.add_argument("--skip-drizzle", action="store_true", help="do not run drizzle-kit (no Node needed)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"server to create the databases on ({DEFAULT_PG_URL})")
    p.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, help="markdown file to write (results/schema_core.md)"
    )
    p.add_argument("--no-results", action="store_true", help="print the table only")
    a = p.parse_args(argv)
    if min(a.tables, a.pull_tables, a.runs, a.pull_runs) < 1:
        p.error("--tables, --pull-tables, --runs and --pull-runs must be at least 1")
    for option, value in (("--columns", a.columns), ("--pull-columns", a.pull_columns)):
        if not MIN_COLUMNS <= value <= len(COLUMNS):
            p.error(f"{option} must be between {MIN_COLUMNS} and {len(COLUMNS)}")
    return Options(
        tables=a.tables,
        columns=a.columns,
        pull_tables=a.pull_tables,
        pull_columns=a.pull_columns,
        runs=a.runs,
        pull_runs=a.pull_runs,
        skip_drizzle=a.skip_drizzle,
        pg_url=a.pg_url,
        results=None if a.no_results else a.results,
    )


def results_markdown(opts: Options, report: Report, machine_lines: list[str], argv: list[str]) -> str:
    method = (
        f"Each time is the median of {runs_label(opts.runs)} for render and introspect (in-process; a new"
        f" connection per run), and of {runs_label(opts.pull_runs)} for `pull` (the CLI as a subprocess, end to"
        " end; mizzle's and drizzle-kit's interleaved on the same database). Render and introspect use"
        f" {opts.tables} tables of {opts.columns} columns, `pull` {opts.pull_tables} tables of"
        f" {opts.pull_columns} columns; every table has a serial primary key, 3 indexes and 1 foreign key"
        " (see `benchmarks/gen_schema.py` and `benchmarks/README.md`)."
    )
    runs_intro = (
        "Every run, in seconds of wall time (for the subprocesses, in brackets, the CPU time the client"
        " process itself used, user + system; the database server's work is not in it):"
    )
    return results_document(
        "Schema-core benchmark results",
        "benchmarks/bench_schema_core.py",
        argv,
        machine_lines,
        method,
        runs_intro,
        report,
    )


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    report = Report()
    try:
        machine_lines = machine(opts.pg_url, with_drizzle=not opts.skip_drizzle)
    except (psycopg.Error, BenchmarkFailed, OSError, subprocess.CalledProcessError) as err:
        print(f"bench_schema_core: cannot start: {redact(str(err))}", file=sys.stderr)
        return 2

    report.notes.append(byte_compile_mizzle())
    report.notes.append(write_bytecode_as_users_do())
    # The machine may be shared: say how busy it was, since the times depend on it.
    load_before = os.getloadavg()[0]
    bench_render(opts, report)
    bench_introspect_postgresql(opts, report)
    bench_introspect_sqlite(opts, report)
    bench_pull(opts, report)
    report.notes.append(f"load average (1 min) at the start: {load_before:.2f}, at the end: {os.getloadavg()[0]:.2f}")

    summary = f"medians of {runs_label(opts.runs)} in-process, {runs_label(opts.pull_runs)} of each pull; " + "; ".join(
        machine_lines
    )
    return finish(
        "bench_schema_core", summary, report, opts.results, lambda: results_markdown(opts, report, machine_lines, argv)
    )


if __name__ == "__main__":
    sys.exit(main())
