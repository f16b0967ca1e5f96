"""The dialect-neutral column type system.

A type is a kind plus its parameters; arrays are the element type with `array_dims > 0`.
How each kind is spelled in each database lives in the dialects' type tables
(`mizzle/dialects/*/types.py`) and in docs/types.md.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator


class TypeKind(StrEnum):
    SMALLINT = "smallint"
    INTEGER = "integer"
    BIGINT = "bigint"
    SERIAL = "serial"  # auto-increment integer (PostgreSQL serial; SQLite rowid alias)
    BIGSERIAL = "bigserial"
    BOOLEAN = "boolean"
    TEXT = "text"
    VARCHAR = "varchar"
    CHAR = "char"
    NUMERIC = "numeric"
    REAL = "real"
    DOUBLE = "double"
    DATE = "date"
    TIME = "time"
    TIMESTAMP = "timestamp"
    TIMESTAMPTZ = "timestamptz"
    UUID = "uuid"
    JSON = "json"
    JSONB = "jsonb"
    BYTES = "bytes"
    ENUM = "enum"  # `name` is the Enum's name
    #: A PostgreSQL built-in type the neutral system does not cover (tsvector, inet, interval...):
    #: carried verbatim to PostgreSQL by `name`, stored as TEXT on SQLite.
    CUSTOM = "custom"


INTEGER_KINDS = frozenset({TypeKind.SMALLINT, TypeKind.INTEGER, TypeKind.BIGINT})
SERIAL_KINDS = frozenset({TypeKind.SERIAL, TypeKind.BIGSERIAL})
TEXT_KINDS = frozenset({TypeKind.TEXT, TypeKind.VARCHAR, TypeKind.CHAR})
NUMBER_KINDS = INTEGER_KINDS | SERIAL_KINDS | {TypeKind.NUMERIC, TypeKind.REAL, TypeKind.DOUBLE}
JSON_KINDS = frozenset({TypeKind.JSON, TypeKind.JSONB})
_LENGTH_KINDS = frozenset({TypeKind.VARCHAR, TypeKind.CHAR})
_FRACTION_KINDS = frozenset({TypeKind.TIME, TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ})
_NAMED_KINDS = frozenset({TypeKind.ENUM, TypeKind.CUSTOM})


class ColumnType(BaseModel):
    """A neutral column type.

    - `length`: varchar(n) / char(n)
    - `precision`, `scale`: numeric(p, s); `precision` alone is the fractional-seconds
      precision of time/timestamp/timestamptz
    - `name`: the enum's name (ENUM) or the PostgreSQL type name (CUSTOM)
    - `array_dims`: 0 for a scalar, 1 for `T[]`, 2 for `T[][]`
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: TypeKind
    length: int | None = None
    precision: int | None = None
    scale: int | None = None
    name: str | None = None
    array_dims: int = 0

    @model_validator(mode="after")
    def _check_parameters(self) -> ColumnType:
        k = self.kind
        if self.length is not None and k not in _LENGTH_KINDS:
            raise ValueError(f"{k.value} takes no length")
        if self.length is not None and self.length < 1:
            raise ValueError(f"{k.value} length must be positive")
        if self.precision is not None and k is not TypeKind.NUMERIC and k not in _FRACTION_KINDS:
            raise ValueError(f"{k.value} takes no precision")
        if self.scale is not None and (k is not TypeKind.NUMERIC or self.precision is None):
            raise ValueError("only numeric(p, s) takes a scale, and only with a precision")
        if k is TypeKind.NUMERIC and self.precision is not None:
            if not 1 <= self.precision <= 1000:
                raise ValueError("numeric precision must be between 1 and 1000")
            if self.scale is not None and not 0 <= self.scale <= self.precision:
                raise ValueError("numeric scale must be between 0 and the precision")
        if k in _FRACTION_KINDS and self.precision is not None and not 0 <= self.precision <= 6:
            raise ValueError(f"{k.value} precision must be between 0 and 6")
        if (self.name is None) == (k in _NAMED_KINDS):
            raise ValueError(f"{k.value} {'needs' if k in _NAMED_KINDS else 'takes no'} a type name")
        if self.array_dims < 0:
            raise ValueError("array_dims must be >= 0")
        if self.array_dims and k in SERIAL_KINDS:
            raise ValueError("serial columns cannot be arrays")
        return self

    @property
    def element(self) -> ColumnType:
        """The scalar type of an array (the type itself for a scalar)."""
        return self.model_copy(update={"array_dims": 0}) if self.array_dims else self

    def array_of(self, dims: int = 1) -> ColumnType:
        return self.model_copy(update={"array_dims": dims})

    def describe(self) -> str:
        """A short human spelling, e.g. `numeric(10,2)`, `enum mood`, `text[]`."""
        k = self.kind
        if k is TypeKind.ENUM or k is TypeKind.CUSTOM:
            base = f"{k.value} {self.name}"
        elif self.length is not None:
            base = f"{k.value}({self.length})"
        elif self.precision is not None and self.scale is not None:
            base = f"{k.value}({self.precision},{self.scale})"
        elif self.precision is not None:
            base = f"{k.value}({self.precision})"
        else:
            base = k.value
        return base + "[]" * self.array_dims


def t(kind: TypeKind | str, **params: int | str | None) -> ColumnType:
    """Shorthand used by tests and loaders: `t("varchar", length=20)`."""
    return ColumnType(kind=TypeKind(kind), **params)
