"""Project configuration: `mizzle.toml`, or `[tool.mizzle]` in `pyproject.toml`.

The file is searched from the working directory upward (or named with `--config`). Paths in
it are relative to the file. String values may use `${VAR}` and `${VAR:-default}`, expanded
from the environment after loading `.env` and then `.env.local` beside the config file:
`.env.local` overrides `.env`, and a variable set in the real environment overrides both.

    schema = "schema.py"                 # or "schema.sql", or "app.models:Base.metadata"
    out = "migrations"
    dialects = ["postgresql", "sqlite"]  # the first is the default for `export`

    sync_tables = ["tune", "playlist*"]  # tables with sync columns and triggers (any schema
                                         # source; names or shell-style patterns)
    tables_filter = ["*", "!legacy_*"]   # the database's tables mizzle manages (pull, push,
                                         # check); `!` excludes, as drizzle-kit's tablesFilter

    [db]
    url = "${DATABASE_URL}"              # or, at the top level: database_url = "..."
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mizzle.core import qualified
from mizzle.core.errors import ConfigError
from mizzle.core.table_filter import TableFilter, TableFilterError
from mizzle.dialects import BUILT_IN, dialect_names
from mizzle.sources.objects import object_path

CONFIG_NAME = "mizzle.toml"
PYPROJECT_NAME = "pyproject.toml"
ENV_FILES = (".env", ".env.local")  # later files override earlier ones
SCHEMA_SUFFIXES = (".py", ".sql")

_TOP_KEYS = frozenset({"schema", "out", "dialects", "database_url", "db", "sync_tables", "schemas", "tables_filter"})
_DB_KEYS = frozenset({"url"})
_VAR_RE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class ConfigNotFound(ConfigError):
    """No config file was found (commands whose flags say everything can do without one)."""


@dataclass(frozen=True)
class Config:
    path: Path  # the file read (mizzle.toml or pyproject.toml)
    schema: Path | None  # absolute; None when the file names no schema
    out: Path  # absolute
    dialects: tuple[str, ...]
    #: The database URL as written (`${VAR}` not yet expanded: see `database_url()`).
    database_url_template: str | None = field(default=None, repr=False)
    #: The environment used for `${VAR}`: .env < .env.local < the process environment.
    env: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False, hash=False)
    #: Table names or shell-style patterns of sync tables (for `.sql` schemas, which have no
    #: `__sync__` flag; DSL tables may be listed too)
    sync_tables: tuple[str, ...] = ()
    #: Which of the database's tables mizzle manages (`core/table_filter.py`)
    tables_filter: TableFilter = field(default_factory=TableFilter)
    #: The app's own PostgreSQL schemas besides `public` that `pull` reads (their objects are
    #: named `schema.name`); push and check read the ones the schema's objects live in.
    schemas: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        return self.path.parent

    @property
    def where(self) -> str:
        return _describe(self.path)

    def require_schema(self) -> Path:
        if self.schema is None:
            raise ConfigError(f'{self.where} names no schema: add schema = "schema.py" (or pass --schema)')
        return self.schema

    def database_url(self) -> str:
        """The configured database URL, expanded; ConfigError when none is configured or a
        variable it uses is unset. Expanded on demand, so commands that need no database do
        not fail over an unset DATABASE_URL."""
        if self.database_url_template is None:
            raise ConfigError(f'{self.where} sets no database URL: add [db] url = "${{DATABASE_URL}}" (or pass --db)')
        return expand(self.database_url_template, self.env, f"db.url in {self.where}")


def expand(text: str, env: Mapping[str, str], place: str) -> str:
    """Replace `${VAR}` and `${VAR:-default}` (the default also when VAR is empty, as in sh)."""

    def sub(m: re.Match[str]) -> str:
        value = env.get(m["name"])
        if value:
            return value
        if m["default"] is not None:
            return m["default"]
        if value is None:
            raise ConfigError(
                f"{place} uses ${{{m['name']}}}, which is not set (set it in the environment, .env or .env.local)"
            )
        return value

    return _VAR_RE.sub(sub, text)


def load_environment(directory: Path) -> dict[str, str]:
    """`.env`, then `.env.local` (overriding it), then the process environment (overriding both)."""
    merged: dict[str, str] = {}
    for name in ENV_FILES:
        env_file = directory / name
        if env_file.is_file():
            from dotenv import dotenv_values  # only where a project has one (logging, parser: 10 ms)

            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    merged.update(os.environ)
    return merged


def find_config(start: Path) -> tuple[Path, dict[str, Any]] | None:
    """The nearest mizzle.toml, or pyproject.toml holding [tool.mizzle], at or above `start`."""
    for directory in (start, *start.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        pyproject = directory / PYPROJECT_NAME
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("mizzle")
            if isinstance(table, dict):
                return pyproject, table
    return None


def load_config(start: Path | None = None, config_path: Path | None = None) -> Config:
    """Read the project configuration; ConfigError says what is wrong or what to create."""
    if config_path is not None:
        path = config_path.resolve()
        if not path.is_file():
            raise ConfigError(f"config file {config_path} does not exist")
        data = _read_toml(path)
        if path.name == PYPROJECT_NAME:
            table = data.get("tool", {}).get("mizzle")
            if not isinstance(table, dict):
                raise ConfigError(f"{path} has no [tool.mizzle] table")
            data = table
    else:
        origin = (start or Path.cwd()).resolve()
        found = find_config(origin)
        if found is None:
            raise ConfigNotFound(
                f"no {CONFIG_NAME} found in {origin} or any parent directory: create one with "
                f'schema = "schema.py" (or add [tool.mizzle] to pyproject.toml, or pass --config PATH)'
            )
        path, data = found
    return _build(path, data)


def _describe(path: Path) -> str:
    """How messages name the config: the file, plus the table inside pyproject.toml."""
    return f"{path} [tool.mizzle]" if path.name == PYPROJECT_NAME else str(path)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: invalid TOML: {err}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigError(f"cannot read {path}: {err}") from None


def _build(path: Path, data: dict[str, Any]) -> Config:
    where = _describe(path)
    for key in data:
        if key not in _TOP_KEYS:
            known = ", ".join(sorted(_TOP_KEYS))
            raise ConfigError(f"unknown key {key!r} in {where} (known: {known})")
    env = load_environment(path.parent)
    root = path.parent

    schema_text = _string(data, "schema", where)
    schema = None
    if schema_text is not None:
        schema = root / expand(schema_text, env, f"schema in {where}")
        if schema.suffix not in SCHEMA_SUFFIXES and object_path(schema) is None:
            raise ConfigError(
                f"schema = {schema_text!r} in {where}: a schema is a .py or .sql file, or a SQLAlchemy MetaData"
                ' named as "module:attribute" (e.g. "app.models:Base.metadata")'
            )

    out_text = _string(data, "out", where)
    out = root / expand(out_text if out_text is not None else "migrations", env, f"out in {where}")

    return Config(
        path=path,
        schema=schema,
        out=out,
        dialects=_dialects(data, where),
        database_url_template=_database_url(data, where),
        env=env,
        sync_tables=_sync_tables(data, where),
        tables_filter=_tables_filter(data, where),
        schemas=_schemas(data, where),
    )


def _tables_filter(data: Mapping[str, Any], where: str) -> TableFilter:
    """drizzle-kit's `tablesFilter`: one pattern or a list; `!pattern` excludes."""
    value = data.get("tables_filter", [])
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f'tables_filter in {where} must be a list of table patterns such as ["app_*", "!app_tmp_*"]')
    try:
        return TableFilter.from_patterns(values)
    except TableFilterError as err:
        raise ConfigError(f"tables_filter in {where}: {err}") from None


