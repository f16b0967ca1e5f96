"""A `sqlite3.Connection` look-alike over a SQLite database JavaScript owns (sql.js, or
sqlite-wasm's oo1 API), for the sync client (`dialects/sqlite/sync_device.py`), which needs
every value exactly as SQLite holds it.

The migration bridge's `query` carries rows as plain JSON, which is enough for a migration but
would cut an integer beyond 2^53 (a JS number) and cannot hold a blob. The sync bridge's
`rows(sql, paramsJson)` (mizzle.js) returns `{"rows": [[...]], "changes": n}` where a value JSON
cannot carry as itself is tagged, and parameters travel tagged the same way:

    {"$i": "12345678901234567890"}   an integer outside JS's safe range (a BigInt there)
    {"$b": "<base64>"}               a blob (a Uint8Array there)
    {"$f": "Infinity"}               a non-finite float

Errors raise `sqlite3.OperationalError` with the library's message, as the driver would, so
the sync adapter's handling applies unchanged. Standard library only.
"""

from __future__ import annotations

import base64
import json
import math
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any, Protocol

#: JS numbers hold integers exactly up to this
_SAFE = 2**53 - 1
_DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class SyncBridge(Protocol):
    def rows(self, sql: str, params_json: str) -> str: ...


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and not -_SAFE <= value <= _SAFE:
        return {"$i": str(value)}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$f": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    return value


def _value(value: Any) -> Any:
    if isinstance(value, dict):
        if "$i" in value:
            return int(value["$i"])
        if "$b" in value:
            return base64.b64decode(value["$b"])
        if "$f" in value:
            return float(value["$f"])
    return value


class HandleRows:
    """The rows of one statement, as `sqlite3.Cursor` gives them."""

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._rows = rows
        self._rowcount = rowcount
        self._at = 0

    @property
    def rowcount(self) -> int:
        return self._rowcount

    def fetchone(self) -> Any:
        if self._at >= len(self._rows):
            return None
        self._at += 1
        return self._rows[self._at - 1]

    def fetchall(self) -> list[Any]:
        rest, self._at = self._rows[self._at :], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class HandleConnection:
    """A JS-owned database as the sync client uses a `sqlite3.Connection` in autocommit mode."""

    def __init__(self, bridge: SyncBridge) -> None:
        self.bridge = bridge
        self._in_transaction = False

    @property
    def in_transaction(self) -> bool:
        return self._in_transaction

    def execute(self, sql: str, parameters: Any = (), /) -> HandleRows:
        params: Sequence[Any] = parameters
        try:
            answer = json.loads(self.bridge.rows(sql, json.dumps([_param(p) for p in params])))
        except Exception as err:  # a JsException: the library's own message
            text = str(err).strip().splitlines()
            raise sqlite3.OperationalError(text[0] if text else type(err).__name__) from None
        head = sql.lstrip()[:16].upper()
        if head.startswith("BEGIN"):
            self._in_transaction = True
        elif head.startswith(("COMMIT", "END")) or (head.startswith("ROLLBACK") and not head.startswith("ROLLBACK TO")):
            self._in_transaction = False
        rows = [tuple(_value(v) for v in row) for row in answer["rows"]]
        return HandleRows(rows, int(answer["changes"]) if head.startswith(_DML) else -1)
