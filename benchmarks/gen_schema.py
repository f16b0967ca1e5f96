"""The generated schemas the schema-core benchmark measures.

`generate_schema(n)` builds `n` tables of one repeating shape as the neutral model: a serial
primary key, a foreign key to an earlier table, a mix of types (integer, bigint, varchar,
text, numeric, boolean, timestamptz, uuid, jsonb, date), defaults (a literal, `now()`, a
random uuid), and three indexes (one unique, one on two keys with a DESC key).

`postgresql_ddl(n)` spells the same schema as plain PostgreSQL DDL written here, not by
mizzle's renderer: the database the benchmark introspects (and that drizzle-kit pulls) is
built independently of the code under test, so comparing what introspection reads back
with `generate_schema(n)` checks the introspector against a second source.

`drizzle_schema_ts(n)` declares the same tables in drizzle-orm's TypeScript schema, for
`drizzle-kit push` (the shape `drizzle-kit pull` writes, without the operator classes it
reads wrongly for the two-key index).

The first `columns` entries of `COLUMNS` are used: 12 for the 1000-table schema of the
issue, 11 for the 200-table `pull` comparison (the BRIEF's shape).
"""

from __future__ import annotations

from dataclasses import dataclass

from mizzle.core.model import (
    Column,
    Default,
    ForeignKey,
    Index,
    IndexKey,
    LiteralDefault,
    NowDefault,
    PrimaryKey,
    RandomUuidDefault,
    Schema,
    Table,
)
from mizzle.core.types import ColumnType, TypeKind


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the repeating table shape, in the model and in PostgreSQL DDL."""

    name: str
    type: ColumnType
    pg_type: str
    #: the column in drizzle-orm's TypeScript schema (drizzle_schema_ts)
    drizzle: str
    nullable: bool = True
    default: Default | None = None
    pg_default: str | None = None

    def column(self) -> Column:
        return Column(name=self.name, type=self.type, nullable=self.nullable, default=self.default)

    def pg_sql(self) -> str:
        sql = f"{self.name} {self.pg_type}"
        if not self.nullable:
            sql += " NOT NULL"
        if self.pg_default is not None:
            sql += f" DEFAULT {self.pg_default}"
        return sql


def _t(kind: TypeKind, **params: int) -> ColumnType:
    return ColumnType(kind=kind, **params)


#: The table shape, in column order. `id` and `parent_id` carry the primary and foreign key;
#: `code`, `parent_id`, `active` and `created_at` the indexes: keep them in the first 9.
COLUMNS: tuple[ColumnSpec, ...] = (
    ColumnSpec("id", _t(TypeKind.SERIAL), "serial PRIMARY KEY", 'serial("id").primaryKey()', nullable=False),
    ColumnSpec("parent_id", _t(TypeKind.INTEGER), "integer", 'integer("parent_id")'),
    ColumnSpec(
        "code", _t(TypeKind.VARCHAR, length=40), "varchar(40)", 'varchar("code", { length: 40 }).notNull()', False
    ),
    ColumnSpec("title", _t(TypeKind.TEXT), "text", 'text("title")'),
    ColumnSpec(
        "quantity",
        _t(TypeKind.BIGINT),
        "bigint",
        'bigint("quantity", { mode: "number" }).notNull().default(0)',
        False,
        LiteralDefault(value=0),
        "0",
    ),
    ColumnSpec(
        "price",
        _t(TypeKind.NUMERIC, precision=12, scale=2),
        "numeric(12,2)",
        'numeric("price", { precision: 12, scale: 2 })',
    ),
    ColumnSpec(
        "active",
        _t(TypeKind.BOOLEAN),
        "boolean",
        'boolean("active").notNull().default(true)',
        False,
        LiteralDefault(value=True),
        "true",
    ),
    ColumnSpec(
        "created_at",
        _t(TypeKind.TIMESTAMPTZ),
        "timestamptz",
        'timestamp("created_at", { withTimezone: true, mode: "string" }).notNull().defaultNow()',
        False,
        NowDefault(),
        "now()",
    ),
    ColumnSpec(
        "external_id",
        _t(TypeKind.UUID),
        "uuid",
        'uuid("external_id").notNull().defaultRandom()',
        False,
        RandomUuidDefault(),
        "gen_random_uuid()",
    ),
    ColumnSpec("payload", _t(TypeKind.JSONB), "jsonb", 'jsonb("payload")'),
    ColumnSpec("due_on", _t(TypeKind.DATE), "date", 'date("due_on")'),
    ColumnSpec(
        "updated_at",
        _t(TypeKind.TIMESTAMPTZ),
        "timestamptz",
        'timestamp("updated_at", { withTimezone: true, mode: "string" })',
    ),
)

MIN_COLUMNS = 9  # the keyed and indexed columns


def table_name(i: int) -> str:
    return f"bench_{i:04d}"


def parent_of(i: int) -> int:
    """The table table `i` references: an earlier one (a binary tree); the first references itself."""
    return i // 2


def _check_shape(tables: int, columns: int) -> None:
    if tables < 1:
        raise ValueError("at least one table")
    if not MIN_COLUMNS <= columns <= len(COLUMNS):
        raise ValueError(f"columns must be between {MIN_COLUMNS} and {len(COLUMNS)}")


def _table(i: int, columns: int) -> Table:
    name = table_name(i)
    return Table(
        name=name,
        columns=tuple(spec.column() for spec in COLUMNS[:columns]),
        primary_key=PrimaryKey(name=f"{name}_pkey", columns=("id",)),
        foreign_keys=(
            ForeignKey(
                name=f"{name}_parent_id_fkey",
                columns=("parent_id",),
                ref_table=table_name(parent_of(i)),
                ref_columns=("id",),
            ),
        ),
        indexes=(
            Index(name=f"{name}_code_key", keys=(IndexKey(column="code"),), unique=True),
            Index(name=f"{name}_parent_id_idx", keys=(IndexKey(column="parent_id"),)),
            Index(
                name=f"{name}_active_created_at_idx",
                keys=(IndexKey(column="active"), IndexKey(column="created_at", desc=True)),
            ),
        ),
    )


def generate_schema(tables: int, columns: int = 12) -> Schema:
    """`tables` tables of the repeating shape, each with the first `columns` columns."""
    _check_shape(tables, columns)
    return Schema(tables=tuple(_table(i, columns) for i in range(tables)))


def postgresql_ddl(tables: int, columns: int = 12) -> str:
    """The same schema as `generate_schema`, as plain PostgreSQL DDL (one script)."""
    _check_shape(tables, columns)
    out: list[str] = []
    for i in range(tables):
        name = table_name(i)
        body = ",\n  ".join(spec.pg_sql() for spec in COLUMNS[:columns])
        out.append(f"CREATE TABLE {name} (\n  {body}\n);")
        out.append(f"CREATE UNIQUE INDEX {name}_code_key ON {name} (code);")
        out.append(f"CREATE INDEX {name}_parent_id_idx ON {name} (parent_id);")
        out.append(f"CREATE INDEX {name}_active_created_at_idx ON {name} (active, created_at DESC);")
    # Foreign keys last, so a table may reference any other whatever the order.
    for i in range(tables):
        name = table_name(i)
        out.append(
            f"ALTER TABLE {name} ADD CONSTRAINT {name}_parent_id_fkey "
            f"FOREIGN KEY (parent_id) REFERENCES {table_name(parent_of(i))} (id);"
        )
    return "\n".join(out) + "\n"


_DRIZZLE_IMPORTS = (
    "bigint, boolean, date, foreignKey, index, integer, jsonb, numeric, pgTable, serial, text, timestamp,"
    " uniqueIndex, uuid, varchar"
)


def _ts_name(i: int) -> str:
    return f"bench{i:04d}"


def drizzle_schema_ts(tables: int, columns: int = 12) -> str:
    """The same schema as `generate_schema`, as a drizzle-orm TypeScript schema (schema.ts)."""
    _check_shape(tables, columns)
    out = [f'import {{ {_DRIZZLE_IMPORTS} }} from "drizzle-orm/pg-core";', ""]
    for i in range(tables):
        name = table_name(i)
        body = "".join(f"  {spec.name}: {spec.drizzle},\n" for spec in COLUMNS[:columns])
        parent = "table" if parent_of(i) == i else _ts_name(parent_of(i))
        out.append(
            f'export const {_ts_name(i)} = pgTable("{name}", {{\n{body}}}, (table) => [\n'
            f'  uniqueIndex("{name}_code_key").using("btree", table.code.asc().nullsLast()),\n'
            f'  index("{name}_parent_id_idx").using("btree", table.parent_id.asc().nullsLast()),\n'
            f'  index("{name}_active_created_at_idx")'
            '.using("btree", table.active.asc().nullsLast(), table.created_at.desc().nullsFirst()),\n'
            f"  foreignKey({{ columns: [table.parent_id], foreignColumns: [{parent}.id],"
            f' name: "{name}_parent_id_fkey" }}),\n'
            "]);\n"
        )
    return "\n".join(out)
