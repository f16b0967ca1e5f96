"""How mizzle.js behaves inside a real web app: a current database answered from JavaScript with
no Pyodide file requested, Pyodide started lazily in a Web Worker when something is pending, the
page painting while the worker upgrades, an image-kept sql.js database upgraded by two tabs
without a fork or a lost write, and the app's connection settings put back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Request

from tests.browser.bundles import V1_ROWS, Bundles, build, build_heavy
from tests.browser.harness import NODE_MODULES, ConsoleErrors
from tests.browser.server import StaticServer

V1_HEAD, V3_HEAD = "0001_v1", "0003_v3"
BUNDLES = ("v1", "v3", "bad", "heavy")


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory, static_server: StaticServer) -> Iterator[Bundles]:
    built = build(tmp_path_factory.mktemp("runtime-bundles"), NODE_MODULES / "pyodide")
    heavy = build_heavy(built, NODE_MODULES / "pyodide")
    for name in BUNDLES:
        static_server.mount(f"/{name}/", heavy if name == "heavy" else getattr(built, name))
    yield built
    for name in BUNDLES:
        static_server.unmount(f"/{name}/")


def load(page: Page, server: StaticServer, bundle: str, worker: bool = True) -> None:
    """A blank page with `window.mz = await loadMizzle(...)` of `/<bundle>/` (Python not started),
    `window.SQL` (sql.js) and `window.store` (an IndexedDB image store)."""
    if not page.url.endswith("/pages/blank.html"):
        page.goto(server.url("/pages/blank.html"))
    page.evaluate(
        """async ([bundle, worker]) => {
            if (!window.initSqlJs) {
                await new Promise((resolve, reject) => {
                    const script = document.createElement("script");
                    script.src = "/sqljs/sql-wasm.js";
                    script.onload = resolve;
                    script.onerror = reject;
                    document.head.append(script);
                });
            }
            window.SQL = await initSqlJs({ locateFile: (file) => `/sqljs/${file}` });
            const { loadMizzle, idbImage } = await import(`/${bundle}/mizzle.js`);
            window.store = idbImage("runtime-test");
            window.mz = await loadMizzle({ indexURL: "/pyodide/", bundleURL: `/${bundle}/`, worker });
            // what an app does: load, change, save, holding the image's lock
            window.writeImage = (statements) =>
                mz.withLock("image", async () => {
                    const db = new SQL.Database(await store.load());
                    for (const s of statements) db.run(s);
                    await store.save(db.export());
                    db.close();
                });
            window.imageRows = async (sql) => {
                const db = new SQL.Database(await store.load());
                try { return db.exec(sql)[0]?.values ?? []; } finally { db.close(); }
            };
        }""",
        [bundle, worker],
    )


UPGRADE_IMAGE = """async () => {
    try {
        const open = (bytes) => new SQL.Database(bytes);
        const result = await mz.upgradeImage({ load: store.load, save: store.save, open });
        const db = new SQL.Database(result.image);
        const head = db.exec("SELECT name FROM __mizzle_migrations ORDER BY id DESC LIMIT 1")[0].values[0][0];
        db.close();
        return { applied: result.applied, from: result.from, to: result.to, head };
    } catch (err) {
        return { error: err.message };
    }
}"""


def record_requests(context: BrowserContext) -> list[str]:
    urls: list[str] = []

    def on_request(request: Request) -> None:
        urls.append(request.url)

    context.on("request", on_request)
    return urls


def python_requests(urls: list[str]) -> list[str]:
    return [url for url in urls if "/pyodide/" in url or "/wheels/" in url]


# --- start cheap -------------------------------------------------------------------------------


def test_a_current_database_is_answered_without_any_pyodide_request(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles, console_errors: ConsoleErrors
) -> None:
    requests = record_requests(browser_context)
    first = browser_context.new_page()
    load(first, static_server, "v3")
    assert python_requests(requests) == []  # loadMizzle alone reads the manifest, nothing more
    upgraded = first.evaluate(UPGRADE_IMAGE)
    assert upgraded == {"applied": ["0001_v1", "0002_v2", V3_HEAD], "from": None, "to": V3_HEAD, "head": V3_HEAD}
    started = python_requests(requests)  # something was pending: Pyodide came, lazily
    assert any(url.endswith("/pyodide/pyodide.asm.wasm") for url in started), started
    assert any("/v3/wheels/" in url and "/mizzle-" in url for url in started), started
    first.close()

    requests.clear()
    page = browser_context.new_page()
    load(page, static_server, "v3")
    answers = page.evaluate(
        """async () => {
            const open = (bytes) => new SQL.Database(bytes);
            const again = await mz.upgradeImage({ load: store.load, save: store.save, open });
            const db = new SQL.Database(again.image);
            const out = {
                image: again.applied,
                upgrade: (await mz.upgrade(db)).applied,
                status: await mz.status(db),
                current: await mz.isCurrent(db),
                fetched: performance.getEntriesByType("resource").map((e) => e.name),
            };
            db.close();
            return out;
        }"""
    )
    assert answers["image"] == [] and answers["upgrade"] == [] and answers["current"] is True
    assert answers["status"]["current"] == V3_HEAD and answers["status"]["pending"] == []
    assert [a["name"] for a in answers["status"]["applied"]] == ["0001_v1", "0002_v2", V3_HEAD]
    assert python_requests(requests) == [], python_requests(requests)
    assert python_requests(answers["fetched"]) == []
    # the check read head.json (names and checksums), not the manifest with every migration's SQL
    bundle = [url.rsplit("/v3/", 1)[1] for url in requests if "/v3/" in url]
    assert sorted(bundle) == ["head.json", "mizzle.js"], bundle
    assert (bundles.v3 / "head.json").stat().st_size < 2_000 < (bundles.v3 / "manifest.json").stat().st_size
    assert page.evaluate("() => typeof loadPyodide") == "undefined"
    console_errors.assert_none()


# --- off the main thread -------------------------------------------------------------------------


def test_an_upgrade_in_the_worker_lets_the_page_paint_its_progress(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "heavy")
    run: dict[str, Any] = page.evaluate(
        """async () => {
            let frames = 0, last = performance.now(), maxGap = 0, painting = true;
            const tick = (now) => {
                frames += 1;
                maxGap = Math.max(maxGap, now - last);
                last = now;
                if (painting) requestAnimationFrame(tick);
            };
            requestAnimationFrame(tick);
            const progress = [];
            const result = await mz.upgrade({ path: "/mem/app.db", storage: "memory" }, {
                onProgress: (name) => progress.push({ name, at: performance.now(), frames }),
            });
            painting = false;
            return { applied: result.applied, progress, frames, maxGap, mainPyodide: typeof loadPyodide };
        }"""
    )
    assert run["applied"] == ["0001_v1", "0002_v2", V3_HEAD, "0004_heavy", "0005_after"]
    assert [p["name"] for p in run["progress"]] == run["applied"]  # one event per migration, in order
    assert run["mainPyodide"] == "undefined"  # Pyodide is the worker's
    before, heavy = run["progress"][2], run["progress"][3]
    window_ms = heavy["at"] - before["at"]
    assert window_ms > 300, run  # the heavy migration really took a while ...
    painted = heavy["frames"] - before["frames"]
    assert painted >= window_ms / 100, run  # ... and the page painted through it (≥ 10 frames/s)
    assert run["maxGap"] < 500, run  # no long task on the page during the whole call


# --- image-kept databases: one lock from load to save ----------------------------------------


def test_two_tabs_upgrading_one_sql_js_image_apply_once_and_lose_no_write(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    setup = browser_context.new_page()
    load(setup, static_server, "v1")
    assert setup.evaluate(UPGRADE_IMAGE)["applied"] == [V1_HEAD]
    setup.evaluate("async (rows) => writeImage(rows)", V1_ROWS)
    setup.close()

    tabs = [browser_context.new_page(), browser_context.new_page()]
    for tab in tabs:
        load(tab, static_server, "v3")
    for tab in tabs:  # both at once, and the second tab also writes a row meanwhile
        tab.evaluate(f"() => {{ window.pending = ({UPGRADE_IMAGE})(); }}")
    tabs[1].evaluate(
        "(row) => { window.written = writeImage([row]); }",
        "INSERT INTO player (id, name, email) VALUES (3, 'Máire', 'm@example.org')",
    )
    results = [tab.evaluate("() => window.pending") for tab in tabs]
    tabs[1].evaluate("() => window.written")
    assert all("error" not in r for r in results), results
    assert sorted(len(r["applied"]) for r in results) == [0, 2], results  # one applied, the other saw it
    assert [r["head"] for r in results] == [V3_HEAD, V3_HEAD]

    check = browser_context.new_page()
    load(check, static_server, "v3")
    assert check.evaluate("() => imageRows('SELECT name FROM __mizzle_migrations ORDER BY id')") == [
        ["0001_v1"],
        ["0002_v2"],
        [V3_HEAD],
    ]
    assert check.evaluate("() => imageRows('SELECT id, name FROM player ORDER BY id')") == [
        [1, "Siobhán"],
        [2, "Tomás"],
        [3, "Máire"],
    ]
    assert check.evaluate("() => imageRows('SELECT id, key FROM tune ORDER BY id')") == [[1, "G"], [2, "D"]]


def test_a_failing_upgrade_in_the_worker_saves_nothing_and_says_why(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v1")
    assert page.evaluate(UPGRADE_IMAGE)["applied"] == [V1_HEAD]
    page.evaluate("async (rows) => writeImage(rows)", V1_ROWS)
    load(page, static_server, "bad")
    run = page.evaluate(
        """async () => {
            const before = await store.load();
            let saves = 0;
            const save = async (bytes) => { saves += 1; await store.save(bytes); };
            let error;
            try { await mz.upgradeImage({ load: store.load, save }); } catch (err) { error = [err.name, err.message]; }
            let missing;
            try { await mz.upgradeImage({ save }); } catch (err) { missing = err.message; }
            const after = await store.load();
            const same = before.length === after.length && before.every((b, i) => b === after[i]);
            return { error, saves, missing, same };
        }"""
    )
    name, message = run["error"]
    assert name == "MizzleError" and "\n" not in message
    assert "the upgrade failed and changed nothing" in message and "0004_bad" in message
    assert run["saves"] == 0 and run["same"] is True
    assert run["missing"] == "upgradeImage needs load() and save(bytes): where the image is kept"


# --- the app's connection settings ---------------------------------------------------------------

OPEN_LIBRARY = {
    "sql.js": "() => { window.db = new SQL.Database(); }",
    "sqlite-wasm": """async () => {
        const { default: init } = await import("/sqlite-wasm/index.mjs");
        window.sqlite3 ??= await init();
        window.db = new sqlite3.oo1.DB(":memory:", "c");
    }""",
}

SETTINGS = """() => {
    const one = (sql) => (typeof db.selectValue === "function" ? db.selectValue(sql) : db.exec(sql)[0].values[0][0]);
    return { foreign_keys: one("PRAGMA foreign_keys"), journal_mode: one("PRAGMA journal_mode") };
}"""


@pytest.mark.parametrize(("library", "foreign_keys"), [("sql.js", 0), ("sql.js", 1), ("sqlite-wasm", 0)])
def test_the_apps_connection_settings_are_put_back_after_success_and_failure(
    library: str, foreign_keys: int, browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    assert "mizzle:foreign-keys-off" in (bundles.v3 / "manifest.json").read_text()  # 0003 turns them off
    page = browser_context.new_page()
    load(page, static_server, "v1")
    page.evaluate(OPEN_LIBRARY[library])
    page.evaluate(f"() => db.exec('PRAGMA foreign_keys = {foreign_keys}')")
    before = page.evaluate(SETTINGS)
    assert before["foreign_keys"] == foreign_keys
    assert page.evaluate("async () => (await mz.upgrade(db)).applied") == [V1_HEAD]
    page.evaluate("(rows) => { for (const s of rows) db.exec(s); }", V1_ROWS)
    assert page.evaluate(SETTINGS) == before

    load(page, static_server, "bad")  # 0002, 0003 (foreign keys off), then 0004 fails
    failed = page.evaluate("async () => { try { await mz.upgrade(db); } catch (err) { return err.message; } }")
    assert "the upgrade failed and changed nothing" in failed
    assert page.evaluate(SETTINGS) == before

    load(page, static_server, "v3")
    assert page.evaluate("async () => (await mz.upgrade(db)).to") == V3_HEAD
    assert page.evaluate(SETTINGS) == before


# --- every storage through the worker -----------------------------------------------------------


@pytest.mark.parametrize("storage", ["idbfs", "opfs"])
def test_a_kept_file_is_upgraded_in_the_worker_and_survives_a_reload(
    storage: str, browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    db = {"path": f"/{storage}-data/app.db", "storage": storage}
    page = browser_context.new_page()
    load(page, static_server, "v1")
    assert page.evaluate("async (db) => (await mz.upgrade(db)).applied", db) == [V1_HEAD]
    page.reload()
    load(page, static_server, "v3")
    run = page.evaluate(
        """async (db) => {
            const names = [];
            const result = await mz.upgrade(db, { onProgress: (name) => names.push(name) });
            return { result, names, mainPyodide: typeof loadPyodide, pyodide: mz.pyodide === undefined };
        }""",
        db,
    )
    assert (run["result"]["from"], run["result"]["to"]) == (V1_HEAD, V3_HEAD)
    assert run["names"] == ["0002_v2", V3_HEAD]
    assert run["mainPyodide"] == "undefined" and run["pyodide"] is True
    page.reload()
    load(page, static_server, "v3")
    assert page.evaluate("async (db) => (await mz.check(db)).ok", db) is True
    tables = page.evaluate("async (db) => (await mz.tables(db)).map((t) => t.name)", db)
    assert tables == ["note", "player", "tune"]


def test_a_memory_file_is_upgraded_in_the_worker(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    db = {"path": "/mem/app.db", "storage": "memory"}
    page = browser_context.new_page()
    load(page, static_server, "v3")
    assert page.evaluate("async (db) => (await mz.upgrade(db)).applied", db) == ["0001_v1", "0002_v2", V3_HEAD]
    assert page.evaluate("async (db) => (await mz.status(db)).current", db) == V3_HEAD
    assert page.evaluate("() => typeof loadPyodide") == "undefined"


def test_a_memory_file_in_folders_that_do_not_exist_is_upgraded(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v3")
    deep = {"path": "/no/such/folder/app.db", "storage": "memory"}
    assert page.evaluate("async (db) => (await mz.upgrade(db)).applied", deep) == ["0001_v1", "0002_v2", V3_HEAD]
    # a folder that is a file: one line, nothing else
    under_a_file = {"path": "/no/such/folder/app.db/inner.db", "storage": "memory"}
    error = page.evaluate(
        "async (db) => mz.upgrade(db).then(() => null, (err) => [err.name, err.message])", under_a_file
    )
    assert error[0] == "MizzleError" and "\n" not in error[1]
    assert error[1].startswith("cannot open the database /no/such/folder/app.db/inner.db: "), error


def test_close_ends_the_worker_and_every_later_call_says_so(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles, console_errors: ConsoleErrors
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v3")
    db = {"path": "/mem/app.db", "storage": "memory"}
    assert page.evaluate("async (db) => (await mz.upgrade(db)).applied", db) == ["0001_v1", "0002_v2", V3_HEAD]
    [worker] = page.workers
    with worker.expect_event("close"):
        page.evaluate("() => mz.close()")
    assert page.workers == []
    closed_message = "mizzle was closed (mz.close()): call loadMizzle again to use it"
    after = page.evaluate(
        """async (db) => {
            const attempt = (work) => work().then(() => null, (err) => [err.name, err.message]);
            return [
                await attempt(() => mz.upgrade(db)),
                await attempt(() => mz.status(db)),
                await attempt(() => mz.python()),
                await attempt(() => mz.upgradeImage({ load: store.load, save: store.save })),
                await attempt(() => mz.close()),   // closing twice does nothing more
            ];
        }""",
        db,
    )
    assert after == [["MizzleError", closed_message]] * 4 + [None]
    # a call running in the worker when it closes rejects, and nothing is saved
    load(page, static_server, "v3")
    interrupted = page.evaluate(
        """async () => {
            const running = mz.upgradeImage({ load: store.load, save: store.save });
            await new Promise((resolve) => setTimeout(resolve, 50));
            await mz.close();
            const outcome = await running.then(() => null, (err) => [err.name, err.message]);
            return [outcome, await store.load()];
        }"""
    )
    assert interrupted == [["MizzleError", closed_message], None]
    load(page, static_server, "v3")  # a new mz works as ever
    assert page.evaluate("async (db) => (await mz.upgrade(db)).applied", db) == ["0001_v1", "0002_v2", V3_HEAD]
    console_errors.assert_none()


def test_a_sqlite_wasm_image_is_upgraded_in_the_worker(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    page = browser_context.new_page()
    load(page, static_server, "v3")
    page.evaluate(OPEN_LIBRARY["sqlite-wasm"])
    run = page.evaluate(
        """async () => {
            // the app's image: a sqlite-wasm database at no version, with a table of its own
            db.exec("CREATE TABLE app_own (id INTEGER PRIMARY KEY); INSERT INTO app_own VALUES (7)");
            let kept = sqlite3.capi.sqlite3_js_db_export(db.pointer);
            db.close();
            const result = await mz.upgradeImage({ load: async () => kept, save: async (bytes) => { kept = bytes; } });
            // open the saved image as the app would: sqlite3_deserialize into a new handle
            const reopened = new sqlite3.oo1.DB(":memory:", "c");
            const p = sqlite3.wasm.allocFromTypedArray(kept);
            const { SQLITE_DESERIALIZE_FREEONCLOSE: free, SQLITE_DESERIALIZE_RESIZEABLE: grow } = sqlite3.capi;
            const size = kept.byteLength;
            const rc = sqlite3.capi.sqlite3_deserialize(reopened.pointer, "main", p, size, size, free | grow);
            return {
                rc,
                applied: result.applied,
                same: result.image === kept,
                tracked: reopened.selectValues("SELECT name FROM __mizzle_migrations ORDER BY id"),
                own: reopened.selectValue("SELECT id FROM app_own"),
                mainPyodide: typeof loadPyodide,
            };
        }"""
    )
    assert run["rc"] == 0
    assert run["applied"] == ["0001_v1", "0002_v2", V3_HEAD] and run["same"] is True
    assert run["tracked"] == ["0001_v1", "0002_v2", V3_HEAD]
    assert run["own"] == 7 and run["mainPyodide"] == "undefined"


def test_a_worker_that_cannot_load_is_one_clear_error(
    browser_context: BrowserContext, static_server: StaticServer, bundles: Bundles
) -> None:
    page = browser_context.new_page()
    page.goto(static_server.url("/pages/blank.html"))
    error = page.evaluate(
        """async () => {
            const { loadMizzle } = await import("/v3/mizzle.js");
            const mz = await loadMizzle({ bundleURL: "/v3/", workerURL: "/v3/no-such-worker.js" });
            const db = { path: "/mem/app.db", storage: "memory" };
            try { await mz.upgrade(db); } catch (err) { return [err.name, err.message]; }
        }"""
    )
    assert error == [
        "MizzleError",
        f"mizzle's worker failed: it could not be loaded ({static_server.url('/v3/no-such-worker.js')})",
    ]
