"""The code a `.sql` schema creates (`core/routines.py`): CREATE [OR REPLACE] FUNCTION and
PROCEDURE, CREATE TRIGGER, CREATE EXTENSION, kept as written. Only schema `public` is read,
as for tables: code elsewhere (`basejump.*`, `auth.*`) is reported by name."""

from __future__ import annotations

from dataclasses import dataclass, field

from mizzle.core.model import Table
from mizzle.core.routines import Extension, Function, Trigger
from mizzle.sources.sql.split import Statement, Tokens


@dataclass
class DraftCode:
    functions: dict[tuple[str, str, str], Function] = field(default_factory=dict)
    #: table → trigger name → the trigger
    triggers: dict[str, dict[str, Trigger]] = field(default_factory=dict)
    extensions: dict[str, Extension] = field(default_factory=dict)

    def function(self, st: Statement) -> Function:
        """The function or procedure `st` creates (a later CREATE OR REPLACE replaces it)."""
        function = Function(definition=st.text)
        self.functions[function.key] = function
        return function

    def trigger(self, st: Statement, name: str, table: str) -> None:
        self.triggers.setdefault(table, {})[name] = Trigger(name=name, postgresql=st.text)

    def extension(self, st: Statement) -> None:
        tokens = Tokens(st.text)
        tokens.skip_to("EXTENSION")
        tokens.accept("IF", "NOT", "EXISTS")
        name = tokens.name()[-1]
        schema = version = None
        while tokens.peek() is not None:
            if tokens.accept("SCHEMA"):
                schema = tokens.name()[-1]
            elif tokens.accept("VERSION"):
                version = tokens.string() or (tokens.name() or ("",))[-1]
            else:
                tokens.next()
        self.extensions.setdefault(name, Extension(name=name, schema_name=schema, version=version))

    def drop_trigger(self, name: str, table: str = "") -> bool:
        return self.triggers.get(table, {}).pop(name, None) is not None

    def drop_function(self, name: str) -> bool:
        """`DROP FUNCTION name(...)`: every overload of that name (the argument types as
        written need not read as the definition wrote them)."""
        keys = [k for k in self.functions if k[1] == name]
        for key in keys:
            del self.functions[key]
        return bool(keys)

    def with_triggers(self, table: Table) -> Table:
        held = self.triggers.get(table.name)
        return table.model_copy(update={"triggers": tuple(held.values())}) if held else table
