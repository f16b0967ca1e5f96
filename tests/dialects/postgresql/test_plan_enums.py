"""Enums planned for PostgreSQL: values added in place (outside the transaction when the
migration uses them), removed or reordered by recreating the type, with what depends on it
dropped and restored; each run on a real database with rows and undone."""

from __future__ import annotations

from typing import Any

import pytest

from mizzle.core.model import Check, Enum, ForeignKey, Index, IndexKey, Schema, View
from mizzle.core.operations import (
    AddCheck,
    AddColumn,
    AlterColumn,
    AlterEnum,
    CreateEnum,
    CreateIndex,
    CreateView,
    DropEnum,
    Operation,
)
from mizzle.core.types import t
from mizzle.dialects.postgresql import plan
from mizzle.dialects.postgresql.plan_enums import uses_values
from tests.dialects.postgresql.planning import (
    Refused,
    RoundTrip,
    after,
    col,
    expr,
    guards,
    refused,
    round_trip,
    statements,
    table,
)

MOOD = Enum(name="mood", values=("happy", "sad", "meh"))
INFO = table("mood_info", col("m", "enum", nullable=False, name="mood"), col("label", "text"), pk=("m",))
T = table(
    "t",
    col("id", "serial", nullable=False),
    col("m", "enum", nullable=False, default="happy", name="mood"),
    col("ms", t("enum", name="mood").array_of()),
    col("note", "text"),
    foreign_keys=(ForeignKey(name="t_m_fkey", columns=("m",), ref_table="mood_info", ref_columns=("m",)),),
    # as PostgreSQL stores (and mizzle reads back) a comparison with an enum value
    checks=(Check(name="t_m_check", expr=expr("m <> 'sad'::mood OR note IS NULL")),),
    indexes=(
        Index(name="t_m_idx", keys=(IndexKey(column="m"),)),
        Index(name="t_note_idx", keys=(IndexKey(column="note"),), where=expr("m = 'happy'::mood")),
    ),
)
HAPPY = View(name="happy", query=expr("SELECT id, note FROM t WHERE m = 'happy'::mood"))
BASE = Schema(tables=(INFO, T), enums=(MOOD,), views=(HAPPY,))
ROWS = (
    "INSERT INTO mood_info VALUES ('happy', 'Happy'), ('sad', 'Sad'), ('meh', 'Meh')",
    "INSERT INTO t (m, ms, note) VALUES ('happy', '{happy,sad}', 'x'), ('sad', NULL, NULL), ('happy', '{}', NULL)",
)
ROWS_WITHOUT_MEH = (ROWS[0].replace(", ('meh', 'Meh')", ""), ROWS[1])
READ = "SELECT id, m::text, ms::text[], note FROM t ORDER BY id"
T_ROWS = [(1, "happy", ["happy", "sad"], "x"), (2, "sad", None, None), (3, "happy", [], None)]


def mood(*values: str) -> AlterEnum:
    return AlterEnum(old=MOOD, new=Enum(name="mood", values=values))


def m_default(value: str) -> AlterColumn:
    old = T.column("m")
    assert old is not None
    return AlterColumn(
        table="t", old=old, new=old.model_copy(update={"default": col("x", "text", default=value).default})
    )


# --- the SQL -------------------------------------------------------------------------------------

