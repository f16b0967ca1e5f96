"""The Python schema DSL: declare tables as classes, the way Drizzle's `pgTable` or SQLModel do.

    from mizzle.dsl import Enum, Table, View, check, index, integer, now, random_uuid, serial
    from mizzle.dsl import sql, text, timestamptz, uuid, varchar

    Instrument = Enum("instrument", ["fiddle", "flute", "whistle"])

    class UserProfile(Table):                 # table "user_profile"
        id = serial().primary_key()
        email = varchar(255).not_null().unique()
        displayName = text()                  # column "display_name"
        created_at = timestamptz().not_null().default(now())

    class Tune(Table):
        id = uuid().primary_key().default(random_uuid())
        owner_id = integer().not_null().references(lambda: UserProfile.id, on_delete="cascade")
        title = text().not_null()
        instrument = Instrument.column().default("fiddle")
        tags = text().array().default([])
        __indexes__ = (index("title"), index(sql("lower(title)"), where=sql("title <> ''")))
        __checks__ = (check("length(title) > 0", name="tune_title_not_empty"),)

    TuneTitles = View("tune_titles", sql("select id, title from tune"))

- `columns.py`: the type builders and their methods (`.not_null()`, `.default()`...);
- `constraints.py`: table-level `primary_key`, `unique`, `check`, `foreign_key`, `index`;
- `table.py`: `Table`, `Enum`, `View`;
- `security.py`: `__rls__`, `__policies__` (`policy`), `__grants__` (`grant`), `__comment__`,
  `__comments__` on a table; `ServerOnly(grant(...), default_privilege(...), comment(...))`;
- `code.py`: `function`, `trigger`, `extension` (code the database runs, as SQL per database),
  `virtual_table` (SQLite's FTS5 and other virtual tables, as SQLite takes them);
- `objects.py`: `domain`, `sequence`, `materialized_view`, `aggregate`, `partition` (PostgreSQL
  only; a table's PARTITION BY is its `__partition_by__`);
- `build.py`: `schema_from_classes(tables, enums, views)`, the neutral model they describe;
- `draft.py`: how unnamed constraints and indexes get PostgreSQL's names.

A schema module is loaded by `mizzle.sources.load.load_schema`: every Table class, Enum,
View, function, trigger, extension and virtual table it defines or imports is part of the schema.
"""

from mizzle.sources.dsl.build import schema_from_classes
from mizzle.sources.dsl.code import extension, function, trigger, virtual_table
from mizzle.sources.dsl.columns import (
    Column,
    bigint,
    bigserial,
    boolean,
    bytea,
    char,
    custom,
    date,
    double,
    integer,
    json,
    jsonb,
    now,
    numeric,
    random_uuid,
    real,
    serial,
    smallint,
    sql,
    text,
    time,
    timestamp,
    timestamptz,
    uuid,
    varchar,
)
from mizzle.sources.dsl.constraints import asc, check, desc, foreign_key, index, primary_key, unique
from mizzle.sources.dsl.objects import aggregate, domain, materialized_view, partition, sequence
from mizzle.sources.dsl.security import ServerOnly, comment, default_privilege, grant, policy
from mizzle.sources.dsl.table import Enum, Table, View

__all__ = [
    "Column",
    "Enum",
    "ServerOnly",
    "Table",
    "View",
    "aggregate",
    "asc",
    "bigint",
    "bigserial",
    "boolean",
    "bytea",
    "char",
    "check",
    "comment",
    "custom",
    "date",
    "default_privilege",
    "desc",
    "domain",
    "double",
    "extension",
    "foreign_key",
    "function",
    "grant",
    "index",
    "integer",
    "json",
    "jsonb",
    "materialized_view",
    "now",
    "numeric",
    "partition",
    "policy",
    "primary_key",
    "random_uuid",
    "real",
    "schema_from_classes",
    "sequence",
    "serial",
    "smallint",
    "sql",
    "text",
    "time",
    "timestamp",
    "timestamptz",
    "trigger",
    "unique",
    "uuid",
    "varchar",
    "virtual_table",
]
