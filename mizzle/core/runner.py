"""Applying and rolling back migrations on any database that implements `MigrationDatabase`.

Pure Python over the adapter protocol (`mizzle.core.tracking`), standard library only, so
the same runner serves the CLI (psycopg, sqlite3) and the browser runtime (a JS SQLite).

- Pending migrations are chosen by NAME: every local migration without a tracking row. One
  that sorts before the last applied migration (typically merged from another branch) is
  out of order: reported, and refused unless allowed, never skipped.
- An applied migration whose up file changed since (checksum), or that is gone locally, stops
  `migrate` before it does anything; `rollback` also refuses a down file that changed since
  the migration was applied (when its checksum was recorded).
- Each migration runs in one transaction together with its tracking row (which records the
  up file's checksum and the down file's). A statement marked `-- mizzle:no-transaction`
  runs alone between transactions (the tracking row goes with the last part); each
  transaction before the last also records in `__mizzle_progress` how many parts have
  committed, so a run interrupted between parts (kill -9) resumes after them, and a
  no-transaction statement must be safe to run again (the generated CREATE INDEX
  CONCURRENTLY first drops an index of its name, which a crash may have left invalid).
  Guards run in the transaction; a non-zero count rolls it back. A file marked
  `-- mizzle:foreign-keys-off` runs with foreign keys off (set outside the transaction,
  where SQLite honours it), is checked with foreign_key_check before COMMIT, and foreign
  keys are turned back on afterwards, also after a failure.
- On any failure: ROLLBACK, and `MigrationFailed` naming the migration, the statement and
  the database's message: the database is exactly as before that migration.
- Concurrency: every command that writes holds the database's write lock (`write_lock`:
  PostgreSQL's advisory lock, SQLite's lock file) from before it reads the tracking table
  until its last migration commits, so what it decides to apply or undo is what the database
  holds when it runs: a process that waited for another finds that one's work done. A
  caller that showed someone what a rollback will undo passes those names as `expected`,
  and the rollback refuses, inside the lock, if it would now undo anything else.
- Progress: `on_done(outcome)` is called as each migration commits, so a caller can report
  the ones that stay applied before a later one fails.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from mizzle.core.errors import MizzleError
from mizzle.core.migration_text import ParsedMigration, ParsedStatement, parse_file
from mizzle.core.tracking import (
    PROGRESS_TABLE,
    TRACKING_TABLE,
    AppliedMigration,
    DatabaseError,
    MigrationDatabase,
    Progress,
)

T = TypeVar("T")


class Migration(Protocol):
    """A migration as the runner sees it (`mizzle.core.migrations.LocalMigration` on disk;
    the browser runtime builds them from a manifest)."""

    @property
    def name(self) -> str: ...

    def sql(self, dialect: str) -> str: ...

    def down_sql(self, dialect: str) -> str | None: ...

    def checksum(self, dialect: str) -> str: ...


@dataclass(frozen=True)
class Problem:
    """Something wrong with the migrations, as one line saying how to resolve it. `kind`
    (runner): missing, edited, down-edited, out-of-order, interrupted; (integrity.py):
    sum-missing, sum-malformed, sum-conflict, sum-edited, edited, added, missing, gap,
    collision, stray."""

    kind: str
    migration: str | None
    message: str


@dataclass(frozen=True)
class Status:
    applied: list[AppliedMigration]
    pending: list[str]
    problems: list[Problem]


class MigrationFailed(MizzleError):
    """A migration (or its rollback) failed and was rolled back; the message says why."""

    def __init__(self, message: str, migration: str) -> None:
        super().__init__(message)
        self.migration = migration


@dataclass(frozen=True)
class Outcome:
    name: str
    #: what runs (or would run), as a script a person can read; None when not asked for
    #: (`migrate(..., scripts=False)`: a device upgrading itself has no one to show it to)
    script: str | None
    #: None on a dry run and when skipped
    duration_ms: int | None = None
    #: another process applied (or rolled back) it while this one waited
    skipped: bool = False


@dataclass(frozen=True)
class Report:
    direction: Literal["up", "down"]
    dry_run: bool
    outcomes: tuple[Outcome, ...] = ()
    #: e.g. out-of-order migrations that were allowed to run
    warnings: tuple[str, ...] = field(default=())

    @property
    def done(self) -> list[str]:
        """Names applied (or rolled back) by this run, in the order run."""
        return [o.name for o in self.outcomes if not o.skipped and not self.dry_run]

    def sql(self) -> str:
        """The SQL of every migration in the run (what a dry run prints)."""
        return "\n".join(o.script for o in self.outcomes if o.script is not None)


# --- status -------------------------------------------------------------------------------


def status(db: MigrationDatabase, migrations: Sequence[Migration]) -> Status:
    """Applied and pending migrations, and what is wrong between the database and the folder
    (also a migration, or a rollback, interrupted between its parts)."""
    st = _status(_applied(db), migrations, db.dialect)
    interrupted = []
    for name in [*st.pending, *(row.name for row in st.applied)]:
        try:
            saved = db.progress(name)
        except DatabaseError as err:
            raise MizzleError(f"cannot read the progress table {PROGRESS_TABLE}: {err}") from None
        if saved is not None:
            run, command = ("rollback", "rollback") if saved.direction == "down" else ("migration", "migrate")
            interrupted.append(
                Problem(
                    "interrupted",
                    name,
                    f"the {run} of {name} was interrupted after {saved.parts} of its parts (split by "
                    f"no-transaction statements) committed: run `mizzle {command}` again to resume it",
                )
            )
    return Status(applied=st.applied, pending=st.pending, problems=st.problems + interrupted)


def _applied(db: MigrationDatabase) -> list[AppliedMigration]:
    try:
        return db.applied()
    except DatabaseError as err:
        raise MizzleError(f"cannot read the tracking table {TRACKING_TABLE}: {err}") from None


def _status(applied: list[AppliedMigration], migrations: Sequence[Migration], dialect: str) -> Status:
    local = {m.name: m for m in migrations}
    problems = []
    for row in applied:
        m = local.get(row.name)
        if m is None:
            problems.append(
                Problem(
                    "missing",
                    row.name,
                    f"migration {row.name} is applied to this database but missing from the migrations folder: "
                    "restore its folder (e.g. from git)",
                )
            )
        elif m.checksum(dialect) != row.checksum:
            problems.append(
                Problem(
                    "edited",
                    row.name,
                    f"migration {row.name} was edited after it was applied to this database (its {dialect} file's "
                    "checksum differs): restore the applied version and put the change in a new migration",
                )
            )
        elif row.down_checksum is not None and down_checksum(m, dialect) != row.down_checksum:
            problems.append(
                Problem(
                    "down-edited",
                    row.name,
                    f"migration {row.name}'s down.{dialect}.sql was edited after the migration was applied to this "
                    "database (its checksum differs): rollback refuses it; restore the version it was applied with",
                )
            )
    done = {row.name for row in applied}
    pending = sorted(name for name in local if name not in done)
    last = max(done, default=None)
    for name in pending:
        if last is not None and name < last:
            problems.append(
                Problem(
                    "out-of-order",
                    name,
                    f"migration {name} is pending but sorts before {last}, which is already applied (typically "
                    "merged from another branch): check they do not conflict, then allow out-of-order "
                    "migrations, or renumber it after the last one",
                )
            )
    return Status(applied=applied, pending=pending, problems=problems)


# --- migrate ------------------------------------------------------------------------------


def migrate(
    db: MigrationDatabase,
    migrations: Sequence[Migration],
    to: str | None = None,
    dry_run: bool = False,
    allow_out_of_order: bool = False,
    scripts: bool = True,
    on_done: Callable[[Outcome], None] | None = None,
) -> Report:
    """Apply the pending migrations in name order (up to and including `to`), each in its
    own transaction. `dry_run`: change nothing (not even create the tracking table) and
    return what would run. `scripts`: give each outcome its readable script. `on_done`:
    called with each outcome as soon as its migration has committed (not on a dry run)."""
    by_name = {m.name: m for m in migrations}
    if to is not None and to not in by_name:
        raise MizzleError(f"no migration named {to} in the migrations folder")
    if dry_run:
        selected, warnings = _select(_applied(db), migrations, db.dialect, to, allow_out_of_order)
        outcomes = [Outcome(name, _script(db, name, parse_file(by_name[name].sql(db.dialect)))) for name in selected]
        return Report("up", dry_run=True, outcomes=tuple(outcomes), warnings=tuple(warnings))
    with write_lock(db):
        try:
            db.ensure_tracking()
        except DatabaseError as err:
            raise MizzleError(f"cannot create the tracking table {TRACKING_TABLE}: {err}") from None
        selected, warnings = _select(_applied(db), migrations, db.dialect, to, allow_out_of_order)
        outcomes = []
        for name in selected:
            m = by_name[name]
            parsed = parse_file(m.sql(db.dialect))
            duration = _run(
                db, name, parsed, "up", checksum=m.checksum(db.dialect), down_checksum=down_checksum(m, db.dialect)
            )
            script = _script(db, name, parsed) if scripts else None
            outcomes.append(Outcome(name, script, duration, skipped=duration is None))
            if on_done is not None:
                on_done(outcomes[-1])
    return Report("up", dry_run=False, outcomes=tuple(outcomes), warnings=tuple(warnings))


def _select(
    applied: list[AppliedMigration],
    migrations: Sequence[Migration],
    dialect: str,
    to: str | None,
    allow_out_of_order: bool,
) -> tuple[list[str], list[str]]:
    """The migrations to apply, and warnings; MizzleError when migrating must not start."""
    st = _status(applied, migrations, dialect)
    for problem in st.problems:
        if problem.kind in ("missing", "edited"):
            raise MizzleError(f"cannot migrate: {problem.message}")
    selected = [name for name in st.pending if to is None or name <= to]
    out_of_order = [p for p in st.problems if p.kind == "out-of-order" and p.migration in selected]
    if out_of_order and not allow_out_of_order:
        more = f" (and {len(out_of_order) - 1} more)" if len(out_of_order) > 1 else ""
        raise MizzleError(f"cannot migrate: {out_of_order[0].message}{more}")
    last = max((row.name for row in applied), default="")
    warnings = [f"applying {p.migration} out of order: it sorts before {last}, already applied" for p in out_of_order]
    return selected, warnings


# --- rollback -----------------------------------------------------------------------------


def rollback(
    db: MigrationDatabase,
    migrations: Sequence[Migration],
    steps: int = 1,
    to: str | None = None,
    dry_run: bool = False,
    expected: Sequence[str] | None = None,
    on_done: Callable[[Outcome], None] | None = None,
) -> Report:
    """Undo the last `steps` applied migrations, newest first (in the order they were
    applied, which differs from name order after an out-of-order run), or every one applied
    after `to` (which stays applied). Each down file runs in its own transaction with the
    removal of its tracking row. Refuses, before undoing anything, when `steps` is more than
    are applied, or a migration to undo has no down file, is missing locally, or was edited
    (up file, or its down file where its checksum was recorded) since it was applied.

    The migrations to undo are chosen inside the write lock. `expected`: the names (newest
    first) a caller showed or confirmed (see `planned_rollback`); when the database now holds
    something else to undo (another process migrated or rolled back meanwhile), nothing is
    undone and MizzleError says so. `on_done`: as for `migrate`."""
    if to is None and steps < 1:
        raise MizzleError(f"cannot roll back {steps} steps: give at least 1")
    if dry_run:
        targets = _targets(_applied(db), migrations, db.dialect, steps, to)
        outcomes = [Outcome(name, _script(db, name, parsed)) for name, parsed in targets]
        return Report("down", dry_run=True, outcomes=tuple(outcomes))
    with write_lock(db):
        targets = _targets(_applied(db), migrations, db.dialect, steps, to)
        if expected is not None and [name for name, _ in targets] != list(expected):
            raise MizzleError(
                f"cannot roll back {_names(expected)}: the database changed meanwhile (another process migrated or "
                f"rolled back), it would now undo {_names([name for name, _ in targets])}; nothing was rolled back"
            )
        outcomes = []
        for name, parsed in targets:
            duration = _run(db, name, parsed, "down")
            outcomes.append(Outcome(name, _script(db, name, parsed), duration, skipped=duration is None))
            if on_done is not None:
                on_done(outcomes[-1])
    return Report("down", dry_run=False, outcomes=tuple(outcomes))


def _names(names: Sequence[str]) -> str:
    return ", ".join(names) if names else "nothing"


def planned_rollback(
    db: MigrationDatabase, migrations: Sequence[Migration], steps: int = 1, to: str | None = None
) -> list[tuple[str, ParsedMigration]]:
    """What `rollback` would undo now, newest first, each with its parsed down file (read
    without the lock: pass the names as `rollback(..., expected=...)` to undo exactly these).
    MizzleError when the rollback would be refused."""
    if to is None and steps < 1:
        raise MizzleError(f"cannot roll back {steps} steps: give at least 1")
    return _targets(_applied(db), migrations, db.dialect, steps, to)


def down_checksum(migration: Migration, dialect: str) -> str | None:
    """sha256 of the migration's down file as `mizzle.core.migrations.checksum` computes it for
    the file (its text has normalised line endings already), or None when it has none."""
    down = migration.down_sql(dialect)
    return None if down is None else hashlib.sha256(down.encode("utf-8")).hexdigest()


def _targets(
    applied: list[AppliedMigration], migrations: Sequence[Migration], dialect: str, steps: int, to: str | None
) -> list[tuple[str, ParsedMigration]]:
    """The migrations to undo, newest first, each with its parsed down file."""
    names = [row.name for row in applied]
    if to is not None:
        if to not in names:
            raise MizzleError(f"cannot roll back to {to}: it is not applied to this database")
        rows = applied[names.index(to) + 1 :]
    else:
        # More steps than applied would quietly undo everything, the first migration too.
        if steps > max(len(applied), 1):
            one = len(applied) == 1
            count = f"only {len(applied)} migration{'' if one else 's'} {'is' if one else 'are'}"
            raise MizzleError(
                f"cannot roll back {steps} steps: {count} applied to this database "
                f"(--steps {len(applied)} undoes them all)"
                if applied
                else f"cannot roll back {steps} steps: no migration is applied to this database"
            )
        rows = applied[-steps:]
    local = {m.name: m for m in migrations}
    out = []
    for row in reversed(rows):
        m = local.get(row.name)
        if m is None:
            raise MizzleError(f"cannot roll back {row.name}: it is missing from the migrations folder")
        if m.checksum(dialect) != row.checksum:
            raise MizzleError(
                f"cannot roll back {row.name}: it was edited after it was applied (its {dialect} file's checksum "
                "differs), so its down file may not undo what ran; restore the applied version first"
            )
        down = m.down_sql(dialect)
        if down is None:
            raise MizzleError(f"cannot roll back {row.name}: it has no down.{dialect}.sql")
        # NULL: applied before mizzle recorded down checksums (or with no down file); nothing
        # to compare with, so the down file is trusted as the folder's mizzle.sum check left it.
        if row.down_checksum is not None and down_checksum(m, dialect) != row.down_checksum:
            raise MizzleError(
                f"cannot roll back {row.name}: its down.{dialect}.sql was edited after the migration was applied "
                "(its checksum differs from the one recorded then), so it may not undo what ran; restore the "
                "version it was applied with"
            )
        out.append((row.name, parse_file(down)))
    return out


def run_untracked(db: MigrationDatabase, parsed: ParsedMigration, name: str) -> int:
    """Run `parsed` as a migration is run (one transaction, guards, foreign keys off when it
    says so, all of it or nothing) but with no tracking row: what `push` applies. Holds the
    run lock, so it waits for a migration in progress. Return its duration in ms; on
    failure, MigrationFailed names it as `name` (e.g. "push")."""
    with write_lock(db):
        duration = _run(db, name, parsed, "untracked")
    assert duration is not None  # only a tracked run can find itself already done
    return duration


# --- running one migration ----------------------------------------------------------------


@dataclass(frozen=True)
class _Segment:
    """Statements that run together: in one transaction, or (`transactional` False) a single
    statement on its own."""

    statements: tuple[ParsedStatement, ...]
    transactional: bool


def _segments(db: MigrationDatabase, parsed: ParsedMigration) -> list[_Segment]:
    segments: list[_Segment] = []
    current: list[ParsedStatement] = []
    for chunk in parsed.statements:
        if chunk.guard_message is not None:
            current.append(chunk)
            continue
        for sql in db.split_script(chunk.sql):
            statement = ParsedStatement(sql=sql, transactional=chunk.transactional)
            if statement.transactional:
                current.append(statement)
            else:
                if current:
                    segments.append(_Segment(tuple(current), True))
                    current = []
                segments.append(_Segment((statement,), False))
    if current:
        segments.append(_Segment(tuple(current), True))
    return segments


def _first_line(sql: str, position: int | None = None, limit: int = 100) -> str:
    """The line of `sql` holding `position` (a character offset), else its first line of code."""
    if position is not None and 0 <= position < len(sql):
        start = sql.rfind("\n", 0, position) + 1
        end = sql.find("\n", position)
        line = sql[start : end if end >= 0 else len(sql)].strip()
    else:
        lines = [ln.strip() for ln in sql.splitlines() if ln.strip() and not ln.strip().startswith("--")]
        line = lines[0] if lines else sql.strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."


class _Stop(Exception):
    """Internal: why a migration stopped (a failed statement, a guard, broken foreign keys)."""


def _run(
    db: MigrationDatabase,
    name: str,
    parsed: ParsedMigration,
    direction: Literal["up", "down", "untracked"],
    checksum: str = "",
    down_checksum: str | None = None,
) -> int | None:
    """Run one migration's up (`checksum`, `down_checksum`: its up and down files') or down
    file; its tracking row is written (or removed) in the last transaction. Return the
    duration in ms, or None when, asked inside the first transaction, the tracking table says
    another process did it. "untracked": run `parsed` the same way, but with no tracking row
    to write or read.

    A file with no-transaction statements is run in parts; each transaction before the last
    records how many parts have committed (`__mizzle_progress`), and a run that finds such a
    record (the previous one was killed between parts) starts after those parts."""
    segments = _segments(db, parsed)
    subject = {"up": f"migration {name}", "down": f"rollback of {name}", "untracked": name}[direction]
    resumable = direction != "untracked" and len(segments) > 1
    fingerprint = _fingerprint(segments)
    committed = 0
    checked = False
    started = time.perf_counter()

    def elapsed_ms() -> int:
        return round((time.perf_counter() - started) * 1000)

    def check_needed() -> bool:
        nonlocal checked, started
        if checked or direction == "untracked":
            return True
        checked = True
        started = time.perf_counter()  # the time spent waiting for another run's lock is not this one's
        applied = name in {row.name for row in _do(db.applied, "reading the tracking table")}
        return applied == (direction == "down")

    def finish() -> None:
        if direction == "up":
            db.record(name, checksum, elapsed_ms(), down_checksum)
        elif direction == "down":
            db.unrecord(name)
        if resumable:
            db.clear_progress(name)

    start = 0
    if resumable:
        _do(db.begin, "BEGIN", name=name, subject=subject)
        try:
            needed = check_needed()
            saved = db.progress(name)
        except (_Stop, DatabaseError) as err:
            _quiet_rollback(db)
            raise MigrationFailed(f"{subject} did not start: reading the tracking tables failed: {err}", name) from None
        _quiet_rollback(db)
        if not needed:
            return None
        start = _resumed(subject, name, direction, fingerprint, len(segments), saved)
        committed = start

    if parsed.foreign_keys_off:
        _do(lambda: db.foreign_keys(False), "PRAGMA foreign_keys = OFF", name=name, subject=subject)
    try:
        for index, segment in enumerate(segments):
            if index < start:
                continue  # committed by an earlier run that was interrupted
            last = index == len(segments) - 1
            if segment.transactional:
                _do(db.begin, "BEGIN")
                if not check_needed():
                    _do(db.rollback, "ROLLBACK")
                    return None
                _execute_all(db, segment.statements)
                if parsed.foreign_keys_off:
                    _check_foreign_keys(db)
                if last:
                    _do(finish, "writing the tracking row")
                elif resumable:
                    _save_progress(db, Progress(name, direction, fingerprint, index + 1))
                _do(db.commit, "COMMIT")
            else:
                if not checked:
                    _do(db.begin, "BEGIN")
                    needed = check_needed()
                    _do(db.rollback, "ROLLBACK")
                    if not needed:
                        return None
                _execute_all(db, segment.statements)
            committed += 1
        if not segments or not segments[-1].transactional:
            _do(db.begin, "BEGIN")
            if not check_needed():
                _do(db.rollback, "ROLLBACK")
                return None
            _do(finish, "writing the tracking row")
            _do(db.commit, "COMMIT")
    except _Stop as stop:
        _quiet_rollback(db)
        if committed:
            outcome = (
                f"{committed} of its {len(segments)} parts (split by no-transaction statements) had committed "
                f"and stay {'undone' if direction == 'down' else 'applied'}"
            )
            outcome += (
                f" ({PROGRESS_TABLE} records them): fix the cause and run it again to resume after them"
                if resumable
                else ": undo them by hand before running it again"
            )
        else:
            outcome = "nothing of it was undone" if direction == "down" else "nothing of it was applied"
        raise MigrationFailed(f"{subject} failed, {outcome}: {stop}", name) from None
    finally:
        if parsed.foreign_keys_off:
            _quiet_rollback(db)
            with suppress(DatabaseError):
                db.foreign_keys(True)
    return elapsed_ms()


def _save_progress(db: MigrationDatabase, progress: Progress) -> None:
    _do(lambda: db.save_progress(progress), f"writing {PROGRESS_TABLE}")


def _fingerprint(segments: list[_Segment]) -> str:
    """What identifies the parts a progress row counts: a hash of their statements."""
    h = hashlib.sha256()
    for segment in segments:
        h.update(b"T" if segment.transactional else b"N")
        for statement in segment.statements:
            h.update(statement.sql.encode("utf-8") + b"\0")
    return h.hexdigest()


def _resumed(subject: str, name: str, direction: str, fingerprint: str, parts: int, saved: Progress | None) -> int:
    """The first part to run: after those an interrupted run recorded, else 0. A record left
    by another file (edited since) or direction cannot be resumed: MigrationFailed says what to do."""
    if saved is None:
        return 0
    if saved.direction == direction and saved.fingerprint == fingerprint and 0 < saved.parts < parts:
        return saved.parts
    run = "rollback" if saved.direction == "down" else "migration"
    raise MigrationFailed(
        f"{subject} did not start: an earlier {run} of {name} was interrupted after {saved.parts} of its parts "
        f"committed, and its file has changed since (or it ran the other way): restore the file it ran with "
        f"and run that again to finish it, or undo those parts by hand and delete the row of {name} from "
        f"{PROGRESS_TABLE}",
        name,
    )


def _do(action: Callable[[], T], what: str, *, name: str = "", subject: str = "") -> T:
    """Run an adapter call; a failure stops the migration (or, with `name`, fails it outright)."""
    try:
        return action()
    except DatabaseError as err:
        if name:
            raise MigrationFailed(f"{subject} did not start: {what} failed: {err}", name) from None
        raise _Stop(f"{what} -- {err}") from None


def _execute_all(db: MigrationDatabase, statements: tuple[ParsedStatement, ...]) -> None:
    """Run a segment's statements in order. Runs of plain statements (no guard between them)
    go to the database together (PostgreSQL: one round trip instead of one per statement);
    when one of them fails, the run is undone and sent again one by one, so that the error
    names the statement as it always did."""
    start = 0
    while start < len(statements):
        end = start
        while end < len(statements) and statements[end].guard_message is None:
            end += 1
        if end - start > 1 and _together(db, statements[start:end]):
            start = end
            continue
        for statement in statements[start : max(end, start + 1)]:
            _execute_one(db, statement)
        start = max(end, start + 1)


def _together(db: MigrationDatabase, run: tuple[ParsedStatement, ...]) -> bool:
    try:
        return db.execute_together([statement.sql for statement in run])
    except DatabaseError as err:  # the batch failed and could not be undone (a lost connection)
        raise _Stop(f"{err}") from None


def _execute_one(db: MigrationDatabase, statement: ParsedStatement) -> None:
    try:
        if statement.guard_message is None:
            db.execute(statement.sql)
            return
        rows = db.query(statement.sql)
    except DatabaseError as err:
        raise _Stop(f"`{_first_line(statement.sql, err.position)}` -- {err}") from None
    count = rows[0][0] if rows and rows[0] else None
    if not isinstance(count, int):
        raise _Stop(f"guard `{_first_line(statement.sql)}` returned {count!r} instead of a row count")
    if count != 0:
        raise _Stop(statement.guard_message.replace("{count}", str(count)))


def _check_foreign_keys(db: MigrationDatabase) -> None:
    broken = _do(db.foreign_key_violations, "PRAGMA foreign_key_check")
    if broken:
        what = "; ".join(f"{b.rows} row(s) of {b.table} point to missing rows of {b.parent}" for b in broken)
        raise _Stop(f"it would break foreign keys: {what}")


def _quiet_rollback(db: MigrationDatabase) -> None:
    """Roll back after a failure; a second failure (a lost connection) must not hide the first."""
    with suppress(DatabaseError):
        db.rollback()


@contextmanager
def write_lock(db: MigrationDatabase) -> Iterator[None]:
    """Hold the database's write lock (`MigrationDatabase.lock`), the one every command that
    changes the database takes before it reads what to do: take it around the reading and
    the deciding, not only the writing. Re-entrant (`migrate` inside it takes it again);
    releasing it never hides an error."""
    try:
        db.lock()
    except DatabaseError as err:
        raise MizzleError(f"cannot take the migration lock: {err}") from None
    try:
        yield
    finally:
        _quiet_rollback(db)
        with suppress(DatabaseError):
            db.unlock()  # if this fails, the lock goes with the session when the connection closes


def _script(db: MigrationDatabase, name: str, parsed: ParsedMigration) -> str:
    """A readable script of what running `parsed` does (printed by a dry run)."""
    lines = [f"-- {name}"]
    if parsed.foreign_keys_off:
        lines.append("-- foreign keys off (outside the transaction), foreign_key_check before COMMIT")
    segments = _segments(db, parsed)
    for index, segment in enumerate(segments):
        if segment.transactional:
            lines.append("BEGIN;")
        else:
            lines.append("-- outside a transaction:")
        for statement in segment.statements:
            if statement.guard_message is not None:
                lines.append(f"-- guard, must count 0: {statement.guard_message}")
            text = statement.sql.rstrip()
            lines.append(text if text.endswith(";") else text + ";")
        if segment.transactional:
            if index == len(segments) - 1:
                lines.append("-- + the tracking row")
            lines.append("COMMIT;")
    if not segments or not segments[-1].transactional:
        lines += ["BEGIN;", "-- + the tracking row", "COMMIT;"]
    return "\n".join(lines) + "\n"
