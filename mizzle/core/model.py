"""The dialect-neutral schema model: frozen pydantic models, canonical and hashable.

Canonical form, so that equal schemas compare equal however they were written:
- every constraint and index has a name (unnamed ones get PostgreSQL's own names when
  the schema is loaded, see `naming.py`);
- tables, enums and views are ordered by name, and so are a table's foreign keys,
  uniques, checks and indexes; columns keep their declared order;
- index NULLS ordering is only recorded when it differs from the direction's default;
- expressions compare by their canonical text (`expr.SqlExpr`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cached_property
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    field_validator,
    model_serializer,
    model_validator,
)

from mizzle.core.expr import SqlExpr, qualify_single_table_columns
from mizzle.core.partitions import Partition, PartitionKey
from mizzle.core.pg_objects import Aggregate, Domain, MaterializedView, PgSequence
from mizzle.core.routines import Extension, Function, Trigger, function_sort_key
from mizzle.core.security import Security
from mizzle.core.sequence_options import SequenceOptions, SequenceType
from mizzle.core.types import ColumnType
from mizzle.core.virtual_tables import VirtualTable

_DECIMAL_KINDS = frozenset({"numeric", "real", "double"})
_SERIAL_KINDS = frozenset({"serial", "bigserial"})

_FROZEN = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)


class _Frozen(BaseModel):
    model_config = _FROZEN

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy with `update` applied, validated like a new object: pydantic's own copy skips
        validation, which would leave lists unsorted (breaking the canonical form) and carry
        over cached lookups (`Schema.table()`, `Table.column()`) that no longer hold."""
        if not update:
            return self
        fields = {name: getattr(self, name) for name in type(self).model_fields}
        return type(self)(**{**fields, **update})


# --- defaults ---------------------------------------------------------------------------

Scalar = StrictBool | StrictInt | str | None


class _DefaultBase(_Frozen):
    """Base of the default kinds: `kind` is always written out, even when defaults are
    omitted from a snapshot, because it is the union's discriminator."""

    kind: str

    @model_serializer(mode="wrap")
    def _keep_kind(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        data["kind"] = self.kind
        return data


class LiteralDefault(_DefaultBase):
    """A constant. Numbers other than integers are kept as their decimal text ("4.99");
    arrays as a list of scalars; how it is spelled is decided by the column's type."""

    kind: Literal["literal"] = "literal"
    value: StrictBool | StrictInt | str | list[Scalar]
    #: PostgreSQL's spelling, when read with a cast PostgreSQL would not write itself
    #: (`'active'::text` on a varchar column, which a plain `'active'` stores as
    #: `'active'::character varying`): PostgreSQL output prints it back. Not part of the
    #: meaning: never compared, hashed or serialised.
    pg: str | None = Field(default=None, exclude=True, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LiteralDefault) and self.value == other.value

    def __hash__(self) -> int:
        return hash((LiteralDefault, tuple(self.value) if isinstance(self.value, list) else self.value))

    @field_validator("value", mode="before")
    @classmethod
    def _floats_as_text(cls, v: Any) -> Any:
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, (list, tuple)):
            return [repr(x) if isinstance(x, float) else x for x in v]
        return v


class NowDefault(_DefaultBase):
    """The current time (PostgreSQL `now()`; SQLite an ISO-8601 `strftime`)."""

    kind: Literal["now"] = "now"
    #: PostgreSQL's spelling, when read so (`CURRENT_TIMESTAMP`): PostgreSQL output prints it
    #: back. Not part of the meaning: never compared, hashed or serialised.
    pg: str | None = Field(default=None, exclude=True, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NowDefault)

    def __hash__(self) -> int:
        return hash(NowDefault)


class RandomUuidDefault(_DefaultBase):
    """A random (v4) uuid (PostgreSQL `gen_random_uuid()`; SQLite a randomblob expression)."""

    kind: Literal["uuid"] = "uuid"


class ExprDefault(_DefaultBase):
    """Any other SQL expression, held as a sqlglot tree."""

    kind: Literal["expr"] = "expr"
    expr: SqlExpr


Default = Annotated[LiteralDefault | NowDefault | RandomUuidDefault | ExprDefault, Field(discriminator="kind")]


# --- columns and constraints -------------------------------------------------------------


