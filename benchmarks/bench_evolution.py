"""The schema-evolution benchmark: `push`, `migrate`, `generate` and a SQLite table rebuild,
each beside its peer: drizzle-kit push, `psql -f`, and the 12 steps written by hand.

    python benchmarks/bench_evolution.py                 # the full run, writes results/evolution.md
    python benchmarks/bench_evolution.py --skip-drizzle  # without drizzle-kit (no Node needed)

Everything is timed end to end as a subprocess: the CLI starting, importing, connecting and
doing the work. Each number is the median of several runs, mizzle's and the peer's
interleaved; every database is created fresh and dropped afterwards. The runner exits
non-zero when something does not work (an error, a push that changed something, databases
that differ after the same migration), never because of a time: times get a verdict against
the issue's targets. See benchmarks/README.md for what each number means.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg
from gen_schema import COLUMNS, MIN_COLUMNS, drizzle_schema_ts, generate_schema, postgresql_ddl
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
    finish,
    fresh_pg_database,
    load_pg,
    machine,
    mizzle_executable,
    results_document,
    run_cli,
    runs_label,
    write_bytecode_as_users_do,
)

from mizzle.core.model import Schema
from mizzle.dialects.urls import redact
from mizzle.sources.dsl.codegen import schema_to_python

DEFAULT_RESULTS = HERE / "results" / "evolution.md"

#: The issues' targets (3, then 15): push with nothing to change under a tenth of drizzle-kit's
#: time; migrate within 1.1× of psql -f; generate of 1000 tables under 1 s; a SQLite rebuild
#: within 1.3× of the hand-written 12 steps.
#: issue 15: push with nothing to change under 0.06 of drizzle-kit 0.31 and 0.1 of drizzle-kit 1.0
PUSH_TARGET_RATIO = 0.06
PUSH_TARGET_RATIO_RC = 0.1
#: drizzle-kit's 1.0 release candidate, in its own folder (it cannot share 0.31's node_modules)
DRIZZLE_RC_DIR = HERE / "drizzle-rc"
MIGRATE_TARGET_RATIO = 1.1
GENERATE_TARGET_S = 1.0
REBUILD_TARGET_RATIO = 1.3
#: issue 15's start-up targets
VERSION_TARGET_RATIO = 3.0
NOOP_MIGRATE_TARGET_S = 0.1

SECTIONS = ("startup", "push", "migrate", "generate", "rebuild")


# --- projects ------------------------------------------------------------------------------


def write_project(root: Path, schema_source: str, dialects: list[str]) -> Path:
    """A mizzle project in `root`: mizzle.toml and schema.py (the database is given with --db)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "schema.py").write_text(schema_source)
    listed = ", ".join(f'"{d}"' for d in dialects)
    (root / "mizzle.toml").write_text(f'schema = "schema.py"\nout = "migrations"\ndialects = [{listed}]\n')
    return root


def mizzle(project: Path, *args: str) -> Timing:
    """`mizzle --config <project>/mizzle.toml ARGS...`, run in the project's folder."""
    return run_cli([str(mizzle_executable()), "--config", str(project / "mizzle.toml"), *args], cwd=project)


def expect_output(what: str, timing: Timing, pattern: str) -> Timing:
    """Fail unless the command said `pattern` (a regular expression): it did the expected work."""
    if not re.search(pattern, timing.output):
        raise BenchmarkFailed(f"{what}: expected {pattern!r} in its output, got: {timing.output.strip()[-400:]}")
    return timing


# --- PostgreSQL: what a database holds -----------------------------------------------------

#: Every column, index and constraint of the public schema, one line each, as one digest:
#: equal digests, equal schemas. mizzle's tracking table is left out.
_FINGERPRINT = """
SELECT count(DISTINCT t) AS tables, md5(string_agg(line, E'\\n' ORDER BY line)) FROM (
  SELECT table_name::text,
         format('%s.%s %s %s %s', table_name, column_name, data_type, is_nullable, column_default)
  FROM information_schema.columns WHERE table_schema = 'public'
  UNION ALL SELECT tablename::text, indexdef FROM pg_indexes WHERE schemaname = 'public'
  UNION ALL SELECT conrelid::regclass::text, conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
) AS held(t, line) WHERE t NOT LIKE '\\_\\_mizzle%'
"""


