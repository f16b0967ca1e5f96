"""What the studio needs to know of each database's driver, as a table: how a parameter is
written, how a transaction is opened, how a running query is cancelled from another thread,
and where a failed statement's error is."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from mizzle.app.studio.values import SQLITE_TEXT_FORMS, Storage


@dataclass(frozen=True)
class Backend:
    dialect: str
    #: the driver's parameter marker (qmark for sqlite3, format for psycopg)
    marker: str
    #: a LIKE pattern's escape clause (`\` escapes `%`, `_` and itself in a contains filter)
    like_escape: str
    #: the SQL that casts an expression to text, `{}` for the expression
    as_text: str
    #: cancel the statement running on a connection (called from another thread)
    cancel: Callable[[Any], None]
    #: the 1-based character position of the error in the statement, when the driver says
    error_position: Callable[[BaseException], int | None]
    #: the driver's error classes (a failed statement, a refused value)
    errors: Callable[[], tuple[type[BaseException], ...]]
    #: one transaction on a connection, committed at the end of the block, else rolled back
    transaction: Callable[[Any], AbstractContextManager[Any]]
    #: what the studio sets on a new connection
    opened: Callable[[Any], None]
    #: how values are held (`values.bound` checks a value arrives unchanged by it)
    storage: Storage


#: where a bound parameter goes while a statement is built: no name can hold a NUL (neither
#: database accepts one in SQL text), so a `%` or `?` inside a quoted name is never taken for it
MARK = "\x00"


def execute(conn: Any, backend: Backend, sql: str, params: list[Any]) -> Any:
    """Run `sql` (its parameters written as MARK) with `params` bound; the driver's cursor."""
    return conn.execute(driver_sql(backend, sql), params)


def driver_sql(backend: Backend, sql: str) -> str:
    """`sql` as the driver reads it: psycopg takes every `%` for a parameter, so a `%` in a
    quoted name or a literal is doubled first."""
    if backend.marker == "%s":
        sql = sql.replace("%", "%%")
    return sql.replace(MARK, backend.marker)


def shown_sql(backend: Backend, sql: str) -> str:
    """`sql` as the page shows it: with the driver's parameter markers, names as written."""
    return sql.replace(MARK, backend.marker)


def transaction(backend: Backend, conn: Any) -> AbstractContextManager[Any]:
    """One transaction on `conn`: committed when the block ends, rolled back on any error."""
    return backend.transaction(conn)


@contextmanager
def _sqlite_transaction(conn: Any) -> Iterator[None]:
    # The connection is in autocommit mode (dialects/sqlite/connect.py): BEGIN is ours to say.
    conn.execute("BEGIN")
    try:
        yield
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _pg_position(err: BaseException) -> int | None:
    diag = getattr(err, "diag", None)
    position = getattr(diag, "statement_position", None)
    return int(position) if position else None


def _pg_errors() -> tuple[type[BaseException], ...]:
    import psycopg

    return (psycopg.Error,)


def _sqlite_errors() -> tuple[type[BaseException], ...]:
    import sqlite3

    return (sqlite3.Error, OverflowError)


def _pg_cancel(conn: Any) -> None:
    conn.cancel_safe() if hasattr(conn, "cancel_safe") else conn.cancel()


BACKENDS: dict[str, Backend] = {
    "sqlite": Backend(
        dialect="sqlite",
        marker="?",
        like_escape="ESCAPE '\\'",
        as_text="CAST({} AS TEXT)",
        cancel=lambda conn: conn.interrupt(),
        error_position=lambda err: None,
        errors=_sqlite_errors,
        transaction=_sqlite_transaction,
        opened=lambda conn: None,
        storage=Storage(native_arrays=False, exact_decimals=False, text_forms=SQLITE_TEXT_FORMS),
    ),
    "postgresql": Backend(
        dialect="postgresql",
        marker="%s",
        like_escape="ESCAPE '\\'",
        as_text="CAST({} AS text)",
        cancel=_pg_cancel,
        error_position=_pg_position,
        errors=_pg_errors,
        transaction=lambda conn: conn.transaction(),
        # autocommit: a read holds no transaction open, and a change opens its own
        opened=lambda conn: setattr(conn, "autocommit", True),
        storage=Storage(native_arrays=True, exact_decimals=True, text_forms={}),
    ),
}


def backend_for(dialect: str) -> Backend:
    from mizzle.core.errors import MizzleError

    try:
        return BACKENDS[dialect]
    except KeyError:
        raise MizzleError(f"the studio does not know the {dialect} database yet") from None
