"""The SQLite dialect: the functions of `mizzle.dialects.Dialect` for SQLite (the standard
library's sqlite3, which Pyodide ships too)."""

from typing import TYPE_CHECKING

from mizzle.dialects import lazy_package

if TYPE_CHECKING:
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
