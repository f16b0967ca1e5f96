"""Column builders: what the attributes of a `Table` class are assigned.

    class Tune(Table):
        id = uuid().primary_key().default(random_uuid())
        owner_id = integer().not_null().references(lambda: UserProfile.id, on_delete="cascade")
        title = varchar(200).not_null().unique()
        key = char(2)
        price = numeric(10, 2).default("4.99")
        tags = text().array().default([])
        created_at = timestamptz().not_null().default(now())
        duration = custom("interval").default(sql("'1 hour'::interval"))

One builder per neutral type: `smallint integer bigint serial bigserial boolean text
varchar(n) char(n) numeric(p, s) real double date time(p) timestamp(p) timestamptz(p) uuid
json jsonb bytea`, `custom("pg type")` for PostgreSQL types the neutral system does not
cover, and `SomeEnum.column()` for enums. Then, in any order:

- `.array(dims=1)`: an array of the type (`text[]`; `dims=2` for `text[][]`);
- `.name("x")`: the column's name (default: the attribute name in snake_case, so
  `displayName` is the column `display_name`);
- `.not_null()`; `.primary_key(name=None)` (implies NOT NULL; mark several columns for a
  composite key in declaration order, or use the table-level `primary_key(...)`);
- `.unique(name=None)`; `.check("sql", name=None)`;
- `.default(value)`: a literal (`int`, `bool`, `str`, a `float`/`Decimal` for numbers,
  a list for arrays, a dict or list for json, `bytes` for bytea), `now()`,
  `random_uuid()`, or any expression `sql("...")`;
- `.references(target, on_delete=, on_update=, deferrable=, initially_deferred=, name=)`:
  `target` is a column of another table class (`UserProfile.id`), a lambda returning one
  (needed when the class is defined later, or for a reference to the own table), or a
  string `"table.column"`.

Builders are immutable: every method returns a new `Column`, so a column kept in a variable
can be reused. `Column[T]` is generic in `T`, the Python type of a literal default, so mypy
flags `integer().default("x")`. Expressions are PostgreSQL SQL, parsed when declared.

mypy cannot infer a column's type in time for a lambda that reads it from a class defined
further down (`lambda: Later.id` gives "Cannot determine type"); annotate that column,
`id: Column[int] = serial().primary_key()`, or name the target `"later.id"`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar, Unpack

from pydantic import ValidationError

from mizzle.core.errors import SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import FkAction, Identity, NowDefault, RandomUuidDefault, SerialSequence
from mizzle.core.sequence_options import SequenceKeywords, SequenceOptions, SequenceType
from mizzle.core.types import ColumnType, TypeKind

if TYPE_CHECKING:
    from mizzle.sources.dsl.table import Enum, Table

T = TypeVar("T")
S = TypeVar("S", bound=SequenceOptions)

#: The Python values a numeric, real or double column takes as a literal default (a string
#: keeps the exact decimal text, e.g. "4.99").
Number = Decimal | float | str
#: A json/jsonb literal default: JSON text, or a dict or list written out as JSON.
JsonValue = str | dict[str, Any] | list[Any]


def sql(text: str) -> SqlExpr:
    """A PostgreSQL SQL expression (default, index key or predicate, check, view body)."""
    # Imported here: the dialect's expression reader is the one the DDL loader and the
    # introspector use, so a DSL expression canonicalises exactly like theirs.
    from mizzle.core.canonical import pg_expr

    return pg_expr(text)


def now() -> NowDefault:
    """The current time, as a default of a timestamp or timestamptz column."""
    return NowDefault()


def random_uuid() -> RandomUuidDefault:
    """A random (version 4) uuid, as a default of a uuid column."""
    return RandomUuidDefault()


@dataclass(frozen=True)
class Reference:
    """One `.references(...)` of a column: a single-column foreign key."""

    target: Column[Any] | Callable[[], Column[Any]] | str
    on_delete: FkAction = "no action"
    on_update: FkAction = "no action"
    deferrable: bool = False
    initially_deferred: bool = False
    name: str | None = None


class _Unset:
    def __repr__(self) -> str:
        return "<no default>"


UNSET: Any = _Unset()


@dataclass(frozen=True)
class ColumnSpec:
    """Everything the builder methods of one column recorded."""

    ctype: ColumnType
    #: the DSL enum of an enum column, so that declaring the column is enough to declare it
    enum: Enum | None = None
    column_name: str | None = None
    not_null: bool = False
    primary_key: bool = False
    primary_key_name: str | None = None
    #: one entry per `.unique()`: the constraint's name or None
    uniques: tuple[str | None, ...] = ()
    checks: tuple[tuple[SqlExpr, str | None], ...] = ()
    default: Any = UNSET
    references: tuple[Reference, ...] = ()
    #: SQLite only (`.sqlite(...)`): the declared type and DEFAULT text as the database holds
    #: them, and AUTOINCREMENT on the rowid alias
    sqlite_type: str | None = None
    sqlite_default: str | None = None
    sqlite_autoincrement: bool = False
    sqlite_null_key: bool = False
    #: `.identity(...)`: GENERATED ... AS IDENTITY (PostgreSQL)
    identity: Identity | None = None
    #: `.sequence(...)`: a serial's sequence, where it is not the serial's own (PostgreSQL)
    sequence: SerialSequence | None = None
    #: `.generated(...)`: GENERATED ALWAYS AS (expr) STORED
    generated: SqlExpr | None = None
    #: `.domain(name)`: typed by that domain on PostgreSQL (`mizzle.sources.dsl.objects`)
    domain: str | None = None
    #: the Table class and attribute the column was declared as (set by `Table`)
    owner: type[Table] | None = None
    attribute: str | None = None


class Column(Generic[T]):
    """A column of a `Table` class. Build one with a type builder (`integer()`...)."""

    __slots__ = ("spec",)

    def __init__(self, spec: ColumnSpec) -> None:
        self.spec = spec

    def _with(self, **changes: Any) -> Column[Any]:
        # What dataclasses.replace does, without re-running __init__ field by field: a schema
        # of 1000 tables calls this 25,000 times, and replace() was a quarter of loading it.
        spec = object.__new__(ColumnSpec)
        spec.__dict__.update(vars(self.spec), **changes)
        return Column(spec)

    def array(self, dims: int = 1) -> Column[list[T | None]]:
        """An array of this type: `text().array()` is `text[]`."""
        if dims < 1:
            raise SchemaError(f"array dims must be at least 1, not {dims}")
        if self.spec.ctype.array_dims:
            raise SchemaError(f"{self.spec.ctype.describe()} is already an array: write .array(dims={dims + 1})")
        fields = self.spec.ctype.model_dump()
        return self._with(ctype=_type(**{**fields, "array_dims": dims}))

    def name(self, name: str) -> Column[T]:
        """The column's name in the database (default: the attribute name in snake_case)."""
        return self._with(column_name=name)

    def not_null(self) -> Column[T]:
        return self._with(not_null=True)

    def primary_key(self, name: str | None = None) -> Column[T]:
        """Part of the primary key (implies NOT NULL). Several marked columns make a composite key."""
        return self._with(primary_key=True, primary_key_name=name)

    def unique(self, name: str | None = None) -> Column[T]:
        return self._with(uniques=(*self.spec.uniques, name))

    def check(self, expr: str | SqlExpr, name: str | None = None) -> Column[T]:
        """A CHECK constraint; the expression names the column like any other SQL."""
        return self._with(checks=(*self.spec.checks, (_expr(expr), name)))

    def default(self, value: T | NowDefault | RandomUuidDefault | SqlExpr | None) -> Column[T]:
        """A literal, `now()`, `random_uuid()` or `sql("...")`; None means no default."""
        return self._with(default=value)

    def identity(self, *, always: bool = False, **options: Unpack[SequenceKeywords]) -> Column[T]:
        """`GENERATED BY DEFAULT AS IDENTITY` (`always=True`: GENERATED ALWAYS) on PostgreSQL,
        with the sequence's options (`start`, `increment`, `min_value`, `max_value`, `cache`,
        `cycle`); implies NOT NULL. SQLite has no identity columns: a sole integer primary key
        is its rowid alias there, any other column a plain integer."""
        return self._with(identity=_sequence_options(Identity, "identity", always=always, **options))

    def sequence(self, *, data_type: SequenceType | None = None, **options: Unpack[SequenceKeywords]) -> Column[T]:
        """A serial's sequence where it differs from the one `serial()`/`bigserial()` makes
        (PostgreSQL): its type (`data_type="bigint"` on a serial) and options (`start=10000000`,
        as `identity()` takes them). A change is an ALTER SEQUENCE that keeps the values handed
        out; SQLite's rowid alias has none of it."""
        return self._with(sequence=_sequence_options(SerialSequence, "sequence", data_type=data_type, **options))

    def generated(self, expr: str | SqlExpr) -> Column[T]:
        """`GENERATED ALWAYS AS (expr) STORED` (PostgreSQL and SQLite): the database computes
        the value from the row's other columns (named as in the database) on every write;
        INSERTs and UPDATEs give it none. It takes no default and is not in the primary key."""
        return self._with(generated=_expr(expr))

    def domain(self, name: str) -> Column[T]:
        """Typed by domain `name` (declared with `domain(...)`) on PostgreSQL; the column's own
        type is the domain's base type, which SQLite holds (without the domain's checks)."""
        return self._with(domain=name)

    def sqlite(
        self,
        *,
        type: str | None = None,
        default: str | None = None,
        autoincrement: bool = False,
        null_key: bool = False,
    ) -> Column[T]:
        """How SQLite holds the column, when not as mizzle would write it (`mizzle pull` writes
        this for a database made by another tool): `type` the declared type (`"DATETIME"`),
        `default` the DEFAULT text (`"CURRENT_TIMESTAMP"`), `autoincrement` for an
        `INTEGER PRIMARY KEY AUTOINCREMENT` serial, `null_key` for a primary-key column
        declared without NOT NULL, which SQLite lets hold NULL. PostgreSQL ignores them all."""
        return self._with(
            sqlite_type=type, sqlite_default=default, sqlite_autoincrement=autoincrement, sqlite_null_key=null_key
        )

    def references(
        self,
        target: Column[Any] | Callable[[], Column[Any]] | str,
        *,
        on_delete: FkAction = "no action",
        on_update: FkAction = "no action",
        deferrable: bool = False,
        initially_deferred: bool = False,
        name: str | None = None,
    ) -> Column[T]:
        """A foreign key to `target`: `Other.id`, `lambda: Other.id` or `"other.id"`."""
        ref = Reference(target, on_delete, on_update, deferrable, initially_deferred, name)
        return self._with(references=(*self.spec.references, ref))

    def bind(self, owner: type[Table], attribute: str) -> Column[T]:
        """This column as declared by `owner.attribute` (done by `Table` for every class)."""
        return self._with(owner=owner, attribute=attribute)

    def __repr__(self) -> str:
        where = f" {self.spec.owner.__name__}.{self.spec.attribute}" if self.spec.owner else ""
        return f"<Column{where} {self.spec.ctype.describe()}>"


