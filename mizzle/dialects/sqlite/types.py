"""SQLite spellings of the neutral types and defaults, both ways.

SQLite keeps a column's declared type verbatim and derives only an *affinity* from it
(a name containing INT → INTEGER; CHAR, CLOB or TEXT → TEXT; BLOB → BLOB; REAL, FLOA or
DOUB → REAL; anything else → NUMERIC). mizzle picks declared names that (1) give the
storage SQLite should use, text for uuids, dates and timestamps, so values sort and compare
like the server's, and (2) still say which neutral type the column is, so that
introspection gives back the model that was rendered. docs/types.md has the table.

Three things cannot be told apart in SQLite and are documented projections (see
`capabilities.py`): serial vs bigserial (both are the rowid alias `INTEGER PRIMARY KEY`),
index methods other than btree, and explicit NULLS FIRST/LAST in indexes.
"""

from __future__ import annotations

import re

from mizzle.core.errors import SchemaError
from mizzle.core.types import ColumnType, TypeKind

#: neutral kind → SQLite declared type name, for scalars (arrays: see `declared_type`).
DECLARED_NAMES: dict[TypeKind, str] = {
    TypeKind.SMALLINT: "SMALLINT",
    TypeKind.INTEGER: "INTEGER",
    TypeKind.BIGINT: "BIGINT",
    TypeKind.SERIAL: "INTEGER",  # with PRIMARY KEY: the rowid alias, SQLite's auto-increment
    TypeKind.BIGSERIAL: "INTEGER",
    TypeKind.BOOLEAN: "BOOLEAN",  # NUMERIC affinity: 0/1 stored as integers
    TypeKind.TEXT: "TEXT",
    TypeKind.VARCHAR: "VARCHAR",
    TypeKind.CHAR: "CHAR",
    TypeKind.NUMERIC: "NUMERIC",
    TypeKind.REAL: "REAL",
    TypeKind.DOUBLE: "DOUBLE",
    TypeKind.DATE: "DATE_TEXT",
    TypeKind.TIME: "TIME_TEXT",
    TypeKind.TIMESTAMP: "TIMESTAMP_TEXT",
    TypeKind.TIMESTAMPTZ: "TIMESTAMPTZ_TEXT",
    TypeKind.UUID: "UUID_TEXT",
    TypeKind.JSON: "JSON_TEXT",
    TypeKind.JSONB: "JSONB_TEXT",
    TypeKind.BYTES: "BLOB",
    TypeKind.ENUM: "TEXT",  # plus CONSTRAINT "enum:<name>" CHECK (col IN (...))
}

#: (old kind, new kind) → how a stored value is rewritten when a column changes between them
#: (`{}`: the old value), where PostgreSQL's cast changes the value and a copy would keep the
#: old type's text. Like PostgreSQL's cast with the session time zone UTC: a timestamp is read
#: as UTC and written in timestamptz's form, `YYYY-MM-DDTHH:MM:SS.SSSZ`, and back (an offset
#: is applied, the `Z` dropped). Either side accepts `T` or a space and any fraction, which is
#: kept to the millisecond of the documented form. Text that is no timestamp gives NULL: a
#: guard refuses the change first.
STORED_CONVERSIONS: dict[tuple[TypeKind, TypeKind], str] = {
    (TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ): "strftime('%Y-%m-%dT%H:%M:%fZ', {})",
    (TypeKind.TIMESTAMPTZ, TypeKind.TIMESTAMP): "strftime('%Y-%m-%dT%H:%M:%f', {})",
}

#: The declared name a plain (non-serial) `integer` single-column primary key gets:
#: `INTEGER PRIMARY KEY` would make it the rowid alias, which assigns values by itself.
NON_ALIAS_INTEGER = "INT"

#: Element names inside array spellings (`TEXT_ARRAY`, `VARCHAR_ARRAY(20)`): the neutral
#: kind's own name, since the array is stored as JSON text whatever its element.
_ELEMENT_NAMES: dict[TypeKind, str] = {
    k: k.value.upper() for k in TypeKind if k not in (TypeKind.ENUM, TypeKind.CUSTOM)
}

ENUM_CHECK_PREFIX = "enum:"