UNUSED = Enum(name="unused", values=("a",))
SQL = [
    (CreateEnum(enum=Enum(name="Colour", values=("red", "it's"))), ["CREATE TYPE \"Colour\" AS ENUM ('red', 'it''s')"]),
    (mood("happy", "sad", "meh", "glad"), ["ALTER TYPE mood ADD VALUE 'glad'"]),
    (
        mood("ecstatic", "happy", "content", "sad", "meh", "bored", "glum"),
        [
            "ALTER TYPE mood ADD VALUE 'ecstatic' BEFORE 'happy'",
            "ALTER TYPE mood ADD VALUE 'content' AFTER 'happy'",
            "ALTER TYPE mood ADD VALUE 'bored'",
            "ALTER TYPE mood ADD VALUE 'glum'",
        ],
    ),
    (
        mood("sad", "happy"),
        [
            "DROP VIEW happy",
            "ALTER TABLE t DROP CONSTRAINT t_m_fkey",
            "ALTER TABLE t DROP CONSTRAINT t_m_check",
            "DROP INDEX t_note_idx",
            "ALTER TYPE mood RENAME TO mood__old",
            "CREATE TYPE mood AS ENUM ('sad', 'happy')",
            "ALTER TABLE mood_info ALTER COLUMN m TYPE mood USING m::text::mood",
            "ALTER TABLE t ALTER COLUMN m DROP DEFAULT",
            "ALTER TABLE t ALTER COLUMN m TYPE mood USING m::text::mood",
            "ALTER TABLE t ALTER COLUMN m SET DEFAULT 'happy'::mood",
            "ALTER TABLE t ALTER COLUMN ms TYPE mood[] USING ms::text[]::mood[]",
            "DROP TYPE mood__old",
            "CREATE INDEX t_note_idx ON t(note) WHERE m = 'happy'::mood",
            "ALTER TABLE t ADD CONSTRAINT t_m_check CHECK (m <> 'sad'::mood OR note IS NULL)",
            "ALTER TABLE t ADD CONSTRAINT t_m_fkey FOREIGN KEY (m) REFERENCES mood_info (m)",
            "CREATE VIEW happy AS SELECT id, note FROM t WHERE m = 'happy'::mood",
        ],
    ),
]


@pytest.mark.parametrize(("op", "expected"), SQL, ids=lambda v: v.describe() if hasattr(v, "describe") else "")
def test_enum_operation_sql(op: Any, expected: list[str]) -> None:
    assert statements(op, BASE) == expected


def test_drop_enum_sql() -> None:
    assert statements(DropEnum(enum=UNUSED), BASE.model_copy(update={"enums": (MOOD, UNUSED)})) == ["DROP TYPE unused"]


def test_removing_values_is_guarded_for_every_column_using_the_enum() -> None:
    assert guards(mood("happy", "sad"), BASE) == [
        (
            "SELECT count(*) FROM mood_info WHERE m::text IN ('meh')",
            "cannot remove 'meh' from enum mood: {count} rows of mood_info hold them in m",
        ),
        (
            "SELECT count(*) FROM t WHERE m::text IN ('meh')",
            "cannot remove 'meh' from enum mood: {count} rows of t hold them in m",
        ),
        (
            "SELECT count(*) FROM t WHERE ms::text[] && ARRAY['meh']::text[]",
            "cannot remove 'meh' from enum mood: {count} rows of t hold them in ms",
        ),
    ]


def test_reordering_needs_no_guard() -> None:
    assert guards(mood("meh", "sad", "happy"), BASE) == []


GLAD = mood("happy", "sad", "meh", "glad")
USES = [
    ([], False),
    ([m_default("sad")], False),
    ([m_default("glad")], True),
    ([AddColumn(table="t", column=col("other", "enum", default="glad", name="mood"))], True),
    ([AddColumn(table="t", column=col("other", "text", default="glad"))], False),
    ([AddCheck(table="t", check=Check(name="t_glad_check", expr=expr("m <> 'glad'")))], True),
    (
        [
            CreateIndex(
                table="t", index=Index(name="t_glad_idx", keys=(IndexKey(column="id"),), where=expr("m = 'glad'"))
            )
        ],
        True,
    ),
    ([CreateView(view=View(name="glad", query=expr("SELECT id FROM t WHERE m = 'glad'")))], True),
    ([AlterColumn(table="t", old=col("note", "text"), new=col("note", "enum", name="mood"))], True),
]


