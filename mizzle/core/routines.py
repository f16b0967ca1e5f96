"""Code the database runs, carried verbatim: functions and procedures, triggers, extensions.

mizzle does not translate code between databases: a PostgreSQL function is PostgreSQL's, a
SQLite trigger SQLite's. Each is held as the text the database prints back
(`pg_get_functiondef`, `pg_get_triggerdef`, `sqlite_master.sql`), so that what was read
from a database is written to another one unchanged, and a schema pulled from a database
compares equal to it. A function is known by its identity: schema, name and argument list
(overloads are different functions); what the diff shows about it (language, SECURITY
DEFINER, volatility) is read from its text, never stored beside it, so it cannot disagree.

A trigger hangs on its table (`Table.triggers`): dropping the table drops it, on both
databases. It holds one text per database; a trigger given for one database only is that
database's, and the other one never sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

_FROZEN = ConfigDict(frozen=True, extra="forbid")

# Where something that hides words from the header scan may start: quotes, dollar quotes, comments.
_SKIPPED = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|\$([^\W\d]\w*)?\$|--[^\n]*|/\*.*?\*/""", re.DOTALL)
_HEAD = re.compile(
    r"""^\s*CREATE\s+(?:OR\s+REPLACE\s+)?(FUNCTION|PROCEDURE)\s+"""
    r"""((?:"(?:[^"]|"")*"|[^\s"(.]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[^\s"(.]+))?)\s*\(""",
    re.IGNORECASE,
)
_VOLATILITY = ("immutable", "stable", "volatile")


def definition_text(text: str) -> str:
    """A definition as kept: surrounding blanks and a final `;` removed (a file ends each
    statement with one, `pg_get_functiondef` prints none)."""
    text = text.strip()
    return text[:-1].rstrip() if text.endswith(";") else text


def _outside_quotes(text: str) -> Iterator[tuple[int, str]]:
    """(position, chunk) of the text outside strings, quoted names, bodies and comments."""
    pos = 0
    while pos < len(text):
        found = _SKIPPED.search(text, pos)
        if found is None:
            yield pos, text[pos:]
            return
        yield pos, text[pos : found.start()]
        end = found.end()
        if found.group(0).startswith("$"):  # a dollar-quoted body runs to its closing tag
            close = text.find(found.group(0), end)
            end = len(text) if close < 0 else close + len(found.group(0))
        pos = end


def _words(text: str) -> list[str]:
    return [w.lower() for _, chunk in _outside_quotes(text) for w in re.findall(r"[^\W\d][\w$]*", chunk)]


def _unquoted(part: str) -> str:
    part = part.strip()
    if part.startswith('"'):
        return part[1:-1].replace('""', '"')
    return part.lower()


def _split_name(name: str) -> tuple[str, str]:
    parts = re.findall(r'"(?:[^"]|"")*"|[^\s".]+', name)
    if len(parts) == 2:
        return _unquoted(parts[0]), _unquoted(parts[1])
    return "public", _unquoted(parts[0])


def _arguments(text: str, start: int) -> tuple[str, int]:
    """The text between the parenthesis opened before `start` and its match, and the end."""
    depth = 1
    pos = start
    while pos < len(text):
        found = _SKIPPED.match(text, pos)
        if found is not None and found.group(0):
            pos = found.end()
            continue
        ch = text[pos]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return text[start:pos], pos + 1
        pos += 1
    raise ValueError("the argument list is not closed")


def _top_level_split(args: str) -> list[str]:
    parts: list[str] = []
    depth, start, pos = 0, 0, 0
    while pos < len(args):
        found = _SKIPPED.match(args, pos)
        if found is not None and found.group(0):
            pos = found.end()
            continue
        ch = args[pos]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(args[start:pos])
            start = pos + 1
        pos += 1
    parts.append(args[start:])
    return [p for p in (" ".join(p.split()) for p in parts) if p]


def identity_arguments(args: str) -> str:
    """The argument list without defaults, blanks collapsed: what names the function in a
    DROP FUNCTION (PostgreSQL accepts modes and names there, and ignores OUT arguments)."""
    kept = []
    for arg in _top_level_split(args):
        arg = re.split(r"\s+DEFAULT\s+|\s*=\s*", arg, maxsplit=1, flags=re.IGNORECASE)[0]
        kept.append(arg.strip())
    return ", ".join(kept)