class Identity(SequenceOptions):
    """`GENERATED ALWAYS|BY DEFAULT AS IDENTITY` (PostgreSQL) of an integer column, with the
    options of its sequence that differ from PostgreSQL's defaults (None: the default, which
    for MINVALUE/MAXVALUE depends on the column's type: `without_defaults(kind)`)."""

    #: ALWAYS refuses values given by an INSERT (unless OVERRIDING SYSTEM VALUE); BY DEFAULT takes them
    always: bool = False

    def options_sql(self) -> str:
        """The sequence options as PostgreSQL writes them: `START WITH 10 INCREMENT BY 2`."""
        parts = []
        for word, value in (
            ("START WITH", self.start),
            ("INCREMENT BY", self.increment),
            ("MINVALUE", self.min_value),
            ("MAXVALUE", self.max_value),
            ("CACHE", self.cache),
        ):
            if value is not None:
                parts.append(f"{word} {value}")
        if self.cycle:
            parts.append("CYCLE")
        return " ".join(parts)

    def sql(self) -> str:
        """`GENERATED ALWAYS AS IDENTITY [(options)]`."""
        options = self.options_sql()
        head = f"GENERATED {'ALWAYS' if self.always else 'BY DEFAULT'} AS IDENTITY"
        return f"{head} ({options})" if options else head


class SerialSequence(SequenceOptions):
    """A serial column's own sequence where it differs from the one `serial`/`bigserial`
    makes (PostgreSQL): another type (Danbooru's bigint sequences of integer columns) or
    options (a START of 10000000). A change is an ALTER SEQUENCE: the values handed out so
    far are kept. SQLite's rowid alias has none of it."""

    #: the sequence's type; None: the serial's own (integer for serial, bigint for bigserial)
    data_type: SequenceType | None = None


class Column(_Frozen):
    name: str
    type: ColumnType
    nullable: bool = True
    default: Default | None = None
    #: SQLite only: the declared type as the database holds it (`DATETIME`, `VARCHAR(255)`),
    #: when it is not mizzle's own spelling of `type`. SQLite keeps declared types verbatim
    #: and apps read them back (ORMs map `DATETIME` to dates): a rebuild writes it again,
    #: so the table keeps its text. PostgreSQL ignores it and renders `type`.
    sqlite_type: str | None = None
    #: SQLite only: the DEFAULT as the database holds it (`CURRENT_TIMESTAMP`, `(unixepoch())`),
    #: when it is not what mizzle writes for `default`. SQLite's CURRENT_TIMESTAMP is
    #: 'YYYY-MM-DD HH:MM:SS', not the ISO-8601 text of `now()`: the app's rows keep their
    #: format only if the default is kept as written. PostgreSQL renders `default`.
    sqlite_default: str | None = None
    #: SQLite only: the rowid alias is `INTEGER PRIMARY KEY AUTOINCREMENT`, so SQLite never
    #: hands out the id of a deleted row again (it keeps the highest in `sqlite_sequence`).
    #: Only on a serial sole primary key; PostgreSQL's sequences never reuse ids anyway.
    sqlite_autoincrement: bool = False
    #: SQLite only: a primary-key column (not the rowid alias) declared without NOT NULL, which
    #: SQLite lets hold NULL (a legacy quirk; WITHOUT ROWID tables and PostgreSQL refuse it).
    #: The model's `nullable` stays False (a key is NOT NULL); a rebuild keeps the column as
    #: declared, and dropping the flag (making the column NOT NULL) is guarded: it refuses,
    #: changing nothing, while rows hold NULL there. PostgreSQL ignores it.
    sqlite_null_key: bool = False
    #: an identity column (PostgreSQL): an integer column fed by its own sequence. SQLite has
    #: none: a sole integer primary key is the rowid alias there, and any other identity
    #: column a plain integer column that INSERTs must fill.
    identity: Identity | None = None
    #: a serial column's sequence where it differs from the serial's own (PostgreSQL; only on
    #: a serial or bigserial column, None when it is the one the serial makes)
    sequence: SerialSequence | None = None
    #: a generated column, `GENERATED ALWAYS AS (expr) STORED`: the database computes its
    #: value from the row's other columns on every write and refuses values given for it.
    #: Both PostgreSQL (12+) and SQLite (3.31+) hold it; SQLite's VIRTUAL kind is read as
    #: STORED (the values read back are the same; only where they are kept differs).
    generated: SqlExpr | None = None
    #: PostgreSQL only: the column is typed by this domain of the schema (`Schema.domains`,
    #: by its model name); `type` is the domain's base type, which SQLite holds (the domain's
    #: default and checks stay PostgreSQL's: see docs/schema.md)
    domain: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _canonical(cls, data: Any) -> Any:
        # A numeric/real/double literal is kept as its decimal text whatever it was written
        # as (5, "5", 5.0 → "5" / "5.0"), so `DEFAULT 5` on a numeric column compares equal
        # however the schema or the catalog spelled it.
        if not isinstance(data, dict):
            return data
        ctype, default = data.get("type"), data.get("default")
        kind = ctype.kind if isinstance(ctype, ColumnType) else (ctype or {}).get("kind")
        identity = data.get("identity")
        if isinstance(identity, dict):
            identity = Identity.model_validate(identity)
        if isinstance(identity, Identity):
            data = {**data, "identity": identity.without_defaults(str(getattr(kind, "value", kind)))}
        sequence = data.get("sequence")
        if isinstance(sequence, dict):
            sequence = SerialSequence.model_validate(sequence)
        if isinstance(sequence, SerialSequence):
            data = {**data, "sequence": _serial_sequence(sequence, str(getattr(kind, "value", kind)))}
        if kind in _SERIAL_KINDS or identity is not None:
            # PostgreSQL makes a serial or an identity column NOT NULL whatever was written; so does the model.
            data = {**data, "nullable": False}
        if kind not in _DECIMAL_KINDS or (isinstance(ctype, ColumnType) and ctype.array_dims):
            return data
        value = default.value if isinstance(default, LiteralDefault) else None
        if isinstance(default, dict) and default.get("kind") == "literal":
            value = default.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {**data, "default": LiteralDefault(value=str(value))}
        return data


