"""The corpus replay: an app's migration history, database-first, step by step, with rows.

For each step of a history: the app's own SQL runs on the reference database; mizzle pulls
the reference into a schema file and generates a migration from it (renames and drops as
the step's SQL spells them, `--rename`/`--drop`; the app's hand-written data statements added
to the migration); the follower database, which holds rows, migrates. Then the follower must
equal the reference (an independent catalog picture: tables, columns with types,
nullability and defaults, keys, uniques, indexes, checks) and hold the same rows, and the
same new rows are inserted into both.

A step that holds the app's own data statements is cut where they stand: the schema
before them is pulled and generated first, their text added to that migration, the schema
after them pulled and generated next; each cut is a state the reference really passed
through.

Rows the app's own SQL cannot take (the step fails on them in a trial run on a copy of the
reference) are cleared from both databases first, and the step says so. Where mizzle's
migration refuses the follower's rows (a guard, a constraint the copy meets), the app's own
SQL for the step runs on a copy of the follower: it must fail on those rows too, or the
refusal is mizzle's alone and the step fails; a refusal the app's SQL shares is fair, noted,
and the follower is set up again. A step that fails
leaves the follower behind: it is set up again from the reference (a new project: pull,
generate, migrate an empty database, copy the rows), so the next step is judged on its own.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from mizzle.app.config import Config
from mizzle.app.generate import custom, generate
from mizzle.app.migrate import migrate
from mizzle.app.pull import pull
from mizzle.core import integrity
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder, up_file
from mizzle.core.renames import Renames
from mizzle.core.runner import MigrationFailed
from mizzle.dialects.urls import parse_url
from tests.corpus_apps import supabase_prelude
from tests.pg import SUPABASE_EXTENSIONS, need_extensions
from tests.replay import sql_text
from tests.replay.rows import ordered, row
from tests.replay.sides import PgSide, Side, SqliteSide, _q

#: rows inserted into every table after each step
ROWS_PER_STEP = 2


@dataclass
class StepResult:
    step: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class HistoryResult:
    steps: dict[str, StepResult]
    seconds: float


class Replay:
    def __init__(
        self, dialect: str, history: Path, work: Path, stack: ExitStack, schemas: tuple[str, ...] = ()
    ) -> None:
        self.dialect = dialect
        self.history = history
        #: the app's own schemas besides public (`pull --schemas`), read and compared with it
        self.schemas = schemas
        self.work = work
        self.stack = stack
        self.counter = 0
        self.generation = 0
        self.pulls = 0
        self.reference = self._side("reference")
        self._new_project()
        self.skipped: dict[str, str] = {}
        #: differences a set-up-again follower already had: judged once, at the step that made them
        self.residual: set[str] = set()
        #: columns an app's data statement filled with a volatile expression (random, clock)
        self.volatile: dict[str, set[str]] = {}

    # --- databases and projects -----------------------------------------------------------------

    def _side(self, name: str) -> Side:
        if self.dialect == "sqlite":
            return SqliteSide(self.work / f"{name}.db")
        side = PgSide(self.stack, self.schemas)
        prelude = supabase_prelude(self.history)
        if prelude is not None:
            need_extensions(side.url, *SUPABASE_EXTENSIONS)
            # What a Supabase project provides (roles, auth/storage/realtime schemas), on both
            # databases before the app's first migration: the corpus's stand-in for it.
            side.apply(sql_text.split_postgresql(prelude.read_text(encoding="utf-8")))
        return side

    def _new_project(self) -> None:
        self.generation += 1
        self.project = self.work / f"project{self.generation}"
        (self.project / "migrations").mkdir(parents=True)
        (self.project / "mizzle.toml").write_text(f'dialects = ["{self.dialect}"]\n', encoding="utf-8")
        self.follower = self._side(f"follower{self.generation}")
        self.folder = MigrationFolder(self.project / "migrations")

    def _config(self, schema: Path) -> Config:
        return Config(self.project / "mizzle.toml", schema, self.folder.path, (self.dialect,))

    def _pulled(self) -> Path:
        # A fresh file for each pull (pull refuses to overwrite without --force).
        self.pulls += 1
        out = self.project / f"schema_{self.pulls:03d}.py"
        pull(parse_url(self.reference.url), out, schemas=self.schemas)
        return out

    def _migrate(self) -> None:
        try:
            migrate(parse_url(self.follower.url), self.folder)
        finally:
            self.follower.forget()

    # --- one step -------------------------------------------------------------------------------

    def statements(self, path: Path) -> list[str]:
        text = path.read_text(encoding="utf-8").replace("--> statement-breakpoint", "")
        if self.dialect == "sqlite":
            return sql_text.split_sqlite(text)
        # the harness runs each PostgreSQL file in one transaction itself (a file's own
        # BEGIN/COMMIT would end the trial's rolled-back transaction early)
        return [s for s in sql_text.split_postgresql(text) if sql_text.kind_of(s) != "control"]

    def step(self, path: Path) -> StepResult:
        started = time.perf_counter()
        result = StepResult(path.name)
        try:
            self._step(path, result)
        except (sqlite3.Error, psycopg.Error) as err:
            result.problems.append(f"the reference: {str(err).splitlines()[0]}")
            result.notes.append(self.resync())
        finally:
            if isinstance(self.reference, SqliteSide):
                self.reference.end_session()
        result.seconds = time.perf_counter() - started
        return result

    def _step(self, path: Path, result: StepResult) -> None:
        statements = self.statements(path)
        if problem := self._trial(statements):
            result.notes.append(f"the app's own SQL fails on the rows ({problem}): every row cleared first")
            self._clear(self.reference)
            self._clear(self.follower)
        segments, copies = sql_text.segments(statements)
        stem = path.stem.split("_", 1)[0]
        generated: Path | None = None
        made_here: list[str] = []  # the step's migrations, in order
        for i, segment in enumerate(segments):
            name = f"step_{stem}" + (f"_{i}" if len(segments) > 1 else "")
            before = self.reference.names()
            self.reference.apply(segment.statements)
            if result.problems:
                continue  # the reference still takes the rest of the step; mizzle is done with it
            if segment.kind == "data":
                self._note_volatile(segment.statements)
            try:
                if segment.kind == "data":
                    generated = self._add_data(generated, name, segment.statements)
                    if generated.name not in made_here:
                        made_here.append(generated.name)
                    continue
                renames = _renames(sql_text.hints(segment.statements, copies), before, self.reference.names())
                made = generate(self._config(self._pulled()), name, renames=renames)
            except MizzleError as err:
                result.problems.append(f"generate {name}: {err}")
                continue
            if made.path is not None:
                generated = made.path
                made_here.append(made.path.name)
        refused = False
        if not result.problems:
            try:
                self._migrate()
            except MigrationFailed as err:
                refused = self._judge_refusal(err, statements, made_here, result)
            except MizzleError as err:
                result.problems.append(f"migrate: {err}")
        if refused:
            result.notes.append(self.resync())
        elif not result.problems:
            result.problems += self.compare()
        result.notes += self.insert_rows(result)
        if not result.problems:
            result.problems += self.compare_rows()
        if result.problems:
            result.notes.append(self.resync())

    def _note_volatile(self, statements: list[str]) -> None:
        for s in statements:
            if (m := sql_text.UPDATE_SET.match(s)) and _volatile(s):
                table = sql_text.unquote(m.group(1))
                names = self.reference.names().get(table, set())
                self.volatile.setdefault(table, set()).update(
                    c for c in names if re.search(rf"\b{re.escape(c)}\b", m.group(2))
                )

    def _trial(self, statements: list[str]) -> str | None:
        """Why the step's SQL fails on the reference as it is (with its rows), on a copy; None
        when it runs."""
        try:
            if isinstance(self.reference, SqliteSide):
                trial = SqliteSide(self.work / "trial.db")
                shutil.copyfile(self.reference.path, trial.path)
                trial.apply(statements)
            else:
                with psycopg.connect(self.reference.url) as conn, conn.transaction(force_rollback=True):
                    for s in statements:
                        conn.execute(s.encode())
        except (sqlite3.Error, psycopg.Error) as err:
            return str(err).splitlines()[0]
        return None

    def _judge_refusal(self, err: MigrationFailed, statements: list[str], made: list[str], result: StepResult) -> bool:
        """Whether the follower's refusal of the step is fair: the app's own SQL for the step
        fails on a copy of the follower too (True, noted). Otherwise a problem: mizzle refused
        rows the app's SQL takes, or part of the step ran before it (nothing to compare with)."""
        if not made or err.migration != made[0]:
            result.problems.append(f"migrate: {err} (after part of the step was applied: not checked against the app)")
            return False
        app = self._app_sql_on_follower(statements)
        if app is None:
            result.problems.append(
                f"migrate: {err}; but the app's own SQL for the step runs on a copy of the follower: "
                "the refusal is mizzle's alone"
            )
            return False
        result.notes.append(f"migrate refused the follower's rows ({err}); the app's own SQL fails on them too ({app})")
        return True

    def _app_sql_on_follower(self, statements: list[str]) -> str | None:
        """Why the step's own SQL fails on the follower as it is, on a copy; None when it runs."""
        try:
            if isinstance(self.follower, SqliteSide):
                copy = SqliteSide(self.work / "trial-follower.db")
                shutil.copyfile(self.follower.path, copy.path)
                try:
                    copy.apply(statements)
                finally:
                    copy.end_session()
            else:
                with psycopg.connect(self.follower.url) as conn, conn.transaction(force_rollback=True):
                    for s in statements:
                        conn.execute(s.encode())
        except (sqlite3.Error, psycopg.Error) as err:
            return str(err).splitlines()[0]
        return None

    def _clear(self, side: Side) -> None:
        tables = list(side.names())
        if not tables:
            return
        if isinstance(side, SqliteSide):
            side.apply([f"DELETE FROM {_q(t)}" for t in tables])
        else:
            side.apply([f"TRUNCATE {', '.join(_q(t) for t in tables)} CASCADE"])

    def _add_data(self, generated: Path | None, name: str, statements: list[str]) -> Path:
        """The app's data statements added to the step's migration (a custom one when the step
        has none yet), and the sum file written again (`mizzle hash`)."""
        data = [s for s in statements if sql_text.kind_of(s) != "control"]  # a TEMP table's DDL too
        if generated is None:
            generated = custom(self._config(self.project / "none.py"), name)
        up = generated / up_file(self.dialect)
        text = up.read_text(encoding="utf-8").rstrip("\n")
        body = "\n--> statement-breakpoint\n".join(s.rstrip().rstrip(";") + ";" for s in data)
        up.write_text(f"{text}\n--> statement-breakpoint\n{body}\n", encoding="utf-8")
        integrity.write(self.folder)
        return generated

    # --- judging --------------------------------------------------------------------------------

    def compare(self) -> list[str]:
        ref, fol = self.reference.catalog(), self.follower.catalog()
        if self.dialect == "sqlite":
            from tests.replay.sqlite_catalog import diff
        else:
            from tests.catalog import diff  # type: ignore[assignment]
        return [f"catalog: {line}" for line in diff(ref, fol) if f"catalog: {line}" not in self.residual]

    def insert_rows(self, result: StepResult) -> list[str]:
        notes = []
        shapes = self.reference.shapes()
        follower_tables = self.follower.names()
        for shape in ordered(shapes):
            parents = {fk.parent: self._records(fk.parent) for fk in shape.foreign_keys}
            for _ in range(ROWS_PER_STEP):
                for _attempt in range(4):  # another parent row, when a key made of parents collides
                    self.counter += 1
                    made = row(shape, self.counter, self.dialect, parents)
                    if isinstance(made, str):
                        reason = made
                        break
                    reason = self.reference.insert(shape.name, made) or ""
                    if not reason:
                        break
                took = not isinstance(made, str) and not reason and shape.name in follower_tables
                if took and (failed := self.follower.insert(shape.name, made)):
                    result.problems.append(
                        f"rows: the reference takes a row of {shape.name}, the follower not: {failed}"
                    )
                if reason and self.skipped.get(shape.name) != reason:
                    self.skipped[shape.name] = reason
                    notes.append(f"no row for {shape.name}: {reason}")
        return notes

    def _records(self, table: str) -> list[dict[str, Any]]:
        names = sorted(self.reference.names().get(table, ()))
        if not names:
            return []
        return [dict(zip(names, r, strict=True)) for r in self.reference.rows(table, names)]

    def compare_rows(self) -> list[str]:
        problems = []
        follower_tables = self.follower.names()
        for table, columns in sorted(self.reference.names().items()):
            if table not in follower_tables:
                continue
            shared = sorted(columns & follower_tables[table])
            # A volatile default (now(), a random id) filled the rows an ALTER added it to at
            # different moments in the two databases: only whether they hold a value is compared.
            volatile = {c.name for c in self.reference.shapes()[table].columns if _volatile(c.default)}
            volatile |= self.volatile.get(table, set())
            a, b = (_masked(side.rows(table, shared), shared, volatile) for side in (self.reference, self.follower))
            if a != b:
                lost = [r for r in a if r not in b]
                extra = [r for r in b if r not in a]
                problems.append(f"rows of {table} differ: reference only {lost[:2]}, follower only {extra[:2]}")
        return problems

    # --- after a failed step --------------------------------------------------------------------

    def resync(self) -> str:
        """A new project from the reference as it is: pull, generate, migrate an empty follower,
        copy the reference's rows."""
        self._new_project()
        try:
            generate(self._config(self._pulled()), "baseline")
            self._migrate()
        except MizzleError as err:
            return f"follower set up again from the reference: FAILED ({err})"
        self._copy_rows()
        lines = self.compare()
        self.residual |= set(lines)
        return "follower set up again from the reference" + (
            f" ({len(lines)} differences it keeps are not counted again: {lines[0]})" if lines else ""
        )

    def _copy_rows(self) -> None:
        tables = self.reference.names()
        follower_tables = self.follower.names()
        if isinstance(self.reference, SqliteSide) and isinstance(self.follower, SqliteSide):
            conn = sqlite3.connect(self.follower.path, isolation_level=None)
            try:
                conn.execute("ATTACH DATABASE ? AS ref", (str(self.reference.path),))
                conn.execute("BEGIN")
                for t, cols in tables.items():
                    shared = ", ".join(_q(c) for c in sorted(cols & follower_tables.get(t, set())))
                    if shared:
                        conn.execute(f"INSERT INTO main.{_q(t)} ({shared}) SELECT {shared} FROM ref.{_q(t)}")
                conn.execute("COMMIT")
            finally:
                conn.close()
            return
        with psycopg.connect(self.reference.url) as src, psycopg.connect(self.follower.url) as dst:
            dst.execute("SET session_replication_role = replica")  # foreign keys: rows come in any order
            for t, cols in tables.items():
                shared = ", ".join(_q(c) for c in sorted(cols & follower_tables.get(t, set())))
                if not shared:
                    continue
                with (
                    src.cursor().copy(f"COPY {_q(t)} ({shared}) TO STDOUT".encode()) as out,
                    dst.cursor().copy(f"COPY {_q(t)} ({shared}) FROM STDIN".encode()) as into,
                ):
                    for data in out:
                        into.write(data)


