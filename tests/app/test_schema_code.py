"""Code and security in one of the app's own schemas (issue 11), from a `.sql` schema: a type,
functions, a table whose DEFAULT calls one of them, a trigger, row level security, a policy,
grants on the schema, the table and a function, and comments, all in schema `app`. push makes
them on PostgreSQL (the schema first, the function before the table), a second push has
nothing to do, and pull gives back the same schema."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from mizzle.dialects.urls import parse_url
from mizzle.sources.load import load_schema
from tests.pg import fresh_database

MIZZLE = str(Path(sys.executable).parent / "mizzle")

SCHEMA = """
CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO PUBLIC;
CREATE TYPE app.role AS ENUM ('owner', 'member');
CREATE FUNCTION app.token(length integer) RETURNS text LANGUAGE sql AS $$ SELECT repeat('x', length) $$;
CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.seen := 1; RETURN NEW; END $$;
CREATE FUNCTION public.is_owner(r app.role) RETURNS boolean LANGUAGE sql AS $$ SELECT r = 'owner' $$;
CREATE TABLE app.member (
  id integer PRIMARY KEY,
  role app.role NOT NULL DEFAULT 'member',
  token text NOT NULL DEFAULT app.token(8),
  seen integer NOT NULL DEFAULT 0
);
CREATE TRIGGER member_touch BEFORE UPDATE ON app.member FOR EACH ROW EXECUTE FUNCTION app.touch();
ALTER TABLE app.member ENABLE ROW LEVEL SECURITY;
CREATE POLICY "owners only" ON app.member FOR SELECT TO PUBLIC USING (is_owner(role));
GRANT SELECT ON app.member TO PUBLIC;
REVOKE EXECUTE ON FUNCTION app.token(length integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.is_owner(r app.role) TO mz_sec_reader WITH GRANT OPTION;
COMMENT ON TABLE app.member IS 'who belongs';
"""


def mizzle(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MIZZLE, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.mark.postgres
def test_code_and_security_of_an_apps_schema_push_and_pull_back(tmp_path: Path) -> None:
    (tmp_path / "schema.sql").write_text(SCHEMA, encoding="utf-8")
    (tmp_path / "mizzle.toml").write_text('schema = "schema.sql"\ndialects = ["postgresql"]\n', encoding="utf-8")
    with fresh_database("appcode") as url:
        with psycopg.connect(url, autocommit=True) as conn:  # roles are the cluster's (as in test_plan_security)
            conn.execute(
                "DO $$ BEGIN CREATE ROLE mz_sec_reader; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
        pushed = mizzle(tmp_path, "push", "--db", url)
        assert pushed.returncode == 0, pushed.stderr
        with psycopg.connect(url) as conn:
            conn.execute("INSERT INTO app.member (id) VALUES (1)")
            conn.execute("UPDATE app.member SET role = 'owner'")
            assert conn.execute("SELECT token, seen FROM app.member").fetchall() == [("xxxxxxxx", 1)]
            acl = conn.execute(
                "SELECT p.oid::regprocedure::text, a.grantee::regrole::text, a.is_grantable FROM pg_proc p, "
                "aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a "
                "WHERE p.proname IN ('token', 'is_owner') AND a.grantee <> p.proowner"
            ).fetchall()
            assert sorted(acl) == [  # app.token's EXECUTE taken from PUBLIC
                ("is_owner(app.role)", "-", False),
                ("is_owner(app.role)", "mz_sec_reader", True),
            ]
            assert conn.execute("SELECT policyname, qual FROM pg_policies WHERE schemaname = 'app'").fetchall() == [
                ("owners only", "is_owner(role)")
            ]
            assert conn.execute("SELECT obj_description('app.member'::regclass, 'pg_class')").fetchone() == (
                "who belongs",
            )
        again = mizzle(tmp_path, "push", "--db", url, "--dry-run")
        assert again.stdout == f"nothing to push: {parse_url(url).redacted} matches the schema\n", again.stderr

        pulled = mizzle(tmp_path, "pull", "--db", url, "--schemas", "public,app", "-o", "pulled.sql")
        assert pulled.returncode == 0, pulled.stderr
        assert "not modelled" not in pulled.stderr
        mine, back = load_schema(tmp_path / "schema.sql").schema, load_schema(tmp_path / "pulled.sql").schema
        assert (
            {f.label for f in back.functions}
            == {f.label for f in mine.functions}
            == {
                "app.token(length integer)",
                "app.touch()",
                "public.is_owner(r app.role)",
            }
        )
        assert back.security == mine.security
        assert [g.describe() for g in back.security.grants if g.revoked] == [
            "EXECUTE on function app.token(length integer) revoked from PUBLIC"
        ]
        # the same through the DSL: pull writes it, loading it gives it back
        assert mizzle(tmp_path, "pull", "--db", url, "--schemas", "public,app", "-o", "pulled.py").returncode == 0
        assert load_schema(tmp_path / "pulled.py").schema.security == mine.security
        member = back.table("app.member")
        assert member is not None and [t.name for t in member.triggers] == ["member_touch"]


@pytest.mark.postgres
def test_pull_names_a_schema_another_role_owns(tmp_path: Path) -> None:
    """The schema's owner is not carried (the role that runs the migration owns what it
    creates): pull says so for a schema another role owns, rather than dropping it silently."""
    with fresh_database("appowner") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(
                "DO $$ BEGIN CREATE ROLE mz_sec_reader; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            )
            conn.execute("CREATE SCHEMA theirs AUTHORIZATION mz_sec_reader")
            conn.execute("CREATE TABLE theirs.t (id integer PRIMARY KEY)")
        pulled = mizzle(tmp_path, "pull", "--db", url, "--schemas", "public,theirs", "-o", "pulled.sql")
        assert pulled.returncode == 0, pulled.stderr
        warning = " ".join(pulled.stderr.split())
        assert (
            "schema theirs: owned by mz_sec_reader: the owner is not carried (the role that migrates owns it)"
            in warning
        ), pulled.stderr