def _expr(value: str | SqlExpr) -> SqlExpr:
    return value if isinstance(value, SqlExpr) else sql(value)


def _type(**fields: Any) -> ColumnType:
    """A ColumnType, with its validation problem as a one-line SchemaError."""
    try:
        return ColumnType(**fields)
    except ValidationError as err:
        message = err.errors()[0]["msg"].removeprefix("Value error, ")
        raise SchemaError(message) from None


def _column(kind: TypeKind, **params: Any) -> Column[Any]:
    return Column(ColumnSpec(ctype=_type(kind=kind, **params)))


# --- the type builders ---------------------------------------------------------------------


def smallint() -> Column[int]:
    return _column(TypeKind.SMALLINT)


def integer() -> Column[int]:
    return _column(TypeKind.INTEGER)


def bigint() -> Column[int]:
    return _column(TypeKind.BIGINT)


def _sequence_options(kind: type[S], what: str, **fields: Any) -> S:
    """`kind` made of the keywords given, or the first problem in one line."""
    try:
        return kind(**fields)
    except ValueError as err:
        raise SchemaError(f"{what}: {str(err).splitlines()[-2].strip()}") from None


def serial() -> Column[int]:
    """An auto-increment integer (PostgreSQL serial; the rowid alias on SQLite)."""
    return _column(TypeKind.SERIAL)