_KIND_BY_DECLARED: dict[str, TypeKind] = {
    "SMALLINT": TypeKind.SMALLINT,
    "INTEGER": TypeKind.INTEGER,
    "INT": TypeKind.INTEGER,
    "BIGINT": TypeKind.BIGINT,
    "BOOLEAN": TypeKind.BOOLEAN,
    "BOOL": TypeKind.BOOLEAN,
    "TEXT": TypeKind.TEXT,
    "VARCHAR": TypeKind.VARCHAR,
    "CHAR": TypeKind.CHAR,
    "NUMERIC": TypeKind.NUMERIC,
    "DECIMAL": TypeKind.NUMERIC,
    "REAL": TypeKind.REAL,
    "FLOAT": TypeKind.DOUBLE,
    "DOUBLE": TypeKind.DOUBLE,
    "DOUBLE PRECISION": TypeKind.DOUBLE,
    "DATE_TEXT": TypeKind.DATE,
    "TIME_TEXT": TypeKind.TIME,
    "TIMESTAMP_TEXT": TypeKind.TIMESTAMP,
    "TIMESTAMPTZ_TEXT": TypeKind.TIMESTAMPTZ,
    "UUID_TEXT": TypeKind.UUID,
    "JSON_TEXT": TypeKind.JSON,
    "JSONB_TEXT": TypeKind.JSONB,
    "BLOB": TypeKind.BYTES,
    # common hand-written spellings, read as the nearest neutral type
    "DATE": TypeKind.DATE,
    "DATETIME": TypeKind.TIMESTAMP,
    "TIMESTAMP": TypeKind.TIMESTAMP,
    "TIMESTAMPTZ": TypeKind.TIMESTAMPTZ,
    "UUID": TypeKind.UUID,
    "JSON": TypeKind.JSON,
    "JSONB": TypeKind.JSONB,
    "CHARACTER VARYING": TypeKind.VARCHAR,
    "CHARACTER": TypeKind.CHAR,
    "NVARCHAR": TypeKind.VARCHAR,
    "CLOB": TypeKind.TEXT,
    "BIGSERIAL": TypeKind.BIGINT,
    "": TypeKind.BYTES,  # no declared type: BLOB affinity
}

_ELEMENT_KINDS: dict[str, TypeKind] = {v: k for k, v in _ELEMENT_NAMES.items()}


def _params(ctype: ColumnType) -> str:
    if ctype.length is not None:
        return f"({ctype.length})"
    if ctype.precision is not None and ctype.scale is not None:
        return f"({ctype.precision},{ctype.scale})"
    if ctype.precision is not None:
        return f"({ctype.precision})"
    return ""


def declared_type(ctype: ColumnType, *, sole_primary_key: bool = False) -> str:
    """The declared type SQLite gets for a neutral type.

    `sole_primary_key`: the column is the table's only primary-key column. Serials there
    become the rowid alias `INTEGER`; a plain `integer` becomes `INT` so that it does not.
    """
    k = ctype.kind
    if ctype.array_dims:
        elem = ctype.element
        if k is TypeKind.ENUM:
            head = f"{elem.name}_ENUM"
        elif k is TypeKind.CUSTOM:
            head = _custom_head(elem)
        else:
            head = _ELEMENT_NAMES[k]
        params = _custom_params(elem) if k is TypeKind.CUSTOM else _params(elem)
        return head + "_ARRAY" * ctype.array_dims + params
    if k is TypeKind.CUSTOM:
        return _custom_head(ctype) + "_TEXT" + _custom_params(ctype)
    if k is TypeKind.INTEGER and sole_primary_key:
        return NON_ALIAS_INTEGER
    return DECLARED_NAMES[k] + _params(ctype)


_PARAMS_RE = re.compile(r"\(([^)]*)\)")


def _custom_head(ctype: ColumnType) -> str:
    # `time(3) with time zone` → TIME_WITH_TIME_ZONE; the parameters go to the end (SQLite's
    # type grammar only has them there) and `_custom_name` puts them back where they were.
    assert ctype.name is not None
    return " ".join(_PARAMS_RE.sub(" ", ctype.name).split()).upper().replace(" ", "_")


def _custom_params(ctype: ColumnType) -> str:
    assert ctype.name is not None
    m = _PARAMS_RE.search(ctype.name)
    return f"({m[1]})" if m else ""


