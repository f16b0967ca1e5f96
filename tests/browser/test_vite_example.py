"""examples/vite-app: the bundle installed as the `mizzle` package of a Vite + TypeScript app,
type-checked by tsc, bundled by esbuild, and built with `npm ci` and `vite build` as its README
says; the built app upgrades its database in Chromium and finds it current after a reload."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext

from mizzle.cli.app import main
from tests.browser.harness import NODE_MODULES, REPO
from tests.browser.server import StaticServer

VITE_APP = REPO / "examples" / "vite-app"
HEAD = "0001_notes"


def npm(*args: str, cwd: Path) -> None:
    done = subprocess.run(["npm", *args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"npm {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example, bundled, installed from its lock and built; returns its dist/."""
    if shutil.which("npm") is None:
        pytest.fail("the Vite example needs npm (apt-get install npm)", pytrace=False)
    app = tmp_path_factory.mktemp("vite") / "app"
    shutil.copytree(VITE_APP, app, ignore=shutil.ignore_patterns("node_modules", "dist", "mizzle"))
    out = app / "public" / "mizzle"
    args = [
        "--config",
        str(app / "mizzle.toml"),
        "bundle",
        "--out",
        str(out),
        "--pyodide",
        str(NODE_MODULES / "pyodide"),
    ]
    assert main(args) == 0
    npm("ci", "--no-audit", "--no-fund", "--loglevel=error", cwd=app)
    assert (app / "node_modules" / "mizzle").resolve() == out
    npm("run", "typecheck", cwd=app)  # tsc resolves "mizzle" to the bundle's mizzle.d.ts and checks the app
    npm("run", "build:esbuild", cwd=app)  # esbuild resolves it too
    assert f'"{HEAD}"' in (app / "dist-esbuild" / "main.js").read_text()
    npm("run", "build", cwd=app)  # vite build
    dist = app / "dist"
    # mizzle.js went into the app's own code, with the head it was bundled for
    scripts = [p.read_text() for p in (dist / "assets").glob("*.js")]
    assert any(re.search(f"[\"'`]{HEAD}[\"'`]", script) for script in scripts)  # minified: any quotes
    assert (dist / "mizzle" / "manifest.json").is_file() and (dist / "mizzle" / "pyodide" / "pyodide.mjs").is_file()
    return dist


@pytest.fixture
def served(built: Path, static_server: StaticServer) -> Iterator[str]:
    static_server.mount("/vite/", built)
    yield static_server.url("/vite/index.html")
    static_server.unmount("/vite/")


def test_the_built_vite_app_upgrades_its_database_and_finds_it_current_after_a_reload(
    served: str, browser_context: BrowserContext
) -> None:
    page = browser_context.new_page()
    page.goto(served)
    first = page.evaluate("() => window.appReady")
    assert (first["from"], first["to"], first["applied"]) == (None, HEAD, [HEAD])
    assert page.inner_text("#status") == f"at {HEAD} (built for {HEAD})"
    assert page.inner_text("#log").startswith(f"applied {HEAD} (")
    page.reload()
    again = page.evaluate("() => window.appReady")  # set by the module script, before the load event
    assert (again["from"], again["to"], again["applied"]) == (HEAD, HEAD, [])
