"""The sync server's wire protocol: one JSON request, one JSON response (docs/sync.md,
*The protocol*). Parsing and checking what a client sent lives here, so a server and any
client (Python here, JS later) read the same shapes. Standard library only.

A request (`POST /sync`):

    {"protocol": 1, "schema": "0003_add_due", "device": "laptop-1", "batch": "<uuid>",
     "push": {"note": {"rows": [...], "deletes": [...]}},
     "pull": {"note": {"cursor": null, "columns": ["id", "title", ...]}},
     "limit": 1000}

`push` and `batch` go together (a batch id names the push so that a retry applies nothing
twice); `pull` names each table to pull with the cursor the last response gave for it
(None: from the start), and optionally the columns the client's table has.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mizzle.core.errors import MizzleError

PROTOCOL = 1
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000
#: the longest batch id and device id taken (both are stored)
MAX_ID = 200


class ProtocolError(MizzleError):
    """A request that is not one: `code` is the response's error code, `status` its HTTP status."""

    def __init__(self, message: str, *, code: str = "bad_request", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Page:
    """Where a paginated pull stands: changes since `since` (None: everything), read up to
    the floor `floor` taken on the first page, after the primary key `after`."""

    since: int | None
    floor: int
    after: list[Any]

    def token(self) -> str:
        data = json.dumps({"s": self.since, "f": self.floor, "a": self.after}, separators=(",", ":"))
        return "page:" + base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class PullRequest:
    table: str
    #: the cursor the last response gave: None, `xid:N` or a page token
    cursor: str | None
    columns: tuple[str, ...] | None


@dataclass(frozen=True)
class PushRequest:
    table: str
    rows: list[dict[str, Any]]
    deletes: list[dict[str, Any]]


@dataclass
class SyncRequest:
    schema: str | None
    device: str | None
    batch: str | None
    push: list[PushRequest] = field(default_factory=list)
    pull: list[PullRequest] = field(default_factory=list)
    limit: int = DEFAULT_LIMIT


def parse_request(data: Any) -> SyncRequest:
    """A request's JSON (already decoded) checked for shape; ProtocolError naming the first
    problem."""
    if not isinstance(data, Mapping):
        raise ProtocolError("the request body must be a JSON object")
    unknown = sorted(set(data) - {"protocol", "schema", "device", "batch", "push", "pull", "limit"})
    if unknown:
        raise ProtocolError(f'unknown request field "{unknown[0]}"')
    if data.get("protocol") != PROTOCOL:
        raise ProtocolError(f"protocol {data.get('protocol')!r} is not spoken here (this server speaks {PROTOCOL})")
    schema = _text_or_none(data.get("schema"), "schema", 1000)
    device = _text_or_none(data.get("device"), "device", MAX_ID)
    batch = _text_or_none(data.get("batch"), "batch", MAX_ID)
    limit = data.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise ProtocolError(f"limit must be an integer from 1 to {MAX_LIMIT}")
    push = [_push(table, body) for table, body in _tables(data.get("push"), "push")]
    if push and batch is None:
        raise ProtocolError("a push needs a batch id (so that a retried request applies nothing twice)")
    pull = [_pull(table, body) for table, body in _tables(data.get("pull"), "pull")]
    return SyncRequest(schema=schema, device=device, batch=batch, push=push, pull=pull, limit=limit)


def parse_cursor(cursor: str | None) -> tuple[int | None, Page | None]:
    """A pull cursor: (since, None) for None or `xid:N`, (None, page) for a page token."""
    if cursor is None:
        return None, None
    if cursor.startswith("xid:") and cursor[4:].isdigit() and len(cursor) <= 24:
        return int(cursor[4:]), None
    if cursor.startswith("page:"):
        try:
            raw = cursor[5:]
            data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            since, floor, after = data["s"], data["f"], data["a"]
            if since is not None and not _count(since):
                raise ValueError("s")
            if not _count(floor) or not isinstance(after, list):
                raise ValueError("f or a")
            return None, Page(since, floor, after)
        except (ValueError, KeyError, TypeError):
            pass
    raise ProtocolError(f"not a cursor this server gave: {cursor[:40]!r}")


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


def _tables(value: Any, what: str) -> list[tuple[str, Mapping[str, Any]]]:
    if value is None:
        return []
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ProtocolError(f"{what} must be an object of tables, each an object")
    return [(str(k), v) for k, v in value.items()]


def _push(table: str, body: Mapping[str, Any]) -> PushRequest:
    rows, deletes = body.get("rows", []), body.get("deletes", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ProtocolError(f'push of "{table}": rows must be a list of objects')
    if not isinstance(deletes, list) or not all(isinstance(d, dict) for d in deletes):
        raise ProtocolError(f'push of "{table}": deletes must be a list of objects')
    return PushRequest(table, rows, deletes)


def _pull(table: str, body: Mapping[str, Any]) -> PullRequest:
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise ProtocolError(f'pull of "{table}": cursor must be text or null')
    parse_cursor(cursor)
    columns = body.get("columns")
    if columns is not None and (not isinstance(columns, list) or not all(isinstance(c, str) for c in columns)):
        raise ProtocolError(f'pull of "{table}": columns must be a list of names')
    return PullRequest(table, cursor, None if columns is None else tuple(columns))


def _text_or_none(value: Any, what: str, longest: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > longest or "\x00" in value:
        raise ProtocolError(f"{what} must be text of 1 to {longest} characters, or null")
    return value
