"""mizzle's migrator in the browser: Pyodide in headless Chromium, offline, upgrading SQLite
databases in place (a file kept in IndexedDB, a sql.js database, a sqlite-wasm database),
atomically, one tab at a time, with the rows intact; and the same result as `mizzle migrate`
on a server-side SQLite file."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from mizzle.dialects.sqlite import introspect, project
from tests.browser.bundles import DUMP_SOURCE, V1_ROWS, Bundles, build, dump
from tests.browser.harness import NODE_MODULES, ConsoleErrors
from tests.browser.server import StaticServer

DB = "/data/app.db"
V1_HEAD, V3_HEAD = "0001_v1", "0003_v3"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory, static_server: StaticServer) -> Iterator[Bundles]:
    built = build(tmp_path_factory.mktemp("bundles"), NODE_MODULES / "pyodide")
    for name in ("v1", "v3", "bad"):
        static_server.mount(f"/{name}/", getattr(built, name))
    yield built
    for name in ("v1", "v3", "bad"):
        static_server.unmount(f"/{name}/")


def load(page: Page, server: StaticServer, bundle: str) -> None:
    """Open a blank page and `window.mz = await loadMizzle(...)` from bundle `/<bundle>/`."""
    if not page.url.endswith("/pages/blank.html"):
        page.goto(server.url("/pages/blank.html"))
    page.evaluate(
        """async (bundle) => {
            const { loadMizzle } = await import(`/${bundle}/mizzle.js`);
            // on this thread: the tests read and write Pyodide's files through mz.pyodide
            window.mz = await loadMizzle({ indexURL: "/pyodide/", bundleURL: `/${bundle}/`, worker: false });
            await mz.python();
        }""",
        bundle,
    )


def call(page: Page, method: str, db: str = DB) -> Any:
    """`await mz[method](db)`; a rejection comes back as {"error": message}."""
    return page.evaluate(
        """async ([method, db]) => {
            try { return await mz[method](db); } catch (err) { return { error: err.message, name: err.name }; }
        }""",
        [method, db],
    )


def run_sql(page: Page, statements: list[str], db: str = DB) -> None:
    """Write to the IndexedDB-kept file as an app would: sqlite3 in Pyodide, then persist."""
    page.evaluate(
        """async ([db, statements]) => {
            const py = mz.pyodide;
            py.globals.set("db_path", db);
            py.globals.set("statements", py.toPy(statements));
            py.runPython(`
import sqlite3
conn = sqlite3.connect(db_path)
with conn:
    for statement in statements:
        conn.execute(statement)
conn.close()
`);
            await new Promise((resolve, reject) => py.FS.syncfs(false, (e) => (e ? reject(e) : resolve())));
        }""",
        [db, statements],
    )


def browser_dump(page: Page, db: str = DB) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(
        page.evaluate(
            """([source, db]) => { mz.pyodide.runPython(source); return mz.pyodide.globals.get("dump")(db); }""",
            [DUMP_SOURCE, db],
        )
    )
    return result


def browser_rows(page: Page, sql: str, db: str = DB) -> list[list[Any]]:
    rows: list[list[Any]] = json.loads(
        page.evaluate(
            """([db, sql]) => {
                const py = mz.pyodide;
                py.globals.set("db_path", db);
                py.globals.set("query", sql);
                return py.runPython(
                    "import json, sqlite3\\nc = sqlite3.connect(db_path)\\n"
                    + "out = json.dumps(c.execute(query).fetchall())\\nc.close()\\nout"
                );
            }""",
            [db, sql],
        )
    )
    return rows


def file_sha256(page: Page, db: str = DB) -> str:
    return str(
        page.evaluate(
            """async (db) => {
                const bytes = mz.pyodide.FS.readFile(db);
                const digest = await crypto.subtle.digest("SHA-256", bytes);
                return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
            }""",
            db,
        )
    )


READ_FILE_BASE64 = """(db) => {
    const bytes = mz.pyodide.FS.readFile(db);
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
}"""


# --- (1) a file kept in IndexedDB: upgrade, rows, reload, upgrade again --------------------------


def test_fresh_database_to_v1_rows_reload_to_v3_equals_the_server_migration(
    browser_context: BrowserContext,
    static_server: StaticServer,
    bundles: Bundles,
    tmp_path: Path,
    console_errors: ConsoleErrors,
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v1")
    first = call(page, "upgrade")
    assert (first["from"], first["to"], first["applied"]) == (None, V1_HEAD, [V1_HEAD])
    run_sql(page, V1_ROWS)

    page.reload()
    load(page, static_server, "v3")
    assert call(page, "status")["current"] == V1_HEAD  # what IndexedDB kept across the reload
    second = call(page, "upgrade")
    assert (second["from"], second["to"], second["applied"]) == (V1_HEAD, V3_HEAD, ["0002_v2", V3_HEAD])
    assert call(page, "check")["ok"] is True

    page.reload()
    load(page, static_server, "v3")
    assert call(page, "status")["pending"] == []  # (also mounts the IndexedDB folder for reading)
    in_browser = browser_dump(page)
    server = tmp_path / "server.db"
    bundles.server_twin(server, V1_ROWS)
    assert in_browser == dump(server)  # same objects, rows and tracking rows as `mizzle migrate`
    # and it is the schema the server renders for SQLite, as mizzle's introspector reads it
    copy = tmp_path / "browser.db"
    copy.write_bytes(base64.b64decode(page.evaluate(READ_FILE_BASE64, DB)))
    conn = sqlite3.connect(copy)
    try:
        assert introspect(conn).schema == project(bundles.folder.last_snapshot())[0]
    finally:
        conn.close()
    # the unsynced local edit kept its version (2): no migration bumped it, rebuild or not
    assert browser_rows(page, "SELECT id, title, key, plays, sync_version FROM tune ORDER BY id") == [
        [1, "The Kesh Jig", "G", 0, 2],
        [2, "Drowsy Maggie", "D", 0, 1],
    ]
    assert in_browser["rows"]["__mizzle_tombstones"] == []
    console_errors.assert_none()


def test_a_file_kept_in_opfs_is_upgraded_and_survives_a_reload(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    db = {"path": "/opfs/app.db", "storage": "opfs"}
    page = browser_context.new_page()
    load(page, static_server, "v3")
    upgrade = page.evaluate("async (db) => mz.upgrade(db)", db)
    assert upgrade["applied"] == ["0001_v1", "0002_v2", V3_HEAD]
    page.reload()
    load(page, static_server, "v3")
    assert page.evaluate("async (db) => (await mz.check(db)).ok", db) is True
    assert page.evaluate("async (db) => (await mz.status(db)).current", db) == V3_HEAD


# --- (2) a migration failing halfway -------------------------------------------------------------


def test_a_failing_migration_leaves_the_database_unchanged_and_says_why(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v1")
    call(page, "upgrade")
    run_sql(page, V1_ROWS)
    before = file_sha256(page)

    page.reload()
    load(page, static_server, "bad")
    failed = call(page, "upgrade")
    assert failed["name"] == "MizzleError"
    assert "the upgrade failed and changed nothing" in failed["error"]
    assert "0004_bad" in failed["error"] and "player has 1 rows without an email" in failed["error"]
    assert "\n" not in failed["error"]
    assert file_sha256(page) == before  # byte for byte: 0002 and 0003 ran and were rolled back too

    page.reload()  # and IndexedDB still holds v1
    load(page, static_server, "v3")
    assert call(page, "status")["current"] == V1_HEAD
    assert file_sha256(page) == before


# --- (3) two tabs at once ------------------------------------------------------------------------


def test_two_tabs_upgrading_at_once_apply_once_and_the_second_sees_the_result(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    tabs = [browser_context.new_page(), browser_context.new_page()]
    for tab in tabs:
        load(tab, static_server, "v3")
    for tab in tabs:  # start both without waiting: the Web Lock serialises them
        tab.evaluate("(db) => { window.pending = mz.upgrade(db).catch((err) => ({ error: err.message })); }", DB)
    results = [tab.evaluate("() => window.pending") for tab in tabs]
    assert all("error" not in r for r in results), results
    applied = sorted(len(r["applied"]) for r in results)
    assert applied == [0, 3], results  # one applied all three, the other found nothing to do
    for tab in tabs:
        assert call(tab, "check")["ok"] is True


def test_a_tab_with_older_code_refuses_a_newer_database(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    newer = browser_context.new_page()
    load(newer, static_server, "v3")
    call(newer, "upgrade")
    older = browser_context.new_page()
    load(older, static_server, "v1")
    assert call(older, "status")["problems"]  # 0002_v2 and 0003_v3: unknown to this bundle
    before = file_sha256(older)
    refused = call(older, "upgrade")
    assert "upgraded by a newer version of the app" in refused["error"]
    assert "0003_v3" in refused["error"] and "nothing was written" in refused["error"]
    assert file_sha256(older) == before


# --- (4) databases owned by sql.js and by sqlite-wasm --------------------------------------------

OPEN_SQLJS = """async () => {
    if (!window.initSqlJs) {
        await new Promise((resolve, reject) => {
            const script = document.createElement("script");
            script.src = "/sqljs/sql-wasm.js";
            script.onload = resolve;
            script.onerror = reject;
            document.head.append(script);
        });
    }
    const SQL = await initSqlJs({ locateFile: (file) => `/sqljs/${file}` });
    const { idbImage } = await import("/v3/mizzle.js");
    window.store = idbImage("sqljs-test");
    const image = await store.load();
    window.db = image ? new SQL.Database(image) : new SQL.Database();
}"""

OPEN_SQLITE_WASM = """async () => {
    const { default: init } = await import("/sqlite-wasm/index.mjs");
    window.sqlite3 = await init();
    window.db = new sqlite3.oo1.DB(":memory:", "c");
}"""

LIBRARY_DB = {"sql.js": OPEN_SQLJS, "sqlite-wasm": OPEN_SQLITE_WASM}


def library_call(page: Page, method: str, options: str = "{}") -> Any:
    return page.evaluate(
        f"""async () => {{
            try {{ return await mz.{method}(db, {options}); }} catch (err) {{ return {{ error: err.message }}; }}
        }}"""
    )


def library_sql(page: Page, statements: list[str]) -> None:
    page.evaluate("(statements) => { for (const s of statements) db.exec(s); }", statements)


def library_rows(page: Page, sql: str) -> list[list[Any]]:
    rows: list[list[Any]] = page.evaluate(
        """(sql) => {
            if (typeof db.selectArrays === "function") return db.selectArrays(sql);
            const result = db.exec(sql);
            return result.length ? result[0].values : [];
        }""",
        sql,
    )
    return rows


def library_image(page: Page) -> str:
    """sha256 of the database's bytes (sql.js: its image; sqlite-wasm: its serialization)."""
    return str(
        page.evaluate(
            """async () => {
                const bytes =
                    typeof db.export === "function" ? db.export() : sqlite3.capi.sqlite3_js_db_export(db.pointer);
                const digest = await crypto.subtle.digest("SHA-256", bytes);
                return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
            }"""
        )
    )


