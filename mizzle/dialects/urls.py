"""Database URLs of every known dialect: the scheme finds the dialect (`Dialect.URL_SCHEMES`),
whose `parse_url` reads the rest. A text that does not parse is never echoed (it may be all
password): the error says what is wrong with it, not what it is."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mizzle.core.errors import DatabaseURLError
from mizzle.core.urls import SCHEME, DatabaseURL, not_a_url
from mizzle.dialects import dialect_names, get_dialect


def schemes() -> dict[str, str]:
    """Every URL scheme a known dialect takes → that dialect's name. A scheme is the first
    dialect's that claims it, built-in ones first: a dialect registered later cannot take
    over `postgresql://` URLs (and the passwords in them)."""
    found: dict[str, str] = {}
    for name in dialect_names():
        for scheme in get_dialect(name).URL_SCHEMES:
            found.setdefault(scheme, name)
    return found


def parse_url(text: str, base_dir: Path | None = None) -> DatabaseURL:
    """Parse a database URL (relative file paths from `base_dir`); DatabaseURLError, which
    never repeats `text`, if it is not one."""
    text = text.strip()
    match = SCHEME.match(text)
    known = schemes()
    if match is None or not text[match.end() :].startswith("://"):
        raise DatabaseURLError(not_a_url(text, match, known))
    scheme = match[0].lower()
    name = known.get(scheme)
    if name is None:
        # `postgresql+psycopg` spells a driver, not another database: not worth listing.
        listed = ", ".join(sorted(s for s in known if "+" not in s))
        raise DatabaseURLError(f"unknown database URL scheme {scheme!r} (known: {listed})")
    url = get_dialect(name).parse_url(scheme, text[match.end() + 3 :], base_dir)
    # A dialect may read its URLs with another's parser (a SQLite-backed one with SQLite's):
    # the URL belongs to the dialect whose scheme it has.
    return url if url.dialect == name else replace(url, dialect=name)


def redact(text: str) -> str:
    """Free text (an exception's message, a command line) with each word that is a database
    URL shown redacted, and each word that looks like one (`scheme://...`) but does not parse
    not shown at all: words are replaced whole, never the password's text (the benchmarks'
    reports use this; the CLI knows its arguments and withholds foreign text instead)."""

    def shown(word: re.Match[str]) -> str:
        try:
            return parse_url(word[0]).redacted
        except DatabaseURLError:
            return "(a URL not shown: it may hold a password)"

    return re.sub(r"[A-Za-z][A-Za-z0-9+.-]*://\S*", shown, text)
