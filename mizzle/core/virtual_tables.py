"""SQLite virtual tables (FTS5, FTS4, R*Tree, ...), carried verbatim.

A virtual table is SQLite's alone: its module (`USING fts5(...)`) and arguments are the
module's own language, which mizzle neither translates nor checks, so the model holds its
`CREATE VIRTUAL TABLE` statement as SQLite keeps it in `sqlite_master`. PostgreSQL has no
such thing: there it does not exist (generate's header says `device-only`), and it never
blocks the PostgreSQL side. SQLite makes the module's shadow tables (`<name>_data`,
`<name>_idx`, ...) itself; they are never part of the model.

The name is read from the statement and must agree with `name`, so that the two cannot
disagree (SQLite names are case-insensitive: compared case-folded).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from mizzle.core.routines import definition_text

_FROZEN = ConfigDict(frozen=True, extra="forbid")

_NAME = r"""(?:"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|[^\s"`\[(.]+)"""
_HEAD = re.compile(
    rf"^\s*CREATE\s+VIRTUAL\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:{_NAME}\s*\.\s*)?({_NAME})\s+USING\s+(\w+)",
    re.IGNORECASE,
)


def _unquoted(name: str) -> str:
    if name[:1] in ('"', "`"):
        return name[1:-1].replace(name[0] * 2, name[0])
    if name[:1] == "[":
        return name[1:-1]
    return name


def read_head(text: str) -> tuple[str, str] | None:
    """(name, module) of a CREATE VIRTUAL TABLE statement; None when `text` is not one."""
    found = _HEAD.match(text)
    if found is None:
        return None
    return _unquoted(found.group(1)), found.group(2).lower()


class VirtualTable(BaseModel):
    """A SQLite virtual table: its whole CREATE VIRTUAL TABLE statement, as written."""

    model_config = _FROZEN

    name: str
    sqlite: str

    @field_validator("sqlite")
    @classmethod
    def _kept(cls, text: str) -> str:
        return definition_text(text)

    @model_validator(mode="after")
    def _readable(self) -> VirtualTable:
        head = read_head(self.sqlite)
        if head is None:
            raise ValueError(
                f"virtual table {self.name}: give its CREATE VIRTUAL TABLE ... USING module(...) statement"
            )
        if head[0].casefold() != self.name.casefold():
            raise ValueError(f'virtual table {self.name}: its statement creates "{head[0]}"')
        return self

    @property
    def module(self) -> str:
        """The module it uses (`fts5`), lower case."""
        head = read_head(self.sqlite)
        return head[1] if head else "?"
