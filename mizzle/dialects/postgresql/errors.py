"""A failed statement's error as one line: PostgreSQL's primary message and, when the server
gives one, its hint, which often says what to do (`out of shared memory` comes with "You
might need to increase max_locks_per_transaction"). Where the hint names a server setting a
user may never have heard of, mizzle adds how to act on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

# psycopg is imported where a connection is made: see mizzle/dialects/postgresql/__init__.py.
if TYPE_CHECKING:
    import psycopg

#: a fragment of the server's hint → what mizzle adds to it
ADVICE: dict[str, str] = {
    "max_locks_per_transaction": (
        "one transaction locks every table it creates or changes, and the server's lock table is full: "
        "raise max_locks_per_transaction (postgresql.conf, then restart the server), "
        "or apply the schema in parts (several migrations)"
    ),
}


def server_message(err: psycopg.Error) -> str:
    """`err` as one line: the server's message, then `(hint: ...)` when it gives a hint."""
    primary = err.diag.message_primary
    if not primary:  # raised by the driver, not the server (a lost connection): its first line
        lines = [ln.strip() for ln in str(err).splitlines() if ln.strip()]
        primary = lines[0] if lines else type(err).__name__
    hint = " ".join((err.diag.message_hint or "").split())
    if not hint:
        return primary
    advice = [text for fragment, text in ADVICE.items() if fragment in hint]
    return f"{primary} (hint: {' '.join([hint, *advice])})"
