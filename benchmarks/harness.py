"""What the benchmark runners share: result rows with verdicts, timing a command as a
subprocess (wall and CPU time), fresh PostgreSQL databases, the peer's install, and the
description of the machine a result was measured on.

A runner collects `Row`s in a `Report`: a failure (an exception, a wrong result) marks its
rows FAILED and the run ends non-zero; a time never does, it gets a verdict against its
target instead (`met`, `MISSED`, or `no target`).
"""

from __future__ import annotations

import compileall
import contextlib
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

import psycopg
from gen_schema import table_name

from mizzle.dialects.urls import redact

HERE = Path(__file__).resolve().parent
DRIZZLE_DIR = HERE / "drizzle"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


class BenchmarkFailed(Exception):
    """Something did not work: the run ends non-zero with this message."""


# --- results -------------------------------------------------------------------------------


@dataclass
class Row:
    what: str
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)
    peer_name: str = ""
    peer_times: list[float] = field(default_factory=list)
    peer_cpu_times: list[float] = field(default_factory=list)
    target: str = "—"
    #: seconds or ratio the median must stay under; None when the issue sets no target
    limit: float | None = None
    limit_is_ratio: bool = False
    error: str | None = None
    #: the machine's 1-minute load average, taken around and between the row's runs: times
    #: on a shared machine move with it, so every row says what it was
    loads: list[float] = field(default_factory=list)

    def note_load(self) -> None:
        self.loads.append(os.getloadavg()[0])

    @property
    def ratio_range(self) -> tuple[float, float] | None:
        """The least and greatest ratio of paired runs (the i-th of mizzle's and of the
        peer's, run one after the other): how far the one ratio of medians can be trusted."""
        if not self.times or len(self.times) != len(self.peer_times) or not all(self.peer_times):
            return None
        ratios = [m / p for m, p in zip(self.times, self.peer_times, strict=True)]
        return min(ratios), max(ratios)

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def peer_median(self) -> float | None:
        return statistics.median(self.peer_times) if self.peer_times else None

    @property
    def ratio(self) -> float | None:
        m, p = self.median, self.peer_median
        return m / p if m is not None and p else None

    def verdict(self) -> str:
        if self.error:
            return "FAILED"
        if self.limit is None:
            return "no target"
        value = self.ratio if self.limit_is_ratio else self.median
        if value is None:
            return "no peer measured"
        return "met" if value < self.limit else "MISSED"

    def cells(self) -> list[str]:
        peer = f"{self.peer_name}: {_s(self.peer_median)}" if self.peer_times else (self.peer_name or "—")
        ratio = f"{self.ratio:.3f}×" if self.ratio is not None else "—"
        if self.ratio is not None and (spread := self.ratio_range) is not None:
            ratio += f" ({spread[0]:.3f}–{spread[1]:.3f})"
        load = f"{min(self.loads):.1f}–{max(self.loads):.1f}" if self.loads else "—"
        return [self.what, _s(self.median), peer, ratio, load, self.target, self.verdict()]


def _s(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds:.3f} s"


HEADER = ["what", "mizzle", "peer", "ratio (paired min–max)", "load", "target", "verdict"]


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def text_table(rows: list[Row]) -> str:
    cells = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(HEADER))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def times_list(times: list[float], cpu_times: list[float]) -> str:
    """`1.234, 1.240 (CPU 0.9, 0.91)`: every run of a row, for the results file."""
    text = ", ".join(f"{t:.3f}" for t in times)
    if cpu_times:
        text += f" (CPU {', '.join(f'{t:.3f}' for t in cpu_times)})"
    return text


def runs_label(n: int) -> str:
    return f"{n} run" + ("" if n == 1 else "s")


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @contextlib.contextmanager
    def step(self, *rows: Row) -> Iterator[None]:
        """Measure into `rows`; a failure marks them FAILED and is kept, the run goes on."""
        self.rows.extend(rows)
        for row in rows:
            row.note_load()
        try:
            yield
        except Exception as err:  # any error is a failure of the benchmark, reported at the end
            self.fail(rows, err)
        for row in rows:
            row.note_load()

    def attempt(self, row: Row, measure: Callable[[], Timing], *, peer: bool = False) -> None:
        """One run of one subprocess measurement (into the row's peer times with `peer`),
        unless an earlier run of it failed."""
        if row.error is None:
            try:
                timing = measure()
            except Exception as err:
                self.fail((row,), err)
            else:
                (row.peer_times if peer else row.times).append(timing.wall)
                (row.peer_cpu_times if peer else row.cpu_times).append(timing.cpu)
                row.note_load()

    def fail(self, rows: tuple[Row, ...], err: Exception) -> None:
        message = redact(str(err) if isinstance(err, BenchmarkFailed) else f"{type(err).__name__}: {err}")
        for row in rows:
            row.error = message
        self.failures.append(f"{rows[0].what}: {message}")


