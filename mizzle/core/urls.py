"""Database URLs, the dialect-free part: `DatabaseURL`, what every dialect's parser
(`mizzle/dialects/<d>/url.py`, found by scheme in `mizzle.dialects.urls.parse_url`) builds,
and the helpers those parsers share.

Passwords are hidden by structure, never by searching text: a URL is parsed into its parts,
`redacted` is rebuilt from them with every password field (`user:***@`, `?password=***`,
`?sslpassword=***`) masked, and `url` is rebuilt with every part %-encoded, so the driver never
has to parse (and quote back in an error) what the user typed. A text that does not parse is
never echoed: the error says what is wrong with it, not what it is."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

#: what a redacted URL shows instead of a secret
MASK = "***"

_EXPECTED = "postgresql://user:password@host:5432/dbname or sqlite:///file.db"
#: a URL's scheme, at the start of its text
SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_KEY_VALUE = re.compile(r"\s*[A-Za-z_]+\s*=")


@dataclass(frozen=True)
class DatabaseURL:
    dialect: str  # the name of the dialect whose scheme the URL has
    url: str = field(repr=False)  # the full URL, password included: for the driver only
    redacted: str  # safe to print
    #: the password and any other secret the URL carries (for the driver and for
    #: `reveals`, which keeps foreign text, e.g. a driver's message, from echoing them)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    sqlite_path: str | None = None  # filesystem path or ":memory:" (a SQLite-backed dialect's)
    #: a server URL's parts as its dialect parsed them (PostgreSQL: `PostgresParts`)
    parts: Any = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.redacted

    def reveals(self, text: str) -> bool:
        """Whether `text` (a message mizzle did not build, e.g. a driver's) holds a secret of
        this URL: such a text is not shown. mizzle's own messages show `redacted` instead."""
        return any(secret in text for secret in self.secrets)


def not_a_url(text: str, scheme: re.Match[str] | None, schemes: Collection[str]) -> str:
    """Why `text` is not a URL, without repeating it (it may be all password)."""
    if _KEY_VALUE.match(text):
        return (
            "a key=value connection string is not supported (not shown: it may hold a password); "
            f"write it as a URL: {_EXPECTED}"
        )
    if scheme is not None and scheme[0].lower() in schemes and text[scheme.end() :].startswith(":"):
        return f"bad database URL: {scheme[0]}: must be followed by two slashes; expected {_EXPECTED}"
    return f"not a database URL (not shown: it may hold a password); expected {_EXPECTED}"


def shown_text(text: str, limit: int = 200) -> str:
    """`text` (a path, a name) as a message may show it: characters that a terminal would
    not print as themselves (control, bidi, other invisible ones) escaped, and a long text
    cut in the middle, so that a message stays one readable line."""
    escaped = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)
    if len(escaped) <= limit:
        return escaped
    return f"{escaped[: limit // 2]}...({len(escaped)} characters)...{escaped[-limit // 4 :]}"


def encoded(value: str, safe: str = "") -> str:
    # Printable non-ASCII letters stay readable; anything a terminal could show as something
    # else (controls, bidi overrides, spaces) is %-encoded like the URL delimiters.
    return "".join(c if c.isprintable() and not c.isspace() and ord(c) > 127 else quote(c, safe=safe) for c in value)
