"""Code the database runs, in the DSL: functions, triggers and extensions, written as the SQL
each database takes (mizzle does not translate code between databases; see
`mizzle.core.routines`).

    from mizzle.dsl import extension, function, trigger

    Pgcrypto = extension("pgcrypto", schema="extensions")
    TouchUpdatedAt = function('''
        CREATE OR REPLACE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN NEW.updated_at = now(); RETURN NEW; END $$
    ''')
    TuneTouched = trigger(
        "tune_touched",
        Tune,   # or the table's name
        postgresql="CREATE TRIGGER tune_touched BEFORE UPDATE ON tune FOR EACH ROW EXECUTE FUNCTION touch()",
        sqlite="CREATE TRIGGER tune_touched AFTER UPDATE ON tune BEGIN UPDATE tune SET ... ; END",
    )

A function and an extension are PostgreSQL's; a trigger given for one database only is that
database's (`generate` says so in the migration's header). A virtual table is SQLite's:

    ChatSearchFts = virtual_table("chat_search_fts", "CREATE VIRTUAL TABLE chat_search_fts USING fts5(title, body)")
"""

from __future__ import annotations

import textwrap
from typing import Any

from pydantic import ValidationError

from mizzle.core import model
from mizzle.core.errors import SchemaError
from mizzle.core.routines import Extension, Function, Trigger, TriggerState
from mizzle.core.virtual_tables import VirtualTable
from mizzle.sources.dsl.table import Table, _caller, table_name


def _dedented(text: str) -> str:
    """A triple-quoted block opened on its own line and indented with the code around it
    loses that indentation; any other text is kept exactly (its blank lines too)."""
    return textwrap.dedent(text) if text.startswith("\n") else text


def _message(err: ValidationError) -> str:
    return str(err.errors()[0]["msg"]).removeprefix("Value error, ")


class FunctionDecl:
    """`function(sql)`: a PostgreSQL function or procedure, its CREATE statement as written."""

    __slots__ = ("function", "source")

    def __init__(self, definition: str) -> None:
        self.source = _caller(3)
        try:
            self.function = Function(definition=_dedented(definition))
        except ValidationError as err:
            raise SchemaError(f"function: {_message(err)}") from None


class TriggerDecl:
    """`trigger(name, table, postgresql=..., sqlite=...)`: a trigger of `table` (its class or
    name), as each database takes it."""

    __slots__ = ("source", "table", "trigger")

    def __init__(self, name: str, table: type[Table] | str, fields: dict[str, Any]) -> None:
        self.source = _caller(3)
        self.table = table if isinstance(table, str) else table_name(table)
        try:
            self.trigger = Trigger(name=name, **fields)
        except ValidationError as err:
            raise SchemaError(f'table "{self.table}", trigger "{name}": {_message(err)}') from None


class ExtensionDecl:
    """`extension(name, schema=None, version=None)`: a PostgreSQL extension."""

    __slots__ = ("extension", "source")

    def __init__(self, extension: Extension) -> None:
        self.source = _caller(3)
        self.extension = extension


class VirtualTableDecl:
    """`virtual_table(name, sqlite)`: a SQLite virtual table, its CREATE VIRTUAL TABLE statement."""

    __slots__ = ("source", "table")

    def __init__(self, name: str, sqlite: str) -> None:
        self.source = _caller(3)
        try:
            self.table = VirtualTable(name=name, sqlite=_dedented(sqlite))
        except ValidationError as err:
            raise SchemaError(_message(err)) from None


def function(definition: str) -> FunctionDecl:
    return FunctionDecl(definition)


def trigger(
    name: str,
    table: type[Table] | str,
    *,
    postgresql: str | None = None,
    sqlite: str | None = None,
    state: TriggerState = "enabled",
) -> TriggerDecl:
    texts = {k: _dedented(v) for k, v in (("postgresql", postgresql), ("sqlite", sqlite)) if v is not None}
    return TriggerDecl(name, table, {**texts, "state": state})


def extension(name: str, *, schema: str | None = None, version: str | None = None) -> ExtensionDecl:
    return ExtensionDecl(Extension(name=name, schema_name=schema, version=version))


def virtual_table(name: str, sqlite: str) -> VirtualTableDecl:
    return VirtualTableDecl(name, sqlite)


CodeDecl = FunctionDecl | TriggerDecl | ExtensionDecl | VirtualTableDecl


def with_code(schema: model.Schema, declared: list[CodeDecl]) -> model.Schema:
    """`schema` holding the declared code; a trigger of a table the schema lacks is an error."""
    if not declared:
        return schema
    functions = tuple(d.function for d in declared if isinstance(d, FunctionDecl))
    extensions = tuple(d.extension for d in declared if isinstance(d, ExtensionDecl))
    virtual = tuple(d.table for d in declared if isinstance(d, VirtualTableDecl))
    for v in virtual:
        if schema.table(v.name) is not None or schema.view(v.name) is not None:
            raise SchemaError(f'virtual table "{v.name}": the schema has a table or view of that name')
    triggers: dict[str, list[Trigger]] = {}
    for d in declared:
        if isinstance(d, TriggerDecl):
            if schema.table(d.table) is None:
                raise SchemaError(f'trigger "{d.trigger.name}": no table "{d.table}" in the schema')
            triggers.setdefault(d.table, []).append(d.trigger)
    tables = tuple(
        t.model_copy(update={"triggers": (*t.triggers, *triggers[t.name])}) if t.name in triggers else t
        for t in schema.tables
    )
    fields = {"tables": tables, "functions": functions, "extensions": extensions, "virtual_tables": virtual}
    return schema.model_copy(update=fields)
