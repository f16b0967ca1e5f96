"""The app's own schemas besides `public`, with their code and security (issue 11), on Basejump
(corpus/apps/supabase/usebasejump__basejump): every table of it lives in schema `basejump`,
whose enums (`basejump.account_role`) its public functions take and whose functions
(`basejump.has_role_on_account`) its policies call.

Judged through PostgreSQL's own catalogs (`pg_get_functiondef`, `pg_policies`,
`pg_get_triggerdef`, `aclexplode`, `pg_enum`), never through mizzle's introspector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

from mizzle.app.config import Config
from mizzle.app.generate import generate
from mizzle.app.migrate import migrate
from mizzle.app.pull import pull
from mizzle.core.migrations import MigrationFolder
from mizzle.dialects.urls import parse_url
from tests.pg import SUPABASE_EXTENSIONS, fresh_database, need_extensions
from tests.security.test_supabase_corpus import SUPABASE, mizzle, prelude, psql, push

APP = "usebasejump__basejump"
SCHEMAS = ["public", "basejump"]
STEPS = (SUPABASE / APP / "ORDER.txt").read_text(encoding="utf-8").split()

#: PostgreSQL's account of the code and security of both schemas
PICTURE = {
    "functions": """SELECT pg_get_functiondef(p.oid) FROM pg_proc p
                    WHERE p.pronamespace::regnamespace::text = ANY (%(s)s) AND p.prokind IN ('f', 'p')""",
    "function grants": """SELECT p.oid::regprocedure::text, a.grantee::regrole::text, a.privilege_type
                          FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                          WHERE p.pronamespace::regnamespace::text = ANY (%(s)s)""",
    "enums": """SELECT t.typnamespace::regnamespace::text, t.typname, e.enumlabel, e.enumsortorder
                FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
                WHERE t.typnamespace::regnamespace::text = ANY (%(s)s)""",
    "policies": """SELECT schemaname, tablename, policyname, permissive, roles::text[], cmd, qual, with_check
                   FROM pg_policies WHERE schemaname = ANY (%(s)s)""",
    "row security": """SELECT relnamespace::regnamespace::text, relname, relrowsecurity, relforcerowsecurity
                       FROM pg_class WHERE relnamespace::regnamespace::text = ANY (%(s)s) AND relkind = 'r'
                         AND relname NOT LIKE '\\_\\_mizzle%%'""",
    "triggers": """SELECT pg_get_triggerdef(t.oid), t.tgenabled FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                   WHERE c.relnamespace::regnamespace::text = ANY (%(s)s) AND NOT t.tgisinternal""",
    "table grants": """SELECT c.oid::regclass::text, a.grantee::regrole::text, a.privilege_type
                       FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
                       WHERE c.relnamespace::regnamespace::text = ANY (%(s)s) AND c.relkind IN ('r', 'v')
                         AND c.relname NOT LIKE '\\_\\_mizzle%%'""",
    "schema grants": """SELECT n.nspname, a.grantee::regrole::text, a.privilege_type
                        FROM pg_namespace n, aclexplode(n.nspacl) a WHERE n.nspname = ANY (%(s)s)""",
    "comments": """SELECT d.classoid::regclass::text, d.objsubid, d.description FROM pg_description d
                   JOIN pg_class c ON d.classoid = 'pg_class'::regclass AND c.oid = d.objoid
                   WHERE c.relnamespace::regnamespace::text = ANY (%(s)s)""",
}


def picture(url: str) -> dict[str, list[tuple[Any, ...]]]:
    with psycopg.connect(url) as conn:
        return {
            part: sorted(
                (tuple(tuple(v) if isinstance(v, list) else v for v in row) for row in conn.execute(q, {"s": SCHEMAS})),
                key=repr,
            )
            for part, q in PICTURE.items()
        }


def load(url: str, steps: list[str]) -> None:
    psql(url, *(SUPABASE / APP / name for name in steps))


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["sql", "py"])
def test_basejump_pull_export_gives_the_same_code_and_security(fmt: str, tmp_path: Path) -> None:
    with fresh_database("bj") as original, fresh_database("bjcopy") as copy:
        need_extensions(original, *SUPABASE_EXTENSIONS)
        load(original, ["_prelude_supabase.sql", *STEPS])
        schema_file = tmp_path / f"schema.{fmt}"
        pulled = mizzle("pull", "--db", original, "--schemas", "public,basejump", "--out", schema_file)
        assert pulled.returncode == 0, pulled.stderr
        # nothing of the two schemas is left out: only the platform's schemas are named
        assert "not modelled" not in pulled.stderr, pulled.stderr
        exported = mizzle("export", "--dialect", "postgresql", "--schema", schema_file)
        assert exported.returncode == 0, exported.stderr
        ddl = tmp_path / "export.sql"
        ddl.write_text(exported.stdout, encoding="utf-8")
        psql(copy, prelude(APP), ddl)

        before, after = picture(original), picture(copy)
        assert len(before["functions"]) == 30 and len(before["policies"]) == 13 and len(before["enums"]) == 11
        for part in PICTURE:
            if part != "function grants":
                assert after[part] == before[part], part
        # Function grants: Basejump revokes the platform's default EXECUTE to anon and
        # authenticated on public's new functions (the prelude's ALTER DEFAULT PRIVILEGES IN
        # SCHEMA public); `export` writes for an empty database and cannot take back what the
        # platform's default gives there, so public's functions may hold those two more.
        # Everything else, the basejump schema's functions included, is equal.
        extra = set(after["function grants"]) ^ set(before["function grants"])
        assert all("." not in f.partition("(")[0] and who in ("anon", "authenticated") for f, who, _ in extra), extra
        own = [r for r in before["function grants"] if r[0].startswith("basejump.")]
        assert own and own == [r for r in after["function grants"] if r[0].startswith("basejump.")]


@pytest.mark.postgres
@pytest.mark.slow
def test_basejump_pull_then_push_plans_nothing(tmp_path: Path) -> None:
    with fresh_database("bj") as original:
        need_extensions(original, *SUPABASE_EXTENSIONS)
        load(original, ["_prelude_supabase.sql", *STEPS])
        schema_file = tmp_path / "schema.py"
        pulled = mizzle("pull", "--db", original, "--schemas", "public,basejump", "--out", schema_file)
        assert pulled.returncode == 0 and "not modelled" not in pulled.stderr, pulled.stderr
        # the platform's schemas are named as not read, with the schemas that are
        assert "schema auth: not read (read: public, basejump)" in " ".join(pulled.stderr.split())
        planned = push(tmp_path, schema_file, original, "--dry-run")
        assert planned.strip() == f"nothing to push: {parse_url(original).redacted} matches the schema"


def _rows(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT a.slug, a.name, u.account_role::text FROM basejump.accounts a "
            "JOIN basejump.account_user u ON u.account_id = a.id ORDER BY a.slug"
        ).fetchall()


@pytest.mark.postgres
@pytest.mark.slow
def test_basejump_follower_with_rows_migrates_to_the_next_steps(tmp_path: Path) -> None:
    """Database-first: the reference takes Basejump's SQL, mizzle pulls both schemas and writes
    the migration; a follower made by mizzle's migrations, holding accounts, migrates to the
    later steps (invitations, billing), keeps its rows, and holds the reference's code and
    security. Its accounts were made through Basejump's own triggers (which add the owner)."""
    project = tmp_path / "project"
    folder = MigrationFolder(project / "migrations")
    folder.path.mkdir(parents=True)
    (project / "mizzle.toml").write_text('dialects = ["postgresql"]\nschemas = ["basejump"]\n', encoding="utf-8")

    def pulled_and_generated(reference: str, name: str) -> None:
        out = project / "schema.py"
        pull(parse_url(reference), out, schemas=("basejump",), force=True)
        generate(Config(project / "mizzle.toml", out, folder.path, ("postgresql",)), name)

    with fresh_database("bjref") as reference, fresh_database("bjfol") as follower:
        need_extensions(reference, *SUPABASE_EXTENSIONS)
        load(reference, ["_prelude_supabase.sql", *STEPS[:2]])
        psql(follower, prelude(APP))
        pulled_and_generated(reference, "accounts")
        migrate(parse_url(follower), folder)
        with psycopg.connect(follower) as conn:
            conn.execute("INSERT INTO auth.users (id) VALUES ('00000000-0000-0000-0000-0000000000a1')")
            conn.execute("SELECT set_config('request.jwt.claim.sub', '00000000-0000-0000-0000-0000000000a1', false)")
            for slug in ("acme", "zeta"):
                conn.execute(
                    "INSERT INTO basejump.accounts (primary_owner_user_id, name, slug, personal_account) "
                    "VALUES ('00000000-0000-0000-0000-0000000000a1', %s, %s, false)",
                    (slug.title(), slug),
                )
        held = _rows(follower)
        assert held == [("acme", "Acme", "owner"), ("zeta", "Zeta", "owner")]

        load(reference, STEPS[2:])
        pulled_and_generated(reference, "invitations_billing")
        migrate(parse_url(follower), folder)
        assert _rows(follower) == held
        before, after = picture(reference), picture(follower)
        for part in ("functions", "enums", "policies", "row security", "triggers", "table grants", "schema grants"):
            assert after[part] == before[part], part
