"""Who may read and write a sync table through the sync server, and how a conflict ends.

A rule is declared per table, in the schema (`__sync__ = {"owner": "user_id"}` in the DSL)
or in the server's rules file, and read by `TableRule.from_mapping`:

- `{"owner": "<column>"}`: a row belongs to the user whose id the column holds; a user reads
  and writes only their own rows.
- `{"via": "<column>"}`: the column is a foreign key to another sync table; a row belongs to
  whoever owns the row it points at (that table's rule decides, so rules chain).
- `{"shared": true}`: every user reads every row; no user writes through sync.

and `"conflict"`: what happens when a pushed row and the server's row were both changed:

- `reject` (the default): nothing is overwritten; the client gets the server's row.
- `lww`: last write wins, by `last_modified_at`, then by `device_id` (the greater wins).
- `server_wins`: the server's row stays and is sent back to the client to take over.
- `hook`: a Python function the server is given decides (see `ConflictHook`), for rows and
  for deletes that meet a newer edit.

Standard library only: pure data and one pure decision, so a browser runtime can read the
same rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mizzle.core.errors import MizzleError
from mizzle.core.sync.names import DEVICE_ID, LAST_MODIFIED_AT

CONFLICT_POLICIES = ("reject", "lww", "server_wins", "hook")


class _Deleted:
    """The type of `DELETED`."""

    def __repr__(self) -> str:
        return "DELETED"


#: what a hook returns for a delete that meets a newer edit when the delete is to win
DELETED = _Deleted()

#: (table, the server's row, the pushed row) -> the row to keep (either, or a merge), or None
#: to leave the conflict unresolved (as `reject`). A delete that meets a newer edit calls it
#: with None as the pushed row: it returns a row to keep (the server's, or another), None, or
#: `DELETED` to let the delete win.
ConflictHook = Callable[[str, Mapping[str, Any], Mapping[str, Any] | None], Mapping[str, Any] | _Deleted | None]


class RuleError(MizzleError):
    """A sync rule that cannot be read (an unknown key, a bad value, a chain that loops)."""


@dataclass(frozen=True)
class TableRule:
    """One table's rule: exactly one of `owner`, `via`, `shared`, and a conflict policy."""

    owner: str | None = None
    via: str | None = None
    shared: bool = False
    conflict: str = "reject"

    @property
    def writable(self) -> bool:
        return not self.shared

    @classmethod
    def from_mapping(cls, table: str, data: Mapping[str, Any] | bool) -> TableRule:
        """A rule from its declared form; `True` (a plain sync table) is a shared table."""
        if data is True:
            return cls(shared=True)
        if not isinstance(data, Mapping):
            raise RuleError(f'sync rule of "{table}": expected a table of options, not {data!r}')
        unknown = sorted(set(data) - {"owner", "via", "shared", "conflict"})
        if unknown:
            raise RuleError(f'sync rule of "{table}": unknown option "{unknown[0]}" (owner, via, shared, conflict)')
        owner, via, shared = data.get("owner"), data.get("via"), data.get("shared", False)
        for name, value in (("owner", owner), ("via", via)):
            if value is not None and (not isinstance(value, str) or not value):
                raise RuleError(f'sync rule of "{table}": {name} must be a column name, not {value!r}')
        if not isinstance(shared, bool):
            raise RuleError(f'sync rule of "{table}": shared must be true or false, not {shared!r}')
        if sum([owner is not None, via is not None, shared]) != 1:
            raise RuleError(f'sync rule of "{table}": give exactly one of owner, via or shared = true')
        conflict = data.get("conflict", "reject")
        if conflict not in CONFLICT_POLICIES:
            raise RuleError(
                f'sync rule of "{table}": conflict must be one of {", ".join(CONFLICT_POLICIES)}, not {conflict!r}'
            )
        return cls(owner=owner, via=via, shared=shared, conflict=conflict)


def rules_from_mapping(data: Mapping[str, Any]) -> dict[str, TableRule]:
    """Every table's rule from `{table: options}` (a rules file's `[tables]`)."""
    if not isinstance(data, Mapping):
        raise RuleError("sync rules: expected a table of tables")
    return {str(table): TableRule.from_mapping(str(table), options) for table, options in data.items()}


def remote_wins(policy: str, local: Mapping[str, Any], remote: Mapping[str, Any]) -> bool | None:
    """Whether the pushed row beats the server's under `policy`: True, False, or None (the
    conflict stays: `reject`, and `hook`, which the server decides itself). LWW compares the
    wire forms, whose `last_modified_at` text (`...mmmZ`, UTC) orders as the times do."""
    if policy == "server_wins":
        return False
    if policy != "lww":
        return None
    return _lww_key(remote) > _lww_key(local)


def _lww_key(row: Mapping[str, Any]) -> tuple[str, str]:
    return (str(row.get(LAST_MODIFIED_AT) or ""), str(row.get(DEVICE_ID) or ""))
