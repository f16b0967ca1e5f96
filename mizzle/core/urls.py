"""Database URLs: `postgresql://user:pass@host:port/db?...` and `sqlite:///relative.db` /
`sqlite:////absolute.db` (also `sqlite://:memory:`). Passwords never leave this module
except inside the URL handed to the driver: `redacted` is what may be printed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from mizzle.core.errors import DatabaseURLError

DIALECT_BY_SCHEME = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+psycopg": "postgresql",
    "sqlite": "sqlite",
}


@dataclass(frozen=True)
class DatabaseURL:
    dialect: str  # "postgresql" or "sqlite"
    url: str = field(repr=False)  # the full URL, password included: for the driver only
    redacted: str  # safe to print
    password: str | None = field(default=None, repr=False)
    sqlite_path: str | None = None  # filesystem path or ":memory:" (sqlite only)

    def __str__(self) -> str:
        return self.redacted

    def scrub(self, text: str) -> str:
        """`text` with this URL's password (raw and %-encoded) replaced by ***."""
        if self.password:
            for secret in {self.password, _quote_all(self.password)}:
                text = text.replace(secret, "***")
        return text


def _quote_all(s: str) -> str:
    from urllib.parse import quote

    return quote(s, safe="")


def redact(text: str) -> str:
    """Hide the password of any URL-shaped `scheme://user:password@` inside `text`."""
    return re.sub(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*(@)", r"\1***\2", text)


def parse_url(text: str, base_dir: Path | None = None) -> DatabaseURL:
    """Parse a database URL; raise DatabaseURLError (with the password hidden) if it is not one."""
    text = text.strip()
    shown = redact(text)
    if "://" not in text:
        raise DatabaseURLError(
            f"not a database URL: {shown!r} (expected postgresql://user@host/db or sqlite:///file.db)"
        )
    scheme = text.split("://", 1)[0].lower()
    dialect = DIALECT_BY_SCHEME.get(scheme)
    if dialect is None:
        known = ", ".join(sorted({s for s in DIALECT_BY_SCHEME if "+" not in s}))
        raise DatabaseURLError(f"unknown database URL scheme {scheme!r} in {shown!r} (known: {known})")
    if dialect == "sqlite":
        return _sqlite_url(text, shown, base_dir)
    return _postgresql_url(text, shown)


def _sqlite_url(text: str, shown: str, base_dir: Path | None) -> DatabaseURL:
    rest = text.split("://", 1)[1]
    if rest in (":memory:", "/:memory:"):
        return DatabaseURL("sqlite", text, shown, sqlite_path=":memory:")
    if not rest.startswith("/") or rest == "/":
        raise DatabaseURLError(
            f"bad SQLite URL {shown!r}: use sqlite:///relative/path.db or sqlite:////absolute/path.db"
        )
    path_text = unquote(rest[1:].split("?", 1)[0])  # sqlite:///x.db → x.db; sqlite:////abs → /abs
    path = Path(path_text)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    return DatabaseURL("sqlite", text, shown, sqlite_path=str(path))


def _postgresql_url(text: str, shown: str) -> DatabaseURL:
    try:
        parts: SplitResult = urlsplit(text)
        port = parts.port  # raises ValueError on a non-numeric port
    except ValueError as err:
        raise DatabaseURLError(f"bad PostgreSQL URL {shown!r}: {err}") from None
    if not parts.hostname and "host=" not in parts.query:
        raise DatabaseURLError(f"bad PostgreSQL URL {shown!r}: no host")
    password = unquote(parts.password) if parts.password else None
    netloc_shown = parts.netloc
    if parts.password is not None:
        user = parts.username or ""
        host = parts.hostname or ""
        netloc_shown = f"{user}:***@{host}" + (f":{port}" if port else "")
    redacted = urlunsplit((parts.scheme, netloc_shown, parts.path, parts.query, ""))
    url = urlunsplit(("postgresql", parts.netloc, parts.path, parts.query, parts.fragment))
    return DatabaseURL("postgresql", url, redacted, password=password)
