"""Code as PostgreSQL prints it: the part of `Dialect.normalise` for functions and triggers.

A function or trigger is held as the database prints it (`pg_get_functiondef`,
`pg_get_triggerdef`); one written by hand in a schema file (`CREATE FUNCTION f() ... AS $$`)
is the same code in other words, and would be replaced on every push. So each function the
operations would replace, and each trigger they would drop and create again, is created as
written inside a transaction that is rolled back, and read back the way introspection reads
it: when that equals what the database holds, the target takes the database's text and the
push has nothing to do. (On the live objects: a rolled-back CREATE OR REPLACE and
DROP/CREATE TRIGGER change nothing, and hold the table's lock only that long.)
"""

from __future__ import annotations

from contextlib import suppress

from mizzle.core.errors import MizzleError
from mizzle.core.model import Schema
from mizzle.core.operations import Operation
from mizzle.core.routine_ops import CreateTrigger, DropTrigger, ReplaceFunction
from mizzle.core.routines import Function, Trigger
from mizzle.core.tracking import MigrationDatabase
from mizzle.dialects.postgresql.routines_sql import NO_BODY_CHECKS, drop_trigger_sql, replace_function_sql

_FUNCTIONS_NAMED = """SELECT pg_get_functiondef(p.oid) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = %s AND p.proname = %s AND p.prokind IN ('f', 'p')"""
_TRIGGER = """SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.oid = to_regclass(%s) AND t.tgname = %s"""


def printed_code(db: MigrationDatabase, target: Schema, operations: list[Operation]) -> Schema:
    """`target` with the functions and triggers `operations` would replace spelled as the
    database prints them, where the database holds them so already."""
    replaced = [op for op in operations if isinstance(op, ReplaceFunction)]
    dropped = {(d.table, d.trigger.name): d.trigger for d in operations if isinstance(d, DropTrigger)}
    remade = [c for c in operations if isinstance(c, CreateTrigger) and (c.table, c.trigger.name) in dropped]
    if not replaced and not remade:
        return target
    functions: dict[tuple[str, str, str], Function] = {}
    triggers: dict[tuple[str, str], Trigger] = {}
    try:
        db.begin()
        for op in replaced:
            printed = _function(db, op.new)
            if printed == op.old:
                functions[op.new.key] = printed
        for create in remade:
            old = dropped[(create.table, create.trigger.name)]
            made = _trigger(db, create.table, create.trigger, old)
            if made is not None and made.postgresql == old.postgresql:
                triggers[(create.table, create.trigger.name)] = made
    except MizzleError:
        return target  # the database refuses the text as written: it stays as the schema wrote it
    finally:
        with suppress(MizzleError):
            db.rollback()
    return _substitute(target, functions, triggers)


def _function(db: MigrationDatabase, function: Function) -> Function | None:
    db.execute(NO_BODY_CHECKS)
    db.execute(replace_function_sql(function))
    for (text,) in db.query(_FUNCTIONS_NAMED, (function.schema_name, function.name)):
        printed = Function(definition=str(text))
        if printed.key == function.key:
            return printed
    return None


def _trigger(db: MigrationDatabase, table: str, trigger: Trigger, old: Trigger) -> Trigger | None:
    if trigger.postgresql is None:
        return None
    db.execute(drop_trigger_sql(table, old))
    db.execute(trigger.postgresql)
    rows = db.query(_TRIGGER, (_regclass(table), trigger.name))
    if not rows:
        return None
    return trigger.model_copy(update={"postgresql": str(rows[0][0])})


def _regclass(table: str) -> str:
    return '"' + table.replace('"', '""') + '"'


def _substitute(
    target: Schema, functions: dict[tuple[str, str, str], Function], triggers: dict[tuple[str, str], Trigger]
) -> Schema:
    if not functions and not triggers:
        return target
    tables = []
    for table in target.tables:
        mine = tuple(triggers.get((table.name, t.name), t) for t in table.triggers)
        tables.append(table if mine == table.triggers else table.model_copy(update={"triggers": mine}))
    code = tuple(functions.get(f.key, f) for f in target.functions)
    return target.model_copy(update={"tables": tuple(tables), "functions": code})
