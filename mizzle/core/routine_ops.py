"""Operations on the code a database runs (`core/routines.py`): functions and procedures,
triggers, extensions. Each carries the object whole, so its reverse is exact: undoing a
DropFunction creates the very definition dropped, undoing a ReplaceFunction puts the old
definition back.

None of them touches rows, so all are SAFE: a function or trigger dropped is code the
migration's down file (or the schema) has verbatim.
"""

from __future__ import annotations

from typing import Literal

from mizzle.core.operations import Operation
from mizzle.core.routines import Extension, Function, Trigger

# --- extensions ------------------------------------------------------------------------------


class CreateExtension(Operation):
    op: Literal["create_extension"] = "create_extension"
    extension: Extension

    def reverse(self) -> DropExtension:
        return DropExtension(extension=self.extension)

    def describe(self) -> str:
        return f"create extension {self.extension.name}"


class DropExtension(Operation):
    op: Literal["drop_extension"] = "drop_extension"
    extension: Extension

    def reverse(self) -> CreateExtension:
        return CreateExtension(extension=self.extension)

    def describe(self) -> str:
        return f"drop extension {self.extension.name}"


# --- functions and procedures ----------------------------------------------------------------


class CreateFunction(Operation):
    op: Literal["create_function"] = "create_function"
    function: Function

    def reverse(self) -> DropFunction:
        return DropFunction(function=self.function)

    def describe(self) -> str:
        return f"create {self.function.describe()}"


class DropFunction(Operation):
    op: Literal["drop_function"] = "drop_function"
    function: Function

    def reverse(self) -> CreateFunction:
        return CreateFunction(function=self.function)

    def describe(self) -> str:
        return f"drop {self.function.kind} {self.function.label}"


class ReplaceFunction(Operation):
    """The same function (schema, name, arguments) with another definition: CREATE OR REPLACE."""

    op: Literal["replace_function"] = "replace_function"
    old: Function
    new: Function

    def reverse(self) -> ReplaceFunction:
        return ReplaceFunction(old=self.new, new=self.old)

    def describe(self) -> str:
        return f"replace {self.new.describe()}"


# --- triggers ----------------------------------------------------------------------------------


class CreateTrigger(Operation):
    op: Literal["create_trigger"] = "create_trigger"
    table: str
    trigger: Trigger

    def reverse(self) -> DropTrigger:
        return DropTrigger(table=self.table, trigger=self.trigger)

    @property
    def table_name(self) -> str:
        return self.table

    def describe(self) -> str:
        return f"create trigger {self.trigger.name} on {self.table}"


class DropTrigger(Operation):
    op: Literal["drop_trigger"] = "drop_trigger"
    table: str
    trigger: Trigger

    def reverse(self) -> CreateTrigger:
        return CreateTrigger(table=self.table, trigger=self.trigger)

    @property
    def table_name(self) -> str:
        return self.table

    def describe(self) -> str:
        return f"drop trigger {self.trigger.name} on {self.table}"


ROUTINE_OPERATIONS: tuple[type[Operation], ...] = (
    CreateExtension,
    DropExtension,
    CreateFunction,
    DropFunction,
    ReplaceFunction,
    CreateTrigger,
    DropTrigger,
)