def bigserial() -> Column[int]:
    return _column(TypeKind.BIGSERIAL)


def boolean() -> Column[bool]:
    return _column(TypeKind.BOOLEAN)


def text() -> Column[str]:
    return _column(TypeKind.TEXT)


def varchar(length: int | None = None) -> Column[str]:
    """`varchar(n)`; `varchar()` has no length limit."""
    return _column(TypeKind.VARCHAR, length=length)


def char(length: int | None = 1) -> Column[str]:
    """`char(n)`; `char()` is `char(1)` as in SQL, `char(None)` is PostgreSQL's unbounded bpchar."""
    return _column(TypeKind.CHAR, length=length)


def numeric(precision: int | None = None, scale: int | None = 0) -> Column[Number]:
    """`numeric(p, s)`; `numeric(p)` is `numeric(p, 0)` as in SQL; `numeric()` is unconstrained."""
    return _column(TypeKind.NUMERIC, precision=precision, scale=scale if precision is not None else None)


def real() -> Column[Number]:
    return _column(TypeKind.REAL)


def double() -> Column[Number]:
    """`double precision`."""
    return _column(TypeKind.DOUBLE)


def date() -> Column[str]:
    return _column(TypeKind.DATE)


def time(precision: int | None = None) -> Column[str]:
    """`time(p)`: time of day without time zone; p is the fractional-seconds precision."""
    return _column(TypeKind.TIME, precision=precision)


def timestamp(precision: int | None = None) -> Column[str]:
    """`timestamp(p)` without time zone."""
    return _column(TypeKind.TIMESTAMP, precision=precision)


def timestamptz(precision: int | None = None) -> Column[str]:
    """`timestamp(p) with time zone`."""
    return _column(TypeKind.TIMESTAMPTZ, precision=precision)


def uuid() -> Column[str]:
    return _column(TypeKind.UUID)


def json() -> Column[JsonValue]:
    return _column(TypeKind.JSON)


def jsonb() -> Column[JsonValue]:
    return _column(TypeKind.JSONB)


def bytea() -> Column[str | bytes]:
    """Binary data (PostgreSQL bytea, SQLite BLOB); a str default is PostgreSQL's text form."""
    return _column(TypeKind.BYTES)


def custom(name: str) -> Column[str]:
    """A PostgreSQL type the neutral system does not cover (`interval`, `tsvector`, `inet`...),
    carried verbatim to PostgreSQL and stored as text on SQLite."""
    return _column(TypeKind.CUSTOM, name=name)


def enum_column(enum: Enum) -> Column[str]:
    """A column of a DSL enum (users write `Mood.column()`)."""
    return Column(ColumnSpec(ctype=_type(kind=TypeKind.ENUM, name=enum.name), enum=enum))
