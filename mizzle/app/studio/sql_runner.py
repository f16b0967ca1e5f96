"""The SQL tab's use case: run what the user typed, in its own transaction, and return the
rows (up to a limit) or the error with its line; a query running on a connection is cancelled
from another thread through `Running`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from mizzle.app.studio.backends import Backend
from mizzle.app.studio.values import shown
from mizzle.core.errors import MizzleError

MAX_ROWS = 1000


class SqlFailed(MizzleError):
    """The statement failed (its transaction was rolled back); `line`: where, when known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class SqlResult:
    columns: list[str]
    rows: list[list[Any]]
    #: rows changed (or returned) as the driver counts them; -1 when it does not say
    rowcount: int
    #: more rows were returned than MAX_ROWS
    truncated: bool
    duration_ms: float


@dataclass
class Running:
    """The queries running now, by the id the page gave them, so a cancel can reach them."""

    _queries: dict[str, tuple[Backend, Any]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def running(self, query_id: str, backend: Backend, conn: Any) -> Iterator[None]:
        with self._lock:
            if query_id in self._queries:
                raise MizzleError(f"a query with the id {query_id!r} is already running")
            self._queries[query_id] = (backend, conn)
        try:
            yield
        finally:
            with self._lock:
                self._queries.pop(query_id, None)

    def cancel(self, query_id: str) -> bool:
        """Cancel the query `query_id`; False when it is not running (any more)."""
        with self._lock:
            entry = self._queries.get(query_id)
        if entry is None:
            return False
        backend, conn = entry
        backend.cancel(conn)
        return True


def run_sql(conn: Any, backend: Backend, text: str, *, max_rows: int = MAX_ROWS) -> SqlResult:
    """Run `text` in one transaction (committed if it succeeds, else rolled back): its rows,
    or SqlFailed with the database's message and the line it points at."""
    if not text.strip():
        raise SqlFailed("nothing to run", None)
    started = time.perf_counter()
    try:
        with backend.transaction(conn):
            # The user's own text, run as typed and without parameters: psycopg reads `%` as
            # a parameter only when parameters are passed.
            cursor = conn.execute(text)
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchmany(max_rows + 1) if cursor.description else []
            rowcount = cursor.rowcount
            cursor.close()
    except backend.errors() as err:
        position = backend.error_position(err)
        line = text[: position - 1].count("\n") + 1 if position else None
        message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise SqlFailed(message, line) from None
    return SqlResult(
        columns,
        [[shown(v) for v in row] for row in rows[:max_rows]],
        rowcount if rowcount is not None else -1,
        len(rows) > max_rows,
        round((time.perf_counter() - started) * 1000, 1),
    )
