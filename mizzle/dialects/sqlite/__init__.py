"""The SQLite dialect: the functions of `mizzle.dialects.Dialect` for SQLite (the standard
library's sqlite3, which Pyodide ships too)."""

from mizzle.dialects.sqlite.capabilities import capability_problems, project
from mizzle.dialects.sqlite.connect import apply, connect
from mizzle.dialects.sqlite.introspect import introspect
from mizzle.dialects.sqlite.plan import plan
from mizzle.dialects.sqlite.render import render_schema

NAME = "sqlite"
SQLGLOT = "sqlite"

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
