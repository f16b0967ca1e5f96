"""Database URLs: `postgresql://user:pass@host:port/db?...` and `sqlite:///relative.db` /
`sqlite:////absolute.db` (also `sqlite://:memory:`).

Passwords are hidden by structure, never by searching text: a URL is parsed into its parts,
`redacted` is rebuilt from them with every password field (`user:***@`, `?password=***`,
`?sslpassword=***`) masked, and `url` is rebuilt with every part %-encoded, so the driver never
has to parse (and quote back in an error) what the user typed. A text that does not parse is
never echoed: the error says what is wrong with it, not what it is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes

from mizzle.core.errors import DatabaseURLError

DIALECT_BY_SCHEME = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "postgresql+psycopg": "postgresql",
    "sqlite": "sqlite",
}

#: query parameters whose value is a secret (libpq's keywords)
SECRET_PARAMS = frozenset({"password", "sslpassword", "oauth_client_secret"})

#: libpq's connection keywords (PostgreSQL 18's list): a URL's query may set only these. An
#: unknown one is refused here, with a message naming it, rather than by psycopg at connect time.
LIBPQ_KEYWORDS = SECRET_PARAMS | frozenset(
    {
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "passfile",
        "require_auth",
        "channel_binding",
        "connect_timeout",
        "client_encoding",
        "options",
        "application_name",
        "fallback_application_name",
        "keepalives",
        "keepalives_idle",
        "keepalives_interval",
        "keepalives_count",
        "tcp_user_timeout",
        "replication",
        "gssencmode",
        "sslmode",
        "requiressl",
        "sslnegotiation",
        "sslcompression",
        "sslcert",
        "sslkey",
        "sslkeylogfile",
        "sslcertmode",
        "sslrootcert",
        "sslcrl",
        "sslcrldir",
        "sslsni",
        "requirepeer",
        "ssl_min_protocol_version",
        "ssl_max_protocol_version",
        "min_protocol_version",
        "max_protocol_version",
        "krbsrvname",
        "gsslib",
        "gssdelegation",
        "service",
        "target_session_attrs",
        "load_balance_hosts",
        "oauth_issuer",
        "oauth_client_id",
        "oauth_scope",
    }
)

#: what a redacted URL shows instead of a secret
MASK = "***"

_EXPECTED = "postgresql://user:password@host:5432/dbname or sqlite:///file.db"
_ENCODE_HINT = "%-encode / ? # @ : & % in the user name and password (%2F %3F %23 %40 %3A %26 %25)"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_KEY_VALUE = re.compile(r"\s*[A-Za-z_]+\s*=")


@dataclass(frozen=True)
class PostgresParts:
    """A PostgreSQL URL's parts, %-decoded. `host` is "" for none (a socket given by ?host=)."""

    user: str | None
    password: str | None = field(repr=False)
    host: str
    port: str | None
    dbname: str | None
    query: tuple[tuple[str, str], ...] = field(default=(), repr=False)  # may hold ?password=

    def render(self, scheme: str, *, masked: bool) -> str:
        """The URL: every part %-encoded; with `masked`, every secret shown as ***."""

        def secret(value: str) -> str:
            return MASK if masked else _encoded(value)

        userinfo = ""
        if self.user is not None or self.password is not None:
            userinfo = _encoded(self.user or "")
            if self.password is not None:
                userinfo += ":" + secret(self.password)
            userinfo += "@"
        host = f"[{self.host}]" if ":" in self.host and "," not in self.host else _encoded(self.host, safe=",:")
        port = f":{self.port}" if self.port is not None else ""
        path = "/" + _encoded(self.dbname) if self.dbname is not None else ""
        query = "&".join(
            f"{_encoded(key)}={secret(value) if key in SECRET_PARAMS else _encoded(value, safe='/')}"
            for key, value in self.query
        )
        return f"{scheme}://{userinfo}{host}{port}{path}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class DatabaseURL:
    dialect: str  # "postgresql" or "sqlite"
    url: str = field(repr=False)  # the full URL, password included: for the driver only
    redacted: str  # safe to print
    #: the password and any other secret the URL carries (for the driver and for
    #: `reveals`, which keeps foreign text, e.g. a driver's message, from echoing them)
    secrets: tuple[str, ...] = field(default=(), repr=False)
    sqlite_path: str | None = None  # filesystem path or ":memory:" (sqlite only)
    parts: PostgresParts | None = field(default=None, repr=False)  # postgresql only

    def __str__(self) -> str:
        return self.redacted

    def reveals(self, text: str) -> bool:
        """Whether `text` (a message mizzle did not build, e.g. a driver's) holds a secret of
        this URL: such a text is not shown. mizzle's own messages show `redacted` instead."""
        return any(secret in text for secret in self.secrets)

    def with_database(self, dbname: str) -> DatabaseURL:
        """The same PostgreSQL server, another database."""
        if self.parts is None:
            raise DatabaseURLError(f"not a PostgreSQL URL: {self.redacted}")
        return _postgresql(replace(self.parts, dbname=dbname))


def parse_url(text: str, base_dir: Path | None = None) -> DatabaseURL:
    """Parse a database URL; raise DatabaseURLError, which never repeats `text`, if it is not one."""
    text = text.strip()
    match = _SCHEME.match(text)
    if match is None or not text[match.end() :].startswith("://"):
        raise DatabaseURLError(_not_a_url(text, match))
    scheme = match[0].lower()
    dialect = DIALECT_BY_SCHEME.get(scheme)
    if dialect is None:
        known = ", ".join(sorted({s for s in DIALECT_BY_SCHEME if "+" not in s}))
        raise DatabaseURLError(f"unknown database URL scheme {scheme!r} (known: {known})")
    rest = text[match.end() + 3 :]
    if dialect == "sqlite":
        return _sqlite_url(rest, base_dir)
    return _postgresql(_postgresql_parts(rest), scheme)


