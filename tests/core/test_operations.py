"""The operations of `mizzle.core.operations`: every one's reverse, the safety table (what an
operation can do to a database holding rows), and `is_widening`.

The cases are found from the module itself: every concrete operation class (a subclass of
`Operation` with its own `op` tag) must appear in the safety table below, so a new operation
without a case fails `test_every_operation_class_has_cases`.
"""

from __future__ import annotations

from typing import Any

import pytest

from mizzle.core import operations
from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Check,
    Column,
    Enum,
    ForeignKey,
    Index,
    IndexKey,
    LiteralDefault,
    PrimaryKey,
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
    CreateEnum,
    CreateIndex,
    CreateSyncSupport,
    CreateTable,
    CreateView,
    DisableSync,
    DropCheck,
    DropColumn,
    DropEnum,
    DropForeignKey,
    DropIndex,
    DropPrimaryKey,
    DropSyncSupport,
    DropTable,
    DropUnique,
    DropView,
    EnableSync,
    Operation,
    RenameColumn,
    RenameTable,
    ReplaceView,
    Safety,
    SetSecurity,
    is_widening,
    reverse_all,
)
from mizzle.core.security import Grant, Policy
from mizzle.core.types import ColumnType, TypeKind, t

SAFE, MAY_FAIL, DATA_LOSS = Safety.SAFE, Safety.MAY_FAIL, Safety.DATA_LOSS


def col(name: str, kind: str = "integer", *, null: bool = True, default: Any = None, **params: Any) -> Column:
    value = None if default is None else LiteralDefault(value=default)
    return Column(name=name, type=t(kind, **params), nullable=null, default=value)


TUNE = Table(
    name="tune",
    columns=(col("id", null=False), col("title", "text")),
    primary_key=PrimaryKey(name="tune_pkey", columns=("id",)),
)
PKEY = PrimaryKey(name="tune_pkey", columns=("id",))
FK = ForeignKey(name="tune_set_id_fkey", columns=("set_id",), ref_table="set", ref_columns=("id",), on_delete="cascade")
UNIQUE = Unique(name="tune_title_key", columns=("title",))
POLICY = Policy(table="tune", name="own", command="SELECT", roles=("authenticated",), using="(owner = auth.uid())")
CHECK = Check(name="tune_plays_check", expr=SqlExpr.parse("plays >= 0"))
INDEX = Index(name="tune_title_idx", keys=(IndexKey(column="title"),))
UNIQUE_INDEX = Index(name="tune_lower_idx", keys=(IndexKey(expr=SqlExpr.parse("lower(title)")),), unique=True)
MODE = Enum(name="mode", values=("major", "minor"))
MODE_MORE = Enum(name="mode", values=("major", "minor", "dorian"))
MODE_REORDERED = Enum(name="mode", values=("minor", "major"))
POPULAR = View(name="popular", query=SqlExpr.parse("SELECT id FROM tune WHERE plays > 2"))
POPULAR_WIDER = View(name="popular", query=SqlExpr.parse("SELECT id, title FROM tune WHERE plays > 2"))

