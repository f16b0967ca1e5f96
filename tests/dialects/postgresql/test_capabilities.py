from __future__ import annotations

from mizzle.core.model import Column, Enum, Index, IndexKey, PrimaryKey, Schema, Table
from mizzle.core.types import t
from mizzle.dialects.postgresql.capabilities import capability_problems, project
from tests.dialects.rich_schema import RICH


def test_postgresql_holds_the_rich_schema_unchanged_without_notes() -> None:
    assert capability_problems(RICH) == []
    assert project(RICH) == (RICH, [])


def test_names_over_63_bytes_postgresql_does_not_cut_are_problems_naming_their_place() -> None:
    """Enum labels (refused by PostgreSQL) and enum names; a column or an index name is cut
    (`long_names.py`), no problem."""
    long = "x" * 64
    table = Table(
        name="t",
        columns=(Column(name=long, type=t("integer"), nullable=False),),
        primary_key=PrimaryKey(name="t_pkey", columns=(long,)),
        indexes=(Index(name="é" * 32, keys=(IndexKey(column=long),)),),
    )
    schema = Schema(tables=(table,), enums=(Enum(name="e" * 64, values=("v" * 64,)),))
    assert capability_problems(schema) == [
        f'enum "{"e" * 64}": 64 bytes, but PostgreSQL keeps at most 63',
        f'enum "{"e" * 64}", value "{"v" * 64}": 64 bytes, but PostgreSQL keeps at most 63',
    ]


def test_a_name_of_exactly_63_bytes_is_fine() -> None:
    table = Table(name="t" * 63, columns=(Column(name="a", type=t("integer")),))
    assert capability_problems(Schema(tables=(table,))) == []
