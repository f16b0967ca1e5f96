"""Privileges an app takes back from what its platform's defaults give (Basejump: anon may not
run public's new functions; a table's DELETE taken from a role the defaults give it): the
introspector records them as revocations, the .sql reader reads the same from what export
writes, export makes a fresh database after the same platform prelude hold exactly the
original's privileges, and a diff revokes and grants them back both ways."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from mizzle.core.diff import diff
from mizzle.core.security import PRIVILEGES, DefaultPrivilege, Grant, Security
from mizzle.dialects.postgresql import connect, introspect
from mizzle.dialects.postgresql.plan import plan
from mizzle.dialects.postgresql.render import render_schema
from mizzle.dialects.postgresql.render_security import change, create, remove
from mizzle.dialects.urls import parse_url
from mizzle.sources.sql.reader import parse_ddl
from tests.pg import fresh_database

READER, SERVICE = "mz_sec_reader", "mz_sec_service"
#: what a platform gives every object the app creates in public (Supabase's prelude does this)
PRELUDE = f"""ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO {READER}, {SERVICE};
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO {READER}, {SERVICE}"""
#: what the app then takes back
APP = f"""ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM {READER};
CREATE FUNCTION touch() RETURNS integer LANGUAGE sql AS 'SELECT 1';
CREATE TABLE tune (id int PRIMARY KEY, title text);
REVOKE DELETE, TRUNCATE ON tune FROM {READER}"""


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    c = connect(parse_url(pg_url))
    for role in (READER, SERVICE):  # roles are the cluster's: made once, by whichever test comes first
        c.execute(
            f'DO $$ BEGIN CREATE ROLE "{role}"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$'
        )
    c.commit()
    yield c
    c.close()


def run(conn: psycopg.Connection[Any], statements: list[str]) -> None:
    for statement in statements:
        conn.execute(statement.encode())
    conn.commit()


def acls(conn: psycopg.Connection[Any]) -> tuple[Any, ...]:
    """What PostgreSQL holds: the table's and function's ACLs and the default privileges."""
    table = conn.execute("SELECT relacl::text FROM pg_class WHERE relname = 'tune'").fetchone()
    function = conn.execute("SELECT proacl::text FROM pg_proc WHERE proname = 'touch'").fetchone()
    defaults = conn.execute(
        "SELECT defaclnamespace::regnamespace::text, defaclobjtype::text, defaclacl::text FROM pg_default_acl"
        " ORDER BY 1, 2"
    ).fetchall()
    return table, function, defaults


def test_what_the_app_takes_back_is_read_exported_and_held_again(conn: psycopg.Connection[Any]) -> None:
    run(conn, [PRELUDE, APP])
    me = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
    held = introspect(conn).schema
    assert (
        DefaultPrivilege(
            role=me, schema_name="public", on="functions", grantee=READER, privilege="EXECUTE", revoked=True
        )
        in held.security.default_privileges
    )
    revoked = {(g.object, g.privilege) for g in held.security.grants if g.revoked and g.grantee == READER}
    assert revoked == {("tune", "DELETE"), ("tune", "TRUNCATE")}
    # a function made before the app took EXECUTE back would keep it: none here
    assert not [g for g in held.security.grants if g.on == "function" and g.grantee == READER]

    exported = render_schema(held)
    assert parse_ddl(";\n".join(exported)).schema.security == held.security  # the file reads back the same
    with fresh_database("w5rv") as url, psycopg.connect(url, autocommit=True) as fresh:
        fresh.execute(PRELUDE.encode())
        for statement in exported:
            fresh.execute(statement.encode())
        assert acls(fresh) == acls(conn)
        assert introspect(fresh).schema.security == held.security


def test_taking_back_and_giving_back_migrate_both_ways(conn: psycopg.Connection[Any]) -> None:
    me = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
    base = f"""ALTER DEFAULT PRIVILEGES FOR ROLE {me} IN SCHEMA public GRANT ALL ON TABLES TO {READER};
    ALTER DEFAULT PRIVILEGES FOR ROLE {me} IN SCHEMA public GRANT ALL ON FUNCTIONS TO {READER};
    ALTER DEFAULT PRIVILEGES FOR ROLE {me} IN SCHEMA public GRANT SELECT ON SEQUENCES TO {READER};
    CREATE TABLE tune (id int PRIMARY KEY, title text);"""
    old = parse_ddl(base).schema
    taken = f"""ALTER DEFAULT PRIVILEGES FOR ROLE {me} IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM {READER};
    REVOKE DELETE ON tune FROM {READER};"""
    new = parse_ddl(base + taken).schema
    assert Grant(on="table", object="tune", grantee=READER, privilege="DELETE", revoked=True) in new.security.grants

    run(conn, render_schema(old))
    assert introspect(conn).schema.security == old.security
    p = plan(diff(old, new), old, new)
    up = [s for step in p.steps for s in step.statements]
    assert sorted(up) == [
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {me} IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM {READER}",
        f"REVOKE DELETE ON TABLE tune FROM {READER}",
    ]
    run(conn, up)
    assert introspect(conn).schema.security == new.security
    down = [s for step in p.down().steps for s in step.statements]
    assert sorted(down) == [
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {me} IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO {READER}",
        f"GRANT DELETE ON TABLE tune TO {READER}",
    ]
    run(conn, down)
    assert introspect(conn).schema.security == old.security


def test_the_export_gives_the_same_privileges_without_the_platform_prelude(conn: psycopg.Connection[Any]) -> None:
    """The schema carries the platform's default privileges too (the database cannot tell
    them apart): the same export on a database whose platform gave nothing holds the same
    privileges, each derived REVOKE taking away nothing."""
    run(conn, [PRELUDE, APP])
    exported = render_schema(introspect(conn).schema)
    with fresh_database("w5rv") as url, psycopg.connect(url, autocommit=True) as fresh:
        for statement in exported:
            fresh.execute(statement.encode())
        assert acls(fresh) == acls(conn)


def _defaults(*items: tuple[str, str, str, bool]) -> Security:
    return Security.of(
        DefaultPrivilege(role="owner", schema_name="public", on=on, grantee=who, privilege=what, revoked=revoked)  # type: ignore[arg-type]
        for on, who, what, revoked in items
    ).with_taken_back()


def test_a_role_held_back_from_one_kind_is_recorded_as_taken_back() -> None:
    held = _defaults(("tables", "anon", "SELECT", False), ("functions", "service", "EXECUTE", False))
    taken = {(d.on, d.grantee, d.privilege) for d in held.default_privileges if d.revoked}
    # each role named for one kind and not the other, every privilege of that kind
    assert taken == {("functions", "anon", "EXECUTE")} | {("tables", "service", p) for p in PRIVILEGES["tables"]}
    assert held.with_taken_back() == held  # derived once: deriving again adds nothing
    # a kind with no default privileges at all leaves nothing to derive from; PUBLIC is never held back
    assert not [d for d in _defaults(("tables", "anon", "SELECT", False)).default_privileges if d.revoked]
    public = _defaults(("tables", "PUBLIC", "SELECT", False), ("functions", "service", "EXECUTE", False))
    assert not [d for d in public.default_privileges if d.revoked and d.grantee == "PUBLIC"]


def test_a_revocation_no_longer_said_gives_nothing_back() -> None:
    taken = DefaultPrivilege(schema_name="public", on="functions", grantee="anon", privilege="EXECUTE", revoked=True)
    assert remove(taken) == []
    assert create(taken) == ["ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE EXECUTE ON FUNCTIONS FROM anon"]
    given = taken.model_copy(update={"revoked": False})
    assert change(taken, given) == ["ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO anon"]
