"""evolve: what each operation does to a schema, and the operations it refuses because a
database would refuse them at that point (so a misordered diff fails here, not on a server)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.evolve import Evolution, evolve
from mizzle.core.model import Column, Enum, Schema, Table
from mizzle.core.operations import (
    AddCheck,
    AddColumn,
    AddForeignKey,
    AddPrimaryKey,
    AddUnique,
    AlterColumn,
    AlterEnum,
    CreateEnum,
    CreateIndex,
    CreateTable,
    CreateView,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropTable,
    DropUnique,
    DropView,
    Operation,
    RenameColumn,
    RenameTable,
    ReplaceView,
)
from mizzle.sources.sql.reader import parse_ddl


def s(ddl: str) -> Schema:
    return parse_ddl(ddl).schema


def table(schema: Schema, name: str) -> Table:
    found = schema.table(name)
    assert found is not None
    return found


def column(schema: Schema, name: str) -> Column:
    tname, cname = name.split(".")
    found = table(schema, tname).column(cname)
    assert found is not None
    return found


Ops = Callable[[Schema, Schema], list[Operation]]  # (before, after) → operations

P = "CREATE TABLE p (id int PRIMARY KEY, code text UNIQUE);"
C = "CREATE TABLE c (id int PRIMARY KEY, p_id int REFERENCES p(id));"

CASES: list[tuple[str, str, Ops]] = [
    ("", P, lambda a, b: [CreateTable(table=table(b, "p"))]),
    (P, "", lambda a, b: [DropTable(table=table(a, "p"))]),
    (
        "CREATE TABLE t (a int)",
        "CREATE TABLE t (a int, b text NOT NULL DEFAULT 'x')",
        lambda a, b: [AddColumn(table="t", column=column(b, "t.b"))],
    ),
    (
        "CREATE TABLE t (a int, b text)",
        "CREATE TABLE t (a int)",
        lambda a, b: [DropColumn(table="t", column=column(a, "t.b"))],
    ),
    (
        "CREATE TABLE t (a int)",
        "CREATE TABLE t (a bigint NOT NULL DEFAULT 1)",
        lambda a, b: [AlterColumn(table="t", old=column(a, "t.a"), new=column(b, "t.a"))],
    ),
    (
        "CREATE TABLE t (a int NOT NULL)",
        "CREATE TABLE t (a int NOT NULL, CONSTRAINT k PRIMARY KEY (a))",
        lambda a, b: [AddPrimaryKey(table="t", key=table(b, "t").primary_key)],
    ),
    (
        "CREATE TABLE t (a int PRIMARY KEY)",
        "CREATE TABLE t (a int NOT NULL)",
        lambda a, b: [DropPrimaryKey(table="t", key=table(a, "t").primary_key)],
    ),
    (
        P + "CREATE TABLE c (p_id int)",
        P + "CREATE TABLE c (p_id int REFERENCES p(id))",
        lambda a, b: [AddForeignKey(table="c", fk=table(b, "c").foreign_keys[0])],
    ),
    (
        P + C,
        P + "CREATE TABLE c (id int PRIMARY KEY, p_id int)",
        lambda a, b: [DropForeignKey(table="c", fk=table(a, "c").foreign_keys[0])],
    ),
    (
        "CREATE TABLE t (a int)",
        "CREATE TABLE t (a int UNIQUE)",
        lambda a, b: [AddUnique(table="t", unique=table(b, "t").uniques[0])],
    ),
    (
        "CREATE TABLE t (a int UNIQUE)",
        "CREATE TABLE t (a int)",
        lambda a, b: [DropUnique(table="t", unique=table(a, "t").uniques[0])],
    ),
    (
        "CREATE TABLE t (a int)",
        "CREATE TABLE t (a int CHECK (a > 0))",
        lambda a, b: [AddCheck(table="t", check=table(b, "t").checks[0])],
    ),
    (
        "CREATE TABLE t (a int CHECK (a > 0))",
        "CREATE TABLE t (a int)",
        lambda a, b: [DropCheck(table="t", check=table(a, "t").checks[0])],
    ),
    (
        "CREATE TABLE t (a int)",
        "CREATE TABLE t (a int); CREATE INDEX ON t (a DESC) WHERE a > 0",
        lambda a, b: [CreateIndex(table="t", index=table(b, "t").indexes[0])],
    ),
    (
        "CREATE TABLE t (a int); CREATE INDEX ON t (a)",
        "CREATE TABLE t (a int)",
        lambda a, b: [DropIndex(table="t", index=table(a, "t").indexes[0])],
    ),
    ("", "CREATE TYPE mood AS ENUM ('a')", lambda a, b: [CreateEnum(enum=b.enums[0])]),
    ("CREATE TYPE mood AS ENUM ('a')", "", lambda a, b: [DropEnum(enum=a.enums[0])]),
    (
        "CREATE TYPE mood AS ENUM ('a', 'b')",
        "CREATE TYPE mood AS ENUM ('b', 'c')",
        lambda a, b: [AlterEnum(old=a.enums[0], new=b.enums[0])],
    ),
    (
        "CREATE TABLE t (a int)",
        "CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t",
        lambda a, b: [CreateView(view=b.views[0])],
    ),
    (
        "CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t",
        "CREATE TABLE t (a int)",
        lambda a, b: [DropView(view=a.views[0])],
    ),
    (
        "CREATE TABLE t (a int, b int); CREATE VIEW v AS SELECT a FROM t",
        "CREATE TABLE t (a int, b int); CREATE VIEW v AS SELECT a, b FROM t",
        lambda a, b: [ReplaceView(old=a.views[0], new=b.views[0])],
    ),
    # a rename rewrites every reference; constraint and index names stay
    (
        P + C + "CREATE VIEW v AS SELECT p.code FROM p JOIN c ON c.p_id = p.id",
        "CREATE TABLE q (id int CONSTRAINT p_pkey PRIMARY KEY, code text CONSTRAINT p_code_key UNIQUE);"
        "CREATE TABLE c (id int PRIMARY KEY, p_id int CONSTRAINT c_p_id_fkey REFERENCES q(id));"
        "CREATE VIEW v AS SELECT q.code FROM q JOIN c ON c.p_id = q.id",
        lambda a, b: [RenameTable(old="p", new="q")],
    ),
    (
        "CREATE TABLE p (id int PRIMARY KEY, code text UNIQUE, CHECK (length(code) > 0));"
        "CREATE INDEX p_lower ON p (lower(code)) WHERE code <> '';"
        "CREATE INDEX p_code_idx ON p (code DESC);"
        "CREATE TABLE c (id int, p_code text REFERENCES p(code));"
        "CREATE VIEW v AS SELECT code, id FROM p ORDER BY code",
        "CREATE TABLE p (id int PRIMARY KEY, label text CONSTRAINT p_code_key UNIQUE,"
        " CONSTRAINT p_code_check CHECK (length(label) > 0));"
        "CREATE INDEX p_lower ON p (lower(label)) WHERE label <> '';"
        "CREATE INDEX p_code_idx ON p (label DESC);"
        "CREATE TABLE c (id int, p_code text CONSTRAINT c_p_code_fkey REFERENCES p(label));"
        "CREATE VIEW v AS SELECT label AS code, id FROM p ORDER BY label",
        lambda a, b: [RenameColumn(table="p", old="code", new="label")],
    ),
    (
        "CREATE TABLE t (id int PRIMARY KEY, parent int REFERENCES t(id))",
        "CREATE TABLE t (key int, parent int, CONSTRAINT t_pkey PRIMARY KEY (key),"
        " CONSTRAINT t_parent_fkey FOREIGN KEY (parent) REFERENCES t(key))",
        lambda a, b: [RenameColumn(table="t", old="id", new="key")],
    ),
]


@pytest.mark.parametrize(("before", "after", "ops"), CASES)
def test_operation_meaning(before: str, after: str, ops: Ops) -> None:
    a, b = s(before), s(after)
    assert evolve(a, ops(a, b)) == b


def test_add_column_appends() -> None:
    a = s("CREATE TABLE t (b int)")
    assert table(
        evolve(a, [AddColumn(table="t", column=Column(name="a", type=column(a, "t.b").type))]), "t"
    ).column_names == ["b", "a"]


MISFITS: list[tuple[str, Ops, str]] = [
    (P, lambda a, _: [CreateTable(table=table(a, "p"))], 'cannot create table p: the name "p" is taken'),
    (
        "CREATE TABLE t (a int); CREATE INDEX x ON t (a)",
        lambda a, _: [CreateTable(table=Table(name="x", columns=table(a, "t").columns))],
        'cannot create table x: the name "x" is taken by a table, view, index or key',
    ),
    (
        "CREATE TABLE c (p_id int REFERENCES p(id)); CREATE TABLE p (id int PRIMARY KEY)",
        lambda a, _: [DropTable(table=table(a, "p")), DropTable(table=table(a, "c")), CreateTable(table=table(a, "c"))],
        "cannot drop table p (its rows are lost): foreign key c.c_p_id_fkey references it",
    ),
    (
        "CREATE TABLE c (p_id int REFERENCES p(id)); CREATE TABLE p (id int PRIMARY KEY)",
        lambda a, _: [DropTable(table=table(a, "c")), DropTable(table=table(a, "p")), CreateTable(table=table(a, "c"))],
        'cannot create table c: foreign key c_p_id_fkey references missing table "p"',
    ),
    (
        "CREATE TABLE t (id int, parent int); CREATE UNIQUE INDEX ON t (id)",
        lambda a, _: [
            DropTable(table=table(a, "t")),
            CreateTable(
                table=table(a, "t").model_copy(
                    update={
                        "foreign_keys": (
                            s("CREATE TABLE t (id int PRIMARY KEY, parent int REFERENCES t(id))")
                            .tables[0]
                            .foreign_keys[0],
                        )
                    }
                )
            ),
        ],
        'cannot create table t: foreign key t_parent_fkey: "t"(id) is not a key',
    ),
    (
        "CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t",
        lambda a, _: [DropTable(table=table(a, "t"))],
        "view v reads it",
    ),
    (
        "CREATE TABLE t (a int, b int)",
        lambda a, _: [DropColumn(table="t", column=column(a, "t.a").model_copy(update={"nullable": False}))],
        "column t.a in the schema differs from the operation's copy",
    ),
    (
        "CREATE TABLE t (a int, b int); CREATE INDEX i ON t (a)",
        lambda a, _: [DropColumn(table="t", column=column(a, "t.a"))],
        "index i uses it",
    ),
    (
        "CREATE TABLE t (a int, b int CHECK (a < b))",
        lambda a, _: [DropColumn(table="t", column=column(a, "t.a"))],
        "check t_check uses it",
    ),
    (P + C, lambda a, _: [DropColumn(table="p", column=column(a, "p.id"))], "primary key p_pkey uses it"),
    (
        P + "CREATE TABLE c (code text REFERENCES p(code))",
        lambda a, _: [DropUnique(table="p", unique=table(a, "p").uniques[0])],
        "foreign key c.c_code_fkey references unique p_code_key",
    ),
    (
        P + C,
        lambda a, _: [DropPrimaryKey(table="p", key=table(a, "p").primary_key)],
        "foreign key c.c_p_id_fkey references primary key p_pkey",
    ),
    (
        "CREATE TABLE t (a int, b int); CREATE VIEW v AS SELECT b FROM t",
        lambda a, _: [DropColumn(table="t", column=column(a, "t.b"))],
        "view v uses it",
    ),
    (
        "CREATE TABLE t (a int)",
        lambda a, _: [DropColumn(table="t", column=column(a, "t.a"))],
        "a table needs at least one column",
    ),
    (
        "CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t",
        lambda a, _: [
            AlterColumn(
                table="t",
                old=column(a, "t.a"),
                new=column(a, "t.a").model_copy(update={"type": column(s("CREATE TABLE x (b bigint)"), "x.b").type}),
            )
        ],
        "view v reads the column whose type changes",
    ),
    (
        P + C,
        lambda a, _: [
            AlterColumn(
                table="c",
                old=column(a, "c.p_id"),
                new=column(a, "c.p_id").model_copy(update={"type": column(s("CREATE TABLE x (b bigint)"), "x.b").type}),
            )
        ],
        "foreign key c.c_p_id_fkey runs through the column whose type changes",
    ),
    (
        P + C,
        lambda a, _: [
            AlterColumn(
                table="p",
                old=column(a, "p.id"),
                new=column(a, "p.id").model_copy(update={"type": column(s("CREATE TABLE x (b bigint)"), "x.b").type}),
            )
        ],
        "foreign key c.c_p_id_fkey runs through the column whose type changes",
    ),
    (
        P,
        lambda a, _: [
            AlterColumn(table="p", old=column(a, "p.id"), new=column(a, "p.id").model_copy(update={"nullable": True}))
        ],
        "primary key p_pkey needs the column NOT NULL",
    ),
    (
        "CREATE TABLE t (a int)",
        lambda a, _: [AddPrimaryKey(table="t", key=s("CREATE TABLE t (a int PRIMARY KEY)").tables[0].primary_key)],
        'column "a" is nullable',
    ),
    ("CREATE TABLE t (a int)", lambda a, _: [AddColumn(table="t", column=column(a, "t.a"))], 'column "t.a" exists'),
    ("CREATE TABLE t (a int)", lambda a, _: [RenameColumn(table="t", old="b", new="c")], 'no column "t.b"'),
    ("CREATE TABLE t (a int, b int)", lambda a, _: [RenameColumn(table="t", old="a", new="b")], 'column "t.b" exists'),
    ("CREATE TABLE t (a int)", lambda a, _: [RenameTable(old="u", new="v")], 'no table "u"'),
    (
        "CREATE TYPE mood AS ENUM ('a'); CREATE TABLE t (m mood)",
        lambda a, _: [DropEnum(enum=a.enums[0])],
        "column t.m uses it",
    ),
    (
        "CREATE TYPE mood AS ENUM ('a', 'b'); CREATE TABLE t (m mood DEFAULT 'b')",
        lambda a, _: [AlterEnum(old=a.enums[0], new=Enum(name="mood", values=("a",)))],
        "column \"m\": default 'b' is not a value of enum mood",
    ),
    (
        "CREATE TABLE t (a int)",
        lambda a, _: [
            AddColumn(table="t", column=column(s("CREATE TYPE e AS ENUM ('x'); CREATE TABLE u (m e)"), "u.m"))
        ],
        'no enum "e"',
    ),
    (
        "CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t; CREATE VIEW w AS SELECT a FROM v",
        lambda a, _: [DropView(view=a.views[0])],
        "view w reads it",
    ),
    (
        "CREATE TABLE t (a int); CREATE VIEW v AS SELECT a FROM t",
        lambda a, _: [DropTable(table=table(a, "t")), CreateView(view=a.views[0])],
        "view v reads it",
    ),
    (
        "CREATE TABLE t (a int CHECK (a > 0))",
        lambda a, _: [AddCheck(table="t", check=table(a, "t").checks[0])],
        'table t has a constraint named "t_a_check"',
    ),
]


@pytest.mark.parametrize(("before", "ops", "message"), MISFITS)
def test_misfits_are_refused_naming_the_operation(before: str, ops: Ops, message: str) -> None:
    a = s(before)
    with pytest.raises(SchemaError) as err:
        evolve(a, ops(a, a))
    assert message in str(err.value)
    assert str(err.value).startswith("cannot ")


def test_a_key_another_key_duplicates_may_go_while_an_fk_uses_the_columns() -> None:
    a = s(
        "CREATE TABLE p (id int PRIMARY KEY); ALTER TABLE p ADD CONSTRAINT p_id_key UNIQUE (id);"
        "CREATE TABLE c (p_id int REFERENCES p(id))"
    )
    b = s("CREATE TABLE p (id int PRIMARY KEY); CREATE TABLE c (p_id int REFERENCES p(id))")
    assert evolve(a, [DropUnique(table="p", unique=table(a, "p").uniques[0])]) == b


def test_a_self_reference_created_inline_needs_a_constraint_not_an_index() -> None:
    b = s("CREATE TABLE t (id int PRIMARY KEY, parent int REFERENCES t(id))")
    assert evolve(Schema(), [CreateTable(table=table(b, "t"))]) == b


# --- Evolution: one step at a time, with or without the fit checks -------------------------------


def _carried_out(schema: Schema, ops: list[Operation]) -> Schema:
    evolution = Evolution.holding(
        {t.name: t for t in schema.tables}, {v.name: v for v in schema.views}, {e.name: e for e in schema.enums}
    )
    for op in ops:
        evolution.carry_out(op)
    return evolution.schema()


@pytest.mark.parametrize(("before", "after", "ops"), CASES)
def test_carrying_out_fitting_operations_does_what_evolve_does(before: str, after: str, ops: Ops) -> None:
    a, b = s(before), s(after)
    assert _carried_out(a, ops(a, b)) == evolve(a, ops(a, b)) == b


def test_carry_out_skips_the_fit_checks_but_not_a_missing_table() -> None:
    # SQLite's planner follows a database that lags the operations: a table whose changes
    # it defers still holds the old column when DropTable's copy already has the new one.
    a = s(P + C)
    stale_copy = table(a, "p").model_copy(update={"columns": table(a, "p").columns[:1]})
    assert _carried_out(a, [DropTable(table=stale_copy)]).table("p") is None
    with pytest.raises(SchemaError, match=r'cannot add column ghost\.code text: no table "ghost"'):
        _carried_out(a, [AddColumn(table="ghost", column=column(a, "p.code"))])


def test_an_added_item_replaces_one_of_the_same_name_when_carried_out() -> None:
    a = s("CREATE TABLE t (a int CHECK (a > 0))")
    check = table(a, "t").checks[0]
    wider = check.model_copy(update={"expr": s("CREATE TABLE u (a int CHECK (a > -1))").tables[0].checks[0].expr})
    assert table(_carried_out(a, [AddCheck(table="t", check=wider)]), "t").checks == (wider,)


def test_evolution_names_the_tables_each_step_touched() -> None:
    a = s(P + C + "CREATE TABLE other (id int)")
    evolution = Evolution(a)
    evolution.apply(RenameTable(old="p", new="parent"))
    # the renamed table under both names, and c, whose foreign key now names "parent"
    assert evolution.touched == {"p", "parent", "c"}
    evolution.touched.clear()
    evolution.apply(AddColumn(table="other", column=column(a, "p.code")))
    assert evolution.touched == {"other"}


def test_the_names_and_references_counted_once_are_kept_up_step_by_step() -> None:
    a = s(P)
    c = s(P + C + "CREATE INDEX c_p_idx ON c (p_id)")
    child = table(c, "c")
    # c's index name is taken once c exists, and free again once it is dropped
    bare = child.model_copy(update={"indexes": ()})
    ops: list[Operation] = [CreateTable(table=bare), CreateIndex(table="c", index=child.indexes[0])]
    with pytest.raises(SchemaError, match='the name "c_p_idx" is taken'):
        evolve(a, [*ops, CreateIndex(table="c", index=child.indexes[0])])
    with pytest.raises(SchemaError, match=r"foreign key c\.c_p_id_fkey references it"):
        evolve(a, [*ops, DropTable(table=table(a, "p"))])
    dropped = table(evolve(a, ops), "c")
    after = evolve(a, [*ops, DropTable(table=dropped), CreateTable(table=dropped), DropTable(table=dropped)])
    assert evolve(after, [DropTable(table=table(a, "p"))]) == Schema()


def test_evolving_many_tables_counts_their_names_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # Checking each CREATE TABLE's names against every table's made an initial migration of
    # 3,000 tables take 85 s; the names are counted once and kept up instead.
    import mizzle.core.evolve as evolve_module

    n, calls = 200, 0
    own = evolve_module._own_relation_names

    def counting(t: Table) -> set[str]:
        nonlocal calls
        calls += 1
        return own(t)

    monkeypatch.setattr(evolve_module, "_own_relation_names", counting)
    many = s("".join(f"CREATE TABLE t{i} (id int PRIMARY KEY, up int REFERENCES t{i // 2}(id));" for i in range(n)))
    creates: list[Operation] = [CreateTable(table=t) for t in sorted(many.tables, key=lambda t: int(t.name[1:]))]
    assert evolve(Schema(), creates) == many
    assert calls <= 4 * n
