"""PostgreSQL statements for domains, sequences, materialized views, aggregates and
partitions (`core/pg_objects.py`; partitions' own in `partitions_sql.py`): creating, dropping
and altering each, for `export` and the planner.

Names are quoted by the quoting helpers; what the model keeps in PostgreSQL's own spelling
(a domain's base type, default and checks, a materialized view's query and indexes, an
aggregate's definition) is SQL written verbatim, as a function's body is.
"""

from __future__ import annotations

from mizzle.core import qualified
from mizzle.core.errors import MizzleError
from mizzle.core.expr import SqlExpr
from mizzle.core.model import Column
from mizzle.core.partitions import Partition
from mizzle.core.pg_objects import Aggregate, Domain, DomainCheck, MaterializedView, PgSequence
from mizzle.dialects import ddl_trees as ddl
from mizzle.dialects.postgresql import types
from mizzle.dialects.postgresql.partitions_sql import alter_partition_sql, create_partition_sql, drop_partition_sql

Item = Domain | PgSequence | MaterializedView | Aggregate | Partition


def relation(name: str) -> str:
    """A model name (`x`, `app.x`) as SQL: each part quoted as needed."""
    schema, bare = qualified.split(name)
    return f"{ddl.quote_ident(schema)}.{ddl.quote_ident(bare)}" if schema else ddl.quote_ident(bare)


def column_type_sql(column: Column) -> str:
    """The column's type as PostgreSQL is given it: its domain when it has one."""
    return relation(column.domain) if column.domain is not None else types.type_sql(column.type)


# --- domains -----------------------------------------------------------------------------------


def base_type_text(text: str) -> str:
    """A domain's base type as the model keeps it: mizzle's own spelling of a type it knows
    (`character varying(50)` and `varchar(50)` alike), any other as written."""
    try:
        return types.type_sql(types.column_type_from_pg(text))
    except MizzleError:
        return " ".join(text.split())


def expression_sql(expr: SqlExpr) -> str:
    return ddl.sql(ddl.requote(expr.tree), "postgres")


def _check(check: DomainCheck) -> str:
    return f"CONSTRAINT {ddl.quote_ident(check.name)} CHECK ({expression_sql(check.expr)})"


def _create_domain(domain: Domain) -> str:
    parts = [f"CREATE DOMAIN {relation(domain.name)} AS {domain.base_type}"]
    if domain.default is not None:
        parts.append(f"DEFAULT {expression_sql(domain.default)}")
    if domain.not_null:
        parts.append("NOT NULL")
    parts += [_check(c) for c in domain.checks]
    return " ".join(parts)


def _alter_domain(old: Domain, new: Domain) -> list[str]:
    if old.base_type != new.base_type:  # fails (whole) while a column uses it: PostgreSQL has no ALTER for it
        return [f"DROP DOMAIN {relation(old.name)}", _create_domain(new)]
    head = f"ALTER DOMAIN {relation(new.name)}"
    kept = set(new.checks)
    out = [f"{head} DROP CONSTRAINT {ddl.quote_ident(c.name)}" for c in old.checks if c not in kept]
    if old.default != new.default:
        default = f"SET DEFAULT {expression_sql(new.default)}" if new.default is not None else "DROP DEFAULT"
        out.append(f"{head} {default}")
    if old.not_null != new.not_null:
        out.append(f"{head} {'SET' if new.not_null else 'DROP'} NOT NULL")
    held = set(old.checks)
    out += [f"{head} ADD {_check(c)}" for c in new.checks if c not in held]
    return out


# --- sequences ---------------------------------------------------------------------------------


def _owner(sequence: PgSequence) -> str:
    owner = sequence.owner
    if owner is None:
        return "NONE"
    return f"{relation(owner[0])}.{ddl.quote_ident(owner[1])}"


def _create_sequence(sequence: PgSequence) -> list[str]:
    options = sequence.options()
    out = [" ".join([f"CREATE SEQUENCE {relation(sequence.name)}", *options])]
    if sequence.owned_by is not None:
        out.append(f"ALTER SEQUENCE {relation(sequence.name)} OWNED BY {_owner(sequence)}")
    return out


def _alter_sequence(old: PgSequence, new: PgSequence) -> list[str]:
    out = []
    if old.model_copy(update={"owned_by": None}) != new.model_copy(update={"owned_by": None}):
        # every option, the unsaid ones as PostgreSQL's defaults: a change may remove one
        options = new.options(all_of_them=True)
        if new.start is None:
            increment = new.increment or 1
            default = (new.min_value or 1) if increment > 0 else (new.max_value or -1)
            options.insert(4, f"START WITH {default}")
        out.append(" ".join([f"ALTER SEQUENCE {relation(new.name)}", *options]))
    if old.owned_by != new.owned_by:
        out.append(f"ALTER SEQUENCE {relation(new.name)} OWNED BY {_owner(new)}")
    return out


# --- materialized views and aggregates ---------------------------------------------------------


def _create_materialized_view(view: MaterializedView) -> list[str]:
    data = "WITH DATA" if view.with_data else "WITH NO DATA"
    return [f"CREATE MATERIALIZED VIEW {relation(view.name)} AS\n{view.query}\n{data}", *view.indexes]


def _drop_aggregate(aggregate: Aggregate) -> str:
    return f"DROP AGGREGATE {relation(aggregate.name)}({aggregate.arguments})"


# --- by kind -----------------------------------------------------------------------------------


def create_sql(item: Item) -> list[str]:
    if isinstance(item, Domain):
        return [_create_domain(item)]
    if isinstance(item, PgSequence):
        return _create_sequence(item)
    if isinstance(item, MaterializedView):
        return _create_materialized_view(item)
    if isinstance(item, Partition):
        return create_partition_sql(item)
    return [item.definition]


def drop_sql(item: Item) -> list[str]:
    if isinstance(item, Domain):
        return [f"DROP DOMAIN {relation(item.name)}"]
    if isinstance(item, PgSequence):
        return [f"DROP SEQUENCE {relation(item.name)}"]
    if isinstance(item, MaterializedView):
        return [f"DROP MATERIALIZED VIEW {relation(item.name)}"]
    if isinstance(item, Partition):
        return drop_partition_sql(item)
    return [_drop_aggregate(item)]


def alter_sql(old: Item, new: Item) -> list[str]:
    if isinstance(old, Domain) and isinstance(new, Domain):
        return _alter_domain(old, new)
    if isinstance(old, PgSequence) and isinstance(new, PgSequence):
        return _alter_sequence(old, new)
    if isinstance(old, Partition) and isinstance(new, Partition):
        return alter_partition_sql(old, new)
    return drop_sql(old) + create_sql(new)
