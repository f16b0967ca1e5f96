"""Column-level fidelity on real PostgreSQL apps (issue 11), end to end through the CLI.

For the Supabase apps of the corpus (after their prelude: roles, the `auth` schema...) and the
final states of the drizzle-kit PostgreSQL histories: load the app into a fresh database,
`mizzle pull` it to `.sql` and to `.py`, `mizzle export` that for PostgreSQL, apply it to a
second fresh database (with the same prelude), and compare the two databases' catalogs
(`tests/catalog.py`, plus identity and generated columns): types, defaults as `pg_get_expr`
prints them, checks, foreign keys (those to `auth.users` included), identical. Then `mizzle push
--dry-run` of the pulled schema against the first database has nothing to do.

Basejump is not here: its tables live in its own `basejump` schema, and mizzle reads `public`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.catalog import Catalog, diff, snapshot
from tests.conftest import CORPUS
from tests.corpus_apps import load_history, load_prelude, psql
from tests.pg import fresh_database

MIZZLE = str(Path(sys.executable).parent / "mizzle")
APPS = CORPUS / "apps"

SOURCES = {
    "onlook": APPS / "supabase" / "onlook-dev__onlook",
    "nextjs-subscription-payments": APPS / "supabase" / "vercel__nextjs-subscription-payments",
    "homarr": APPS / "pg-histories" / "homarr-labs__homarr",
    "dittofeed": APPS / "pg-histories" / "dittofeed__dittofeed",
    "pages-cms": APPS / "pg-histories" / "pages-cms__pages-cms",
}

#: identity and generated columns, with the options of an identity's sequence
_COLUMN_KINDS = """
SELECT c.relname, a.attname, a.attidentity::text, a.attgenerated::text,
       (SELECT format('%s %s %s %s %s %s', s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
        FROM pg_depend d JOIN pg_sequence s ON s.seqrelid = d.objid
        WHERE d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.deptype = 'i'
          AND d.classid = 'pg_class'::regclass)
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND (a.attidentity <> '' OR a.attgenerated <> '')
"""


def mizzle(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *map(str, args)], capture_output=True, text=True, timeout=300, cwd=cwd)


def facts(url: str) -> Catalog:
    """The catalog snapshot, each table's defaults on their own, and identity/generated columns."""
    found = snapshot(url)
    for key, columns in list(found.items()):
        if key[0] == "table":
            found[key] = [(name, typ, notnull) for name, typ, notnull, _ in columns]
            for name, _typ, _notnull, default in columns:
                found[("default", f"{key[1]}.{name}")] = default
    with psycopg.connect(url) as conn:
        for table, column, identity, generated, sequence in conn.execute(_COLUMN_KINDS):
            found[("column kind", f"{table}.{column}")] = (identity, generated, sequence)
    return found


def not_carried(stderr: str) -> set[str]:
    """Names of the constraints `mizzle pull` said it does not carry (`table.constraint`)."""
    text = " ".join(stderr.split())
    return set(re.findall(r"constraint ([\w.\"]+): [^,]*not carried", text))


@pytest.mark.postgres
@pytest.mark.parametrize("fmt", ["sql", "py"])
@pytest.mark.parametrize("app", sorted(SOURCES))
def test_pull_export_apply_keeps_every_column_fact(app: str, fmt: str, tmp_path: Path) -> None:
    source = SOURCES[app]
    with fresh_database("orig") as original, fresh_database("copy") as copy:
        load_history(source, original, tmp_path)
        schema_file = tmp_path / f"schema.{fmt}"
        pulled = mizzle("pull", "--db", original, "--out", schema_file)
        assert pulled.returncode == 0, pulled.stderr

        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
        assert exported.returncode == 0, exported.stderr
        ddl = tmp_path / "export.sql"
        ddl.write_text(exported.stdout, encoding="utf-8")
        load_prelude(source, copy)
        psql(copy, ddl)

        a, b = facts(original), facts(copy)
        for name in not_carried(pulled.stderr):
            a.pop(("constraint", name), None)
            b.pop(("constraint", name), None)
        # nothing excused: defaults and checks keep PostgreSQL's own spelling too
        # (`char_length`, `timezone('utc'::text, now())`)
        assert diff(a, b) == []
        if app == "nextjs-subscription-payments":
            assert b[("constraint", "prices.prices_currency_check")] == "CHECK (char_length(currency) = 3)"
            assert b[("default", "subscriptions.created")] == "timezone('utc'::text, now())"
        if app == "onlook":
            assert a[("constraint", "users.users_id_users_id_fk")] == (
                "FOREIGN KEY (id) REFERENCES auth.users(id) ON UPDATE CASCADE ON DELETE CASCADE"
            )

        (tmp_path / "mizzle.toml").write_text(f'schema = "{schema_file.name}"\ndialects = ["postgresql"]\n')
        pushed = mizzle("push", "--dry-run", "--db", original, cwd=tmp_path)
        assert pushed.returncode == 0, pushed.stderr
        assert "ALTER" not in pushed.stdout and "CREATE" not in pushed.stdout and "DROP" not in pushed.stdout, (
            pushed.stdout
        )


@pytest.mark.postgres
def test_defaults_postgresql_takes_only_in_parentheses_come_back_unchanged(tmp_path: Path) -> None:
    table = tmp_path / "t.sql"
    table.write_text(
        "CREATE TABLE t (id int PRIMARY KEY GENERATED ALWAYS AS IDENTITY (START WITH 7 INCREMENT BY 3),\n"
        "  at timestamp DEFAULT (CURRENT_TIMESTAMP AT TIME ZONE 'utc'), flag boolean DEFAULT (NOT false),\n"
        "  known boolean DEFAULT (1 IS NOT NULL), n bigint GENERATED BY DEFAULT AS IDENTITY);"
    )
    with fresh_database("orig") as original, fresh_database("copy") as copy:
        psql(original, table)
        for fmt in ("sql", "py"):
            schema_file = tmp_path / f"schema.{fmt}"
            pulled = mizzle("pull", "--db", original, "--out", schema_file)
            assert pulled.returncode == 0, pulled.stderr
            exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
            assert exported.returncode == 0, exported.stderr
            (tmp_path / "export.sql").write_text(exported.stdout)
            with psycopg.connect(copy, autocommit=True) as conn:
                conn.execute("DROP TABLE IF EXISTS t")
            psql(copy, tmp_path / "export.sql")
            assert diff(facts(original), facts(copy)) == []
