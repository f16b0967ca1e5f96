"""Schema changes as operations: plain immutable data, each with its reverse and its safety.

`diff(old, new)` (core/diff.py) produces them; each dialect's planner turns them into SQL
(`dialects/*/plan.py`). An operation points at model objects rather than copying their
fields, so its reverse is exact: DropColumn carries the Column it drops, and its reverse
AddColumn re-creates exactly that column (its data is another matter: see `Safety`).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict

from mizzle.core.model import Check, Column, Enum, ForeignKey, Index, PrimaryKey, Table, Unique, View
from mizzle.core.security import SecurityItem


class Safety(StrEnum):
    """What running an operation on a database with rows can do."""

    SAFE = "safe"
    #: may fail on existing data (NOT NULL over NULLs, a unique over duplicates, a narrowing cast,
    #: removing an enum value rows hold): the planners guard it, so it fails whole, losing nothing
    MAY_FAIL = "may fail"
    #: destroys data (dropping a table or column, dropping the sync support objects' tombstones)
    DATA_LOSS = "data loss"


class Operation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    op: str

    def reverse(self) -> Operation:
        raise TypeError(f"{type(self).__name__} defines no reverse")  # every subclass overrides

    @property
    def safety(self) -> Safety:
        return Safety.SAFE

    @property
    def table_name(self) -> str | None:
        """The table the operation changes, if it changes one (planners group by it)."""
        return None

    def describe(self) -> str:
        """One line for humans: migration headers, prompts, `--dry-run`."""
        return self.op


# --- tables --------------------------------------------------------------------------------


class CreateTable(Operation):
    op: Literal["create_table"] = "create_table"
    table: Table

    def reverse(self) -> DropTable:
        return DropTable(table=self.table)

    @property
    def table_name(self) -> str:
        return self.table.name

    def describe(self) -> str:
        return f"create table {self.table.name}"


class DropTable(Operation):
    op: Literal["drop_table"] = "drop_table"
    table: Table

    def reverse(self) -> CreateTable:
        return CreateTable(table=self.table)

    @property
    def safety(self) -> Safety:
        return Safety.DATA_LOSS

    @property
    def table_name(self) -> str:
        return self.table.name

    def describe(self) -> str:
        return f"drop table {self.table.name} (its rows are lost)"


class RenameTable(Operation):
    op: Literal["rename_table"] = "rename_table"
    old: str
    new: str

    def reverse(self) -> RenameTable:
        return RenameTable(old=self.new, new=self.old)

    @property
    def table_name(self) -> str:
        return self.new

    def describe(self) -> str:
        return f"rename table {self.old} to {self.new}"


# --- columns -------------------------------------------------------------------------------


class AddColumn(Operation):
    op: Literal["add_column"] = "add_column"
    table: str
    column: Column

    def reverse(self) -> DropColumn:
        return DropColumn(table=self.table, column=self.column)

    @property
    def safety(self) -> Safety:
        # NOT NULL without a default cannot be added to a table that has rows
        return Safety.SAFE if _fills_rows(self.column) else Safety.MAY_FAIL

    @property
    def table_name(self) -> str:
        return self.table

    def describe(self) -> str:
        return f"add column {self.table}.{self.column.name} {self.column.type.describe()}"


class DropColumn(Operation):
    op: Literal["drop_column"] = "drop_column"
    table: str
    column: Column

    def reverse(self) -> AddColumn:
        return AddColumn(table=self.table, column=self.column)

    @property
    def safety(self) -> Safety:
        # a generated column's values are computed from the row: adding it back recomputes them
        return Safety.SAFE if self.column.generated is not None else Safety.DATA_LOSS

    @property
    def table_name(self) -> str:
        return self.table

    def describe(self) -> str:
        return f"drop column {self.table}.{self.column.name} (its values are lost)"


class RenameColumn(Operation):
    op: Literal["rename_column"] = "rename_column"
    table: str  # the table's name when the rename runs (after any table rename)
    old: str
    new: str

    def reverse(self) -> RenameColumn:
        return RenameColumn(table=self.table, old=self.new, new=self.old)

    @property
    def table_name(self) -> str:
        return self.table

    def describe(self) -> str:
        return f"rename column {self.table}.{self.old} to {self.new}"


#: SQLite-only facts of a column, as `describe` names a change of one (PostgreSQL has none of
#: them, and plans nothing for such a change).
_SQLITE_SPELLINGS = {
    "sqlite_type": "SQLite declared type",
    "sqlite_default": "SQLite default",
    "sqlite_autoincrement": "SQLite AUTOINCREMENT",
}


class AlterColumn(Operation):
    """A column that keeps its name but changes type, nullability and/or default."""

    op: Literal["alter_column"] = "alter_column"
    table: str
    old: Column
    new: Column

    def reverse(self) -> AlterColumn:
        return AlterColumn(table=self.table, old=self.new, new=self.old)

    @property
    def type_changed(self) -> bool:
        return self.old.type != self.new.type

    @property
    def nullable_changed(self) -> bool:
        return self.old.nullable != self.new.nullable

    @property
    def default_changed(self) -> bool:
        return self.old.default != self.new.default

    @property
    def safety(self) -> Safety:
        if self.new.generated is not None and self.old.generated is None:
            return Safety.DATA_LOSS  # the values the column held are replaced by computed ones
        # Each part on its own: a widening that also sets NOT NULL still meets the NULL rows.
        if self.type_changed and not is_widening(self.old, self.new):
            return Safety.MAY_FAIL
        if self.nullable_changed and not _fills_rows(self.new):
            return Safety.MAY_FAIL  # NULL rows fail it (with a default, the planners backfill them)
        if self.old.sqlite_null_key and not self.new.sqlite_null_key:
            return Safety.MAY_FAIL  # SQLite's NULL keys fail it (guarded, see Column.sqlite_null_key)
        return Safety.SAFE

    @property
    def table_name(self) -> str:
        return self.table

    def describe(self) -> str:
        parts = []
        if self.type_changed:
            parts.append(f"type {self.old.type.describe()} → {self.new.type.describe()}")
        if self.nullable_changed:
            parts.append("drop NOT NULL" if self.new.nullable else "set NOT NULL")
        if self.default_changed:
            parts.append("drop default" if self.new.default is None else "set default")
        if self.old.identity != self.new.identity:
            parts.append("drop identity" if self.new.identity is None else "identity")
        if self.old.sequence != self.new.sequence:
            parts.append("sequence options")
        if self.old.generated != self.new.generated:
            parts.append("drop generated" if self.new.generated is None else f"generated as ({self.new.generated})")
        for field, what in _SQLITE_SPELLINGS.items():
            if getattr(self.old, field) != getattr(self.new, field):
                parts.append(what)
        if self.old.sqlite_null_key != self.new.sqlite_null_key:
            parts.append("SQLite key without NOT NULL" if self.new.sqlite_null_key else "SQLite key NOT NULL")
        return f"alter column {self.table}.{self.new.name}: {', '.join(parts)}"


_SERIALS = {"serial", "bigserial"}


def _fills_rows(column: Column) -> bool:
    """Whether every existing row can hold `column`: it takes NULL, or a default (a serial's
    is its sequence) gives each row a value."""
    return (
        column.nullable
        or column.default is not None
        or column.type.kind.value in _SERIALS
        or column.identity is not None
        or column.generated is not None
    )


_INTEGER_WIDTH = {"smallint": 1, "integer": 2, "serial": 2, "bigint": 3, "bigserial": 3}


def is_widening(old: Column, new: Column) -> bool:
    """Whether every value of `old`'s type fits `new`'s type unchanged (a change that cannot fail)."""
    a, b = old.type, new.type
    if a.array_dims != b.array_dims:
        return False
    ka, kb = a.kind.value, b.kind.value
    if ka in _INTEGER_WIDTH and kb in _INTEGER_WIDTH:
        return _INTEGER_WIDTH[kb] >= _INTEGER_WIDTH[ka]
    if ka in ("varchar", "char") and kb == "text":
        return True
    if ka == kb == "varchar":
        return b.length is None or (a.length is not None and b.length >= a.length)
    if ka in _INTEGER_WIDTH and kb == "numeric":
        return b.precision is None
    if ka == kb == "numeric":
        if b.precision is None:
            return True
        if a.precision is None:
            return False
        return (b.scale or 0) >= (a.scale or 0) and b.precision - (b.scale or 0) >= a.precision - (a.scale or 0)
    if ka == "real" and kb == "double":
        return True
    if ka == "json" and kb == "jsonb":
        return False  # jsonb rejects some json texts (duplicate keys are folded, \u0000 refused)
    return ka == kb and a == b


# --- constraints and indexes -----------------------------------------------------------------


class _TablePart(Operation):
    table: str

    @property
    def table_name(self) -> str:
        return self.table


class AddPrimaryKey(_TablePart):
    op: Literal["add_primary_key"] = "add_primary_key"
    key: PrimaryKey

    def reverse(self) -> DropPrimaryKey:
        return DropPrimaryKey(table=self.table, key=self.key)

    @property
    def safety(self) -> Safety:
        return Safety.MAY_FAIL

    def describe(self) -> str:
        return f"add primary key {self.key.name} on {self.table}({', '.join(self.key.columns)})"


class DropPrimaryKey(_TablePart):
    op: Literal["drop_primary_key"] = "drop_primary_key"
    key: PrimaryKey

    def reverse(self) -> AddPrimaryKey:
        return AddPrimaryKey(table=self.table, key=self.key)

    def describe(self) -> str:
        return f"drop primary key {self.key.name} on {self.table}"


class AddForeignKey(_TablePart):
    op: Literal["add_foreign_key"] = "add_foreign_key"
    fk: ForeignKey

    def reverse(self) -> DropForeignKey:
        return DropForeignKey(table=self.table, fk=self.fk)

    @property
    def safety(self) -> Safety:
        return Safety.MAY_FAIL  # rows whose key has no parent fail it

    def describe(self) -> str:
        return f"add foreign key {self.fk.name} on {self.table}({', '.join(self.fk.columns)}) → {self.fk.ref_shown}"


class DropForeignKey(_TablePart):
    op: Literal["drop_foreign_key"] = "drop_foreign_key"
    fk: ForeignKey

    def reverse(self) -> AddForeignKey:
        return AddForeignKey(table=self.table, fk=self.fk)

    def describe(self) -> str:
        return f"drop foreign key {self.fk.name} on {self.table}"


class AddUnique(_TablePart):
    op: Literal["add_unique"] = "add_unique"
    unique: Unique

    def reverse(self) -> DropUnique:
        return DropUnique(table=self.table, unique=self.unique)

    @property
    def safety(self) -> Safety:
        return Safety.MAY_FAIL  # duplicates fail it

    def describe(self) -> str:
        return f"add unique {self.unique.name} on {self.table}({', '.join(self.unique.columns)})"


class DropUnique(_TablePart):
    op: Literal["drop_unique"] = "drop_unique"
    unique: Unique

    def reverse(self) -> AddUnique:
        return AddUnique(table=self.table, unique=self.unique)

    def describe(self) -> str:
        return f"drop unique {self.unique.name} on {self.table}"


class AddCheck(_TablePart):
    op: Literal["add_check"] = "add_check"
    check: Check

    def reverse(self) -> DropCheck:
        return DropCheck(table=self.table, check=self.check)

    @property
    def safety(self) -> Safety:
        return Safety.MAY_FAIL  # rows that break it fail it

    def describe(self) -> str:
        return f"add check {self.check.name} on {self.table}: {self.check.expr.sql}"


class DropCheck(_TablePart):
    op: Literal["drop_check"] = "drop_check"
    check: Check

    def reverse(self) -> AddCheck:
        return AddCheck(table=self.table, check=self.check)

    def describe(self) -> str:
        return f"drop check {self.check.name} on {self.table}"


class CreateIndex(_TablePart):
    op: Literal["create_index"] = "create_index"
    index: Index
    #: PostgreSQL: CREATE INDEX CONCURRENTLY, run outside the migration's transaction
    concurrently: bool = False

    def reverse(self) -> DropIndex:
        return DropIndex(table=self.table, index=self.index, concurrently=self.concurrently)

    @property
    def safety(self) -> Safety:
        return Safety.MAY_FAIL if self.index.unique else Safety.SAFE

    def describe(self) -> str:
        kind = "unique index" if self.index.unique else "index"
        return f"create {kind} {self.index.name} on {self.table}"


class DropIndex(_TablePart):
    op: Literal["drop_index"] = "drop_index"
    index: Index
    #: PostgreSQL: DROP INDEX CONCURRENTLY, and re-built concurrently when undone. Carried so
    #: that the reverse of a concurrent CreateIndex reverses back to it.
    concurrently: bool = False

    def reverse(self) -> CreateIndex:
        return CreateIndex(table=self.table, index=self.index, concurrently=self.concurrently)

    def describe(self) -> str:
        return f"drop index {self.index.name} on {self.table}"


# --- enums and views ------------------------------------------------------------------------


class CreateEnum(Operation):
    op: Literal["create_enum"] = "create_enum"
    enum: Enum

    def reverse(self) -> DropEnum:
        return DropEnum(enum=self.enum)

    def describe(self) -> str:
        return f"create enum {self.enum.name} {list(self.enum.values)}"


class DropEnum(Operation):
    op: Literal["drop_enum"] = "drop_enum"
    enum: Enum

    def reverse(self) -> CreateEnum:
        return CreateEnum(enum=self.enum)

    def describe(self) -> str:
        return f"drop enum {self.enum.name}"


class AlterEnum(Operation):
    """An enum whose values change. Adding values is safe; removing or reordering values is
    not something PostgreSQL can do in place (the planners recreate the type)."""

    op: Literal["alter_enum"] = "alter_enum"
    old: Enum
    new: Enum

    def reverse(self) -> AlterEnum:
        return AlterEnum(old=self.new, new=self.old)

    @property
    def added(self) -> list[str]:
        return [v for v in self.new.values if v not in self.old.values]

    @property
    def removed(self) -> list[str]:
        return [v for v in self.old.values if v not in self.new.values]

    @property
    def only_appends(self) -> bool:
        """New values only, the old ones keeping their order (PostgreSQL's ADD VALUE covers it)."""
        kept = [v for v in self.new.values if v in self.old.values]
        return not self.removed and kept == list(self.old.values)

    @property
    def safety(self) -> Safety:
        return Safety.MAY_FAIL if self.removed else Safety.SAFE  # rows holding a removed value fail

    def describe(self) -> str:
        parts = [f"add {self.added}"] if self.added else []
        parts += [f"remove {self.removed}"] if self.removed else []
        return f"alter enum {self.new.name}: {', '.join(parts) or 'reorder values'}"


class CreateView(Operation):
    op: Literal["create_view"] = "create_view"
    view: View

    def reverse(self) -> DropView:
        return DropView(view=self.view)

    def describe(self) -> str:
        return f"create view {self.view.name}"


class DropView(Operation):
    op: Literal["drop_view"] = "drop_view"
    view: View

    def reverse(self) -> CreateView:
        return CreateView(view=self.view)

    def describe(self) -> str:
        return f"drop view {self.view.name}"


class ReplaceView(Operation):
    op: Literal["replace_view"] = "replace_view"
    old: View
    new: View

    def reverse(self) -> ReplaceView:
        return ReplaceView(old=self.new, new=self.old)

    def describe(self) -> str:
        return f"replace view {self.new.name}"


# --- sync tables -----------------------------------------------------------------------------
#
# A sync table's columns and index are ordinary columns and indexes (AddColumn, CreateIndex);
# these operations add and drop what is not in the model's tables: the change-tracking
# triggers, and the per-database objects they write to. CreateTable/DropTable of a sync
# table carry its triggers themselves.


class _SyncTriggers(Operation):
    """The change-tracking triggers of `table`, which read its primary key `primary_key`."""

    table: str
    primary_key: tuple[str, ...]

    @property
    def table_name(self) -> str:
        return self.table


class EnableSync(_SyncTriggers):
    """Create the change-tracking triggers of `table` (its sync columns exist by now)."""

    op: Literal["enable_sync"] = "enable_sync"

    def reverse(self) -> DisableSync:
        return DisableSync(table=self.table, primary_key=self.primary_key)

    def describe(self) -> str:
        return f"track changes of {self.table} (sync triggers)"


class DisableSync(_SyncTriggers):
    """Drop the change-tracking triggers of `table` (its sync columns stay unless dropped)."""

    op: Literal["disable_sync"] = "disable_sync"

    def reverse(self) -> EnableSync:
        return EnableSync(table=self.table, primary_key=self.primary_key)

    def describe(self) -> str:
        return f"stop tracking changes of {self.table} (drop sync triggers)"


class CreateSyncSupport(Operation):
    """The per-database objects sync triggers use: the tombstone table, and PostgreSQL's
    trigger functions or SQLite's control and sequence tables.

    `upgrade`: they exist already, in an older form, and are brought up to date (their
    statements are idempotent); what is added then is kept by a rollback, which the older
    triggers ignore, so the reverse is the same upgrade, never a drop of the tombstones."""

    op: Literal["create_sync_support"] = "create_sync_support"
    upgrade: bool = False

    def reverse(self) -> DropSyncSupport | CreateSyncSupport:
        return CreateSyncSupport(upgrade=True) if self.upgrade else DropSyncSupport()

    def describe(self) -> str:
        if self.upgrade:
            return "bring the sync support objects up to date (commit-ordered pull cursor)"
        return "create the sync support objects (tombstone log)"


class DropSyncSupport(Operation):
    op: Literal["drop_sync_support"] = "drop_sync_support"

    def reverse(self) -> CreateSyncSupport:
        return CreateSyncSupport()

    @property
    def safety(self) -> Safety:
        return Safety.DATA_LOSS  # the tombstones of deleted rows go with it

    def describe(self) -> str:
        return "drop the sync support objects (the tombstone log is lost)"


# --- server-only security (core/security.py) ----------------------------------------------------


class SetSecurity(Operation):
    """One security item comes (`old` None), goes (`new` None) or changes (both, same key):
    row level security, a policy, a grant, a default privilege, a comment. PostgreSQL only:
    SQLite holds none of them and plans nothing for it."""

    op: Literal["set_security"] = "set_security"
    old: SecurityItem | None = None
    new: SecurityItem | None = None

    def reverse(self) -> SetSecurity:
        return SetSecurity(old=self.new, new=self.old)

    def describe(self) -> str:
        if self.old is None and self.new is not None:
            return f"add {self.new.describe()}"
        if self.new is None and self.old is not None:
            return f"remove {self.old.describe()}"
        assert self.new is not None
        return f"change {self.new.describe()}"


def reverse_all(operations: list[Operation]) -> list[Operation]:
    """The operations that undo `operations`: each one's reverse, last first."""
    return [op.reverse() for op in reversed(operations)]
