"""What the browser tests share besides fixtures: where things are, how Chromium is started, the
network guard, the console-error collector, and how a test page reports its result.

A test page publishes one JSON object as ``window.__mizzleTest`` when it is done (see
``pages/harness.mjs``): ``{"ok": true, "ms": ..., ...}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    Route,
    WebError,
    WebSocketRoute,
)
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PAGES = HERE / "pages"
NODE_MODULES = REPO / "examples" / "browser" / "node_modules"

#: URL folder → directory the session's server always serves. Tests mount more (``/bundle/``).
RUNTIME_MOUNTS: dict[str, Path] = {
    "/pyodide/": NODE_MODULES / "pyodide",
    "/sqljs/": NODE_MODULES / "sql.js" / "dist",
    # sqlite-wasm ≥ 3.50 ships dist/index.mjs + dist/sqlite3.wasm (+ its OPFS worker scripts),
    # found through import.meta.url: the whole folder must be served under one prefix.
    "/sqlite-wasm/": NODE_MODULES / "@sqlite.org" / "sqlite-wasm" / "dist",
    "/pages/": PAGES,
}

#: The ``mount_static`` fixture: ``mount("/bundle/", folder)`` → that folder's absolute URL.
MountStatic = Callable[[str, Path], str]

#: Debian's Chromium. Playwright's own browser builds cannot be downloaded here (no CDN), so the
#: tests never fall back to them: a missing /usr/bin/chromium is a failure, not a skip.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS: list[str] = [
    "--headless",
    "--no-sandbox",  # we run as root in CI, where the setuid sandbox refuses to start
    "--disable-gpu",
    # Without these Chromium phones home at start (component updates, safe browsing, sync...),
    # and on this closed network each attempt is a refused connection or a DNS failure.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    # Second line of defence behind the route: every host name but 127.0.0.1 fails to resolve,
    # which also covers requests Playwright's routing never sees (fetches from blob: workers).
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
CHROMIUM_MISSING = (
    f"the browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium "
    "(scripts/test.sh installs it when it may)"
)
RUNTIMES_MISSING = (
    "the browser tests need the npm packages in examples/browser/node_modules: "
    "npm ci --prefix examples/browser (scripts/test.sh runs it)"
)

#: Pyodide starts in 3-11 s on a loaded 2-core machine; a page that has not finished in two
#: minutes is stuck, not slow.
TIMEOUT_MS = 120_000

ALLOWED_HOST = "127.0.0.1"
# URLs without a network host that never leave the browser.
_LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def is_local(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme in _LOCAL_SCHEMES:
        return True
    return parts.scheme in ("http", "https", "ws", "wss") and parts.hostname == ALLOWED_HOST


@dataclass
class NetworkGuard:
    """Aborts every request and WebSocket whose host is not 127.0.0.1, and remembers it.

    A test that expects a blocked request takes it with ``take_blocked()``; anything still recorded
    when the test ends fails it (see conftest.py).
    """

    blocked: list[str] = field(default_factory=list)

    def install(self, context: BrowserContext) -> None:
        # Context-level routes also see requests from the context's pages' URL-loaded workers.
        context.route("**/*", self._on_route)
        context.route_web_socket(lambda _url: True, self._on_web_socket)

    def _on_route(self, route: Route) -> None:
        url = route.request.url
        if is_local(url):
            route.fallback()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")

    def _on_web_socket(self, ws: WebSocketRoute) -> None:
        if is_local(ws.url):
            ws.connect_to_server()
        else:
            self.blocked.append(ws.url)
            ws.close(code=1008, reason="mizzle tests: the network is blocked")

    def take_blocked(self) -> list[str]:
        """The URLs blocked so far (oldest first), forgetting them."""
        taken, self.blocked = self.blocked, []
        return taken

    def problem(self) -> str | None:
        if not self.blocked:
            return None
        listed = "\n".join(f"  {url}" for url in self.blocked)
        return f"the page tried to reach {len(self.blocked)} non-local URL(s), which were blocked:\n{listed}"


@dataclass
class ConsoleErrors:
    """``console.error`` messages and uncaught exceptions of every page in the contexts it watches."""

    messages: list[str] = field(default_factory=list)

    def watch(self, context: BrowserContext) -> None:
        context.on("console", self._on_console)
        context.on("weberror", self._on_web_error)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.messages.append(f"console.error: {message.text}" + (f" ({where})" if where else ""))

    def _on_web_error(self, error: WebError) -> None:
        self.messages.append(f"uncaught: {error.error}")

    def take(self) -> list[str]:
        taken, self.messages = self.messages, []
        return taken

    def assert_none(self) -> None:
        assert not self.messages, "errors in the browser console:\n" + "\n".join(self.messages)


def page_result(page: Page, *, timeout_ms: float = TIMEOUT_MS, expect_ok: bool = True) -> dict[str, Any]:
    """Wait for the page's ``window.__mizzleTest`` and return it.

    With ``expect_ok`` a page that reported ``ok: false`` raises AssertionError with its error.
    """
    try:
        page.wait_for_function("() => window.__mizzleTest !== undefined", timeout=timeout_ms)
    except PlaywrightTimeoutError:
        raise AssertionError(
            f"{page.url} reported no result in {timeout_ms / 1000:.0f} s "
            "(a module that failed to load is the usual cause: see the console errors)"
        ) from None
    result: dict[str, Any] = page.evaluate("() => window.__mizzleTest")
    if expect_ok:
        assert result.get("ok") is True, f"{page.url} failed: {result.get('error', result)}"
    return result


def open_page(
    context: BrowserContext, url: str, *, timeout_ms: float = TIMEOUT_MS, expect_ok: bool = True
) -> tuple[Page, dict[str, Any]]:
    """Open ``url`` in a new page of ``context`` and wait for its result."""
    page = context.new_page()
    page.goto(url, wait_until="load", timeout=timeout_ms)
    return page, page_result(page, timeout_ms=timeout_ms, expect_ok=expect_ok)


def require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.fail(CHROMIUM_MISSING, pytrace=False)


def prepare_context(context: BrowserContext, guard: NetworkGuard, console: ConsoleErrors) -> BrowserContext:
    """Long timeouts, the network guard and the console collector on a new context."""
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    guard.install(context)
    console.watch(context)
    return context


class PersistentContexts:
    """Opens persistent contexts (a Chromium of their own on a user-data dir) with the same guard.

    For tests of what survives a reload or a browser restart: open, write, ``close()``, open the same
    folder again, read. Whatever is still open when the test ends is closed.
    """

    def __init__(self, playwright: Playwright, guard: NetworkGuard, console: ConsoleErrors) -> None:
        self._playwright = playwright
        self._guard = guard
        self._console = console
        self._open: list[BrowserContext] = []

    def open(self, user_data_dir: Path) -> BrowserContext:
        require_chromium()
        context = self._playwright.chromium.launch_persistent_context(
            user_data_dir, executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=TIMEOUT_MS
        )
        self._open.append(context)
        return prepare_context(context, self._guard, self._console)

    def close_all(self) -> None:
        while self._open:
            self._open.pop().close()
