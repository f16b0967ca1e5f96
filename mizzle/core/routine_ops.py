"""Operations on what a database holds verbatim: the code it runs (`core/routines.py`:
functions and procedures, triggers, extensions) and SQLite's virtual tables
(`core/virtual_tables.py`). Each carries the object whole, so its reverse is exact: undoing a
DropFunction creates the very definition dropped, undoing a ReplaceFunction puts the old
definition back.

None of the code's touches rows, so all are SAFE: a function or trigger dropped is code the
migration's down file (or the schema) has verbatim. Dropping a virtual table drops what it
holds: DATA_LOSS.
"""

from __future__ import annotations

from typing import Literal

from mizzle.core.operations import Operation, Safety
from mizzle.core.routines import Extension, Function, Trigger
from mizzle.core.virtual_tables import VirtualTable

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


# --- SQLite's virtual tables ------------------------------------------------------------------


class CreateVirtualTable(Operation):
    op: Literal["create_virtual_table"] = "create_virtual_table"
    table: VirtualTable

    def reverse(self) -> DropVirtualTable:
        return DropVirtualTable(table=self.table)

    def describe(self) -> str:
        return f"create virtual table {self.table.name} using {self.table.module}"


class DropVirtualTable(Operation):
    """Drops what the virtual table holds (an FTS index with its own content: the indexed text
    too); its reverse makes it again empty."""

    op: Literal["drop_virtual_table"] = "drop_virtual_table"
    table: VirtualTable

    def reverse(self) -> CreateVirtualTable:
        return CreateVirtualTable(table=self.table)

    @property
    def safety(self) -> Safety:
        return Safety.DATA_LOSS

    def describe(self) -> str:
        return f"drop virtual table {self.table.name}"


ROUTINE_OPERATIONS: tuple[type[Operation], ...] = (
    CreateExtension,
    DropExtension,
    CreateFunction,
    DropFunction,
    ReplaceFunction,
    CreateTrigger,
    DropTrigger,
)
