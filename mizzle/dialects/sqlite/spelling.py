"""A column as SQLite holds it when another tool made the table: the declared type, the DEFAULT
text and AUTOINCREMENT as written (`Column.sqlite_type`, `sqlite_default`, `sqlite_autoincrement`).

mizzle reads a declared type into the nearest neutral type (`DATETIME` → timestamp) and a
DEFAULT into a neutral default; writing those back would give `TIMESTAMP_TEXT` and
`strftime(...)`, another text and, for `CURRENT_TIMESTAMP`, another format in the app's new
rows. So the text as written is kept beside the neutral value whenever mizzle's own spelling
of that value would differ, and SQLite renders the text; one rule (`held`) serves both
introspection and the projection of a schema, so a pulled schema compares equal to its
database. Case and spacing of a type name are not a difference (`integer` is `INTEGER`);
a default differs when the text SQLite stores for it does (`0` is mizzle's `(0)`, but
`unixepoch()` is not mizzle's `UNIXEPOCH()`, nor `CURRENT_TIMESTAMP` its `strftime(...)`).

Any text kept here is later printed into DDL, so it is proven to be exactly one declared type
or one DEFAULT expression first: created on a scratch database, SQLite must report it back
verbatim (`type_problem`, `default_clause`).
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache

from mizzle.core.errors import SchemaError, UnsupportedError
from mizzle.core.model import Column
from mizzle.core.types import SERIAL_KINDS, ColumnType, TypeKind
from mizzle.dialects.sqlite.types import column_type_from_declared, declared_type

_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def _scratch_column(definition: str) -> tuple[str, str | None] | None:
    """(declared type, DEFAULT text) of the one column `x <definition>` on a scratch table, or
    None when SQLite refuses it or it is not one column."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"CREATE TABLE _mizzle_scratch (x {definition})")
        rows = conn.execute("SELECT name, type, dflt_value FROM pragma_table_info('_mizzle_scratch')").fetchall()
    except (sqlite3.Error, sqlite3.Warning):
        return None
    finally:
        conn.close()
    if len(rows) != 1 or rows[0][0] != "x":
        return None
    return rows[0][1], rows[0][2]


def read_declared(declared: str) -> ColumnType:
    """The neutral type of a declared type, as introspection reads it: parameters the model
    cannot hold (`NUMERIC(2000, 3)`) are dropped, an unknown name goes by its affinity."""
    try:
        return column_type_from_declared(declared)
    except (SchemaError, ValueError):
        pass
    try:
        return column_type_from_declared(declared.split("(")[0].strip())
    except (SchemaError, ValueError):
        return ColumnType(kind=TypeKind.BYTES)


def type_problem(text: str) -> str | None:
    """Why `text` cannot be a declared type mizzle writes verbatim, or None."""
    if "\n" in text or "--" in text or "/*" in text or _scratch_column(text) != (text, None):
        return f"{text!r} is not a SQLite declared type"
    return None


def default_clause(text: str) -> str | None:
    """What follows DEFAULT for the stored DEFAULT text `text` (PRAGMA table_info's
    `dflt_value`, which SQLite keeps without the outer parentheses of `DEFAULT (expr)`): the
    text itself where SQLite takes it bare (`CURRENT_TIMESTAMP`, `'x'`, `-1`), else in
    parentheses; None when it is not exactly one expression SQLite stores back as `text`."""
    if "--" in text or "/*" in text:
        return None
    for clause in (text, f"({text})"):
        held = _scratch_column(f"DEFAULT {clause}")
        if held is not None and held[1] == text and _expression(clause):
            return clause
    return None


@lru_cache(maxsize=4096)
def _expression(clause: str) -> bool:
    """Whether `clause` is also an expression on its own (a rebuild uses the default in
    `COALESCE(old, default)`; SQLite takes a bare word after DEFAULT as text, not as a column)."""
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute(f"SELECT {clause}")
    except (sqlite3.Error, sqlite3.Warning):
        return False
    finally:
        conn.close()
    return True


def default_problem(text: str) -> str | None:
    """Why `text` cannot be a DEFAULT mizzle writes verbatim, or None."""
    return None if default_clause(text) is not None else f"{text!r} is not a SQLite DEFAULT expression"


def _same_type(a: str, b: str) -> bool:
    return _SPACE.sub("", a).upper() == _SPACE.sub("", b).upper()


def kept_type(declared: str, ctype: ColumnType, *, sole_primary_key: bool) -> str | None:
    """The declared type to keep beside `ctype` (read from `declared`): None when mizzle's
    own spelling of `ctype` is the same name, or when the text cannot be written back."""
    if ctype.kind in SERIAL_KINDS:
        return None  # the rowid alias: INTEGER, whatever else would be written
    if _same_type(declared, declared_type(ctype, sole_primary_key=sole_primary_key)):
        return None
    return declared if type_problem(declared) is None else None


def kept_default(text: str | None, column: Column) -> str | None:
    """The DEFAULT text to keep beside `column.default` (read from `text`): None when mizzle
    writes an expression that SQLite reads the same, or when the text cannot be written back."""
    from mizzle.dialects.sqlite.render import default_sql

    if text is None or column.default is None or default_problem(text) is not None:
        return None
    try:
        mine = default_sql(column.model_copy(update={"sqlite_default": None}))
    except UnsupportedError:
        return text  # mizzle cannot write the neutral default for SQLite: the text is the default
    held = _scratch_column(f"DEFAULT {mine}") if mine is not None else None
    if held is not None and held[1] == text:
        return None  # SQLite stores mizzle's spelling as this very text
    return text


def held(column: Column, *, sole_primary_key: bool) -> Column:
    """`column` as SQLite holds it, given its kept texts: the neutral type and default read
    back from them as introspection reads them, each text kept only where it still differs."""
    from mizzle.dialects.sqlite.stored_defaults import default_from_sqlite

    ctype, default = column.type, column.default
    sqlite_type, sqlite_default = column.sqlite_type, column.sqlite_default
    if sqlite_type is not None and type_problem(sqlite_type) is None:
        if ctype.kind not in SERIAL_KINDS and not _same_type(
            sqlite_type, declared_type(ctype, sole_primary_key=sole_primary_key)
        ):
            ctype = read_declared(sqlite_type)  # what SQLite holds is the type the text says
        sqlite_type = kept_type(sqlite_type, ctype, sole_primary_key=sole_primary_key)
    if sqlite_default is not None and default_problem(sqlite_default) is None:
        default = default_from_sqlite(sqlite_default, ctype, f'the default of column "{column.name}"')
        bare = column.model_copy(update={"type": ctype, "default": default, "sqlite_default": None})
        sqlite_default = kept_default(sqlite_default, bare)
    if (ctype, default, sqlite_type, sqlite_default) == (
        column.type,
        column.default,
        column.sqlite_type,
        column.sqlite_default,
    ):
        return column
    return column.model_copy(
        update={"type": ctype, "default": default, "sqlite_type": sqlite_type, "sqlite_default": sqlite_default}
    )


def problems(column: Column, where: str) -> list[str]:
    """What of the column's SQLite texts cannot be written."""
    out = []
    if column.sqlite_type is not None and (p := type_problem(column.sqlite_type)):
        out.append(f"{where}: {p}")
    if column.sqlite_default is not None and (p := default_problem(column.sqlite_default)):
        out.append(f"{where}: {p}")
    return out
