"""Every way to write a schema, and back: one folder per source.

- `dsl/`: Python classes (`mizzle.dsl`), and the writer `pull` uses to turn a model back
  into such a module;
- `sql/`: PostgreSQL DDL files (`schema.sql`, as `pg_dump --schema-only` writes them);
- `sqlalchemy/`: a SQLAlchemy or SQLModel `MetaData` named by an object path
  (`app.models:Base.metadata`), and the writer of `pull --style sqlalchemy`;
- `load.py`: the config's `schema` setting → the neutral model, whichever source it names;
  `objects.py`: object paths (`module:attr`).

A source reads into `mizzle.core.model` and may use the dialects (the `.sql` reader uses
PostgreSQL's type spellings); nothing below this floor imports it. Each source imports its
library only when it is used.
"""

from __future__ import annotations

from mizzle.sources.objects import ObjectPath, object_path

__all__ = ["ObjectPath", "object_path"]
