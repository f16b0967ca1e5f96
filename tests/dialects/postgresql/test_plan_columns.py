"""Column operations planned for PostgreSQL: the SQL of each, then each run on a real
database with rows and undone, and each guard stopping a change the rows cannot take."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from mizzle.core.model import Check, Enum, Identity, Index, IndexKey, Schema
from mizzle.core.operations import AddColumn, AlterColumn, DropColumn, Operation, RenameColumn
from mizzle.core.types import t
from tests.dialects.postgresql.planning import (
    Refused,
    RoundTrip,
    col,
    expr,
    guards,
    refused,
    round_trip,
    statements,
    table,
)

MOOD = Enum(name="mood", values=("happy", "sad"))
T = table(
    "t",
    col("id", "serial", nullable=False),
    col("a", "integer"),
    col("s", "text"),
    col("label", "text"),
    col("k", "text", default="x"),
    col("n", "integer", nullable=False, default=0),
    col("m", "enum", name="mood"),
    col("at", "timestamp"),
    col("doc", "json"),
    col("flag", "boolean"),
)
BASE = Schema(tables=(T,), enums=(MOOD,))
ROWS = (
    "INSERT INTO t (a, s, label, m, at, doc, flag) VALUES "
    "(0, '12', 'happy', 'happy', '2024-01-02 03:04:05', '{\"x\": 1}', true), "
    "(5, '-3', 'sad', 'sad', NULL, '[]', false), "
    "(NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
)


def alter(name: str, **changes: Any) -> AlterColumn:
    old = T.column(name)
    assert old is not None
    kind = changes.get("type", old.type)
    new = col(name, kind, nullable=changes.get("nullable", old.nullable), default=changes.get("default", old.default))
    return AlterColumn(table="t", old=old, new=new)


def seq_do(column: str, action: str, *args: str) -> str:
    extra = "".join(f", {a}" for a in args)
    return (
        f"DO $mizzle$\nDECLARE seq text := pg_get_serial_sequence('t', '{column}');\nBEGIN\n"
        f"  IF seq IS NOT NULL THEN EXECUTE format('{action}', seq{extra}); END IF;\nEND\n$mizzle$"
    )


# --- the SQL -------------------------------------------------------------------------------------

SQL = [
    (AddColumn(table="t", column=col("b", "integer")), ["ALTER TABLE t ADD COLUMN b integer"]),
    (
        AddColumn(table="t", column=col("b", "text", nullable=False, default="it's")),
        ["ALTER TABLE t ADD COLUMN b text NOT NULL DEFAULT 'it''s'"],
    ),
    (AddColumn(table="t", column=col("num", "serial")), ["ALTER TABLE t ADD COLUMN num serial NOT NULL"]),
    (AddColumn(table="t", column=col("Order", "integer")), ['ALTER TABLE t ADD COLUMN "Order" integer']),
    (DropColumn(table="t", column=T.columns[2]), ["ALTER TABLE t DROP COLUMN s"]),
    (RenameColumn(table="t", old="s", new="title"), ["ALTER TABLE t RENAME COLUMN s TO title"]),
    (
        RenameColumn(table="t", old="id", new="key"),
        ["ALTER TABLE t RENAME COLUMN id TO key", seq_do("key", "ALTER SEQUENCE %s RENAME TO %I", "'t_key_seq'")],
    ),
    # a USING conversion for every type change
    (alter("s", type=t("integer")), ["ALTER TABLE t ALTER COLUMN s TYPE integer USING s::integer"]),
    (alter("a", type=t("boolean")), ["ALTER TABLE t ALTER COLUMN a TYPE boolean USING a <> 0"]),
    (alter("flag", type=t("integer")), ["ALTER TABLE t ALTER COLUMN flag TYPE integer USING flag::integer"]),
    (
        alter("flag", type=t("smallint")),
        ["ALTER TABLE t ALTER COLUMN flag TYPE smallint USING flag::integer::smallint"],
    ),
    (alter("s", type=t("enum", name="mood")), ["ALTER TABLE t ALTER COLUMN s TYPE mood USING s::mood"]),
    (alter("m", type=t("text")), ["ALTER TABLE t ALTER COLUMN m TYPE text USING m::text"]),
    (alter("doc", type=t("jsonb")), ["ALTER TABLE t ALTER COLUMN doc TYPE jsonb USING doc::jsonb"]),
    (alter("a", type=t("text")), ["ALTER TABLE t ALTER COLUMN a TYPE text USING a::text"]),
    (alter("a", type=t("bigint")), ["ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint"]),
    (alter("s", type=t("varchar", length=3)), ["ALTER TABLE t ALTER COLUMN s TYPE varchar(3) USING s::varchar(3)"]),
    (
        alter("at", type=t("timestamptz")),
        ["ALTER TABLE t ALTER COLUMN at TYPE timestamptz USING at AT TIME ZONE 'UTC'"],
    ),
    (
        alter("s", type=t("text").array_of()),
        ["ALTER TABLE t ALTER COLUMN s TYPE text[] USING CASE WHEN s IS NULL THEN NULL ELSE ARRAY[s::text] END"],
    ),
    (
        alter("label", type=t("enum", name="mood").array_of()),
        [
            "ALTER TABLE t ALTER COLUMN label TYPE mood[] "
            "USING CASE WHEN label IS NULL THEN NULL ELSE ARRAY[label::mood] END"
        ],
    ),
    # defaults
    (alter("a", default=7), ["ALTER TABLE t ALTER COLUMN a SET DEFAULT 7"]),
    (alter("k", default="y"), ["ALTER TABLE t ALTER COLUMN k SET DEFAULT 'y'"]),
    (alter("k", default=None), ["ALTER TABLE t ALTER COLUMN k DROP DEFAULT"]),
    (
        alter("k", type=t("enum", name="mood"), default="sad"),
        [
            "ALTER TABLE t ALTER COLUMN k DROP DEFAULT",
            "ALTER TABLE t ALTER COLUMN k TYPE mood USING k::mood",
            "ALTER TABLE t ALTER COLUMN k SET DEFAULT 'sad'::mood",
        ],
    ),
    # nullability
    (alter("a", nullable=False), ["ALTER TABLE t ALTER COLUMN a SET NOT NULL"]),
    (
        alter("a", nullable=False, default=0),
        [
            "ALTER TABLE t ALTER COLUMN a SET DEFAULT 0",
            "UPDATE t SET a = DEFAULT WHERE a IS NULL",
            "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
        ],
    ),
    (
        alter("k", nullable=False),
        ["UPDATE t SET k = DEFAULT WHERE k IS NULL", "ALTER TABLE t ALTER COLUMN k SET NOT NULL"],
    ),
    (alter("n", nullable=True), ["ALTER TABLE t ALTER COLUMN n DROP NOT NULL"]),
    # serial ↔ integer
    (
        alter("a", type=t("serial")),
        [
            "CREATE SEQUENCE t_a_seq AS integer OWNED BY t.a",
            "SELECT setval('t_a_seq', GREATEST(COALESCE(max(a), 0), 0) + 1, false) FROM t",
            "ALTER TABLE t ALTER COLUMN a SET DEFAULT nextval('t_a_seq'::regclass)",
            "UPDATE t SET a = DEFAULT WHERE a IS NULL",
            "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
        ],
    ),
    (alter("id", type=t("integer")), ["ALTER TABLE t ALTER COLUMN id DROP DEFAULT", seq_do("id", "DROP SEQUENCE %s")]),
    (
        alter("a", type=t("bigserial")),
        [
            "ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint",
            "CREATE SEQUENCE t_a_seq AS bigint OWNED BY t.a",
            "SELECT setval('t_a_seq', GREATEST(COALESCE(max(a), 0), 0) + 1, false) FROM t",
            "ALTER TABLE t ALTER COLUMN a SET DEFAULT nextval('t_a_seq'::regclass)",
            "UPDATE t SET a = DEFAULT WHERE a IS NULL",
            "ALTER TABLE t ALTER COLUMN a SET NOT NULL",
        ],
    ),
    (
        alter("id", type=t("bigserial")),
        ["ALTER TABLE t ALTER COLUMN id TYPE bigint USING id::bigint", seq_do("id", "ALTER SEQUENCE %s AS bigint")],
    ),
    (
        alter("id", type=t("bigint")),
        [
            "ALTER TABLE t ALTER COLUMN id DROP DEFAULT",
            seq_do("id", "DROP SEQUENCE %s"),
            "ALTER TABLE t ALTER COLUMN id TYPE bigint USING id::bigint",
        ],
    ),
]


@pytest.mark.parametrize(("op", "expected"), SQL, ids=lambda v: v.describe() if hasattr(v, "describe") else "")
def test_column_operation_sql(op: Any, expected: list[str]) -> None:
    assert statements(op, BASE) == expected


GUARDS = [
    (
        AddColumn(table="t", column=col("b", "text", nullable=False)),
        ("SELECT count(*) FROM t", "cannot add NOT NULL column t.b without a default: t has {count} rows"),
    ),
    (
        alter("a", nullable=False),
        (
            "SELECT count(*) FROM t WHERE a IS NULL",
            "cannot make t.a NOT NULL: {count} rows hold NULL and it has no default",
        ),
    ),
    (
        alter("s", type=t("varchar", length=3)),
        (
            "SELECT count(*) FROM t WHERE length(s::text) > 3",
            "cannot change t.s to varchar(3): {count} rows hold values longer than 3 characters",
        ),
    ),
    (
        alter("a", type=t("smallint")),
        (
            "SELECT count(*) FROM t WHERE a NOT BETWEEN -32768 AND 32767",
            "cannot change t.a to smallint: {count} rows hold values out of its range",
        ),
    ),
    (
        alter("a", type=t("numeric", precision=5, scale=2)),
        (
            "SELECT count(*) FROM t WHERE abs(round(a::numeric, 2)) >= 1000",
            "cannot change t.a to numeric(5,2): {count} rows hold values too large for it",
        ),
    ),
    (
        alter("s", type=t("integer")),
        (
            r"SELECT count(*) FROM t WHERE s IS NOT NULL AND CASE WHEN s ~ '^\s*[-+]?[0-9]+\s*$' "
            "THEN s::numeric NOT BETWEEN -2147483648 AND 2147483647 ELSE true END",
            "cannot change t.s to integer: {count} rows hold values that do not convert to it",
        ),
    ),
    (
        alter("s", type=t("enum", name="mood")),
        (
            "SELECT count(*) FROM t WHERE s::text NOT IN ('happy', 'sad')",
            "cannot change t.s to enum mood: {count} rows hold values that are not in it",
        ),
    ),
]


@pytest.mark.parametrize(("op", "expected"), GUARDS, ids=lambda v: v.describe() if hasattr(v, "describe") else "")
def test_changes_rows_may_not_take_are_guarded(op: Any, expected: tuple[str, str]) -> None:
    assert guards(op, BASE) == [expected]


@pytest.mark.parametrize(
    "op",
    [
        alter("a", type=t("bigint")),
        alter("a", type=t("text")),
        alter("s", type=t("varchar")),
        alter("a", nullable=False, default=0),
        AddColumn(table="t", column=col("b", "integer", nullable=False, default=1)),
        AddColumn(table="t", column=col("num", "serial")),
    ],
    ids=lambda op: op.describe(),
)
def test_changes_every_row_takes_have_no_guard(op: Any) -> None:
    assert guards(op, BASE) == []


def test_a_type_change_drops_and_adds_back_the_checks_and_expression_indexes_reading_the_column() -> None:
    checked = T.model_copy(
        update={
            "checks": (Check(name="t_label_check", expr=expr("label <> 'x'")),),
            "indexes": (
                Index(name="t_happy_idx", keys=(IndexKey(column="id"),), where=expr("label = 'happy'")),
                Index(name="t_label_idx", keys=(IndexKey(column="label"),)),
            ),
        }
    )
    label = checked.column("label")
    assert label is not None
    op = AlterColumn(table="t", old=label, new=label.model_copy(update={"type": t("enum", name="mood")}))
    assert statements(op, Schema(tables=(checked,), enums=(MOOD,))) == [
        "ALTER TABLE t DROP CONSTRAINT t_label_check",
        "DROP INDEX t_happy_idx",
        "ALTER TABLE t ALTER COLUMN label TYPE mood USING label::mood",
        "ALTER TABLE t ADD CONSTRAINT t_label_check CHECK (label <> 'x')",
        "CREATE INDEX t_happy_idx ON t(id) WHERE label = 'happy'",
    ]


# --- on a database -------------------------------------------------------------------------------

BY_ID = "SELECT id, {} FROM t ORDER BY id"
NEW_ROW = ("INSERT INTO t DEFAULT VALUES",)

ROUND_TRIPS = [
    RoundTrip(
        "add a nullable column",
        BASE,
        [AddColumn(table="t", column=col("b", "integer"))],
        ROWS,
        read=BY_ID.format("a"),
        up=[(1, 0), (2, 5), (3, None)],
    ),
    RoundTrip(
        "add a NOT NULL column with a default to a table with rows",
        BASE,
        [AddColumn(table="t", column=col("b", "text", nullable=False, default="new"))],
        ROWS,
        read=BY_ID.format("a"),
        read_up=BY_ID.format("b"),
        up=[(1, "new"), (2, "new"), (3, "new")],
    ),
    RoundTrip(
        "add a serial column numbers the rows",
        BASE,
        [AddColumn(table="t", column=col("num", "serial"))],
        ROWS,
        read=BY_ID.format("a"),
        read_up=BY_ID.format("num"),
        up=[(1, 1), (2, 2), (3, 3)],
    ),
    RoundTrip(
        "drop a column, undone it comes back empty",
        BASE,
        [DropColumn(table="t", column=T.columns[2])],
        ROWS,
        read=BY_ID.format("s"),
        read_up=BY_ID.format("a"),
        up=[(1, 0), (2, 5), (3, None)],
        down=[(1, None), (2, None), (3, None)],
    ),
    RoundTrip(
        "rename a column",
        BASE,
        [RenameColumn(table="t", old="s", new="title")],
        ROWS,
        read=BY_ID.format("s"),
        read_up=BY_ID.format("title"),
        up=[(1, "12"), (2, "-3"), (3, None)],
    ),
    RoundTrip(
        "rename a serial column, its sequence follows",
        BASE,
        [RenameColumn(table="t", old="id", new="key")],
        ROWS,
        read="SELECT pg_get_serial_sequence('t', 'id')",
        read_up="SELECT pg_get_serial_sequence('t', 'key')",
        up=[("public.t_key_seq",)],
        then=NEW_ROW,
        finally_=("INSERT INTO t DEFAULT VALUES RETURNING id", [(5,)]),
    ),
    RoundTrip(
        "text to integer",
        BASE,
        [alter("s", type=t("integer"))],
        ROWS,
        read=BY_ID.format("s"),
        up=[(1, 12), (2, -3), (3, None)],
    ),
    RoundTrip(
        "integer to boolean, undone as 0 and 1",
        BASE,
        [alter("a", type=t("boolean"))],
        ROWS,
        read=BY_ID.format("a"),
        up=[(1, False), (2, True), (3, None)],
        down=[(1, 0), (2, 1), (3, None)],
    ),
    RoundTrip(
        "text to enum",
        BASE,
        [alter("label", type=t("enum", name="mood"))],
        ROWS,
        read=BY_ID.format("label::text"),
        up=[(1, "happy"), (2, "sad"), (3, None)],
    ),
    RoundTrip(
        "enum to text",
        BASE,
        [alter("m", type=t("text"))],
        ROWS,
        read=BY_ID.format("m"),
        up=[(1, "happy"), (2, "sad"), (3, None)],
    ),
    RoundTrip(
        "json to jsonb",
        BASE,
        [alter("doc", type=t("jsonb"))],
        ROWS,
        read=BY_ID.format("doc::text"),
        up=[(1, '{"x": 1}'), (2, "[]"), (3, None)],
    ),
    RoundTrip(
        "integer to text",
        BASE,
        [alter("a", type=t("text"))],
        ROWS,
        read=BY_ID.format("a"),
        up=[(1, "0"), (2, "5"), (3, None)],
    ),
    RoundTrip(
        "timestamp to timestamptz reads the values as UTC",
        BASE,
        [alter("at", type=t("timestamptz"))],
        (*ROWS, "SET TIME ZONE 'America/New_York'"),
        read=BY_ID.format("at"),
        up=[(1, datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)), (2, None), (3, None)],
    ),
    RoundTrip(
        "varchar narrowing that every value fits",
        BASE,
        [alter("label", type=t("varchar", length=5))],
        ROWS,
        read=BY_ID.format("label"),
        up=[(1, "happy"), (2, "sad"), (3, None)],
    ),
    RoundTrip(
        "integer to numeric(5,2)",
        BASE,
        [alter("a", type=t("numeric", precision=5, scale=2))],
        ROWS,
        read=BY_ID.format("a"),
        up=[(1, Decimal("0.00")), (2, Decimal("5.00")), (3, None)],
    ),
    RoundTrip(
        "a value becomes a one-element array",
        BASE,
        [alter("s", type=t("text").array_of())],
        ROWS,
        read=BY_ID.format("s"),
        up=[(1, ["12"]), (2, ["-3"]), (3, None)],
        down=[(1, "{12}"), (2, "{-3}"), (3, None)],
    ),
    RoundTrip(
        "text to an array of enum values",
        BASE,
        [alter("label", type=t("enum", name="mood").array_of())],
        ROWS,
        read=BY_ID.format("label"),
        read_up=BY_ID.format("label::text[]"),
        up=[(1, ["happy"]), (2, ["sad"]), (3, None)],
        down=[(1, "{happy}"), (2, "{sad}"), (3, None)],
    ),
    RoundTrip(
        "type and default change together",
        BASE,
        [alter("label", type=t("enum", name="mood"), default="happy"), alter("k", type=t("varchar", length=5))],
        ROWS,
        read=BY_ID.format("label::text, k"),
        up=[(1, "happy", "x"), (2, "sad", "x"), (3, None, "x")],
        then=("INSERT INTO t (k) VALUES ('fresh')",),
        down=[(1, "happy", "x"), (2, "sad", "x"), (3, None, "x"), (4, "happy", "fresh")],
    ),
    RoundTrip(
        "set, change and drop defaults",
        BASE,
        [alter("a", default=7), alter("k", default="y"), alter("n", default=None)],
        ROWS,
        read=BY_ID.format("a, k, n"),
        up=[(1, 0, "x", 0), (2, 5, "x", 0), (3, None, "x", 0)],
    ),
    RoundTrip(
        "NOT NULL with a default fills the NULL rows first",
        BASE,
        [alter("a", nullable=False, default=7)],
        ROWS,
        read=BY_ID.format("a"),
        up=[(1, 0), (2, 5), (3, 7)],
        down=[(1, 0), (2, 5), (3, 7)],
    ),
    RoundTrip(
        "NOT NULL without a default over rows without NULL",
        BASE,
        [alter("a", nullable=False)],
        ("INSERT INTO t (a) VALUES (1), (2)",),
        read=BY_ID.format("a"),
        up=[(1, 1), (2, 2)],
    ),
    RoundTrip(
        "drop NOT NULL",
        BASE,
        [alter("n", nullable=True)],
        ROWS,
        read=BY_ID.format("n"),
        up=[(1, 0), (2, 0), (3, 0)],
    ),
    RoundTrip(
        "integer to serial numbers the NULL rows past the largest value, and keeps counting",
        BASE,
        [alter("a", type=t("serial"))],
        ROWS,
        read=BY_ID.format("a"),
        up=[(1, 0), (2, 5), (3, 6)],
        then=NEW_ROW,
        down=[(1, 0), (2, 5), (3, 6), (4, 7)],
        finally_=("INSERT INTO t DEFAULT VALUES RETURNING id, a", [(5, None)]),
    ),
    RoundTrip(
        "serial to integer, undone the sequence starts past the largest value",
        BASE,
        [alter("id", type=t("integer"))],
        ROWS,
        read=BY_ID.format("a"),
        up=[(1, 0), (2, 5), (3, None)],
        then=("INSERT INTO t (id) VALUES (10)",),
        down=[(1, 0), (2, 5), (3, None), (10, None)],
        finally_=("INSERT INTO t DEFAULT VALUES RETURNING id", [(11,)]),
    ),
    RoundTrip(
        "serial to bigserial and back",
        BASE,
        [alter("id", type=t("bigserial"))],
        ROWS,
        read="SELECT data_type FROM information_schema.sequences",
        up=[("bigint",)],
    ),
]


def with_identity(name: str, kind: str, identity: Identity) -> AlterColumn:
    """`t.name` made an identity column of type `kind`."""
    old = T.column(name)
    assert old is not None
    new = old.model_copy(update={"type": t(kind), "default": None, "identity": identity})
    return AlterColumn(table="t", old=old, new=new)


def identity_change(before: Identity, new: Identity) -> tuple[Schema, list[Operation]]:
    """A schema whose t.id is an identity `before`, and the change to `new`."""
    old = T.column("id")
    assert old is not None
    was = old.model_copy(update={"type": t("integer"), "identity": before})
    schema = Schema(tables=(T.model_copy(update={"columns": (was, *T.columns[1:])}),), enums=(MOOD,))
    return schema, [AlterColumn(table="t", old=was, new=was.model_copy(update={"identity": new}))]


IDENTITY_TRIPS = [
    RoundTrip(
        "serial to identity keeps numbering past the largest id, and back",
        BASE,
        [with_identity("id", "integer", Identity(always=True))],
        ROWS,
        read=BY_ID.format("a"),
        then=("INSERT INTO t (a) VALUES (42)",),
        up=[(1, 0), (2, 5), (3, None)],
        down=[(1, 0), (2, 5), (3, None), (4, 42)],
        finally_=("INSERT INTO t DEFAULT VALUES RETURNING id", [(5,)]),
    ),
    RoundTrip(
        "identity BY DEFAULT to ALWAYS",
        *identity_change(Identity(), Identity(always=True)),
        ROWS,
        read="SELECT attidentity::text FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'id'",
        up=[("a",)],
    ),
    RoundTrip(
        "identity options changed keep numbering past the rows",
        *identity_change(Identity(), Identity(increment=10, cache=5)),
        ROWS,
        read="SELECT max(id) FROM t",
        then=("INSERT INTO t DEFAULT VALUES",),
        up=[(3,)],
        down=[(13,)],
    ),
]


@pytest.mark.parametrize("case", IDENTITY_TRIPS, ids=str)
def test_identity_changes_run_keep_the_rows_and_are_undone(pg_url: str, case: RoundTrip) -> None:
    round_trip(pg_url, case)


@pytest.mark.parametrize("case", ROUND_TRIPS, ids=str)
def test_column_change_runs_keeps_the_rows_and_is_undone(pg_url: str, case: RoundTrip) -> None:
    round_trip(pg_url, case)


REFUSED = [
    Refused(
        "NOT NULL column without a default on a table with rows",
        BASE,
        [AddColumn(table="t", column=col("b", "text", nullable=False))],
        ROWS,
        "cannot add NOT NULL column t.b without a default: t has 3 rows",
    ),
    Refused(
        "NOT NULL without a default over NULL rows",
        BASE,
        [alter("a", nullable=False)],
        ROWS,
        "cannot make t.a NOT NULL: 1 rows hold NULL and it has no default",
        read=BY_ID.format("a"),
    ),
    Refused(
        "varchar narrowing over longer values",
        BASE,
        [alter("label", type=t("varchar", length=3))],
        ROWS,
        "cannot change t.label to varchar(3): 1 rows hold values longer than 3 characters",
        read=BY_ID.format("label"),
    ),
    Refused(
        "text that is not an integer",
        BASE,
        [alter("label", type=t("integer"))],
        ROWS,
        "cannot change t.label to integer: 2 rows hold values that do not convert to it",
    ),
    Refused(
        "integer text out of the integer range",
        BASE,
        [alter("s", type=t("integer"))],
        (*ROWS, "INSERT INTO t (s) VALUES ('99999999999')"),
        "cannot change t.s to integer: 1 rows hold values that do not convert to it",
    ),
    Refused(
        "text that is not a number",
        BASE,
        [alter("label", type=t("numeric"))],
        (*ROWS, "INSERT INTO t (label) VALUES ('NaN')"),
        "cannot change t.label to numeric: 2 rows hold values that do not convert to it",
    ),
    Refused(
        "integer narrowing out of range",
        BASE,
        [alter("a", type=t("smallint"))],
        (*ROWS, "INSERT INTO t (a) VALUES (100000), (-40000)"),
        "cannot change t.a to smallint: 2 rows hold values out of its range",
    ),
    Refused(
        "numeric narrowing over larger values",
        BASE,
        [alter("a", type=t("numeric", precision=3, scale=1))],
        (*ROWS, "INSERT INTO t (a) VALUES (100)"),
        "cannot change t.a to numeric(3,1): 1 rows hold values too large for it",
    ),
    Refused(
        "text that is not a value of the enum",
        BASE,
        [alter("s", type=t("enum", name="mood"))],
        ROWS,
        "cannot change t.s to enum mood: 2 rows hold values that are not in it",
    ),
    Refused(
        "text that is not a boolean",
        BASE,
        [alter("label", type=t("boolean"))],
        (*ROWS, "INSERT INTO t (label) VALUES ('yes'), ('F')"),
        "cannot change t.label to boolean: 2 rows hold values that do not convert to it",
    ),
    Refused(
        "undoing a dropped NOT NULL over new NULL rows",
        Schema(tables=(table("u", col("id", "integer", nullable=False), col("v", "text", nullable=False)),)),
        [AlterColumn(table="u", old=col("v", "text", nullable=False), new=col("v", "text", nullable=True))],
        ("INSERT INTO u VALUES (1, 'a')",),
        "cannot make u.v NOT NULL: 1 rows hold NULL and it has no default",
        undo=True,
        then=("INSERT INTO u VALUES (2, NULL)",),
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_guard_stops_the_change_and_leaves_the_database_as_it_was(pg_url: str, case: Refused) -> None:
    refused(pg_url, case)


def test_names_in_guard_messages_keep_their_braces() -> None:
    odd = Schema(tables=(table("t{1}", col("id", "integer", nullable=False)),))
    ((_, message),) = guards(AddColumn(table="t{1}", column=col("b}", "text", nullable=False)), odd)
    assert message.format(count=3) == "cannot add NOT NULL column t{1}.b} without a default: t{1} has 3 rows"
