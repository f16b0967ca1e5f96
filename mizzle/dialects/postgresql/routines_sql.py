"""The statements of the code PostgreSQL runs (`core/routines.py`): extensions, functions and
procedures, triggers. Definitions are written as the model holds them (PostgreSQL's own
text); only the names mizzle puts around them are quoted, by the renderer's rule."""

from __future__ import annotations

from mizzle.core.routines import Extension, Function, Trigger
from mizzle.dialects import ddl_trees as ddl

ident = ddl.quote_ident

#: Bodies are checked when they run, not when they are created, as pg_dump does: a SQL
#: function may read a view created after it, or a table of a later migration step.
NO_BODY_CHECKS = "SET LOCAL check_function_bodies = false"
NO_BODY_CHECKS_SESSION = "SET check_function_bodies = false"

_STATES = {"disabled": "DISABLE TRIGGER", "replica": "ENABLE REPLICA TRIGGER", "always": "ENABLE ALWAYS TRIGGER"}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_extension_sql(extension: Extension) -> str:
    sql = f"CREATE EXTENSION IF NOT EXISTS {ident(extension.name)}"
    if extension.schema_name is not None:
        sql += f" WITH SCHEMA {ident(extension.schema_name)}"
    if extension.version is not None:
        sql += f" VERSION {_literal(extension.version)}"
    return sql


def drop_extension_sql(extension: Extension) -> str:
    return f"DROP EXTENSION {ident(extension.name)}"


def replace_function_sql(function: Function) -> str:
    text = function.definition
    head = text.lstrip()
    if head[:6].upper() == "CREATE" and "REPLACE" not in head[:40].upper():
        # CREATE FUNCTION → CREATE OR REPLACE FUNCTION (the word after CREATE is FUNCTION/PROCEDURE)
        start = len(text) - len(head)
        return text[:start] + "CREATE OR REPLACE" + head[6:]
    return text


def drop_function_sql(function: Function) -> str:
    kind = "PROCEDURE" if function.kind == "procedure" else "FUNCTION"
    return f"DROP {kind} {ident(function.schema_name)}.{ident(function.name)}({function.arguments})"


def create_trigger_sql(table: str, trigger: Trigger) -> list[str]:
    """CREATE TRIGGER, then its state when it is not plainly enabled."""
    assert trigger.postgresql is not None
    statements = [trigger.postgresql]
    if trigger.state in _STATES:
        statements.append(
            f"ALTER TABLE {ddl.relation_sql(table, 'postgres')} {_STATES[trigger.state]} {ident(trigger.name)}"
        )
    return statements


def drop_trigger_sql(table: str, trigger: Trigger) -> str:
    return f"DROP TRIGGER {ident(trigger.name)} ON {ddl.relation_sql(table, 'postgres')}"
