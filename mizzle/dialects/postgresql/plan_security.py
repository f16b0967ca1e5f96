"""How PostgreSQL carries out SetSecurity: create, remove or change one security item
(statements in `render_security.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mizzle.core import qualified
from mizzle.core.operations import Operation, SetSecurity
from mizzle.core.plan import Guard
from mizzle.core.quoting import text_literal
from mizzle.core.security import PUBLIC, DefaultPrivilege, Grant, Policy, SchemaOwner
from mizzle.dialects.postgresql import render_security
from mizzle.dialects.postgresql.plan_context import Context, Planned, create_schema_sql


def set_security(op: SetSecurity, ctx: Context) -> Planned:
    if op.old is None:
        assert op.new is not None
        return Planned((*_schema_first(op.new), *render_security.create(op.new)))
    if op.new is None:
        return Planned(tuple(render_security.remove(op.old)))
    return Planned(tuple(render_security.change(op.old, op.new)))


def _schema_first(item: Any) -> list[str]:
    """Default privileges in one of the app's own schemas come before the objects that would
    create it (they must, to reach them): the schema is created first."""
    if isinstance(item, DefaultPrivilege) and item.schema_name and not qualified.is_platform(item.schema_name):
        return create_schema_sql(qualified.join(item.schema_name, ""))
    return []


def role_guard(operations: Sequence[Operation]) -> Guard | None:
    """A guard for the migration's first step: every role its security items name exists.
    A policy or grant naming a missing role fails in PostgreSQL with its own error halfway
    through; this names them all before anything runs."""
    roles: set[str] = set()
    for op in operations:
        if isinstance(op, SetSecurity) and op.new is not None:
            roles |= _roles(op.new)
    roles.discard(PUBLIC)
    if not roles:
        return None
    names = sorted(roles)
    listed = ", ".join(text_literal(n) for n in names)
    query = (
        f"SELECT count(*) FROM unnest(ARRAY[{listed}]::text[]) AS r(name) "
        "WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r.name)"
    )
    shown = ", ".join(names)
    message = f"{{count}} of the roles the schema names do not exist on this database ({shown}): create them first"
    return Guard(query, message)


def _roles(item: Any) -> set[str]:
    if isinstance(item, Policy):
        return set(item.roles)
    if isinstance(item, Grant):
        return {item.grantee}
    if isinstance(item, DefaultPrivilege):
        return {item.grantee} | ({item.role} if item.role else set())
    if isinstance(item, SchemaOwner):
        return {item.owner}
    return set()
