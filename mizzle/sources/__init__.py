"""Ways to write a schema other than mizzle's own DSL and DDL files (see docs/schema.md).

Today: `sqlalchemy/`, a SQLAlchemy `MetaData` named by an object path. The DSL (`core/dsl`,
`core/codegen.py`) and the DDL reader (`dialects/postgresql/ddl.py`) move here later.

This package imports nothing heavy: each source imports its library only when it is used.
"""

from __future__ import annotations

from mizzle.sources.objects import ObjectPath, object_path

__all__ = ["ObjectPath", "object_path"]
