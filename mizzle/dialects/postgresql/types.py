"""PostgreSQL spellings of the neutral types and defaults, both ways.

Used by the renderer (model → DDL), the introspector (catalog → model) and the DDL schema
loader (`.sql` file → model), so the three agree on every spelling. The table is
documented in docs/types.md.
"""

from __future__ import annotations

import re

from mizzle.core.errors import SchemaError
from mizzle.core.model import Scalar
from mizzle.core.types import NUMBER_KINDS, ColumnType, TypeKind
from mizzle.dialects.ddl_trees import quote_ident

#: neutral kind → PostgreSQL type name (parameters and `[]` are added by `type_sql`).
TYPE_NAMES: dict[TypeKind, str] = {
    TypeKind.SMALLINT: "smallint",
    TypeKind.INTEGER: "integer",
    TypeKind.BIGINT: "bigint",
    TypeKind.SERIAL: "serial",
    TypeKind.BIGSERIAL: "bigserial",
    TypeKind.BOOLEAN: "boolean",
    TypeKind.TEXT: "text",
    TypeKind.VARCHAR: "varchar",
    TypeKind.CHAR: "char",
    TypeKind.NUMERIC: "numeric",
    TypeKind.REAL: "real",
    TypeKind.DOUBLE: "double precision",
    TypeKind.DATE: "date",
    TypeKind.TIME: "time",
    TypeKind.TIMESTAMP: "timestamp",
    TypeKind.TIMESTAMPTZ: "timestamptz",
    TypeKind.UUID: "uuid",
    TypeKind.JSON: "json",
    TypeKind.JSONB: "jsonb",
    TypeKind.BYTES: "bytea",
}

#: PostgreSQL type names and aliases (as written in DDL, printed by sqlglot, or by
#: format_type()) → neutral kind. Keys are lower case with single spaces.
KIND_BY_NAME: dict[str, TypeKind] = {
    "smallint": TypeKind.SMALLINT,
    "int2": TypeKind.SMALLINT,
    "integer": TypeKind.INTEGER,
    "int": TypeKind.INTEGER,
    "int4": TypeKind.INTEGER,
    "bigint": TypeKind.BIGINT,
    "int8": TypeKind.BIGINT,
    "serial": TypeKind.SERIAL,
    "serial4": TypeKind.SERIAL,
    "bigserial": TypeKind.BIGSERIAL,
    "serial8": TypeKind.BIGSERIAL,
    "boolean": TypeKind.BOOLEAN,
    "bool": TypeKind.BOOLEAN,
    "text": TypeKind.TEXT,
    "varchar": TypeKind.VARCHAR,
    "character varying": TypeKind.VARCHAR,
    "char": TypeKind.CHAR,
    "character": TypeKind.CHAR,
    "bpchar": TypeKind.CHAR,
    "numeric": TypeKind.NUMERIC,
    "decimal": TypeKind.NUMERIC,
    "real": TypeKind.REAL,
    "float4": TypeKind.REAL,
    "double precision": TypeKind.DOUBLE,
    "float8": TypeKind.DOUBLE,
    "double": TypeKind.DOUBLE,
    "date": TypeKind.DATE,
    "time": TypeKind.TIME,
    "time without time zone": TypeKind.TIME,
    "timestamp": TypeKind.TIMESTAMP,
    "timestamp without time zone": TypeKind.TIMESTAMP,
    "timestamptz": TypeKind.TIMESTAMPTZ,
    "timestamp with time zone": TypeKind.TIMESTAMPTZ,
    "uuid": TypeKind.UUID,
    "json": TypeKind.JSON,
    "jsonb": TypeKind.JSONB,
    "bytea": TypeKind.BYTES,
}


def type_sql(ctype: ColumnType) -> str:
    """PostgreSQL spelling of a neutral type, e.g. `varchar(20)`, `numeric(10,2)[]`, `"Mood"`."""
    k = ctype.kind
    if k is TypeKind.ENUM or k is TypeKind.CUSTOM:
        assert ctype.name is not None
        base = _relation(ctype.name) if k is TypeKind.ENUM else ctype.name
    else:
        base = TYPE_NAMES[k]
        if ctype.length is not None:
            base += f"({ctype.length})"
        elif ctype.precision is not None and ctype.scale is not None:
            base += f"({ctype.precision},{ctype.scale})"
        elif ctype.precision is not None:
            base += f"({ctype.precision})"
    return base + "[]" * ctype.array_dims


