"""SQLite URLs: `sqlite:///relative/path.db`, `sqlite:////absolute/path.db`, `sqlite://:memory:`."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote_to_bytes

from mizzle.core.errors import DatabaseURLError
from mizzle.core.urls import DatabaseURL, shown_text


def parse_url(scheme: str, rest: str, base_dir: Path | None = None) -> DatabaseURL:
    """`scheme://rest`, its relative path from `base_dir`. The URL is written back with
    `scheme`, so a SQLite-backed dialect can parse its own URLs with this."""
    if rest in (":memory:", "/:memory:"):
        memory = f"{scheme}://:memory:"
        return DatabaseURL("sqlite", memory, memory, sqlite_path=":memory:")
    if not rest.startswith("/") or rest == "/" or "#" in rest:
        # Not shown: `sqlite://user:password@host/x` must not leak what was meant for another scheme.
        raise DatabaseURLError(
            "bad SQLite URL: use sqlite:///relative/path.db or sqlite:////absolute/path.db (%-encode # as %23)"
        )
    path_text, _, query = rest[1:].partition("?")
    if query:
        raise DatabaseURLError("bad SQLite URL: a SQLite URL takes no ?parameters (%-encode ? in a path as %3F)")
    try:
        path_text = unquote_to_bytes(path_text).decode("utf-8")  # sqlite:///x.db → x.db; sqlite:////abs → /abs
    except UnicodeDecodeError:
        raise DatabaseURLError("bad SQLite URL: the path is not UTF-8 once %-decoded") from None
    if "\0" in path_text:
        raise DatabaseURLError("bad SQLite URL: the path holds a NUL character")
    path = Path(path_text)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    text = f"{scheme}:///{rest[1:]}"
    return DatabaseURL("sqlite", text, shown_text(text), sqlite_path=str(path))
