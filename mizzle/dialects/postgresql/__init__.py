"""The PostgreSQL dialect: the functions of `mizzle.dialects.Dialect` for PostgreSQL (psycopg 3).

psycopg is imported only where a connection is used, so rendering PostgreSQL DDL, reading
`.sql` schema files and the type tables work where psycopg is absent (Pyodide).
"""

from typing import TYPE_CHECKING

from mizzle.dialects import lazy_package

if TYPE_CHECKING:
    from mizzle.dialects.postgresql.capabilities import capability_problems, project
    from mizzle.dialects.postgresql.connect import apply, connect
    from mizzle.dialects.postgresql.introspect import introspect
    from mizzle.dialects.postgresql.plan import plan
    from mizzle.dialects.postgresql.render import render_schema

NAME = "postgresql"
SQLGLOT = "postgres"

__all__ = [
    "NAME",
    "SQLGLOT",
    "apply",
    "capability_problems",
    "connect",
    "introspect",
    "plan",
    "project",
    "render_schema",
]

#: each function → its module, imported on first use (`lazy_package`)
_EXPORTS = {
    "apply": "connect",
    "capability_problems": "capabilities",
    "connect": "connect",
    "introspect": "introspect",
    "plan": "plan",
    "project": "capabilities",
    "render_schema": "render",
}
lazy_package(__name__)