_TYPE_RE = re.compile(
    r"^(?P<base>(?:(?:[a-z_][a-z0-9_]*|\"[^\"]+\")\.)?(?:[a-z_][a-z0-9_ ]*?|\"[^\"]+\"))"  # [schema.]name
    r"\s*(?:\((?P<params>[^)]*)\))?(?P<rest>(?:\s+[a-z]+)*)(?P<array>(\s*\[\d*\])*)$"
)


def column_type_from_pg(text: str, enums: frozenset[str] | set[str] = frozenset()) -> ColumnType:
    """Parse a PostgreSQL type spelling (`character varying(20)`, `timestamp(3) with time zone`,
    `numeric(10, 2)[]`, `public.mpaa_rating`...) into a neutral type. Names in `enums` become
    ENUM types; anything else unknown becomes a CUSTOM type carried verbatim."""
    raw = " ".join(text.strip().split())
    m = _TYPE_RE.match(raw if '"' in raw else raw.lower())
    if not m:
        raise SchemaError(f"cannot read type {text!r}")
    base = m.group("base").strip()
    rest = m.group("rest").strip()
    dims = m.group("array").count("[")
    if rest:
        base = f"{base} {rest}"
    name = base[1:-1] if base.startswith('"') else base.removeprefix("public.").removeprefix("pg_catalog.")
    params = [p.strip() for p in (m.group("params") or "").split(",") if p.strip()]
    kind = KIND_BY_NAME.get(name)
    if kind is None:
        original = raw.split("(")[0].split("[")[0].strip()
        original = original.removeprefix("public.").strip('"')
        if original in enums or name in enums:
            return ColumnType(kind=TypeKind.ENUM, name=original if original in enums else name, array_dims=dims)
        # Carried verbatim, as PostgreSQL spells it (`time(3) with time zone`, `bit varying(5)`).
        spelled = re.sub(r"(\s*\[\d*\])+$", "", raw if '"' in raw else raw.lower())
        spelled = re.sub(r"^(public|pg_catalog)\.", "", spelled)
        spelled = re.sub(
            r"\s*\(\s*([^)]*?)\s*\)", lambda p: "(" + ",".join(x.strip() for x in p[1].split(",")) + ")", spelled
        )
        return ColumnType(kind=TypeKind.CUSTOM, name=spelled, array_dims=dims)
    try:
        nums = [int(p) for p in params]
    except ValueError:
        raise SchemaError(f"cannot read type parameters of {text!r}") from None
    if kind in (TypeKind.VARCHAR, TypeKind.CHAR):
        # bare `char` is char(1) in PostgreSQL; bare `bpchar` and `varchar` are unbounded
        length = nums[0] if nums else (1 if name in ("char", "character") else None)
        return ColumnType(kind=kind, length=length, array_dims=dims)
    if kind is TypeKind.NUMERIC:
        if not nums:
            return ColumnType(kind=kind, array_dims=dims)
        return ColumnType(kind=kind, precision=nums[0], scale=nums[1] if len(nums) > 1 else 0, array_dims=dims)
    if kind in (TypeKind.TIME, TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ):
        return ColumnType(kind=kind, precision=nums[0] if nums else None, array_dims=dims)
    if nums:
        raise SchemaError(f"type {text!r} takes no parameters")
    return ColumnType(kind=kind, array_dims=dims)


def literal_sql(value: Scalar | list[Scalar], ctype: ColumnType) -> str:
    """A literal default spelled for PostgreSQL, e.g. `true`, `4.99`, `'G'::mpaa_rating`, `'{a,b}'::text[]`."""
    if isinstance(value, list):
        body = ",".join(_array_item(v) for v in value)
        return f"'{{{_escape(body)}}}'::{type_sql(ctype)}"
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or (ctype.kind in NUMBER_KINDS and not ctype.array_dims):
        return str(value)
    quoted = f"'{_escape(str(value))}'"
    if ctype.kind in (TypeKind.TEXT, TypeKind.VARCHAR, TypeKind.CHAR):
        return quoted
    return f"{quoted}::{type_sql(ctype)}"


def _escape(text: str) -> str:
    return text.replace("'", "''")


def _array_item(v: Scalar) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "t" if v else "f"
    s = str(v)
    if s == "" or any(ch in s for ch in ',{}"\\ ') or s.upper() == "NULL":
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return s


def _relation(name: str) -> str:
    """An enum's model name as SQL text: `app.mood` is type `mood` of the app's schema `app`."""
    schema, dot, bare = name.partition(".")
    return f"{quote_ident(schema)}.{quote_ident(bare)}" if dot else quote_ident(name)
