"""The PostgreSQL dialect: the functions of `mizzle.dialects.Dialect` for PostgreSQL (psycopg 3).

psycopg is imported only where a connection is used, so rendering PostgreSQL DDL, reading
`.sql` schema files and the type tables work where psycopg is absent (Pyodide).
"""

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
