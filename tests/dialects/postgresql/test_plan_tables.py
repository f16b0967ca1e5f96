"""Tables, keys, constraints, indexes and views planned for PostgreSQL: the SQL of each, then
each run on a real database with rows and undone, and each guard stopping a constraint the
rows break."""

from __future__ import annotations

from typing import Any

import pytest

from mizzle.core.model import Check, ForeignKey, Index, IndexKey, PrimaryKey, Schema, Unique, View
from mizzle.core.operations import (
    AddCheck,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    CreateIndex,
    CreateTable,
    CreateView,
    DropCheck,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    DropUnique,
    DropView,
    RenameTable,
    ReplaceView,
)
from mizzle.dialects.postgresql import plan
from tests.dialects.postgresql.planning import (
    Refused,
    RoundTrip,
    after,
    col,
    expr,
    fetch,
    guards,
    open_database,
    refused,
    round_trip,
    run_plan,
    schema_of,
    statements,
    table,
)
from tests.pg import fresh_database

PARENT = table("parent", col("id", "serial", nullable=False), col("code", "text"))
CHILD = table(
    "child",
    col("id", "serial", nullable=False),
    col("parent_id", "integer"),
    col("code", "text"),
    col("qty", "integer"),
)
CHILD_PK = PrimaryKey(name="child_pkey", columns=("id",))
TAG = table("tag", col("name", "text", nullable=False), col("n", "integer"), pk=None)
BASE = Schema(tables=(CHILD, PARENT, TAG))
ROWS = (
    "INSERT INTO parent (code) VALUES ('a'), ('b')",
    "INSERT INTO child (parent_id, code, qty) VALUES (1, 'x', 1), (2, 'y', 2), (NULL, 'X', NULL)",
    "INSERT INTO tag VALUES ('red', 1), ('blue', 2)",
)

FK = ForeignKey(name="child_parent_id_fkey", columns=("parent_id",), ref_table="parent", ref_columns=("id",))
UNIQUE = Unique(name="child_code_key", columns=("code",))
CHECK = Check(name="child_qty_check", expr=expr("qty > 0"))
PLAIN_INDEX = Index(name="child_code_idx", keys=(IndexKey(column="code"),))
LOWER_INDEX = Index(
    name="child_lower_idx",
    keys=(IndexKey(expr=expr("lower(code)")), IndexKey(column="qty", desc=True)),
    unique=True,
    where=expr("qty > 0"),
)
WITH_ALL = CHILD.model_copy(
    update={
        "foreign_keys": (FK,),
        "uniques": (UNIQUE,),
        "checks": (CHECK,),
        "indexes": (PLAIN_INDEX,),
    }
)
FULL = Schema(tables=(WITH_ALL, PARENT, TAG))
SESSION = table(
    "session",
    col("id", "serial", nullable=False),
    col("child_id", "integer", nullable=False),
    col("note", "text", default="none"),
    foreign_keys=(
        ForeignKey(name="session_child_id_fkey", columns=("child_id",), ref_table="child", ref_columns=("id",)),
    ),
    checks=(Check(name="session_note_check", expr=expr("length(note) < 100")),),
    indexes=(Index(name="session_child_id_idx", keys=(IndexKey(column="child_id"),)),),
)
CODES = View(name="codes", query=expr("SELECT id, code FROM child WHERE qty > 0"))
CODES_WIDER = View(name="codes", query=expr("SELECT id, code, qty FROM child WHERE qty > 0"))
CODES_NARROWER = View(name="codes", query=expr("SELECT id FROM child"))
FIRST_CODES = View(name="first_codes", query=expr("SELECT id FROM codes WHERE id < 10"))
WITH_VIEWS = Schema(tables=BASE.tables, views=(CODES, FIRST_CODES))

# --- the SQL -------------------------------------------------------------------------------------

