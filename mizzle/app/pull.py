"""`pull`: read a live database and write its schema as Python (mizzle's DSL or SQLAlchemy
models) or PostgreSQL DDL. The file is written whole or not at all."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from mizzle.app.folder import plural
from mizzle.core.errors import MizzleError
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
    #: one line each: what the database holds that the model cannot (not written); what the
    #: file cannot say (SQLite spellings in SQLAlchemy models); what PostgreSQL would refuse
    warnings: tuple[str, ...]


def pull(
    url: DatabaseURL,
    out: Path,
    *,
    style: Style = "dsl",
    force: bool = False,
    make_folder: bool = False,
    schemas: Sequence[str] = (),
) -> Pulled:
    """Introspect the database at `url` and write its schema to `out` (.py or .sql), after
    `check_target`. `schemas`: the app's own schemas read besides the default one."""
    check_target(out, style=style, force=force, make_folder=make_folder)
    dialect = get_dialect(url.dialect)
    conn = dialect.connect(url)
    try:
        introspected = dialect.introspect(conn, schemas)
    finally:
        conn.close()
    schema = introspected.schema
    _write(out, render(schema, out.suffix, style), make_folder=make_folder)
    warnings = [w for w in [introspected.warning()] if w]
    if style == "sqlalchemy" and (kept := _sqlite_spellings(schema)):
        # SQLAlchemy models have no per-dialect declared type or DEFAULT text mizzle reads back
        more = f" (and {len(kept) - 1} more)" if len(kept) > 1 else ""
        warnings.append(
            f"SQLAlchemy models cannot say how SQLite holds {kept[0]}{more}: a rebuild will write mizzle's "
            "own type and default there; pull with --style dsl to keep them"
        )
    if out.suffix == ".sql" and (problems := get_dialect("postgresql").capability_problems(schema)):
        # The file records the database as it is (SQLite holds what PostgreSQL refuses): said
        # here, and refused where PostgreSQL is really targeted (generate, export, push).
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        warnings.append(f"the schema does not fit postgresql: {problems[0]}{more}")
    return Pulled(out, _counts(introspected), tuple(warnings))


def render(schema: Schema, suffix: str, style: Style = "dsl") -> str:
    """`schema` as the text of a `suffix` file (.py: DSL or SQLAlchemy; .sql: PostgreSQL DDL)."""
    if suffix == ".py" and style == "sqlalchemy":
        from mizzle.sources.sqlalchemy import schema_to_sqlalchemy

        return schema_to_sqlalchemy(schema)
    if suffix == ".py":
        from mizzle.sources.dsl.codegen import schema_to_python

        return schema_to_python(schema)
    from mizzle.app.export import sql_script
    from mizzle.dialects.postgresql.render import render_schema
    from mizzle.sources.sql.sqlite_notes import note_lines

    # Written as the database holds it, what PostgreSQL would refuse included (a warning says
    # so); SQLite's own spellings and names over 63 bytes follow as `-- mizzle:sqlite` notes.
    notes = note_lines(schema)
    script = sql_script(render_schema(schema, refuse_problems=False))
    return script + ("\n" + "\n".join(notes) + "\n" if notes else "")


def _sqlite_spellings(schema: Schema) -> list[str]:
    """The columns whose SQLite declared type, DEFAULT text or AUTOINCREMENT is kept as written."""
    return [
        f"{table.name}.{c.name}"
        for table in schema.tables
        for c in table.columns
        if c.sqlite_type is not None or c.sqlite_default is not None or c.sqlite_autoincrement
    ]


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
