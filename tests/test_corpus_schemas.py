"""AdventureWorks (68 tables in five schemas, 87 views in those and five alias schemas, six
domains, two materialized views), end
to end through the CLI with `--schemas`: load it (schema only, through the corpus's filter),
`mizzle pull` it to `.py` and `.sql`, `mizzle export` that back, apply it to a fresh database
and compare both databases' catalogs (`tests/catalog.py`, independent of mizzle's reading);
then `push --dry-run` of the pulled schema against the original has nothing to do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.catalog import diff, snapshot
from tests.conftest import CORPUS
from tests.pg import fresh_database, need_extensions
from tests.test_corpus_roundtrip import mizzle, psql_file

AW = CORPUS / "apps" / "large-pg" / "lorint__AdventureWorks-for-Postgres"
SCHEMAS = ("humanresources", "person", "production", "purchasing", "sales", "hr", "pe", "pr", "pu", "sa")
#: what AdventureWorks holds that mizzle does not carry, by the name pull gives it
#: its domains (public) and materialized views (with an index each), carried (core/pg_objects.py)
DOMAINS = {"AccountNumber", "Flag", "Name", "NameStyle", "OrderNumber", "Phone"}
MATERIALIZED_VIEWS = {"person.vstateprovincecountryregion", "production.vproductanddescription"}
#: the extensions its tables' defaults and views call
EXTENSIONS = 'CREATE EXTENSION IF NOT EXISTS "uuid-ossp"; CREATE EXTENSION IF NOT EXISTS tablefunc'


def _load(url: str, tmp_path: Path) -> None:
    need_extensions(url, "uuid-ossp", "tablefunc")  # its defaults and views call them
    filtered = subprocess.run(
        [sys.executable, str(AW / "_schema_only_filter.py"), str(AW / "install.sql")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = tmp_path / "adventureworks.sql"
    path.write_text(filtered, encoding="utf-8")
    psql_file(url, path)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["py", "sql"])
def test_adventureworks_pull_export_apply_is_identical_in_every_schema(fmt: str, tmp_path: Path) -> None:
    with fresh_database("aw") as original, fresh_database("awcopy") as copy:
        _load(original, tmp_path)
        schema_file = tmp_path / f"schema.{fmt}"
        pulled = mizzle("pull", "--db", original, "--out", schema_file, "--schemas", ",".join(SCHEMAS))
        assert pulled.returncode == 0, pulled.stderr
        assert "68 tables" in pulled.stdout and "87 views" in pulled.stdout, pulled.stdout
        # every view is carried, sales.vsalespersonsalesbyfiscalyears (tablefunc's crosstab) too
        assert "not carried" not in pulled.stderr, pulled.stderr

        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
        assert exported.returncode == 0, exported.stderr
        ddl = tmp_path / "export.sql"
        ddl.write_text(exported.stdout, encoding="utf-8")
        with psycopg.connect(copy, autocommit=True) as conn:
            conn.execute(EXTENSIONS)
        psql_file(copy, ddl)

        before = snapshot(original, SCHEMAS)
        after = snapshot(copy, SCHEMAS)
        assert sum(kind == "table" for kind, _ in after) == 68
        assert sum(kind == "view" for kind, _ in after) == 87
        assert {name for kind, name in after if kind == "domain"} == DOMAINS
        assert {name for kind, name in after if kind == "materialized view"} == MATERIALIZED_VIEWS
        assert sum(kind == "domain column" for kind, _ in after) == 43  # the columns keep their domains
        matview_indexes = [
            name for kind, name in after if kind == "index" and name.startswith(tuple(MATERIALIZED_VIEWS))
        ]
        assert len(matview_indexes) == 2, matview_indexes
        # nothing excused: now(), btrim(x) and the like come back as PostgreSQL spelled them
        differences = diff(before, after)
        assert differences == [], "\n".join(differences)
        assert "now()" in after[("constraint", "humanresources.employee.CK_Employee_HireDate")]

        (tmp_path / "mizzle.toml").write_text(
            f'schema = "schema.{fmt}"\ndialects = ["postgresql"]\nschemas = [{", ".join(repr(s) for s in SCHEMAS)}]\n'
        )
        dry = subprocess.run(
            [str(Path(sys.executable).parent / "mizzle"), "push", "--db", original, "--dry-run"],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert dry.returncode == 0, dry.stderr
        assert "CREATE" not in dry.stdout and "ALTER" not in dry.stdout and "DROP" not in dry.stdout, dry.stdout