SQL = [
    (
        CreateTable(table=SESSION),
        BASE,
        [
            "CREATE TABLE session (\n  id serial NOT NULL,\n  child_id integer NOT NULL,\n  note text DEFAULT 'none',\n"
            "  CONSTRAINT session_pkey PRIMARY KEY (id),\n  CONSTRAINT session_note_check CHECK (length(note) < 100),\n"
            "  CONSTRAINT session_child_id_fkey FOREIGN KEY (child_id) REFERENCES child (id)\n)",
            "CREATE INDEX session_child_id_idx ON session(child_id)",
        ],
    ),
    (DropTable(table=CHILD), BASE, ["DROP TABLE child"]),
    (RenameTable(old="tag", new="label"), BASE, ["ALTER TABLE tag RENAME TO label"]),
    (RenameTable(old="tag", new="Tag"), BASE, ['ALTER TABLE tag RENAME TO "Tag"']),
    (
        RenameTable(old="parent", new="owner"),
        BASE,
        [
            "ALTER TABLE parent RENAME TO owner",
            "DO $mizzle$\nDECLARE seq text := pg_get_serial_sequence('owner', 'id');\nBEGIN\n"
            "  IF seq IS NOT NULL THEN EXECUTE format('ALTER SEQUENCE %s RENAME TO %I', seq, 'owner_id_seq'); END IF;\n"
            "END\n$mizzle$",
        ],
    ),
    (
        AddPrimaryKey(table="tag", key=PrimaryKey(name="tag_pkey", columns=("name",))),
        BASE,
        ["ALTER TABLE tag ADD CONSTRAINT tag_pkey PRIMARY KEY (name)"],
    ),
    (DropPrimaryKey(table="child", key=CHILD_PK), BASE, ["ALTER TABLE child DROP CONSTRAINT child_pkey"]),
    (
        AddForeignKey(table="child", fk=FK),
        BASE,
        ["ALTER TABLE child ADD CONSTRAINT child_parent_id_fkey FOREIGN KEY (parent_id) REFERENCES parent (id)"],
    ),
    (DropForeignKey(table="child", fk=FK), FULL, ["ALTER TABLE child DROP CONSTRAINT child_parent_id_fkey"]),
    (AddUnique(table="child", unique=UNIQUE), BASE, ["ALTER TABLE child ADD CONSTRAINT child_code_key UNIQUE (code)"]),
    (DropUnique(table="child", unique=UNIQUE), FULL, ["ALTER TABLE child DROP CONSTRAINT child_code_key"]),
    (AddCheck(table="child", check=CHECK), BASE, ["ALTER TABLE child ADD CONSTRAINT child_qty_check CHECK (qty > 0)"]),
    (DropCheck(table="child", check=CHECK), FULL, ["ALTER TABLE child DROP CONSTRAINT child_qty_check"]),
    (CreateIndex(table="child", index=PLAIN_INDEX), BASE, ["CREATE INDEX child_code_idx ON child(code)"]),
    (
        CreateIndex(table="child", index=LOWER_INDEX),
        BASE,
        ["CREATE UNIQUE INDEX child_lower_idx ON child(lower(code), qty DESC) WHERE qty > 0"],
    ),
    (
        CreateIndex(table="child", index=PLAIN_INDEX, concurrently=True),
        BASE,
        ["DROP INDEX CONCURRENTLY IF EXISTS child_code_idx", "CREATE INDEX CONCURRENTLY child_code_idx ON child(code)"],
    ),
    (DropIndex(table="child", index=PLAIN_INDEX), FULL, ["DROP INDEX child_code_idx"]),
    (
        DropIndex(table="child", index=PLAIN_INDEX, concurrently=True),
        FULL,
        ["DROP INDEX CONCURRENTLY IF EXISTS child_code_idx"],
    ),
    (CreateView(view=CODES), BASE, ["CREATE VIEW codes AS SELECT child.id, child.code FROM child WHERE child.qty > 0"]),
    (DropView(view=FIRST_CODES), WITH_VIEWS, ["DROP VIEW first_codes"]),
    (
        ReplaceView(old=CODES, new=CODES_WIDER),
        WITH_VIEWS,
        ["CREATE OR REPLACE VIEW codes AS SELECT child.id, child.code, child.qty FROM child WHERE child.qty > 0"],
    ),
    (
        ReplaceView(old=CODES, new=CODES_NARROWER),
        WITH_VIEWS,
        [
            "DROP VIEW first_codes",
            "DROP VIEW codes",
            "CREATE VIEW codes AS SELECT child.id FROM child",
            "CREATE VIEW first_codes AS SELECT codes.id FROM codes WHERE codes.id < 10",
        ],
    ),
]