_DECLARED_RE = re.compile(r"^(?P<name>[^()]*?)\s*(?:\((?P<params>[^)]*)\))?\s*$")


def column_type_from_declared(declared: str, *, enum_name: str | None = None) -> ColumnType:
    """Read a declared SQLite type back into a neutral type.

    `enum_name`: the column carries an `enum:<name>` CHECK, so its TEXT is that enum.
    Serial detection (the rowid alias) is the introspector's business, not this function's.
    """
    m = _DECLARED_RE.match(declared.strip())
    if not m:
        raise SchemaError(f"cannot read SQLite type {declared!r}")
    name = " ".join(m.group("name").split())
    params = [p.strip() for p in (m.group("params") or "").split(",") if p.strip()]
    dims = 0
    while name.upper().endswith("_ARRAY"):
        dims += 1
        name = name[: -len("_ARRAY")]
    if dims:
        if name.endswith("_ENUM"):
            return ColumnType(kind=TypeKind.ENUM, name=name[: -len("_ENUM")], array_dims=dims)
        kind = _ELEMENT_KINDS.get(name.upper())
        if kind is None:
            return ColumnType(kind=TypeKind.CUSTOM, name=_custom_name(name, params), array_dims=dims)
        return _with_params(kind, params).array_of(dims)
    if enum_name is not None and name.upper() == "TEXT":
        return ColumnType(kind=TypeKind.ENUM, name=enum_name)
    kind = _KIND_BY_DECLARED.get(name.upper())
    if kind is None:
        if name.upper().endswith("_TEXT"):
            return ColumnType(kind=TypeKind.CUSTOM, name=_custom_name(name[: -len("_TEXT")], params))
        return _by_affinity(name)
    return _with_params(kind, params)


def _custom_name(head: str, params: list[str]) -> str:
    words = head.lower().replace("_", " ")
    if not params:
        return words
    args = f"({','.join(params)})"
    if words.startswith(("time with", "time without", "timestamp with", "timestamp without")):
        first, rest = words.split(" ", 1)
        return f"{first}{args} {rest}"  # PostgreSQL's place for a time type's precision
    return words + args


def _with_params(kind: TypeKind, params: list[str]) -> ColumnType:
    try:
        nums = [int(p) for p in params]
    except ValueError:
        nums = []
    if kind in (TypeKind.VARCHAR, TypeKind.CHAR):
        return ColumnType(kind=kind, length=nums[0] if nums else None)
    if kind is TypeKind.NUMERIC and nums:
        return ColumnType(kind=kind, precision=nums[0], scale=nums[1] if len(nums) > 1 else 0)
    if kind in (TypeKind.TIME, TypeKind.TIMESTAMP, TypeKind.TIMESTAMPTZ) and nums:
        return ColumnType(kind=kind, precision=nums[0])
    return ColumnType(kind=kind)


def _by_affinity(name: str) -> ColumnType:
    """A declared type mizzle did not write: the neutral type of its SQLite affinity."""
    up = name.upper()
    if "INT" in up:
        return ColumnType(kind=TypeKind.BIGINT if "BIG" in up else TypeKind.INTEGER)
    if any(s in up for s in ("CHAR", "CLOB", "TEXT")):
        return ColumnType(kind=TypeKind.TEXT)
    if "BLOB" in up:
        return ColumnType(kind=TypeKind.BYTES)
    if any(s in up for s in ("REAL", "FLOA", "DOUB")):
        return ColumnType(kind=TypeKind.DOUBLE)
    return ColumnType(kind=TypeKind.NUMERIC)


# --- defaults -------------------------------------------------------------------------------

#: SQLite expressions for the neutral "now" default, per column kind: ISO-8601 text that
#: sorts like the server's values (timestamptz in UTC with a `Z`).
NOW_SQL: dict[TypeKind, str] = {
    TypeKind.TIMESTAMPTZ: "strftime('%Y-%m-%dT%H:%M:%fZ','now')",
    TypeKind.TIMESTAMP: "strftime('%Y-%m-%dT%H:%M:%f','now')",
}

#: A random version-4 uuid as lower-case text (SQLite has no uuid function before 3.46
#: extensions): 8-4-4-4-12 hex digits, version nibble 4, variant one of 8, 9, a, b.
RANDOM_UUID_SQL = (
    "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || "
    "substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))"
)
