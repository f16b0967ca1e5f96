"""The diff: one line per case (schema A → schema B → the operations, in order), renames, no
churn, and properties over random pairs: evolve(A, diff(A, B)) == B and the reverse."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from mizzle.core.diff import diff
from mizzle.core.evolve import evolve
from mizzle.core.model import Schema
from mizzle.core.operations import (
    AddForeignKey,
    AlterColumn,
    CreateTable,
    DropTable,
    RenameColumn,
    RenameTable,
    reverse_all,
)
from mizzle.core.renames import AmbiguousRename, Kind, Renames
from mizzle.sources.sql.reader import parse_ddl
from tests.dialects.rich_schema import RICH
from tests.strategies import schemas
from tests.strategies_evolution import drop_everything_renames, schema_pairs, without_column_order

# Drawing schemas is most of the cost; the pairs test is the one worth its examples.
_few = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_many = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def s(ddl: str) -> Schema:
    return parse_ddl(ddl).schema


def described(a: str, b: str, renames: Renames | None = None) -> list[str]:
    """diff(A, B) as one line per operation, after checking that the operations carry A to B
    and that their reverses carry B back to A."""
    old, new = s(a), s(b)
    ops = diff(old, new, renames)
    assert evolve(old, ops) == new
    assert without_column_order(evolve(new, reverse_all(ops))) == without_column_order(old)
    return [op.describe() for op in ops]


T = "CREATE TABLE t (id int PRIMARY KEY, a int);"
P = "CREATE TABLE p (id int PRIMARY KEY, code text);"
C = "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p(id));"

# one case per operation kind
OPERATIONS = [
    ("", T, ["create table t"]),
    (T, "", ["drop table t (its rows are lost)"]),
    (T, T + "ALTER TABLE t ADD b text NOT NULL DEFAULT 'x'", ["add column t.b text"]),
    (T + "ALTER TABLE t ADD b text", T, ["drop column t.b (its values are lost)"]),
    (T, "CREATE TABLE t (id int PRIMARY KEY, a bigint)", ["alter column t.a: type integer → bigint"]),
    (T, "CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL)", ["alter column t.a: set NOT NULL"]),
    (T, "CREATE TABLE t (id int PRIMARY KEY, a int DEFAULT 3)", ["alter column t.a: set default"]),
    ("CREATE TABLE t (a int DEFAULT 3)", "CREATE TABLE t (a int DEFAULT 4)", ["alter column t.a: set default"]),
    ("CREATE TABLE t (a int NOT NULL)", "CREATE TABLE t (a int PRIMARY KEY)", ["add primary key t_pkey on t(a)"]),
    ("CREATE TABLE t (a int PRIMARY KEY)", "CREATE TABLE t (a int NOT NULL)", ["drop primary key t_pkey on t"]),
    (
        P + "CREATE TABLE c (p_id int)",
        P + "CREATE TABLE c (p_id int REFERENCES p(id))",
        ["add foreign key c_p_id_fkey on c(p_id) → p"],
    ),
    (
        P + "CREATE TABLE c (p_id int REFERENCES p(id))",
        P + "CREATE TABLE c (p_id int)",
        ["drop foreign key c_p_id_fkey on c"],
    ),
    (
        P + "CREATE TABLE c (p_id int REFERENCES p(id))",
        P + "CREATE TABLE c (p_id int REFERENCES p(id) ON DELETE CASCADE)",
        ["drop foreign key c_p_id_fkey on c", "add foreign key c_p_id_fkey on c(p_id) → p"],
    ),
    (T, T + "ALTER TABLE t ADD UNIQUE (a)", ["add unique t_a_key on t(a)"]),
    (T + "ALTER TABLE t ADD UNIQUE (a)", T, ["drop unique t_a_key on t"]),
    (T, T + "ALTER TABLE t ADD CHECK (a > 0)", ["add check t_a_check on t: a > 0"]),
    (
        T + "ALTER TABLE t ADD CHECK (a > 0)",
        T + "ALTER TABLE t ADD CHECK (a > 1)",
        ["drop check t_a_check on t", "add check t_a_check on t: a > 1"],
    ),
    (T, T + "CREATE INDEX ON t (a DESC) WHERE a > 0", ["create index t_a_idx on t"]),
    (T + "CREATE INDEX ON t (a)", T, ["drop index t_a_idx on t"]),
    (
        T + "CREATE INDEX ON t (a)",
        T + "CREATE UNIQUE INDEX t_a_idx ON t (a)",
        ["drop index t_a_idx on t", "create unique index t_a_idx on t"],
    ),
    ("", "CREATE TYPE mood AS ENUM ('a')", ["create enum mood ['a']"]),
    ("CREATE TYPE mood AS ENUM ('a')", "", ["drop enum mood"]),
    ("CREATE TYPE mood AS ENUM ('a', 'c')", "CREATE TYPE mood AS ENUM ('a', 'b', 'c')", ["alter enum mood: add ['b']"]),
    ("CREATE TYPE mood AS ENUM ('a', 'b')", "CREATE TYPE mood AS ENUM ('b')", ["alter enum mood: remove ['a']"]),
    ("CREATE TYPE mood AS ENUM ('a', 'b')", "CREATE TYPE mood AS ENUM ('b', 'a')", ["alter enum mood: reorder values"]),
    # values gained early (step 5), values lost late (step 15)
    (
        "CREATE TYPE mood AS ENUM ('a', 'b')",
        "CREATE TYPE mood AS ENUM ('a', 'z')",
        ["alter enum mood: add ['z']", "alter enum mood: remove ['b']"],
    ),
    (T, T + "CREATE VIEW v AS SELECT a FROM t", ["create view v"]),
    (T + "CREATE VIEW v AS SELECT a FROM t", T, ["drop view v"]),
    (
        T + "CREATE VIEW v AS SELECT a FROM t",
        T + "CREATE VIEW v AS SELECT id, a FROM t",
        ["drop view v", "create view v"],
    ),
]

ORDERING = [
    # an FK to a dropped table goes before the table
    (
        P + C,
        "CREATE TABLE c (id int PRIMARY KEY, p_id int)",
        ["drop foreign key c_p_id_fkey on c", "drop table p (its rows are lost)"],
    ),
    # children are dropped before their parents
    (P + C, "", ["drop table c (its rows are lost)", "drop table p (its rows are lost)"]),
    # new tables in FK order, carrying their FKs
    ("", P + C, ["create table p", "create table c"]),
    # a view over an altered column is dropped first and re-created last, views on views too
    (
        T + "CREATE VIEW v AS SELECT a FROM t; CREATE VIEW w AS SELECT a FROM v",
        "CREATE TABLE t (id int PRIMARY KEY, a bigint);"
        "CREATE VIEW v AS SELECT a FROM t; CREATE VIEW w AS SELECT a FROM v",
        ["drop view w", "drop view v", "alter column t.a: type integer → bigint", "create view v", "create view w"],
    ),
    # a view reading an unchanged table stays; adding a column changes nothing a view reads
    (
        T + "CREATE VIEW v AS SELECT a FROM t",
        T + "ALTER TABLE t ADD b int; CREATE VIEW v AS SELECT a FROM t",
        ["add column t.b integer"],
    ),
    # an FK cycle among new tables: the cycle-closing FK is added after both tables
    (
        "",
        "CREATE TABLE a (id int PRIMARY KEY, b_id int); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id));"
        "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b(id)",
        ["create table a", "create table b", "add foreign key a_b_id_fkey on a(b_id) → b"],
    ),
    # an FK cycle among dropped tables: one FK goes first
    (
        "CREATE TABLE a (id int PRIMARY KEY, b_id int); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id));"
        "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b(id)",
        "",
        ["drop foreign key b_a_id_fkey on b", "drop table a (its rows are lost)", "drop table b (its rows are lost)"],
    ),
    # a new enum before the new column using it; an enum dropped after the column leaves it
    (
        "CREATE TABLE t (a int)",
        "CREATE TYPE mood AS ENUM ('x'); CREATE TABLE t (a int, m mood)",
        ["create enum mood ['x']", "add column t.m enum mood"],
    ),
    (
        "CREATE TYPE mood AS ENUM ('x'); CREATE TABLE t (a int, m mood)",
        "CREATE TABLE t (a int)",
        ["drop column t.m (its values are lost)", "drop enum mood"],
    ),
    # an enum value removed after the default holding it changed, a value added before it is used
    (
        "CREATE TYPE m AS ENUM ('a', 'b'); CREATE TABLE t (x m DEFAULT 'b')",
        "CREATE TYPE m AS ENUM ('a', 'z'); CREATE TABLE t (x m DEFAULT 'z')",
        ["alter enum m: add ['z']", "alter column t.x: set default", "alter enum m: remove ['b']"],
    ),
    # a view over a column of an enum that loses values is re-created around the change
    (
        "CREATE TYPE m AS ENUM ('a', 'b'); CREATE TABLE t (x m); CREATE VIEW v AS SELECT x FROM t",
        "CREATE TYPE m AS ENUM ('a'); CREATE TABLE t (x m); CREATE VIEW v AS SELECT x FROM t",
        ["drop view v", "alter enum m: remove ['b']", "create view v"],
    ),
    # a retyped key: the FKs through it go first and come back last
    (
        P + C,
        "CREATE TABLE p (id bigint PRIMARY KEY, code text);"
        "CREATE TABLE c (id int PRIMARY KEY, p_id bigint REFERENCES p(id))",
        [
            "drop foreign key c_p_id_fkey on c",
            "alter column c.p_id: type integer → bigint",
            "alter column p.id: type integer → bigint",
            "add foreign key c_p_id_fkey on c(p_id) → p",
        ],
    ),
    # a key an FK references is replaced: the FK goes first and comes back after the new key
    (
        P + C,
        "CREATE TABLE p (id int NOT NULL, code text, CONSTRAINT p_key PRIMARY KEY (id)); " + C,
        [
            "drop foreign key c_p_id_fkey on c",
            "drop primary key p_pkey on p",
            "add primary key p_key on p(id)",
            "add foreign key c_p_id_fkey on c(p_id) → p",
        ],
    ),
    # a new table referencing a key that is only added later gets its FK after the key
    (
        "CREATE TABLE p (id int NOT NULL)",
        "CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p(id))",
        ["create table c", "add primary key p_pkey on p(id)", "add foreign key c_p_id_fkey on c(p_id) → p"],
    ),
    # new columns before dropped ones: a table always keeps a column
    (
        "CREATE TABLE t (a int)",
        "CREATE TABLE t (b text)",
        ["add column t.b text", "drop column t.a (its values are lost)"],
    ),
    # a dropped table's index whose name a new table takes goes before CREATE TABLE
    (
        "CREATE TABLE old (x int); CREATE INDEX by_x ON old (x)",
        "CREATE TABLE new (y uuid); CREATE INDEX by_x ON new (y)",
        ["drop index by_x on old", "create table new", "drop table old (its rows are lost)"],
    ),
    # a dropped table whose very name a new index takes goes before CREATE TABLE
    (
        "CREATE TABLE old_t (x int)",
        "CREATE TABLE n (y uuid); CREATE INDEX old_t ON n (y)",
        ["drop table old_t (its rows are lost)", "create table n"],
    ),
    # a unique index over a column that goes is dropped before the column
    (
        "CREATE TABLE t (a int, b int); CREATE UNIQUE INDEX ON t (a, b)",
        "CREATE TABLE t (a int)",
        ["drop index t_a_b_idx on t", "drop column t.b (its values are lost)"],
    ),
]

RENAMES = [
    (
        "CREATE TABLE playlist (id int PRIMARY KEY, name text)",
        "CREATE TABLE repertoire (id int, name text, CONSTRAINT playlist_pkey PRIMARY KEY (id))",
        ["playlist=repertoire"],
        ["rename table playlist to repertoire"],
    ),
    # default names follow the new table name: a name change is a drop and an add
    (
        "CREATE TABLE playlist (id int PRIMARY KEY, name text)",
        "CREATE TABLE repertoire (id int PRIMARY KEY, name text)",
        ["playlist=repertoire"],
        [
            "drop primary key playlist_pkey on playlist",
            "rename table playlist to repertoire",
            "add primary key repertoire_pkey on repertoire(id)",
        ],
    ),
    (
        "CREATE TABLE tune (id int, title text)",
        "CREATE TABLE tune (id int, name text)",
        ["tune.title=name"],
        ["rename column tune.title to name"],
    ),
    # a rename with a type change
    (
        "CREATE TABLE tune (id int, title varchar(20))",
        "CREATE TABLE tune (id int, name text NOT NULL)",
        ["tune.title=name"],
        ["rename column tune.title to name", "alter column tune.name: type varchar(20) → text, set NOT NULL"],
    ),
    # a table rename and a column rename in it; the FK pointing at both follows
    (
        "CREATE TABLE playlist (playlist_id int, name text, CONSTRAINT pk PRIMARY KEY (playlist_id));"
        "CREATE TABLE entry (list int REFERENCES playlist(playlist_id))",
        "CREATE TABLE repertoire (repertoire_id int, name text, CONSTRAINT pk PRIMARY KEY (repertoire_id));"
        "CREATE TABLE entry (list int CONSTRAINT entry_list_fkey REFERENCES repertoire(repertoire_id))",
        ["playlist=repertoire", "repertoire.playlist_id=repertoire_id"],
        ["rename table playlist to repertoire", "rename column repertoire.playlist_id to repertoire_id"],
    ),
    # a unique over a renamed column: its default name changes, so it is dropped and re-added
    (
        "CREATE TABLE tune (id int, title text UNIQUE)",
        "CREATE TABLE tune (id int, name text UNIQUE)",
        ["tune.title=name"],
        [
            "drop unique tune_title_key on tune",
            "rename column tune.title to name",
            "add unique tune_name_key on tune(name)",
        ],
    ),
    # a view reading a renamed column is dropped before and re-created after
    (
        "CREATE TABLE tune (id int, title text); CREATE VIEW v AS SELECT title FROM tune",
        "CREATE TABLE tune (id int, name text); CREATE VIEW v AS SELECT name FROM tune",
        ["tune.title=name"],
        ["drop view v", "rename column tune.title to name", "create view v"],
    ),
]


@pytest.mark.parametrize(("a", "b", "expected"), OPERATIONS + ORDERING)
def test_diff(a: str, b: str, expected: list[str]) -> None:
    assert described(a, b) == expected


@pytest.mark.parametrize(("a", "b", "flags", "expected"), RENAMES)
def test_diff_with_renames(a: str, b: str, flags: list[str], expected: list[str]) -> None:
    assert described(a, b, Renames.from_flags(flags)) == expected


def test_ops_carry_the_model_objects() -> None:
    a = s("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p(id))")
    b = s("CREATE TABLE p (id bigint PRIMARY KEY); CREATE TABLE c (p_id bigint REFERENCES p(id))")
    ops = diff(a, b)
    fk = b.tables[0].foreign_keys[0]
    assert ops[1:] == [
        AlterColumn(table="c", old=a.tables[0].columns[0], new=b.tables[0].columns[0]),
        AlterColumn(table="p", old=a.tables[1].columns[0], new=b.tables[1].columns[0]),
        AddForeignKey(table="c", fk=fk),
    ]


def test_new_tables_carry_fks_to_earlier_ones_and_cycles_are_closed_after() -> None:
    b = s(
        "CREATE TABLE a (id int PRIMARY KEY, b_id int); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id));"
        "ALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b(id)"
    )
    ops = diff(Schema(), b)
    a_table, b_table = b.tables
    assert ops == [
        CreateTable(table=a_table.model_copy(update={"foreign_keys": ()})),
        CreateTable(table=b_table),
        AddForeignKey(table="a", fk=a_table.foreign_keys[0]),
    ]


def test_dropped_tables_carry_what_is_left_of_them() -> None:
    a = s(
        "CREATE TABLE a (id int PRIMARY KEY, b_id int); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a(id))"
    )
    assert diff(a, Schema())[-1] == DropTable(table=a.tables[0])


def test_the_rich_schema_diffs_to_nothing_against_itself() -> None:
    assert diff(RICH, RICH) == []


def test_the_rich_schema_is_created_and_dropped_in_dependency_order() -> None:
    ops = diff(Schema(), RICH)
    assert evolve(Schema(), ops) == RICH
    assert evolve(RICH, reverse_all(ops)) == Schema()
    assert evolve(RICH, diff(RICH, Schema())) == Schema()


def test_unsettled_renames_stop_the_diff() -> None:
    with pytest.raises(AmbiguousRename, match=r"--rename tune\.title=name if renamed, --drop tune\.title if dropped"):
        diff(s("CREATE TABLE tune (title text)"), s("CREATE TABLE tune (name text)"))


def test_a_drop_flag_makes_it_a_drop_and_an_add() -> None:
    ops = diff(
        s("CREATE TABLE tune (title text, x int)"),
        s("CREATE TABLE tune (name text, x int)"),
        Renames.from_flags(drops=["tune.title"]),
    )
    assert [op.describe() for op in ops] == [
        "add column tune.name text",
        "drop column tune.title (its values are lost)",
    ]


def test_ask_answers_open_renames() -> None:
    asked: list[tuple[Kind, str | None, str, list[str]]] = []

    def ask(kind: Kind, table: str | None, old: str, candidates: list[str]) -> str | None:
        asked.append((kind, table, old, candidates))
        return candidates[0]

    ops = diff(
        s("CREATE TABLE playlist (id int, title text)"), s("CREATE TABLE repertoire (id int, name text)"), ask=ask
    )
    assert ops == [
        RenameTable(old="playlist", new="repertoire"),
        RenameColumn(table="repertoire", old="title", new="name"),
    ]
    assert asked == [("table", None, "playlist", ["repertoire"]), ("column", "repertoire", "title", ["name"])]


@_few
@given(schema=schemas())
def test_no_churn(schema: Schema) -> None:
    assert diff(schema, schema) == []


@_many
@given(pair=schema_pairs())
def test_evolve_follows_the_diff_both_ways(pair: tuple[Schema, Schema, Renames]) -> None:
    a, b, renames = pair
    ops = diff(a, b, renames)
    after = evolve(a, ops)
    assert after == b  # new columns are appended, as the pairs place them
    assert without_column_order(evolve(b, reverse_all(ops))) == without_column_order(a)
    assert diff(after, b) == []


@_many
@given(a=schemas(), b=schemas())
def test_evolve_follows_the_diff_between_unrelated_schemas(a: Schema, b: Schema) -> None:
    ops = diff(a, b, drop_everything_renames(a, b))
    assert without_column_order(evolve(a, ops)) == without_column_order(b)
    assert without_column_order(evolve(b, reverse_all(ops))) == without_column_order(a)


@_few
@given(schema=schemas())
def test_diff_from_and_to_nothing(schema: Schema) -> None:
    assert evolve(Schema(), diff(Schema(), schema)) == schema
    assert evolve(schema, diff(schema, Schema())) == Schema()
