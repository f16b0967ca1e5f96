"""PostgreSQL's declarative partitioning: a table's partition key, and its partitions.

A partitioned table is a `Table` like any other, with `partition_by` saying how its rows are
split (`RANGE (payment_date)`): its columns, keys, indexes and grants are the table's, and
PostgreSQL gives each partition copies of its columns, defaults, primary key, uniques,
foreign keys and indexes. A partition (`Partition`) is therefore held apart, by what is its
own alone:

- the table it is a partition of, and its bound, kept as PostgreSQL prints it
  (`pg_get_expr(relpartbound)`: `FOR VALUES FROM ('2022-01-01 00:00:00+00') TO (...)`,
  `FOR VALUES IN ('a')`, `FOR VALUES WITH (modulus 4, remainder 0)`, `DEFAULT`);
- its own partition key when it is partitioned in turn (sub-partitioning);
- its own indexes and constraints (those it was given itself, not the copies of its
  parent's PostgreSQL makes), verbatim as `pg_get_indexdef` and `pg_get_constraintdef`
  print them, as a materialized view's indexes are.

Both are server-only: on SQLite a partitioned table is one plain table, and partitions are
not made (every row lives in the one table).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from mizzle.core.expr import SqlExpr
from mizzle.core.routines import definition_text

_FROZEN = ConfigDict(frozen=True, extra="forbid")

Strategy = Literal["range", "list", "hash"]


class PartitionKeyPart(BaseModel):
    """One key of a partition key: a column, or an expression."""

    model_config = _FROZEN

    column: str | None = None
    expr: SqlExpr | None = None

    @model_validator(mode="after")
    def _one_of(self) -> PartitionKeyPart:
        if (self.column is None) == (self.expr is None):
            raise ValueError("a partition key is either a column or an expression")
        return self


class PartitionKey(BaseModel):
    """PARTITION BY RANGE|LIST|HASH (key, ...)."""

    model_config = _FROZEN

    strategy: Strategy
    keys: tuple[PartitionKeyPart, ...]

    @field_validator("keys")
    @classmethod
    def _some(cls, v: tuple[PartitionKeyPart, ...]) -> tuple[PartitionKeyPart, ...]:
        if not v:
            raise ValueError("a partition key has at least one column or expression")
        return v

    @property
    def columns(self) -> list[str]:
        """Every column the key reads."""
        out: dict[str, None] = {}
        for part in self.keys:
            for name in [part.column] if part.column else part.expr.column_names() if part.expr else []:
                out.setdefault(name, None)
        return list(out)


class PartitionConstraint(BaseModel):
    """A constraint a partition was given itself: its name and its definition as
    `pg_get_constraintdef` prints it (`FOREIGN KEY (a) REFERENCES t(a)`, `CHECK ((a > 0))`)."""

    model_config = _FROZEN

    name: str
    definition: str

    @field_validator("definition")
    @classmethod
    def _kept(cls, text: str) -> str:
        return " ".join(definition_text(text).split())


class Partition(BaseModel):
    """CREATE TABLE name PARTITION OF parent bound [PARTITION BY ...], and what it holds of its own."""

    model_config = _FROZEN

    name: str
    #: the model name of the partitioned table (or partition) it belongs to
    parent: str
    #: the bound as PostgreSQL prints it: `FOR VALUES ...` or `DEFAULT`
    bound: str
    #: its own partition key, when it is partitioned in turn
    partition_by: PartitionKey | None = None
    #: its own indexes' CREATE INDEX statements, as `pg_get_indexdef` prints them
    indexes: tuple[str, ...] = ()
    #: its own constraints (foreign keys, checks, uniques...)
    constraints: tuple[PartitionConstraint, ...] = ()

    @field_validator("bound")
    @classmethod
    def _bound(cls, text: str) -> str:
        return bound_text(text)

    @field_validator("indexes")
    @classmethod
    def _indexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(definition_text(i) for i in v))

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, v: tuple[PartitionConstraint, ...]) -> tuple[PartitionConstraint, ...]:
        return tuple(sorted(v, key=lambda c: c.name))

    @property
    def is_default(self) -> bool:
        return self.bound == "DEFAULT"


def partition_problems(
    keys: dict[str, PartitionKey | None], columns: dict[str, list[str]], partitions: tuple[Partition, ...]
) -> list[str]:
    """What PostgreSQL would refuse: a partition of a table that is not partitioned (or not
    there), a name a table or another partition has, a key naming a column the table lacks.
    `keys`: each table's key (None: not partitioned); `columns`: each table's columns."""
    out = []
    for table, key in keys.items():
        for column in key.columns if key is not None else []:
            if column not in columns.get(table, []):
                out.append(f'table "{table}": the partition key names column "{column}", which the table does not have')
    own = {p.name: p.partition_by for p in partitions}
    seen: set[str] = set()
    for part in partitions:
        where = f'partition "{part.name}"'
        if part.name in keys or part.name in seen:
            out.append(f"{where}: the name is taken by another table or partition")
        seen.add(part.name)
        if part.parent in keys:
            if keys[part.parent] is None:
                out.append(f'{where}: table "{part.parent}" is not partitioned (no partition key)')
        elif part.parent not in own:
            out.append(f'{where}: a partition of "{part.parent}", which the schema does not have')
        elif own[part.parent] is None:
            out.append(f'{where}: partition "{part.parent}" is not partitioned in turn (no partition key)')
    return out


# --- text -------------------------------------------------------------------------------------

_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\s+|[A-Za-z_][A-Za-z_0-9$]*|.", re.DOTALL)
#: words of a bound PostgreSQL prints upper-case, and those it prints lower-case
_UPPER = frozenset({"for", "values", "from", "to", "in", "with", "default", "minvalue", "maxvalue", "null"})
_LOWER = frozenset({"modulus", "remainder"})


def bound_text(text: str) -> str:
    """A bound as PostgreSQL prints it, as far as the words and spaces go: `for values from
    ( 1 ) to (10)` → `FOR VALUES FROM (1) TO (10)` (values themselves are kept as written;
    `pg_get_expr` may print a value its own way, which `push` takes from the database)."""
    out: list[str] = []
    for token in _TOKEN.findall(definition_text(text)):
        if token.isspace():
            if out and out[-1] not in ("(", " "):
                out.append(" ")
            continue
        low = token.lower()
        if low in _UPPER:
            token = token.upper()
        elif low in _LOWER:
            token = low
        if token in (")", ",") and out and out[-1] == " ":
            out.pop()
        out.append(token)
        if token == ",":
            out.append(" ")
    text = "".join(out).strip()
    return re.sub(r"(VALUES (?:FROM|TO|IN|WITH)|TO)\(", r"\1 (", text)


def index_name(definition: str) -> str:
    """The name a CREATE INDEX statement gives its index (as written: quoted or not)."""
    found = re.match(
        r'\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?("(?:[^"]|"")*"|[^\s"]+)\s+ON\b',
        definition,
        re.IGNORECASE,
    )
    if found is None:
        raise ValueError(f"not a CREATE INDEX statement with a name: {definition[:60]!r}")
    return found.group(1)


def split_keys(text: str) -> list[str]:
    """The parts of `a, lower(b), (a + 1)` at its top-level commas."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for token in _TOKEN.findall(text):
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        if token == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(token)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


