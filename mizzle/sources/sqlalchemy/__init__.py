"""SQLAlchemy 2.x declarative models and SQLModel classes as a schema source, and back.

    schema = "app.models:Base.metadata"      # in mizzle.toml; or "models.py:SQLModel.metadata"

`load_metadata(target)` reads the `MetaData` an object path names (`read.py`);
`schema_to_sqlalchemy(schema)` writes a schema as a declarative module (`write.py`, used by
`mizzle pull --style sqlalchemy`). SQLAlchemy is an optional extra: it is imported only
here, when this source is used, and its absence is one line naming the extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from mizzle.core.errors import SchemaError

if TYPE_CHECKING:
    from mizzle.core.introspection import Introspected
    from mizzle.core.model import Schema
    from mizzle.sources.objects import ObjectPath

MISSING = "SQLAlchemy models need SQLAlchemy 2: install mizzle[sqlalchemy]"


def require_sqlalchemy() -> None:
    """SchemaError (one line, naming the extra) unless SQLAlchemy 2 can be imported."""
    try:
        sqlalchemy = importlib.import_module("sqlalchemy")
    except ImportError:
        raise SchemaError(MISSING) from None
    if (
        not str(getattr(sqlalchemy, "__version__", "0")).split(".")[0].isdigit()
        or int(sqlalchemy.__version__.split(".")[0]) < 2
    ):
        raise SchemaError(f"{MISSING} (found SQLAlchemy {sqlalchemy.__version__})")


def load_metadata(target: ObjectPath) -> Introspected:
    """The schema the `MetaData` at `target` declares, validated, plus what it holds that the
    model does not (Python-side defaults, identity read as serial, ...)."""
    require_sqlalchemy()
    from mizzle.sources.sqlalchemy.read import read_target

    return read_target(target)


def schema_to_sqlalchemy(schema: Schema) -> str:
    """`schema` as a SQLAlchemy 2.x declarative module that reads back into the same schema."""
    from mizzle.sources.sqlalchemy.write import schema_to_sqlalchemy as write

    return write(schema)
