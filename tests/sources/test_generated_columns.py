"""Generated columns in every source: the `.sql` reader, the DSL's `.generated(...)` and the
Python `mizzle pull` writes (codegen), and the rules validate holds them to."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import Column, LiteralDefault, PrimaryKey, Schema, Table
from mizzle.core.sync.parts import with_sync
from mizzle.core.types import t
from mizzle.core.validate import problems, validate
from mizzle.dsl import Table as DslTable
from mizzle.dsl import integer, serial, text
from mizzle.sources.dsl.build import schema_from_classes
from mizzle.sources.dsl.codegen import schema_to_python
from mizzle.sources.load import load_schema
from mizzle.sources.sql.reader import parse_ddl

DDL = (
    "CREATE TABLE item (id serial PRIMARY KEY, price int, qty int,"
    " total int GENERATED ALWAYS AS (price * qty) STORED,"
    " label text NOT NULL GENERATED ALWAYS AS ('#' || id::text) STORED);"
)


def test_the_sql_reader_reads_a_generated_column_with_its_expression() -> None:
    found = parse_ddl(DDL)
    assert found.unsupported == ()
    table = found.schema.table("item")
    assert table is not None
    columns = {c.name: c for c in table.columns}
    assert columns["total"].generated == SqlExpr.parse("price * qty")
    assert (columns["label"].generated, columns["label"].nullable) == (SqlExpr.parse("'#' || id::text"), False)
    assert columns["price"].generated is None


class Item(DslTable):
    id = serial().primary_key()
    price = integer()
    qty = integer()
    total = integer().generated("price * qty")
    label = text().not_null().generated(SqlExpr.parse("'#' || id::text"))


def test_the_dsl_declares_the_same_schema_as_the_sql_and_pull_writes_it_back(tmp_path: Path) -> None:
    declared = schema_from_classes([Item])
    assert declared == parse_ddl(DDL).schema
    written = schema_to_python(declared)
    assert 'integer().generated("price * qty")' in written
    path = tmp_path / "schema.py"
    path.write_text(written)
    assert load_schema(path).schema == declared


def _with(column: Column) -> Schema:
    key = PrimaryKey(name="t_pkey", columns=("id",))
    return Schema(
        tables=(
            Table(name="t", columns=(Column(name="id", type=t("integer"), nullable=False), column), primary_key=key),
        )
    )


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            Column(name="g", type=t("integer"), generated=SqlExpr.parse("id + 1"), default=LiteralDefault(value=1)),
            'table "t", column "g": a generated column takes no default, identity or serial type'
            " (its expression computes it)",
        ),
        (
            Column(name="id", type=t("integer"), nullable=False, generated=SqlExpr.parse("2")),
            'table "t", column "id": a generated column cannot be part of the primary key',
        ),
    ],
)
def test_a_generated_column_has_no_default_and_is_not_in_the_primary_key(column: Column, message: str) -> None:
    schema = _with(column)
    if column.name == "id":
        table = schema.tables[0]
        schema = Schema(tables=(table.model_copy(update={"columns": (column,)}),))
    assert message in problems(schema)
    with pytest.raises(SchemaError):
        validate(schema)


def test_a_sync_table_cannot_hold_a_generated_column() -> None:
    # sync writes every column of a row it receives; the database refuses a value for a generated one
    key = PrimaryKey(name="t_pkey", columns=("id",))
    columns = (
        Column(name="id", type=t("uuid"), nullable=False),
        Column(name="g", type=t("text"), generated=SqlExpr.parse("id::text")),
    )
    table = with_sync(Table(name="t", columns=columns, primary_key=key))
    assert 'table "t" (sync): column "g" is generated; a sync table cannot hold a generated column' in problems(
        Schema(tables=(table,))
    )
