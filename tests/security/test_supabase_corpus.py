"""Supabase apps of the corpus (Onlook, Basejump, nextjs-subscription-payments): their row level
security, policies, grants, default privileges and comments survive `pull` → `export` → a fresh
database, compared through PostgreSQL's own catalogs (pg_policies, relrowsecurity, aclexplode,
pg_default_acl, obj_description/col_description), not through mizzle's introspector. A pull then
`push --dry-run` plans no security statement.

What is compared is the app's own schema `public`, pulled alone: Basejump's `basejump` schema,
not read by such a pull, is copied from the original (pg_dump) before the export runs. Pulled
with `--schemas public,basejump`, mizzle carries it whole: `test_app_schemas.py`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.corpus_apps import SUPABASE, load_history, supabase_prelude
from tests.corpus_apps import psql as run_file
from tests.pg import fresh_database

MIZZLE = str(Path(sys.executable).parent / "mizzle")
APPS = ["onlook-dev__onlook", "usebasejump__basejump", "vercel__nextjs-subscription-payments"]

#: PostgreSQL's account of the security of schema public, each part as a sorted list of rows
CATALOG_QUERIES = {
    "policies": """SELECT tablename, policyname, permissive, roles::text[], cmd, qual, with_check
                   FROM pg_policies WHERE schemaname = 'public'""",
    "row security": """SELECT relname, relrowsecurity, relforcerowsecurity FROM pg_class
                       WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p')""",
    "table grants": """SELECT c.relname, a.grantee::regrole::text, a.privilege_type, a.is_grantable
                       FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
                       WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v')""",
    "column grants": """SELECT c.relname, t.attname, a.grantee::regrole::text, a.privilege_type, a.is_grantable
                        FROM pg_class c JOIN pg_attribute t ON t.attrelid = c.oid, aclexplode(t.attacl) a
                        WHERE c.relnamespace = 'public'::regnamespace AND t.attnum > 0""",
    "schema grants": """SELECT a.grantee::regrole::text, a.privilege_type, a.is_grantable
                        FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = 'public'""",
    "default privileges": """SELECT defaclrole::regrole::text, defaclnamespace::regnamespace::text, defaclobjtype,
                                    a.grantee::regrole::text, a.privilege_type, a.is_grantable
                             FROM pg_default_acl, aclexplode(defaclacl) a""",
    "comments": """SELECT c.relname, coalesce(t.attname, ''), coalesce(col_description(c.oid, t.attnum),
                          obj_description(c.oid, 'pg_class'))
                   FROM pg_class c LEFT JOIN pg_attribute t ON t.attrelid = c.oid AND t.attnum > 0
                   WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'i')
                     AND coalesce(col_description(c.oid, t.attnum), obj_description(c.oid, 'pg_class')) IS NOT NULL
                     AND (t.attnum IS NOT NULL OR obj_description(c.oid, 'pg_class') IS NOT NULL)""",
}


def security_catalog(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {
            part: sorted(
                (tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in conn.execute(query)), key=repr
            )
            for part, query in CATALOG_QUERIES.items()
        }


def mizzle(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *map(str, args)], capture_output=True, text=True, timeout=300)


def psql(url: str, *files: Path) -> None:
    for path in files:
        run_file(url, path, single_transaction=False)


def prelude(app: str) -> Path:
    found = supabase_prelude(SUPABASE / app)
    assert found is not None
    return found


#: the schemas the prelude makes: the app's own other schemas are those not here
PRELUDE_SCHEMAS = ("public", "auth", "storage", "realtime", "extensions", "vault")


def unmodelled(url: str, path: Path) -> Path:
    """What the original holds that mizzle does not write, as a script for the copy: the app's
    own other schemas (`pg_dump`), then its functions of schema public (extension members left
    out)."""
    with psycopg.connect(url) as conn:
        schemas = [
            row[0]
            for row in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname <> ALL(%s) AND nspname !~ '^(pg_|information_schema)'",
                (list(PRELUDE_SCHEMAS),),
            )
        ]
    dumped = ""
    if schemas:
        args = [f"--schema={name}" for name in schemas]
        dumped = subprocess.run(["pg_dump", "-s", *args, url], capture_output=True, text=True, check=True).stdout
    query = """SELECT pg_get_functiondef(p.oid) FROM pg_proc p
               WHERE p.pronamespace = 'public'::regnamespace AND p.prokind = 'f'
                 AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                                 AND d.objid = p.oid AND d.deptype = 'e')"""
    with psycopg.connect(url) as conn:
        bodies = [row[0] for row in conn.execute(query)]
    functions = "".join(f"{b};\n" for b in bodies)
    path.write_text(dumped + "\nSET check_function_bodies = off;\n" + functions, encoding="utf-8")
    return path


def load_app(app: str, url: str, work: Path) -> None:
    load_history(SUPABASE / app, url, work)


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sql", "py"])
@pytest.mark.parametrize("app", APPS)
def test_pull_export_keeps_policies_grants_and_comments(app: str, fmt: str, tmp_path: Path) -> None:
    with fresh_database("sec") as original, fresh_database("seccopy") as copy:
        load_app(app, original, tmp_path)
        schema_file = tmp_path / f"schema.{fmt}"
        pulled = mizzle("pull", "--db", original, "--out", schema_file)
        assert pulled.returncode == 0, pulled.stderr
        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
        assert exported.returncode == 0, exported.stderr
        ddl = tmp_path / "export.sql"
        ddl.write_text(exported.stdout, encoding="utf-8")
        psql(copy, prelude(app), unmodelled(original, tmp_path / "unmodelled.sql"), ddl)

        before, after = security_catalog(original), security_catalog(copy)
        assert before["default privileges"]
        if app != "usebasejump__basejump":  # whose tables and policies are all in schema basejump
            assert before["policies"] and any(row[1] for row in before["row security"])
        # A schema says what the database holds, not what the platform gave that the app took
        # back: Basejump revokes the prelude's default EXECUTE on functions from anon and
        # authenticated, which `export` (CREATE statements for an empty database) cannot
        # say. Only such rows may differ, and `push` then takes them back.
        with fresh_database("secbare") as bare:
            psql(bare, prelude(app))
            given = security_catalog(bare)
        for part, rows in after.items():
            assert set(rows) ^ set(before[part]) <= set(given[part]), part
        push(tmp_path, schema_file, copy, "--force")
        assert security_catalog(copy) == before


def push(folder: Path, schema_file: Path, url: str, *args: str) -> str:
    (folder / "mizzle.toml").write_text(f'schema = "{schema_file}"\n', encoding="utf-8")
    done = subprocess.run([MIZZLE, "push", "--db", url, *args], capture_output=True, text=True, cwd=folder, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("app", APPS)
def test_pull_then_push_plans_no_security_statement(app: str, tmp_path: Path) -> None:
    with fresh_database("sec") as original:
        load_app(app, original, tmp_path)
        schema_file = tmp_path / "schema.sql"
        assert mizzle("pull", "--db", original, "--out", schema_file).returncode == 0
        planned = push(tmp_path, schema_file, original, "--dry-run")
        words = ("POLICY", "GRANT", "REVOKE", "COMMENT", "ROW LEVEL SECURITY", "DEFAULT PRIVILEGES")
        assert [line for line in planned.splitlines() if any(w in line for w in words)] == []
