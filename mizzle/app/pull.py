"""`pull`: read a live database and write its schema as Python (mizzle's DSL or SQLAlchemy
models) or PostgreSQL DDL. The file is written whole or not at all."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mizzle.app.folder import plural
from mizzle.core.errors import MizzleError, UnsupportedError
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import get_dialect
from mizzle.sources.objects import object_path

if TYPE_CHECKING:
    from mizzle.app.config import Config
    from mizzle.core.introspection import Introspected
    from mizzle.core.model import Schema

#: how a .py file declares the schema
Style = Literal["dsl", "sqlalchemy"]


class BadTarget(MizzleError):
    """The file to write cannot be one: a directory, a suffix pull does not write, a Python
    object. A usage error (exit code 2): an edge shows it as a bad `--out`."""

    exit_code = 2


def configured_target(config: Config) -> Path:
    """The config's schema as the file to write; BadTarget when it names a Python object."""
    out = config.require_schema()
    if object_path(out) is not None:
        raise BadTarget(f"the config's schema is a Python object ({out.name}): name a file")
    return out


def check_target(out: Path, *, style: Style = "dsl", force: bool = False, make_folder: bool = False) -> None:
    """Whether `pull` may write `out`: BadTarget for a file it cannot be, MizzleError for one
    that exists (without `force`) or whose folder does not exist (unless `make_folder`: the
    config's own schema may name a folder still to make; a typo must not create folders)."""
    if out.suffix not in (".py", ".sql"):
        raise BadTarget(f"{out}: write a .py (schema DSL) or .sql (PostgreSQL DDL) file")
    if style == "sqlalchemy" and out.suffix != ".py":
        raise BadTarget(f"{out}: --style sqlalchemy writes a .py file")
    if out.is_dir():
        raise BadTarget(f"{out} is a directory: name the file to write")
    if out.exists() and not force:
        raise MizzleError(f"{out} already exists: pass --force to overwrite it")
    if not make_folder and not out.parent.is_dir():
        raise MizzleError(f"cannot write {out}: there is no folder {out.parent}")


@dataclass(frozen=True)
class Pulled:
    path: Path
    #: what was written: `3 tables, 1 enum, 2 views`
    counts: str
    #: one line naming what the database holds that the model cannot (not written), or None
    warning: str | None


def pull(
    url: DatabaseURL, out: Path, *, style: Style = "dsl", force: bool = False, make_folder: bool = False
) -> Pulled:
    """Introspect the database at `url` and write its schema to `out` (.py or .sql), after
    `check_target`."""
    check_target(out, style=style, force=force, make_folder=make_folder)
    dialect = get_dialect(url.dialect)
    conn = dialect.connect(url)
    try:
        introspected = dialect.introspect(conn)
    finally:
        conn.close()
    _write(out, render(introspected.schema, out.suffix, style), make_folder=make_folder)
    return Pulled(out, _counts(introspected), introspected.warning())


def render(schema: Schema, suffix: str, style: Style = "dsl") -> str:
    """`schema` as the text of a `suffix` file (.py: DSL or SQLAlchemy; .sql: PostgreSQL DDL)."""
    if suffix == ".py" and style == "sqlalchemy":
        from mizzle.sources.sqlalchemy import schema_to_sqlalchemy

        return schema_to_sqlalchemy(schema)
    if suffix == ".py":
        from mizzle.sources.dsl.codegen import schema_to_python

        return schema_to_python(schema)
    from mizzle.app.export import sql_script

    postgresql = get_dialect("postgresql")
    problems = postgresql.capability_problems(schema)
    if problems:
        raise UnsupportedError(f"the schema does not fit postgresql: {problems[0]}")
    return sql_script(postgresql.render_schema(schema))


def _write(path: Path, text: str, *, make_folder: bool) -> None:
    """Write via a temporary file, so a failure never leaves half a schema behind."""
    tmp = path.with_name(f".{path.name}.mizzle-tmp")
    try:
        if make_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise MizzleError(f"cannot write {path}: {err.strerror or err}") from None


def _counts(introspected: Introspected) -> str:
    schema = introspected.schema
    parts = [plural(len(schema.tables), "table")]
    if schema.enums:
        parts.append(plural(len(schema.enums), "enum"))
    if schema.views:
        parts.append(plural(len(schema.views), "view"))
    return ", ".join(parts)