# --- timing --------------------------------------------------------------------------------

#: A command that takes this long is stuck (a prompt, a lost connection): fail, don't wait.
CLI_TIMEOUT_S = 600


class Timing(NamedTuple):
    """A subprocess's wall time, and the CPU time it (and its children) used: the server's
    work is in the first only, so the second shows the client's own cost on a busy machine.
    `output`: what it printed (stdout, then stderr), for checking that it did the work."""

    wall: float
    cpu: float
    output: str = ""


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(args: list[str], cwd: Path, *, env: Mapping[str, str] | None = None, stdin: Path | None = None) -> Timing:
    """Run a command (stdin: /dev/null, or the file `stdin`), return its wall and CPU time
    and its output; BenchmarkFailed with its output when it fails."""
    cpu_before = _children_cpu()
    with contextlib.ExitStack() as stack:
        source = stack.enter_context(stdin.open("rb")) if stdin is not None else subprocess.DEVNULL
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                args,
                cwd=cwd,
                capture_output=True,
                stdin=source,
                check=False,
                timeout=CLI_TIMEOUT_S,
                env=None if env is None else {**os.environ, **env},
            )
        except subprocess.TimeoutExpired:
            raise BenchmarkFailed(f"`{' '.join(args[:2])} ...` still running after {CLI_TIMEOUT_S} s") from None
        elapsed = time.perf_counter() - start
    output = (proc.stdout + proc.stderr).decode(errors="replace")
    if proc.returncode != 0:
        raise BenchmarkFailed(f"`{' '.join(args[:2])} ...` exited {proc.returncode}: {output.strip()[-800:]}")
    return Timing(elapsed, _children_cpu() - cpu_before, output)


# --- databases -----------------------------------------------------------------------------


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, ""))


@contextlib.contextmanager
def fresh_pg_database(admin_url: str) -> Iterator[str]:
    """An empty PostgreSQL database for one benchmark, dropped afterwards."""
    name = f"mizzle_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def load_pg(url: str, ddl: str) -> float:
    """Run a DDL script in one transaction (one execute); return the time it took."""
    with psycopg.connect(url) as conn:
        start = time.perf_counter()
        conn.execute(ddl.encode())  # bytes: a whole script, sent as is (no parameters)
        conn.commit()
        elapsed = time.perf_counter() - start
    return elapsed


def load_sqlite(path: Path, statements: list[str]) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.executescript("BEGIN;\n" + ";\n".join(statements) + ";\nCOMMIT;")
    finally:
        conn.close()


# --- checks --------------------------------------------------------------------------------


def check_mentions_tables(what: str, text: str, pattern: str, tables: int) -> None:
    """Fail unless `text` holds `pattern` (formatted with each table's name) for every table."""
    missing = [table_name(i) for i in range(tables) if pattern.format(name=table_name(i)) not in text]
    if missing:
        raise BenchmarkFailed(
            f"{what}: no {pattern.format(name='<table>')!r} for {len(missing)} tables, e.g. {missing[0]}"
        )


# --- the tools -----------------------------------------------------------------------------


def byte_compile_mizzle() -> str:
    """Byte-compile the mizzle package, as `pip install` does, so that the commands timed load
    it as an installed package would, even where PYTHONDONTWRITEBYTECODE is set (a checkout
    run that way would compile every module on every run). Returns a note for the results."""
    import mizzle

    package = Path(mizzle.__file__).parent
    if not compileall.compile_dir(package, quiet=1):
        raise BenchmarkFailed(f"cannot byte-compile {package}")
    return "mizzle's modules byte-compiled before timing, as an installed package's are"


