"""The pull benchmark: `mizzle pull` of the corpus's largest real schemas beside drizzle-kit's
`pull`, 0.31 and the 1.0 release candidate, on the same databases.

    python benchmarks/bench_pull.py                 # the full run, writes results/pull.md
    python benchmarks/bench_pull.py --skip-drizzle  # without the peers (no Node needed)

The databases: Danbooru's PostgreSQL schema (66 tables, 456 indexes: the most objects of the
corpus), Synapse's PostgreSQL schema (138 tables, the most tables) and Synapse's SQLite schema
(146 tables), loaded from /work/shared/corpus (`--corpus DIR`, or MIZZLE_CORPUS). Every time is
the median of several runs of the command as a subprocess, end to end, mizzle's and the peers'
interleaved. A peer that fails on a database is reported (its message in the notes); mizzle
failing, or writing a file that lacks a table, fails the run. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from harness import (
    DEFAULT_PG_URL,
    DRIZZLE_DIR,
    HERE,
    BenchmarkFailed,
    Report,
    Row,
    Timing,
    byte_compile_mizzle,
    cpu_line,
    finish,
    fresh_pg_database,
    load_pg,
    mizzle_executable,
    results_document,
    run_cli,
    runs_label,
    write_bytecode_as_users_do,
)

from mizzle.dialects import get_dialect
from mizzle.dialects.urls import parse_url, redact

DEFAULT_RESULTS = HERE / "results" / "pull.md"
DEFAULT_CORPUS = Path(os.environ.get("MIZZLE_CORPUS") or HERE.parent.parent / "shared" / "corpus")

#: Issue 15's targets for pull, per peer: under 0.06 of drizzle-kit 0.31's time and under a
#: tenth of drizzle-kit 1.0's (the release candidate) on the same database.
PULL_TARGET_RATIOS = {"0.31": 0.06, "1.0-rc": 0.1}


@dataclass(frozen=True)
class Database:
    label: str
    dialect: str
    #: the corpus folder holding ORDER.txt, relative to the corpus
    folder: str


DATABASES = {
    "danbooru": Database("Danbooru PostgreSQL", "postgresql", "apps/large-pg/danbooru__danbooru"),
    "synapse-pg": Database("Synapse PostgreSQL", "postgresql", "apps/large-pg/matrix-org__synapse/postgres"),
    "synapse-sqlite": Database("Synapse SQLite", "sqlite", "apps/large-pg/matrix-org__synapse/sqlite"),
}


@dataclass(frozen=True)
class Peer:
    name: str
    folder: Path

    def bin(self) -> Path:
        return self.folder / "node_modules" / "drizzle-kit" / "bin.cjs"

    def version(self) -> str:
        package = self.folder / "node_modules" / "drizzle-kit" / "package.json"
        if not package.exists():
            raise BenchmarkFailed(
                f"drizzle-kit is not installed in {self.folder}: run `npm ci --prefix {self.folder}` "
                "(or pass --skip-drizzle)"
            )
        return str(json.loads(package.read_text())["version"])


PEERS = (Peer("0.31", DRIZZLE_DIR), Peer("1.0-rc", HERE / "drizzle-rc"))


@dataclass(frozen=True)
class Options:
    databases: tuple[str, ...]
    runs: int
    skip_drizzle: bool
    pg_url: str
    corpus: Path
    results: Path | None


# --- the databases -------------------------------------------------------------------------


def corpus_script(corpus: Path, db: Database) -> str:
    folder = corpus / db.folder
    order = folder / "ORDER.txt"
    if not order.exists():
        raise BenchmarkFailed(f"no {order}: is the corpus at {corpus}? (--corpus DIR)")
    return "\n".join((folder / name).read_text(encoding="utf-8") for name in order.read_text().split())


@contextmanager
def loaded(opts: Options, db: Database, work: Path) -> Iterator[str]:
    """The corpus database `db` loaded into a new database; its URL."""
    script = corpus_script(opts.corpus, db)
    if db.dialect == "sqlite":
        path = work / f"{db.folder.replace('/', '_')}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        try:
            conn.executescript(script)
        finally:
            conn.close()
        yield f"sqlite:///{path}"
        return
    with fresh_pg_database(opts.pg_url) as url:
        load_pg(url, script)
        yield url


def contents(url: str) -> tuple[list[str], int]:
    """The tables mizzle reads in the database at `url`, and how many indexes they have."""
    parsed = parse_url(url)
    dialect = get_dialect(parsed.dialect)
    conn = dialect.connect(parsed)
    try:
        schema = dialect.introspect(conn).schema
    finally:
        conn.close()
    return [t.name for t in schema.tables], sum(len(t.indexes) for t in schema.tables)


def check_names(what: str, text: str, names: list[str]) -> None:
    missing = [n for n in names if f'"{n}"' not in text]
    if missing:
        raise BenchmarkFailed(f"{what}: {len(missing)} tables are not in its output, e.g. {missing[0]}")


# --- the commands --------------------------------------------------------------------------


def mizzle_pull(url: str, out: Path, names: list[str]) -> Timing:
    """`mizzle pull --db URL --out out` (a new file, or the one the last pull wrote); the
    module must declare a Table class for every table."""
    timing = run_cli([str(mizzle_executable()), "pull", "--db", url, "--out", str(out)], cwd=out.parent)
    declared = len(re.findall(r"^class \w+\(Table\):", out.read_text(), flags=re.MULTILINE))
    if declared != len(names):
        raise BenchmarkFailed(f"mizzle pull: {out} declares {declared} tables, the database holds {len(names)}")
    return timing


def drizzle_pull(peer: Peer, db: Database, url: str, work: Path, names: list[str]) -> Timing:
    """`drizzle-kit pull` into a new folder; its schema.ts must name every table."""
    out = Path(tempfile.mkdtemp(prefix=f"drizzle-{peer.name}-", dir=work))
    location = url if db.dialect == "postgresql" else f"file:{parse_url(url).sqlite_path}"
    config = {"dialect": db.dialect, "out": str(out), "dbCredentials": {"url": location}}
    config_file = out.with_suffix(".config.js")
    config_file.write_text("export default " + json.dumps(config, indent=2) + ";\n")
    timing = run_cli(["node", str(peer.bin()), "pull", "--config", str(config_file)], cwd=peer.folder)
    schema_ts = out / "schema.ts"
    if not schema_ts.exists():
        # drizzle-kit prints its failure and exits 0
        last = [line for line in timing.output.splitlines() if line.strip()][-1:] or ["no output"]
        raise BenchmarkFailed(f"drizzle-kit {peer.name} pull wrote no schema.ts: {last[0].strip()}")
    check_names(f"drizzle-kit {peer.name} pull", schema_ts.read_text(), names)
    return timing


def bench_database(opts: Options, key: str, report: Report, versions: dict[str, str]) -> None:
    db = DATABASES[key]
    with tempfile.TemporaryDirectory(prefix="mizzle-bench-pull-") as tmp:
        work = Path(tmp)
        first = Row(f"`mizzle pull`, {db.label}")
        with report.step(first), loaded(opts, db, work) as url:
            names, indexes = contents(url)
            what = f"{db.label} ({len(names)} tables, {indexes} indexes)"
            first.what = f"`mizzle pull --out schema.py`, {what}"
            again = Row(f"`mizzle pull` again, nothing changed (replaces its own file, says so), {what}")
            report.rows.append(again)
            peers = {
                p.name: Row(
                    f"drizzle-kit {versions[p.name]} pull, {what}",
                    peer_name=f"drizzle-kit {versions[p.name]}",
                    target=f"< {PULL_TARGET_RATIOS[p.name]:g}× drizzle-kit {p.name}",
                    limit=PULL_TARGET_RATIOS[p.name],
                    limit_is_ratio=True,
                )
                for p in PEERS
                if not opts.skip_drizzle
            }
            failed: dict[str, str] = {}
            for run in range(opts.runs):
                out = work / f"run{run}" / "schema.py"
                out.parent.mkdir()
                report.attempt(first, functools.partial(mizzle_pull, url, out, names))
                report.attempt(again, functools.partial(mizzle_pull, url, out, names))
                for peer in PEERS:
                    if opts.skip_drizzle or peer.name in failed:
                        continue
                    try:
                        timing = drizzle_pull(peer, db, url, work, names)
                    except BenchmarkFailed as err:
                        # its last line says why (the ones before are its progress spinner)
                        lines = [line.strip() for line in redact(str(err)).splitlines() if line.strip()]
                        failed[peer.name] = lines[-1] if lines else "failed"
                    else:
                        peers[peer.name].peer_times.append(timing.wall)
                        peers[peer.name].peer_cpu_times.append(timing.cpu)
                        peers[peer.name].note_load()
        # One row per peer, each with mizzle's first-pull times beside the peer's
        for name, row in peers.items():
            row.what = f"`mizzle pull` beside drizzle-kit {versions[name]}, {what}"
            row.times, row.cpu_times = first.times, first.cpu_times
            row.loads = first.loads + row.loads
            if name in failed:
                row.peer_times, row.peer_cpu_times = [], []
                row.peer_name = f"drizzle-kit {versions[name]}: FAILED (see the notes)"
                row.limit = None
                report.notes.append(f"drizzle-kit {versions[name]} on {db.label}: {failed[name]}")
            report.rows.append(row)


# --- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> Options:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument(
        "--databases",
        default=",".join(DATABASES),
        help=f"comma-separated, of {', '.join(DATABASES)} (all of them)",
    )
    p.add_argument("--runs", type=int, default=5, help="runs of each pull (5); the median is shown")
    p.add_argument("--skip-drizzle", action="store_true", help="do not run drizzle-kit (no Node needed)")
    p.add_argument("--pg-url", default=DEFAULT_PG_URL, help=f"server to create the databases on ({DEFAULT_PG_URL})")
    p.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help=f"the shared corpus ({DEFAULT_CORPUS})")
    p.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="markdown file to write (results/pull.md)")
    p.add_argument("--no-results", action="store_true", help="print the table only")
    a = p.parse_args(argv)
    databases = tuple(d.strip() for d in a.databases.split(",") if d.strip())
    unknown = [d for d in databases if d not in DATABASES]
    if unknown or not databases:
        p.error(f"--databases: unknown {unknown}; choose from {', '.join(DATABASES)}")
    if a.runs < 1:
        p.error("--runs must be at least 1")
    return Options(databases, a.runs, a.skip_drizzle, a.pg_url, a.corpus, None if a.no_results else a.results)


def machine(opts: Options) -> tuple[list[str], dict[str, str]]:
    lines = [cpu_line()]
    if any(DATABASES[d].dialect == "postgresql" for d in opts.databases):
        with psycopg.connect(opts.pg_url, autocommit=True) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        lines.append(f"PostgreSQL {row[0] if row else '?'}")
    lines.append(f"SQLite {sqlite3.sqlite_version} (Python's sqlite3)")
    versions: dict[str, str] = {}
    if not opts.skip_drizzle:
        versions = {p.name: p.version() for p in PEERS}
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
        lines.append(f"drizzle-kit {', '.join(versions.values())} on Node {node}")
    return lines, versions


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    report = Report()
    try:
        machine_lines, versions = machine(opts)
    except (psycopg.Error, BenchmarkFailed, OSError, subprocess.CalledProcessError) as err:
        print(f"bench_pull: cannot start: {redact(str(err))}", file=sys.stderr)
        return 2
    report.notes.append(byte_compile_mizzle())
    report.notes.append(write_bytecode_as_users_do())
    load_before = os.getloadavg()[0]
    for key in opts.databases:
        bench_database(opts, key, report, versions)
    report.notes.append(f"load average: {load_before:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")
    method = (
        f"Each time is the median of {runs_label(opts.runs)} of the command as a subprocess, end to end"
        " (interpreter or Node start, connecting, introspecting, writing the files), mizzle's and drizzle-kit's"
        " interleaved on the same database. mizzle writes `schema.py`; drizzle-kit writes `schema.ts`,"
        " `relations.ts` and an SQL migration. Each output is checked to name every table."
    )
    runs_intro = (
        "Every run, in seconds of wall time (in brackets the CPU time of the client process, user + system;"
        " the database server's work is not in it):"
    )

    def document() -> str:
        return results_document(
            "Pull benchmark results", "benchmarks/bench_pull.py", argv, machine_lines, method, runs_intro, report
        )

    return finish("bench_pull", "pull: mizzle beside drizzle-kit", report, opts.results, document)


if __name__ == "__main__":
    sys.exit(main())
