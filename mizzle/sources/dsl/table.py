"""Tables, enums and views: the top-level objects of a schema module.

    Instrument = Enum("instrument", ["fiddle", "flute", "whistle"])

    class UserProfile(Table):              # table "user_profile": the class name in snake_case
        id = serial().primary_key()
        displayName = text()               # column "display_name": the attribute in snake_case

    class Tune(Table):
        __tablename__ = "tune"             # an explicit table name wins
        id = uuid().primary_key().default(random_uuid())
        instrument = Instrument.column().default("fiddle")

    TuneTitles = View("tune_titles", sql("select id, title from tune"))

A Table subclass is a plain class: its column attributes stay `Column` objects (bound to the
class, so `Tune.id` can be the target of a reference), columns keep their declaration order,
and the table-level declarations go in `__primary_key__`, `__uniques__`, `__foreign_keys__`,
`__checks__` and `__indexes__` (see `constraints.py`). Columns may come from mixin classes or
from a Table subclass marked `__abstract__ = True`, which is not a table itself.

Table options are dunder attributes, checked for spelling (`__index__` is an error naming
`__indexes__`); later options (such as a per-table sync flag) join them the same way.
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from mizzle.core.errors import SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.sources.dsl.columns import Column, enum_column, sql
from mizzle.sources.dsl.constraints import CheckDecl, ForeignKeyDecl, IndexDecl, PrimaryKeyDecl, UniqueDecl

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


@functools.lru_cache(maxsize=65536)
def snake_case(name: str) -> str:
    """`UserProfile` → `user_profile`, `displayName` → `display_name`, `HTTPLog` → `http_log`.
    (Memoized: building a schema asks for every column's name several times.)"""
    return _WORD_BOUNDARY.sub("_", name).lower()


class Table:
    """Base class of a table declaration (see the module docstring). It has no public
    attributes of its own, so that any column name can be an attribute."""

    #: the table's name; default: the class name in snake_case
    __tablename__: ClassVar[str]
    #: a base holding shared columns, not a table itself (not inherited)
    __abstract__: ClassVar[bool] = False
    __primary_key__: ClassVar[PrimaryKeyDecl | None] = None
    __uniques__: ClassVar[Sequence[UniqueDecl]] = ()
    __foreign_keys__: ClassVar[Sequence[ForeignKeyDecl]] = ()
    __checks__: ClassVar[Sequence[CheckDecl]] = ()
    __indexes__: ClassVar[Sequence[IndexDecl]] = ()
    #: attribute → column, in declaration order (inherited columns first); set per class
    __columns__: ClassVar[dict[str, Column[Any]]] = {}
    #: id() of every column object written in the class bodies → its attribute, so that
    #: declarations can name a column by the object (`index(title)`)
    __column_ids__: ClassVar[dict[int, str]] = {}
    #: (file, line) of the class statement, for error messages
    __source__: ClassVar[tuple[str, int]] = ("", 0)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.__source__ = _caller(2)
        columns: dict[str, Column[Any]] = {}
        ids: dict[int, str] = {}
        # Most-derived definitions win, as for any attribute; a column keeps the position where
        # a base first declared it.
        for klass in reversed(cls.__mro__):
            # a Table base already replaced its own column objects by bound ones: take its map
            ids.update(vars(klass).get("__column_ids__", {}))
            for attribute, value in vars(klass).items():
                if isinstance(value, Column):
                    columns[attribute] = value
                    ids[id(value)] = attribute
        bound = {attribute: column.bind(cls, attribute) for attribute, column in columns.items()}
        for attribute, column in bound.items():
            setattr(cls, attribute, column)
        cls.__columns__ = bound
        cls.__column_ids__ = ids


def table_name(cls: type[Table]) -> str:
    """`__tablename__`, else the class name in snake_case."""
    explicit = cls.__dict__.get("__tablename__")
    return explicit if isinstance(explicit, str) else snake_case(cls.__name__)


def is_abstract(cls: type[Table]) -> bool:
    """Whether the class only holds columns for others (its own `__abstract__`, not inherited)."""
    return bool(cls.__dict__.get("__abstract__", False))


def _caller(depth: int) -> tuple[str, int]:
    """(file, line) of the code `depth` frames up: where a declaration was written."""
    frame = sys._getframe(depth)
    return frame.f_code.co_filename, frame.f_lineno


class Enum:
    """A PostgreSQL enum type (on SQLite: text with a CHECK of the values)."""

    __slots__ = ("name", "source", "values")

    def __init__(self, name: str, values: Iterable[str]) -> None:
        if isinstance(values, str):
            raise SchemaError(f"enum {name!r}: give the values as a list of strings, not one string")
        self.name = name
        self.values = tuple(values)
        for value in self.values:
            if not isinstance(value, str):
                raise SchemaError(f"enum {name!r}: value {value!r} is not a string")
        self.source = _caller(2)

    def column(self) -> Column[str]:
        """A column of this enum: `mood = Mood.column().not_null()`."""
        return enum_column(self)

    def __repr__(self) -> str:
        return f"Enum({self.name!r}, {list(self.values)!r})"


class View:
    """A view: `View("tune_titles", sql("select id, title from tune"))`."""

    __slots__ = ("name", "query", "source")

    def __init__(self, name: str, query: str | SqlExpr) -> None:
        self.name = name
        self.query = query if isinstance(query, SqlExpr) else sql(query)
        self.source = _caller(2)

    def __repr__(self) -> str:
        return f"View({self.name!r}, sql({self.query.pg_text!r}))"