@pytest.mark.parametrize(
    ("op", "schema", "expected"), SQL, ids=lambda v: v.describe() if hasattr(v, "describe") else ""
)
def test_operation_sql(op: Any, schema: Schema, expected: list[str]) -> None:
    assert statements(op, schema) == expected


GUARDS = [
    (
        AddPrimaryKey(table="tag", key=PrimaryKey(name="tag_pkey", columns=("name",))),
        [
            (
                "SELECT count(*) FROM (SELECT 1 FROM tag GROUP BY name HAVING count(*) > 1) AS duplicate",
                "cannot add primary key tag_pkey on tag(name): {count} values appear more than once",
            ),
        ],
    ),
    (
        AddForeignKey(table="child", fk=FK),
        [
            (
                "SELECT count(*) FROM child AS child WHERE child.parent_id IS NOT NULL AND NOT EXISTS "
                "(SELECT 1 FROM parent AS parent WHERE parent.id = child.parent_id)",
                "cannot add foreign key child_parent_id_fkey on child(parent_id): "
                "{count} rows of child have no matching row in parent",
            )
        ],
    ),
    (
        AddUnique(table="child", unique=UNIQUE),
        [
            (
                "SELECT count(*) FROM (SELECT 1 FROM child WHERE code IS NOT NULL GROUP BY code HAVING count(*) > 1) "
                "AS duplicate",
                "cannot add unique child_code_key on child(code): {count} values appear more than once",
            )
        ],
    ),
    (
        AddCheck(table="child", check=CHECK),
        [
            (
                "SELECT count(*) FROM child WHERE NOT (qty > 0)",
                "cannot add check child_qty_check on child: {count} rows break it",
            )
        ],
    ),
    (
        CreateIndex(table="child", index=LOWER_INDEX),
        [
            (
                "SELECT count(*) FROM (SELECT 1 FROM child WHERE LOWER(code) IS NOT NULL AND qty IS NOT NULL "
                "AND (qty > 0) GROUP BY LOWER(code), qty HAVING count(*) > 1) AS duplicate",
                "cannot create unique index child_lower_idx on child(LOWER(code), qty): "
                "{count} values appear more than once",
            )
        ],
    ),
    (CreateIndex(table="child", index=PLAIN_INDEX), []),
    (DropUnique(table="child", unique=UNIQUE), []),
]


@pytest.mark.parametrize(("op", "expected"), GUARDS, ids=lambda v: v.describe() if hasattr(v, "describe") else "")
def test_constraints_rows_may_break_are_guarded(op: Any, expected: list[tuple[str, str]]) -> None:
    assert guards(op, FULL if op.op.startswith("drop") else BASE) == expected


def test_concurrent_index_builds_run_outside_the_transaction_and_are_undone_concurrently() -> None:
    ops = [CreateIndex(table="child", index=PLAIN_INDEX)]
    (step,) = plan(ops, BASE, after(BASE, ops), concurrently=True).steps
    assert (step.transactional, step.reverse, step.reverse_transactional) == (
        False,
        ("DROP INDEX CONCURRENTLY IF EXISTS child_code_idx",),  # re-runnable: a resumed run may repeat it
        False,
    )


def test_undoing_a_dropped_index_builds_it_concurrently_when_asked() -> None:
    ops = [DropIndex(table="child", index=PLAIN_INDEX)]
    (step,) = plan(ops, FULL, after(FULL, ops), concurrently=True).steps
    assert step.statements == ("DROP INDEX child_code_idx",)
    assert (step.transactional, step.reverse_transactional) == (True, False)


def test_a_concurrent_drop_runs_outside_the_transaction_and_is_undone_concurrently() -> None:
    """DropIndex(concurrently=True) is what a concurrent CreateIndex reverses to: planned on
    its own, it is the same step undone."""
    ops = [CreateIndex(table="child", index=PLAIN_INDEX, concurrently=True).reverse()]
    (step,) = plan(ops, FULL, after(FULL, ops)).steps
    assert (step.statements, step.transactional, step.reverse_transactional) == (
        ("DROP INDEX CONCURRENTLY IF EXISTS child_code_idx",),
        False,
        False,
    )
    assert step.reverse[-1] == "CREATE INDEX CONCURRENTLY child_code_idx ON child(code)"