@pytest.mark.parametrize("library", ["sql.js", "sqlite-wasm"])
def test_a_database_owned_by_a_js_library_is_upgraded_through_the_bridge(
    library: str, browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles, tmp_path: Path
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v1")
    page.evaluate(LIBRARY_DB[library])
    assert library_call(page, "upgrade")["applied"] == [V1_HEAD]
    library_sql(page, V1_ROWS)
    before = library_image(page)

    load(page, static_server, "bad")  # a new version whose last migration fails
    failed = library_call(page, "upgrade")
    assert "the upgrade failed and changed nothing" in failed["error"]
    assert library_image(page) == before

    load(page, static_server, "v3")
    upgraded = library_call(page, "upgrade")
    assert (upgraded["from"], upgraded["to"]) == (V1_HEAD, V3_HEAD)
    assert library_call(page, "check")["ok"] is True
    assert library_rows(page, "SELECT id, title, key, sync_version FROM tune ORDER BY id") == [
        [1, "The Kesh Jig", "G", 2],
        [2, "Drowsy Maggie", "D", 1],
    ]
    server = tmp_path / "server.db"
    bundles.server_twin(server, V1_ROWS)
    tracked = library_rows(page, "SELECT id, name, checksum FROM __mizzle_migrations ORDER BY id")
    assert tracked == [list(r) for r in dump(server)["tracking"]]


def test_a_sql_js_image_is_replaced_in_indexeddb_only_after_the_upgrade_committed(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v1")
    page.evaluate(OPEN_SQLJS)
    assert library_call(page, "upgrade", "{ persist: (bytes) => store.save(bytes) }")["applied"] == [V1_HEAD]
    library_sql(page, V1_ROWS)
    page.evaluate("async () => store.save(db.export())")

    page.reload()
    load(page, static_server, "bad")
    page.evaluate(OPEN_SQLJS)
    page.evaluate("() => { window.saves = 0; }")
    failed = library_call(page, "upgrade", "{ persist: async (bytes) => { saves += 1; await store.save(bytes); } }")
    assert "changed nothing" in failed["error"] and page.evaluate("() => saves") == 0

    page.reload()
    load(page, static_server, "v3")
    page.evaluate(OPEN_SQLJS)  # the image IndexedDB kept: still v1, with the rows
    assert library_call(page, "status")["current"] == V1_HEAD
    result = library_call(page, "upgrade", "{ persist: (bytes) => store.save(bytes) }")
    assert result["to"] == V3_HEAD

    page.reload()
    load(page, static_server, "v3")
    page.evaluate(OPEN_SQLJS)
    assert library_call(page, "status")["current"] == V3_HEAD
    assert library_rows(page, "SELECT count(*) FROM player") == [[2]]


# --- the model in the browser ---------------------------------------------------------------------


def test_the_schema_model_loads_in_pyodide_with_pydantic_core_wasm(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v3")
    modules_before = page.evaluate("() => mz.pyodide.runPython('import sys; sorted(sys.modules)').toJs()")
    assert "pydantic" not in modules_before and "sqlglot" not in modules_before  # not on the upgrade path
    schema = page.evaluate("async () => mz.schema()")
    tables = {t["name"]: t for t in schema["tables"]}
    assert set(tables) == {"note", "player", "tune"}
    assert tables["tune"]["sync"] is True