def pg_fingerprint(url: str) -> tuple[int, str]:
    """(tables, digest of every column, index and constraint) of the database at `url`."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(_FINGERPRINT).fetchone()
    assert row is not None
    return int(row[0]), str(row[1])


def settle(admin_url: str) -> None:
    """Write out what earlier steps left in memory (new databases, the previous run's tables)
    before a timed command, so that the server's background writes do not land in it."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("CHECKPOINT")
    os.sync()


# --- CLI start-up --------------------------------------------------------------------------


def bench_startup(opts: Options, report: Report) -> None:
    """`mizzle --version` beside `python -c pass` (the interpreter alone), and a `migrate` of a
    SQLite database with nothing to apply: what every command pays before its work."""
    version = Row(
        "`mizzle --version` beside `python -c pass`",
        peer_name="python -c pass",
        target=f"< {VERSION_TARGET_RATIO:g}× python -c pass",
        limit=VERSION_TARGET_RATIO,
        limit_is_ratio=True,
    )
    noop = Row(
        "`mizzle migrate`, SQLite, nothing to apply (1 migration applied)",
        target=f"< {NOOP_MIGRATE_TARGET_S:g} s",
        limit=NOOP_MIGRATE_TARGET_S,
    )
    with report.step(version, noop), tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp:
        project = write_project(
            Path(tmp),
            "from mizzle.dsl import Table, serial\n\nclass Tune(Table):\n    id = serial().primary_key()\n",
            ["sqlite"],
        )
        url = f"sqlite:///{project / 'app.db'}"
        expect_output("mizzle generate", mizzle(project, "generate", "--name", "init"), r"wrote")
        expect_output("mizzle migrate", mizzle(project, "migrate", "--db", url), r"applied 0001_init")
        for _ in range(opts.runs):
            report.attempt(
                version,
                lambda: expect_output(
                    "mizzle --version", run_cli([str(mizzle_executable()), "--version"], cwd=project), "mizzle "
                ),
            )
            report.attempt(version, lambda: run_cli([sys.executable, "-c", "pass"], cwd=project), peer=True)
            report.attempt(
                noop, lambda: expect_output("mizzle migrate", mizzle(project, "migrate", "--db", url), "up to date")
            )


# --- push with nothing to change -----------------------------------------------------------


def mizzle_push(project: Path, url: str) -> Timing:
    return expect_output("mizzle push", mizzle(project, "push", "--db", url), r"nothing to push")


def drizzle_push(config: Path, folder: Path = DRIZZLE_DIR) -> Timing:
    """`drizzle-kit push` of the drizzle-kit installed in `folder` (0.31's, or the 1.0 RC's)."""
    bin_cjs = folder / "node_modules" / "drizzle-kit" / "bin.cjs"
    # schema.ts lives outside the folder: NODE_PATH lets it import drizzle-orm from there
    timing = run_cli(
        ["node", str(bin_cjs), "push", "--config", str(config)],
        cwd=folder,
        env={"NODE_PATH": str(folder / "node_modules")},
    )
    return expect_output(f"drizzle-kit push ({folder.name})", timing, r"No changes detected")


def drizzle_rc_version() -> str | None:
    package = DRIZZLE_RC_DIR / "node_modules" / "drizzle-kit" / "package.json"
    return str(json.loads(package.read_text())["version"]) if package.exists() else None


def bench_push(opts: Options, report: Report) -> None:
    n, columns = opts.push_tables, opts.columns
    row = Row(
        f"`mizzle push`, nothing to change, {n} PostgreSQL tables",
        peer_name="skipped" if opts.skip_drizzle else "drizzle-kit 0.31 push",
        target=f"< {PUSH_TARGET_RATIO:g}× drizzle-kit 0.31",
        limit=PUSH_TARGET_RATIO,
        limit_is_ratio=True,
    )
    rc = None if opts.skip_drizzle else drizzle_rc_version()
    rc_row = Row(
        f"`mizzle push`, nothing to change, {n} PostgreSQL tables",
        peer_name=f"drizzle-kit {rc} push" if rc else "skipped (drizzle-rc not installed)",
        target=f"< {PUSH_TARGET_RATIO_RC:g}× drizzle-kit 1.0",
        limit=PUSH_TARGET_RATIO_RC,
        limit_is_ratio=True,
    )
    with (
        report.step(row, *([rc_row] if rc else [])),  # the RC's row where it is installed
        fresh_pg_database(opts.pg_url) as url,
        tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp,
    ):
        load_s = load_pg(url, postgresql_ddl(n, columns))
        report.notes.append(f"loading the {n}-table PostgreSQL DDL to push to (one psycopg execute): {load_s:.2f} s")
        # Both schemas describe the database loaded from hand-written DDL: mizzle's schema.py
        # as `mizzle pull` would write it, drizzle's schema.ts as `drizzle-kit pull` would.
        project = write_project(Path(tmp) / "mizzle", schema_to_python(generate_schema(n, columns)), ["postgresql"])
        drizzle_dir = Path(tmp) / "drizzle"
        drizzle_dir.mkdir()
        schema_ts = drizzle_dir / "schema.ts"
        schema_ts.write_text(drizzle_schema_ts(n, columns))
        config = drizzle_config(drizzle_dir / "push.config.ts", url, drizzle_dir / "out", schema_ts)

        before = pg_fingerprint(url)
        for _ in range(opts.runs):
            report.attempt(row, functools.partial(mizzle_push, project, url))
            if not opts.skip_drizzle:
                report.attempt(row, functools.partial(drizzle_push, config), peer=True)
            if rc:
                report.attempt(rc_row, functools.partial(drizzle_push, config, DRIZZLE_RC_DIR), peer=True)
        # the release candidate's row: mizzle's runs beside its own (interleaved with both)
        rc_row.times, rc_row.cpu_times, rc_row.loads = row.times, row.cpu_times, row.loads + rc_row.loads
        if pg_fingerprint(url) != before:
            raise BenchmarkFailed("push changed the database it found nothing to change in")


# --- migrate: a 200-table initial migration -------------------------------------------------


def bench_migrate(opts: Options, report: Report) -> None:
    n, columns = opts.push_tables, opts.columns
    row = Row(
        f"`mizzle migrate`, {n}-table initial migration, PostgreSQL",
        peer_name="psql -f",
        target=f"< {MIGRATE_TARGET_RATIO:g}× psql -f",
        limit=MIGRATE_TARGET_RATIO,
        limit_is_ratio=True,
    )
    # psql -f commits each statement on its own; mizzle runs a migration in one transaction.
    # Beside the peer, the same script in one transaction (no target: for reading).
    single = Row(f"`mizzle migrate`, {n}-table initial migration, PostgreSQL", peer_name="psql -1 -f")
    with report.step(row, single), tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp:
        project = write_project(Path(tmp), schema_to_python(generate_schema(n, columns)), ["postgresql"])
        expect_output("mizzle generate", mizzle(project, "generate", "--name", "init"), r"wrote migrations/0001_init")
        script = project / "migrations" / "0001_init" / "postgresql.sql"
        check_mentions_tables("mizzle generate", script.read_text(), "CREATE TABLE {name} (", n)

        def mizzle_migrate(url: str) -> Timing:
            return expect_output("mizzle migrate", mizzle(project, "migrate", "--db", url), r"applied 0001_init")

        def psql(url: str, *flags: str) -> Timing:
            args = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", *flags, "-d", url, "-f", str(script)]
            return run_cli(args, cwd=project)

        for i in range(opts.runs):
            with (
                fresh_pg_database(opts.pg_url) as ours,
                fresh_pg_database(opts.pg_url) as theirs,
                fresh_pg_database(opts.pg_url) as theirs_single,
            ):
                # in turn first: a slow moment of the machine hits all three alike
                order: list[tuple[Row, Callable[[], Timing], bool]] = [
                    (row, functools.partial(mizzle_migrate, ours), False),
                    (row, functools.partial(psql, theirs), True),
                    (single, functools.partial(psql, theirs_single, "-1"), True),
                ]
                for target, measure, peer in order[i % 3 :] + order[: i % 3]:
                    settle(opts.pg_url)
                    report.attempt(target, measure, peer=peer)
                if row.error is None:
                    held = pg_fingerprint(ours)
                    for other in (theirs, theirs_single):
                        expected = pg_fingerprint(other)
                        if held[0] != n or held != expected:
                            raise BenchmarkFailed(
                                f"after migrate the database holds {held[0]} tables ({held[1][:8]}), after psql "
                                f"{expected[0]} ({expected[1][:8]}): expected the same {n} tables"
                            )
        single.times, single.cpu_times = row.times, row.cpu_times
        single.loads = row.loads + single.loads


# --- generate: the first migration of a 1000-table schema ----------------------------------


def bench_generate(opts: Options, report: Report) -> None:
    n, columns = opts.generate_tables, opts.generate_columns
    row = Row(
        f"`mizzle generate`, {n} tables, PostgreSQL + SQLite",
        target=f"< {GENERATE_TARGET_S:g} s",
        limit=GENERATE_TARGET_S,
    )
    with report.step(row), tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp:
        source = schema_to_python(generate_schema(n, columns))
        project = write_project(Path(tmp), source, ["postgresql", "sqlite"])
        folder = project / "migrations" / "0001_init"
        edits = iter(range(1_000_000))

        def generate() -> Timing:
            shutil.rmtree(project / "migrations", ignore_errors=True)
            # As right after an edit of the schema: a text not compiled before, so the run
            # compiles it (mizzle's cache of the compiled module holds the last text only).
            (project / "schema.py").write_text(f"{source}\n# edit {next(edits)}\n")
            timing = mizzle(project, "generate", "--name", "init")
            expect_output("mizzle generate", timing, rf"wrote migrations/0001_init: {n} operations")
            for file in ("postgresql.sql", "sqlite.sql"):
                check_mentions_tables(
                    f"mizzle generate ({file})", (folder / file).read_text(), "CREATE TABLE {name} (", n
                )
            return timing

        for _ in range(opts.runs):
            report.attempt(row, generate)


# --- a SQLite table rebuild with 1,000,000 rows --------------------------------------------

#: A table of 6 columns and an index; B changes `qty` from integer to bigint, which SQLite
#: cannot do in place: the planner rebuilds the table.
REBUILD_SCHEMA_A = """\
from mizzle.dsl import Table, index, integer, now, numeric, serial, text, timestamptz


class Item(Table):
    id = serial().primary_key()
    name = text().not_null()
    qty = integer().not_null().default(0)
    price = numeric(10, 2)
    created_at = timestamptz().not_null().default(now())
    note = text()
    __indexes__ = [index("name")]
"""
REBUILD_SCHEMA_B = REBUILD_SCHEMA_A.replace("qty = integer()", "qty = bigint()").replace(
    "from mizzle.dsl import Table,", "from mizzle.dsl import Table, bigint,"
)

#: The same change as a person writes it, following SQLite's "12 steps"
#: (https://www.sqlite.org/lang_altertable.html#otheralter), run with the sqlite3 shell.
HAND_WRITTEN_REBUILD = """\
PRAGMA foreign_keys=OFF;
BEGIN;
CREATE TABLE new_item (
  id INTEGER NOT NULL,
  name TEXT NOT NULL,
  qty BIGINT NOT NULL DEFAULT (0),
  price NUMERIC(10,2),
  created_at TIMESTAMPTZ_TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  note TEXT,
  CONSTRAINT item_pkey PRIMARY KEY (id)
);
INSERT INTO new_item (id, name, qty, price, created_at, note) SELECT id, name, qty, price, created_at, note FROM item;
DROP TABLE item;
ALTER TABLE new_item RENAME TO item;
CREATE INDEX item_name_idx ON item(name);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys=ON;
"""

#: `rows` rows in one statement (a recursive CTE): text, numbers, timestamps and NULLs.
_FILL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
INSERT INTO item (id, name, qty, price, created_at, note)
SELECT i, 'item ' || i, i % 1000, (i % 100000) / 100.0,
       strftime('%Y-%m-%dT%H:%M:%fZ', '2026-01-01', '+' || (i % 100000) || ' minutes'),
       CASE WHEN i % 3 = 0 THEN NULL ELSE 'note ' || (i % 97) END
FROM n
"""

#: What the rows hold: the same before and after a rebuild that keeps them.
_CONTENT = "SELECT count(*), sum(id), sum(qty), sum(price), sum(length(name)), count(note), max(created_at) FROM item"


def sqlite_state(path: Path) -> tuple[tuple[object, ...], Schema, str]:
    """(the rows' summary, the schema mizzle reads back, qty's declared type) of a database."""
    from mizzle.dialects.sqlite.introspect import introspect

    conn = sqlite3.connect(path)
    try:
        content = conn.execute(_CONTENT).fetchone()
        declared = next(str(r[2]) for r in conn.execute("PRAGMA table_info(item)") if r[1] == "qty")
        return tuple(content), introspect(conn).schema, declared
    finally:
        conn.close()


def bench_rebuild(opts: Options, report: Report) -> None:
    rows = opts.rebuild_rows
    row = Row(
        f"`mizzle migrate`, SQLite rebuild of a {rows:,}-row table",
        peer_name="12 steps by hand (sqlite3)",
        target=f"< {REBUILD_TARGET_RATIO:g}× by hand",
        limit=REBUILD_TARGET_RATIO,
        limit_is_ratio=True,
    )
    with report.step(row), tempfile.TemporaryDirectory(prefix="mizzle-bench-") as tmp:
        work = Path(tmp)
        project = write_project(work / "project", REBUILD_SCHEMA_A, ["sqlite"])
        template = work / "filled.db"
        expect_output("mizzle generate", mizzle(project, "generate", "--name", "items"), r"wrote")
        expect_output("mizzle migrate", mizzle(project, "migrate", "--db", f"sqlite:///{template}"), r"applied")
        start = time.perf_counter()
        conn = sqlite3.connect(template)
        try:
            conn.execute(_FILL, (rows,))
            conn.commit()
        finally:
            conn.close()
        report.notes.append(
            f"filling the SQLite table with {rows:,} rows (one recursive CTE): "
            f"{time.perf_counter() - start:.2f} s, {template.stat().st_size / 1e6:.0f} MB"
        )
        before, _, _ = sqlite_state(template)

        (project / "schema.py").write_text(REBUILD_SCHEMA_B)
        expect_output("mizzle generate", mizzle(project, "generate", "--name", "qty_bigint"), r"wrote")
        planned = (project / "migrations" / "0002_qty_bigint" / "sqlite.sql").read_text()
        if "INSERT INTO __mizzle_new_item" not in planned:
            raise BenchmarkFailed("the planner did not rebuild the table: nothing to compare")
        hand_sql = work / "rebuild.sql"
        hand_sql.write_text(HAND_WRITTEN_REBUILD)
        sqlite3_shell = shutil.which("sqlite3")
        if sqlite3_shell is None:
            raise BenchmarkFailed("no sqlite3 shell on PATH: the hand-written SQL runs with it")

        def mizzle_migrate(path: Path) -> Timing:
            timing = mizzle(project, "migrate", "--db", f"sqlite:///{path}")
            return expect_output("mizzle migrate", timing, r"applied 0002_qty_bigint")

        for i in range(opts.runs):
            ours, theirs = work / f"mizzle_{i}.db", work / f"hand_{i}.db"
            shutil.copyfile(template, ours)
            shutil.copyfile(template, theirs)
            os.sync()  # the copies on disk first: their writeback would otherwise land in a timed run
            order: list[tuple[Callable[[], Timing], bool]] = [
                (functools.partial(mizzle_migrate, ours), False),
                (functools.partial(run_cli, [sqlite3_shell, "-bail", str(theirs)], work, stdin=hand_sql), True),
            ]
            for measure, peer in order if i % 2 == 0 else reversed(order):
                report.attempt(row, measure, peer=peer)
            if row.error is None:
                held, expected = sqlite_state(ours), sqlite_state(theirs)
                if held[0] != before or expected[0] != before:
                    raise BenchmarkFailed(
                        f"the rows changed in the rebuild: {before} before, {held[0]} / {expected[0]}"
                    )
                if held[1] != expected[1] or held[2] != "BIGINT":
                    raise BenchmarkFailed(f"mizzle's rebuild and the hand-written one differ (qty: {held[2]})")
            ours.unlink()
            theirs.unlink()


# --- main ----------------------------------------------------------------------------------


@dataclass
class Options:
    push_tables: int
    columns: int
    generate_tables: int
    generate_columns: int
    rebuild_rows: int
    runs: int
    only: tuple[str, ...]
    skip_drizzle: bool
    pg_url: str
    results: Path | None


def parse_args(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--push-tables", type=int, default=200, help="tables of the push and migrate databases (200)")
    p.add_argument("--columns", type=int, default=11, help="columns per table of those (11)")
    p.add_argument("--generate-tables", type=int, default=1000, help="tables of the generated schema (1000)")
    p.add_argument("--generate-columns", type=int, default=12, help="columns per table of that schema (12)")
    p.add_argument("--rebuild-rows", type=int, default=1_000_000, help="rows of the rebuilt SQLite table (1000000)")
    p.add_argument("--runs", type=int, default=3, help="runs of each measurement (3); the median is shown")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated: {', '.join(SECTIONS)} (all)")
    p.add_argument("--skip-drizzle", action="store_true", help="do not run drizzle-kit (no Node needed)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"server to create the databases on ({DEFAULT_PG_URL})")
    p.add_argument(
        "--results", type=Path, default=DEFAULT_RESULTS, help="markdown file to write (results/evolution.md)"
    )
    p.add_argument("--no-results", action="store_true", help="print the table only")
    a = p.parse_args(argv)
    if min(a.push_tables, a.generate_tables, a.rebuild_rows, a.runs) < 1:
        p.error("--push-tables, --generate-tables, --rebuild-rows and --runs must be at least 1")
    for option, value in (("--columns", a.columns), ("--generate-columns", a.generate_columns)):
        if not MIN_COLUMNS <= value <= len(COLUMNS):
            p.error(f"{option} must be between {MIN_COLUMNS} and {len(COLUMNS)}")
    only = tuple(s.strip() for s in a.only.split(",") if s.strip())
    unknown = [s for s in only if s not in SECTIONS]
    if unknown or not only:
        p.error(f"--only takes {', '.join(SECTIONS)}; got {a.only!r}")
    return Options(
        push_tables=a.push_tables,
        columns=a.columns,
        generate_tables=a.generate_tables,
        generate_columns=a.generate_columns,
        rebuild_rows=a.rebuild_rows,
        runs=a.runs,
        only=only,
        skip_drizzle=a.skip_drizzle,
        pg_url=a.pg_url,
        results=None if a.no_results else a.results,
    )


def results_markdown(opts: Options, report: Report, machine_lines: list[str], argv: list[str]) -> str:
    method = (
        f"Each time is the median of {runs_label(opts.runs)}, each command run as a subprocess and timed end"
        " to end (interpreter start, imports, connecting, the work), mizzle's and the peer's interleaved"
        " (alternately first where each run gets fresh databases). `push` and `migrate` use"
        f" {opts.push_tables} tables of {opts.columns} columns, `generate` {opts.generate_tables} tables of"
        f" {opts.generate_columns} columns; every table has a serial primary key, 3 indexes and 1 foreign key"
        " (see `benchmarks/gen_schema.py`). The rebuild is of a 6-column SQLite table with an index and"
        f" {opts.rebuild_rows:,} rows (see `benchmarks/bench_evolution.py` and `benchmarks/README.md`)."
    )
    runs_intro = (
        "Every run, in seconds of wall time (in brackets, the CPU time the command itself used, user +"
        " system; the database server's work is not in it):"
    )
    return results_document(
        "Schema-evolution benchmark results",
        "benchmarks/bench_evolution.py",
        argv,
        machine_lines,
        method,
        runs_intro,
        report,
    )


BENCHMARKS: dict[str, Callable[[Options, Report], None]] = {
    "startup": bench_startup,
    "push": bench_push,
    "migrate": bench_migrate,
    "generate": bench_generate,
    "rebuild": bench_rebuild,
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    report = Report()
    try:
        machine_lines = machine(opts.pg_url, with_drizzle=not opts.skip_drizzle and "push" in opts.only)
    except (psycopg.Error, BenchmarkFailed, OSError, subprocess.CalledProcessError) as err:
        print(f"bench_evolution: cannot start: {redact(str(err))}", file=sys.stderr)
        return 2

    report.notes.append(byte_compile_mizzle())
    report.notes.append(write_bytecode_as_users_do())
    # The machine may be shared: say how busy it was, since the times depend on it.
    for name in SECTIONS:
        if name in opts.only:
            load = os.getloadavg()[0]
            BENCHMARKS[name](opts, report)
            report.notes.append(f"load average (1 min) before {name}: {load:.2f}, after: {os.getloadavg()[0]:.2f}")

    summary = f"medians of {runs_label(opts.runs)}; " + "; ".join(machine_lines)
    return finish(
        "bench_evolution", summary, report, opts.results, lambda: results_markdown(opts, report, machine_lines, argv)
    )


if __name__ == "__main__":
    sys.exit(main())
