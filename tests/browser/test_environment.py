"""The browser test environment itself: the runtimes start offline from the local server, and the
network really is closed (by the route, which records, and by Chromium's host resolver rules)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext
from playwright.sync_api import Error as PlaywrightError

from tests.browser.harness import (
    REPO,
    TIMEOUT_MS,
    ConsoleErrors,
    MountStatic,
    NetworkGuard,
    PersistentContexts,
    open_page,
)
from tests.browser.server import StaticServer

# The URL Pyodide would fetch itself from if it were ever pointed at its CDN: the one outside
# request these tests most need to be sure never leaves the machine.
PYODIDE_CDN = "https://cdn.jsdelivr.net/pyodide/v314.0.7/full/pyodide.mjs"
OUTSIDE_SOCKET = "wss://relay.example.com/sync"

FETCH_OUTCOME = """async (url) => {
  try { await fetch(url); return "fetched"; } catch (err) { return "failed: " + String(err); }
}"""
SOCKET_OUTCOME = """(url) => new Promise((resolve) => {
  const ws = new WebSocket(url);
  ws.onopen = () => resolve("open");
  ws.onclose = (event) => resolve("closed: " + event.code);
})"""


def test_pyodide_starts_offline_with_its_sqlite(
    browser_context: BrowserContext,
    static_server: StaticServer,
    network_guard: NetworkGuard,
    console_errors: ConsoleErrors,
) -> None:
    static_server.clear_requests()
    _, result = open_page(browser_context, static_server.url("/pages/pyodide.html"))

    # Pyodide 314 links SQLite 3.39.0 into pyodide.asm.wasm; sql.js and sqlite-wasm are 3.54.1.
    assert result["sqlite_version"] == "3.39.0"
    assert result["python_version"].startswith("3.14.")
    assert result["platform"] == "emscripten"
    assert result["pyodide_version"] == "314.0.7"
    assert result["row"] == "hello"
    served = {request.path for request in static_server.requests if request.status == 200}
    assert {"/pyodide/pyodide.asm.wasm", "/pyodide/python_stdlib.zip"} <= served
    assert network_guard.blocked == []
    console_errors.assert_none()


def test_an_outside_request_is_blocked_and_recorded(
    browser_context: BrowserContext, static_server: StaticServer, network_guard: NetworkGuard
) -> None:
    page = browser_context.new_page()
    page.goto(static_server.url("/pages/blank.html"))

    assert page.evaluate(FETCH_OUTCOME, PYODIDE_CDN).startswith("failed: TypeError")
    assert page.evaluate(SOCKET_OUTCOME, OUTSIDE_SOCKET) == "closed: 1008"
    # The page's own server is still reachable: only other hosts are cut off.
    assert page.evaluate(FETCH_OUTCOME, static_server.url("/pages/blank.html")) == "fetched"

    assert network_guard.take_blocked() == [PYODIDE_CDN, OUTSIDE_SOCKET]


def test_host_resolver_rules_leave_only_127_0_0_1(chromium: Browser, static_server: StaticServer) -> None:
    # A context without the route: Chromium's own rules must still refuse every other name. The
    # name tried is localhost (the same server) so that nothing could leave even if they did not.
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.goto(static_server.url("/pages/blank.html"), timeout=TIMEOUT_MS)
        by_name = static_server.url("/pages/blank.html").replace("127.0.0.1", "localhost")
        with pytest.raises(PlaywrightError, match="ERR_NAME_NOT_RESOLVED"):
            page.goto(by_name, timeout=TIMEOUT_MS)
    finally:
        context.close()


def test_sql_js_runs_in_memory(
    browser_context: BrowserContext, static_server: StaticServer, console_errors: ConsoleErrors
) -> None:
    _, result = open_page(browser_context, static_server.url("/pages/sqljs.html"))

    assert result["sqlite_version"] == "3.54.1"
    assert result["row"] == "hello"
    console_errors.assert_none()


def test_sqlite_wasm_runs_in_memory(
    browser_context: BrowserContext, static_server: StaticServer, console_errors: ConsoleErrors
) -> None:
    _, result = open_page(browser_context, static_server.url("/pages/sqlite_wasm.html"))

    assert result["sqlite_version"] == "3.54.1"
    assert result["lib_version"] == "3.54.1"
    assert result["row"] == "hello"
    console_errors.assert_none()


def test_web_locks_exist_on_127_0_0_1(
    browser_context: BrowserContext, static_server: StaticServer, console_errors: ConsoleErrors
) -> None:
    _, result = open_page(browser_context, static_server.url("/pages/web_locks.html"))

    assert result["is_secure_context"] is True
    assert result["held_inside"] == ["mizzle-test"]
    assert result["second_request_refused_while_held"] is True
    assert result["held_after"] == 0
    console_errors.assert_none()


def test_a_test_can_serve_a_folder_of_its_own(
    browser_context: BrowserContext, mount_static: MountStatic, static_server: StaticServer, tmp_path: Path
) -> None:
    # As a test of `mizzle bundle` will: build into a folder, serve it, load it next to the runtimes.
    (tmp_path / "index.html").write_text(
        '<!doctype html><script type="module">'
        'import { publish } from "/pages/harness.mjs";'
        'publish(async () => ({ from: "own folder" }));'
        "</script>"
    )
    url = mount_static("/own/", tmp_path)

    _, result = open_page(browser_context, url + "index.html")

    assert result["from"] == "own folder"
    assert url == static_server.url("/own/")


def test_storage_survives_a_browser_restart_on_one_profile(
    persistent_contexts: PersistentContexts, static_server: StaticServer, tmp_path: Path
) -> None:
    profile = tmp_path / "profile"
    url = static_server.url("/pages/blank.html")

    first = persistent_contexts.open(profile)
    page = first.new_page()
    page.goto(url)
    page.evaluate("localStorage.setItem('mizzle-test', 'kept')")
    first.close()

    second = persistent_contexts.open(profile)
    page = second.new_page()
    page.goto(url)
    # Same origin, so the same port: the session server is still the one that wrote it.
    assert page.evaluate("localStorage.getItem('mizzle-test')") == "kept"


LEAKY_TEST = f"""
def test_leaks(browser_context, static_server):
    page = browser_context.new_page()
    page.goto(static_server.url("/pages/blank.html"))
    page.evaluate("fetch({PYODIDE_CDN!r}).catch(() => null)")
"""


def test_a_test_that_reaches_outside_fails(tmp_path: Path) -> None:
    # Run a test that makes one outside request through these very fixtures, in a pytest of its
    # own: it must fail (not error, not pass) and name the URL.
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_leak.py").write_text(textwrap.dedent(LEAKY_TEST))
    # The fixtures come in as a plugin: outside tests/ the conftest would not be picked up.
    plugins = ["-p", "tests.browser.conftest", "-p", "no:cacheprovider", "-p", "no:xdist"]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *plugins, "-q", "--rootdir", str(tmp_path), str(tmp_path / "test_leak.py")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_MS / 1000,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "1 failed" in output and "error" not in output.splitlines()[-1], output
    assert "tried to reach 1 non-local URL(s)" in output and PYODIDE_CDN in output, output
