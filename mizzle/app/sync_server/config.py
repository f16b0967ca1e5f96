"""What a sync server serves: the database, the tables and their rules, auth, the schema window."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mizzle.app.sync_server.auth import Auth
from mizzle.core.errors import MizzleError
from mizzle.core.sync.rules import ConflictHook, TableRule, rules_from_mapping

#: an origin as a browser sends it: a scheme, a host, maybe a port, nothing else ("*" is not one:
#: a sync server answers with a user's rows, so the pages that may ask are named)
_ORIGIN = re.compile(r"https?://[^/\s?#*]+")


@dataclass
class ServerConfig:
    """`url`: the PostgreSQL database. `rules`: the tables served, parents first (rows are
    applied in this order, deletes in the reverse one), each with its rule. `window`: how many
    migrations behind the server's head a client may be and still sync. `hook`: the function
    tables with `conflict = "hook"` call. `roles`: roles the server may switch to (`SET LOCAL
    ROLE`) when a token's `role` claim names one, as Supabase does, so RLS policies apply.
    `max_connections`: how many requests of this process talk to PostgreSQL at once (each
    with a connection of its own); the others wait their turn. `max_clock_skew`: how many
    seconds ahead of the server's clock a pushed row's `last_modified_at` may be; a later
    time is replaced by the server's when the row is applied (last-write-wins compares the
    times rows were written on their devices)."""

    url: str = field(repr=False)  # may hold a password
    rules: dict[str, TableRule]
    auth: Auth
    window: int = 1
    hook: ConflictHook | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    max_connections: int = 10
    #: the largest request body read, in bytes (a client splits a larger push)
    max_body: int = 32 * 1024 * 1024
    #: web origins whose pages may call the server (CORS), exactly as a browser sends them
    #: (`https://app.example`, `http://127.0.0.1:5173`); none by default: no browser page may
    allow_origins: tuple[str, ...] = ()
    max_clock_skew: float = 300.0
    #: the project's migrations folder: columns renamed after an older client's head are
    #: mapped to the names it knows (`renames.py`); None: only added columns are translated
    migrations: Path | None = None

    def __post_init__(self) -> None:
        if not self.rules:
            raise MizzleError("the sync server needs at least one table to serve")
        if self.max_connections < 1:
            raise MizzleError(f"max_connections must be 1 or more, not {self.max_connections}")
        if not self.max_clock_skew >= 0:
            raise MizzleError(f"max_clock_skew must be 0 seconds or more, not {self.max_clock_skew}")
        if self.window < 0:
            raise MizzleError(f"the schema window must be 0 or more, not {self.window}")
        for origin in self.allow_origins:
            if not _ORIGIN.fullmatch(origin):
                raise MizzleError(
                    f"{origin!r} is not a web origin: scheme://host[:port], without a path (e.g. https://app.example)"
                )
        if self.hook is None:
            hooked = [t for t, r in self.rules.items() if r.conflict == "hook"]
            if hooked:
                raise MizzleError(f'table "{hooked[0]}" resolves conflicts with a hook, and none was given')


def rules_file(path: Path) -> dict[str, TableRule]:
    """Rules from a TOML file: `[tables.<name>]` tables, parents first, each with `owner`,
    `via` or `shared`, and optionally `conflict`."""
    import tomllib

    try:
        data: Mapping[str, Any] = tomllib.loads(path.read_text())
    except OSError as err:
        raise MizzleError(f"cannot read the sync rules {path}: {err.strerror or err}") from None
    except tomllib.TOMLDecodeError as err:
        raise MizzleError(f"the sync rules {path} are not TOML: {err}") from None
    unknown = sorted(set(data) - {"tables"})
    if unknown or "tables" not in data:
        raise MizzleError(f"the sync rules {path}: expected only a [tables.<name>] table per synced table")
    return rules_from_mapping(data["tables"])
