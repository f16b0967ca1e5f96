"""The sync server, for mounting in an existing ASGI service (FastAPI, Starlette) or running
with `mizzle sync serve`; docs/sync.md, *The sync server*.

    from mizzle.sync.server import Auth, ServerConfig, app, rules_from_classes

    sync = app(ServerConfig("postgresql://...", rules_from_classes([Project, Task]),
                            Auth(secret=os.environ["SUPABASE_JWT_SECRET"])))
    service.mount("/sync", sync)      # clients then post to /sync/sync

Needs the `sync` extra: `pip install 'mizzle[sync]'` (Starlette, uvicorn, PyJWT).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mizzle.app.sync_server.asgi import create_app
from mizzle.app.sync_server.auth import Auth, AuthError, Claims
from mizzle.app.sync_server.config import ServerConfig, rules_file
from mizzle.core.sync.rules import DELETED, ConflictHook, RuleError, TableRule, rules_from_mapping
from mizzle.sources.dsl.table import table_name

app = create_app

__all__ = [
    "DELETED",
    "Auth",
    "AuthError",
    "Claims",
    "ConflictHook",
    "RuleError",
    "ServerConfig",
    "TableRule",
    "app",
    "rules_file",
    "rules_from_classes",
    "rules_from_mapping",
]


def rules_from_classes(classes: Iterable[type[Any]]) -> dict[str, TableRule]:
    """The rules DSL Table classes declare (`__sync__ = {"owner": "user_id"}`; `True`: a
    shared table), in the order given (parents first)."""
    rules: dict[str, TableRule] = {}
    for cls in classes:
        declared = getattr(cls, "__sync__", False)
        if declared is False:
            raise RuleError(f"{cls.__name__} is not a sync table (no __sync__)")
        name = table_name(cls)
        rules[name] = TableRule.from_mapping(name, declared)
    return rules
