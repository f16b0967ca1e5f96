"""Fixtures for the browser tests: a local static server, Debian's Chromium driven by Playwright,
and browser contexts that cannot reach anything but 127.0.0.1.

Every test here is marked ``browser`` (``pytest -m "not browser"`` leaves them out). A test fails
when a page it drove tried to reach another host: the request is aborted, recorded, and reported
after the test body, unless the test took it with ``network_guard.take_blocked()``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Playwright, sync_playwright

from tests.browser.harness import (
    CHROMIUM,
    CHROMIUM_ARGS,
    HERE,
    RUNTIME_MOUNTS,
    RUNTIMES_MISSING,
    TIMEOUT_MS,
    ConsoleErrors,
    MountStatic,
    NetworkGuard,
    PersistentContexts,
    prepare_context,
    require_chromium,
)
from tests.browser.server import StaticServer

_GUARDS = pytest.StashKey[list[NetworkGuard]]()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # This hook sees the whole session's items, not only this folder's: mark ours alone.
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    # Checked right after the test body so that a leak is the test's failure, not a teardown
    # error; a request made later (while fixtures close) still errors at teardown.
    result = yield
    guards = item.stash.get(_GUARDS, [])
    problems = [p for guard in guards if (p := guard.problem()) is not None]
    if problems:
        for guard in guards:  # reported here: the guard's teardown must not report them again
            guard.take_blocked()
        pytest.fail("\n".join(problems), pytrace=False)
    return result


@pytest.fixture(scope="session")
def static_server() -> Iterator[StaticServer]:
    """The session's server: ``/pyodide/``, ``/sqljs/``, ``/sqlite-wasm/`` and ``/pages/``.

    Add a folder with ``static_server.mount("/bundle/", path)`` (it stays for the session) or,
    for one test, with the ``mount_static`` fixture.
    """
    missing = [str(path) for path in RUNTIME_MOUNTS.values() if not path.is_dir()]
    if missing:
        pytest.fail(f"{RUNTIMES_MISSING}; missing: {', '.join(missing)}", pytrace=False)
    with StaticServer(RUNTIME_MOUNTS) as server:
        yield server


@pytest.fixture
def mount_static(static_server: StaticServer) -> Iterator[MountStatic]:
    """``mount_static("/bundle/", path)`` serves ``path`` for this test only; returns the folder URL."""
    before = static_server.mounts
    added: list[str] = []

    def mount(prefix: str, directory: Path) -> str:
        folder = static_server.mount(prefix, directory)
        added.append(folder)
        return static_server.url(folder)

    yield mount
    for folder in added:
        if folder in before:
            static_server.mount(folder, before[folder])
        elif folder in static_server.mounts:
            static_server.unmount(folder)


@pytest.fixture(scope="session")
def playwright_sync() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def chromium(playwright_sync: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium, shared by the session (each test gets its own context)."""
    require_chromium()
    browser = playwright_sync.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True, timeout=TIMEOUT_MS
    )
    yield browser
    browser.close()


@pytest.fixture
def network_guard(request: pytest.FixtureRequest) -> Iterator[NetworkGuard]:
    """The test's guard: every context the fixtures below make for this test reports to it."""
    guard = NetworkGuard()
    request.node.stash.setdefault(_GUARDS, []).append(guard)
    yield guard
    problem = guard.problem()
    if problem is not None:
        pytest.fail(f"after the test body: {problem}", pytrace=False)


@pytest.fixture
def console_errors() -> ConsoleErrors:
    """Console errors and uncaught exceptions of the test's pages (``console_errors.assert_none()``)."""
    return ConsoleErrors()


@pytest.fixture
def browser_context(
    chromium: Browser, network_guard: NetworkGuard, console_errors: ConsoleErrors
) -> Iterator[BrowserContext]:
    """A fresh context (empty storage) whose requests may only go to 127.0.0.1."""
    context = prepare_context(chromium.new_context(), network_guard, console_errors)
    yield context
    context.close()


@pytest.fixture
def persistent_contexts(
    playwright_sync: Playwright, network_guard: NetworkGuard, console_errors: ConsoleErrors
) -> Iterator[PersistentContexts]:
    """``persistent_contexts.open(tmp_path / "profile")``: a Chromium on a profile that outlives it."""
    contexts = PersistentContexts(playwright_sync, network_guard, console_errors)
    yield contexts
    contexts.close_all()
