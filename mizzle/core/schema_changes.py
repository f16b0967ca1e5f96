"""What changed between two schemas, object by object, for a person to read: `pull` says what
the database gained and lost since the file it replaces (`1 table added (session); 1 column
changed (tune.title)`).

Not the diff (`core/diff.py`), which plans how to change a database: this only names what
differs, by kind and name, and reads the model generically, so an object kind added to the
model later (a field of `Schema` or `Table` holding named objects) is counted without a change
here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from mizzle.core.model import Schema, Table

#: How many names a summary lists for one kind and verb before `and N more`.
SHOWN_NAMES = 5

#: Singular words for the model's fields (the rest lose their final `s`).
_WORDS = {"indexes": "index", "checks": "check", "foreign_keys": "foreign key", "primary_key": "primary key"}
#: The plural of a word, when adding an `s` is wrong.
_PLURALS = {"index": "indexes"}
#: The order of the verbs in a summary.
VERBS = ("added", "removed", "changed")


@dataclass(frozen=True)
class Change:
    #: `table`, `column`, `index`, `foreign key`, `enum`, `view`...
    kind: str
    #: added, removed or changed
    verb: str
    #: `tune`, `tune.title` (a part of a table is named with its table)
    name: str


@dataclass(frozen=True)
class SchemaChanges:
    changes: tuple[Change, ...]

    def __bool__(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        """One line: `2 tables added (a, b); 1 column removed (tune.notes)`, or `no changes`."""
        if not self.changes:
            return "no changes"
        kinds = list(dict.fromkeys(c.kind for c in self.changes))
        parts = []
        for kind in kinds:
            for verb in VERBS:
                names = [c.name for c in self.changes if c.kind == kind and c.verb == verb]
                if names:
                    parts.append(f"{_counted(len(names), kind)} {verb} ({_listed(names)})")
        return "; ".join(parts)


def schema_changes(old: Schema, new: Schema) -> SchemaChanges:
    """What differs from `old` to `new`: tables first, then the parts of the tables both hold,
    then every other kind of object (enums, views...)."""
    changes: list[Change] = []
    table_changes = list(_named_changes("table", old.tables, new.tables, compare=False))
    changes += table_changes
    for new_table in new.tables:
        old_table = old.table(new_table.name)
        if old_table is not None and old_table != new_table:
            changes += _table_part_changes(old_table, new_table)
    for field in type(old).model_fields:
        if field == "tables":
            continue
        changes += _named_changes(_word(field), _items(getattr(old, field)), _items(getattr(new, field)))
    return SchemaChanges(tuple(sorted(changes, key=_order(changes))))


def _table_part_changes(old: Table, new: Table) -> list[Change]:
    found: list[Change] = []
    for field in type(old).model_fields:
        before, after = getattr(old, field), getattr(new, field)
        if field == "name" or before == after:
            continue
        items_before, items_after = _items(before), _items(after)
        if items_before is None or items_after is None:
            # a plain property of the table (`sync`): the table changed
            found.append(Change("table", "changed", f"{new.name} ({field.replace('_', ' ')})"))
            continue
        found += _named_changes(_word(field), items_before, items_after, prefix=f"{new.name}.")
    return found


def _named_changes(
    kind: str,
    before: Iterable[Any] | None,
    after: Iterable[Any] | None,
    *,
    prefix: str = "",
    compare: bool = True,
) -> list[Change]:
    """Added, removed and (when `compare`) changed objects, matched by name."""
    if before is None or after is None:
        return []
    old = {item.name: item for item in before}
    new = {item.name: item for item in after}
    found = [Change(kind, "added", prefix + n) for n in new if n not in old]
    found += [Change(kind, "removed", prefix + n) for n in old if n not in new]
    if compare:
        found += [Change(kind, "changed", prefix + n) for n, item in new.items() if n in old and old[n] != item]
    return found


def _items(value: Any) -> list[Any] | None:
    """The named objects a field holds (a tuple of them, or one or none: a primary key); None
    for a field that holds something else."""
    if value is None:
        return []
    items = list(value) if isinstance(value, tuple) else [value]
    if all(isinstance(i, BaseModel) and isinstance(getattr(i, "name", None), str) for i in items):
        return items
    return None


def _word(field: str) -> str:
    return _WORDS.get(field, field[:-1] if field.endswith("s") else field).replace("_", " ")


def _counted(n: int, word: str) -> str:
    return f"{n} {word if n == 1 else _PLURALS.get(word, word + 's')}"


def _listed(names: list[str]) -> str:
    more = len(names) - SHOWN_NAMES
    return ", ".join(names[:SHOWN_NAMES]) + (f" and {more} more" if more > 0 else "")


def _order(changes: list[Change]) -> Any:
    kinds = {kind: i for i, kind in enumerate(dict.fromkeys(c.kind for c in changes))}
    return lambda c: (kinds[c.kind], VERBS.index(c.verb), c.name)
