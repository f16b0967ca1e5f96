"""The sync server benchmark: simulated devices pushing and pulling through `mizzle sync serve`.

    python benchmarks/bench_sync_server.py                         # writes results/sync_server.md
    python benchmarks/bench_sync_server.py --devices 1,10 --processes 1 --rows 1000 --no-results

For each number of server processes (`--processes`, default 1,2) and of devices (`--devices`,
default 1,10,100): a fresh PostgreSQL database with one owned sync table, that many `mizzle
sync serve` processes on 127.0.0.1, and that many devices, each a SQLite file of its own user
and a `mizzle.sync.client.SyncClient` in a thread of this process, device i talking to
server i mod P. The devices share `--rows` rows (default 10,000) equally:

- push: each device writes `--batch` rows locally (one transaction) and syncs, until its
  share is written; each `sync()` call is one latency sample;
- pull: a fresh SQLite file per device (the same user) syncs once from nothing (pages of
  1,000 rows), one latency sample each.

Throughput is rows over the wall time of the phase (all devices at once). The run checks
that the server holds exactly `--rows` rows, each device's share under its user, and that
every fresh device pulled exactly its user's rows, and exits non-zero otherwise. The machine
is shared and the devices run in this process (their SQLite and JSON work competes with the
servers for the cores): the numbers are an order of magnitude, not a peer comparison.
"""

from __future__ import annotations

import argparse
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import jwt
import psycopg
from harness import DEFAULT_PG_URL, HERE, fresh_pg_database, machine

from mizzle.dialects.postgresql import render as pg_render
from mizzle.dialects.postgresql.connect import apply as pg_apply
from mizzle.dialects.sqlite import render as sqlite_render
from mizzle.dialects.sqlite.connect import apply as sqlite_apply
from mizzle.dsl import Table, integer, text
from mizzle.dsl import uuid as uuid_column
from mizzle.sources.dsl import schema_from_classes
from mizzle.sync.client import SyncClient

SECRET = "benchmark-secret-of-more-than-32-bytes"
#: PowerSync's published initial-sync rate on a desktop (rows/s), the issue's anchor
POWERSYNC_INITIAL_SYNC = 27_600


class Item(Table):
    id = uuid_column().primary_key()
    user_id = uuid_column().not_null()
    n = integer().not_null()
    body = text().not_null()
    __sync__: ClassVar[dict[str, object]] = {"owner": "user_id"}


SCHEMA = schema_from_classes([Item])


@dataclass
class Result:
    processes: int
    devices: int
    rows: int
    push_s: float = 0.0
    pull_s: float = 0.0
    push_latencies: list[float] = field(default_factory=list)
    pull_latencies: list[float] = field(default_factory=list)
    requests: int = 0
    #: the machine's 1-minute load average before and after the row's two phases
    load: tuple[float, float] = (0.0, 0.0)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def token(user: str) -> str:
    return jwt.encode({"sub": user, "role": "authenticated", "exp": int(time.time()) + 86400}, SECRET, "HS256")


def sqlite_device(path: Path) -> Path:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    sqlite_apply(conn, sqlite_render.render_schema(SCHEMA))
    conn.close()
    return path


@contextmanager
def server(url: str, rules: Path) -> Iterator[str]:
    mizzle = str(Path(sys.executable).parent / "mizzle")
    env = {**os.environ, "MIZZLE_SYNC_JWT_SECRET": SECRET}
    command = [mizzle, "sync", "serve", "--db", url, "--rules", str(rules), "--port", "0", "--max-connections", "4"]
    proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            found = re.search(r"sync server on (http://\S+)", line)
            if found:
                yield found.group(1)
                return
        raise SystemExit(f"the sync server did not start (exit {proc.wait()})")
    finally:
        proc.terminate()
        proc.wait(10)


