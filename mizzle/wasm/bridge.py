"""A `MigrationDatabase` over a SQLite database that JavaScript owns (sql.js, or
@sqlite.org/sqlite-wasm's oo1 API): SQL goes from Python to JS through a bridge object.

The bridge `mizzle.js` builds for each library has two methods:

    exec(sql: string): void                          -- one statement, no result
    query(sql: string, paramsJson: string): string   -- rows as a JSON array of arrays

Rows travel as JSON text, not as proxies of JS arrays: one string crosses the boundary per
query, and the values (numbers, text, null) are all a migration reads. A JS exception comes
to Python as an exception whose text is the library's message; it becomes a DatabaseError
like any driver's.

Everything else is SQLite's, so the adapter is the standard library's one
(`SqliteMigrationDatabase`: BEGIN IMMEDIATE, tracking table, sync tracking switch, foreign
keys) with the connection calls replaced. Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Protocol

from mizzle.core.tracking import DatabaseError
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase


class Bridge(Protocol):
    def exec(self, sql: str) -> None: ...

    def query(self, sql: str, params_json: str) -> str: ...


def _message(err: BaseException) -> str:
    """The library's own message: the first line, without JS's `Error: ` prefix."""
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    for prefix in ("Error: ", "SQLite3Error: ", "sqlite3 result code 1: "):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return text


class BridgeMigrationDatabase(SqliteMigrationDatabase):
    """`SqliteMigrationDatabase` on a JS-owned database (see the module docstring)."""

    def __init__(self, bridge: Bridge, busy_timeout: float | None = None) -> None:
        # no sqlite3.Connection here: the parent's __init__ is not called
        self.bridge = bridge
        self._in_transaction = False

    def _run(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        head = sql.lstrip()[:16].upper()
        try:
            if not params and not head.startswith(("SELECT", "PRAGMA", "WITH")):
                self.bridge.exec(sql)
                rows: list[Any] = []
            else:
                rows = json.loads(self.bridge.query(sql, json.dumps(list(params))))
        except Exception as err:  # a JsException (or any bridge failure): the library's message
            raise DatabaseError(_message(err)) from None
        if head.startswith("BEGIN"):
            self._in_transaction = True
        elif head.startswith(("COMMIT", "ROLLBACK", "END")) and not head.startswith("ROLLBACK TO"):
            self._in_transaction = False
        return [tuple(r) for r in rows]

    def rollback(self) -> None:
        if self._in_transaction:
            self._run("ROLLBACK")

    def lock(self) -> None:
        """Nothing: a JS-owned database lives in one tab, and mizzle.js holds a Web Lock named
        after it around every call."""

    def unlock(self) -> None:
        pass
