"""PostgreSQL's domains, sequences, materialized views, aggregates and partitions in the DSL
(`mizzle.core.pg_objects`, `mizzle.core.partitions`); all are server-only (SQLite holds none
of them: a partitioned table is one plain table there).

    from mizzle.dsl import aggregate, domain, integer, materialized_view, sequence, varchar

    Positive = domain("positive", "integer", not_null=True, checks={"positive": "VALUE > 0"})
    OrderNo = sequence("order_no", start=1000, increment=5, owned_by="orders.no")
    TuneTotals = materialized_view(
        "tune_totals",
        "SELECT tune.title, count(*) AS plays FROM tune GROUP BY tune.title",
        indexes=["CREATE UNIQUE INDEX tune_totals_title ON public.tune_totals USING btree (title)"],
    )
    Total = aggregate("CREATE AGGREGATE total(numeric) (SFUNC = numeric_add, STYPE = numeric)")

    class Payment(Table):
        __partition_by__ = "RANGE (paid_at)"     # PARTITION BY (a plain table on SQLite)
        ...

    Payment2026 = partition(
        "payment_2026", of="payment", values="FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        indexes=["CREATE INDEX payment_2026_note ON public.payment_2026 USING btree (note)"],
        constraints={"payment_2026_positive": "CHECK ((amount > 0))"},
    )

    class Stock(Table):
        qty = integer().domain("positive")   # the domain's base type, kept on PostgreSQL

A materialized view's query and indexes, an aggregate's definition, and a partition's bound,
indexes and constraints are SQL written as PostgreSQL takes it (`mizzle pull` writes
PostgreSQL's own text, which reads back equal).
"""

from __future__ import annotations

from typing import Unpack

from pydantic import ValidationError

from mizzle.core import model
from mizzle.core.errors import SchemaError
from mizzle.core.expr import SqlExpr
from mizzle.core.partitions import Partition, PartitionConstraint, parse_partition_key
from mizzle.core.pg_objects import Aggregate, Domain, DomainCheck, MaterializedView, PgSequence
from mizzle.core.sequence_options import SequenceKeywords, SequenceType
from mizzle.dialects.postgresql.objects_sql import base_type_text
from mizzle.sources.dsl.code import _dedented, _message
from mizzle.sources.dsl.columns import sql
from mizzle.sources.dsl.table import _caller

Item = Domain | PgSequence | MaterializedView | Aggregate | Partition


class ObjectDecl:
    """A declared domain, sequence, materialized view or aggregate."""

    __slots__ = ("item", "source")

    def __init__(self, what: str, make: type[Item], **fields: object) -> None:
        self.source = _caller(3)
        try:
            self.item: Item = make(**fields)
        except ValidationError as err:
            raise SchemaError(f"{what}: {_message(err)}") from None


def _expr(value: str | SqlExpr) -> SqlExpr:
    return value if isinstance(value, SqlExpr) else sql(value)


def domain(
    name: str,
    base_type: str,
    *,
    default: str | SqlExpr | None = None,
    not_null: bool = False,
    checks: dict[str, str | SqlExpr] | None = None,
) -> ObjectDecl:
    """CREATE DOMAIN `name` AS `base_type` (PostgreSQL's type text), its DEFAULT (SQL text),
    NOT NULL, and CHECKs by name (`VALUE` is the value checked)."""
    found = [DomainCheck(name=n, expr=_expr(e)) for n, e in (checks or {}).items()]
    return ObjectDecl(
        f'domain "{name}"',
        Domain,
        name=name,
        base_type=base_type_text(base_type),
        default=_expr(default) if default is not None else None,
        not_null=not_null,
        checks=tuple(found),
    )


def sequence(
    name: str,
    *,
    data_type: SequenceType = "bigint",
    owned_by: str | None = None,
    **options: Unpack[SequenceKeywords],
) -> ObjectDecl:
    """CREATE SEQUENCE `name` with its options (`start`, `increment`, `min_value`,
    `max_value`, `cache`, `cycle`, as `.identity()` takes them; None: PostgreSQL's default);
    `owned_by`: `"table.column"`, whose drop drops the sequence. A column default reads it
    with `sql("nextval('name'::regclass)")`."""
    decl = ObjectDecl(
        f'sequence "{name}"',
        PgSequence,
        name=name,
        data_type=data_type,
        owned_by=owned_by,
        **options,
    )
    assert isinstance(decl.item, PgSequence)
    decl.item = decl.item.without_defaults()
    return decl


def materialized_view(name: str, query: str, *, with_data: bool = True, indexes: list[str] | None = None) -> ObjectDecl:
    """CREATE MATERIALIZED VIEW `name` AS `query` WITH [NO] DATA, and its CREATE INDEX statements."""
    return ObjectDecl(
        f'materialized view "{name}"',
        MaterializedView,
        name=name,
        query=_dedented(query),
        with_data=with_data,
        indexes=tuple(indexes or ()),
    )


def aggregate(definition: str) -> ObjectDecl:
    """A CREATE AGGREGATE statement, as PostgreSQL takes it."""
    return ObjectDecl("aggregate", Aggregate, definition=_dedented(definition))


def partition(
    name: str,
    *,
    of: str,
    values: str,
    partition_by: str | None = None,
    indexes: list[str] | None = None,
    constraints: dict[str, str] | list[tuple[str, str]] | None = None,
) -> ObjectDecl:
    """CREATE TABLE `name` PARTITION OF `of` (the partitioned table's name) `values` (`FOR VALUES
    ...` or `DEFAULT`) [PARTITION BY `partition_by`], with its own CREATE INDEX statements and
    constraints by name, `{name: definition}` or `[(name, definition)]` (PostgreSQL gives it
    copies of its table's own: they are not listed)."""
    what = f'partition "{name}"'
    try:
        key = parse_partition_key(partition_by) if partition_by is not None else None
    except ValueError as err:
        raise SchemaError(f"{what}: {err}") from None
    return ObjectDecl(
        what,
        Partition,
        name=name,
        parent=of,
        bound=values,
        partition_by=key,
        indexes=tuple(indexes or ()),
        constraints=tuple(PartitionConstraint(name=n, definition=d) for n, d in dict(constraints or {}).items()),
    )


def with_objects(schema: model.Schema, declared: list[ObjectDecl]) -> model.Schema:
    """`schema` holding the declared objects; a column's domain must be one of them."""
    items = [d.item for d in declared]
    domains = tuple(i for i in items if isinstance(i, Domain))
    names = {d.name for d in domains}
    for table in schema.tables:
        for column in table.columns:
            if column.domain is not None and column.domain not in names:
                raise SchemaError(f'table "{table.name}", column "{column.name}": no domain "{column.domain}" declared')
    if not items:
        return schema
    return model.Schema(
        **{
            **{k: getattr(schema, k) for k in type(schema).model_fields},
            "domains": domains,
            "sequences": tuple(i for i in items if isinstance(i, PgSequence)),
            "materialized_views": tuple(i for i in items if isinstance(i, MaterializedView)),
            "aggregates": tuple(i for i in items if isinstance(i, Aggregate)),
            "partitions": tuple(i for i in items if isinstance(i, Partition)),
        }
    )
