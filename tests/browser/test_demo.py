"""The demo page a person opens: `mizzle bundle --serve` on the example's migrations, then the
page in Chromium shows the version, upgrades with a line per migration and lists the tables."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from tests.browser.harness import NODE_MODULES, REPO, TIMEOUT_MS, ConsoleErrors

#: the example's last migration: what the demo page upgrades a new database to
HEAD = "0004_commit_ordered_sync_cursor"

EXAMPLE = REPO / "examples" / "practice_tracker"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """`mizzle bundle --serve --port 0` in a subprocess; yields the demo page's URL."""
    mizzle = Path(sys.executable).parent / "mizzle"  # the console script of this environment
    command = [str(mizzle), "--config", str(EXAMPLE / "mizzle.toml"), "bundle"]
    command += ["--out", str(tmp_path / "bundle"), "--pyodide", str(NODE_MODULES / "pyodide"), "--serve", "--port", "0"]
    proc = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        url = None
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            found = re.search(r"(http://127\.0\.0\.1:\d+/demo/)", line)
            url = found.group(1) if found else None
        assert url is not None, f"mizzle bundle --serve printed no URL (exit code {proc.poll()})"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_the_demo_page_upgrades_the_local_database_and_lists_its_tables(
    served: str, browser_context: BrowserContext, console_errors: ConsoleErrors
) -> None:
    page = browser_context.new_page()
    page.goto(served)
    page.wait_for_function("() => !document.getElementById('upgrade').disabled", timeout=TIMEOUT_MS)
    assert page.inner_text("#current") == "empty"
    assert page.inner_text("#head") == HEAD
    page.click("#upgrade")
    page.wait_for_function("() => document.getElementById('log').textContent.includes('committed')")
    log = page.inner_text("#log")
    for name in ("0001_init", "0002_rate_every_session", "0003_sync_tables", HEAD):
        assert f"applied {name}" in log
    page.wait_for_function("() => document.getElementById('current').textContent === '" + HEAD + "'")
    # the page sets the head first and fills the table list after a second call: wait for it
    page.wait_for_function("() => document.getElementById('tables').tBodies[0].rows.length > 0")
    tables = page.inner_text("#tables")
    assert all(t in tables for t in ("practice_record", "tune", "user_profile"))
    page.click("#check")
    page.wait_for_function("() => document.getElementById('log').textContent.includes('check: ')")
    assert "check: the database is what the bundle's migrations make" in page.inner_text("#log")

    page.reload()  # the database is kept in IndexedDB
    page.wait_for_function("() => !document.getElementById('upgrade').disabled", timeout=TIMEOUT_MS)
    assert page.inner_text("#current") == HEAD
    assert "the database is up to date" in page.inner_text("#log")
    console_errors.assert_none()