def _serial_sequence(sequence: SerialSequence, kind: str) -> SerialSequence | None:
    """A serial's sequence with what the serial makes anyway left out (None when that is all)."""
    own = _SERIAL_SEQUENCE_TYPE.get(kind)
    if own is None:
        raise ValueError("only a serial or bigserial column has sequence options")
    data_type = sequence.data_type if sequence.data_type != own else None
    cleared = sequence.without_defaults(data_type or own)
    if data_type != sequence.data_type:
        cleared = cleared.model_copy(update={"data_type": data_type})
    return None if cleared.is_default and data_type is None else cleared


#: the type of the sequence each serial kind makes
_SERIAL_SEQUENCE_TYPE = {"serial": "integer", "bigserial": "bigint"}


FkAction = Literal["no action", "restrict", "cascade", "set null", "set default"]


class PrimaryKey(_Frozen):
    name: str
    columns: tuple[str, ...]


class ForeignKey(_Frozen):
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    #: the schema of the referenced table when it is not the managed one (Supabase's
    #: `auth.users`): mizzle renders the reference but never creates, drops or checks that
    #: table, and SQLite, which has no such table, leaves the foreign key out
    ref_schema: str | None = None
    on_delete: FkAction = "no action"
    on_update: FkAction = "no action"
    deferrable: bool = False
    initially_deferred: bool = False

    @model_validator(mode="after")
    def _check_shape(self) -> ForeignKey:
        if len(self.columns) != len(self.ref_columns) or not self.columns:
            raise ValueError(f"foreign key {self.name}: {len(self.columns)} columns reference {len(self.ref_columns)}")
        if self.initially_deferred and not self.deferrable:
            raise ValueError(f"foreign key {self.name}: INITIALLY DEFERRED needs DEFERRABLE")
        return self

    @property
    def local_ref(self) -> str | None:
        """The referenced table when it is one of the schema's own; None for a table of
        another schema, which no lookup by name may find (`auth.users` is not `users`)."""
        return self.ref_table if self.ref_schema is None else None

    @property
    def ref_shown(self) -> str:
        """The referenced table as messages name it: `users`, or `auth.users`."""
        return self.ref_table if self.ref_schema is None else f"{self.ref_schema}.{self.ref_table}"


class Unique(_Frozen):
    name: str
    columns: tuple[str, ...]
    #: PostgreSQL 15's UNIQUE NULLS NOT DISTINCT: rows whose keys are NULL count as equal.
    #: SQLite has no such option; there the unique stays plain (NULLs distinct).
    nulls_not_distinct: bool = False