#: The safety table: (operation, what it can do on a table with rows). Rows are read as
#: "dropping a table loses data", "adding a NOT NULL column without default may fail".
SAFETY: list[tuple[Operation, Safety]] = [
    # tables
    (CreateTable(table=TUNE), SAFE),
    (DropTable(table=TUNE), DATA_LOSS),
    (RenameTable(old="tune", new="song"), SAFE),
    # columns: an added column is safe when every existing row gets a value
    (AddColumn(table="tune", column=col("notes", "text")), SAFE),
    (AddColumn(table="tune", column=col("key", "text", null=False, default="D")), SAFE),
    (AddColumn(table="tune", column=col("n", "serial", null=False)), SAFE),
    (AddColumn(table="tune", column=col("n", "bigserial", null=False)), SAFE),
    (AddColumn(table="tune", column=col("key", "text", null=False)), MAY_FAIL),
    (DropColumn(table="tune", column=col("notes", "text")), DATA_LOSS),
    (RenameColumn(table="tune", old="title", new="name"), SAFE),
    # altered columns: a widening cannot fail, anything else may; so may NOT NULL over NULLs
    (AlterColumn(table="tune", old=col("plays"), new=col("plays", "bigint")), SAFE),
    (AlterColumn(table="tune", old=col("plays", "bigint"), new=col("plays")), MAY_FAIL),
    (AlterColumn(table="tune", old=col("plays", "text"), new=col("plays")), MAY_FAIL),
    (AlterColumn(table="tune", old=col("t", "varchar", length=20), new=col("t", "varchar", length=5)), MAY_FAIL),
    (AlterColumn(table="tune", old=col("plays"), new=col("plays", null=False)), MAY_FAIL),
    (AlterColumn(table="tune", old=col("plays"), new=col("plays", null=False, default=0)), SAFE),
    (AlterColumn(table="tune", old=col("plays", null=False), new=col("plays")), SAFE),
    (AlterColumn(table="tune", old=col("plays"), new=col("plays", default=0)), SAFE),
    (AlterColumn(table="tune", old=col("plays", default=0), new=col("plays")), SAFE),
    (AlterColumn(table="tune", old=col("n"), new=col("n", "serial")), SAFE),  # its sequence fills the NULLs
    # a widening that also sets NOT NULL still meets the NULL rows
    (AlterColumn(table="tune", old=col("plays"), new=col("plays", "bigint", null=False)), MAY_FAIL),
    (AlterColumn(table="tune", old=col("plays"), new=col("plays", "bigint", null=False, default=0)), SAFE),
    (AlterColumn(table="tune", old=col("plays", "bigint"), new=col("plays", null=False, default=0)), MAY_FAIL),
    # keys, constraints, indexes: adding one the rows may break may fail, dropping one is safe
    (AddPrimaryKey(table="tune", key=PKEY), MAY_FAIL),
    (DropPrimaryKey(table="tune", key=PKEY), SAFE),
    (AddForeignKey(table="tune", fk=FK), MAY_FAIL),
    (DropForeignKey(table="tune", fk=FK), SAFE),
    (AddUnique(table="tune", unique=UNIQUE), MAY_FAIL),
    (DropUnique(table="tune", unique=UNIQUE), SAFE),
    (AddCheck(table="tune", check=CHECK), MAY_FAIL),
    (DropCheck(table="tune", check=CHECK), SAFE),
    (CreateIndex(table="tune", index=INDEX), SAFE),
    (CreateIndex(table="tune", index=INDEX, concurrently=True), SAFE),
    (CreateIndex(table="tune", index=UNIQUE_INDEX), MAY_FAIL),
    (DropIndex(table="tune", index=INDEX), SAFE),
    (DropIndex(table="tune", index=INDEX, concurrently=True), SAFE),
    # enums: a removed value fails on the rows holding it (guarded: the rows are not lost)
    (CreateEnum(enum=MODE), SAFE),
    (DropEnum(enum=MODE), SAFE),
    (AlterEnum(old=MODE, new=MODE_MORE), SAFE),
    (AlterEnum(old=MODE_MORE, new=MODE), MAY_FAIL),
    (AlterEnum(old=MODE, new=MODE_REORDERED), SAFE),
    # views hold no rows
    (CreateView(view=POPULAR), SAFE),
    (DropView(view=POPULAR), SAFE),
    (ReplaceView(old=POPULAR, new=POPULAR_WIDER), SAFE),
    # sync: the triggers hold nothing; the support objects hold the tombstones
    (EnableSync(table="tune", primary_key=("id",)), SAFE),
    (DisableSync(table="tune", primary_key=("id",)), SAFE),
    (CreateSyncSupport(), SAFE),
    (DropSyncSupport(), DATA_LOSS),
    # server-only security: who may read or write rows, never the rows themselves
    (SetSecurity(new=POLICY), SAFE),
    (SetSecurity(old=POLICY), SAFE),
    (SetSecurity(old=POLICY, new=POLICY.model_copy(update={"using": "false"})), SAFE),
    (SetSecurity(new=Grant(on="table", object="tune", grantee="anon", privilege="SELECT")), SAFE),
]

