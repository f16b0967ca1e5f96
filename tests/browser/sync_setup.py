"""What the browser sync tests share: one project's migrations at three versions (generated
and bundled by the real `mizzle generate` / `mizzle bundle`), the server's database made to
the same heads, `mizzle sync serve` as a process allowing the test pages' origin, and the
page-side calls (a device in the browser: a path in Pyodide's file system, or a sql.js handle).

    v1  project (owned by user_id), task (via project_id), tag (shared)
    v2  task gains `priority integer`
    v3  tag gains `color text`
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from mizzle.cli.app import main
from mizzle.core.migrations import MigrationFolder
from mizzle.wasm.bundle import build_wheel, write_bundle
from tests.sync.server.harness import server_process

HEADS = ("0001_v1", "0002_v2", "0003_v3")

SCHEMA_HEAD = "from mizzle.dsl import Table, boolean, integer, text, uuid\n"
V1 = """
class Project(Table):
    id = uuid().primary_key()
    user_id = uuid().not_null()
    name = text().not_null()
    __sync__ = {"owner": "user_id"}

class Task(Table):
    id = uuid().primary_key()
    project_id = uuid().not_null().references(lambda: Project.id)
    title = text().not_null()
    done = boolean().not_null().default(False)
    __sync__ = {"via": "project_id"}

class Tag(Table):
    id = text().primary_key()
    label = text()
    __sync__ = {"shared": True}
"""
V2 = V1.replace(
    "    done = boolean().not_null().default(False)\n",
    "    done = boolean().not_null().default(False)\n    priority = integer()\n",
)
V3 = V2.replace("    label = text()\n", "    label = text()\n    color = text()\n")

RULES = """
[tables.project]
owner = "user_id"
conflict = "{policy}"

[tables.task]
via = "project_id"

[tables.tag]
shared = true
"""


def build(root: Path, pyodide: Path) -> dict[str, Path]:
    """Bundles v1, v2, v3 (each with the migrations up to it), and the server-side migration
    folders: {"v1": bundle, ..., "migrations": folder of all three}."""
    project = root / "project"
    project.mkdir(parents=True)
    (project / "mizzle.toml").write_text(
        'schema = "schema.py"\nout = "migrations"\ndialects = ["sqlite", "postgresql"]\n'
    )
    wheels = root / "wheel"
    wheels.mkdir()
    wheel = build_wheel(wheels, with_model=True)  # the bundles below are --with-model: the whole package
    out: dict[str, Path] = {}
    for version, source in (("v1", V1), ("v2", V2), ("v3", V3)):
        (project / "schema.py").write_text(SCHEMA_HEAD + source)
        assert main(["--config", str(project / "mizzle.toml"), "generate", "--name", version]) == 0
        out[version] = root / version
        write_bundle(
            out[version], MigrationFolder(project / "migrations"), pyodide=pyodide, wheel=wheel, with_model=True
        )
    out["project"] = project
    return out


def migrate_server(project: Path, url: str, to: str) -> None:
    """`mizzle migrate` the server's PostgreSQL database up to migration `to`."""
    assert main(["--config", str(project / "mizzle.toml"), "migrate", "--db", url, "--to", to]) == 0


def migrate_file(project: Path, path: Path, to: str) -> None:
    assert main(["--config", str(project / "mizzle.toml"), "migrate", "--db", f"sqlite:///{path}", "--to", to]) == 0


@contextmanager
def sync_server(url: str, rules: Path, origin: str, *, window: int = 1) -> Iterator[str]:
    """`mizzle sync serve` allowing `origin` (the test pages'), on a free port; its base URL."""
    with server_process(url, rules, "--allow-origin", origin, "--window", str(window)) as base:
        yield base


def load(page: Page, url: str, bundle: str) -> None:
    """`window.mz` from bundle `/<bundle>/` on this thread, and sql.js as `window.SQL`."""
    page.goto(url)
    page.evaluate(
        """async (bundle) => {
            const { loadMizzle, SyncError } = await import(`/${bundle}/mizzle.js`);
            window.mz = await loadMizzle({ indexURL: "/pyodide/", bundleURL: `/${bundle}/`, worker: false });
            window.SyncError = SyncError;
            await mz.python();
            await new Promise((resolve, reject) => {
                const s = document.createElement("script");
                s.src = "/sqljs/sql-wasm.js"; s.onload = resolve; s.onerror = reject;
                document.head.append(s);
            });
            window.SQL = await initSqlJs({ locateFile: (file) => `/sqljs/${file}` });
            window.dbs = {};
            window.b64 = (bytes) => { let t = ""; for (const b of bytes) t += String.fromCharCode(b); return btoa(t); };
        }""",
        bundle,
    )


def sync(page: Page, db: str, options: dict[str, Any]) -> dict[str, Any]:
    """`await mz.sync(db, options)` (db: a path, or `sqljs:<name>` for `dbs[name]`); a refusal
    comes back as {"error", "code", "status"}."""
    result: dict[str, Any] = page.evaluate(
        """async ([db, options]) => {
            const target = db.startsWith("sqljs:") ? dbs[db.slice(6)] : db;
            try { return await mz.sync(target, options); }
            catch (err) {
                return { error: err.message, code: err.code ?? null, status: err.status ?? null, name: err.name };
            }
        }""",
        [db, options],
    )
    return result


def run_sql(page: Page, db: str, statements: list[str]) -> None:
    """Write as the app would: sqlite3 in Pyodide on a path (then persisted), or the sql.js handle."""
    page.evaluate(
        """async ([db, statements]) => {
            if (db.startsWith("sqljs:")) { for (const s of statements) dbs[db.slice(6)].run(s); return; }
            const py = mz.pyodide;
            py.FS.mkdirTree(db.slice(0, db.lastIndexOf("/")));
            py.globals.set("db_path", db);
            py.globals.set("statements", py.toPy(statements));
            py.runPython(`
import sqlite3
conn = sqlite3.connect(db_path)
conn.execute("PRAGMA foreign_keys = ON")
with conn:
    for statement in statements:
        conn.execute(statement)
conn.close()
`);
            await new Promise((resolve, reject) => py.FS.syncfs(false, (e) => (e ? reject(e) : resolve())));
        }""",
        [db, statements],
    )


def image(page: Page, db: str, to: Path) -> Path:
    """The database's bytes, written to `to` (to read it with Python's sqlite3)."""
    data = page.evaluate(
        """(db) => b64(
            db.startsWith("sqljs:") ? dbs[db.slice(6)].export()
            : db.startsWith("wasm:") ? sqlite3.capi.sqlite3_js_db_export(dbs[db.slice(5)].pointer)
            : mz.pyodide.FS.readFile(db))""",
        db,
    )
    to.write_bytes(base64.b64decode(data))
    return to


def rows_of(path: Path, table: str) -> list[dict[str, Any]]:
    from tests.sync.server.harness import rows

    conn = sqlite3.connect(path)
    try:
        return rows(conn, table)
    finally:
        conn.close()