def test_an_index_on_a_table_the_migration_creates_is_built_in_the_transaction() -> None:
    bare = SESSION.model_copy(update={"indexes": (), "foreign_keys": ()})
    ops = [CreateTable(table=bare), CreateIndex(table="session", index=SESSION.indexes[0])]
    steps = plan(ops, BASE, after(BASE, ops), concurrently=True).steps
    assert [s.transactional for s in steps] == [True, True]
    assert steps[1].statements == ("CREATE INDEX session_child_id_idx ON session(child_id)",)


# --- on a database -------------------------------------------------------------------------------

CHILDREN = "SELECT id, parent_id, code, qty FROM child ORDER BY id"
CHILD_ROWS = [(1, 1, "x", 1), (2, 2, "y", 2), (3, None, "X", None)]

ROUND_TRIPS = [
    RoundTrip(
        "create a table with keys, constraints and an index",
        BASE,
        [CreateTable(table=SESSION)],
        ROWS,
        read=CHILDREN,
        up=CHILD_ROWS,
        then=("INSERT INTO session (child_id) VALUES (1)",),
    ),
    RoundTrip(
        "drop a table with its constraints and indexes, undone it comes back empty",
        FULL,
        [DropTable(table=WITH_ALL)],
        ROWS,
        read="SELECT count(*) FROM child",
        read_up="SELECT count(*) FROM parent",
        up=[(2,)],
        down=[(0,)],
    ),
    RoundTrip(
        "rename a referenced serial table: the foreign key and the sequence follow",
        FULL,
        [RenameTable(old="parent", new="owner")],
        ROWS,
        read="SELECT pg_get_serial_sequence('parent', 'id')",
        read_up="SELECT pg_get_serial_sequence('owner', 'id'), (SELECT count(*) FROM owner)",
        up=[("public.owner_id_seq", 2)],
        then=("INSERT INTO owner (code) VALUES ('c')", "INSERT INTO child (parent_id) VALUES (3)"),
        finally_=("INSERT INTO parent (code) VALUES ('d') RETURNING id", [(4,)]),
    ),
    RoundTrip(
        "add and drop a primary key",
        BASE,
        [
            AddPrimaryKey(table="tag", key=PrimaryKey(name="tag_pkey", columns=("name",))),
            DropPrimaryKey(table="child", key=CHILD_PK),
        ],
        ROWS,
        read=CHILDREN,
        up=CHILD_ROWS,
    ),
    RoundTrip(
        "add a foreign key, a unique and a check over rows that keep them",
        BASE,
        [
            AddForeignKey(table="child", fk=FK),
            AddUnique(table="child", unique=UNIQUE),
            AddCheck(table="child", check=CHECK),
        ],
        ROWS,
        read=CHILDREN,
        up=CHILD_ROWS,
    ),
    RoundTrip(
        "drop a foreign key, a unique and a check",
        FULL,
        [
            DropForeignKey(table="child", fk=FK),
            DropUnique(table="child", unique=UNIQUE),
            DropCheck(table="child", check=CHECK),
        ],
        ROWS,
        read=CHILDREN,
        up=CHILD_ROWS,
    ),
    RoundTrip(
        "create and drop indexes: partial, expression, descending, unique",
        FULL,
        [CreateIndex(table="child", index=LOWER_INDEX), DropIndex(table="child", index=PLAIN_INDEX)],
        ROWS,
        read=CHILDREN,
        up=CHILD_ROWS,
    ),
    RoundTrip(
        "create an index concurrently",
        BASE,
        [CreateIndex(table="child", index=LOWER_INDEX)],
        ROWS,
        read=CHILDREN,
        up=CHILD_ROWS,
        concurrently=True,
    ),
    RoundTrip(
        "create views, one on the other",
        BASE,
        [CreateView(view=CODES), CreateView(view=FIRST_CODES)],
        ROWS,
        read=CHILDREN,
        read_up="SELECT * FROM first_codes ORDER BY id",
        up=[(1,), (2,)],
    ),
    RoundTrip(
        "drop views",
        WITH_VIEWS,
        [DropView(view=FIRST_CODES), DropView(view=CODES)],
        ROWS,
        read="SELECT * FROM first_codes ORDER BY id",
        read_up=CHILDREN,
        up=CHILD_ROWS,
    ),
    RoundTrip(
        "replace a view with one more column",
        WITH_VIEWS,
        [ReplaceView(old=CODES, new=CODES_WIDER)],
        ROWS,
        read="SELECT * FROM codes ORDER BY id",
        up=[(1, "x", 1), (2, "y", 2)],
    ),
    RoundTrip(
        "replace a view with fewer columns under a view reading it",
        WITH_VIEWS,
        [ReplaceView(old=CODES, new=CODES_NARROWER)],
        ROWS,
        read="SELECT * FROM codes ORDER BY id",
        up=[(1,), (2,), (3,)],
    ),
]


