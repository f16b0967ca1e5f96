"""A history step's SQL read the way the replay needs it: split into statements, each told
apart as schema (DDL), data the app wrote by hand (UPDATE/INSERT/DELETE), or transaction
control; and the renames and drops the step spells out, as `generate --rename/--drop` flags.

Written for the corpus files, not as a general SQL reader: drizzle-kit's output and the
hand-edited files beside it.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["ddl", "data", "control"]

_NAME = r'(?:`[^`]+`|"(?:[^"]|"")+"|\[[^\]]+\]|[A-Za-z_][\w$]*)'
_QUALIFIED = rf"(?:{_NAME}\s*\.\s*)?({_NAME})"


def unquote(name: str) -> str:
    name = name.strip()
    if name[:1] == "`" and name[-1:] == "`":
        return name[1:-1]
    if name[:1] == "[" and name[-1:] == "]":
        return name[1:-1]
    if name[:1] == '"' and name[-1:] == '"':
        return name[1:-1].replace('""', '"')
    return name


def _strip_comments(text: str) -> str:
    """The statement without its leading comment lines and blanks."""
    lines = text.strip().splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
        lines.pop(0)
    return "\n".join(lines).strip()


def split_sqlite(text: str) -> list[str]:
    """Statements as SQLite reads them (triggers' BEGIN ... END kept whole)."""
    out: list[str] = []
    buffer = ""
    for piece in text.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _strip_comments(buffer.rstrip(";")):
                out.append(buffer.strip())
            buffer = ""
    if _strip_comments(buffer.rstrip(";")):
        out.append(buffer.strip().rstrip(";") + ";")
    return out


def split_postgresql(text: str) -> list[str]:
    """Statements split at `;` outside quotes, comments and dollar-quoted bodies."""
    out: list[str] = []
    start = i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "'" or c == '"':
            j = i + 1
            while j < n:
                if text[j] == c:
                    if j + 1 < n and text[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            i = j + 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "$" and (m := re.match(r"\$[A-Za-z_]*\$", text[i:])):
            tag = m.group(0)
            j = text.find(tag, i + len(tag))
            i = n if j < 0 else j + len(tag)
        elif c == ";":
            if _strip_comments(text[start:i]):
                out.append(text[start : i + 1].strip())
            start = i = i + 1
        else:
            i += 1
    if _strip_comments(text[start:]):
        out.append(text[start:].strip())
    return out


def kind_of(statement: str) -> Kind:
    body = _strip_comments(statement).upper()
    m = re.match(r"[A-Z]+", body)
    first = m.group(0) if m else ""
    if first in ("BEGIN", "COMMIT", "END", "ROLLBACK", "PRAGMA", "SAVEPOINT", "RELEASE"):
        return "control"
    if first in ("UPDATE", "DELETE", "INSERT", "REPLACE", "WITH"):
        return "data"
    return "ddl"


_CREATE = re.compile(rf"^\s*CREATE\s+(?:TEMP\w*\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?{_QUALIFIED}", re.I)
_TEMP = re.compile(r"^\s*CREATE\s+TEMP", re.I)
_DROP_TABLE = re.compile(rf"^\s*DROP\s+TABLE\s+(?:IF\s+EXISTS\s+)?{_QUALIFIED}", re.I)
_RENAME_TABLE = re.compile(rf"^\s*ALTER\s+TABLE\s+(?:ONLY\s+)?{_QUALIFIED}\s+RENAME\s+TO\s+{_QUALIFIED}", re.I)
_RENAME_COLUMN = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?:ONLY\s+)?{_QUALIFIED}\s+RENAME\s+(?:COLUMN\s+)?({_NAME})\s+TO\s+({_NAME})", re.I
)
_DROP_COLUMN = re.compile(
    rf"^\s*ALTER\s+TABLE\s+(?:ONLY\s+)?{_QUALIFIED}\s+DROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?({_NAME})", re.I
)
UPDATE_SET = re.compile(rf"^\s*UPDATE\s+{_QUALIFIED}(?:\s+\w+)?\s+SET\s+(.*?)(?:\bWHERE\b|\bFROM\b|;|$)", re.I | re.S)
_INSERT_SELECT = re.compile(
    rf"^\s*INSERT\s+INTO\s+{_QUALIFIED}\s*\((.*?)\)\s*SELECT\s+(.*?)\s+FROM\s+{_QUALIFIED}\s*;?\s*$", re.I | re.S
)


def _names(text: str) -> list[str]:
    return [unquote(p.strip().split(".")[-1]) for p in _top_level_commas(text)]


def _top_level_commas(text: str) -> list[str]:
    parts, depth, current, quote = [], 0, "", ""
    for c in text:
        if quote:
            current += c
            if c == quote:
                quote = ""
            continue
        if c in "'\"`":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        current += c
    parts.append(current)
    return parts


def _plain_column(expr: str) -> str | None:
    """`"t"."c"`, `t.c`, `"c"`: the column; anything else (an expression) None."""
    m = re.fullmatch(rf"\s*(?:{_NAME}\s*\.\s*)?({_NAME})\s*", expr)
    return unquote(m.group(1)) if m else None


@dataclass
class Rebuild:
    """A table copied into a new one and renamed back (drizzle's `__new_x`): the copy is part
    of the schema change, not data the app wrote; `mapping` old column -> new column."""

    table: str
    temp: str
    mapping: dict[str, str]
    #: the copy selects plain columns of the one table it replaces (else it transforms data)
    plain: bool


