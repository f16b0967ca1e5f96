"""Validation names the place of every problem."""

from __future__ import annotations

import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Check,
    Column,
    Enum,
    ForeignKey,
    Identity,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    Schema,
    Table,
    Unique,
    View,
)
from mizzle.core.types import t
from mizzle.core.validate import problems, validate


def parent() -> Table:
    return Table(
        name="parent",
        columns=(Column(name="id", type=t("serial"), nullable=False), Column(name="code", type=t("text"))),
        primary_key=PrimaryKey(name="parent_pkey", columns=("id",)),
    )


def child(*fks: ForeignKey, **cols: str) -> Table:
    columns = tuple(Column(name=n, type=t(k)) for n, k in (cols or {"parent_id": "integer"}).items())
    return Table(name="child", columns=columns, foreign_keys=fks)


def fk(cols: tuple[str, ...] = ("parent_id",), table: str = "parent", refs: tuple[str, ...] = ("id",)) -> ForeignKey:
    return ForeignKey(name="child_fkey", columns=cols, ref_table=table, ref_columns=refs)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        (
            Schema(tables=(parent(), child(fk(table="nope")))),
            'table "child", foreign key "child_fkey": references missing table "nope"',
        ),
        (Schema(tables=(parent(), child(fk(refs=("nope",))))), 'references missing column "parent.nope"'),
        (
            Schema(tables=(parent(), child(fk(cols=("nope",))))),
            'table "child", foreign key "child_fkey": no column "nope"',
        ),
        (
            Schema(tables=(parent(), child(fk(refs=("code",)), parent_id="text"))),
            '"parent"(code) is not a primary key or unique',
        ),
        (Schema(tables=(parent(), parent())), 'duplicate table or view name "parent"'),
        (
            Schema(
                tables=(Table(name="t", columns=(Column(name="a", type=t("text")), Column(name="a", type=t("text")))),)
            ),
            'table "t": duplicate column "a"',
        ),
        (
            Schema(
                tables=(
                    Table(
                        name="t",
                        columns=(Column(name="a", type=t("text")),),
                        indexes=(Index(name="i", keys=(IndexKey(column="b"),)),),
                    ),
                )
            ),
            'table "t", index "i": no column "b"',
        ),
        (
            Schema(
                tables=(
                    Table(
                        name="t",
                        columns=(Column(name="a", type=t("text")),),
                        checks=(Check(name="c", expr=SqlExpr.parse("b > 0")),),
                    ),
                )
            ),
            'table "t", check "c": no column "b"',
        ),
        (
            Schema(tables=(Table(name="t", columns=(Column(name="a", type=t("enum", name="mood")),)),)),
            'table "t", column "a": enum "mood" is not defined',
        ),
        (
            Schema(tables=(Table(name="t", columns=(Column(name="a", type=t("date"), default=NowDefault()),)),)),
            "default now() needs a timestamp column, not date",
        ),
        (
            Schema(
                tables=(
                    Table(name="t", columns=(Column(name="a", type=t("integer"), default=LiteralDefault(value="x")),)),
                )
            ),
            "default 'x' does not fit integer",
        ),
        (
            Schema(
                enums=(Enum(name="mood", values=("a",)),),
                tables=(
                    Table(
                        name="t",
                        columns=(Column(name="m", type=t("enum", name="mood"), default=LiteralDefault(value="z")),),
                    ),
                ),
            ),
            "default 'z' is not a value of enum mood",
        ),
        (
            Schema(
                tables=(
                    Table(
                        name="t",
                        columns=(Column(name="a", type=t("text")),),
                        primary_key=PrimaryKey(name="t_pkey", columns=("a",)),
                    ),
                )
            ),
            'column "a": primary key columns must be NOT NULL',
        ),
        (
            Schema(
                tables=(
                    Table(
                        name="t",
                        columns=(Column(name="a", type=t("text")),),
                        uniques=(Unique(name="x", columns=("a",)),),
                        indexes=(Index(name="x", keys=(IndexKey(column="a"),)),),
                    ),
                )
            ),
            'name "x" is used by more than one table, view, index or key',
        ),
        (
            Schema(views=(View(name="v", query=SqlExpr.parse("SELECT a FROM nope")),)),
            'view "v": reads missing table or view "nope"',
        ),
    ],
)
def test_each_problem_names_its_place(schema: Schema, message: str) -> None:
    found = problems(schema)
    assert any(message in p for p in found), found


