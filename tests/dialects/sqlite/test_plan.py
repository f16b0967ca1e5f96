"""SQLite's planner: a plain ALTER wherever SQLite has one (the SQL pinned), one rebuild per
table otherwise, each step with its reverse, plans run on real SQLite files the way the
migration runner runs them. Rebuilds and their guards are pinned in test_rebuild.py."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from mizzle.core.errors import MizzleError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Check,
    Column,
    Enum,
    ExprDefault,
    ForeignKey,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    Schema,
    Table,
    Unique,
    View,
)
from mizzle.core.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AlterColumn,
    CreateEnum,
    CreateIndex,
    CreateTable,
    CreateView,
    DropColumn,
    DropEnum,
    DropIndex,
    DropTable,
    DropUnique,
    Operation,
    RenameColumn,
    RenameTable,
    ReplaceView,
)
from mizzle.core.plan import Plan
from mizzle.core.types import ColumnType, t
from mizzle.dialects import get_dialect
from mizzle.dialects.sqlite import introspect, plan, project, render_schema
from mizzle.dialects.sqlite.alterable import in_place_problem

# --- running plans as the migration runner does ------------------------------------------------


def run(conn: sqlite3.Connection, plan: Plan) -> None:
    """Run `plan` as the runner runs a migration: foreign keys off outside the transaction when
    the plan asks, BEGIN IMMEDIATE, each step's guards then statements, foreign_key_check,
    COMMIT, foreign keys back on; ROLLBACK on any failure (a guard's raises its message)."""
    if plan.foreign_keys_off:
        conn.execute("PRAGMA foreign_keys = OFF")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for step in plan.steps:
                for guard in step.guards:
                    (count,) = conn.execute(guard.query).fetchone()
                    if count:
                        raise MizzleError(guard.message.format(count=count))
                for statement in step.statements:
                    # (foreign_keys is a no-op inside a transaction: the runner sets it; a
                    # rebuild's rename runs under legacy_alter_table, which does work there)
                    assert "FOREIGN_KEYS" not in statement.upper()
                    conn.execute(statement)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise MizzleError(f"foreign keys broken: {broken}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def create(conn: sqlite3.Connection, schema: Schema, *rows: str) -> None:
    for statement in render_schema(schema):
        conn.execute(statement)
    for row in rows:
        conn.execute(row)


def held(conn: sqlite3.Connection) -> Schema:
    return introspect(conn).schema


def expected(schema: Schema) -> Schema:
    return project(schema)[0]


def rows(conn: sqlite3.Connection, query: str) -> list[tuple[Any, ...]]:
    return conn.execute(query).fetchall()


@pytest.fixture
def db(sqlite_path: Path) -> Iterator[sqlite3.Connection]:
    """A real SQLite file in autocommit mode with foreign keys on, as `connect` opens one."""
    conn = sqlite3.connect(sqlite_path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    yield conn
    conn.close()


# --- schemas ---------------------------------------------------------------------------------


def col(name: str, ctype: ColumnType, nullable: bool = True, default: Any = None) -> Column:
    return Column(name=name, type=ctype, nullable=nullable, default=default)


ID = col("id", t("serial"), nullable=False)
MOOD = Enum(name="mood", values=("ok", "sad"))
TUNE = Table(
    name="tune",
    columns=(ID, col("title", t("text"), nullable=False), col("notes", t("text")), col("plays", t("integer"))),
    primary_key=PrimaryKey(name="tune_pkey", columns=("id",)),
    indexes=(Index(name="tune_plays_idx", keys=(IndexKey(column="plays"),)),),
)
TUNES = ("INSERT INTO tune (title, notes, plays) VALUES ('reel', 'fast', 3), ('jig', NULL, 5)",)


def schema(*tables: Table, views: Sequence[View] = (), enums: Sequence[Enum] = ()) -> Schema:
    return Schema(tables=tables, views=tuple(views), enums=tuple(enums))


def with_columns(table: Table, *columns: Column) -> Table:
    return table.model_copy(update={"columns": (*table.columns, *columns)})


def without(table: Table, name: str) -> Table:
    return table.model_copy(update={"columns": tuple(c for c in table.columns if c.name != name)})


def tune_with(**update: Any) -> Table:
    return TUNE.model_copy(update=update)


EXTRA = col("extra", t("text"))
PLAYS_DEFAULT = col("rating", t("integer"), nullable=False, default=LiteralDefault(value=0))
MOOD_COLUMN = col("mood", t("enum", name="mood"), default=LiteralDefault(value="ok"))
TITLE_IDX = Index(name="tune_title_idx", keys=(IndexKey(column="title", desc=True),), where=SqlExpr.parse("plays > 0"))
LOWER_IDX = Index(name="tune_lower_title_key", keys=(IndexKey(expr=SqlExpr.parse("lower(title)")),), unique=True)
RECENT = View(name="recent", query=SqlExpr.parse("SELECT title FROM tune WHERE plays > 1"))
SESSION = Table(
    name="session",
    columns=(ID, col("tune_id", t("integer"), nullable=False)),
    primary_key=PrimaryKey(name="session_pkey", columns=("id",)),
    foreign_keys=(
        ForeignKey(
            name="session_tune_id_fkey",
            columns=("tune_id",),
            ref_table="tune",
            ref_columns=("id",),
            on_delete="cascade",
        ),
    ),
)

# (id, A, operations, B, the statements, the reverse statements)
PLAIN: list[tuple[str, Schema, list[Operation], Schema, list[str], list[str]]] = [
    (
        "add_nullable_column",
        schema(TUNE),
        [AddColumn(table="tune", column=EXTRA)],
        schema(with_columns(TUNE, EXTRA)),
        ["ALTER TABLE tune ADD COLUMN extra TEXT"],
        ["ALTER TABLE tune DROP COLUMN extra"],
    ),
    (
        "add_not_null_column_with_a_constant_default",
        schema(TUNE),
        [AddColumn(table="tune", column=PLAYS_DEFAULT)],
        schema(with_columns(TUNE, PLAYS_DEFAULT)),
        ["ALTER TABLE tune ADD COLUMN rating INTEGER NOT NULL DEFAULT (0)"],
        ["ALTER TABLE tune DROP COLUMN rating"],
    ),
    (
        "add_enum_column_with_its_check",
        schema(TUNE),
        [CreateEnum(enum=MOOD), AddColumn(table="tune", column=MOOD_COLUMN)],
        schema(with_columns(TUNE, MOOD_COLUMN), enums=[MOOD]),
        ["ALTER TABLE tune ADD COLUMN mood TEXT DEFAULT ('ok') CONSTRAINT \"enum:mood\" CHECK (mood IN ('ok', 'sad'))"],
        ["ALTER TABLE tune DROP COLUMN mood"],
    ),
    (
        "drop_column_nothing_uses",
        schema(TUNE),
        [DropColumn(table="tune", column=TUNE.columns[2])],
        schema(without(TUNE, "notes")),
        ["ALTER TABLE tune DROP COLUMN notes"],
        ["ALTER TABLE tune ADD COLUMN notes TEXT"],
    ),
    (
        "drop_indexed_column_after_its_index",
        schema(TUNE),
        [DropIndex(table="tune", index=TUNE.indexes[0]), DropColumn(table="tune", column=TUNE.columns[3])],
        schema(without(TUNE, "plays").model_copy(update={"indexes": ()})),
        ["DROP INDEX tune_plays_idx", "ALTER TABLE tune DROP COLUMN plays"],
        ["ALTER TABLE tune ADD COLUMN plays INTEGER", "CREATE INDEX tune_plays_idx ON tune(plays)"],
    ),
    (
        "rename_table",
        schema(TUNE),
        [RenameTable(old="tune", new="song")],
        schema(TUNE.model_copy(update={"name": "song"})),
        ["ALTER TABLE tune RENAME TO song"],
        ["ALTER TABLE song RENAME TO tune"],
    ),
    (
        "rename_column",
        schema(TUNE),
        [RenameColumn(table="tune", old="notes", new="remarks")],
        schema(TUNE.model_copy(update={"columns": (*TUNE.columns[:2], col("remarks", t("text")), TUNE.columns[3])})),
        ["ALTER TABLE tune RENAME COLUMN notes TO remarks"],
        ["ALTER TABLE tune RENAME COLUMN remarks TO notes"],
    ),
    (
        "create_partial_desc_index",
        schema(TUNE),
        [CreateIndex(table="tune", index=TITLE_IDX)],
        schema(tune_with(indexes=(*TUNE.indexes, TITLE_IDX))),
        ["CREATE INDEX tune_title_idx ON tune(title DESC) WHERE plays > 0"],
        ["DROP INDEX tune_title_idx"],
    ),
    (
        "create_unique_expression_index",
        schema(TUNE),
        [CreateIndex(table="tune", index=LOWER_IDX)],
        schema(tune_with(indexes=(*TUNE.indexes, LOWER_IDX))),
        ["CREATE UNIQUE INDEX tune_lower_title_key ON tune(LOWER(title))"],
        ["DROP INDEX tune_lower_title_key"],
    ),
    (
        "create_and_drop_view",
        schema(TUNE),
        [CreateView(view=RECENT)],
        schema(TUNE, views=[RECENT]),
        ["CREATE VIEW recent AS SELECT tune.title FROM tune WHERE tune.plays > 1"],
        ["DROP VIEW recent"],
    ),
    (
        "replace_view_is_drop_and_create",
        schema(TUNE, views=[RECENT]),
        [ReplaceView(old=RECENT, new=View(name="recent", query=SqlExpr.parse("SELECT title FROM tune")))],
        schema(TUNE, views=[View(name="recent", query=SqlExpr.parse("SELECT title FROM tune"))]),
        ["DROP VIEW recent", "CREATE VIEW recent AS SELECT tune.title FROM tune"],
        ["DROP VIEW recent", "CREATE VIEW recent AS SELECT tune.title FROM tune WHERE tune.plays > 1"],
    ),
    (
        "create_table_with_its_indexes",
        schema(),
        [CreateTable(table=TUNE)],
        schema(TUNE),
        [
            "CREATE TABLE tune (\n  id INTEGER NOT NULL,\n  title TEXT NOT NULL,\n  notes TEXT,\n  plays INTEGER,\n"
            "  CONSTRAINT tune_pkey PRIMARY KEY (id)\n)",
            "CREATE INDEX tune_plays_idx ON tune(plays)",
        ],
        ["DROP TABLE tune"],
    ),
]


def statements(p: Plan) -> list[str]:
    return [s for step in p.steps for s in step.statements]


def reverses(p: Plan) -> list[str]:
    return [s for step in reversed(p.steps) for s in step.reverse]


@pytest.mark.parametrize(("a", "ops", "b", "sql", "undo"), [c[1:] for c in PLAIN], ids=[c[0] for c in PLAIN])
def test_plain_alter_sql(a: Schema, ops: list[Operation], b: Schema, sql: list[str], undo: list[str]) -> None:
    p = plan(ops, a, b)
    assert (statements(p), reverses(p), p.foreign_keys_off) == (sql, undo, False)
    assert p.operations == ops


@pytest.mark.parametrize(("a", "ops", "b"), [c[1:4] for c in PLAIN], ids=[c[0] for c in PLAIN])
def test_plain_alter_runs_and_its_down_gives_back_a(
    db: sqlite3.Connection, a: Schema, ops: list[Operation], b: Schema
) -> None:
    create(db, a, *(TUNES if a.tables else ()))
    before = rows(db, "SELECT name, type FROM sqlite_master ORDER BY name")
    p = plan(ops, a, b)
    run(db, p)
    assert held(db) == expected(b)
    run(db, p.down())
    # ADD COLUMN appends, so undoing a drop puts the column last (as on PostgreSQL)
    assert by_column_name(held(db)) == by_column_name(expected(a))
    assert rows(db, "SELECT name, type FROM sqlite_master ORDER BY name") == before


def by_column_name(schema: Schema) -> Schema:
    tables = tuple(
        t.model_copy(update={"columns": tuple(sorted(t.columns, key=lambda c: c.name))}) for t in schema.tables
    )
    return schema.model_copy(update={"tables": tables})


def test_enum_operations_have_nothing_to_do_on_sqlite() -> None:
    p = plan([CreateEnum(enum=MOOD), DropEnum(enum=MOOD)], schema(), schema())
    assert [(s.sources, s.statements, s.reverse) for s in p.steps] == [
        ((CreateEnum(enum=MOOD),), (), ()),
        ((DropEnum(enum=MOOD),), (), ()),
    ]


def test_a_dialect_looked_up_by_name_plans() -> None:
    assert (
        get_dialect("sqlite").plan([AddColumn(table="tune", column=EXTRA)], schema(TUNE), schema()).dialect == "sqlite"
    )


# --- the in-place predicate -----------------------------------------------------------------------

UUID_ID = col("uid", t("uuid"), nullable=False, default=RandomUuidDefault())
NOW = col("seen", t("timestamptz"), nullable=False, default=NowDefault())
TODAY = col("day", t("date"), default=ExprDefault(expr=SqlExpr.parse("CURRENT_DATE")))
CONSTANT_EXPR = col("label", t("text"), default=ExprDefault(expr=SqlExpr.parse("'x'")))
NOT_NULL = col("must", t("text"), nullable=False)


@pytest.mark.parametrize(
    ("op", "after", "problem"),
    [
        (AddColumn(table="tune", column=EXTRA), with_columns(TUNE, EXTRA), None),
        (AddColumn(table="tune", column=CONSTANT_EXPR), with_columns(TUNE, CONSTANT_EXPR), None),
        (
            AddColumn(table="tune", column=NOT_NULL),
            with_columns(TUNE, NOT_NULL),
            "ADD COLUMN must: a NOT NULL column needs a default",
        ),
        (
            AddColumn(table="tune", column=NOW),
            with_columns(TUNE, NOW),
            "ADD COLUMN seen: SQLite only adds a column with a constant default to a table with rows",
        ),
        (
            AddColumn(table="tune", column=UUID_ID),
            with_columns(TUNE, UUID_ID),
            "ADD COLUMN uid: SQLite only adds a column with a constant default to a table with rows",
        ),
        (
            AddColumn(table="tune", column=TODAY),
            with_columns(TUNE, TODAY),
            "ADD COLUMN day: SQLite only adds a column with a constant default to a table with rows",
        ),
        (
            AddColumn(table="tune", column=EXTRA),
            with_columns(TUNE, EXTRA).model_copy(update={"uniques": (Unique(name="u", columns=("extra",)),)}),
            "ADD COLUMN extra: the column is in a unique constraint",
        ),
        (
            AddColumn(table="tune", column=EXTRA),
            with_columns(TUNE, EXTRA).model_copy(
                update={"checks": (Check(name="c", expr=SqlExpr.parse("extra <> ''")),)}
            ),
            "ADD COLUMN extra: a check reads the column",
        ),
        (
            AddColumn(table="tune", column=col("parent", t("integer"))),
            with_columns(TUNE, col("parent", t("integer"))).model_copy(
                update={
                    "foreign_keys": (ForeignKey(name="f", columns=("parent",), ref_table="tune", ref_columns=("id",)),)
                }
            ),
            "ADD COLUMN parent: the column is in a foreign key",
        ),
        (DropColumn(table="tune", column=TUNE.columns[2]), without(TUNE, "notes"), None),
        (
            DropColumn(table="tune", column=TUNE.columns[3]),
            without(TUNE, "plays"),
            "DROP COLUMN plays: an index reads the column",
        ),
        (DropColumn(table="tune", column=ID), without(TUNE, "id"), "DROP COLUMN id: the column is in the primary key"),
        (RenameColumn(table="tune", old="notes", new="memo"), TUNE, None),
        (
            AlterColumn(table="tune", old=TUNE.columns[2], new=TUNE.columns[2].model_copy(update={"nullable": False})),
            TUNE,
            "SQLite cannot change a column in place",
        ),
        (
            AddCheck(table="tune", check=Check(name="c", expr=SqlExpr.parse("plays > 0"))),
            TUNE,
            "SQLite cannot add a check in place",
        ),
    ],
)
def test_in_place_problem(op: Operation, after: Table, problem: str | None) -> None:
    assert in_place_problem(op, TUNE, after) == problem


# --- grouping, ordering, foreign keys off -------------------------------------------------------------


def test_every_operation_on_a_rebuilt_table_goes_into_one_step() -> None:
    retyped = col("plays", t("bigint"))
    b = schema(tune_with(columns=(*TUNE.columns[:3], retyped, EXTRA), indexes=(TITLE_IDX,)))
    ops: list[Operation] = [
        DropIndex(table="tune", index=TUNE.indexes[0]),
        AddColumn(table="tune", column=EXTRA),
        AlterColumn(table="tune", old=TUNE.columns[3], new=retyped),
        CreateIndex(table="tune", index=TITLE_IDX),
    ]
    p = plan(ops, schema(TUNE), b)
    assert [step.sources for step in p.steps] == [tuple(ops)]
    assert p.steps[0].comment == "rebuild tune: SQLite cannot change a column in place"
    assert p.foreign_keys_off


def test_the_rebuild_runs_where_its_last_operation_is() -> None:
    """After the table a new foreign key references is created (its guard reads it)."""
    fk = SESSION.foreign_keys[0]
    session = SESSION.model_copy(update={"foreign_keys": ()})
    ops: list[Operation] = [
        AddColumn(table="session", column=EXTRA),
        CreateTable(table=TUNE),
        AddForeignKey(table="session", fk=fk),
    ]
    p = plan(ops, schema(session), schema(TUNE, with_columns(SESSION, EXTRA)))
    assert [[type(op).__name__ for op in step.sources] for step in p.steps] == [
        ["CreateTable"],
        ["AddColumn", "AddForeignKey"],
    ]


def test_no_statement_touches_the_foreign_keys_pragma() -> None:
    b = schema(tune_with(checks=(Check(name="tune_plays_check", expr=SqlExpr.parse("plays >= 0")),)), SESSION)
    p = plan([AddCheck(table="tune", check=b.tables[1].checks[0])], schema(TUNE, SESSION), b)
    texts = [*statements(p), *reverses(p), *(g.query for s in p.steps for g in (*s.guards, *s.reverse_guards))]
    assert p.foreign_keys_off
    assert not [s for s in texts if "FOREIGN_KEYS" in s.upper()]


def test_a_plain_step_whose_reverse_rebuilds_turns_foreign_keys_off() -> None:
    """Dropping a column out of a unique constraint's table is plain; adding it back in the
    middle of a key is not: the plan's down needs foreign keys off too."""
    keyed = col("code", t("text"), nullable=False)
    a = schema(with_columns(TUNE, keyed))
    p = plan([DropColumn(table="tune", column=keyed)], a, schema(TUNE))
    assert statements(p) == ["ALTER TABLE tune DROP COLUMN code"]
    assert "CREATE TABLE __mizzle_new_tune" in reverses(p)[0]
    assert p.foreign_keys_off and p.down().foreign_keys_off


def test_dropping_a_referenced_table_turns_foreign_keys_off(db: sqlite3.Connection) -> None:
    """With foreign keys on, DROP TABLE first deletes every row, cascading into children."""
    a = schema(TUNE, SESSION)
    create(db, a, *TUNES, "INSERT INTO session (tune_id) VALUES (1), (1), (2)")
    ops: list[Operation] = [DropTable(table=TUNE), DropTable(table=SESSION)]
    p = plan(ops, a, schema())
    assert p.foreign_keys_off
    assert statements(p) == ["DROP TABLE tune", "DROP TABLE session"]


def test_operations_on_a_table_dropped_later_are_not_carried_out() -> None:
    unique = Unique(name="tune_title_key", columns=("title",))
    keyed = tune_with(uniques=(unique,))
    ops: list[Operation] = [DropUnique(table="tune", unique=unique), DropTable(table=TUNE)]
    p = plan(ops, schema(keyed), schema())
    assert [(s.statements, s.comment) for s in p.steps] == [
        ((), "the table is dropped later in this migration"),
        (("DROP TABLE tune",), ""),
    ]
    assert reverses(p)[0].startswith("CREATE TABLE tune (")
    assert "CONSTRAINT tune_title_key UNIQUE (title)" in reverses(p)[0]


# --- renames: SQLite rewrites the references -------------------------------------------------------


def test_rename_table_keeps_child_foreign_keys_and_views_working(db: sqlite3.Connection) -> None:
    a = schema(TUNE, SESSION, views=[RECENT])
    create(db, a, *TUNES, "INSERT INTO session (tune_id) VALUES (1), (1), (2)")
    song = TUNE.model_copy(update={"name": "song"})
    fk = SESSION.foreign_keys[0].model_copy(update={"ref_table": "song"})
    recent = View(name="recent", query=SqlExpr.parse("SELECT title FROM song WHERE plays > 1"))
    b = schema(song, SESSION.model_copy(update={"foreign_keys": (fk,)}), views=[recent])
    p = plan([RenameTable(old="tune", new="song")], a, b)
    run(db, p)
    assert held(db) == expected(b)
    assert rows(db, "SELECT * FROM recent ORDER BY title") == [("jig",), ("reel",)]
    db.execute("DELETE FROM song WHERE id = 1")
    assert rows(db, "SELECT tune_id FROM session") == [(2,)]
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO session (tune_id) VALUES (99)")
    run(db, p.down())
    assert held(db) == expected(a)


def test_rename_column_rewrites_other_tables_foreign_keys(db: sqlite3.Connection) -> None:
    a = schema(TUNE, SESSION)
    create(db, a, *TUNES, "INSERT INTO session (tune_id) VALUES (1), (2)")
    tune = TUNE.model_copy(
        update={
            "columns": (col("tune_no", t("serial"), nullable=False), *TUNE.columns[1:]),
            "primary_key": PrimaryKey(name="tune_pkey", columns=("tune_no",)),
        }
    )
    fk = SESSION.foreign_keys[0].model_copy(update={"ref_columns": ("tune_no",)})
    b = schema(tune, SESSION.model_copy(update={"foreign_keys": (fk,)}))
    p = plan([RenameColumn(table="tune", old="id", new="tune_no")], a, b)
    assert statements(p) == ["ALTER TABLE tune RENAME COLUMN id TO tune_no"]
    run(db, p)
    assert held(db) == expected(b)
    db.execute("DELETE FROM tune WHERE tune_no = 2")
    assert rows(db, "SELECT tune_id FROM session") == [(1,)]


# --- a real diff, planned ------------------------------------------------------------------------


def test_a_plan_of_the_diff_turns_a_into_b_and_back(db: sqlite3.Connection) -> None:
    """One rebuild of tune: a rename, a retype to NOT NULL with a default, a new column, a
    dropped enum column, a new check, an index swapped; the view over it comes back."""
    from mizzle.core.diff import diff
    from mizzle.core.renames import Renames

    a = schema(with_columns(TUNE, MOOD_COLUMN), SESSION, views=[RECENT], enums=[MOOD])
    plays = col("plays", t("bigint"), nullable=False, default=LiteralDefault(value=0))
    tune = tune_with(
        columns=(*TUNE.columns[:2], col("memo", t("text")), plays, EXTRA),
        indexes=(TITLE_IDX,),
        checks=(Check(name="tune_plays_check", expr=SqlExpr.parse("plays >= 0")),),
    )
    b = schema(tune, SESSION, views=[RECENT])
    create(
        db,
        a,
        "INSERT INTO tune (title, notes, plays, mood) VALUES ('reel', 'fast', 3, 'sad'), ('jig', NULL, NULL, 'ok')",
        "INSERT INTO session (tune_id) VALUES (1), (1), (2)",
    )
    ops = diff(a, b, Renames.from_flags(renames=["tune.notes=memo"], drops=["tune.mood"]))
    p = plan(ops, a, b)
    run(db, p)
    assert held(db) == expected(b)
    assert rows(db, "SELECT id, title, memo, plays, extra FROM tune ORDER BY id") == [
        (1, "reel", "fast", 3, None),
        (2, "jig", None, 0, None),
    ]
    assert rows(db, "SELECT title FROM recent ORDER BY title") == [("reel",)]
    assert rows(db, "SELECT count(*) FROM session") == [(3,)]
    run(db, p.down())
    assert held(db) == expected(a)


def test_concurrently_is_postgresqls_and_changes_nothing() -> None:
    ops: list[Operation] = [CreateIndex(table="tune", index=TITLE_IDX)]
    b = schema(tune_with(indexes=(*TUNE.indexes, TITLE_IDX)))
    assert plan(ops, schema(TUNE), b, concurrently=True) == plan(ops, schema(TUNE), b)


def test_a_difference_no_operation_covers_is_rebuilt_at_the_end(db: sqlite3.Connection) -> None:
    """The database must end as the new schema says, even if the operations miss something."""
    b = schema(tune_with(columns=(*TUNE.columns[:3], col("plays", t("bigint")))))
    create(db, schema(TUNE), *TUNES)
    p = plan([], schema(TUNE), b)
    assert [(s.sources, s.comment) for s in p.steps] == [
        ((), "rebuild tune: SQLite must hold it as the new schema defines it")
    ]
    run(db, p)
    assert held(db) == expected(b)
    run(db, p.down())
    assert held(db) == expected(schema(TUNE))


def test_new_tables_in_a_foreign_key_cycle_carry_every_key_inline(db: sqlite3.Connection) -> None:
    """The diff adds the key closing the cycle after both CREATE TABLEs; SQLite checks foreign
    keys only when rows are written, so the first CREATE TABLE carries it and nothing is rebuilt."""
    from mizzle.core.diff import diff

    def table(name: str, other: str) -> Table:
        fk = ForeignKey(name=f"{name}_{other}_id_fkey", columns=(f"{other}_id",), ref_table=other, ref_columns=("id",))
        return Table(
            name=name,
            columns=(ID, col(f"{other}_id", t("integer"))),
            primary_key=PrimaryKey(name=f"{name}_pkey", columns=("id",)),
            foreign_keys=(fk,),
        )

    b = schema(table("hen", "egg"), table("egg", "hen"))
    ops = diff(schema(), b)
    assert [type(op).__name__ for op in ops] == ["CreateTable", "CreateTable", "AddForeignKey"]
    p = plan(ops, schema(), b)
    assert [len(s.statements) for s in p.steps] == [1, 1, 0]
    # the down drops a table the other still references: with foreign keys on, DROP TABLE
    # would first delete its rows through that key
    assert p.foreign_keys_off
    run(db, p)
    assert held(db) == expected(b)
    run(db, p.down())
    assert held(db) == expected(schema())


def test_a_new_table_may_use_an_enum_no_column_used_before() -> None:
    from mizzle.core.diff import diff
    from mizzle.sources.sql.reader import parse_ddl

    a = parse_ddl("CREATE TYPE h AS ENUM ('x'); CREATE TABLE t (a int);").schema
    b = parse_ddl("CREATE TYPE h AS ENUM ('x'); CREATE TABLE t (a int); CREATE TABLE n (m h);").schema
    steps = plan(diff(a, b), a, b).steps
    assert steps[0].statements == ("CREATE TABLE n (\n  m TEXT CONSTRAINT \"enum:h\" CHECK (m IN ('x'))\n)",)
