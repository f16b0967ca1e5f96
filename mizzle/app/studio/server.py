"""The studio's ASGI app (Starlette): the page and its assets, and a JSON API over the use
cases of this package. Every request carries the run's secret token (a cookie set when the
URL with `?token=` is opened, or the `X-Mizzle-Token` header); a request whose Host or Origin
is not this server's is refused (DNS rebinding), and a write needs the header, which no other
site's page can send without the token (CSRF)."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from mizzle.app.studio import data, overview, sync_view
from mizzle.app.studio.erd import svg
from mizzle.app.studio.sql_runner import SqlFailed, run_sql
from mizzle.app.studio.values import ValueRefused
from mizzle.app.studio.workspace import ReadOnly, Workspace
from mizzle.core.errors import MizzleError

COOKIE = "mizzle_studio_token"
HEADER = "x-mizzle-token"
#: the page's files, shipped in the wheel (pyproject package-data): no CDN, works offline
ASSETS = {
    "studio.js": "text/javascript; charset=utf-8",
    "studio.css": "text/css; charset=utf-8",
}
#: no asset from anywhere else, no inline script, no framing by another site
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def _asset(name: str) -> bytes:
    return resources.files("mizzle.app.studio").joinpath("static", name).read_bytes()


def create_app(workspace: Workspace, token: str, allowed_hosts: list[str]) -> Starlette:
    """The studio's app for `workspace`. `allowed_hosts`: the `host:port` values a request's
    Host header may hold (the address served on, and localhost's names for it)."""

    def authorised(request: Request) -> bool:
        given = request.headers.get(HEADER)
        if given is None and request.method in ("GET", "HEAD"):
            given = request.cookies.get(COOKIE)
        return given is not None and hmac.compare_digest(given.encode(), token.encode())

    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        host = request.headers.get("host", "")
        if host not in allowed_hosts:
            return PlainTextResponse("forbidden: unknown Host", status_code=403)
        origin = request.headers.get("origin")
        if origin is not None and (urlsplit(origin).scheme != "http" or urlsplit(origin).netloc != host):
            return PlainTextResponse("forbidden: foreign Origin", status_code=403)
        if request.url.path == "/" and "token" in request.query_params:
            given = request.query_params["token"]
            if not hmac.compare_digest(given.encode(), token.encode()):
                return PlainTextResponse("unauthorised: wrong token", status_code=401)
            # The token leaves the address bar (and the history) for a cookie only this
            # server's pages send.
            redirect = RedirectResponse("/", status_code=303)
            redirect.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
            return redirect
        if not authorised(request):
            return PlainTextResponse("unauthorised: open the URL `mizzle studio` printed", status_code=401)
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Cache-Control"] = "no-store"
        return response

    def page(request: Request) -> Response:
        # The page's script sends the token back in a header for every call (a meta tag: the
        # CSP allows no inline script); another site's page cannot read it (same-origin policy).
        html = _asset("index.html").decode().replace("{{TOKEN}}", token)
        return Response(html, media_type="text/html; charset=utf-8")

    def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS:
            return PlainTextResponse("not found", status_code=404)
        return Response(_asset(name), media_type=ASSETS[name])

    def databases(request: Request) -> Response:
        return JSONResponse(
            {
                "read_only": workspace.read_only,
                "has_schema": workspace.schema_path is not None,
                "databases": [t.describe(i) for i, t in enumerate(workspace.targets)],
            }
        )

    def index_of(request: Request) -> int:
        return int(request.path_params["db"])

    def relations(request: Request) -> Response:
        i = index_of(request)
        backend = workspace.target(i).backend
        with workspace.connection(i) as conn:
            schema = workspace.schema(i, conn, fresh=True)
            listed = data.relations(conn, backend, schema)
        return JSONResponse([r.__dict__ for r in listed])

    async def rows(request: Request) -> Response:
        body = await _json(request)
        return await _threaded(lambda: _rows(body, index_of(request)))

    def _rows(body: dict[str, Any], i: int) -> Response:
        backend = workspace.target(i).backend
        filters = tuple(data.Filter(str(f["column"]), str(f["op"]), f.get("value")) for f in body.get("filters", []))
        after = body.get("after")
        request = data.PageRequest(
            sort=body.get("sort"),
            desc=bool(body.get("desc", False)),
            filters=filters,
            limit=int(body.get("limit", 50)),
            after=tuple(after) if after is not None else None,
            offset=int(body.get("offset", 0)),
        )
        with workspace.connection(i) as conn:
            result = data.page(conn, backend, workspace.schema(i, conn), str(body["table"]), request)
        return JSONResponse(result.__dict__)

    async def change(request: Request) -> Response:
        body = await _json(request)
        action = request.path_params["action"]
        i = index_of(request)

        def run() -> Response:
            workspace.writable()
            backend = workspace.target(i).backend
            table = str(body["table"])
            with workspace.connection(i) as conn:
                schema = workspace.schema(i, conn)
                try:
                    if action == "insert":
                        done = data.insert(conn, backend, schema, table, dict(body["values"]))
                    elif action == "update":
                        done = data.update(conn, backend, schema, table, dict(body["key"]), dict(body["values"]))
                    elif action == "delete":
                        done = data.delete(conn, backend, schema, table, dict(body["key"]))
                    else:
                        return _error(f"unknown change {action!r}", 404)
                except backend.errors() as err:
                    # A constraint the database enforces: its own words, and nothing changed.
                    message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                    return _error(f"{message}: nothing was changed", 409)
            return JSONResponse(done.__dict__)

        return await _threaded(run)

    async def sql(request: Request) -> Response:
        body = await _json(request)
        i = index_of(request)

        def run() -> Response:
            workspace.writable()
            backend = workspace.target(i).backend
            query = str(body.get("id", ""))
            with workspace.connection(i) as conn, workspace.running.running(query, backend, conn):
                try:
                    result = run_sql(conn, backend, str(body.get("sql", "")))
                except SqlFailed as err:
                    return JSONResponse({"error": str(err), "line": err.line}, status_code=400)
                finally:
                    workspace.forget(i)  # the statement may have changed the schema
            return JSONResponse(result.__dict__)

        return await _threaded(run)

    async def cancel(request: Request) -> Response:
        body = await _json(request)
        return JSONResponse({"cancelled": workspace.running.cancel(str(body.get("id", "")))})

    def schema_for(request: Request, conn: Any) -> Any:
        i = index_of(request)
        if request.query_params.get("source", "model") == "model":
            model = workspace.model()
            if model is not None:
                return model
        return workspace.schema(i, conn, fresh=True)

    def erd(request: Request) -> Response:
        with workspace.connection(index_of(request)) as conn:
            schema = schema_for(request, conn)
        return Response(svg(schema), media_type="image/svg+xml")

    def table(request: Request) -> Response:
        with workspace.connection(index_of(request)) as conn:
            schema = schema_for(request, conn)
        return JSONResponse(overview.table_detail(schema, request.path_params["name"]))

    def migrations(request: Request) -> Response:
        url = workspace.target(index_of(request)).url
        return JSONResponse(overview.migrations(url, workspace.folder))

    def drift(request: Request) -> Response:
        url = workspace.target(index_of(request)).url
        return JSONResponse(overview.drift(url, workspace.model()))

    def sync(request: Request) -> Response:
        i = index_of(request)
        with workspace.connection(i) as conn:
            schema = workspace.schema(i, conn, fresh=True)
            table = request.query_params.get("table")
            tables = sync_view.sync_tables(schema)
            if table is None:
                return JSONResponse({"tables": tables})
            since = request.query_params.get("since") or None
            pulled = sync_view.changes(conn, workspace.target(i).url.dialect, table, since)
        return JSONResponse({"tables": tables, **pulled})

    routes = [
        Route("/", page),
        Route("/static/{name}", asset),
        Route("/api/databases", databases),
        Route("/api/db/{db:int}/relations", relations),
        Route("/api/db/{db:int}/rows", rows, methods=["POST"]),
        Route("/api/db/{db:int}/change/{action}", change, methods=["POST"]),
        Route("/api/db/{db:int}/sql", sql, methods=["POST"]),
        Route("/api/db/{db:int}/sql/cancel", cancel, methods=["POST"]),
        Route("/api/db/{db:int}/erd.svg", erd),
        Route("/api/db/{db:int}/tables/{name:path}", table),
        Route("/api/db/{db:int}/migrations", migrations),
        Route("/api/db/{db:int}/drift", drift),
        Route("/api/db/{db:int}/sync", sync),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=guard)],
        # A malformed request (a key missing, a wrong type) is the client's error, answered
        # like a MizzleError; anything else is an internal error, in one line too.
        exception_handlers={
            MizzleError: _mizzle_error,  # type: ignore[dict-item]
            KeyError: _internal_error,
            TypeError: _internal_error,
            ValueError: _internal_error,
            Exception: _internal_error,
        },
    )


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise MizzleError("the request's body is not JSON") from None
    if not isinstance(body, dict):
        raise MizzleError("the request's body is not a JSON object")
    return body


async def _threaded(run: Callable[[], Response]) -> Response:
    """`run` (blocking driver calls) in a worker thread: a cancel request is served meanwhile."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(run)


def _error(message: str, status: int) -> Response:
    return JSONResponse({"error": message}, status_code=status)


async def _mizzle_error(request: Request, exc: MizzleError) -> Response:
    status = 403 if isinstance(exc, ReadOnly) else 422 if isinstance(exc, ValueRefused) else 400
    return _error(str(exc), status)


async def _internal_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, (KeyError, TypeError, ValueError)):
        return _error(f"bad request: {type(exc).__name__}: {exc}", 400)
    return _error(f"internal error: {type(exc).__name__}: {exc}", 500)
