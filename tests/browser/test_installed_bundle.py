"""`mizzle bundle` as a user runs it: mizzle's wheel installed (not editable) in a fresh venv
with no package index, in a project outside the repository, offline; the bundle loads in
Chromium and upgrades. A failed re-bundle leaves it loadable; a stale manifest is refused.

The wheel is built with pip and the project's build backend, the way a release is; its
dependencies come from this test environment's own installed packages, repacked as wheels
(`repack`), so the install needs no index and no network.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from playwright.sync_api import Browser, BrowserContext, Page

import mizzle
from mizzle.wasm.wheel import RUNTIME_ENTRY, import_closure
from tests.browser.harness import NODE_MODULES, PAGES, REPO
from tests.browser.server import StaticServer

SCHEMA_V1 = """from mizzle.dsl import Table, serial, text

class Tune(Table):
    id = serial().primary_key()
    title = text().not_null()
"""
SCHEMA_V2 = SCHEMA_V1 + "    key = text()\n"

#: pip may use no index, no config file and no cache: the install and the bundle are offline
OFFLINE = {"PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1", "PIP_NO_CACHE_DIR": "1"}


def repack(dist: metadata.Distribution, dest: Path) -> Path:
    """An installed distribution as a wheel again: its files (bytecode and scripts left out;
    pip writes scripts from entry_points.txt) and its dist-info, with a new RECORD."""
    site = Path(str(dist.locate_file("")))
    files = [f for f in dist.files or [] if not f.as_posix().startswith("..") and "__pycache__" not in f.parts]
    info = next(f.parts[0] for f in files if f.parts[0].endswith(".dist-info"))
    tags = [t.split("-") for t in re.findall(r"^Tag: (\S+)$", (site / info / "WHEEL").read_text(), re.MULTILINE)]
    assert tags, f"{info}/WHEEL has no Tag"
    # py2-none-any + py3-none-any → py2.py3-none-any (a wheel name's compressed tag set)
    tag = "-".join(".".join(dict.fromkeys(t[i] for t in tags)) for i in range(3))
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    target = dest / f"{name}-{dist.version}-{tag}.whl"
    record = []
    with zipfile.ZipFile(target, "w") as archive:
        for file in files:
            path = site / file
            skipped = file.name in ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
            if skipped or not path.is_file():
                continue
            data = path.read_bytes()
            archive.writestr(file.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{file.as_posix()},sha256={digest},{len(data)}")
        archive.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")
    return target


def dependencies(name: str, extras: frozenset[str] = frozenset()) -> set[str]:
    """The installed distributions `name` (with `extras`) needs, transitively."""
    seen: set[str] = set()
    todo = [(name, extras)]
    while todo:
        current, wanted = todo.pop()
        for line in metadata.requires(current) or []:
            req = Requirement(line)
            envs = [{"extra": e} for e in wanted] or [{"extra": ""}]
            if req.marker is not None and not any(req.marker.evaluate(env) for env in envs):
                continue
            key = req.name.lower()
            if key not in seen:
                seen.add(key)
                todo.append((req.name, frozenset(req.extras)))
    return seen


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@dataclass(frozen=True)
class Installed:
    venv: Path
    project: Path
    bundle: Path  # the last good bundle (v2), after a failed re-bundle
    old: Path  # v1's bundle
    heads: tuple[str, str]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("installed")
    # 1. mizzle's wheel, built from a copy of the sources (a build in the checkout leaves build/ there)
    source = root / "source"
    shutil.copytree(REPO / "mizzle", source / "mizzle", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copyfile(REPO / name, source / name)
    built = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", root / "dist", source, cwd=root)
    assert built.returncode == 0, f"building mizzle's wheel failed:\n{built.stderr}"
    wheel = next((root / "dist").glob("mizzle-*-py3-none-any.whl"))
    # 2. its dependencies as wheels, from this environment
    deps = root / "deps"
    deps.mkdir()
    for name in sorted(dependencies("mizzle")):
        repack(metadata.distribution(name), deps)
    # 3. a fresh venv (pip from ensurepip, which needs no network), mizzle installed with no index
    venv = root / "venv"
    assert run(sys.executable, "-m", "venv", venv, cwd=root).returncode == 0
    env = {**os.environ, **OFFLINE}
    env.pop("PIP_FIND_LINKS", None)
    pip = run(venv / "bin" / "python", "-m", "pip", "install", "-q", "--find-links", deps, wheel, cwd=root, env=env)
    assert pip.returncode == 0, pip.stderr
    where = run(venv / "bin" / "python", "-c", "import mizzle; print(mizzle.__file__)", cwd=root)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout
    # 4. a new project outside the repository; its home has no cache: nothing to reuse
    project = root / "project"
    project.mkdir()
    (project / "mizzle.toml").write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["sqlite"]\n')
    env["HOME"] = str(root / "home")
    mizzle = venv / "bin" / "mizzle"
    bundle = project / "public" / "mizzle"
    bundle.parent.mkdir()
    old = root / "old"
    heads = []
    for version, schema in (("v1", SCHEMA_V1), ("v2", SCHEMA_V2)):
        (project / "schema.py").write_text(schema)
        generated = run(mizzle, "generate", "--name", version, cwd=project, env=env)
        assert generated.returncode == 0, generated.stderr
        made = run(mizzle, "bundle", "--out", bundle, "--pyodide", NODE_MODULES / "pyodide", cwd=project, env=env)
        assert made.returncode == 0, made.stderr
        heads.append(f"000{len(heads) + 1}_{version}")
        assert made.stderr == f"wrote {bundle}: {len(heads)} migrations (head {heads[-1]}), 1 wheels, Pyodide\n"
        if version == "v1":
            shutil.copytree(bundle, old)
    assert not (root / "home").exists()  # no cache, no download
    # 5. a re-bundle that fails (the model wheels are not where it is told they are)
    good = sorted((p.relative_to(bundle), p.read_bytes()) for p in bundle.rglob("*") if p.is_file())
    args = ["bundle", "--out", bundle, "--with-model", "--model-wheels", root / "nowhere"]
    failed = run(mizzle, *args, cwd=project, env=env)
    assert (failed.returncode, failed.stderr) == (
        1,
        f"error: --model-wheels {root / 'nowhere'}: there is no such folder\n",
    )
    assert sorted((p.relative_to(bundle), p.read_bytes()) for p in bundle.rglob("*") if p.is_file()) == good
    return Installed(venv, project, bundle, old, (heads[0], heads[1]))


@pytest.fixture
def served(installed: Installed, static_server: StaticServer, tmp_path: Path) -> Iterator[Installed]:
    # stale: this deploy's mizzle.js (bundledHead v2) with cached entry files of the deploy before
    stale = tmp_path / "stale"
    shutil.copytree(installed.bundle, stale)
    for name in ("head.json", "manifest.json", "wheels.json"):
        shutil.copyfile(installed.old / name, stale / name)
    # mixed: this deploy's head.json with a cached manifest.json of the deploy before
    mixed = tmp_path / "mixed"
    shutil.copytree(installed.bundle, mixed)
    shutil.copyfile(installed.old / "manifest.json", mixed / "manifest.json")
    mounts = {"/installed/": installed.bundle, "/old/": installed.old, "/stale/": stale, "/mixed/": mixed}
    for prefix, folder in mounts.items():
        static_server.mount(prefix, folder)
    yield installed
    for prefix in mounts:
        static_server.unmount(prefix)


def open_blank(page: Page, server: StaticServer) -> list[str]:
    """Open a blank page; returns the list the page's requests are recorded in."""
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(server.url("/pages/blank.html"))
    return requests


