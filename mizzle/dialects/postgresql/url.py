"""PostgreSQL URLs: `postgresql://user:password@host:port/dbname?libpq-keyword=value`
(also `postgres://` and `postgresql+psycopg://`), parsed into their parts.

Passwords are hidden by structure, never by searching text: `redacted` is rebuilt from the
parts with every password field (`user:***@`, `?password=***`, `?sslpassword=***`) masked, and
`url` is rebuilt with every part %-encoded, so libpq never has to parse (and quote back in an
error) what the user typed. A part that does not parse is named, never shown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import unquote_to_bytes

from mizzle.core.errors import DatabaseURLError
from mizzle.core.urls import MASK, DatabaseURL, encoded, shown_text

_ENCODE_HINT = "%-encode / ? # @ : & % in the user name and password (%2F %3F %23 %40 %3A %26 %25)"

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
            return MASK if masked else encoded(value)

        userinfo = ""
        if self.user is not None or self.password is not None:
            userinfo = encoded(self.user or "")
            if self.password is not None:
                userinfo += ":" + secret(self.password)
            userinfo += "@"
        host = f"[{self.host}]" if ":" in self.host and "," not in self.host else encoded(self.host, safe=",:")
        port = f":{self.port}" if self.port is not None else ""
        path = "/" + encoded(self.dbname) if self.dbname is not None else ""
        query = "&".join(
            f"{encoded(key)}={secret(value) if key in SECRET_PARAMS else encoded(value, safe='/')}"
            for key, value in self.query
        )
        return f"{scheme}://{userinfo}{host}{port}{path}" + (f"?{query}" if query else "")


def parse_url(scheme: str, rest: str, base_dir: Path | None = None) -> DatabaseURL:
    """`scheme://rest` (`base_dir` is for file databases: unused)."""
    return _postgresql(_postgresql_parts(rest), scheme)


def with_database(url: DatabaseURL, dbname: str) -> DatabaseURL:
    """The same PostgreSQL server as `url`, another database."""
    if not isinstance(url.parts, PostgresParts):
        raise DatabaseURLError(f"not a PostgreSQL URL: {url.redacted}")
    return _postgresql(replace(url.parts, dbname=dbname))


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
