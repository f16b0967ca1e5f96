"""The sync server as an ASGI app (Starlette): `POST /sync` (one exchange) and `GET /health`.

    from mizzle.sync.server import app, ServerConfig, Auth
    sync = app(ServerConfig(url, rules, Auth(secret=...)))
    main_app.mount("/sync-api", sync)          # in an existing FastAPI / Starlette service

Stateless: every request takes a connection from the process's pool (psycopg_pool, at most
`ServerConfig.max_connections`; in a worker thread: psycopg is synchronous here), and
everything it needs to remember is in the database, so any number of processes can serve
the same clients. A connection goes back to the pool with no transaction open and its
session settings reset (`RESET ALL`: what one request set does not reach the next).
Errors are JSON `{"error": {"code", "message"}}` with one line of message, never a traceback.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import AsyncIterator
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from mizzle.app.sync_server import store
from mizzle.app.sync_server.auth import AuthError
from mizzle.app.sync_server.config import ServerConfig
from mizzle.app.sync_server.exchange import exchange
from mizzle.core.errors import MizzleError
from mizzle.core.sync.protocol import ProtocolError, parse_request
from mizzle.dialects.postgresql.errors import server_message


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def create_app(config: ServerConfig) -> Starlette:
    ready = threading.Event()
    ready_lock = threading.Lock()
    # a bound on this process's connections: a burst of devices queues here, not in
    # PostgreSQL. Opened on the first request (a mounted app may never be asked), one
    # connection kept open at least; closed with the app.
    pool = ConnectionPool(
        config.url,
        min_size=1,
        max_size=config.max_connections,
        kwargs={"autocommit": True, "application_name": "mizzle-sync"},
        reset=_reset,
        open=False,
        name="mizzle-sync",
    )
    opened = threading.Lock()

    def connection() -> Any:
        if pool.closed:
            with opened:
                if pool.closed:
                    pool.open(wait=False)
        return pool.connection(timeout=_WAIT_S)

    def run(claims: Any, body: Any) -> dict[str, Any]:
        request = parse_request(body)
        with connection() as conn:
            if not ready.is_set():
                with ready_lock:
                    store.ensure(conn)
                    ready.set()
            return exchange(conn, config, claims, request)

    async def sync(request: Request) -> JSONResponse:
        try:
            claims = config.auth.claims(request.headers.get("authorization"))
        except AuthError as err:
            return _error(401, "unauthorized", str(err))
        # read in chunks, so that a body over the limit is refused before it is all in memory
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > config.max_body:
                return _error(
                    413, "too_large", f"the request is larger than {config.max_body} bytes: push fewer rows at once"
                )
            chunks.append(chunk)
        try:
            body = json.loads(b"".join(chunks))
        except (ValueError, UnicodeDecodeError, RecursionError):
            return _error(400, "bad_request", "the request body is not JSON")
        try:
            return JSONResponse(await run_in_threadpool(run, claims, body))
        except ProtocolError as err:
            return _error(err.status, err.code, str(err))
        except psycopg.OperationalError as err:
            return _error(503, "unavailable", f"the database is not reachable: {server_message(err)}")
        except PoolTimeout:
            return _error(503, "unavailable", f"no database connection came free within {_WAIT_S:g} s")
        except psycopg.Error as err:
            return _error(500, "database", server_message(err))
        except MizzleError as err:
            return _error(400, "bad_request", str(err))

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(pool.close)

    routes = [Route("/sync", sync, methods=["POST"]), Route("/health", health, methods=["GET"])]
    if not config.allow_origins:
        return Starlette(routes=routes, lifespan=lifespan)
    # A browser page of another origin (the app's) may call only if its origin is listed; the
    # preflight (OPTIONS, for the JSON body and the Authorization header) is answered here.
    cors = Middleware(
        CORSMiddleware,
        allow_origins=list(config.allow_origins),
        allow_methods=["POST", "GET"],
        allow_headers=["Authorization", "Content-Type"],
        max_age=600,
    )
    return Starlette(routes=routes, middleware=[cors], lifespan=lifespan)


#: how long a request waits for a connection of the pool before it is answered 503
_WAIT_S = 10.0


def _reset(conn: psycopg.Connection[Any]) -> None:
    """A connection going back to the pool: session settings a request made are dropped."""
    conn.execute("RESET ALL")