def test_the_bundle_of_an_installed_mizzle_loads_in_chromium_and_upgrades(
    served: Installed, browser_context: BrowserContext, static_server: StaticServer
) -> None:
    page = browser_context.new_page()
    requests = open_blank(page, static_server)
    result = page.evaluate(
        """async () => {
            const { loadMizzle, bundledHead } = await import("/installed/mizzle.js");
            const mz = await loadMizzle({ bundleURL: "/installed/" });   // Pyodide: /installed/pyodide/
            const upgraded = await mz.upgrade("/data/app.db");
            const tables = await mz.tables("/data/app.db");
            const schema = await mz.schema().then(() => "loaded", (err) => [err.name, err.message]);
            return { bundledHead, upgraded, tables: tables.map((t) => [t.name, t.columns]), schema };
        }"""
    )
    v1, v2 = served.heads
    assert result["bundledHead"] == v2
    assert (result["upgraded"]["from"], result["upgraded"]["to"], result["upgraded"]["applied"]) == (None, v2, [v1, v2])
    assert result["tables"] == [["tune", ["id", "title", "key"]]]
    # bundled without --with-model: the upgrade path needs no model wheel, mz.schema() says what to do
    assert result["schema"] == [
        "MizzleError",
        "mz.schema() needs the model wheels: bundle with `mizzle bundle --with-model`",
    ]
    pyodide = [u for u in requests if "pyodide.asm.wasm" in u]
    assert pyodide == [static_server.url("/installed/pyodide/pyodide.asm.wasm")]
    wheels = json.loads((served.bundle / "wheels.json").read_text())
    assert static_server.url(f"/installed/{wheels[0]['url']}") in requests