def _not_a_url(text: str, scheme: re.Match[str] | None) -> str:
    """Why `text` is not a URL, without repeating it (it may be all password)."""
    if _KEY_VALUE.match(text):
        return (
            "a key=value connection string is not supported (not shown: it may hold a password); "
            f"write it as a URL: {_EXPECTED}"
        )
    if scheme is not None and scheme[0].lower() in DIALECT_BY_SCHEME and text[scheme.end() :].startswith(":"):
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


def _encoded(value: str, safe: str = "") -> str:
    # Printable non-ASCII letters stay readable; anything a terminal could show as something
    # else (controls, bidi overrides, spaces) is %-encoded like the URL delimiters.
    return "".join(c if c.isprintable() and not c.isspace() and ord(c) > 127 else quote(c, safe=safe) for c in value)


def _decoded(text: str, what: str) -> str:
    """%-decode one part of a URL strictly: libpq refuses a stray % (and quotes the part in
    its error), so a stray % is refused here, naming the part, not showing it."""
    if re.search(r"%(?![0-9A-Fa-f]{2})", text):
        raise DatabaseURLError(f"bad PostgreSQL URL: the {what} has a % that starts no %-escape (write % as %25)")
    try:
        value = unquote_to_bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        raise DatabaseURLError(f"bad PostgreSQL URL: the {what} is not UTF-8 once %-decoded") from None
    if "\0" in value:
        raise DatabaseURLError(f"bad PostgreSQL URL: the {what} holds a NUL character, which PostgreSQL cannot take")
    return value


def _postgresql_parts(rest: str) -> PostgresParts:
    """`user:password@host:port/dbname?query` → its parts. A raw / ? # in a password ends the
    authority early, so an @ after the authority means exactly that, and is refused."""
    if "#" in rest:
        raise DatabaseURLError(f"bad PostgreSQL URL: a database URL has no #fragment; {_ENCODE_HINT}")
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    authority, after = rest[:cut], rest[cut:]
    path, _, query_text = after.partition("?")
    if "@" not in authority and ("@" in path or (authority and "@" in query_text)):
        raise DatabaseURLError(f"bad PostgreSQL URL: an @ after the host; {_ENCODE_HINT}")
    userinfo, at, hostport = authority.rpartition("@")
    user = password = None
    if at:
        user_text, colon, password_text = userinfo.partition(":")
        user = _decoded(user_text, "user name")
        password = _decoded(password_text, "password") if colon else None
    host, port = _host_and_port(hostport)
    dbname = _decoded(path[1:], "database name") if path else None
    query: list[tuple[str, str]] = []
    for piece in query_text.split("&") if query_text else ():
        if not piece:
            continue
        key, eq, value = piece.partition("=")
        if not eq:
            raise DatabaseURLError(f"bad PostgreSQL URL: a query parameter without =; {_ENCODE_HINT}")
        name = _decoded(key, "name of a query parameter")
        if name not in SECRET_PARAMS and any(known in SECRET_PARAMS for known, _ in query):
            # With a raw & in the password (`?password=a&port=b`), what follows is part of it:
            # it would be shown, and libpq would quote it in its own errors.
            raise DatabaseURLError(
                "bad PostgreSQL URL: put ?password= last in the query (what follows it could be part of "
                "a password written with a raw &; %-encode & as %26)"
            )
        if name not in LIBPQ_KEYWORDS:
            raise DatabaseURLError(f"bad PostgreSQL URL: unknown query parameter {shown_text(name)!r}")
        query.append((name, _decoded(value, "value of a query parameter")))
    if not host and not any(key == "host" for key, _ in query):
        raise DatabaseURLError("bad PostgreSQL URL: no host (postgresql://user@host/db, or ?host=/socket/dir)")
    return PostgresParts(user, password, host, port, dbname, tuple(query))


def _host_and_port(hostport: str) -> tuple[str, str | None]:
    if hostport.startswith("["):  # an IPv6 address: [::1]:5432
        host, end, after = hostport[1:].partition("]")
        if not end or (after and not after.startswith(":")):
            raise DatabaseURLError("bad PostgreSQL URL: an IPv6 host is written [address] or [address]:port")
        port_text = after[1:] if after else None
    elif "," in hostport:  # several hosts: libpq's own syntax, passed on as written
        host, port_text = hostport, None
    else:
        host, colon, port_text_ = hostport.partition(":")
        port_text = port_text_ if colon else None
    host = _decoded(host, "host")
    if not host.isprintable() or any(c.isspace() for c in host):
        raise DatabaseURLError("bad PostgreSQL URL: the host holds a space, control or invisible character")
    if port_text is not None and not (port_text.isascii() and port_text.isdigit() and 0 < int(port_text) < 65536):
        raise DatabaseURLError("bad PostgreSQL URL: the port must be a number from 1 to 65535")
    return host, port_text


def _postgresql(parts: PostgresParts, scheme: str = "postgresql") -> DatabaseURL:
    secrets = [parts.password or ""] + [value for key, value in parts.query if key in SECRET_PARAMS]
    return DatabaseURL(
        "postgresql",
        parts.render("postgresql", masked=False),
        parts.render(scheme, masked=True),
        secrets=tuple(s for s in secrets if s),
        parts=parts,
    )


def _sqlite_url(rest: str, base_dir: Path | None) -> DatabaseURL:
    if rest in (":memory:", "/:memory:"):
        return DatabaseURL("sqlite", "sqlite://:memory:", "sqlite://:memory:", sqlite_path=":memory:")
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
    text = f"sqlite:///{rest[1:]}"
    return DatabaseURL("sqlite", text, shown_text(text), sqlite_path=str(path))


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
