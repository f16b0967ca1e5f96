"""How PostgreSQL carries out the operations on code (`core/routine_ops.py`). A trigger
given for SQLite only is not PostgreSQL's: its operations plan to nothing here."""

from __future__ import annotations

from mizzle.core import qualified
from mizzle.core.operations import Operation
from mizzle.core.routine_ops import (
    CreateExtension,
    CreateFunction,
    CreateTrigger,
    DropExtension,
    DropFunction,
    DropTrigger,
    ReplaceFunction,
)
from mizzle.dialects.postgresql.plan_context import Context, Planned, create_schema_sql
from mizzle.dialects.postgresql.routines_sql import (
    NO_BODY_CHECKS,
    create_extension_sql,
    create_trigger_sql,
    drop_extension_sql,
    drop_function_sql,
    drop_trigger_sql,
    replace_function_sql,
)


def nothing(op: Operation, ctx: Context) -> Planned:
    """What PostgreSQL does not hold (SQLite's virtual tables): no statement."""
    return Planned(())


def create_extension(op: CreateExtension, ctx: Context) -> Planned:
    return Planned((create_extension_sql(op.extension),))


def drop_extension(op: DropExtension, ctx: Context) -> Planned:
    return Planned((drop_extension_sql(op.extension),))


def create_function(op: CreateFunction, ctx: Context) -> Planned:
    schema = op.function.schema_name
    # a function of one of the app's own schemas may be the first object there
    first = create_schema_sql(qualified.join(schema, op.function.name)) if schema != qualified.DEFAULT_SCHEMA else []
    return Planned((*first, NO_BODY_CHECKS, op.function.definition))


def replace_function(op: ReplaceFunction, ctx: Context) -> Planned:
    return Planned((NO_BODY_CHECKS, replace_function_sql(op.new)))


def drop_function(op: DropFunction, ctx: Context) -> Planned:
    return Planned((drop_function_sql(op.function),))


def create_trigger(op: CreateTrigger, ctx: Context) -> Planned:
    if op.trigger.postgresql is None:
        return Planned(())
    return Planned(tuple(create_trigger_sql(op.table, op.trigger)))


def drop_trigger(op: DropTrigger, ctx: Context) -> Planned:
    if op.trigger.postgresql is None:
        return Planned(())
    return Planned((drop_trigger_sql(op.table, op.trigger),))