_VOLATILE = re.compile(r"now\(|current_|random|uuid|unixepoch|strftime|datetime\(|clock_", re.I)


def _volatile(default: str | None) -> bool:
    return default is not None and bool(_VOLATILE.search(default))


def _masked(rows: list[tuple[Any, ...]], columns: list[str], volatile: set[str]) -> list[tuple[Any, ...]]:
    if not volatile:
        return rows
    keep = [c not in volatile for c in columns]
    return sorted((tuple(v if k else v is not None for v, k in zip(r, keep, strict=True)) for r in rows), key=repr)


def _renames(hints: sql_text.Hints, before: dict[str, set[str]], after: dict[str, set[str]]) -> Renames:
    """What the SQL says it renamed and dropped, as generate's `--rename`/`--drop`, kept to
    what fits the two states (a flag naming what did not change is an error to generate)."""
    tables: dict[str, str] = {}
    columns: dict[tuple[str, str], str] = {}
    old_of = {new: old for old, new in hints.tables.items()}
    for old, new in hints.tables.items():
        if old in before and old not in after and new in after and new not in before:
            tables[old] = new
    for (table, old), new in hints.columns.items():
        was = before.get(old_of.get(table, table), set())
        now = after.get(table, set())
        if old in was and old not in now and new in now and new not in was:
            columns[(table, old)] = new
    dropped_tables = {t for t in hints.dropped_tables if t in before and t not in after}
    dropped = set(hints.dropped_columns)
    for table, mapping in hints.rebuilt.items():  # what a rebuild did not copy is gone
        dropped |= {(table, c) for c in before.get(table, set()) if c not in mapping}
    dropped_columns = {
        (t, c) for t, c in dropped if c in before.get(old_of.get(t, t), set()) and t in after and c not in after[t]
    }
    return Renames(tables, columns, frozenset(dropped_tables), frozenset(dropped_columns))


def replay(dialect: str, history: Path, work: Path, schemas: tuple[str, ...] = ()) -> HistoryResult:
    """Every step of `history` (its ORDER.txt), each step's result by file name; `schemas`:
    the app's own schemas besides public, pulled and compared with it."""
    started = time.perf_counter()
    files = [history / n for n in (history / "ORDER.txt").read_text(encoding="utf-8").split()]
    out: dict[str, StepResult] = {}
    with ExitStack() as stack:
        run = Replay(dialect, history, work, stack, schemas)
        for f in files:
            out[f.name] = run.step(f)
    return HistoryResult(out, time.perf_counter() - started)
