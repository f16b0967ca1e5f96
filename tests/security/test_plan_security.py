"""Diff and plan of row level security, policies, grants, default privileges and comments, run
on real PostgreSQL: each change's up leaves the database as the new schema says (read back by
the introspector), its down as the old one; SQLite plans nothing for them and says so once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from mizzle.core.diff import diff
from mizzle.core.migration_text import render_file
from mizzle.core.model import Schema
from mizzle.core.operations import SetSecurity
from mizzle.core.security import Comment, DefaultPrivilege, Grant, Policy, RowSecurity, Security
from mizzle.dialects.postgresql import connect, introspect
from mizzle.dialects.postgresql.plan import plan
from mizzle.dialects.postgresql.render import render_schema
from mizzle.dialects.sqlite.plan import plan as sqlite_plan
from mizzle.dialects.urls import parse_url
from mizzle.sources.sql.reader import parse_ddl

ROLES = ("mz_sec_reader", "mz sec writer")
BASE = """CREATE TABLE tune (id serial PRIMARY KEY, owner text, title text, plays int);
          CREATE VIEW titles AS SELECT id, title FROM tune;"""


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    c = connect(parse_url(pg_url))
    for role in ROLES:  # roles are the cluster's: made once, by whichever test comes first
        c.execute(
            f'DO $$ BEGIN CREATE ROLE "{role}"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$'
        )
    c.commit()
    yield c
    c.close()


def schema(extra: str = "") -> Schema:
    return parse_ddl(BASE + extra).schema


def run(conn: psycopg.Connection[Any], statements: tuple[str, ...] | list[str]) -> None:
    for statement in statements:
        conn.execute(statement.encode())
    conn.commit()


def security(conn: psycopg.Connection[Any]) -> Security:
    return introspect(conn).schema.security


def migrate_both_ways(conn: psycopg.Connection[Any], old: Schema, new: Schema) -> list[str]:
    """Create `old`, run the plan to `new` (checking the database then holds `new`'s security),
    run its down (checking it holds `old`'s again); the up statements."""
    run(conn, render_schema(old))
    assert security(conn) == old.security
    ops = diff(old, new)
    p = plan(ops, old, new)
    up = [s for step in p.steps for s in step.statements]
    run(conn, up)
    assert security(conn) == new.security
    run(conn, [s for step in p.down().steps for s in step.statements])
    assert security(conn) == old.security
    return up


POLICY = """;ALTER TABLE tune ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON tune FOR SELECT TO mz_sec_reader USING ((owner = CURRENT_USER));"""


def test_a_policy_and_row_level_security_are_created_and_dropped(conn: psycopg.Connection[Any]) -> None:
    up = migrate_both_ways(conn, schema(), schema(POLICY))
    assert up == [
        "ALTER TABLE tune ENABLE ROW LEVEL SECURITY",
        "CREATE POLICY mine ON tune FOR SELECT TO mz_sec_reader USING ((owner = CURRENT_USER))",
    ]


def test_a_policy_whose_roles_or_expressions_change_is_altered_in_place(conn: psycopg.Connection[Any]) -> None:
    changed = POLICY.replace("TO mz_sec_reader USING ((owner = CURRENT_USER))", 'TO "mz sec writer" USING (true)')
    up = migrate_both_ways(conn, schema(POLICY), schema(changed))
    assert up == ['ALTER POLICY mine ON tune TO "mz sec writer" USING (true)']


def test_a_policy_whose_command_changes_is_dropped_and_created(conn: psycopg.Connection[Any]) -> None:
    changed = POLICY.replace("FOR SELECT", "AS RESTRICTIVE FOR UPDATE")
    up = migrate_both_ways(conn, schema(POLICY), schema(changed))
    assert up == [
        "DROP POLICY mine ON tune",
        "CREATE POLICY mine ON tune AS RESTRICTIVE FOR UPDATE TO mz_sec_reader USING ((owner = CURRENT_USER))",
    ]


def test_forcing_row_level_security_and_taking_it_away(conn: psycopg.Connection[Any]) -> None:
    forced = POLICY + ";ALTER TABLE tune FORCE ROW LEVEL SECURITY"
    assert migrate_both_ways(conn, schema(POLICY), schema(forced)) == ["ALTER TABLE tune FORCE ROW LEVEL SECURITY"]


def test_grants_on_tables_columns_views_sequences_and_the_schema(conn: psycopg.Connection[Any]) -> None:
    grants = """;GRANT SELECT, INSERT ON tune TO mz_sec_reader WITH GRANT OPTION;
        GRANT UPDATE (title) ON tune TO "mz sec writer"; GRANT SELECT ON titles TO PUBLIC;
        GRANT USAGE ON SEQUENCE tune_id_seq TO mz_sec_reader; GRANT USAGE ON SCHEMA public TO "mz sec writer";"""
    up = migrate_both_ways(conn, schema(), schema(grants))
    assert sorted(up) == [
        "GRANT INSERT ON TABLE tune TO mz_sec_reader WITH GRANT OPTION",
        "GRANT SELECT ON TABLE titles TO PUBLIC",
        "GRANT SELECT ON TABLE tune TO mz_sec_reader WITH GRANT OPTION",
        'GRANT UPDATE (title) ON TABLE tune TO "mz sec writer"',
        'GRANT USAGE ON SCHEMA public TO "mz sec writer"',
        "GRANT USAGE ON SEQUENCE tune_id_seq TO mz_sec_reader",
    ]
    # the grant option alone taken back
    fewer = grants.replace("INSERT ON tune TO mz_sec_reader WITH GRANT OPTION", "INSERT ON tune TO mz_sec_reader")
    conn.execute("DROP VIEW titles; DROP TABLE tune")
    conn.commit()
    up = migrate_both_ways(conn, schema(grants), schema(fewer))
    assert sorted(up) == [
        "REVOKE GRANT OPTION FOR INSERT ON TABLE tune FROM mz_sec_reader",
        "REVOKE GRANT OPTION FOR SELECT ON TABLE tune FROM mz_sec_reader",
    ]


def test_default_privileges_come_before_the_tables_that_receive_them(conn: psycopg.Connection[Any]) -> None:
    new = parse_ddl("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO mz_sec_reader;" + BASE).schema
    ops = diff(Schema(), new)
    assert isinstance(ops[0], SetSecurity) and isinstance(ops[0].new, DefaultPrivilege)
    run(conn, [s for step in plan(ops, Schema(), new).steps for s in step.statements])
    held = conn.execute("SELECT has_table_privilege('mz_sec_reader', 'tune', 'SELECT')").fetchone()
    assert held == (True,)
    # the grant the table received is the default privilege's, not one of its own
    assert introspect(conn).schema.security.grants == ()
    conn.execute("ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE SELECT ON TABLES FROM mz_sec_reader")
    conn.commit()


def test_comments_are_set_changed_and_removed(conn: psycopg.Connection[Any]) -> None:
    notes = """;COMMENT ON TABLE tune IS 'it''s tunes'; COMMENT ON COLUMN tune.title IS 'a title';
        COMMENT ON VIEW titles IS 'titles'; COMMENT ON INDEX tune_pkey IS 'the key'"""
    migrate_both_ways(conn, schema(), schema(notes))
    conn.execute("DROP VIEW titles; DROP TABLE tune")
    conn.commit()
    up = migrate_both_ways(conn, schema(notes), schema(notes.replace("'a title'", "'the title'")))
    assert up == ["COMMENT ON COLUMN tune.title IS 'the title'"]


def test_a_policy_over_a_retyped_column_is_dropped_first_and_made_again_last(conn: psycopg.Connection[Any]) -> None:
    old = schema(";CREATE POLICY p ON tune USING ((plays > 0))")
    new = parse_ddl(BASE.replace("plays int", "plays bigint") + ";CREATE POLICY p ON tune USING ((plays > 0))").schema
    ops = diff(old, new)
    assert ops[0] == SetSecurity(old=old.security.policies[0])
    assert ops[-1] == SetSecurity(new=new.security.policies[0])
    migrate_both_ways(conn, old, new)


def test_a_dropped_table_takes_its_items_explicitly_so_its_down_restores_them(conn: psycopg.Connection[Any]) -> None:
    old = schema(POLICY + ";COMMENT ON TABLE tune IS 'x'")
    new = parse_ddl("CREATE TABLE other (a int)").schema
    migrate_both_ways(conn, old, new)


def test_a_renamed_table_keeps_its_policies(conn: psycopg.Connection[Any]) -> None:
    from mizzle.core.renames import Renames

    old = schema(POLICY)
    new = parse_ddl(BASE.replace("tune", "song") + POLICY.replace("tune", "song")).schema
    ops = diff(old, new, Renames(tables={"tune": "song"}))
    assert not any(isinstance(op, SetSecurity) for op in ops)


def test_a_missing_role_stops_the_migration_before_anything_runs(conn: psycopg.Connection[Any]) -> None:
    new = schema(";GRANT SELECT ON tune TO mz_sec_nobody, mz_sec_reader")
    p = plan(diff(Schema(), new), Schema(), new)
    guard = p.steps[0].guards[0]
    assert conn.execute(guard.query.encode()).fetchone() == (1,)
    assert "mz_sec_nobody, mz_sec_reader" in guard.message


def test_sqlite_plans_nothing_for_them_and_its_header_says_so_once() -> None:
    new = schema(POLICY + ";GRANT SELECT ON tune TO mz_sec_reader; COMMENT ON TABLE tune IS 'x'")
    p = sqlite_plan(diff(schema(), new), schema(), new)
    assert p.steps == ()
    text = render_file(p, "0002_secure (sqlite)")
    assert text.count("server-only") == 1
    assert (
        "-- server-only: 1 grant, 1 row level security change, 1 policy, 1 comment: PostgreSQL only, not on SQLite"
        in text
    )


def test_items_on_a_table_follow_it_through_evolve_renames() -> None:
    held = Security.of(
        [
            RowSecurity(table="tune"),
            Policy(table="tune", name="p"),
            Grant(on="column", object="tune", column="title", grantee="x", privilege="SELECT"),
            Comment(on="column", object="tune", column="title", text="t"),
        ]
    )
    moved = held.table_renamed("tune", "song").column_renamed("song", "title", "name")
    assert {i.tables for i in moved.items()} == {("song",)}
    assert {getattr(i, "column", None) for i in moved.items()} == {None, "name"}


def test_a_hand_written_policy_pushes_once_then_nothing(tmp_path: Any, pg_url: str) -> None:
    from pathlib import Path

    from mizzle.app.config import load_config
    from mizzle.app.push import push
    from mizzle.dialects.urls import parse_url as url_of

    root = Path(tmp_path)
    (root / "schema.sql").write_text(
        BASE + "ALTER TABLE tune ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY mine ON tune FOR UPDATE USING (owner = current_user AND plays between 1 and 9)"
        " WITH CHECK (title <> '');\n"
    )
    (root / "mizzle.toml").write_text('schema = "schema.sql"\n')
    config = load_config(config_path=root / "mizzle.toml")
    first = push(config, url_of(pg_url))
    assert first.applied
    # the database prints the policy its own way; the second push sees the same policy
    conn = connect(url_of(pg_url))
    (using,) = conn.execute("SELECT qual FROM pg_policies WHERE policyname = 'mine'").fetchone() or ("",)
    conn.close()
    assert using != "owner = current_user AND plays between 1 and 9"
    again = push(config, url_of(pg_url), dry_run=True)
    assert not again.applied and again.plan.operations == ()
