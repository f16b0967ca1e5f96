"""PostgreSQL's own spelling of expressions, on a real database: pulled to `.sql` and to `.py`,
exported and applied, the catalog comes back identical (`char_length`, `btrim`,
`CURRENT_TIMESTAMP`, `timezone('utc', now())` stay as written); the same meaning spelled
otherwise in the schema plans nothing, and a changed expression plans its change."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizzle.app.database import parse_url
from tests.catalog import diff
from tests.corpus_apps import psql
from tests.pg import fresh_database
from tests.roundtrip.full_catalog import full_snapshot
from tests.roundtrip.test_pg_roundtrip import mizzle

SCHEMA = """
CREATE FUNCTION lower(text[]) RETURNS text[] LANGUAGE sql IMMUTABLE
  AS $$ SELECT array_agg(lower(x)) FROM unnest($1) x $$;
CREATE TABLE prices (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  currency text NOT NULL CHECK (char_length(currency) = 3),
  label varchar(40) NOT NULL DEFAULT 'x',
  names text[] NOT NULL DEFAULT '{}',
  trimmed text GENERATED ALWAYS AS (btrim(label)) STORED,
  created timestamptz NOT NULL DEFAULT timezone('utc', now()),
  seen timestamptz DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT label_not_blank CHECK (btrim(label) <> '')
);
CREATE INDEX prices_label ON prices (lower(label)) WHERE (btrim(label) <> '');
CREATE INDEX prices_names ON prices (lower(names));
CREATE UNIQUE INDEX prices_currency ON prices (currency);
CREATE TABLE quotes (id int PRIMARY KEY, currency text REFERENCES prices (currency));
CREATE VIEW codes AS SELECT 'Price'::character varying AS kind, upper(currency) AS code, char_length(label) AS n
  FROM prices WHERE btrim(label) <> '';
"""


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["sql", "py"])
def test_expressions_come_back_as_postgresql_spelled_them(fmt: str, tmp_path: Path) -> None:
    source = tmp_path / "source.sql"
    source.write_text(SCHEMA, encoding="utf-8")
    with fresh_database("spell") as original, fresh_database("spellcopy") as copy:
        psql(original, source)
        schema_file = tmp_path / f"schema.{fmt}"
        pulled = mizzle("pull", "--db", original, "--out", schema_file)
        assert pulled.returncode == 0, pulled.stderr
        text = schema_file.read_text(encoding="utf-8")
        assert "char_length(currency) = 3" in text and "LENGTH" not in text
        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
        assert exported.returncode == 0, exported.stderr
        ddl = tmp_path / "export.sql"
        ddl.write_text(exported.stdout, encoding="utf-8")
        psql(copy, ddl)
        before, after = full_snapshot(original, ("public",)), full_snapshot(copy, ("public",))
        assert diff(before, after) == []
        assert after[("constraint", "prices.prices_currency_check")] == "CHECK (char_length(currency) = 3)"
        assert ("view", "codes") in after and ("index", "prices.prices_names") in after

        (tmp_path / "mizzle.toml").write_text(f'schema = "{schema_file.name}"\ndialects = ["postgresql"]\n')
        pushed = mizzle("push", "--db", original, "--dry-run", cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout == f"nothing to push: {parse_url(original).redacted} matches the schema\n"


@pytest.mark.postgres
def test_another_spelling_of_the_same_check_plans_nothing_and_a_new_check_plans_its_change(tmp_path: Path) -> None:
    source = tmp_path / "source.sql"
    source.write_text(SCHEMA, encoding="utf-8")
    with fresh_database("spell") as original:
        psql(original, source)
        schema_file = tmp_path / "schema.sql"
        assert mizzle("pull", "--db", original, "--out", schema_file).returncode == 0
        (tmp_path / "mizzle.toml").write_text('schema = "schema.sql"\ndialects = ["postgresql"]\n')
        pulled = schema_file.read_text(encoding="utf-8")
        assert "CHECK (char_length(currency) = 3)" in pulled
        same = pulled.replace("CHECK (char_length(currency) = 3)", "CHECK ((length(currency) = 3))")
        schema_file.write_text(same.replace("btrim(label) <> ''", "trim(both from label) <> ''"), encoding="utf-8")
        pushed = mizzle("push", "--db", original, "--dry-run", cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        assert pushed.stdout.startswith("nothing to push"), pushed.stdout

        schema_file.write_text(pulled.replace("char_length(currency) = 3", "char_length(currency) = 4"))
        pushed = mizzle("push", "--db", original, "--dry-run", cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        assert "DROP CONSTRAINT prices_currency_check" in pushed.stdout
        assert "CHECK (char_length(currency) = 4)" in pushed.stdout
