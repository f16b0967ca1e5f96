"""SQLite table rebuilds on real files with rows: every change that needs one, the rows it
keeps (a new column holds its default, never its own name as text), the foreign keys it
keeps enforcing and cascading, its down giving back the old schema, and every guard
stopping it with its message and the file left byte for byte as it was."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from mizzle.core.errors import MizzleError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Check,
    Column,
    Enum,
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
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AlterEnum,
    CreateIndex,
    DropCheck,
    DropColumn,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropUnique,
    Operation,
    RenameColumn,
)
from mizzle.core.types import ColumnType, t
from mizzle.dialects.sqlite import plan
from mizzle.dialects.sqlite.rebuild import affinity
from tests.dialects.sqlite.test_plan import create, db, expected, held, rows, run

__all__ = ["db"]  # the fixture, shared with test_plan.py


def col(name: str, ctype: ColumnType, nullable: bool = True, default: Any = None) -> Column:
    return Column(name=name, type=ctype, nullable=nullable, default=default)


ID = col("id", t("serial"), nullable=False)
MOOD = Enum(name="mood", values=("ok", "sad", "wild"))
CALM = Enum(name="mood", values=("ok", "sad"))
PARENT = Table(
    name="parent",
    columns=(ID, col("code", t("text"))),
    primary_key=PrimaryKey(name="parent_pkey", columns=("id",)),
)
CASCADE = ForeignKey(
    name="child_parent_id_fkey", columns=("parent_id",), ref_table="parent", ref_columns=("id",), on_delete="cascade"
)
QUALITY = col("quality", t("text"))
NOTE = col("note", t("text"))
CHILD = Table(
    name="child",
    columns=(ID, col("parent_id", t("integer")), QUALITY, NOTE, col("mood", t("enum", name="mood"))),
    primary_key=PrimaryKey(name="child_pkey", columns=("id",)),
    foreign_keys=(CASCADE,),
)
A = Schema(tables=(PARENT, CHILD), enums=(MOOD,))
ROWS = (
    "INSERT INTO parent (code) VALUES ('a'), ('b'), (NULL)",
    "INSERT INTO child (parent_id, quality, note, mood) VALUES "
    "(1, '4', 'x', 'ok'), (1, NULL, NULL, 'sad'), (2, '7', 'y', NULL), (NULL, '2', 'z', 'ok')",
)


def child(*columns: Column, **update: Any) -> Table:
    return CHILD.model_copy(update={"columns": columns or CHILD.columns, **update})


def replaced(table: Table, old: str, new: Column) -> tuple[Column, ...]:
    return tuple(new if c.name == old else c for c in table.columns)


def b_with(*tables: Table, enums: tuple[Enum, ...] = (MOOD,), views: tuple[View, ...] = ()) -> Schema:
    names = {t.name for t in tables}
    return Schema(tables=(*tables, *(x for x in A.tables if x.name not in names)), enums=enums, views=views)


@dataclass
class Case:
    id: str
    ops: list[Operation]
    b: Schema
    #: a query on the migrated database, and the rows it must give
    query: str
    result: list[tuple[Any, ...]]
    a: Schema = A
    rows: tuple[str, ...] = ROWS
    #: the FK child.parent_id → parent(id) ON DELETE CASCADE is there after the change
    cascades: bool = True
    #: a query after the down migration, and its rows
    down_query: str = "SELECT count(*) FROM child"
    down_result: list[tuple[Any, ...]] = field(default_factory=lambda: [(4,)])


ISO = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9]Z"
SEEN = col("seen", t("timestamptz"), nullable=False, default=NowDefault())
UID = col("uid", t("uuid"), nullable=False, default=RandomUuidDefault())
REAL_Q = col("quality", t("real"), nullable=False, default=LiteralDefault(value="3"))
INT_Q = col("quality", t("integer"))
NOTE_DEFAULT = col("note", t("text"), nullable=False, default=LiteralDefault(value="none"))
NOTE_NOT_NULL = col("note", t("text"), nullable=False)
UNIQUE_NOTE = Unique(name="child_note_key", columns=("note",))
CHECK_Q = Check(name="child_quality_check", expr=SqlExpr.parse("CAST(quality AS integer) > 1"))
SCORE = col("score", t("double"))
LINK_A = col("a", t("integer"), nullable=False)
LINK_B = col("b", t("integer"), nullable=False)
LINK = Table(name="link", columns=(ID, LINK_A, LINK_B), primary_key=PrimaryKey(name="link_pkey", columns=("id",)))
COMPOSITE = LINK.model_copy(
    update={
        "columns": (col("id", t("integer"), nullable=False), LINK_A, LINK_B),
        "primary_key": PrimaryKey(name="link_pkey", columns=("a", "b")),
    }
)
NOTE_IDX = Index(name="child_note_idx", keys=(IndexKey(column="note"),))
UNRELATED_FK = child(foreign_keys=())
VIEW = View(name="child_notes", query=SqlExpr.parse("SELECT id, note FROM child"))

CASES = [
    Case(
        "add_column_with_now_default_to_a_populated_table",
        [AddColumn(table="child", column=SEEN)],
        b_with(child(*CHILD.columns, SEEN)),
        f"SELECT count(*), sum(seen GLOB '{ISO}'), sum(seen = 'seen') FROM child",
        [(4, 4, 0)],
    ),
    Case(
        "add_column_with_uuid_default_to_a_populated_table",
        [AddColumn(table="child", column=UID)],
        b_with(child(*CHILD.columns, UID)),
        "SELECT count(DISTINCT uid), sum(length(uid) = 36 AND substr(uid, 15, 1) = '4'), sum(uid = 'uid') FROM child",
        [(4, 4, 0)],
    ),
    Case(
        # drizzle-kit's bug: the new column came out as the text 'extra' and NULL qualities failed
        "add_column_and_retype_to_not_null_with_default",
        [AddColumn(table="child", column=col("extra", t("text"))), AlterColumn(table="child", old=QUALITY, new=REAL_Q)],
        b_with(child(*replaced(CHILD, "quality", REAL_Q), col("extra", t("text")))),
        "SELECT quality, typeof(quality), extra FROM child ORDER BY id",
        [(4.0, "real", None), (3.0, "real", None), (7.0, "real", None), (2.0, "real", None)],
        down_query="SELECT quality, typeof(quality) FROM child ORDER BY id",
        down_result=[("4.0", "text"), ("3.0", "text"), ("7.0", "text"), ("2.0", "text")],
    ),
    Case(
        "change_type_text_to_integer",
        [AlterColumn(table="child", old=QUALITY, new=INT_Q)],
        b_with(child(*replaced(CHILD, "quality", INT_Q))),
        "SELECT quality, typeof(quality) FROM child ORDER BY id",
        [(4, "integer"), (None, "null"), (7, "integer"), (2, "integer")],
        down_query="SELECT quality, typeof(quality) FROM child ORDER BY id",
        down_result=[("4", "text"), (None, "null"), ("7", "text"), ("2", "text")],
    ),
    Case(
        "make_not_null_with_a_default_over_null_rows",
        [AlterColumn(table="child", old=NOTE, new=NOTE_DEFAULT)],
        b_with(child(*replaced(CHILD, "note", NOTE_DEFAULT))),
        "SELECT note FROM child ORDER BY id",
        [("x",), ("none",), ("y",), ("z",)],
        down_query="SELECT note FROM child ORDER BY id",
        down_result=[("x",), ("none",), ("y",), ("z",)],
    ),
    Case(
        "make_nullable",
        [AlterColumn(table="child", old=NOTE_NOT_NULL, new=NOTE)],
        b_with(child()),
        "SELECT note FROM child ORDER BY id",
        [("x",), ("",), ("y",), ("z",)],
        a=b_with(child(*replaced(CHILD, "note", NOTE_NOT_NULL))),
        rows=(ROWS[0], ROWS[1].replace("NULL, 'sad'", "'', 'sad'")),
    ),
    Case(
        "add_foreign_key",
        [AddForeignKey(table="child", fk=CASCADE)],
        b_with(child()),
        "SELECT count(*) FROM child",
        [(4,)],
        a=b_with(UNRELATED_FK),
    ),
    Case(
        "drop_foreign_key",
        [DropForeignKey(table="child", fk=CASCADE)],
        b_with(UNRELATED_FK),
        "SELECT count(*) FROM child",
        [(4,)],
        cascades=False,
    ),
    Case(
        "add_unique",
        [AddUnique(table="child", unique=UNIQUE_NOTE)],
        b_with(child(uniques=(UNIQUE_NOTE,))),
        "SELECT count(*) FROM child",
        [(4,)],
    ),
    Case(
        "drop_unique",
        [DropUnique(table="child", unique=UNIQUE_NOTE)],
        b_with(child()),
        "SELECT count(*) FROM child",
        [(4,)],
        a=b_with(child(uniques=(UNIQUE_NOTE,))),
    ),
    Case(
        "add_check",
        [AddCheck(table="child", check=CHECK_Q)],
        b_with(child(checks=(CHECK_Q,))),
        "SELECT count(*) FROM child",
        [(4,)],
    ),
    Case(
        "drop_check",
        [DropCheck(table="child", check=CHECK_Q)],
        b_with(child()),
        "SELECT count(*) FROM child",
        [(4,)],
        a=b_with(child(checks=(CHECK_Q,))),
    ),
    Case(
        "change_primary_key_to_composite",
        [
            DropPrimaryKey(table="link", key=PrimaryKey(name="link_pkey", columns=("id",))),
            AlterColumn(table="link", old=ID, new=COMPOSITE.columns[0]),
            AddPrimaryKey(table="link", key=PrimaryKey(name="link_pkey", columns=("a", "b"))),
        ],
        b_with(COMPOSITE),
        "SELECT id, a, b FROM link ORDER BY id",
        [(1, 1, 1), (2, 1, 2), (3, 2, 1)],
        a=b_with(LINK),
        rows=(*ROWS, "INSERT INTO link (a, b) VALUES (1, 1), (1, 2), (2, 1)"),
        down_query="SELECT id, a, b FROM link ORDER BY id",
        down_result=[(1, 1, 1), (2, 1, 2), (3, 2, 1)],
    ),
    Case(
        "rename_and_change_type_in_one_rebuild",
        [
            RenameColumn(table="child", old="quality", new="score"),
            AlterColumn(table="child", old=col("score", t("text")), new=SCORE),
        ],
        b_with(child(*replaced(CHILD, "quality", SCORE))),
        "SELECT score, typeof(score) FROM child ORDER BY id",
        [(4.0, "real"), (None, "null"), (7.0, "real"), (2.0, "real")],
        down_query="SELECT quality FROM child ORDER BY id",
        down_result=[("4.0",), (None,), ("7.0",), ("2.0",)],
    ),
    Case(
        "drop_a_column_with_a_unique_constraint",
        [DropUnique(table="child", unique=UNIQUE_NOTE), DropColumn(table="child", column=NOTE)],
        b_with(child(*(c for c in CHILD.columns if c.name != "note"))),
        "SELECT id, quality FROM child ORDER BY id",
        [(1, "4"), (2, None), (3, "7"), (4, "2")],
        a=b_with(child(uniques=(UNIQUE_NOTE,))),
    ),
    Case(
        "drop_an_indexed_column_with_its_index_and_add_another_index",
        [
            DropIndex(table="child", index=NOTE_IDX),
            DropColumn(table="child", column=NOTE),
            AlterColumn(table="child", old=QUALITY, new=INT_Q),
            CreateIndex(table="child", index=NOTE_IDX.model_copy(update={"keys": (IndexKey(column="quality"),)})),
        ],
        b_with(
            child(
                *(c for c in replaced(CHILD, "quality", INT_Q) if c.name != "note"),
                indexes=(NOTE_IDX.model_copy(update={"keys": (IndexKey(column="quality"),)}),),
            )
        ),
        "SELECT id, quality FROM child ORDER BY id",
        [(1, 4), (2, None), (3, 7), (4, 2)],
        a=b_with(child(indexes=(NOTE_IDX,))),
    ),
    Case(
        "enum_loses_a_value_no_row_holds",
        [AlterEnum(old=MOOD, new=CALM)],
        b_with(child(), enums=(CALM,)),
        "SELECT mood FROM child ORDER BY id",
        [("ok",), ("sad",), (None,), ("ok",)],
        down_query="SELECT mood FROM child ORDER BY id",
        down_result=[("ok",), ("sad",), (None,), ("ok",)],
    ),
    Case(
        "enum_gains_a_value",
        [AlterEnum(old=CALM, new=MOOD)],
        b_with(child()),
        "SELECT count(*) FROM child",
        [(4,)],
        a=b_with(child(), enums=(CALM,)),
    ),
    Case(
        "a_view_over_the_table_is_dropped_and_recreated",
        [AddCheck(table="child", check=CHECK_Q)],
        b_with(child(checks=(CHECK_Q,)), views=(VIEW,)),
        "SELECT id, note FROM child_notes ORDER BY id",
        [(1, "x"), (2, None), (3, "y"), (4, "z")],
        a=b_with(child(), views=(VIEW,)),
    ),
]


def assert_cascades(conn: sqlite3.Connection) -> None:
    """child.parent_id still enforces its parent and cascades its deletes (checked in a
    transaction rolled back after)."""
    conn.execute("BEGIN")
    try:
        with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
            conn.execute("UPDATE child SET parent_id = 99 WHERE id = 1")
        conn.execute("DELETE FROM parent WHERE id = 1")
        assert rows(conn, "SELECT count(*) FROM child WHERE parent_id = 1") == [(0,)]
        assert rows(conn, "SELECT count(*) FROM child") == [(2,)]
    finally:
        conn.execute("ROLLBACK")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_rebuild(db: sqlite3.Connection, case: Case) -> None:
    create(db, case.a, *case.rows)
    p = plan(case.ops, case.a, case.b)
    assert p.foreign_keys_off
    assert any(s.startswith("CREATE TABLE __mizzle_new_") for step in p.steps for s in step.statements)
    run(db, p)
    assert held(db) == expected(case.b)
    assert rows(db, case.query) == case.result
    if case.cascades:
        assert_cascades(db)
    else:
        db.execute("DELETE FROM parent WHERE id = 1")  # no cascade any more
        assert rows(db, "SELECT count(*) FROM child WHERE parent_id = 1") == [(2,)]
        db.execute("INSERT INTO parent (id, code) VALUES (1, 'a')")
    run(db, p.down())
    assert held(db) == expected(case.a)
    assert rows(db, case.down_query) == case.down_result


def test_one_rebuild_per_table_even_with_many_changes() -> None:
    ops: list[Operation] = [
        RenameColumn(table="child", old="quality", new="score"),
        AlterColumn(table="child", old=col("score", t("text")), new=SCORE),
        AddColumn(table="child", column=SEEN),
        AddCheck(table="child", check=Check(name="child_score_check", expr=SqlExpr.parse("score > 0"))),
    ]
    b = b_with(
        child(
            *replaced(CHILD, "quality", SCORE),
            SEEN,
            checks=(Check(name="child_score_check", expr=SqlExpr.parse("score > 0")),),
        )
    )
    p = plan(ops, A, b)
    created = [s for step in p.steps for s in step.statements if s.startswith("CREATE TABLE")]
    assert len(p.steps) == 1 and len(created) == 1


def test_the_copy_maps_columns_explicitly() -> None:
    """Kept columns by name, a renamed one renamed in place first (SQLite rewrites what names
    it), a cast where the storage class changes, COALESCE to the default where NOT NULL comes,
    and new columns left out so their defaults fill them."""
    ops: list[Operation] = [
        RenameColumn(table="child", old="quality", new="score"),
        AlterColumn(table="child", old=col("score", t("text")), new=SCORE),
        AlterColumn(table="child", old=NOTE, new=NOTE_DEFAULT),
        AddColumn(table="child", column=SEEN),
    ]
    p = plan(ops, A, b_with(child(*replaced(child(*replaced(CHILD, "quality", SCORE)), "note", NOTE_DEFAULT), SEEN)))
    assert p.steps[0].statements[0] == "ALTER TABLE child RENAME COLUMN quality TO score"
    assert p.steps[0].statements[2] == (
        "INSERT INTO __mizzle_new_child (id, parent_id, score, note, mood) "
        "SELECT id, parent_id, CAST(score AS REAL), COALESCE(note, ('none')), mood FROM child"
    )
    assert p.steps[0].statements[3:7] == (
        "DROP TABLE child",
        "PRAGMA legacy_alter_table = ON",
        "ALTER TABLE __mizzle_new_child RENAME TO child",
        "PRAGMA legacy_alter_table = OFF",
    )


def test_a_swap_of_names_is_carried_by_the_mapping(db: sqlite3.Connection) -> None:
    swapped = (ID, col("parent_id", t("integer")), col("note", t("text")), col("quality", t("text")), CHILD.columns[4])
    ops: list[Operation] = [
        RenameColumn(table="child", old="quality", new="tmp"),
        RenameColumn(table="child", old="note", new="quality"),
        RenameColumn(table="child", old="tmp", new="note"),
        AddCheck(table="child", check=Check(name="child_note_check", expr=SqlExpr.parse("note <> ''"))),
    ]
    b = b_with(child(*swapped, checks=(Check(name="child_note_check", expr=SqlExpr.parse("note <> ''")),)))
    create(db, A, *ROWS)
    p = plan(ops, A, b)
    assert not [s for s in p.steps[0].statements if "RENAME COLUMN" in s]
    run(db, p)
    assert held(db) == expected(b)
    assert rows(db, "SELECT note, quality FROM child ORDER BY id") == [("4", "x"), (None, None), ("7", "y"), ("2", "z")]


def test_a_table_without_an_integer_primary_key_keeps_its_rowids(db: sqlite3.Connection) -> None:
    bare = Table(name="bare", columns=(col("a", t("text")),))
    wider = Table(name="bare", columns=(col("a", t("text"), nullable=False, default=LiteralDefault(value="-")),))
    create(db, Schema(tables=(bare,)), "INSERT INTO bare (rowid, a) VALUES (10, 'x'), (20, NULL)")
    p = plan(
        [AlterColumn(table="bare", old=bare.columns[0], new=wider.columns[0])],
        Schema(tables=(bare,)),
        Schema(tables=(wider,)),
    )
    run(db, p)
    assert rows(db, "SELECT rowid, a FROM bare ORDER BY rowid") == [(10, "x"), (20, "-")]


def test_renaming_a_referenced_column_in_a_rebuild_keeps_the_child_foreign_key(db: sqlite3.Connection) -> None:
    """SQLite's RENAME COLUMN rewrites child.parent_id's REFERENCES parent(id): done in place
    before the copy, the child need not be rebuilt."""
    key = col("key", t("serial"), nullable=False)
    parent = PARENT.model_copy(
        update={
            "columns": (key, col("code", t("varchar", length=10))),
            "primary_key": PrimaryKey(name="parent_pkey", columns=("key",)),
        }
    )
    fk = CASCADE.model_copy(update={"ref_columns": ("key",)})
    b = Schema(tables=(parent, child(foreign_keys=(fk,))), enums=(MOOD,))
    ops: list[Operation] = [
        RenameColumn(table="parent", old="id", new="key"),
        AlterColumn(table="parent", old=PARENT.columns[1], new=parent.columns[1]),
    ]
    create(db, A, *ROWS)
    p = plan(ops, A, b)
    run(db, p)
    assert held(db) == expected(b)
    db.execute("DELETE FROM parent WHERE key = 1")
    assert rows(db, "SELECT count(*) FROM child") == [(2,)]
    run(db, p.down())
    assert held(db) == expected(A)


def test_rebuilding_a_parent_keeps_every_cascading_child_row(db: sqlite3.Connection) -> None:
    """drizzle-orm #5782: with foreign keys left on, DROP TABLE parent cascade-deleted every
    child. Foreign keys are off around the rebuild, and the cascade still works after it."""
    create(db, A, "INSERT INTO parent (code) VALUES ('a'), ('b')")
    db.execute("BEGIN")
    db.executemany("INSERT INTO child (parent_id, quality) VALUES (?, ?)", [(1 + i % 2, str(i)) for i in range(1000)])
    db.execute("COMMIT")
    coded = col("code", t("text"), nullable=False, default=LiteralDefault(value="?"))
    b = b_with(PARENT.model_copy(update={"columns": (ID, coded)}))
    p = plan([AlterColumn(table="parent", old=PARENT.columns[1], new=coded)], A, b)
    run(db, p)
    assert held(db) == expected(b)
    assert rows(db, "SELECT count(*) FROM child") == [(1000,)]
    db.execute("DELETE FROM parent WHERE id = 1")
    assert rows(db, "SELECT count(*), min(parent_id) FROM child") == [(500, 2)]
    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        db.execute("INSERT INTO child (parent_id) VALUES (1)")


# --- guards -------------------------------------------------------------------------------------------

#: rows every guard case starts from, besides ROWS
ORPHAN = "INSERT INTO child (parent_id, quality, note, mood) VALUES (9, '1', 'x', 'ok')"
TRIGGER = "CREATE TRIGGER child_touch AFTER UPDATE ON child BEGIN SELECT 1; END"
LINKS = "INSERT INTO link (a, b) VALUES (1, 1), (1, 2)"
PK_ON_A = COMPOSITE.model_copy(update={"primary_key": PrimaryKey(name="link_pkey", columns=("a",))})
BREAKING = Check(name="child_quality_check", expr=SqlExpr.parse("CAST(quality AS integer) > 3"))
MOOD_KEY = Index(name="child_mood_key", keys=(IndexKey(column="mood"),), unique=True)
PARENT_KEY = Unique(name="child_parent_id_key", columns=("parent_id",))
WILD = Enum(name="mood", values=("ok", "wild"))

# (id, A, extra setup, operations, B, the message)
GUARDS: list[tuple[str, Schema, tuple[str, ...], list[Operation], Schema, str]] = [
    (
        "not_null_without_default_over_nulls",
        A,
        (),
        [AlterColumn(table="child", old=NOTE, new=NOTE_NOT_NULL)],
        b_with(child(*replaced(CHILD, "note", NOTE_NOT_NULL))),
        "cannot make child.note NOT NULL: 1 rows hold NULL and it has no default",
    ),
    (
        "new_not_null_column_without_default",
        A,
        (),
        [AddColumn(table="child", column=col("must", t("text"), nullable=False))],
        b_with(child(*CHILD.columns, col("must", t("text"), nullable=False))),
        "cannot add child.must NOT NULL without a default: the table has 4 rows",
    ),
    (
        "values_that_do_not_convert",
        A,
        (),
        [AlterColumn(table="child", old=NOTE, new=col("note", t("integer")))],
        b_with(child(*replaced(CHILD, "note", col("note", t("integer"))))),
        "cannot change child.note from text to integer: 3 rows hold values that do not convert",
    ),
    (
        "enum_losing_a_value_rows_hold",
        A,
        (),
        [AlterEnum(old=MOOD, new=WILD)],
        b_with(child(), enums=(WILD,)),
        "cannot change child.mood to enum mood: 1 rows hold a value the enum does not have",
    ),
    (
        "unique_over_duplicates",
        A,
        (),
        [AddUnique(table="child", unique=PARENT_KEY)],
        b_with(child(uniques=(PARENT_KEY,))),
        "cannot add unique child_parent_id_key on child(parent_id): 1 values occur in more than one row",
    ),
    (
        "unique_index_over_duplicates",
        A,
        (),
        [CreateIndex(table="child", index=MOOD_KEY)],
        b_with(child(indexes=(MOOD_KEY,))),
        "cannot create unique index child_mood_key on child(mood): 1 values occur in more than one row",
    ),
    (
        "primary_key_over_duplicates",
        b_with(LINK),
        (LINKS,),
        [
            DropPrimaryKey(table="link", key=PrimaryKey(name="link_pkey", columns=("id",))),
            AlterColumn(table="link", old=ID, new=COMPOSITE.columns[0]),
            AddPrimaryKey(table="link", key=PrimaryKey(name="link_pkey", columns=("a",))),
        ],
        b_with(PK_ON_A),
        "cannot make (a) the primary key of link: 1 values occur in more than one row",
    ),
    (
        "check_broken_by_rows",
        A,
        (),
        [AddCheck(table="child", check=BREAKING)],
        b_with(child(checks=(BREAKING,))),
        "cannot add check child_quality_check on child: 1 rows break it",
    ),
    (
        "foreign_key_over_orphans",
        b_with(UNRELATED_FK),
        (ORPHAN,),
        [AddForeignKey(table="child", fk=CASCADE)],
        b_with(child()),
        "cannot add foreign key child_parent_id_fkey on child(parent_id): 1 rows reference a missing parent row",
    ),
    (
        "a_trigger_the_schema_does_not_hold",
        A,
        (TRIGGER,),
        [AddCheck(table="child", check=CHECK_Q)],
        b_with(child(checks=(CHECK_Q,))),
        "cannot rebuild table child: it has 1 triggers the schema does not hold, "
        "and rebuilding the table would drop them",
    ),
]


@pytest.mark.parametrize(("a", "setup", "ops", "b", "message"), [g[1:] for g in GUARDS], ids=[g[0] for g in GUARDS])
def test_guard_stops_the_change_and_leaves_the_file_as_it_was(
    db: sqlite3.Connection,
    sqlite_path: Path,
    a: Schema,
    setup: tuple[str, ...],
    ops: list[Operation],
    b: Schema,
    message: str,
) -> None:
    create(db, a, *ROWS, *setup)
    before = sqlite_path.read_bytes()
    with pytest.raises(MizzleError) as err:
        run(db, plan(ops, a, b))
    assert str(err.value) == message
    assert sqlite_path.read_bytes() == before


AFFINITIES = [
    *[("INTEGER", "INTEGER"), ("INT", "INTEGER"), ("BIGINT", "INTEGER"), ("INTEGER_ARRAY", "INTEGER")],
    *[("TEXT", "TEXT"), ("VARCHAR(20)", "TEXT"), ("UUID_TEXT", "TEXT"), ("TIMESTAMPTZ_TEXT", "TEXT")],
    *[("TEXT_ARRAY", "TEXT"), ("BLOB", "BLOB"), ("REAL", "REAL"), ("DOUBLE", "REAL")],
    *[("NUMERIC(10,2)", "NUMERIC"), ("BOOLEAN", "NUMERIC")],
]


@pytest.mark.parametrize(("declared", "storage"), AFFINITIES)
def test_affinity_follows_sqlites_rules(declared: str, storage: str) -> None:
    assert affinity(declared) == storage


# --- enums: values live in column CHECKs -------------------------------------------------------------


def rebuilds(p: Any) -> list[str]:
    return [s.split()[2] for step in p.steps for s in step.statements if s.startswith("CREATE TABLE __mizzle_new_")]


def test_an_enum_gaining_and_losing_values_rebuilds_each_table_once(db: sqlite3.Connection) -> None:
    """The diff changes the enum twice (gains early, losses late): one rebuild, after both."""
    from mizzle.core.diff import diff

    other = Enum(name="mood", values=("ok", "calm", "sad"))
    b = b_with(child(), enums=(other,))
    create(db, A, *ROWS)
    ops = diff(A, b)
    assert [type(op).__name__ for op in ops] == ["AlterEnum", "AlterEnum"]
    p = plan(ops, A, b)
    assert rebuilds(p) == ["__mizzle_new_child"]
    run(db, p)
    assert held(db) == expected(b)
    db.execute("UPDATE child SET mood = 'calm' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE child SET mood = 'wild' WHERE id = 1")


def test_an_enum_change_and_a_column_change_share_the_rebuild() -> None:
    ops: list[Operation] = [AlterColumn(table="child", old=QUALITY, new=INT_Q), AlterEnum(old=MOOD, new=CALM)]
    p = plan(ops, A, b_with(child(*replaced(CHILD, "quality", INT_Q)), enums=(CALM,)))
    assert rebuilds(p) == ["__mizzle_new_child"]
    assert [[type(op).__name__ for op in s.sources] for s in p.steps] == [["AlterEnum"], ["AlterColumn"]]
    assert p.steps[1].statements[-2:] == (
        "ALTER TABLE __mizzle_new_child RENAME TO child",
        "PRAGMA legacy_alter_table = OFF",
    )


def test_a_column_leaving_an_enum_is_not_rebuilt_for_the_enum(db: sqlite3.Connection) -> None:
    """The enum column goes (plain DROP COLUMN) while the enum loses a value: nothing to
    rebuild; the down re-adds the column and puts the value back in its CHECK."""
    b = b_with(child(*CHILD.columns[:4]), enums=(CALM,))
    ops: list[Operation] = [DropColumn(table="child", column=CHILD.columns[4]), AlterEnum(old=MOOD, new=CALM)]
    create(db, A, *ROWS)
    p = plan(ops, A, b)
    assert [s for step in p.steps for s in step.statements] == ["ALTER TABLE child DROP COLUMN mood"]
    run(db, p)
    assert held(db) == expected(b)
    run(db, p.down())
    assert held(db) == expected(A)


# --- the down runs its own guards ----------------------------------------------------------------------


def test_undoing_drop_not_null_is_guarded(db: sqlite3.Connection, sqlite_path: Path) -> None:
    a = b_with(child(*replaced(CHILD, "note", NOTE_NOT_NULL)))
    create(db, a, ROWS[0], "INSERT INTO child (parent_id, note) VALUES (1, 'x')")
    p = plan([AlterColumn(table="child", old=NOTE_NOT_NULL, new=NOTE)], a, b_with(child()))
    run(db, p)
    db.execute("INSERT INTO child (parent_id, note) VALUES (1, NULL)")
    before = sqlite_path.read_bytes()
    with pytest.raises(MizzleError) as err:
        run(db, p.down())
    assert str(err.value) == "cannot make child.note NOT NULL: 1 rows hold NULL and it has no default"
    assert sqlite_path.read_bytes() == before


# --- one rebuild, every statement ----------------------------------------------------------------------


def test_a_rebuild_pinned_whole() -> None:
    """Views reading the table go first and come back last; indexes come back after the rename."""
    a = b_with(child(indexes=(NOTE_IDX,)), views=(VIEW,))
    b = b_with(child(indexes=(NOTE_IDX,), checks=(CHECK_Q,)), views=(VIEW,))
    p = plan([AddCheck(table="child", check=CHECK_Q)], a, b)
    [step] = p.steps
    assert step.statements == (
        "DROP VIEW child_notes",
        "CREATE TABLE __mizzle_new_child (\n"
        "  id INTEGER NOT NULL,\n"
        "  parent_id INTEGER,\n"
        "  quality TEXT,\n"
        "  note TEXT,\n"
        "  mood TEXT CONSTRAINT \"enum:mood\" CHECK (mood IN ('ok', 'sad', 'wild')),\n"
        "  CONSTRAINT child_pkey PRIMARY KEY (id),\n"
        "  CONSTRAINT child_quality_check CHECK (CAST(quality AS INTEGER) > 1),\n"
        "  CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent (id) ON DELETE CASCADE\n"
        ")",
        "INSERT INTO __mizzle_new_child (id, parent_id, quality, note, mood) "
        "SELECT id, parent_id, quality, note, mood FROM child",
        "DROP TABLE child",
        "PRAGMA legacy_alter_table = ON",
        "ALTER TABLE __mizzle_new_child RENAME TO child",
        "PRAGMA legacy_alter_table = OFF",
        "CREATE INDEX child_note_idx ON child(note)",
        "CREATE VIEW child_notes AS SELECT child.id, child.note FROM child",
    )
    assert [g.message for g in step.guards] == [
        "cannot rebuild table child: it has {count} triggers the schema does not hold, "
        "and rebuilding the table would drop them",
        "cannot add check child_quality_check on child: {count} rows break it",
    ]
    assert step.guards[1].query == "SELECT count(*) FROM child WHERE NOT (CAST(quality AS INTEGER) > 1)"
    assert step.comment == "rebuild child: SQLite cannot add a check in place"


def test_names_that_need_quotes_survive_a_rebuild(db: sqlite3.Connection) -> None:
    order = Table(
        name="Order",
        columns=(ID, col("index", t("text")), col("Total", t("text"))),
        primary_key=PrimaryKey(name="Order_pkey", columns=("id",)),
    )
    total = col("Total", t("numeric", precision=10, scale=2), nullable=False, default=LiteralDefault(value="0"))
    b = Schema(tables=(order.model_copy(update={"columns": (*order.columns[:2], total)}),))
    create(db, Schema(tables=(order,)), """INSERT INTO "Order" ("index", "Total") VALUES ('a', '1.5'), ('b', NULL)""")
    p = plan([AlterColumn(table="Order", old=order.columns[2], new=total)], Schema(tables=(order,)), b)
    assert p.steps[0].statements[1] == (
        'INSERT INTO "__mizzle_new_Order" (id, "index", "Total") '
        'SELECT id, "index", COALESCE(CAST("Total" AS NUMERIC), (0)) FROM "Order"'
    )
    run(db, p)
    assert held(db) == expected(b)
    assert rows(db, 'SELECT "index", "Total" FROM "Order" ORDER BY id') == [("a", 1.5), ("b", 0)]
