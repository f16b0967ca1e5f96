"""Security items (`core/security.py`) → PostgreSQL statements: what creates each, what
removes it, and what changes it in place.

Names go through `quote_ident`; `PUBLIC` is
the keyword; comment texts are string literals with their quotes doubled; a policy's USING
and WITH CHECK are written back as PostgreSQL printed them, inside parentheses.
"""

from __future__ import annotations

from typing import Any

from mizzle.core.quoting import text_literal
from mizzle.core.security import (
    DEFAULT_PUBLIC_OWNER,
    PUBLIC,
    Comment,
    DefaultPrivilege,
    Grant,
    Policy,
    RowSecurity,
    SchemaOwner,
    Security,
)
from mizzle.dialects.ddl_trees import quote_ident, relation_sql

Item = Any  # one of core.security's items


def qualified(name: str) -> str:
    """An object by its model name: bare in the default schema, `basejump.accounts` in one of
    the app's other schemas (`core/qualified.py`), each part quoted as needed."""
    return relation_sql(name, "postgres")


def role(name: str) -> str:
    return PUBLIC if name == PUBLIC else quote_ident(name)


def _function(name: str) -> str:
    """`f()`, `f(integer, text)`: the name quoted, the argument types as PostgreSQL prints them."""
    at = name.index("(") if "(" in name else len(name)
    return qualified(name[:at]) + (name[at:] or "()")


def _object(on: str, name: str, column: str | None) -> str:
    if on == "function":
        return f"FUNCTION {_function(name)}"
    if on == "column":
        return f"TABLE {qualified(name)}"
    if on == "schema":
        return f"SCHEMA {quote_ident(name)}"
    return f"{on.upper()} {qualified(name)}"


def default_privilege_statements(security: Security) -> list[str]:
    """The default privileges, which go before the tables: a table created afterwards
    receives them, as the tables of the database they were read from did."""
    return [s for item in security.default_privileges for s in create(item)]


def security_statements(security: Security) -> list[str]:
    """The rest, after the tables, views and functions they hang on: grants, row level
    security, policies, comments."""
    items = [*security.schema_owners, *security.grants, *security.row_security, *security.policies]
    items += security.comments
    return [s for item in items for s in create(item)]


def create(item: Item) -> list[str]:
    if isinstance(item, RowSecurity):
        out = [f"ALTER TABLE {qualified(item.table)} ENABLE ROW LEVEL SECURITY"]
        return out + ([f"ALTER TABLE {qualified(item.table)} FORCE ROW LEVEL SECURITY"] if item.forced else [])
    if isinstance(item, Policy):
        return [_create_policy(item)]
    if isinstance(item, Grant):
        return [_revoke(item) if item.revoked else _grant(item, item.grantable)]
    if isinstance(item, DefaultPrivilege):
        return [_default(item, grant=not item.revoked)]
    if isinstance(item, SchemaOwner):
        return [_owner(item.schema_name, item.owner)]
    assert isinstance(item, Comment)
    return [_comment(item, text_literal(item.text))]


