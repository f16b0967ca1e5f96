"""How PostgreSQL carries out SetSecurity: create, remove or change one security item
(statements in `render_security.py`)."""

from __future__ import annotations

from mizzle.core.operations import SetSecurity
from mizzle.dialects.postgresql import render_security
from mizzle.dialects.postgresql.plan_context import Context, Planned


def set_security(op: SetSecurity, ctx: Context) -> Planned:
    if op.old is None:
        assert op.new is not None
        return Planned(tuple(render_security.create(op.new)))
    if op.new is None:
        return Planned(tuple(render_security.remove(op.old)))
    return Planned(tuple(render_security.change(op.old, op.new)))