class Function(BaseModel):
    """A PostgreSQL function or procedure: its whole CREATE statement, as written."""

    model_config = _FROZEN

    definition: str

    @field_validator("definition")
    @classmethod
    def _kept(cls, text: str) -> str:
        return definition_text(text)

    @model_validator(mode="after")
    def _readable(self) -> Function:
        self._head()  # a ValueError (pydantic's ValidationError) names what does not read
        return self

    def _head(self) -> tuple[str, str, str, str]:
        found = _HEAD.match(self.definition)
        if found is None:
            raise ValueError("a function is a CREATE [OR REPLACE] FUNCTION or PROCEDURE statement")
        schema, name = _split_name(found.group(2))
        args, _ = _arguments(self.definition, found.end())
        return found.group(1).lower(), schema, name, identity_arguments(args)

    @property
    def kind(self) -> Literal["function", "procedure"]:
        return "procedure" if self._head()[0] == "procedure" else "function"

    @property
    def schema_name(self) -> str:
        return self._head()[1]

    @property
    def name(self) -> str:
        return self._head()[2]

    @property
    def arguments(self) -> str:
        return self._head()[3]

    @property
    def key(self) -> tuple[str, str, str]:
        """What tells two functions apart: schema, name, arguments (overloads differ here)."""
        _, schema, name, args = self._head()
        return schema, name, args

    @property
    def label(self) -> str:
        schema, name, args = self.key
        return f"{schema}.{name}({args})"

    # --- facts read from the text (display and diff) ----------------------------------------

    @property
    def language(self) -> str:
        words = _words(self.definition)
        return next((words[i + 1] for i, w in enumerate(words[:-1]) if w == "language"), "sql")

    @property
    def security_definer(self) -> bool:
        words = _words(self.definition)
        return any(w == "security" and words[i + 1] == "definer" for i, w in enumerate(words[:-1]))

    @property
    def volatility(self) -> str:
        words = set(_words(self.definition))
        return next((v for v in _VOLATILITY if v in words), "volatile")

    def names_outside_body(self) -> frozenset[str]:
        """The words of its text outside the body, strings and quoted names (lower case):
        its arguments' and result's types among them."""
        return frozenset(_words(self.definition))

    def describe(self) -> str:
        facts = [self.language, self.volatility] + (["security definer"] if self.security_definer else [])
        return f"{self.kind} {self.label} ({', '.join(facts)})"


TriggerState = Literal["enabled", "disabled", "replica", "always"]


class Trigger(BaseModel):
    """A trigger of one table, as each database holds it (None: not on that database).
    `state` is PostgreSQL's (ALTER TABLE ... DISABLE TRIGGER / ENABLE REPLICA / ALWAYS)."""

    model_config = _FROZEN

    name: str
    postgresql: str | None = None
    sqlite: str | None = None
    state: TriggerState = "enabled"

    @field_validator("postgresql", "sqlite")
    @classmethod
    def _kept(cls, text: str | None) -> str | None:
        return None if text is None else definition_text(text)

    @model_validator(mode="after")
    def _somewhere(self) -> Trigger:
        if self.postgresql is None and self.sqlite is None:
            raise ValueError(f"trigger {self.name}: give its definition for postgresql, sqlite or both")
        return self

    def on(self, dialect: str) -> str | None:
        """Its text for `dialect` ("postgresql" or "sqlite"), None when it is not there."""
        text: str | None = getattr(self, dialect, None)
        return text

    def only_for(self, dialect: str) -> Trigger | None:
        """The trigger as `dialect` holds it: its text for the other database left out."""
        text = self.on(dialect)
        if text is None:
            return None
        fields: dict[str, Any] = {"name": self.name, "state": self.state, dialect: text}
        return Trigger(**fields)


class Extension(BaseModel):
    """A PostgreSQL extension. `schema_name`: where its objects go (None: the default);
    `version`: pinned only when asked (None: whatever the server installs)."""

    model_config = _FROZEN

    name: str
    schema_name: str | None = None
    version: str | None = None


def function_sort_key(function: Function) -> tuple[str, str, str]:
    return function.key


def needs_tables(function: Function, relations: frozenset[str]) -> bool:
    """Whether the function's signature may name one of `relations` (bare names, lower case):
    a table's row type as an argument or result (`RETURNS SETOF accounts`). Such a function
    is created after the tables; any other one before them, so that a column's DEFAULT or a
    CHECK may call it. A word that only looks like a table's name errs on the late side."""
    return not function.names_outside_body().isdisjoint(relations)


def relation_words(names: Iterable[str]) -> frozenset[str]:
    """The bare names of model relations (`basejump.accounts` → `accounts`), lower case."""
    return frozenset(n.rpartition(".")[2].lower() for n in names)