def remove(item: Item) -> list[str]:
    if isinstance(item, RowSecurity):
        table = qualified(item.table)
        out = [f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY"] if item.forced else []
        return [*out, f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"]
    if isinstance(item, Policy):
        return [f"DROP POLICY {quote_ident(item.name)} ON {qualified(item.table)}"]
    if isinstance(item, Grant):
        return [_grant(item, False) if item.revoked else _revoke(item)]
    if isinstance(item, DefaultPrivilege):
        if item.revoked and item.schema_name is not None:
            # a schema's revocation no longer said (`security.taken_back`) gives nothing back:
            # the schema's own default privileges do not give it, only a platform's might
            return []
        return [_default(item, grant=item.revoked)]
    if isinstance(item, SchemaOwner):
        return [_owner(item.schema_name, DEFAULT_PUBLIC_OWNER)]
    assert isinstance(item, Comment)
    return [_comment(item, "NULL")]


def change(old: Item, new: Item) -> list[str]:
    """Statements turning `old` into `new` (same key), in place where PostgreSQL can."""
    if isinstance(new, RowSecurity):
        verb = "FORCE" if new.forced else "NO FORCE"
        return [f"ALTER TABLE {qualified(new.table)} {verb} ROW LEVEL SECURITY"]
    if isinstance(new, Policy):
        return [_alter_policy(old, new)]
    if isinstance(new, Grant):
        if new.revoked != old.revoked:
            return create(new)
        if new.grantable:
            return [_grant(new, True)]
        return [_revoke(new, grant_option=True)]
    if isinstance(new, DefaultPrivilege):
        if new.revoked != old.revoked:
            return [_default(new, grant=not new.revoked)]
        if new.grantable:
            return [_default(new, grant=True)]
        return [_default(new, grant=False, grant_option=True)]
    return create(new)  # a comment: COMMENT ON replaces the text; a schema's owner: OWNER TO


def _roles(roles: tuple[str, ...]) -> str:
    return ", ".join(role(r) for r in roles)


def _create_policy(p: Policy) -> str:
    parts = [f"CREATE POLICY {quote_ident(p.name)} ON {qualified(p.table)}"]
    if not p.permissive:
        parts.append("AS RESTRICTIVE")
    if p.command != "ALL":
        parts.append(f"FOR {p.command}")
    if p.roles != (PUBLIC,):
        parts.append(f"TO {_roles(p.roles)}")
    if p.using is not None:
        parts.append(f"USING ({p.using})")
    if p.check is not None:
        parts.append(f"WITH CHECK ({p.check})")
    return " ".join(parts)


def _alter_policy(old: Policy, new: Policy) -> str:
    parts = [f"ALTER POLICY {quote_ident(new.name)} ON {qualified(new.table)} TO {_roles(new.roles)}"]
    if new.using is not None:
        parts.append(f"USING ({new.using})")
    if new.check is not None:
        parts.append(f"WITH CHECK ({new.check})")
    return " ".join(parts)


def _privilege(g: Grant) -> str:
    return f"{g.privilege} ({quote_ident(g.column)})" if g.column else g.privilege


def _grant(g: Grant, grantable: bool) -> str:
    option = " WITH GRANT OPTION" if grantable else ""
    return f"GRANT {_privilege(g)} ON {_object(g.on, g.object, g.column)} TO {role(g.grantee)}{option}"


def _revoke(g: Grant, *, grant_option: bool = False) -> str:
    option = "GRANT OPTION FOR " if grant_option else ""
    return f"REVOKE {option}{_privilege(g)} ON {_object(g.on, g.object, g.column)} FROM {role(g.grantee)}"


def _default(d: DefaultPrivilege, *, grant: bool, grant_option: bool = False) -> str:
    head = "ALTER DEFAULT PRIVILEGES" + (f" FOR ROLE {role(d.role)}" if d.role else "")
    if d.schema_name:
        head += f" IN SCHEMA {quote_ident(d.schema_name)}"
    on = d.on.upper()
    if grant:
        option = " WITH GRANT OPTION" if d.grantable else ""
        return f"{head} GRANT {d.privilege} ON {on} TO {role(d.grantee)}{option}"
    option = "GRANT OPTION FOR " if grant_option else ""
    return f"{head} REVOKE {option}{d.privilege} ON {on} FROM {role(d.grantee)}"


def _owner(schema: str, owner: str) -> str:
    return f"ALTER SCHEMA {quote_ident(schema)} OWNER TO {role(owner)}"


def _comment(c: Comment, text: str) -> str:
    if c.on == "column":
        assert c.column is not None
        target = f"COLUMN {qualified(c.object)}.{quote_ident(c.column)}"
    elif c.on == "function":
        target = f"FUNCTION {_function(c.object)}"
    elif c.on == "schema":
        target = f"SCHEMA {quote_ident(c.object)}"
    else:
        target = f"{c.on.upper()} {qualified(c.object)}"
    return f"COMMENT ON {target} IS {text}"