def test_validate_raises_the_first_problem_and_counts_the_rest() -> None:
    bad = Schema(
        tables=(parent(), child(fk(table="nope"), fk(cols=("x",), table="nope2").model_copy(update={"name": "f2"})))
    )
    with pytest.raises(SchemaError, match=r"references missing table .*\(and \d+ more problems?\)$"):
        validate(bad)


def test_a_valid_schema_passes_unchanged() -> None:
    s = Schema(tables=(parent(), child(fk())))
    assert validate(s) is s


# --- which characters a name may hold (issue 9) --------------------------------------------------


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "a name cannot be empty"),
        ("t\nDELETE FROM victim;\n--", "a name cannot hold control characters or line breaks (it holds \\n)"),
        ("a\x00b", "(it holds \\x00)"),
        ("a\rb\tc", "(it holds \\t, \\r)"),
        ("a\u2028b", "(it holds \\u2028)"),
        ("a\ud800", "(it holds \\ud800)"),
    ],
)
def test_a_name_that_no_line_or_database_can_hold_is_refused_with_its_place(name: str, says: str) -> None:
    column = Column(name=name, type=t("text"))
    found = problems(Schema(tables=(Table(name="tune", columns=(column,)),)))
    shown = name.encode("unicode_escape", "surrogatepass").decode()
    assert found == [f'table "tune", column "{shown}": {found[0].split(": ", 1)[1]}'], found
    assert says in found[0]


def test_names_may_hold_quotes_comments_semicolons_and_any_printable_unicode() -> None:
    name = 'it\'s "quoted" -- ; /* */ --> statement-breakpoint -- mizzle:guard é 🎻 $$'
    column = Column(name=name, type=t("text"))
    assert problems(Schema(tables=(Table(name=name, columns=(column,)),))) == []


def test_every_kind_of_name_is_checked() -> None:
    bad = "x\ny"
    table = Table(
        name="tune",
        columns=(Column(name="id", type=t("integer"), nullable=False),),
        primary_key=PrimaryKey(name=bad, columns=("id",)),
        indexes=(Index(name=bad + "i", keys=(IndexKey(column="id"),)),),
    )
    found = problems(Schema(tables=(table,), enums=(Enum(name=bad, values=("a",)),)))
    assert [p.split(":")[0] for p in found] == [
        'enum "x\\ny"',
        'table "tune", primary key "x\\ny"',
        'table "tune", index "x\\nyi"',
    ]


def test_a_nul_in_an_enum_value_or_a_text_default_is_refused() -> None:
    table = Table(name="tune", columns=(Column(name="a", type=t("text"), default=LiteralDefault(value="a\x00")),))
    found = problems(Schema(tables=(table,), enums=(Enum(name="mood", values=("ok\x00",)),)))
    assert found == [
        "enum \"mood\": value 'ok\\x00': neither database can hold a NUL character",
        'table "tune", column "a": default \'a\\x00\': neither database can hold a NUL character in text',
    ]


def test_a_foreign_key_between_types_sqlite_holds_is_only_postgresqls_problem() -> None:
    """integer → text foreign keys are what real SQLite apps hold: the schema is valid, and
    only PostgreSQL (which refuses them) names the problem."""
    from mizzle.dialects import get_dialect

    schema = Schema(tables=(parent(), child(fk(), parent_id="uuid")))
    assert problems(schema) == []
    assert get_dialect("sqlite").capability_problems(schema) == []
    assert get_dialect("postgresql").capability_problems(schema) == [
        'table "child", foreign key "child_fkey": type mismatch, "parent_id" is uuid but "parent.id" is serial'
    ]


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            Column(name="c", type=t("text"), identity=Identity()),
            'table "t", column "c": an identity column is smallint, integer or bigint, not text',
        ),
        (
            Column(name="c", type=t("integer"), identity=Identity(), default=LiteralDefault(value=1)),
            'table "t", column "c": an identity column takes no default (its sequence gives the values)',
        ),
    ],
)
def test_an_identity_column_is_an_integer_without_a_default(column: Column, message: str) -> None:
    assert problems(Schema(tables=(Table(name="t", columns=(column,)),))) == [message]


def test_a_foreign_key_to_another_schemas_table_is_not_looked_up_in_the_schema() -> None:
    fk = ForeignKey(name="t_u_fkey", columns=("u",), ref_table="users", ref_schema="auth", ref_columns=("id",))
    table = Table(name="t", columns=(Column(name="u", type=t("uuid")),), foreign_keys=(fk,))
    assert problems(Schema(tables=(table,))) == []
