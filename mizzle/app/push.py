"""A database compared with a schema, and changed straight to it: the logic behind `mizzle push`
(introspect → diff → plan → apply, no migration files) and `mizzle check` (drift).

Both compare like with like: the schema as the database would hold it (`Dialect.project`,
e.g. SQLite's single auto-increment type) against what introspection reads back. Both
models are canonical, so an unchanged database compares equal without any per-table query
or SQL parsing beyond introspection's own. One thing the model cannot canonicalise alone is
how PostgreSQL prints an expression it was given (`(name)::text` casts on varchar operands,
BETWEEN expanded, `*` expanded in a view body): checks, indexes, defaults and views whose
text differs are created once more in a scratch schema, in a transaction rolled back, and
compared as the database printed them there (`Dialect.normalise`, in
`dialects/postgresql/normalise.py`), so a push after a push finds nothing to do.

A push runs as one migration without a tracking row: one transaction (SQLite table rebuilds
with foreign keys off around it and `foreign_key_check` before COMMIT), guards that stop it
with a clear message when a change cannot succeed on the rows, all through the migration
runner. What a push would destroy is counted first, in one query, so that the confirmation
says what is at stake: `drop table tune (1,234 rows)`.

Concurrency: `prepare` reads the database in several queries (introspection, the loss
counts), so a caller holds the write lock (`runner.write_lock`) around it, as `mizzle push`
does; the confirmation of losses must not hold other processes up, so it waits outside the
lock. `apply` takes the lock again, introspects once more and runs the plan only if the
database is still the one it was made for: another migrate, rollback or push in between
makes it refuse, changing nothing, instead of running a plan made for a database that no
longer exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, cast

from mizzle.core import qualified
from mizzle.core.errors import MizzleError
from mizzle.core.introspection import Unsupported
from mizzle.core.migration_text import parse_file, render_file
from mizzle.core.model import Schema
from mizzle.core.operations import DropColumn, DropSyncSupport, DropTable, Operation, RenameTable, Safety
from mizzle.core.plan import Plan
from mizzle.core.quoting import quoted_name
from mizzle.core.renames import Asker, Renames
from mizzle.core.runner import run_untracked, write_lock
from mizzle.core.sync.names import TOMBSTONES
from mizzle.core.table_filter import EVERY_TABLE, TableFilter
from mizzle.core.tracking import MigrationDatabase
from mizzle.dialects import get_dialect

if TYPE_CHECKING:
    from mizzle.app.config import Config
    from mizzle.core.urls import DatabaseURL


@dataclass(frozen=True)
class Comparison:
    """A live database next to the schema it should hold."""

    dialect: str
    #: the database as introspected
    current: Schema
    #: the schema as this database would hold it
    target: Schema
    #: objects of the database the model cannot hold (never touched by a push)
    unsupported: tuple[Unsupported, ...]
    #: the tables compared (the others, and other tools' migration tables, are not seen)
    tables: TableFilter = EVERY_TABLE


@dataclass(frozen=True)
class PushPlan:
    comparison: Comparison
    operations: tuple[Operation, ...]
    plan: Plan
    #: one line per change that destroys data, with what it destroys (`drop table tune (3 rows)`)
    losses: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not self.operations

    def script(self) -> str:
        """The SQL a push runs, as a migration file (header, directives, statements)."""
        return render_file(self.plan, f"push ({self.plan.dialect})")


def compare(db: MigrationDatabase, conn: Any, schema: Schema, tables: TableFilter = EVERY_TABLE) -> Comparison:
    """Introspect the database behind `conn` (which `db` wraps) and project `schema` for it;
    both sides hold only the tables `tables` keeps, so the others are never dropped."""
    dialect = get_dialect(db.dialect)
    introspected = dialect.introspect(conn, schema_names(schema))
    target, _ = dialect.project(schema)
    # names the database changed (PostgreSQL cuts them to 63 bytes) are read back as declared
    found = dialect.as_declared(introspected.schema, target)
    return Comparison(db.dialect, tables.apply(found), tables.apply(target), introspected.unsupported, tables)


def prepare(
    db: MigrationDatabase,
    conn: Any,
    schema: Schema,
    renames: Renames | None = None,
    ask: Asker | None = None,
    tables: TableFilter = EVERY_TABLE,
) -> PushPlan:
    """What pushing `schema` to the database would do, to the tables `tables` keeps.
    `renames`/`ask`: as for `diff`; an unsettled rename raises AmbiguousRename."""
    from mizzle.core.renames import resolve

    comparison = compare(db, conn, schema, tables)
    # Settled once: the prompts must not be asked again when the diff is taken a second time.
    return planned(db, conn, comparison, resolve(comparison.current, comparison.target, renames, ask))


def planned(db: MigrationDatabase, conn: Any, comparison: Comparison, settled: Renames) -> PushPlan:
    """The plan that makes the database hold `comparison.target`, its renames settled: the
    diff is taken again after the database's own spelling of what it would write is read
    back (`normalised`), so that what the database already holds plans nothing."""
    from mizzle.core.diff import diff

    operations = diff(comparison.current, comparison.target, settled)
    if operations:
        comparison = normalised(db, conn, comparison, operations)
        operations = diff(comparison.current, comparison.target, settled)
    if not operations:
        return PushPlan(comparison, (), Plan(db.dialect, ()), ())
    plan = get_dialect(db.dialect).plan(operations, comparison.current, comparison.target)
    return PushPlan(comparison, tuple(operations), plan, tuple(losses(db, operations)))


def apply(db: MigrationDatabase, conn: Any, push: PushPlan) -> int:
    """Run the push's plan: all of it or, on any failure, none (MigrationFailed says why).
    Return its duration in milliseconds. Inside the write lock, the database behind `conn`
    is introspected again first: when it is no longer what the plan was made from, MizzleError
    and nothing is changed."""
    with write_lock(db):
        schemas = schema_names(push.comparison.current) + schema_names(push.comparison.target)
        now = push.comparison.tables.apply(get_dialect(db.dialect).introspect(conn, schemas).schema)
        if now != push.comparison.current:
            raise MizzleError(
                "push refused: the database changed after it was compared with the schema (another migrate, "
                "rollback or push ran meanwhile), nothing was changed: run push again"
            )
        return run_untracked(db, parse_file(push.script()), "push")


def drift(db: MigrationDatabase, conn: Any, comparison: Comparison) -> list[Operation]:
    """The operations that would turn the database into what it should be: empty when it
    matches. Nothing counts as a rename here (a table renamed by hand shows as a drop and an
    add): drift describes what differs, it does not guess how it came about."""
    from mizzle.core.diff import diff

    settled = no_renames(comparison.current, comparison.target)
    operations = diff(comparison.current, comparison.target, settled)
    if operations:
        comparison = normalised(db, conn, comparison, operations)
        operations = diff(comparison.current, comparison.target, settled)
    return operations


_VERB_STATE = (("create ", "missing"), ("add ", "missing"), ("drop ", "unexpected"))
_LOST = re.compile(r" \(its (rows|values) are lost\)$")


def describe_drift(op: Operation) -> str:
    """One drift operation as what differs, from the database's side: `missing index
    tune_title_idx on tune`, `unexpected column tune.extra`, `differs: alter column ...`."""
    text = op.describe()
    for verb, state in _VERB_STATE:
        if text.startswith(verb):
            return f"{state} {_LOST.sub('', text[len(verb) :])}"
    return f"differs: {text}"


def no_renames(old: Schema, new: Schema) -> Renames:
    """Renames that settle every candidate as dropped."""
    gone_tables = frozenset(t.name for t in old.tables if new.table(t.name) is None)
    gone_columns = frozenset(
        (t.name, c.name)
        for t in old.tables
        if (n := new.table(t.name)) is not None
        for c in t.columns
        if n.column(c.name) is None
    )
    return Renames(dropped_tables=gone_tables, dropped_columns=gone_columns)


# --- expressions as the database prints them ---------------------------------------------------------


def normalised(db: MigrationDatabase, conn: Any, comparison: Comparison, operations: list[Operation]) -> Comparison:
    """The comparison with the target's objects that differ from the database only in how
    the database prints them spelled as it prints them (`Dialect.normalise`), so that an
    object equal in meaning but not in text is not changed on every push."""
    target = get_dialect(db.dialect).normalise(db, conn, comparison.target, operations)
    return comparison if target is comparison.target else replace(comparison, target=target)


# --- what a change destroys -------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def losses(db: MigrationDatabase, operations: Iterable[Operation]) -> list[str]:
    """One line per data-losing operation, with the rows or values it destroys, counted in a
    single query: `drop table tune (1,234 rows)`, `drop column tune.notes (1,200 non-null values)`."""
    return [text for text, _ in counted_losses(db, operations)]


def counted_losses(db: MigrationDatabase, operations: Iterable[Operation]) -> list[tuple[str, int | None]]:
    """`losses` with each count as a number (None for a loss that is not counted), for a
    caller that weighs them (`mizzle.app.rollback`)."""
    operations = list(operations)
    # Operations name tables as they are after this push's renames; the counts run before it.
    old_name = {op.new: op.old for op in operations if isinstance(op, RenameTable)}
    counted: list[tuple[str, str, str]] = []  # (description, count expression, unit)
    plain: list[str] = []
    for op in operations:
        if op.safety is not Safety.DATA_LOSS:
            continue
        if isinstance(op, DropTable):
            counted.append((f"drop table {op.table.name}", f"SELECT count(*) FROM {quoted_name(op.table.name)}", "row"))
        elif isinstance(op, DropColumn):
            table = quoted_name(old_name.get(op.table, op.table))
            query = f"SELECT count({quoted_name(op.column.name)}) FROM {table}"
            counted.append((f"drop column {op.table}.{op.column.name}", query, "non-null value"))
        elif isinstance(op, DropSyncSupport):
            # What is lost is the log of deletes not yet pulled by every device: count it.
            query = f"SELECT count(*) FROM {quoted_name(TOMBSTONES)}"
            counted.append(("drop the sync support objects (the tombstone log)", query, "tombstone"))
        else:
            plain.append(op.describe())
    uncounted: list[tuple[str, int | None]] = [(text, None) for text in plain]
    if not counted:
        return uncounted
    select = "SELECT " + ", ".join(f"({query})" for _, query, _ in counted)
    (row,) = db.query(select)
    counts = [cast(int, n) for n in row]  # count() gives an int on both databases
    lines = [(f"{what} ({_plural(n, unit)})", n) for (what, _, unit), n in zip(counted, counts, strict=True)]
    return lines + uncounted


# --- the use case -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pushed:
    """What `push` did, or would do (a dry run, or nothing to push)."""

    plan: PushPlan
    #: whether the plan ran (False: a dry run, or the database already matched)
    applied: bool
    #: how long it ran, in milliseconds; None when it did not run
    duration_ms: int | None
    #: objects of a .sql schema that mizzle does not carry (never pushed)
    unsupported: tuple[Unsupported, ...]


def push(
    config: Config,
    url: DatabaseURL,
    *,
    dry_run: bool = False,
    renames: Renames | None = None,
    ask: Asker | None = None,
    force: bool = False,
    confirm: Callable[[list[str]], None] | None = None,
    on_unsupported: Callable[[Unsupported], None] | None = None,
) -> Pushed:
    """Change the database at `url` to the config's schema, in one transaction (no migration
    is written); a SQLite file is created. A dry run plans on a missing file as on an empty
    database and changes nothing, not even by making SQLite's lock file.

    When the push loses data and not `force`, `confirm` is called with the losses (`drop table
    tune (3 rows)`) and raises to stop before anything changes; without `confirm`, such a push
    is refused (a caller that asks nobody destroys nothing by default).
    `renames`/`ask` settle renames as for `generate`. `on_unsupported` hears each object the
    schema holds that mizzle does not carry before any question is asked."""
    from mizzle.app.database import opened
    from mizzle.app.generate import check_fits
    from mizzle.sources.load import load_schema

    loaded = load_schema(config.require_schema(), config.sync_tables)
    check_fits(loaded.schema, url.dialect)
    if declared := config.tables_filter.declared(loaded.schema):
        # Left out of the comparison, such a table would never be created: say so instead
        raise MizzleError(
            f"the schema declares {declared[0]}, which tables_filter in {config.where} leaves out: "
            "change the filter or the schema"
        )
    unsupported = tuple(loaded.unsupported)
    if on_unsupported is not None:
        for item in unsupported:
            on_unsupported(item)
    with opened(url, create=not dry_run, missing_as_empty=dry_run) as database:
        # Read and planned while no other migrate, rollback or push changes the database (its
        # introspection and loss counts are several queries); the confirmation waits outside
        # the lock, and `apply` checks, holding it again, that nothing changed since.
        with write_lock(database.db) if not dry_run else nullcontext():
            plan = prepare(database.db, database.conn, loaded.schema, renames, ask, config.tables_filter)
        if plan.empty or dry_run:
            return Pushed(plan, False, None, unsupported)
        if plan.losses and not force:
            if confirm is None:
                raise MizzleError(f"push would lose data: {'; '.join(plan.losses)}: nothing was changed")
            confirm(list(plan.losses))
        duration = apply(database.db, database.conn, plan)
    return Pushed(plan, True, duration, unsupported)


def schema_names(schema: Schema) -> list[str]:
    """The app's schemas other than the default one that `schema` has objects in: the ones
    a comparison reads from the database besides the default schema."""
    return qualified.schemas_in(schema)
