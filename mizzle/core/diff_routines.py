"""The diff of the code a database runs (`core/routines.py`): which extensions, functions and
triggers are created, replaced or dropped, and where each goes in the diff's order.

- Extensions are created first (a column's type or default may come from one) and dropped
  last; a schema or version the schema leaves unsaid matches the database's (`same_extension`).
- Triggers that change or go are dropped first (step 0 of `diff.py`), and so are the
  triggers of a table that is renamed or whose columns are dropped, altered or renamed
  (PostgreSQL refuses to change a column a trigger names in `UPDATE OF` or `WHEN`; its
  text names the table), and those calling a function that is dropped. They are created
  again last, after everything they may call or read exists. A dropped table's triggers are
  dropped first too (the table's reverse, CREATE TABLE, then has none to make before the
  functions they call); a new table's come after it, as triggers of their own.
- Functions that go, or whose arguments change (another identity: drop and create), are
  dropped before the tables (a function returning a table's rows depends on its row type)
  and after the views (a view may call one). New functions whose signature names no table are
  created before the tables (after the enums their arguments may take), so that a column's
  DEFAULT may call one (Basejump's `basejump.generate_token(30)`); the others are created,
  and changed ones replaced (CREATE OR REPLACE keeps what depends on them), once tables,
  columns and keys are final and before the views that may call them.
- SQLite's virtual tables (`core/virtual_tables.py`) that go or change (their statement is
  another text: dropped and made again) are dropped after the views that may read them, and
  made before the views and the triggers that may read or write them (Dyad's triggers on
  `messages` write its FTS index).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mizzle.core.model import Schema, Table
from mizzle.core.operations import Operation
from mizzle.core.routine_ops import (
    CreateExtension,
    CreateFunction,
    CreateTrigger,
    CreateVirtualTable,
    DropExtension,
    DropFunction,
    DropTrigger,
    DropVirtualTable,
    ReplaceFunction,
)
from mizzle.core.routines import Extension, Trigger, needs_tables, relation_words

_CALLS = re.compile(r'\bEXECUTE\s+(?:FUNCTION|PROCEDURE)\s+(?:(?:"[^"]*"|\w+)\s*\.\s*)?("(?:[^"]|"")*"|\w+)\s*\(', re.I)


def called_function(trigger: Trigger) -> str | None:
    """The name of the function a PostgreSQL trigger executes (unqualified)."""
    found = _CALLS.search(trigger.postgresql or "")
    if found is None:
        return None
    name = found.group(1)
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


def same_extension(a: Extension, b: Extension) -> bool:
    """The same extension, where a schema or version left unsaid (None) is whatever the other
    side has: a database always says where an extension is, a schema need not."""
    return (
        a.name == b.name
        and (a.schema_name is None or b.schema_name is None or a.schema_name == b.schema_name)
        and (a.version is None or b.version is None or a.version == b.version)
    )


@dataclass
class RoutineChanges:
    """The operations, by the place each list takes in the diff's order."""

    extensions_created: list[Operation] = field(default_factory=list)
    triggers_dropped: list[Operation] = field(default_factory=list)
    functions_dropped: list[Operation] = field(default_factory=list)
    virtual_tables_dropped: list[Operation] = field(default_factory=list)
    virtual_tables_created: list[Operation] = field(default_factory=list)
    #: new functions whose signature names no table: before the tables (a DEFAULT may call one)
    functions_early: list[Operation] = field(default_factory=list)
    functions_created: list[Operation] = field(default_factory=list)
    triggers_created: list[Operation] = field(default_factory=list)
    extensions_dropped: list[Operation] = field(default_factory=list)


def routine_changes(
    old: Schema,
    new: Schema,
    pairs: dict[str, tuple[Table, Table]],
    remade: set[str],
    dropped: list[Table],
) -> RoutineChanges:
    """`pairs`: for each table on both sides, by its new name, (its old table, its new table);
    `remade`: the new names of those whose triggers must be made again (renamed, or columns
    dropped, altered or renamed); `dropped`: the tables dropped, whose triggers are dropped
    first, so that undoing it all makes them again after the functions they call."""
    out = RoutineChanges()
    out.triggers_dropped = [DropTrigger(table=t.name, trigger=tr) for t in dropped for tr in t.triggers]
    old_ext, new_ext = {x.name: x for x in old.extensions}, {x.name: x for x in new.extensions}
    for name, ext in new_ext.items():
        before = old_ext.get(name)
        if before is not None and same_extension(before, ext):
            continue
        if before is not None:  # another schema or pinned version: made again, at the start
            out.extensions_created.append(DropExtension(extension=before))
        out.extensions_created.append(CreateExtension(extension=ext))
    out.extensions_dropped = [DropExtension(extension=x) for n, x in old_ext.items() if n not in new_ext]

    old_vt, new_vt = {v.name: v for v in old.virtual_tables}, {v.name: v for v in new.virtual_tables}
    out.virtual_tables_dropped = [DropVirtualTable(table=v) for n, v in old_vt.items() if new_vt.get(n) != v]
    out.virtual_tables_created = [CreateVirtualTable(table=v) for n, v in new_vt.items() if old_vt.get(n) != v]

    old_fn, new_fn = {f.key: f for f in old.functions}, {f.key: f for f in new.functions}
    dropped_names: set[str] = set()
    for key, function in old_fn.items():
        after = new_fn.get(key)
        if after is None:
            out.functions_dropped.append(DropFunction(function=function))
            dropped_names.add(function.name)
        elif after != function:
            out.functions_created.append(ReplaceFunction(old=function, new=after))
    relations = relation_words([t.name for t in new.tables] + [v.name for v in new.views])
    for key, function in new_fn.items():
        if key not in old_fn:
            late = needs_tables(function, relations)
            (out.functions_created if late else out.functions_early).append(CreateFunction(function=function))

    for name, (old_table, new_table) in sorted(pairs.items()):
        kept = {t.name: t for t in new_table.triggers}
        for trigger in old_table.triggers:
            again = name in remade or called_function(trigger) in dropped_names
            if again or kept.get(trigger.name) != trigger:
                out.triggers_dropped.append(DropTrigger(table=old_table.name, trigger=trigger))
        held = {t.name: t for t in old_table.triggers}
        for trigger in new_table.triggers:
            again = name in remade or called_function(held.get(trigger.name) or trigger) in dropped_names
            if again or held.get(trigger.name) != trigger:
                out.triggers_created.append(CreateTrigger(table=name, trigger=trigger))
    for table in new.tables:
        if table.name not in pairs:
            out.triggers_created += [CreateTrigger(table=table.name, trigger=t) for t in table.triggers]
    return out
