"""The Sync tab's use case: a sync table's changes since a cursor (`changes_since`, as a
device's pull reads them): each row with its version, last write time and device, the
tombstones of its deleted rows, and the cursor the next pull would start from."""

from __future__ import annotations

from typing import Any

from mizzle.core.model import Schema
from mizzle.core.sync.api import changes_since
from mizzle.dialects import get_dialect

#: rows shown of one pull (a first pull of a large table returns all of it)
MAX_SHOWN = 200


def sync_tables(schema: Schema) -> list[str]:
    return sorted(t.name for t in schema.tables if t.sync)


def changes(conn: Any, dialect: str, table: str, since: str | None) -> dict[str, Any]:
    """What `changes_since(table, since)` returns on this database, JSON-ready; `since`:
    None (everything), a cursor (`seq:N`, `xid:N`), or a version number as text."""
    wanted: str | int | None = int(since) if since is not None and since.isdigit() else since
    pulled = changes_since(get_dialect(dialect).sync_database(conn), table, wanted).to_dict()
    total = len(pulled["rows"])
    pulled["rows"] = pulled["rows"][:MAX_SHOWN]
    pulled["total_rows"] = total
    return pulled
