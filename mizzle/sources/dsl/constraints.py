"""Table-level declarations: composite keys, checks and indexes, set as class attributes.

    class PlaylistTune(Table):
        playlist_id = uuid().not_null()
        tune_id = uuid().not_null()
        position = integer().not_null()
        __primary_key__ = primary_key("playlist_id", "tune_id")
        __uniques__ = (unique("playlist_id", "position", name="playlist_tune_position_key"),)
        __foreign_keys__ = (foreign_key(["playlist_id"], Playlist, ["id"], on_delete="cascade"),)
        __checks__ = (check("position >= 0"),)
        __indexes__ = (
            index("tune_id"),
            index(desc("position"), sql("lower(note)"), where=sql("position > 0")),
            index("playlist_id", "position", unique=True, method="btree", name="by_position"),
        )

The collections may be tuples or lists; tuples keep linters quiet about mutable class
attributes (ruff's RUF012), so the code generator writes tuples.

Columns are named by attribute name or column name (strings) or by the column objects of
the class body (`index(title)`); key ordering is `asc(key, nulls=...)` / `desc(key, nulls=...)`,
which also take a PostgreSQL operator class and collation (`asc("name", opclass="gin_trgm_ops")`);
expressions are `sql("...")` (a plain string is an expression for `check()` and `where=`).
Unnamed constraints and indexes get the names PostgreSQL would give them (`tune_pkey`,
`tune_owner_id_fkey`, `tune_title_key`, `tune_title_check`, `tune_title_idx`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from mizzle.core.expr import SqlExpr
from mizzle.core.model import FkAction
from mizzle.sources.dsl.columns import Column, sql

if TYPE_CHECKING:
    from mizzle.sources.dsl.table import Table

#: A column named by attribute name, column name, or its column object.
ColumnRef = str | Column[Any]
Nulls = Literal["first", "last"]


@dataclass(frozen=True)
class PrimaryKeyDecl:
    columns: tuple[ColumnRef, ...]
    name: str | None = None


@dataclass(frozen=True)
class UniqueDecl:
    columns: tuple[ColumnRef, ...]
    name: str | None = None
    nulls_not_distinct: bool = False


@dataclass(frozen=True)
class CheckDecl:
    expr: SqlExpr
    name: str | None = None


@dataclass(frozen=True)
class ForeignKeyDecl:
    columns: tuple[ColumnRef, ...]
    #: a Table class, a callable returning one (for a class defined later), or a table name
    target: type[Table] | Callable[[], type[Table]] | str
    ref_columns: tuple[ColumnRef, ...]
    on_delete: FkAction = "no action"
    on_update: FkAction = "no action"
    deferrable: bool = False
    initially_deferred: bool = False
    name: str | None = None


@dataclass(frozen=True)
class IndexKeyDecl:
    key: ColumnRef | SqlExpr
    desc: bool = False
    nulls: Nulls | None = None
    opclass: str | None = None
    collation: str | None = None


@dataclass(frozen=True)
class IndexDecl:
    keys: tuple[IndexKeyDecl, ...]
    unique: bool = False
    where: SqlExpr | None = None
    method: str = "btree"
    name: str | None = None
    nulls_not_distinct: bool = False


def primary_key(*columns: ColumnRef, name: str | None = None) -> PrimaryKeyDecl:
    """The table's primary key, for `__primary_key__` (its columns become NOT NULL)."""
    return PrimaryKeyDecl(columns, name)


def unique(*columns: ColumnRef, name: str | None = None, nulls_not_distinct: bool = False) -> UniqueDecl:
    """A UNIQUE constraint over `columns`, for `__uniques__`. `nulls_not_distinct=True`
    (PostgreSQL 15+) makes rows whose keys are NULL count as equal; SQLite keeps a plain UNIQUE."""
    return UniqueDecl(columns, name, nulls_not_distinct)


def check(expr: str | SqlExpr, name: str | None = None) -> CheckDecl:
    """A CHECK constraint, for `__checks__`: `check("length(title) > 0")`."""
    return CheckDecl(expr if isinstance(expr, SqlExpr) else sql(expr), name)


def foreign_key(
    columns: Sequence[ColumnRef],
    target: type[Table] | Callable[[], type[Table]] | str,
    ref_columns: Sequence[ColumnRef],
    *,
    on_delete: FkAction = "no action",
    on_update: FkAction = "no action",
    deferrable: bool = False,
    initially_deferred: bool = False,
    name: str | None = None,
) -> ForeignKeyDecl:
    """A (composite) foreign key, for `__foreign_keys__`:
    `foreign_key(["a", "b"], Other, ["x", "y"], on_delete="cascade")`."""
    return ForeignKeyDecl(
        tuple(columns), target, tuple(ref_columns), on_delete, on_update, deferrable, initially_deferred, name
    )


def asc(
    key: ColumnRef | SqlExpr, *, nulls: Nulls | None = None, opclass: str | None = None, collation: str | None = None
) -> IndexKeyDecl:
    """An ascending index key (the default), e.g. `asc("due", nulls="first")`.
    `opclass` names the key's operator class on PostgreSQL (`asc("name", opclass="text_pattern_ops")`,
    `opclass="gin_trgm_ops"` in a gin index), `collation` a column key's collation other
    than its column's (`collation="C"`); SQLite has neither and indexes the key plainly."""
    return IndexKeyDecl(key, False, nulls, opclass, collation)


def desc(
    key: ColumnRef | SqlExpr, *, nulls: Nulls | None = None, opclass: str | None = None, collation: str | None = None
) -> IndexKeyDecl:
    """A descending index key, e.g. `desc("created_at")` (`opclass`, `collation` as for `asc`)."""
    return IndexKeyDecl(key, True, nulls, opclass, collation)


def index(
    *keys: ColumnRef | SqlExpr | IndexKeyDecl,
    unique: bool = False,
    where: str | SqlExpr | None = None,
    method: str = "btree",
    name: str | None = None,
    nulls_not_distinct: bool = False,
) -> IndexDecl:
    """An index, for `__indexes__`: keys are columns, `sql(...)` expressions, `asc()`/`desc()`.
    `nulls_not_distinct=True` (a unique index, PostgreSQL 15+) makes NULL keys count as equal."""
    decls = tuple(k if isinstance(k, IndexKeyDecl) else IndexKeyDecl(k) for k in keys)
    predicate = sql(where) if isinstance(where, str) else where
    return IndexDecl(decls, unique, predicate, method, name, nulls_not_distinct)
