"""One package per database, each of one shape (see `Dialect`); pick one with
`get_dialect(name)`. The built-in ones are in `REGISTRY`; `register` adds another (a plugin,
a test) without editing anything here.

Dialect packages are imported lazily, so using SQLite never imports psycopg, and each package
imports a function's module only when it is first used (`lazy_package`), so `mizzle migrate`
runs without loading the renderers, sqlglot or the model."""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, cast

from mizzle.core.errors import MizzleError

if TYPE_CHECKING:
    from pathlib import Path

    from mizzle.core.introspection import Introspected
    from mizzle.core.model import Schema
    from mizzle.core.operations import Operation
    from mizzle.core.plan import Plan
    from mizzle.core.sync.database import SyncDatabase
    from mizzle.core.tracking import MigrationDatabase
    from mizzle.core.urls import DatabaseURL

#: the dialects mizzle ships, in the order a project lists them by default
BUILT_IN = ("postgresql", "sqlite")

#: what a dialect's name may be (it names files: `<name>.sql`, `down.<name>.sql`)
_NAME = re.compile(r"[a-z][a-z0-9_]*")

#: dialect name → the package implementing `Dialect` (see `register`)
REGISTRY: dict[str, str] = {name: f"mizzle.dialects.{name}" for name in BUILT_IN}


class Dialect(Protocol):
    """What a dialect package provides. Its `__init__.py` declares the three constants and
    calls `lazy_package(__name__)`; each function lives in the module `CONTRACT` names."""

    #: its name in configs, `--dialect` and migration files (`<NAME>.sql`)
    NAME: str
    #: sqlglot's name for the dialect
    SQLGLOT: str
    #: the URL schemes that name this database (`postgresql://`, `postgres://`...)
    URL_SCHEMES: tuple[str, ...]

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

    def parse_url(self, scheme: str, rest: str, base_dir: Path | None) -> DatabaseURL:
        """The URL `scheme://rest` (`scheme` one of `URL_SCHEMES`, lower case); relative file
        paths from `base_dir`. DatabaseURLError, never repeating the text, when it is wrong."""
        ...

    def connect(self, url: DatabaseURL, *, create: bool = False, missing_as_empty: bool = False) -> Any:
        """A DB-API connection; ConnectionFailed with a one-line, password-free message.
        `create`: a database that does not exist yet is created, where the database can do
        that (a SQLite file). `missing_as_empty`: one that does not exist is read as empty and
        not created (a dry run). A server database ignores both: it exists or is an error."""
        ...

    def owns_connection(self, conn: Any) -> bool:
        """Whether `conn` is a connection of this dialect's driver, without importing a driver
        the program has not imported itself."""
        ...

    def migration_database(self, conn: Any) -> MigrationDatabase:
        """The migration runner's adapter over `conn`."""
        ...

    def sync_database(self, conn: Any) -> SyncDatabase:
        """The sync rules' adapter over `conn` (`mizzle.sync`)."""
        ...

    def introspect(self, conn: Any, schemas: Sequence[str] = ()) -> Introspected:
        """Read the live database back into the model: its default schema, and the app's
        other `schemas` (objects named `schema.name`; a database without schemas has none)."""
        ...

    def as_declared(self, found: Schema, target: Schema) -> Schema:
        """`found` (introspected) with the names the database changed on the way in given
        back as `target` declares them (PostgreSQL cuts names to 63 bytes), so comparing a
        schema with the database it made finds nothing to do. Identity where names are kept."""
        ...

    def apply(self, conn: Any, statements: list[str]) -> None:
        """Run `statements` in one transaction: all of them or none."""
        ...

    def normalise(self, db: MigrationDatabase, conn: Any, target: Schema, operations: list[Operation]) -> Schema:
        """`target` with what `operations` would change only because the database prints an
        expression otherwise than the schema wrote it, spelled as the database prints it
        (push and check compare by it). A database that keeps the text it is given returns
        `target` as it is."""
        ...

    def quote_ident(self, name: str) -> str:
        """A name as this dialect's generated SQL writes it: quoted when it must be, always
        safe for any name."""
        ...

    def trigger_names(self, table: str) -> tuple[str, ...]:
        """The names of the sync triggers (insert, update, delete) of sync table `table`."""
        ...


#: each function of the contract → the module of a dialect package that holds it. One table
#: for every dialect: the packages have one shape.
CONTRACT: dict[str, str] = {
    "apply": "connect",
    "as_declared": "introspect",
    "capability_problems": "capabilities",
    "connect": "connect",
    "introspect": "introspect",
    "migration_database": "migration_db",
    "normalise": "normalise",
    "owns_connection": "connect",
    "parse_url": "url",
    "plan": "plan",
    "project": "capabilities",
    "quote_ident": "render",
    "render_schema": "render",
    "sync_database": "sync_db",
    "trigger_names": "sync_sql",
}


def register(name: str, package: str) -> None:
    """Make the dialect `name`, implemented by the importable package `package`, known to
    `get_dialect`, URL parsing, config validation and `--dialect`: the one line that adds a
    database. `name` is a lower-case word (letters, digits, `_`): it names the dialect's
    migration files (`<name>.sql`)."""
    if not _NAME.fullmatch(name):
        raise MizzleError(f"a dialect's name is a lower-case word (letters, digits, _), not {name!r}")
    REGISTRY[name] = package


def dialect_names() -> tuple[str, ...]:
    """Every known dialect, built-in ones first."""
    return tuple(REGISTRY)


def get_dialect(name: str) -> Dialect:
    package = REGISTRY.get(name)
    if package is None:
        raise MizzleError(f"unknown dialect {name!r} (known: {', '.join(REGISTRY)})")
    return cast(Dialect, importlib.import_module(package))


class _LazyPackage(ModuleType):
    """A dialect package whose contract functions (`CONTRACT`: name → the module holding it)
    are imported from their modules on first use."""

    def __getattr__(self, name: str) -> Any:
        module = CONTRACT.get(name)
        if module is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{self.__name__}.{module}"), name)
        ModuleType.__setattr__(self, name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing the module `plan` binds it as the package's `plan`, over the function of
        # that name: keep the function, as an eager `from .plan import plan` would.
        if isinstance(value, ModuleType) and name in CONTRACT:
            return
        ModuleType.__setattr__(self, name, value)


def lazy_package(name: str) -> None:
    """Make the dialect package `name` (called from its `__init__`) import the functions of
    `CONTRACT` from their modules on first use."""
    sys.modules[name].__class__ = _LazyPackage