_IDENTIFIER = re.compile(r'^(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z_0-9$]*))$')
#: `a COLLATE "C"`, `a text_pattern_ops`: a column with a collation or an operator class
_QUALIFIED_KEY = re.compile(r'^(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z_0-9$]*)\s+[A-Za-z_"]')
_KEY = re.compile(r"^\s*(RANGE|LIST|HASH)\s*\((.*)\)\s*$", re.IGNORECASE | re.DOTALL)


def parse_partition_key(text: str) -> PartitionKey:
    """`RANGE (payment_date)`, `LIST (lower(name))`, `HASH ((a + 1), b)` (as written after
    PARTITION BY, or as `pg_get_partkeydef` prints it) as the model's key. Raises ValueError."""
    from mizzle.core.canonical import normalize_pg_expression
    from mizzle.core.expr import parse_expression

    found = _KEY.match(text)
    if found is None:
        raise ValueError(f"a partition key is RANGE, LIST or HASH (keys): {text.strip()[:60]!r}")
    parts = []
    for key in split_keys(found.group(2)):
        if _QUALIFIED_KEY.match(key):
            raise ValueError(f"a partition key's COLLATE or operator class is not carried: {key!r}")
        name = _IDENTIFIER.match(key)
        if name is not None:
            column = name.group(1).replace('""', '"') if name.group(1) else name.group(2).lower()
            parts.append(PartitionKeyPart(column=column))
        else:
            parts.append(PartitionKeyPart(expr=SqlExpr(normalize_pg_expression(parse_expression(key, "postgres")))))
    return PartitionKey(strategy=found.group(1).lower(), keys=tuple(parts))
