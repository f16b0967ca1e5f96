"""The PostgreSQL plan as a whole: one step per operation, each carrying its reverse (what
planning the reversed operation gives), written to a migration file and read back intact,
and a migration of many operations run on a real database and undone."""

from __future__ import annotations

import tracemalloc

from mizzle.core.migration_text import parse_file, render_file
from mizzle.core.model import Enum, ForeignKey, Index, IndexKey, NowDefault, Schema, View
from mizzle.core.operations import (
    AddColumn,
    AddForeignKey,
    AlterColumn,
    AlterEnum,
    CreateIndex,
    CreateTable,
    DropView,
    Operation,
    RenameColumn,
    RenameTable,
    reverse_all,
)
from mizzle.dialects import get_dialect
from mizzle.dialects.postgresql import plan
from tests.dialects.postgresql.planning import RoundTrip, after, col, expr, round_trip, table

MODE = Enum(name="mode", values=("major", "minor"))
PLAYLIST = table("playlist", col("id", "serial", nullable=False), col("name", "text"))
TUNE = table(
    "tune",
    col("id", "serial", nullable=False),
    col("title", "text"),
    col("plays", "integer"),
    col("mode", "enum", name="mode"),
    col("playlist_id", "integer"),
)
NAMES = View(name="names", query=expr("SELECT id, title FROM tune"))
BEFORE = Schema(tables=(PLAYLIST, TUNE), enums=(MODE,), views=(NAMES,))
ROWS = (
    "INSERT INTO playlist (name) VALUES ('session'), ('gig')",
    "INSERT INTO tune (title, plays, mode, playlist_id) VALUES "
    "('Kesh', 3, 'major', 1), (NULL, NULL, 'minor', 2), ('Banish', 10, NULL, NULL)",
)
MODES = AlterEnum(old=MODE, new=Enum(name="mode", values=("major", "dorian", "minor", "mixolydian")))
TUNE_MODE = TUNE.column("mode")
TUNE_PLAYS = TUNE.column("plays")
TUNE_TITLE = TUNE.column("title")
assert TUNE_MODE is not None and TUNE_PLAYS is not None and TUNE_TITLE is not None

OPS: list[Operation] = [
    DropView(view=NAMES),
    RenameTable(old="playlist", new="repertoire"),
    RenameColumn(table="tune", old="playlist_id", new="repertoire_id"),
    AddForeignKey(
        table="tune",
        fk=ForeignKey(
            name="tune_repertoire_id_fkey", columns=("repertoire_id",), ref_table="repertoire", ref_columns=("id",)
        ),
    ),
    AddColumn(table="tune", column=col("added", "timestamptz", nullable=False, default=NowDefault())),
    AlterColumn(table="tune", old=TUNE_PLAYS, new=col("plays", "bigint", nullable=False, default=0)),
    AlterColumn(table="tune", old=TUNE_TITLE, new=col("title", "varchar", length=40)),
    MODES,
    AlterColumn(table="tune", old=TUNE_MODE, new=col("mode", "enum", default="dorian", name="mode")),
    CreateIndex(table="tune", index=Index(name="tune_title_idx", keys=(IndexKey(column="title"),))),
    CreateTable(table=table("practice", col("id", "serial", nullable=False), col("tune_id", "integer"))),
]
#: the operations without the enum change (whose value addition moves to the front)
IN_ORDER = [op for op in OPS if op is not MODES and op.describe() != OPS[8].describe()]
AFTER = after(BEFORE, OPS)


def test_one_step_per_operation_each_named_by_it() -> None:
    p = plan(OPS, BEFORE, AFTER)
    assert p.dialect == "postgresql"
    assert [s.sources for s in p.steps] == [(MODES,)] + [(op,) for op in OPS if op is not MODES]
    assert [s.comment for s in p.steps] == [s.sources[0].describe() for s in p.steps]


def test_undoing_a_plan_runs_what_planning_the_reversed_operations_gives() -> None:
    down = plan(IN_ORDER, BEFORE, after(BEFORE, IN_ORDER)).down()
    backwards = plan(reverse_all(IN_ORDER), after(BEFORE, IN_ORDER), BEFORE)
    assert [s.statements for s in down.steps] == [s.statements for s in backwards.steps]
    assert [s.guards for s in down.steps] == [s.guards for s in backwards.steps]
    assert [s.sources for s in down.steps] == [s.sources for s in backwards.steps]