@dataclass
class Hints:
    """What a stretch of DDL says it renames and drops (names as the SQL spells them)."""

    tables: dict[str, str] = field(default_factory=dict)
    columns: dict[tuple[str, str], str] = field(default_factory=dict)  # (new table, old) -> new
    dropped_tables: set[str] = field(default_factory=set)
    dropped_columns: set[tuple[str, str]] = field(default_factory=set)  # (new table, old)
    #: tables rebuilt by a plain copy: table -> (old column -> new column) of what was copied
    rebuilt: dict[str, dict[str, str]] = field(default_factory=dict)


def rebuilds(statements: list[str]) -> dict[int, Rebuild]:
    """The rebuild copies among `statements`, by index: INSERT INTO t SELECT ... FROM s where
    t is created in the same step and later renamed to s."""
    created = {m.group(1) and unquote(m.group(1)) for s in statements if (m := _CREATE.match(_strip_comments(s)))}
    renamed_to: dict[str, str] = {}
    for s in statements:
        if m := _RENAME_TABLE.match(_strip_comments(s)):
            renamed_to[unquote(m.group(1))] = unquote(m.group(2))
    found: dict[int, Rebuild] = {}
    for i, s in enumerate(statements):
        m = _INSERT_SELECT.match(_strip_comments(s))
        if not m:
            continue
        target, columns, selected, source = unquote(m.group(1)), m.group(2), m.group(3), m.group(4)
        source_name = unquote(source)
        if target not in created or renamed_to.get(target) != source_name:
            continue
        new_names = _names(columns)
        exprs = _top_level_commas(selected)
        plain = len(new_names) == len(exprs) and all(_plain_column(e) is not None for e in exprs)
        mapping = {}
        if plain:
            mapping = {str(_plain_column(e)): n for e, n in zip(exprs, new_names, strict=True)}
        found[i] = Rebuild(source_name, target, mapping, plain)
    return found


def hints(statements: list[str], copies: dict[int, Rebuild]) -> Hints:
    """Renames and drops spelled by `statements` (one stretch of DDL; `copies` the step's
    rebuild copies, whose temporary tables are not renames)."""
    out = Hints()
    temps = {r.temp: r for r in copies.values() if r.plain}
    created: set[str] = set()
    for s in statements:
        body = _strip_comments(s)
        if m := _CREATE.match(body):
            created.add(unquote(m.group(1)))
        elif m := _RENAME_TABLE.match(body):
            old, new = unquote(m.group(1)), unquote(m.group(2))
            if old in temps or old in created:
                continue
            first = next((k for k, v in out.tables.items() if v == old), old)
            out.tables[first] = new
        elif m := _RENAME_COLUMN.match(body):
            table = unquote(m.group(1))
            out.columns[(out.tables.get(table, table), unquote(m.group(2)))] = unquote(m.group(3))
        elif m := _DROP_COLUMN.match(body):
            name = unquote(m.group(2))
            if name.upper() in ("CONSTRAINT", "INDEX"):
                continue
            table = unquote(m.group(1))
            out.dropped_columns.add((out.tables.get(table, table), name))
        elif m := _DROP_TABLE.match(body):
            name = unquote(m.group(1))
            if name not in created and not any(r.table == name for r in temps.values()):
                out.dropped_tables.add(name)
    for r in temps.values():
        if not any(
            (m := _RENAME_TABLE.match(_strip_comments(x))) and unquote(m.group(1)) == r.temp for x in statements
        ):
            continue  # a rebuild finished in another stretch
        out.rebuilt[r.table] = r.mapping
        for old, new in r.mapping.items():
            if old != new:
                out.columns[(r.table, old)] = new
    return out


@dataclass
class Segment:
    kind: Literal["ddl", "data"]
    statements: list[str]


def segments(statements: list[str]) -> tuple[list[Segment], dict[int, Rebuild]]:
    """The step cut where the app's own data statements stand: schema, data, schema...
    Control statements stay in the stretch they sit in (the reference runs them as written);
    a rebuild's plain copy counts as schema. A table rename is a stretch of its own (unless
    it ends a plain rebuild): the name it frees or takes is often dropped or made again in
    the same step (`RENAME x TO x_old; CREATE x`, `DROP x; RENAME x_new TO x`), which one
    diff cannot tell from a change of x; each state between is one the reference passed."""
    copies = rebuilds(statements)
    plain_temps = {r.temp for r in copies.values() if r.plain}
    bodies = [_strip_comments(s) for s in statements]
    temporary = {unquote(m.group(1)) for b in bodies if (m := _CREATE.match(b)) and _TEMP.match(b)}
    out: list[Segment] = []
    alone = False
    for i, s in enumerate(statements):
        kind = kind_of(s)
        if kind == "data" and i in copies and copies[i].plain:
            kind = "ddl"
        create, drop = _CREATE.match(bodies[i]), _DROP_TABLE.match(bodies[i])
        if (create or drop) and unquote((create or drop).group(1)) in temporary:  # type: ignore[union-attr]
            kind = "data"  # a temporary table is part of the app's data procedure
        seg_kind: Literal["ddl", "data"] = "data" if kind == "data" else "ddl"
        rename = _RENAME_TABLE.match(bodies[i])
        own = bool(rename) and unquote(rename.group(1)) not in plain_temps if rename else False
        if drop and not own:  # a table dropped and created again under its name: two states
            name = unquote(drop.group(1))
            own = any((m := _CREATE.match(b)) and unquote(m.group(1)) == name for b in bodies[i + 1 :])
        joins = not own and not alone and (out and out[-1].kind == seg_kind)
        if out and (joins or kind == "control"):
            out[-1].statements.append(s)
        else:
            out.append(Segment(seg_kind, [s]))
        if kind != "control":
            alone = own
    return out, copies