def _sync_tables(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = data.get("sync_tables", [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f'sync_tables in {where} must be a list of table names or patterns such as ["tune", "play*"]')
    return tuple(value)


def _schemas(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = data.get("schemas", [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() and "." not in v for v in value):
        raise ConfigError(f'schemas in {where} must be a list of schema names such as ["basejump"]')
    for name in value:
        if qualified.is_platform(name):
            raise ConfigError(
                f"schemas in {where}: {name!r} is not the app's own schema "
                f"({'public is always read' if name == 'public' else 'the platform manages it'})"
            )
    return tuple(dict.fromkeys(value))


def _string(data: Mapping[str, Any], key: str, where: str, prefix: str = "") -> str | None:
    value = data.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"{prefix}{key} in {where} must be a non-empty string")
    return value


def _dialects(data: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = data.get("dialects", list(BUILT_IN))
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise ConfigError(f'dialects in {where} must be a non-empty list such as ["postgresql", "sqlite"]')
    for name in value:
        if name not in dialect_names():
            known = ", ".join(dialect_names())
            raise ConfigError(f"unknown dialect {name!r} in dialects in {where} (known: {known})")
    if len(set(value)) != len(value):
        raise ConfigError(f"dialects in {where} lists a dialect twice")
    return tuple(value)


def _database_url(data: Mapping[str, Any], where: str) -> str | None:
    top = _string(data, "database_url", where)
    db = data.get("db")
    if db is None:
        return top
    if not isinstance(db, dict):
        raise ConfigError(f"db in {where} must be a table ([db] with url = ...)")
    for key in db:
        if key not in _DB_KEYS:
            raise ConfigError(f"unknown key 'db.{key}' in {where} (known: db.url)")
    url = _string(db, "url", where, prefix="db.")
    if url is not None and top is not None:
        raise ConfigError(f"{where} sets both database_url and [db] url: keep one")
    return url if url is not None else top
