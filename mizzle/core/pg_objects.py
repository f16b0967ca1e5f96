"""PostgreSQL's schema objects beside tables and views: domains, standalone sequences,
materialized views (with their indexes) and aggregates. All four are server-only: SQLite
has none of them (a column typed by a domain is its base type there, see `Column.domain`).

Each is known by its model name (`name`, or `schema.name` in another of the app's schemas,
as tables are: `core/qualified.py`). What PostgreSQL computes its own way is kept in
PostgreSQL's spelling (`format_type`, `pg_get_expr`, `pg_get_constraintdef`,
`pg_get_viewdef`), so a schema pulled from a database compares equal to it:

- a domain: base type, default, NOT NULL and named CHECK constraints (held apart, so that a
  change is an ALTER DOMAIN: columns typed by the domain keep their rows); its default and
  checks are expressions in the model's canonical form, as a column's are;
- a sequence not owned by an identity or serial column: its options (None: PostgreSQL's
  default for its type) and the column that owns it, if any (OWNED BY);
- a materialized view: its query as `pg_get_viewdef` prints it, whether it is filled when
  created (WITH [NO] DATA), and its indexes' CREATE INDEX statements verbatim;
- an aggregate: its CREATE AGGREGATE statement, carried verbatim like a function.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator

from mizzle.core.expr import SqlExpr
from mizzle.core.partitions import Partition
from mizzle.core.routines import definition_text
from mizzle.core.sequence_options import SequenceOptions, SequenceType

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class DomainCheck(BaseModel):
    """A CHECK constraint of a domain: its name and its condition (`VALUE` stands for the
    value checked), in the model's canonical form as a column CHECK is."""

    model_config = _FROZEN

    name: str
    expr: SqlExpr


class Domain(BaseModel):
    """CREATE DOMAIN name AS base_type [DEFAULT ...] [NOT NULL] [CONSTRAINT c CHECK (...)]..."""

    model_config = _FROZEN

    name: str
    #: the base type as mizzle writes it for PostgreSQL (`varchar(50)`, `numeric(10,2)`): see
    #: `dialects/postgresql/objects_sql.base_type_text`
    base_type: str
    default: SqlExpr | None = None
    not_null: bool = False
    checks: tuple[DomainCheck, ...] = ()

    @field_validator("checks")
    @classmethod
    def _sorted(cls, v: tuple[DomainCheck, ...]) -> tuple[DomainCheck, ...]:
        return tuple(sorted(v, key=lambda c: c.name))


class PgSequence(SequenceOptions):
    """CREATE SEQUENCE with its options; None (or the type's default) is left unsaid, so a
    sequence written `CREATE SEQUENCE s` equals the one PostgreSQL reads back."""

    name: str
    data_type: SequenceType = "bigint"
    #: `table.column` (the table's model name, a dot, the column) whose drop drops the sequence
    owned_by: str | None = None

    def without_defaults(self, data_type: str | None = None) -> PgSequence:
        """The sequence with every option equal to PostgreSQL's default for its type left out."""
        return super().without_defaults(data_type or self.data_type)

    @property
    def owner(self) -> tuple[str, str] | None:
        """(table, column) of OWNED BY, if any."""
        if self.owned_by is None:
            return None
        table, _, column = self.owned_by.rpartition(".")
        return table, column

    def options(self, *, all_of_them: bool = False) -> list[str]:
        """The option clauses, as CREATE SEQUENCE and ALTER SEQUENCE take them; unsaid ones
        only when `all_of_them` (ALTER SEQUENCE must set back an option a change removes)."""
        out = [f"AS {self.data_type}"] if all_of_them or self.data_type != "bigint" else []
        return out + self.clauses(all_of_them=all_of_them)


class MaterializedView(BaseModel):
    """CREATE MATERIALIZED VIEW name AS query WITH [NO] DATA, and its indexes."""

    model_config = _FROZEN

    name: str
    #: the query as `pg_get_viewdef` prints it (no final `;`)
    query: str
    with_data: bool = True
    #: each index's CREATE INDEX statement, as `pg_get_indexdef` prints it
    indexes: tuple[str, ...] = ()

    @field_validator("query")
    @classmethod
    def _query(cls, text: str) -> str:
        return definition_text(text)

    @field_validator("indexes")
    @classmethod
    def _indexes(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(definition_text(i) for i in v))


_AGGREGATE_HEAD = re.compile(
    r"""^\s*CREATE\s+(?:OR\s+REPLACE\s+)?AGGREGATE\s+"""
    r"""((?:"(?:[^"]|"")*"|[^\s"(.]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s"(.]+))?)\s*\(([^)]*)\)""",
    re.IGNORECASE,
)


class Aggregate(BaseModel):
    """A PostgreSQL aggregate: its CREATE AGGREGATE statement, verbatim."""

    model_config = _FROZEN

    definition: str

    @field_validator("definition")
    @classmethod
    def _kept(cls, text: str) -> str:
        text = definition_text(text)
        if _AGGREGATE_HEAD.match(text) is None:
            raise ValueError("an aggregate is a CREATE AGGREGATE name (argument types) (...) statement")
        return text

    def _head(self) -> tuple[str, str]:
        found = _AGGREGATE_HEAD.match(self.definition)
        assert found is not None  # checked when made
        return found.group(1), " ".join(found.group(2).split())

    @property
    def name(self) -> str:
        """The model name: bare in the default schema, `schema.name` in another."""
        parts: list[str] = re.findall(r'"(?:[^"]|"")*"|[^\s".]+', self._head()[0])
        bare = [p[1:-1].replace('""', '"') if p.startswith('"') else p.lower() for p in parts]
        if len(bare) == 2 and bare[0] != "public":
            return f"{bare[0]}.{bare[1]}"
        return bare[-1]

    @property
    def arguments(self) -> str:
        return self._head()[1]

    @property
    def key(self) -> tuple[str, str]:
        return self.name, self.arguments.lower()

    @property
    def label(self) -> str:
        return f"{self.name}({self.arguments})"


def calls_nextval(expr: SqlExpr) -> bool:
    """Whether a default expression takes the next value of a sequence (`nextval(...)`)."""
    from sqlglot import exp

    return any(
        isinstance(node, exp.Anonymous) and str(node.this).lower() == "nextval"
        for node in expr.tree.find_all(exp.Anonymous)
    )


PgObject = Domain | PgSequence | MaterializedView | Aggregate | Partition

#: how each kind is said in messages, headers and notes (singular, plural)
KIND_WORDS: dict[type[BaseModel], tuple[str, str]] = {
    Domain: ("domain", "domains"),
    PgSequence: ("sequence", "sequences"),
    MaterializedView: ("materialized view", "materialized views"),
    Aggregate: ("aggregate", "aggregates"),
    Partition: ("partition", "partitions"),
}


def object_key(item: PgObject) -> tuple[str, str]:
    """What tells two objects apart: their kind's word and name (an aggregate's arguments too)."""
    word: str = KIND_WORDS[type(item)][0]
    if isinstance(item, Aggregate):
        return word, item.label
    return word, item.name


def object_label(item: PgObject) -> str:
    """`domain app.positive`, `aggregate app.total(numeric)`."""
    return " ".join(object_key(item))