def test_a_stale_manifest_is_refused_before_pyodide_starts(
    served: Installed, browser_context: BrowserContext, static_server: StaticServer
) -> None:
    page = browser_context.new_page()
    requests = open_blank(page, static_server)
    errors = page.evaluate(
        """async () => {
            const attempt = async (bundle, options) => {
                const { loadMizzle } = await import(`/${bundle}/mizzle.js`);
                try { await loadMizzle({ bundleURL: `/${bundle}/`, ...options }); return null; }
                catch (err) { return [err.name, err.message]; }
            };
            return [
                await attempt("stale", {}),                          // bundledHead of this deploy
                await attempt("old", { expectHead: "0002_v2" }),     // given by the app
            ];
        }"""
    )
    v1, v2 = served.heads
    for bundle, (name, message) in zip(("stale", "old"), errors, strict=True):
        assert name == "MizzleError"
        assert message == (
            f"the bundle's head file ({static_server.url(f'/{bundle}/head.json')}) is older than the app: "
            f"its head is {v1}, the app expects {v2} (a stale copy from a cache? serve head.json with "
            "Cache-Control: no-cache)"
        )
    assert not [u for u in requests if "pyodide" in u]


def test_a_manifest_that_is_not_the_head_files_is_refused_when_python_starts(
    served: Installed, browser_context: BrowserContext, static_server: StaticServer
) -> None:
    page = browser_context.new_page()
    open_blank(page, static_server)
    error = page.evaluate(
        """async () => {
            const { loadMizzle } = await import("/mixed/mizzle.js");
            const mz = await loadMizzle({ bundleURL: "/mixed/", worker: false });
            const db = { path: "/mem/app.db", storage: "memory" };
            try { await mz.upgrade(db); } catch (err) { return [err.name, err.message]; }
        }"""
    )
    assert error == [
        "MizzleError",
        f"the bundle's {static_server.url('/mixed/manifest.json')} is not the one its head.json names (a stale copy "
        "from a cache, or a deploy half done? serve head.json, manifest.json and wheels.json with Cache-Control: "
        "no-cache)",
    ]


def test_the_browser_wheel_holds_only_what_the_runtime_imports(
    served: Installed, browser_context: BrowserContext, static_server: StaticServer
) -> None:
    page = browser_context.new_page()
    open_blank(page, static_server)
    found = page.evaluate(
        """async () => {
            const { loadMizzle } = await import("/installed/mizzle.js");
            const mz = await loadMizzle({ bundleURL: "/installed/", worker: false });
            const pyodide = await mz.python();   // installs the wheel, imports mizzle.wasm.runtime
            const upgraded = await mz.upgrade({ path: "/mem/app.db", storage: "memory" });
            return [upgraded.applied, JSON.parse(pyodide.runPython(`
import importlib.util, json, pathlib, sys, mizzle
root = pathlib.Path(mizzle.__file__).parent
json.dumps({
    "files": sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.suffix != ".pyc" and p.is_file()),
    "imported": sorted(m for m in sys.modules if m.split(".")[0] == "mizzle"),
    "cli": importlib.util.find_spec("mizzle.cli") is not None,
})`))];
        }"""
    )
    applied, wheel = found
    assert applied == list(served.heads)
    root = Path(mizzle.__file__).parent
    closure = [p.relative_to(root).as_posix() for p in import_closure(root, RUNTIME_ENTRY)]
    assert wheel["files"] == closure and wheel["cli"] is False
    # every module the upgrade imported in Pyodide is one the wheel holds, and the wheel holds no other
    modules = [("mizzle/" + f).removesuffix(".py").removesuffix("/__init__").replace("/", ".") for f in closure]
    assert wheel["imported"] == sorted(modules)
    entry = json.loads((served.bundle / "wheels.json").read_text())
    assert [w["role"] for w in entry] == ["runtime"] and int(entry[0]["bytes"]) < 60_000


def test_after_a_deploy_the_head_file_is_fetched_again_whatever_the_cache_holds(
    installed: Installed, chromium: Browser
) -> None:
    # A host that lets browsers cache everything for an hour (no per-file headers): a plain
    # fetch() after a deploy gets the old head file from the cache, loadMizzle revalidates it.
    with StaticServer({"/pages/": PAGES, "/deploy/": installed.old}, cache=True) as server:
        # No routing here: Playwright's request routing turns Chromium's HTTP cache off, and the
        # cache is what this test is about. Chromium's --host-resolver-rules still keep every
        # request on 127.0.0.1.
        context = chromium.new_context()
        try:
            page = context.new_page()
            page.goto(server.url("/pages/blank.html"))
            plain = """async () => (await (await fetch("/deploy/head.json")).json()).head"""
            assert page.evaluate(plain) == installed.heads[0]
            server.mount("/deploy/", installed.bundle)  # the deploy
            assert page.evaluate(plain) == installed.heads[0]  # stale: the browser's cached copy

            def heads() -> int:
                return sum(r.path == "/deploy/head.json" for r in server.requests)

            assert heads() == 1
            head = page.evaluate(
                """async () => {
                    const { loadMizzle } = await import("/deploy/mizzle.js?after-deploy");
                    return (await loadMizzle({ bundleURL: "/deploy/" })).head;   // refuses a stale head
                }"""
            )
            assert heads() == 2 and head == installed.heads[1]
        finally:
            context.close()