#: Each operation class and the class of its reverse.
REVERSE_CLASS: dict[type[Operation], type[Operation]] = {
    CreateTable: DropTable,
    RenameTable: RenameTable,
    AddColumn: DropColumn,
    RenameColumn: RenameColumn,
    AlterColumn: AlterColumn,
    AddPrimaryKey: DropPrimaryKey,
    AddForeignKey: DropForeignKey,
    AddUnique: DropUnique,
    AddCheck: DropCheck,
    CreateIndex: DropIndex,
    CreateEnum: DropEnum,
    AlterEnum: AlterEnum,
    CreateView: DropView,
    ReplaceView: ReplaceView,
    EnableSync: DisableSync,
    CreateSyncSupport: DropSyncSupport,
    SetSecurity: SetSecurity,
}
REVERSE_CLASS |= {undo: do for do, undo in REVERSE_CLASS.items()}


def operation_classes() -> set[type[Operation]]:
    """Every concrete operation class of the module: the subclasses (at any depth) that give
    their `op` tag a value (the private bases `_TablePart` and `_SyncTriggers` give none)."""
    found: set[type[Operation]] = set()
    pending = [Operation]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            if isinstance(sub.model_fields["op"].default, str) and sub.__module__ == operations.__name__:
                found.add(sub)
    return found


def _id(value: Any) -> str:
    return value.describe() if isinstance(value, Operation) else str(value)


def test_every_operation_class_has_cases() -> None:
    classes = operation_classes()
    assert classes == {type(op) for op, _ in SAFETY}
    assert classes == set(REVERSE_CLASS)


def test_every_operation_tag_is_unique() -> None:
    tags = [cls.model_fields["op"].default for cls in operation_classes()]
    assert len(tags) == len(set(tags))


@pytest.mark.parametrize(("op", "expected"), SAFETY, ids=[_id(op) for op, _ in SAFETY])
def test_safety_table(op: Operation, expected: Safety) -> None:
    assert op.safety is expected


@pytest.mark.parametrize("op", [op for op, _ in SAFETY], ids=[_id(op) for op, _ in SAFETY])
def test_reverse_of_the_reverse_is_the_operation(op: Operation) -> None:
    undo = op.reverse()
    assert type(undo) is REVERSE_CLASS[type(op)]
    assert undo.reverse() == op
    assert undo.table_name in (op.table_name, getattr(op, "old", None))


def test_reverse_all_undoes_last_first() -> None:
    ops: list[Operation] = [CreateTable(table=TUNE), AddColumn(table="tune", column=col("notes", "text"))]
    assert reverse_all(ops) == [DropColumn(table="tune", column=col("notes", "text")), DropTable(table=TUNE)]
    assert reverse_all(reverse_all(ops)) == ops


def test_warnings_name_what_is_not_safe() -> None:
    """The safety's value is what migration headers print: `data loss: drop table tune ...`."""
    assert [s.value for s in Safety] == ["safe", "may fail", "data loss"]


# --- is_widening ------------------------------------------------------------------------------


def ty(spelling: str) -> ColumnType:
    """`varchar(20)`, `numeric(10,2)`, `integer[]`, `enum mode` → the ColumnType."""
    dims = spelling.count("[]")
    base = spelling.replace("[]", "")
    if base.startswith(("enum ", "custom ")):
        kind, name = base.split(" ", 1)
        return ColumnType(kind=TypeKind(kind), name=name, array_dims=dims)
    kind, _, args = base.partition("(")
    numbers = [int(n) for n in args.rstrip(")").split(",")] if args else []
    if kind in ("varchar", "char"):
        return ColumnType(kind=TypeKind(kind), length=numbers[0] if numbers else None, array_dims=dims)
    precision, scale = [*numbers, None, None][:2]
    return ColumnType(kind=TypeKind(kind), precision=precision, scale=scale, array_dims=dims)