@pytest.mark.parametrize("case", ROUND_TRIPS, ids=str)
def test_change_runs_keeps_the_rows_and_is_undone(pg_url: str, case: RoundTrip) -> None:
    round_trip(pg_url, case)


REFUSED = [
    Refused(
        "primary key over duplicates",
        BASE,
        [AddPrimaryKey(table="tag", key=PrimaryKey(name="tag_pkey", columns=("name",)))],
        (*ROWS, "INSERT INTO tag VALUES ('red', 3), ('red', 4), ('blue', 5)"),
        "cannot add primary key tag_pkey on tag(name): 2 values appear more than once",
        read="SELECT * FROM tag ORDER BY n",
    ),
    Refused(
        "foreign key over orphans",
        BASE,
        [AddForeignKey(table="child", fk=FK)],
        (*ROWS, "INSERT INTO child (parent_id) VALUES (7), (8)"),
        "cannot add foreign key child_parent_id_fkey on child(parent_id): "
        "2 rows of child have no matching row in parent",
        read=CHILDREN,
    ),
    Refused(
        "unique over duplicates (NULLs may repeat)",
        BASE,
        [AddUnique(table="child", unique=UNIQUE)],
        (*ROWS, "INSERT INTO child (code) VALUES ('x'), (NULL), (NULL)"),
        "cannot add unique child_code_key on child(code): 1 values appear more than once",
    ),
    Refused(
        "check broken by rows (NULL passes)",
        BASE,
        [AddCheck(table="child", check=CHECK)],
        (*ROWS, "INSERT INTO child (qty) VALUES (0), (-1)"),
        "cannot add check child_qty_check on child: 2 rows break it",
    ),
    Refused(
        "unique index over duplicates within its predicate",
        BASE,
        [CreateIndex(table="child", index=LOWER_INDEX)],
        (*ROWS, "INSERT INTO child (code, qty) VALUES ('Y', 2), ('z', 0), ('z', 0)"),
        "cannot create unique index child_lower_idx on child(LOWER(code), qty): 1 values appear more than once",
    ),
    Refused(
        "undoing a dropped unique over new duplicates",
        FULL,
        [DropUnique(table="child", unique=UNIQUE)],
        ROWS,
        "cannot add unique child_code_key on child(code): 1 values appear more than once",
        undo=True,
        then=("INSERT INTO child (code) VALUES ('x')",),
    ),
]


@pytest.mark.parametrize("case", REFUSED, ids=str)
def test_guard_stops_the_change_and_leaves_the_database_as_it_was(pg_url: str, case: Refused) -> None:
    refused(pg_url, case)


def test_a_concurrent_unique_index_over_duplicates_is_stopped_before_it_is_built(pg_url: str) -> None:
    case = Refused(
        "",
        BASE,
        [CreateIndex(table="child", index=LOWER_INDEX)],
        (*ROWS, "INSERT INTO child (code, qty) VALUES ('Y', 2)"),
        "cannot create unique index child_lower_idx on child(LOWER(code), qty): 1 values appear more than once",
        concurrently=True,
    )
    refused(pg_url, case)


SEQUENCES = "SELECT relname FROM pg_class WHERE relkind = 'S' ORDER BY relname"


def test_a_renamed_serial_table_matches_a_fresh_database_down_to_its_sequence_name(pg_url: str) -> None:
    ops = [RenameTable(old="parent", new="owner")]
    target = after(FULL, ops)
    with open_database(pg_url, FULL, ROWS) as conn:
        run_plan(conn, plan(ops, FULL, target))
        migrated = (schema_of(conn), fetch(conn, SEQUENCES))
    with fresh_database() as url, open_database(url, target) as fresh:
        assert (schema_of(fresh), fetch(fresh, SEQUENCES)) == migrated
    assert migrated[1] == [("child_id_seq",), ("owner_id_seq",)]
