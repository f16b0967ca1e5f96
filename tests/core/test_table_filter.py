"""`core/table_filter.py`: which tables mizzle manages; drizzle-kit's and mizzle's own migration
tables never, and never a schema that would reference a table it leaves out."""

from __future__ import annotations

import pytest

from mizzle.core.expr import SqlExpr
from mizzle.core.model import Column, ForeignKey, Schema, Table, View
from mizzle.core.table_filter import EVERY_TABLE, TableFilter, TableFilterError, patterns_of
from mizzle.core.types import ColumnType, TypeKind

INT = ColumnType(kind=TypeKind.INTEGER)


def table(name: str, ref: str | None = None) -> Table:
    fks = (ForeignKey(name=f"{name}_fk", columns=("id",), ref_table=ref, ref_columns=("id",)),) if ref else ()
    return Table(name=name, columns=(Column(name="id", type=INT),), foreign_keys=fks)


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("__drizzle_migrations", "public"),
        ("__drizzle_migrations", "drizzle"),
        ("anything", "drizzle"),
        ("__mizzle_x", "public"),
    ],
)
def test_migration_tools_tables_are_never_kept_whatever_the_patterns(name: str, schema: str) -> None:
    assert not EVERY_TABLE.keeps(name, schema)
    assert not TableFilter(include=("*", "*.*")).keeps(name, schema)


@pytest.mark.parametrize(
    ("patterns", "kept"),
    [
        ([], ["app_a", "app_tmp_1", "other"]),
        (["app_*"], ["app_a", "app_tmp_1"]),
        (["app_*", "!app_tmp_*"], ["app_a"]),
        (["!app_tmp_*"], ["app_a", "other"]),
        (["other,app_a"], ["app_a", "other"]),
        (["App_*"], []),
    ],
)
def test_drizzle_kit_spelling_includes_and_bang_excludes(patterns: list[str], kept: list[str]) -> None:
    f = TableFilter.from_patterns(patterns)
    assert [n for n in ["app_a", "app_tmp_1", "other"] if f.keeps(n)] == kept
    assert TableFilter.from_patterns(f.patterns) == f


def test_a_pattern_with_a_dot_is_matched_with_the_schema() -> None:
    f = TableFilter(exclude=("audit.*",))
    assert f.keeps("log", "public")
    assert f.keeps("log")
    assert not f.keeps("log", "audit")
    assert not f.keeps("audit.log")  # a name the model qualifies carries its schema
    assert not EVERY_TABLE.keeps("drizzle.__drizzle_migrations")
    assert TableFilter(include=("log",)).keeps("audit.log")


@pytest.mark.parametrize("values", [["a,,b"], [""], ["!"], [" "]])
def test_an_empty_pattern_is_refused(values: list[str]) -> None:
    with pytest.raises(TableFilterError, match="an empty table pattern"):
        patterns_of(values)


def test_apply_removes_left_out_tables_and_views_and_keeps_the_rest() -> None:
    schema = Schema(
        tables=(table("tune"), table("legacy"), table("__mizzle_migrations")),
        views=(View(name="legacy_view", query=SqlExpr.parse("SELECT id FROM legacy")),),
    )
    kept = TableFilter(exclude=("legacy*",)).apply(schema)
    assert [t.name for t in kept.tables] == ["tune"]
    assert kept.views == ()
    assert kept.table("tune") == schema.table("tune")
    assert kept.table("legacy") is None  # the name lookup is the new schema's, not a copy's


def test_a_kept_tables_key_to_a_left_out_one_is_kept_as_a_reference_outside_the_schema() -> None:
    schema = Schema(tables=(table("user_profile"), table("tune", ref="user_profile")))
    kept = TableFilter(include=("tune",)).apply(schema)
    assert [t.name for t in kept.tables] == ["tune"]
    (fk,) = kept.table("tune").foreign_keys  # type: ignore[union-attr]
    # referenced, never created or dropped, like auth.users
    assert (fk.ref_schema, fk.ref_table, fk.ref_shown) == ("public", "user_profile", "public.user_profile")
    assert [t.name for t in TableFilter(exclude=("tune",)).apply(schema).tables] == ["user_profile"]


def test_a_kept_view_that_reads_a_left_out_table_is_refused() -> None:
    schema = Schema(tables=(table("tune"),), views=(View(name="tunes", query=SqlExpr.parse("SELECT id FROM tune")),))
    with pytest.raises(TableFilterError, match=r"^view tunes reads tune, which the table filter leaves out"):
        TableFilter(exclude=("tune",)).apply(schema)


def test_declared_names_what_a_schema_holds_that_the_filter_leaves_out() -> None:
    schema = Schema(tables=(table("tune"), table("tmp_x")))
    assert TableFilter(exclude=("tmp_*",)).declared(schema) == ["tmp_x"]
    assert EVERY_TABLE.declared(schema) == []