#: (old type, new type, whether every value of the old fits the new unchanged). The rules are
#: deliberately conservative: a pair they do not know (integer → text) counts as not widening,
#: which only costs a `may fail` warning and a guard that finds nothing.
WIDENING: list[tuple[str, str, bool]] = [
    # integers by width; serials are integers
    ("smallint", "integer", True),
    ("integer", "bigint", True),
    ("smallint", "bigint", True),
    ("serial", "bigint", True),
    ("integer", "serial", True),
    ("integer", "bigserial", True),
    ("bigint", "integer", False),
    ("bigserial", "integer", False),
    ("integer", "smallint", False),
    # text
    ("varchar(20)", "text", True),
    ("char(5)", "text", True),
    ("varchar(20)", "varchar(100)", True),
    ("varchar(20)", "varchar(20)", True),
    ("varchar(20)", "varchar", True),
    ("varchar(100)", "varchar(20)", False),
    ("varchar", "varchar(20)", False),
    ("text", "varchar(20)", False),
    ("text", "varchar", False),
    ("char(5)", "char(10)", False),
    ("char(5)", "varchar(10)", False),
    # numbers
    ("integer", "numeric", True),
    ("bigint", "numeric", True),
    ("integer", "numeric(10)", False),  # conservative: numeric(10) happens to hold every integer
    ("numeric(10,2)", "numeric", True),
    ("numeric(10,2)", "numeric(12,2)", True),
    ("numeric(10,2)", "numeric(12,4)", True),
    ("numeric(10,2)", "numeric(10,3)", False),  # one integer digit fewer
    ("numeric(10,2)", "numeric(10,0)", False),  # the fractions would be rounded
    ("numeric(10)", "numeric(10,0)", True),
    ("numeric", "numeric(10,2)", False),
    ("real", "double", True),
    ("double", "real", False),
    ("numeric", "integer", False),
    ("double", "numeric", False),
    ("real", "integer", False),
    # json: jsonb folds duplicate keys and refuses \u0000, so no direction widens
    ("json", "jsonb", False),
    ("jsonb", "json", False),
    # arrays widen element by element, never across dimensions
    ("integer[]", "bigint[]", True),
    ("varchar(5)[]", "text[]", True),
    ("bigint[]", "integer[]", False),
    ("integer", "integer[]", False),
    ("integer[]", "integer", False),
    ("integer[][]", "integer[]", False),
    # everything else only to itself
    ("text", "text", True),
    ("uuid", "uuid", True),
    ("enum mode", "enum mode", True),
    ("enum mode", "enum key", False),
    ("enum mode", "text", False),
    ("custom inet", "custom inet", True),
    ("custom inet", "custom cidr", False),
    ("timestamp", "timestamptz", False),
    ("timestamptz(3)", "timestamptz", False),
    ("date", "timestamp", False),
    ("boolean", "integer", False),
    ("integer", "text", False),
]


@pytest.mark.parametrize(("old", "new", "widens"), WIDENING, ids=[f"{a} -> {b}" for a, b, _ in WIDENING])
def test_is_widening(old: str, new: str, widens: bool) -> None:
    assert is_widening(Column(name="c", type=ty(old)), Column(name="c", type=ty(new))) is widens


@pytest.mark.parametrize("kind", list(TypeKind), ids=str)
def test_every_type_widens_to_itself(kind: TypeKind) -> None:
    name = "x" if kind in (TypeKind.ENUM, TypeKind.CUSTOM) else None
    same = Column(name="c", type=ColumnType(kind=kind, name=name))
    assert is_widening(same, same)


def test_widening_type_changes_are_safe_and_the_others_may_fail() -> None:
    """AlterColumn's safety follows is_widening for every pair of the table above (the
    column stays nullable and without default: only the type decides)."""
    for old, new, widens in WIDENING:
        if old == new:
            continue
        op = AlterColumn(table="t", old=Column(name="c", type=ty(old)), new=Column(name="c", type=ty(new)))
        assert op.safety is (SAFE if widens else MAY_FAIL), (old, new)
