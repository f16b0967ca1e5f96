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


def test_names_over_63_bytes_of_the_other_object_kinds_are_problems_naming_their_place() -> None:
    """Domains, sequences, materialized views (and their verbatim indexes) and aggregates are
    cut by PostgreSQL and not read back under their long names: refused, each by its place."""
    from mizzle.core.canonical import pg_expr
    from mizzle.core.pg_objects import Aggregate, Domain, DomainCheck, MaterializedView, PgSequence

    long = "長" * 22  # 66 bytes
    schema = Schema(
        domains=(
            Domain(name=long, base_type="text", checks=(DomainCheck(name=f"c{long}", expr=pg_expr("VALUE <> ''")),)),
        ),
        sequences=(PgSequence(name=f"s{long}"),),
        materialized_views=(
            MaterializedView(
                name=f"m{long}", query="SELECT 1 AS one", indexes=(f'CREATE INDEX "i{long}" ON "m{long}" (one)',)
            ),
        ),
        aggregates=(Aggregate(definition=f'CREATE AGGREGATE "a{long}" (text) (SFUNC = textcat, STYPE = text)'),),
    )
    assert capability_problems(schema) == [
        f'domain "{long}": 66 bytes, but PostgreSQL keeps at most 63',
        f'domain "{long}", check "c{long}": 67 bytes, but PostgreSQL keeps at most 63',
        f'sequence "s{long}": 67 bytes, but PostgreSQL keeps at most 63',
        f'materialized view "m{long}": 67 bytes, but PostgreSQL keeps at most 63',
        f'materialized view "m{long}", index "i{long}": 67 bytes, but PostgreSQL keeps at most 63',
        f'aggregate "a{long}": 67 bytes, but PostgreSQL keeps at most 63',
    ]
    short = "長" * 21  # 63 bytes: fine
    assert capability_problems(Schema(sequences=(PgSequence(name=short),))) == []
