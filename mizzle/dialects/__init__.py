"""One package per database. Each exposes the same functions (see `Dialect`); pick one with
`get_dialect(name)`. Dialect packages are imported lazily, so using SQLite never imports
psycopg, and each package imports a function's module only when it is first used (see
`lazy_package`), so `mizzle migrate` runs without loading the renderers, sqlglot or the model."""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

from mizzle.core.errors import MizzleError

if TYPE_CHECKING:
    from mizzle.core.introspection import Introspected
    from mizzle.core.model import Schema
    from mizzle.core.operations import Operation
    from mizzle.core.plan import Plan
    from mizzle.core.urls import DatabaseURL

DIALECTS = ("postgresql", "sqlite")


class Dialect(Protocol):
    #: "postgresql" or "sqlite"
    NAME: str
    #: sqlglot's name for the dialect
    SQLGLOT: str

    def render_schema(self, schema: Schema) -> list[str]:
        """Every DDL statement that creates `schema` in an empty database, in a runnable order
        (no trailing semicolons)."""
        ...

    def capability_problems(self, schema: Schema) -> list[str]:
        """What this database cannot hold at all (each names its place); empty when fine."""
        ...

    def project(self, schema: Schema) -> tuple[Schema, list[str]]:
        """The schema as this database holds it (what introspection will give back), and one
        note per thing that changes on the way (e.g. an index method SQLite lacks)."""
        ...

    def plan(self, operations: list[Operation], old: Schema, new: Schema, *, concurrently: bool = False) -> Plan:
        """Statements carrying out `operations`, which turn `old` into `new` (both neutral
        schemas: the planner projects them for its database itself). Each step carries its
        reverse. `concurrently`: PostgreSQL builds new indexes with CREATE INDEX CONCURRENTLY,
        as steps outside the transaction."""
        ...

    def connect(self, url: DatabaseURL) -> Any:
        """A DB-API connection; raises ConnectionFailed with a one-line, password-free message."""
        ...

    def introspect(self, conn: Any) -> Introspected:
        """Read the live database back into the model."""
        ...

    def apply(self, conn: Any, statements: list[str]) -> None:
        """Run `statements` in one transaction: all of them or none."""
        ...


def get_dialect(name: str) -> Dialect:
    if name not in DIALECTS:
        raise MizzleError(f"unknown dialect {name!r} (known: {', '.join(DIALECTS)})")
    return cast(Dialect, importlib.import_module(f"mizzle.dialects.{name}"))


class _LazyPackage(ModuleType):
    """A dialect package whose functions (its `_EXPORTS`: name → the module holding it) are
    imported from their modules on first use."""

    def __getattr__(self, name: str) -> Any:
        module = self.__dict__.get("_EXPORTS", {}).get(name)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{self.__name__}.{module}"), name)
        ModuleType.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the module `plan` binds it as the package's `plan`, over the function of
        # that name: keep the function, as the eager `from .plan import plan` did.
        if isinstance(value, ModuleType) and name in self.__dict__.get("_EXPORTS", {}):
            return
        ModuleType.__setattr__(self, name, value)


def lazy_package(name: str) -> None:
    """Make the package `name` (a dialect's `__init__`, which defines `_EXPORTS`) import its
    functions on first use."""
    sys.modules[name].__class__ = _LazyPackage
