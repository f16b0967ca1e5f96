"""The .sql reader's security statements: each changes the items as PostgreSQL would change
the database (a REVOKE takes back a GRANT, IS NULL removes a comment, ALTER POLICY changes a
policy in place, DROP POLICY drops it)."""

from __future__ import annotations

import pytest

from mizzle.core.errors import SchemaError
from mizzle.core.security import Comment, DefaultPrivilege, Grant, Policy, RowSecurity, Security
from mizzle.sources.sql.reader import parse_ddl

BASE = "CREATE TABLE t (a int, b text);\n"


def read(ddl: str) -> Security:
    return parse_ddl(BASE + ddl).schema.security


def test_grant_all_expands_and_revoke_takes_back() -> None:
    held = read("GRANT ALL ON TABLE public.t TO app, PUBLIC; REVOKE DELETE, TRUNCATE ON t FROM app")
    assert {(g.grantee, g.privilege) for g in held.grants if g.grantee == "app"} == {
        ("app", p) for p in ("SELECT", "INSERT", "UPDATE", "REFERENCES", "TRIGGER")
    }
    assert len([g for g in held.grants if g.grantee == "PUBLIC"]) == 7


def test_column_grants_and_the_grant_option_taken_back() -> None:
    held = read("GRANT SELECT (a, b) ON t TO app WITH GRANT OPTION; REVOKE GRANT OPTION FOR SELECT (b) ON t FROM app")
    assert held.grants == (
        Grant(on="column", object="t", column="a", grantee="app", privilege="SELECT", grantable=True),
        Grant(on="column", object="t", column="b", grantee="app", privilege="SELECT"),
    )


def test_policies_are_created_altered_and_dropped() -> None:
    held = read(
        """ALTER TABLE t ENABLE ROW LEVEL SECURITY;
        CREATE POLICY p ON t AS RESTRICTIVE FOR DELETE TO app USING (a > 0);
        CREATE POLICY q ON t USING (true);
        ALTER POLICY p ON t TO app, other WITH CHECK (b IS NOT NULL);
        ALTER POLICY q ON t RENAME TO r;
        DROP POLICY IF EXISTS r ON t"""
    )
    assert held.row_security == (RowSecurity(table="t"),)
    assert held.policies == (
        Policy(
            table="t",
            name="p",
            command="DELETE",
            permissive=False,
            roles=("app", "other"),
            using="a > 0",
            check="b IS NOT NULL",
        ),
    )


def test_row_level_security_disabled_or_forced() -> None:
    assert read("ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE t DISABLE ROW LEVEL SECURITY").row_security == ()
    forced = "ALTER TABLE t ENABLE ROW LEVEL SECURITY; ALTER TABLE ONLY t FORCE ROW LEVEL SECURITY"
    assert read(forced).row_security == (RowSecurity(table="t", forced=True),)


def test_default_privileges_and_the_grants_they_imply() -> None:
    held = read(
        """ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO app;
        ALTER DEFAULT PRIVILEGES FOR ROLE owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
        GRANT SELECT ON t TO app"""
    )
    assert set(held.default_privileges) == {
        DefaultPrivilege(role="owner", on="functions", grantee="PUBLIC", privilege="EXECUTE", revoked=True),
        DefaultPrivilege(schema_name="public", on="tables", grantee="app", privilege="SELECT"),
    }
    assert held.grants == ()  # the table received it from the default privilege


def test_comments_are_set_replaced_and_removed() -> None:
    held = read(
        """COMMENT ON TABLE t IS 'x'; COMMENT ON TABLE t IS 'it''s t';
        COMMENT ON COLUMN t.a IS 'a'; COMMENT ON COLUMN t.a IS NULL; COMMENT ON COLUMN public.t.b IS 'b'"""
    )
    assert held.comments == (
        Comment(on="column", object="t", column="b", text="b"),
        Comment(on="table", object="t", text="it's t"),
    )


def test_items_on_a_dropped_table_go_with_it() -> None:
    assert not read("CREATE TABLE u (a int); GRANT SELECT ON u TO app; COMMENT ON TABLE u IS 'u'; DROP TABLE u")


@pytest.mark.parametrize(
    ("ddl", "message"),
    [
        (
            "CREATE POLICY p ON t USING (true); CREATE POLICY p ON t USING (true)",
            'policy "p" for table "t" already exists',
        ),
        ("ALTER POLICY nope ON t USING (true)", 'ALTER POLICY "nope" ON "t": the file has not created it'),
        ("CREATE POLICY p ON t FOR MERGE USING (true)", "FOR MERGE is not a command"),
    ],
)
def test_a_policy_statement_that_cannot_hold_is_refused_naming_its_line(ddl: str, message: str) -> None:
    with pytest.raises(SchemaError, match=message):
        read(ddl)