def test_the_migration_file_gives_back_every_statement_guard_and_directive() -> None:
    p = plan(OPS, BEFORE, AFTER, concurrently=True)
    parsed = parse_file(render_file(p, "0002_evolve (postgresql)"))
    expected = []
    for step in p.steps:
        expected += [(g.query + ";", True, g.message) for g in step.guards]
        expected += [(sql + ";", step.transactional, None) for sql in step.statements]
    assert [(s.sql, s.transactional, s.guard_message) for s in parsed.statements] == expected
    assert parsed.warnings == tuple(p.warnings())


def test_the_dialect_exports_its_planner() -> None:
    assert get_dialect("postgresql").plan is plan


def test_a_migration_of_many_operations_runs_keeps_the_rows_and_is_undone(pg_url: str) -> None:
    case = RoundTrip(
        "",
        BEFORE,
        OPS,
        ROWS,
        read="SELECT id, title, plays, mode::text, playlist_id FROM tune ORDER BY id",
        read_up="SELECT id, title, plays, mode::text, repertoire_id FROM tune ORDER BY id",
        up=[(1, "Kesh", 3, "major", 1), (2, None, 0, "minor", 2), (3, "Banish", 10, None, None)],
        down=[
            (1, "Kesh", 3, "major", 1),
            (2, None, 0, "minor", 2),
            (3, "Banish", 10, None, None),
            (4, None, 0, "major", 3),
        ],
        concurrently=True,
        then=(
            "INSERT INTO repertoire (name) VALUES ('new')",
            "INSERT INTO tune (repertoire_id, mode) VALUES (3, 'major')",
        ),
    )
    round_trip(pg_url, case)


ODD = table(
    "Tune",
    col("Id", "serial", nullable=False),
    col("index", "text"),
    col("it's", "enum", name="Mood"),
    pk=("Id",),
)
ODD_BEFORE = Schema(tables=(ODD,), enums=(Enum(name="Mood", values=("it's", "ok")),))
ODD_INDEX = ODD.column("index")
ODD_MOOD = ODD.column("it's")
assert ODD_INDEX is not None and ODD_MOOD is not None


def test_names_that_need_quotes_are_quoted_in_every_statement(pg_url: str) -> None:
    case = RoundTrip(
        "",
        ODD_BEFORE,
        [
            AlterEnum(old=ODD_BEFORE.enums[0], new=Enum(name="Mood", values=("ok", "it's"))),
            AlterColumn(
                table="Tune", old=ODD_INDEX, new=col("index", "varchar", nullable=False, default="{x}", length=9)
            ),
            AlterColumn(table="Tune", old=ODD_MOOD, new=col("it's", "text")),
            RenameColumn(table="Tune", old="Id", new="Key"),
            RenameTable(old="Tune", new="My Tune"),
            AlterColumn(
                table="My Tune", old=col("Key", "serial", nullable=False), new=col("Key", "integer", nullable=False)
            ),
        ],
        ("""INSERT INTO "Tune" ("index", "it's") VALUES ('a', 'it''s'), (NULL, 'ok')""",),
        read="""SELECT "Id", "index", "it's"::text FROM "Tune" ORDER BY 1""",
        read_up="""SELECT "Key", "index", "it's" FROM "My Tune" ORDER BY 1""",
        up=[(1, "a", "it's"), (2, "{x}", "ok")],
        down=[(1, "a", "it's"), (2, "{x}", "ok")],
    )
    round_trip(pg_url, case)


def _planned_peak(tables: int) -> int:
    """Bytes allocated at the peak of planning a first migration of `tables` tables with an
    index each (the schemas built beforehand)."""
    ops: list[Operation] = []
    for i in range(tables):
        name = f"t{i:05d}"
        ops.append(CreateTable(table=table(name, col("id", "serial", nullable=False), col("code", "text"))))
        ops.append(CreateIndex(table=name, index=Index(name=f"{name}_code_idx", keys=(IndexKey(column="code"),))))
    new = after(Schema(), ops)
    tracemalloc.start()
    try:
        plan(ops, Schema(), new, concurrently=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_planning_memory_grows_with_the_operations_not_their_square() -> None:
    # Each operation once kept its own copy of the set of tables created before it: 50 million
    # names, 2 GB, for a 10,000-table first migration. Four times the tables: about four times
    # the memory.
    small, large = _planned_peak(400), _planned_peak(1600)
    assert large / small < 6, (small, large)  # 3.9 now; 15 with a copy per operation