class Check(_Frozen):
    name: str
    expr: SqlExpr


class IndexKey(_Frozen):
    """One key of an index: a column or an expression, with its ordering."""

    column: str | None = None
    expr: SqlExpr | None = None
    desc: bool = False
    #: None means the direction's default (PostgreSQL: LAST for ASC, FIRST for DESC).
    nulls: Literal["first", "last"] | None = None
    #: PostgreSQL only: the key's operator class when it is not its type's default
    #: (`text_pattern_ops` for LIKE 'abc%' on a btree, pg_trgm's `gin_trgm_ops`), by its model
    #: name (`schema.name` for one outside the default schema). Another operator class is
    #: another index (a change rebuilds it). SQLite has none: the key is plain there.
    opclass: str | None = None
    #: PostgreSQL only: the collation of a column key when it is not the column's own
    #: (`COLLATE "C"`), by its model name. SQLite's collations are other ones: there the key
    #: takes the column's.
    collation: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("nulls") is not None:
            default = "first" if data.get("desc") else "last"
            if data["nulls"] == default:
                data = {**data, "nulls": None}
        return data

    @model_validator(mode="after")
    def _one_of(self) -> IndexKey:
        if (self.column is None) == (self.expr is None):
            raise ValueError("an index key is either a column or an expression")
        return self


class Index(_Frozen):
    name: str
    keys: tuple[IndexKey, ...]
    unique: bool = False
    where: SqlExpr | None = None
    method: str = "btree"
    #: Only for a unique index: NULL keys count as equal (PostgreSQL 15+; plain on SQLite).
    nulls_not_distinct: bool = False

    @field_validator("method")
    @classmethod
    def _lower_method(cls, v: str) -> str:
        return v.lower()

    @property
    def columns(self) -> list[str]:
        """Every column the index reads (keys and predicate)."""
        names: dict[str, None] = {}
        for key in self.keys:
            for n in [key.column] if key.column else key.expr.column_names() if key.expr else []:
                names.setdefault(n, None)
        for n in self.where.column_names() if self.where else []:
            names.setdefault(n, None)
        return list(names)