def run_one(admin: str, processes: int, devices: int, rows: int, batch: int, work: Path) -> Result:
    result = Result(processes, devices, rows)
    users = [str(uuid.uuid4()) for _ in range(devices)]
    share = [rows // devices + (1 if i < rows % devices else 0) for i in range(devices)]
    rules = work / "sync.toml"
    rules.write_text('[tables.item]\nowner = "user_id"\n')
    lock = threading.Lock()
    with fresh_pg_database(admin) as url, ExitStack() as stack:
        with psycopg.connect(url, autocommit=True) as conn:
            pg_apply(conn, pg_render.render_schema(SCHEMA))
        bases = [stack.enter_context(server(url, rules)) for _ in range(processes)]

        def push(i: int) -> None:
            path = sqlite_device(work / f"push-{processes}-{devices}-{i}.db")
            client = SyncClient(path, bases[i % processes], tables=["item"], token=token(users[i]), device=f"d{i}")
            written = 0
            while written < share[i]:
                k = min(batch, share[i] - written)
                client.conn.execute("BEGIN")
                client.conn.executemany(
                    "INSERT INTO item (id, user_id, n, body) VALUES (?, ?, ?, ?)",
                    [(str(uuid.uuid4()), users[i], written + j, f"row {written + j} of device {i}") for j in range(k)],
                )
                client.conn.execute("COMMIT")
                written += k
                start = time.perf_counter()
                done = client.sync()
                took = time.perf_counter() - start
                if done.rejected or done.conflicts:
                    raise SystemExit(f"device {i}: the server did not take its rows: {done.rejected or done.conflicts}")
                with lock:
                    result.push_latencies.append(took)
                    result.requests += done.requests
            client.close()

        def pull(i: int) -> None:
            path = sqlite_device(work / f"pull-{processes}-{devices}-{i}.db")
            client = SyncClient(path, bases[i % processes], tables=["item"], token=token(users[i]), device=f"f{i}")
            start = time.perf_counter()
            done = client.sync()
            took = time.perf_counter() - start
            [(count,)] = client.conn.execute("SELECT count(*) FROM item").fetchall()
            client.close()
            if count != share[i]:
                raise SystemExit(f"fresh device {i} pulled {count} rows, its user has {share[i]}")
            with lock:
                result.pull_latencies.append(took)
                result.requests += done.requests

        for phase, target in (("push", push), ("pull", pull)):
            failures: list[BaseException] = []

            def guarded(i: int, target: Any = target, failures: list[BaseException] = failures) -> None:
                try:
                    target(i)
                except BaseException as err:
                    failures.append(err)

            threads = [threading.Thread(target=guarded, args=(i,)) for i in range(devices)]
            start = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.perf_counter() - start
            if failures:
                raise SystemExit(f"{phase}: {failures[0]}")
            if phase == "push":
                result.push_s = took
                with psycopg.connect(url) as conn:
                    per_user = dict(conn.execute("SELECT user_id::text, count(*) FROM item GROUP BY 1").fetchall())
                if [per_user.get(u, 0) for u in users] != share:
                    raise SystemExit(f"the server holds {sum(per_user.values())} rows, not {rows} as pushed")
            else:
                result.pull_s = took
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-url", default=os.environ.get("MIZZLE_TEST_PG_URL", DEFAULT_PG_URL))
    parser.add_argument("--devices", default="1,10,100")
    parser.add_argument("--processes", default="1,2")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--results", type=Path, default=HERE / "results" / "sync_server.md")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    devices = [int(d) for d in args.devices.split(",")]
    processes = [int(p) for p in args.processes.split(",")]
    results: list[Result] = []
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="mizzle-bench-sync-server-") as tmp:
        for p in processes:
            for d in devices:
                before = os.getloadavg()[0]
                r = run_one(args.pg_url, p, d, args.rows, args.batch, Path(tmp))
                r.load = (before, os.getloadavg()[0])
                results.append(r)
                print(line(r), flush=True)
    load_after = os.getloadavg()[0]
    if not args.no_results:
        args.results.write_text(document(args, results, load_before, load_after))
        print(f"wrote {args.results}")
    return 0


COLUMNS = ("server processes", "devices", "rows each way", "push rows/s", "push p50", "push p99", "pull rows/s")
HEADER = "| " + " | ".join([*COLUMNS, "pull p50", "pull p99", "load"]) + " |"


def line(r: Result) -> str:
    def ms(v: float) -> str:
        return f"{v * 1000:.0f} ms"

    cells = [
        str(r.processes),
        str(r.devices),
        f"{r.rows:,}",
        f"{r.rows / r.push_s:,.0f}",
        ms(statistics.median(r.push_latencies)),
        ms(quantile(r.push_latencies, 0.99)),
        f"{r.rows / r.pull_s:,.0f}",
        ms(statistics.median(r.pull_latencies)),
        ms(quantile(r.pull_latencies, 0.99)),
        f"{r.load[0]:.1f}–{r.load[1]:.1f}",
    ]
    return "| " + " | ".join(cells) + " |"


def document(args: argparse.Namespace, results: list[Result], load_before: float, load_after: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    argv = " ".join(sys.argv[1:])
    best_pull = max(r.rows / r.pull_s for r in results)
    return "\n".join(
        [
            "# Sync server benchmark results",
            "",
            f"Measured {when} with `python benchmarks/bench_sync_server.py {argv}`.",
            "",
            "Machine: " + "; ".join(machine(args.pg_url, with_drizzle=False)) + ".",
            "",
            "Each row: a fresh database with one owned sync table",
            "`item (id uuid, user_id uuid, n integer, body text)`, that many `mizzle sync serve` processes",
            "(each at most 4 PostgreSQL connections at once), that many",
            f"devices (threads of the runner, one user each) sharing the rows; push: batches of {args.batch} rows",
            "written locally then `sync()`; pull: a fresh file per device syncing from nothing. Latency: one",
            "`sync()` call (one or more requests). Every row checked on the server and on every fresh device.",
            "Load: the machine's 1-minute load average before and after the row (2 cores; above 2, other work",
            "competed for them).",
            "",
            HEADER,
            "|---|---|---|---|---|---|---|---|---|---|",
            *[line(r) for r in results],
            "",
            f"PowerSync publishes {POWERSYNC_INITIAL_SYNC:,} rows/s for an initial sync on a desktop; the best pull",
            f"rate here was {best_pull:,.0f} rows/s (whole-system: server, PostgreSQL and the devices' SQLite writes",
            "on the same shared cores; not the same row shape nor machine).",
            "",
            f"Load average (1 min) before: {load_before:.2f}, after: {load_after:.2f}; the machine was shared with",
            "other work while this ran.",
            "",
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
