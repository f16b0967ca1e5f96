"""A `.sql` file's expressions keep the text they are written with (PostgreSQL's spelling),
found in the statement and taken only when it reads back to the same expression."""

from __future__ import annotations

from mizzle.core.model import ExprDefault, NowDefault
from mizzle.dialects.postgresql.render import render_schema
from mizzle.sources.dsl.codegen import schema_to_python
from mizzle.sources.sql.reader import parse_ddl

DDL = """
CREATE TABLE prices (
  id int PRIMARY KEY,
  currency text NOT NULL DEFAULT timezone('utc', now())::text CHECK (char_length(currency) = 3),
  trimmed text GENERATED ALWAYS AS (btrim(currency)) STORED,
  seen timestamp DEFAULT (now() AT TIME ZONE 'utc') NOT NULL,
  CONSTRAINT not_five CHECK (NOT (id > 5)),
  CONSTRAINT known CHECK (currency IS NOT NULL)
);
CREATE INDEX prices_lower ON prices (lower(currency)) WHERE (btrim(currency) <> '');
CREATE VIEW codes (code) AS SELECT char_length(prices.currency) FROM prices;
CREATE VIEW plain AS SELECT 'Post'::character varying AS kind, char_length(prices.currency) AS n FROM prices;
ALTER TABLE prices ADD CHECK (octet_length(currency) < 10);
"""


def _read():  # type: ignore[no-untyped-def]
    return parse_ddl(DDL, "schema.sql").schema


def test_defaults_checks_generated_columns_and_indexes_keep_their_spelling() -> None:
    table = _read().tables[0]
    columns = {c.name: c for c in table.columns}
    default = columns["currency"].default
    assert isinstance(default, ExprDefault) and default.expr.pg == "timezone('utc', now())::text"
    seen = columns["seen"].default
    assert isinstance(seen, ExprDefault) and seen.expr.pg == "now() AT TIME ZONE 'utc'"
    assert columns["trimmed"].generated is not None and columns["trimmed"].generated.pg == "btrim(currency)"
    checks = {c.name: c.expr for c in table.checks}
    assert checks["prices_currency_check"].pg == "char_length(currency) = 3"
    assert checks["not_five"].pg == "NOT (id > 5)"  # found by stepping back over `NOT (`
    assert checks["known"].pg is None  # the canonical text itself
    assert checks["prices_currency_check1"].pg == "octet_length(currency) < 10"
    index = table.indexes[0]
    assert index.keys[0].expr is not None and index.keys[0].expr.pg == "lower(currency)"
    assert index.where is not None and index.where.pg == "btrim(currency) <> ''"


def test_a_view_keeps_its_body_unless_the_body_alone_means_something_else() -> None:
    views = {v.name: v.query for v in _read().views}
    assert (
        views["plain"].pg == "SELECT 'Post'::character varying AS kind, char_length(prices.currency) AS n FROM prices"
    )
    # the column list renames the output: the written body alone does not say so, so the
    # canonical text is printed rather than a spelling that would lose the name
    assert views["codes"].pg is None
    assert views["codes"].sql == "SELECT LENGTH(prices.currency) AS code FROM prices"


def test_postgresql_output_prints_the_spelling_verbatim() -> None:
    text = "\n".join(render_schema(_read()))
    for spelled in (
        "DEFAULT timezone('utc', now())::text",
        "DEFAULT (now() AT TIME ZONE 'utc')",
        "GENERATED ALWAYS AS (btrim(currency)) STORED",
        "CHECK (char_length(currency) = 3)",
        "CHECK (NOT (id > 5))",
        "ON prices(lower(currency)) WHERE btrim(currency) <> ''",
        "AS SELECT 'Post'::character varying AS kind, char_length(prices.currency) AS n FROM prices",
    ):
        assert spelled in text, spelled


def test_the_current_time_keeps_its_spelling_and_compares_as_one_default() -> None:
    ddl = "CREATE TABLE t (id int PRIMARY KEY, a timestamptz DEFAULT CURRENT_TIMESTAMP, b timestamptz DEFAULT now());"
    schema = parse_ddl(ddl, "schema.sql").schema
    a, b = schema.tables[0].columns[1:]
    assert isinstance(a.default, NowDefault) and a.default.pg == "CURRENT_TIMESTAMP"
    assert isinstance(b.default, NowDefault) and b.default.pg is None
    assert a.default == b.default and a.default.model_dump() == {"kind": "now"}
    text = render_schema(schema)[0]
    assert "a timestamptz DEFAULT CURRENT_TIMESTAMP," in text and "b timestamptz DEFAULT now()," in text
    code = schema_to_python(schema)
    assert 'a = timestamptz().default(sql("CURRENT_TIMESTAMP"))' in code and "b = timestamptz().default(now())" in code