def write_bytecode_as_users_do() -> str:
    """Let the commands timed write bytecode, as they do on a user's machine: this machine sets
    PYTHONDONTWRITEBYTECODE for everything, which also keeps mizzle from writing its cache of
    the compiled schema module (`mizzle/sources/compiled.py`), so every `push` or `check` there
    compiles `schema.py` again (25 ms for 200 tables, 0.2 s for 1,000) where a user's second
    run does not. Unset for the subprocesses this runner starts; a runner that times a command
    right after the schema changed (`generate`) edits the file first. Returns a note."""
    was = os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    sys.dont_write_bytecode = False
    if was is None:
        return "bytecode written by the commands timed, as on a user's machine"
    return "bytecode written by the commands timed, as on a user's machine (PYTHONDONTWRITEBYTECODE unset for them)"


def mizzle_executable() -> Path:
    exe = Path(sys.executable).with_name("mizzle")
    if not exe.exists():
        raise BenchmarkFailed(f"no `mizzle` command beside {sys.executable}: pip install -e . first")
    return exe


def drizzle_kit() -> tuple[Path, str]:
    """drizzle-kit's entry script and version, from benchmarks/drizzle/node_modules."""
    package = DRIZZLE_DIR / "node_modules" / "drizzle-kit" / "package.json"
    if not package.exists():
        raise BenchmarkFailed(
            f"drizzle-kit is not installed: run `npm ci --prefix {DRIZZLE_DIR}` (or pass --skip-drizzle)"
        )
    return package.parent / "bin.cjs", str(json.loads(package.read_text())["version"])


def drizzle_config(path: Path, url: str, out: Path, schema: Path | None = None) -> Path:
    """A drizzle-kit config file at `path` (PostgreSQL at `url`, writing to `out`)."""
    config: dict[str, object] = {"dialect": "postgresql", "out": str(out), "dbCredentials": {"url": url}}
    if schema is not None:
        config["schema"] = str(schema)
    path.write_text("export default " + json.dumps(config, indent=2) + ";\n")
    return path


# --- the machine ---------------------------------------------------------------------------


def cpu_line() -> str:
    """`2 cores (<CPU model>), Linux <release>`: the first line of every results file."""
    cpu = "?"
    with contextlib.suppress(OSError):
        cpu = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            "?",
        )
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"


def machine(pg_url: str, *, with_drizzle: bool) -> list[str]:
    """One line each: cores and CPU, the databases' versions, Python, and the peer's."""
    with psycopg.connect(pg_url, autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    pg_version = row[0] if row else "?"
    lines = [
        cpu_line(),
        f"PostgreSQL {pg_version}; SQLite {sqlite3.sqlite_version} (Python's sqlite3)",
        f"Python {platform.python_version()}",
    ]
    if with_drizzle:
        _, version = drizzle_kit()
        node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=True).stdout.strip()
        lines.append(f"drizzle-kit {version} on Node {node}")
    return lines


def results_document(
    title: str, script: str, argv: list[str], machine_lines: list[str], method: str, runs_intro: str, report: Report
) -> str:
    """A results file: what was run, on what, how, the table, every run, and the conditions."""
    from datetime import UTC, datetime

    runs = [
        f"- {row.what}: mizzle {times_list(row.times, row.cpu_times)}"
        + (
            f"; {row.peer_name or 'drizzle-kit'} {times_list(row.peer_times, row.peer_cpu_times)}"
            if row.peer_times
            else ""
        )
        for row in report.rows
    ]
    sections = [
        f"# {title}",
        f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} with `python {script}"
        + redact("".join(" " + a for a in argv))
        + "`.",
        f"Machine: {'; '.join(machine_lines)}.",
        method,
        markdown_table(report.rows),
        runs_intro,
        "\n".join(runs),
        "Setup and conditions (not measured against anything):",
        "\n".join("- " + note for note in report.notes),
    ]
    return "\n\n".join(sections) + "\n"


def finish(runner: str, summary: str, report: Report, results: Path | None, document: Callable[[], str]) -> int:
    """Print the results; write the results file only when everything worked. The exit code."""
    print(summary)
    print(text_table(report.rows))
    for note in report.notes:
        print(f"  {note}")
    if report.failures:
        for failure in report.failures:
            print(f"FAILED {failure}", file=sys.stderr)
        print(f"{runner}: something did not work; results not written", file=sys.stderr)
        return 1
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        results.write_text(document())
        print(f"wrote {results}")
    return 0
