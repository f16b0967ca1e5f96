"""The model's canonical form: equal schemas compare, serialise and hash equal however built."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from mizzle.core.expr import SqlExpr
from mizzle.core.model import (
    Column,
    ExprDefault,
    ForeignKey,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    RandomUuidDefault,
    Schema,
    Table,
)
from mizzle.core.types import ColumnType, TypeKind, t


def table(name: str, *cols: str, **kw: object) -> Table:
    return Table(name=name, columns=tuple(Column(name=c, type=t("text")) for c in cols or ("a",)), **kw)  # type: ignore[arg-type]


def test_tables_and_table_parts_are_kept_sorted_by_name() -> None:
    idx = [Index(name=n, keys=(IndexKey(column="a"),)) for n in ("z_idx", "a_idx")]
    s = Schema(tables=(table("b", indexes=idx), table("a")))
    assert [x.name for x in s.tables] == ["a", "b"]
    assert [i.name for i in s.tables[1].indexes] == ["a_idx", "z_idx"]


def test_columns_keep_their_declared_order() -> None:
    assert table("t", "z", "a", "m").column_names == ["z", "a", "m"]


def test_json_snapshot_round_trips_and_is_stable() -> None:
    s = Schema(
        tables=(
            Table(
                name="t",
                columns=(
                    Column(name="id", type=t("uuid"), nullable=False, default=RandomUuidDefault()),
                    Column(name="at", type=t("timestamptz"), default=NowDefault()),
                    Column(name="n", type=t("numeric", precision=4, scale=2), default=LiteralDefault(value="4.99")),
                    Column(name="tags", type=t("text", array_dims=1), default=LiteralDefault(value=["a", "b"])),
                    Column(name="e", type=t("integer"), default=ExprDefault(expr=SqlExpr.parse("1 + 2"))),
                ),
            ),
        )
    )
    back = Schema.from_json(s.to_json())
    assert back == s and back.to_json() == s.to_json() and back.fingerprint() == s.fingerprint()


def test_fingerprint_ignores_construction_order() -> None:
    assert (
        Schema(tables=(table("a"), table("b"))).fingerprint() == Schema(tables=(table("b"), table("a"))).fingerprint()
    )


def test_fingerprint_changes_with_content() -> None:
    assert Schema(tables=(table("a"),)).fingerprint() != Schema(tables=(table("a", "b"),)).fingerprint()


@pytest.mark.parametrize(
    ("desc", "nulls", "stored"),
    [(False, "last", None), (True, "first", None), (False, "first", "first"), (True, "last", "last")],
)
def test_index_nulls_ordering_is_stored_only_when_not_the_default(desc: bool, nulls: str, stored: str | None) -> None:
    assert IndexKey(column="a", desc=desc, nulls=nulls).nulls == stored  # type: ignore[arg-type]


@pytest.mark.parametrize(("kind", "value", "stored"), [("numeric", 5, "5"), ("real", 1.5, "1.5"), ("double", "2", "2")])
def test_decimal_literal_defaults_are_kept_as_text(kind: str, value: object, stored: str) -> None:
    col = Column(name="c", type=t(kind), default={"kind": "literal", "value": value})  # type: ignore[arg-type]
    assert isinstance(col.default, LiteralDefault) and col.default.value == stored


def test_integer_literal_defaults_stay_integers() -> None:
    col = Column(name="c", type=t("integer"), default=LiteralDefault(value=5))
    assert isinstance(col.default, LiteralDefault) and col.default.value == 5


def test_model_copy_revalidates_so_order_and_lookups_stay_right() -> None:
    s = Schema(tables=(table("b"),))
    assert s.table("b") is not None  # fills the cached lookup
    s2 = s.model_copy(update={"tables": (table("z"), table("a"))})
    assert [x.name for x in s2.tables] == ["a", "z"]
    assert s2.table("b") is None and s2.table("z") is not None


def test_models_are_frozen() -> None:
    with pytest.raises(ValidationError):
        table("t").name = "u"  # type: ignore[misc]


@pytest.mark.parametrize(
    "params",
    [
        {"kind": TypeKind.TEXT, "length": 3},
        {"kind": TypeKind.VARCHAR, "length": 0},
        {"kind": TypeKind.NUMERIC, "scale": 2},
        {"kind": TypeKind.NUMERIC, "precision": 3, "scale": 4},
        {"kind": TypeKind.TIMESTAMP, "precision": 7},
        {"kind": TypeKind.ENUM},
        {"kind": TypeKind.TEXT, "name": "x"},
        {"kind": TypeKind.SERIAL, "array_dims": 1},
    ],
)
def test_impossible_types_are_rejected(params: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        ColumnType(**params)  # type: ignore[arg-type]


def test_foreign_key_shape_is_checked() -> None:
    with pytest.raises(ValidationError, match="2 columns reference 1"):
        ForeignKey(name="f", columns=("a", "b"), ref_table="t", ref_columns=("id",))
    with pytest.raises(ValidationError, match="INITIALLY DEFERRED needs DEFERRABLE"):
        ForeignKey(name="f", columns=("a",), ref_table="t", ref_columns=("id",), initially_deferred=True)


@pytest.mark.parametrize(
    ("ctype", "text"),
    [
        (t("numeric", precision=10, scale=2), "numeric(10,2)"),
        (t("text", array_dims=2), "text[][]"),
        (t("enum", name="mood"), "enum mood"),
    ],
)
def test_type_describe(ctype: ColumnType, text: str) -> None:
    assert ctype.describe() == text


def test_serial_columns_are_always_not_null_as_in_postgresql() -> None:
    assert Column(name="id", type=t("serial")).nullable is False
    assert Column(name="id", type=t("bigserial"), nullable=True).nullable is False
