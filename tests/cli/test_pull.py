from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from mizzle.core.model import Schema
from mizzle.dialects import get_dialect, sqlite
from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema
from tests.cli.conftest import EXAMPLE, Mizzle

EXAMPLE_SCHEMA = load_schema(EXAMPLE / "schema.py").schema


def create(url: str, schema: Schema) -> Schema:
    """Create `schema` in the empty database at `url`; return it as that database holds it."""
    parsed = parse_url(url)
    dialect = get_dialect(parsed.dialect)
    conn = sqlite.connect(parsed, create=True) if parsed.dialect == "sqlite" else dialect.connect(parsed)
    try:
        dialect.apply(conn, dialect.render_schema(schema))
    finally:
        conn.close()
    return dialect.project(schema)[0]


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each kind (the PostgreSQL one via the `pg_url` fixture)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'app.db'}"
    else:
        yield request.getfixturevalue("pg_url")


@pytest.mark.parametrize("suffix", [".py", ".sql"])
def test_pull_writes_a_schema_that_loads_back_to_the_database_schema(
    mizzle: Mizzle, tmp_path: Path, database: str, suffix: str
) -> None:
    held = create(database, EXAMPLE_SCHEMA)
    out = tmp_path / f"pulled{suffix}"
    result = mizzle("pull", "--db", database, "--out", out)
    assert result.code == 0, result.err
    assert result.out.startswith(f"wrote {out}: {len(held.tables)} tables")
    assert load_schema(out).schema.to_json() == held.to_json()


def test_pull_names_what_it_does_not_carry_and_writes_the_rest(mizzle: Mizzle, tmp_path: Path, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE t (id integer PRIMARY KEY)")
        conn.execute("CREATE TYPE pair AS (a int, b int)")
        conn.execute("CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int)")
        conn.execute("CREATE FUNCTION answer() RETURNS integer LANGUAGE sql AS $$ SELECT 42 $$")
    result = mizzle("pull", "--db", pg_url, "--out", tmp_path / "s.py")
    assert result.code == 0, result.err
    assert result.err.startswith("warning: not carried by mizzle (1): composite type pair")
    schema = load_schema(tmp_path / "s.py").schema
    assert [t.name for t in schema.tables] == ["t"]
    assert [f.name for f in schema.functions] == ["answer"]  # a function is carried (core/routines.py)
    assert [a.label for a in schema.aggregates] == ["total(integer)"]  # so is an aggregate (core/pg_objects.py)


def test_force_overwrites_an_existing_file(mizzle: Mizzle, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    held = create(url, EXAMPLE_SCHEMA)
    out = tmp_path / "schema.py"
    out.write_text("# mine\n")
    assert mizzle("pull", "--db", url, "--out", out, "--force").code == 0
    assert load_schema(out).schema.to_json() == held.to_json()


def test_database_and_output_come_from_the_config_with_env_local_expansion(
    mizzle: Mizzle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mizzle.toml").write_text('schema = "db/schema.py"\n[db]\nurl = "sqlite:///${APP_DB:-wrong.db}"\n')
    (tmp_path / ".env").write_text("APP_DB=wrong-too.db\n")
    (tmp_path / ".env.local").write_text("APP_DB=data/app.db\n")
    (tmp_path / "data").mkdir()
    held = create(f"sqlite:///{tmp_path / 'data' / 'app.db'}", EXAMPLE_SCHEMA)
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")  # the SQLite path is relative to the config, not here
    monkeypatch.delenv("APP_DB", raising=False)
    result = mizzle("pull")
    assert result.code == 0, result.err
    assert load_schema(tmp_path / "db" / "schema.py").schema.to_json() == held.to_json()
