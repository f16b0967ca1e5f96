"""Policies as PostgreSQL prints them, for push and check (`normalise.py` does the same for
checks, indexes, defaults and views).

A hand-written `USING (auth.uid() = id)` comes back from the database as `(auth.uid() = id)`;
without this a push after a push would alter the policy again each time. A policy the
operations would change in place is created once more under a probe name on its own table,
in a transaction rolled back, and its USING and WITH CHECK read back as the introspector
reads them (search_path set to the schema alone)."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.core.model import Schema
from mizzle.core.operations import Operation, SetSecurity
from mizzle.core.quoting import quoted_name
from mizzle.core.security import Policy, Security
from mizzle.core.tracking import MigrationDatabase
from mizzle.dialects.postgresql.render_security import create

PROBE = "__mizzle_probe"


def normalise_policies(db: MigrationDatabase, conn: Any, target: Schema, operations: list[Operation]) -> Schema:
    suspects = [
        op.new
        for op in operations
        if isinstance(op, SetSecurity)
        and isinstance(op.old, Policy)
        and isinstance(op.new, Policy)
        and (op.old.command, op.old.permissive) == (op.new.command, op.new.permissive)
    ]
    if not suspects:
        return target
    printed: dict[tuple[Any, ...], Policy] = {}
    try:
        db.begin()
        for policy in suspects:
            for statement in create(Policy(**{**dict(policy), "name": PROBE})):
                db.execute(statement)
        db.execute("SET LOCAL search_path TO public")
        for policy in suspects:
            row = conn.execute(
                "SELECT pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid) FROM pg_policy "
                "WHERE polname = %s AND polrelid = %s::regclass",
                (PROBE, quoted_name(policy.table)),
            ).fetchone()
            if row is not None:
                printed[policy.key] = Policy(**{**dict(policy), "using": row[0], "check": row[1]})
    except MizzleError:
        return target
    finally:
        with suppress(MizzleError):
            db.rollback()
    if not printed:
        return target
    items = [printed.get(i.key, i) for i in target.security.items()]
    return target.model_copy(update={"security": Security.of(items)})