def _by_name(items: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(sorted(items, key=lambda x: x.name))


class Table(_Frozen):
    name: str
    columns: tuple[Column, ...]
    primary_key: PrimaryKey | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    uniques: tuple[Unique, ...] = ()
    checks: tuple[Check, ...] = ()
    indexes: tuple[Index, ...] = ()
    #: a sync table: it holds the sync columns and the index on last_modified_at (see
    #: `core/sync/parts.py`), and carries change-tracking triggers on every database
    sync: bool = False
    #: the app's own triggers on the table (`core/routines.py`); a sync table's are not here
    triggers: tuple[Trigger, ...] = ()
    #: PostgreSQL only: PARTITION BY, its partitions being `Schema.partitions` (`core/partitions.py`);
    #: on SQLite the table is one plain table
    partition_by: PartitionKey | None = None

    @field_validator("foreign_keys", "uniques", "checks", "indexes", "triggers")
    @classmethod
    def _sorted(cls, v: tuple[Any, ...]) -> tuple[Any, ...]:
        return _by_name(v)

    @cached_property
    def _columns_by_name(self) -> dict[str, Column]:
        return {c.name: c for c in self.columns}

    def column(self, name: str) -> Column | None:
        return self._columns_by_name.get(name)

    @property
    def primary_key_columns(self) -> tuple[str, ...]:
        """The primary key's columns; empty without one."""
        return self.primary_key.columns if self.primary_key else ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


class Enum(_Frozen):
    name: str
    values: tuple[str, ...]


class View(_Frozen):
    name: str
    query: SqlExpr

    @field_validator("query")
    @classmethod
    def _qualified(cls, query: SqlExpr) -> SqlExpr:
        return query.with_tree(qualify_single_table_columns(query.tree))

    def referenced_tables(self) -> list[str]:
        """Names of the tables and views the body reads (CTE names excluded), as the model
        names them (`app.t` for one of the app's other schemas, see `qualified.py`)."""
        from sqlglot import exp

        tree = self.query.tree
        ctes = {c.alias_or_name for c in tree.find_all(exp.CTE)}
        names = set()
        for tb in tree.find_all(exp.Table):
            if not tb.db and tb.name in ctes:
                continue
            names.add(tb.name if tb.db in ("", "public") else f"{tb.db}.{tb.name}")
        return sorted(names)


class Schema(_Frozen):
    tables: tuple[Table, ...] = ()
    enums: tuple[Enum, ...] = ()
    views: tuple[View, ...] = ()
    #: server-only: row level security, policies, grants, default privileges, comments
    #: (`core/security.py`); SQLite holds none of it
    security: Security = Security()
    #: PostgreSQL's functions and procedures and extensions, verbatim (`core/routines.py`)
    functions: tuple[Function, ...] = ()
    extensions: tuple[Extension, ...] = ()
    #: PostgreSQL's domains, standalone sequences, materialized views and aggregates
    #: (`core/pg_objects.py`); server-only
    domains: tuple[Domain, ...] = ()
    sequences: tuple[PgSequence, ...] = ()
    materialized_views: tuple[MaterializedView, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    #: PostgreSQL's partitions of the partitioned tables (`core/partitions.py`); server-only
    partitions: tuple[Partition, ...] = ()
    #: device-only: SQLite's virtual tables (FTS5...), verbatim (`core/virtual_tables.py`)
    virtual_tables: tuple[VirtualTable, ...] = ()

    @field_validator(
        "tables",
        "enums",
        "views",
        "extensions",
        "domains",
        "sequences",
        "materialized_views",
        "virtual_tables",
        "partitions",
    )
    @classmethod
    def _sorted(cls, v: tuple[Any, ...]) -> tuple[Any, ...]:
        return _by_name(v)

    @field_validator("aggregates")
    @classmethod
    def _aggregates_sorted(cls, v: tuple[Aggregate, ...]) -> tuple[Aggregate, ...]:
        return tuple(sorted(v, key=lambda a: a.key))

    @field_validator("functions")
    @classmethod
    def _functions_sorted(cls, v: tuple[Function, ...]) -> tuple[Function, ...]:
        return tuple(sorted(v, key=function_sort_key))

    @cached_property
    def _tables_by_name(self) -> dict[str, Table]:
        return {t.name: t for t in self.tables}

    @cached_property
    def _enums_by_name(self) -> dict[str, Enum]:
        return {e.name: e for e in self.enums}

    def table(self, name: str) -> Table | None:
        return self._tables_by_name.get(name)

    def enum(self, name: str) -> Enum | None:
        return self._enums_by_name.get(name)

    def view(self, name: str) -> View | None:
        return next((v for v in self.views if v.name == name), None)

    # --- snapshots --------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_defaults=True)

    def to_json(self, indent: int | None = 2) -> str:
        """Stable JSON: keys sorted, defaults omitted, so equal schemas give equal text."""
        if indent is None:
            return json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return _indented_json(self.to_dict(), indent)

    @classmethod
    def from_json(cls, text: str) -> Schema:
        return cls.model_validate(json.loads(text))

    def fingerprint(self) -> str:
        """sha256 of the compact stable JSON: equal schemas hash equal, across processes."""
        return hashlib.sha256(self.to_json(indent=None).encode()).hexdigest()


def _indented_json(value: Any, indent: int) -> str:
    """`json.dumps(value, sort_keys=True, indent=indent, ensure_ascii=False)`, twice as fast:
    the standard library indents only in pure Python, through generators, and a 1000-table
    snapshot took 0.15 s. (Values are what `to_dict` gives: dicts with text keys, lists,
    text, integers, booleans, None; anything else goes to json.dumps.)"""
    parts: list[str] = []
    add = parts.append
    text = json.encoder.encode_basestring
    words = {None: "null", True: "true", False: "false"}

    def write(v: Any, pad: str) -> None:
        if isinstance(v, str):
            add(text(v))
        elif isinstance(v, dict) and v:
            inner = pad + " " * indent
            opening = "{\n" + inner
            for key in sorted(v):
                add(opening + text(key) + ": ")
                write(v[key], inner)
                opening = ",\n" + inner
            add("\n" + pad + "}")
        elif isinstance(v, list) and v:
            inner = pad + " " * indent
            opening = "[\n" + inner
            for item in v:
                add(opening)
                write(item, inner)
                opening = ",\n" + inner
            add("\n" + pad + "]")
        elif v is None or v is True or v is False:
            add(words[v])
        elif type(v) is int:
            add(str(v))
        else:
            add(json.dumps(v, ensure_ascii=False))

    write(value, "")
    return "".join(parts)
