"""Connecting to PostgreSQL and applying DDL: the I/O edge of the dialect.

Every failure becomes one line a user can act on, naming the server by its redacted URL:
libpq's own messages are multi-line and prefixed. They cannot echo a password typed by the
user: psycopg gets the URL rebuilt by mizzle.core.urls with every part %-encoded, so libpq
has nothing to complain about in its syntax; a message that holds a secret all the same is
not shown.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mizzle.core.errors import ConnectionFailed, MizzleError
from mizzle.core.urls import DatabaseURL
from mizzle.dialects.postgresql.errors import server_message

# psycopg is imported where a connection is made: see mizzle/dialects/postgresql/__init__.py.
if TYPE_CHECKING:
    import psycopg

#: seconds to wait for the server to answer before giving up
CONNECT_TIMEOUT = 10

_SERVER_AT = re.compile(
    r'connection to server (?:at "(?P<host>[^"]*)"(?: \([^)]*\))?, port (?P<port>\d+)|on socket "(?P<socket>[^"]*)")'
)
_UNRESOLVED = re.compile(r"""(?:failed to resolve host|could not translate host name) ["']?(?P<host>[^"' ]+)""")

#: libpq / server message fragment → what to tell the user (`{where}` is the server's address)
_KNOWN_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"Connection refused|No such file or directory"),
        "nothing is listening on {where} (is PostgreSQL running there?)",
    ),
    (re.compile(r'password authentication failed for user "[^"]*"'), "{0}"),
    (re.compile(r'database "[^"]*" does not exist'), "{0}"),
    (re.compile(r'role "[^"]*" does not exist'), "{0}"),
    (re.compile(r"fe_sendauth: no password supplied"), "the server asks for a password and the URL has none"),
    (re.compile(r"timeout expired"), "no answer from {where} within {timeout} s"),
)


def describe_connect_error(text: str, url: DatabaseURL, timeout: float = CONNECT_TIMEOUT) -> str:
    """One line saying why connecting to `url` failed, from the driver's `text`; never the password."""
    unresolved = _UNRESOLVED.search(text)
    if unresolved:
        return f"cannot connect to {url.redacted}: unknown host {unresolved['host']}"
    server = _SERVER_AT.search(text)
    if server is None:
        where = "the server"
    elif server["socket"]:
        where = f"socket {server['socket']}"
    else:
        where = f"{server['host']}:{server['port']}"
    for pattern, message in _KNOWN_PROBLEMS:
        found = pattern.search(text)
        if found:
            return f"cannot connect to {url.redacted}: " + message.format(found[0], where=where, timeout=timeout)
    # Anything else: the last meaningful line, without libpq's prefixes.
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    detail = lines[-1] if lines else "unknown error"
    detail = re.sub(r"^(connection failed: )?(connection to server [^:]*failed: )?(FATAL:\s*)?", "", detail)
    if url.reveals(detail):  # withheld whole: masking the password's text in place shows it to whoever compares
        detail = "the driver's message is not shown: it may hold the password"
    return f"cannot connect to {url.redacted}: {detail}"


def connect(
    url: DatabaseURL, *, create: bool = False, missing_as_empty: bool = False, timeout: float = CONNECT_TIMEOUT
) -> psycopg.Connection[Any]:
    """Open a connection (autocommit off); raise ConnectionFailed with a one-line, password-free
    message. `create` and `missing_as_empty` are the contract's: a server's database exists or
    is an error, whatever the command."""
    import psycopg

    try:
        return psycopg.connect(url.url, connect_timeout=max(1, round(timeout)), autocommit=False)
    except psycopg.Error as err:
        raise ConnectionFailed(describe_connect_error(str(err), url, timeout)) from None
    except UnicodeError:  # psycopg resolves host names itself: a name IDNA cannot encode
        raise ConnectionFailed(f"cannot connect to {url.redacted}: the host name is not a valid DNS name") from None


def owns_connection(conn: Any) -> bool:
    """Whether `conn` is a psycopg connection. By module name first, so that a program that
    never imported psycopg (a SQLite-only one) does not import it here."""
    if type(conn).__module__.split(".")[0] != "psycopg":
        return False
    import psycopg

    return isinstance(conn, psycopg.Connection)


def _first_line(statement: str, limit: int = 100) -> str:
    line = next((ln.strip() for ln in statement.splitlines() if ln.strip()), "")
    return line if len(line) <= limit else line[: limit - 3] + "..."


def apply(conn: psycopg.Connection[Any], statements: list[str]) -> None:
    """Run `statements` in one transaction: all of them, or (on the first failure) none.

    Raise MizzleError naming the failing statement and the server's message."""
    import psycopg

    failed: tuple[int, str, psycopg.Error] | None = None
    try:
        with conn.transaction():
            for number, statement in enumerate(statements, 1):
                try:
                    # bytes, and no parameters: the text goes to the server untouched (a `%` stays a `%`)
                    conn.execute(statement.encode())
                except psycopg.Error as err:
                    failed = (number, statement, err)
                    raise
    except psycopg.Error as err:
        if failed is None:  # BEGIN or COMMIT itself failed (e.g. the connection was lost)
            raise MizzleError(f"could not apply the changes, nothing was applied: {_server_message(err)}") from None
        number, statement, cause = failed
        raise MizzleError(
            f"statement {number} of {len(statements)} failed, nothing was applied: "
            f"{_first_line(statement)} -- {_server_message(cause)}"
        ) from None


def _server_message(err: psycopg.Error) -> str:
    return server_message(err)