@pytest.mark.parametrize(
    ("later", "expected"), USES, ids=lambda v: "; ".join(o.describe() for o in v) if isinstance(v, list) else ""
)
def test_which_later_operations_use_a_new_value(later: list[Operation], expected: bool) -> None:
    assert uses_values(later, "mood", ["glad"]) is expected


def test_values_a_later_operation_uses_are_added_first_outside_the_transaction() -> None:
    ops: list[Operation] = [AddColumn(table="t", column=col("other", "integer")), GLAD, m_default("glad")]
    p = plan(ops, BASE, after(BASE, ops))
    assert [(s.sources[0].op, s.transactional) for s in p.steps] == [
        ("alter_enum", False),
        ("add_column", True),
        ("alter_column", True),
    ]
    assert p.steps[0].statements == ("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'glad'",)
    down = p.down()
    assert [(s.sources[0].op, s.transactional) for s in down.steps][-1] == ("alter_enum", True)
    assert down.steps[-1].statements[4] == "ALTER TYPE mood RENAME TO mood__old"


def test_values_nothing_uses_are_added_in_the_transaction() -> None:
    ops: list[Operation] = [GLAD, m_default("sad")]
    assert [s.transactional for s in plan(ops, BASE, after(BASE, ops)).steps] == [True, True]


# --- on a database -------------------------------------------------------------------------------

ROUND_TRIPS = [
    RoundTrip(
        "create an enum and a column using it; drop it",
        BASE,
        [
            CreateEnum(enum=Enum(name="colour", values=("red", "green"))),
            AddColumn(table="t", column=col("colour", "enum", default="green", name="colour")),
        ],
        ROWS,
        read=READ,
        read_up="SELECT id, colour::text FROM t ORDER BY id",
        up=[(1, "green"), (2, "green"), (3, "green")],
    ),
    RoundTrip(
        "add values in their place; undone, the type is recreated without them",
        BASE,
        [mood("ecstatic", "happy", "content", "sad", "meh", "glad")],
        ROWS,
        read="SELECT enum_range(NULL::mood)::text, (SELECT count(*) FROM t)",
        up=[("{ecstatic,happy,content,sad,meh,glad}", 3)],
    ),
    RoundTrip(
        "add a value a later operation uses as a default",
        BASE,
        [GLAD, m_default("glad")],
        ROWS,
        read=READ,
        up=T_ROWS,
    ),
    RoundTrip(
        "remove a value no row holds: columns, arrays, defaults, checks, indexes, keys and views come through",
        BASE,
        [mood("happy", "sad")],
        ROWS_WITHOUT_MEH,
        read=READ,
        up=T_ROWS,
    ),
    RoundTrip(
        "reorder values",
        BASE,
        [mood("meh", "sad", "happy")],
        ROWS,
        read=READ,
        up=T_ROWS,
    ),
]


@pytest.mark.parametrize("case", ROUND_TRIPS, ids=str)
def test_enum_change_runs_keeps_the_rows_and_is_undone(pg_url: str, case: RoundTrip) -> None:
    round_trip(pg_url, case)


REFUSED = [
    Refused(
        "remove a value rows hold",
        BASE,
        [mood("happy", "meh")],
        ROWS,
        "cannot remove 'sad' from enum mood: 1 rows of mood_info hold them in m",
        read=READ,
    ),
    Refused(
        "remove a value only an array holds",
        BASE,
        [mood("happy", "sad")],
        (*ROWS_WITHOUT_MEH, "INSERT INTO t (ms) VALUES ('{meh}')"),
        "cannot remove 'meh' from enum mood: 1 rows of t hold them in ms",
    ),
    Refused(
        "undo added values a row now holds",
        BASE,
        [GLAD],
        ROWS,
        "cannot remove 'glad' from enum mood: 1 rows of t hold them in ms",
        undo=True,
        then=("INSERT INTO t (ms) VALUES ('{glad}')",),
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_guard_stops_the_change_and_leaves_the_database_as_it_was(pg_url: str, case: Refused) -> None:
    refused(pg_url, case)
