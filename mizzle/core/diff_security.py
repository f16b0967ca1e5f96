"""The diff of the server-only security items (`core/security.py`): which SetSecurity
operations go first, and which last, around the diff's other operations.

- First (before anything else, under the old names): items that go, and items that must be
  made again because what they hang on is: a policy on a table one of whose columns is
  dropped or retyped (PostgreSQL refuses to retype a column a policy reads, and a policy
  may read a dropped column), grants and comments on a view the diff drops and re-creates
  (PostgreSQL drops them with the view). Items of a dropped table go explicitly too, so the
  migration's down file puts them back after re-creating the table.
- Default privileges that come, go or change also go first: the tables the migration
  creates receive the new schema's.
- Last (after tables, views and whatever functions they call exist): items that come, and
  items that change in place (a policy's roles, USING or WITH CHECK: ALTER POLICY; a
  comment's text; a grant's WITH GRANT OPTION).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from mizzle.core.operations import Operation, RenameColumn, RenameTable, SetSecurity
from mizzle.core.security import Policy, Security

Item = Any  # one of core.security's items


def security_changes(
    old: Security,
    new: Security,
    renames: Sequence[RenameTable | RenameColumn],
    remade_tables: Iterable[str],
    remade_views: Iterable[str],
) -> tuple[list[Operation], list[Operation]]:
    """(first, last): see the module docstring. `remade_tables` are tables (new names) whose
    columns are dropped or retyped; `remade_views` views dropped and created again."""
    if not old and not new:
        return [], []
    tables, views = set(remade_tables), set(remade_views)
    mapped = {_renamed(item, renames).key: (item, _renamed(item, renames)) for item in old.items()}
    wanted = {item.key: item for item in new.items()}
    first: list[Operation] = []
    last: list[Operation] = []
    for key, (before, held) in mapped.items():
        after = wanted.get(key)
        if after == held and not _remade(held, tables, views):
            continue
        if after is None or _remade(held, tables, views) or not _alterable(held, after):
            first.append(SetSecurity(old=before))
            if after is not None:
                last.append(SetSecurity(new=after))
        else:
            last.append(SetSecurity(old=held, new=after))
    last += [SetSecurity(new=item) for key, item in wanted.items() if key not in mapped]
    # default privileges first, whatever their change: the tables this migration creates
    # receive what the new schema's say, not what the old one's did
    defaults = [op for op in last if _kind(op) == "default_privilege"]
    return first + defaults, sorted((op for op in last if op not in defaults), key=_last_order)


def _renamed(item: Item, renames: Sequence[RenameTable | RenameColumn]) -> Item:
    security = Security.of([item])
    for op in renames:
        if isinstance(op, RenameTable):
            security = security.table_renamed(op.old, op.new)
        else:
            security = security.column_renamed(op.table, op.old, op.new)
    return security.items()[0]


def _remade(item: Item, tables: set[str], views: set[str]) -> bool:
    if isinstance(item, Policy):
        return item.table in tables
    return bool(set(item.tables) & views) or (getattr(item, "on", None) == "view" and item.object in views)


def _alterable(before: Item, after: Item) -> bool:
    """Whether PostgreSQL changes it in place: ALTER POLICY cannot change the command or
    PERMISSIVE/RESTRICTIVE (nor drop a USING or WITH CHECK once set)."""
    if isinstance(before, Policy):
        return (
            before.command == after.command
            and before.permissive == after.permissive
            and (before.using is None or after.using is not None)
            and (before.check is None or after.check is not None)
        )
    return True


#: kinds in the order they come: row level security before the policies it enforces
_KINDS = ("default_privilege", "schema_owner", "grant", "row_security", "policy", "comment")


def _item(op: Operation) -> Item:
    assert isinstance(op, SetSecurity)
    item = op.new if op.new is not None else op.old
    assert item is not None
    return item


def _kind(op: Operation) -> str:
    return str(_item(op).kind)


def _last_order(op: Operation) -> tuple[int, tuple[Any, ...]]:
    return _KINDS.index(_kind(op)), _item(op).key
