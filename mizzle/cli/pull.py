"""`mizzle pull`: read a live database and write its schema as Python (DSL or SQLAlchemy models) or PostgreSQL DDL."""

from __future__ import annotations

import contextlib
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from mizzle.cli import output
from mizzle.cli.session import session_of
from mizzle.core.errors import MizzleError
from mizzle.dialects import get_dialect
from mizzle.sources.objects import object_path

if TYPE_CHECKING:
    from mizzle.core.introspection import Introspected
    from mizzle.core.model import Schema


class Style(StrEnum):
    """The choices of `--style`: how a .py file declares the schema."""

    dsl = "dsl"
    sqlalchemy = "sqlalchemy"


def pull(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Database URL to read [default: the config's database URL].", show_default=False),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="File to write: .py (DSL) or .sql (PostgreSQL DDL) [default: the config's schema].",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Overwrite an existing file.")] = False,
    style: Annotated[
        Style,
        typer.Option("--style", help="How a .py file declares the schema: mizzle's DSL or SQLAlchemy 2.x models."),
    ] = Style.dsl,
) -> None:
    """Introspect a PostgreSQL or SQLite database and write its schema to a file.

    Objects the schema model cannot hold (functions, triggers, ...) are named in a warning.
    """
    session = session_of(ctx)
    if out is None:
        out = session.config().require_schema()
        if object_path(out) is not None:
            raise typer.BadParameter(
                f"the config's schema is a Python object ({out.name}): name a file", param_hint="--out"
            )
    if out.suffix not in (".py", ".sql"):
        raise typer.BadParameter(f"{out}: write a .py (schema DSL) or .sql (PostgreSQL DDL) file", param_hint="--out")
    if style is Style.sqlalchemy and out.suffix != ".py":
        raise typer.BadParameter(f"{out}: --style sqlalchemy writes a .py file", param_hint="--out")
    if out.is_dir():
        raise typer.BadParameter(f"{out} is a directory: name the file to write", param_hint="--out")
    if out.exists() and not force:
        raise MizzleError(f"{out} already exists: pass --force to overwrite it")
    url = session.database(db, Path.cwd()) if db is not None else session.configured_database()

    dialect = get_dialect(url.dialect)
    conn = dialect.connect(url)
    try:
        introspected = dialect.introspect(conn)
    finally:
        conn.close()

    _write(out, _render(introspected.schema, out.suffix, style))
    output.stdout().print(f"wrote {escape(str(out))}: {_counts(introspected)} from {escape(url.redacted)}")
    if warning := introspected.warning():
        output.warning(warning)
    if style is Style.sqlalchemy and (kept := _sqlite_spellings(introspected.schema)):
        # SQLAlchemy models have no per-dialect declared type or DEFAULT text mizzle reads back
        more = f" (and {len(kept) - 1} more)" if len(kept) > 1 else ""
        output.warning(
            f"SQLAlchemy models cannot say how SQLite holds {kept[0]}{more}: a rebuild will write mizzle's "
            "own type and default there; pull with --style dsl to keep them"
        )
    if out.suffix == ".sql" and (problems := get_dialect("postgresql").capability_problems(introspected.schema)):
        # The file records the database as it is (SQLite holds what PostgreSQL refuses):
        # said here, and refused where PostgreSQL is really targeted (generate, export, push).
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        output.warning(f"the schema does not fit postgresql: {problems[0]}{more}")


def _render(schema: Schema, suffix: str, style: Style) -> str:
    if suffix == ".py" and style is Style.sqlalchemy:
        from mizzle.sources.sqlalchemy import schema_to_sqlalchemy

        return schema_to_sqlalchemy(schema)
    if suffix == ".py":
        from mizzle.sources.dsl.codegen import schema_to_python

        return schema_to_python(schema)
    from mizzle.dialects.postgresql.render import render_schema
    from mizzle.sources.sql.sqlite_notes import note_lines

    notes = note_lines(schema)
    script = output.sql_script(render_schema(schema, refuse_problems=False))
    return script + ("\n" + "\n".join(notes) + "\n" if notes else "")


def _sqlite_spellings(schema: Schema) -> list[str]:
    """The columns whose SQLite declared type, DEFAULT text or AUTOINCREMENT is kept as written."""
    return [
        f"{table.name}.{c.name}"
        for table in schema.tables
        for c in table.columns
        if c.sqlite_type is not None or c.sqlite_default is not None or c.sqlite_autoincrement
    ]


def _write(path: Path, text: str) -> None:
    """Write via a temporary file, so a failure never leaves half a schema behind."""
    tmp = path.with_name(f".{path.name}.mizzle-tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise MizzleError(f"cannot write {path}: {err.strerror or err}") from None


def _counts(introspected: Introspected) -> str:
    schema = introspected.schema
    parts = [_plural(len(schema.tables), "table")]
    if schema.enums:
        parts.append(_plural(len(schema.enums), "enum"))
    if schema.views:
        parts.append(_plural(len(schema.views), "view"))
    return ", ".join(parts)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
