"""`mizzle pull --style sqlalchemy`: a schema written as SQLAlchemy 2.x declarative models
(`mizzle/sources/sqlalchemy/write.py`) reads back into the very same schema."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mizzle.core.errors import SchemaError
from mizzle.sources.load import load_schema, mark_sync_tables
from mizzle.sources.sql.reader import parse_ddl
from mizzle.sources.sqlalchemy import schema_to_sqlalchemy
from tests.catalog import diff, snapshot
from tests.pg import fresh_database
from tests.sources.sqlalchemy.helpers import export, psql_text, run_mizzle
from tests.test_corpus_roundtrip import PAGILA_UNSUPPORTED, load_source, reported, without_unsupported

#: everything the writer has a rule for: names to quote or that a class body needs, names
#: PostgreSQL would not give, serials on and off the key, colons and % in SQL text, a table
#: without a key, an enum no column uses, a foreign-key cycle, NULLS FIRST, NULLS NOT DISTINCT, sync,
#: index keys with a collation and operator classes
TRICKY = """
CREATE TYPE mood AS ENUM ('ok', 'it''s: fine');
CREATE TYPE unused AS ENUM ('a');
CREATE TABLE "Weird Table" (
    id bigserial PRIMARY KEY,
    "metadata" text DEFAULT 'a:b %',
    "Integer" integer NOT NULL DEFAULT 0,
    "select" varchar,
    "2nd" char(2),
    ticket serial,
    at timestamp(3) DEFAULT now(),
    t time(0),
    n numeric(5),
    raw bytea,
    doc json,
    u uuid DEFAULT gen_random_uuid(),
    words tsvector,
    took interval,
    grid integer[][],
    moods mood[] DEFAULT '{ok}',
    CONSTRAINT weird_code_check CHECK ("metadata" ~ '^a:[a-z]+' OR "metadata" LIKE '%%x')
);
CREATE TABLE parent (
    a integer, b integer, child_id integer,
    CONSTRAINT parent_pk PRIMARY KEY (b, a)
);
CREATE TABLE child (
    id integer PRIMARY KEY,
    pa integer, pb integer,
    CONSTRAINT child_to_parent FOREIGN KEY (pb, pa) REFERENCES parent (b, a)
        ON UPDATE SET DEFAULT DEFERRABLE INITIALLY DEFERRED,
    CONSTRAINT child_pair UNIQUE (pa, pb),
    CONSTRAINT child_pa_named UNIQUE (pa),
    CONSTRAINT child_pb_key UNIQUE NULLS NOT DISTINCT (pb)
);
ALTER TABLE parent ADD FOREIGN KEY (child_id) REFERENCES child (id) ON DELETE SET NULL;
CREATE TABLE loose (x integer, y text);
CREATE INDEX loose_y_idx ON loose (lower(y) DESC NULLS LAST, x NULLS FIRST) WHERE x > 0;
CREATE UNIQUE INDEX loose_expr_idx ON loose ((x + 1));
CREATE UNIQUE INDEX loose_y_x_idx ON loose (y, x) NULLS NOT DISTINCT;
CREATE INDEX loose_y_pattern ON loose (y COLLATE "C" text_pattern_ops DESC, lower(y) ext.gin_trgm_ops);
CREATE TABLE tune (id text PRIMARY KEY, title text);
CREATE VIEW weird_view AS SELECT "metadata", 'a:b %' AS c FROM "Weird Table" WHERE "metadata" LIKE '%:x';
"""


def test_written_models_read_back_to_the_same_schema(tmp_path: Path) -> None:
    schema = mark_sync_tables(parse_ddl(TRICKY).schema, ["tune"], "test")
    models = tmp_path / "models.py"
    models.write_text(schema_to_sqlalchemy(schema), encoding="utf-8")
    loaded = load_schema(Path(f"{models}:Base.metadata"))
    assert loaded.schema.to_json() == schema.to_json()
    assert loaded.unsupported == ()


def test_written_models_are_ruff_clean_and_formatted(tmp_path: Path) -> None:
    models = tmp_path / "models.py"
    models.write_text(schema_to_sqlalchemy(parse_ddl(TRICKY).schema), encoding="utf-8")
    checked = run_ruff("check", "--select", "E,F,W,I", "--line-length", "100", models)
    assert checked.returncode == 0, checked.stdout
    formatted = run_ruff("format", "--diff", "--line-length", "100", models)
    assert formatted.returncode == 0, formatted.stdout


def run_ruff(*args: str | Path) -> subprocess.CompletedProcess[str]:
    from tests.sources.sqlalchemy.helpers import PYTHON

    return subprocess.run(
        [str(Path(PYTHON).parent / "ruff"), *map(str, args), "--no-cache", "--isolated"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_type_sqlalchemy_cannot_spell_is_one_error_naming_the_column() -> None:
    schema = parse_ddl("CREATE TABLE place (id integer PRIMARY KEY, spot geometry);").schema
    with pytest.raises(SchemaError, match=r'^table "place", column "spot": type geometry has no SQLAlchemy spelling'):
        schema_to_sqlalchemy(schema)


def test_a_reference_to_a_name_with_a_dot_is_refused_not_written_wrong() -> None:
    schema = parse_ddl("CREATE TABLE ab (id integer PRIMARY KEY); CREATE TABLE c (r integer REFERENCES ab);").schema
    c = schema.tables[1]
    fk = c.foreign_keys[0].model_copy(update={"ref_table": "a.b"})
    schema = schema.model_copy(update={"tables": (schema.tables[0], c.model_copy(update={"foreign_keys": (fk,)}))})
    with pytest.raises(SchemaError, match=r'^table "c", foreign key "c_r_fkey": SQLAlchemy cannot reference a name'):
        schema_to_sqlalchemy(schema)


def test_pull_refuses_style_sqlalchemy_for_a_sql_file(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'x.db'}"
    done = run_mizzle("pull", "--db", db, "--out", tmp_path / "s.sql", "--style", "sqlalchemy")
    assert done.returncode != 0 and "--style sqlalchemy writes a .py file" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.postgres
@pytest.mark.parametrize("source", ["chinook", "pagila"])
def test_pull_style_sqlalchemy_then_export_rebuilds_an_identical_database(source: str, tmp_path: Path) -> None:
    with fresh_database("orig") as original, fresh_database("copy") as copy:
        load_source(source, original, tmp_path)
        models = tmp_path / "models.py"
        pulled = run_mizzle("pull", "--db", original, "--out", models, "--style", "sqlalchemy")
        assert pulled.returncode == 0, pulled.stderr
        assert models.read_text().count("(Base):") >= 11
        unsupported = reported(pulled.stderr)
        if source == "pagila":
            assert unsupported >= PAGILA_UNSUPPORTED, sorted(PAGILA_UNSUPPORTED - unsupported)
        psql_text(copy, export(f"{models}:Base.metadata", "postgresql"), tmp_path)
        assert diff(without_unsupported(snapshot(original), unsupported), snapshot(copy)) == []
