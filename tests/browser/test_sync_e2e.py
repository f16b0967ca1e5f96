"""The sync engine end to end in Chromium (network blocked but for 127.0.0.1): browser devices
(`mz.sync` on a file in Pyodide's file system kept in IndexedDB, and on a sql.js handle) and a
Python device (`SyncClient`) sync through a real `mizzle sync serve` process over PostgreSQL,
which allows the test pages' origin (CORS). Convergence, conflicts under `reject` and `lww`,
deletes, a reload mid-sync, ownership against forged payloads, tokens, schema versions."""

from __future__ import annotations

import sqlite3
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page

from mizzle.sync.client import SyncClient
from tests.browser.harness import NODE_MODULES
from tests.browser.server import StaticServer
from tests.browser.sync_setup import (
    build,
    image,
    load,
    migrate_file,
    migrate_server,
    rows_of,
    run_sql,
    sync,
    sync_server,
)
from tests.sync.server.harness import ALICE, BOB, TABLES, pg, post, rows, token

PA = "a0000000-0000-4000-8000-00000000000a"
PB = "b0000000-0000-4000-8000-00000000000b"
PC = "c0000000-0000-4000-8000-00000000000c"
TA = "a0000000-0000-4000-8000-0000000000a1"
A_DB, B_DB = "/data/a.db", "sqljs:b"


@pytest.fixture(scope="module")
def bundles(tmp_path_factory: pytest.TempPathFactory, static_server: StaticServer) -> Iterator[dict[str, Path]]:
    built = build(tmp_path_factory.mktemp("sync-e2e"), NODE_MODULES / "pyodide")
    for version in ("v1", "v2", "v3"):
        static_server.mount(f"/s{version}/", built[version])
    yield built
    for version in ("v1", "v2", "v3"):
        static_server.unmount(f"/s{version}/")


def origin(server: StaticServer) -> str:
    parts = urllib.parse.urlsplit(server.url("/pages/blank.html"))
    return f"{parts.scheme}://{parts.netloc}"


def rules_file(tmp_path: Path, policy: str) -> Path:
    from tests.browser.sync_setup import RULES

    path = tmp_path / f"rules-{policy}.toml"
    path.write_text(RULES.replace("{policy}", policy))
    return path


def browser_device(page: Page, server: StaticServer, bundle: str, db: str) -> None:
    """A page of the app at `bundle`, its database `db` upgraded to the bundle's head."""
    load(page, server.url("/pages/blank.html"), bundle)
    page.evaluate(
        """async (db) => {
            window.conflicts = [];
            mz.addEventListener("conflict", (event) => conflicts.push(event.detail));
            const target = db.startsWith("sqljs:") ? (dbs[db.slice(6)] ??= new SQL.Database()) : db;
            await mz.upgrade(target);
        }""",
        db,
    )


def options(base: str, user: str, device: str, **more: Any) -> dict[str, Any]:
    return {"url": base, "token": token(user), "device": device, "backoff": 10, **more}


def python_device(project: Path, path: Path, base: str, head: str = "0002_v2") -> SyncClient:
    migrate_file(project, path, head)
    return SyncClient(path, base, tables=TABLES, token=token(ALICE), device="c", backoff=0.01)


def all_rows(path: Path) -> dict[str, list[dict[str, Any]]]:
    return {t: rows_of(path, t) for t in TABLES}


def server_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    with pg(url) as conn:
        return {t: rows(conn, t) for t in TABLES}


def test_two_browser_devices_and_a_python_device_converge_conflict_delete_and_stay_apart_from_another_user(
    bundles: dict[str, Path], static_server: StaticServer, browser_context: BrowserContext, pg_url: str, tmp_path: Path
) -> None:
    migrate_server(bundles["project"], pg_url, "0002_v2")
    with pg(pg_url) as conn:
        conn.execute("INSERT INTO tag (id, label) VALUES ('urgent', 'Urgent')")  # shared: everyone reads it
    with sync_server(pg_url, rules_file(tmp_path, "reject"), origin(static_server)) as base:
        a, b = browser_context.new_page(), browser_context.new_page()
        browser_device(a, static_server, "sv2", A_DB)
        browser_device(b, static_server, "sv2", B_DB)
        c = python_device(bundles["project"], tmp_path / "c.db", base)
        # offline edits on each device
        run_sql(
            a,
            A_DB,
            [
                f"INSERT INTO project (id, user_id, name) VALUES ('{PA}', '{ALICE}', 'from a')",
                f"INSERT INTO task (id, project_id, title, priority) VALUES ('{TA}', '{PA}', 'task of a', 2)",
            ],
        )
        run_sql(b, B_DB, [f"INSERT INTO project (id, user_id, name) VALUES ('{PB}', '{ALICE}', 'from b')"])
        sqlite3.connect(tmp_path / "c.db", isolation_level=None).execute(
            f"INSERT INTO project (id, user_id, name) VALUES ('{PC}', '{ALICE}', 'from c')"
        )
        first = sync(a, A_DB, options(base, ALICE, "a"))
        assert (first["pushed"], first["conflicts"], first["rejected"]) == (2, [], []), first
        assert sync(b, B_DB, options(base, ALICE, "b"))["pushed"] == 1
        assert c.sync().pushed == 1
        for page, db in ((a, A_DB), (b, B_DB)):
            assert "error" not in sync(page, db, options(base, ALICE, db))
        c.sync()
        # identical rows everywhere: both browsers, the Python device, the server
        want = server_rows(pg_url)
        assert [r["name"] for r in sorted(want["project"], key=lambda r: r["id"])] == ["from a", "from b", "from c"]
        assert [r["id"] for r in want["tag"]] == ["urgent"]
        assert all_rows(image(a, A_DB, tmp_path / "a.db")) == want
        assert all_rows(image(b, B_DB, tmp_path / "b.db")) == want
        assert all_rows(tmp_path / "c.db") == want

        # one row edited on both browsers while offline: the second to sync gets a conflict (reject)
        run_sql(a, A_DB, [f"UPDATE project SET name = 'a renamed it' WHERE id = '{PA}'"])
        run_sql(b, B_DB, [f"UPDATE project SET name = 'b renamed it' WHERE id = '{PA}'"])
        assert sync(a, A_DB, options(base, ALICE, "a"))["conflicts"] == []
        second = sync(b, B_DB, options(base, ALICE, "b"))
        [conflict] = second["conflicts"]
        assert (conflict["table"], conflict["pk"], conflict["resolution"]) == ("project", [PA], None)
        assert conflict["server_row"]["name"] == "a renamed it"
        assert b.evaluate("() => conflicts.map((c) => c.pk[0])") == [PA]  # the "conflict" event
        with pg(pg_url) as conn:
            assert conn.execute("SELECT name FROM project WHERE id = %s", (PA,)).fetchone() == ("a renamed it",)
        assert rows_of(image(b, B_DB, tmp_path / "b.db"), "project")[0]["name"] == "b renamed it"  # kept for the app

        # a delete propagates
        sqlite3.connect(tmp_path / "c.db", isolation_level=None).execute(f"DELETE FROM project WHERE id = '{PC}'")
        assert c.sync().pushed == 1
        sync(a, A_DB, options(base, ALICE, "a"))
        assert PC not in [r["id"] for r in rows_of(image(a, A_DB, tmp_path / "a.db"), "project")]
        with pg(pg_url) as conn:
            assert conn.execute("SELECT count(*) FROM project WHERE id = %s", (PC,)).fetchone() == (0,)

        # user B: a browser device of Bob's gets the shared tag and none of Alice's rows
        b.evaluate("async () => { dbs.bob = new SQL.Database(); await mz.upgrade(dbs.bob); }")
        bob = sync(b, "sqljs:bob", options(base, BOB, "bob"))
        assert "error" not in bob, bob
        bob_rows = all_rows(image(b, "sqljs:bob", tmp_path / "bob.db"))
        assert (bob_rows["project"], bob_rows["task"], [r["id"] for r in bob_rows["tag"]]) == ([], [], ["urgent"])
        # ... and cannot write them, whatever the payload says
        forged = {
            "protocol": 1,
            "schema": "0002_v2",
            "batch": "forged-1",
            "push": {
                "project": {
                    "rows": [
                        {"id": PA, "user_id": BOB, "name": "taken", "sync_version": 99},  # hand Alice's row to Bob
                        {"id": PB, "user_id": ALICE, "name": "edited by bob", "sync_version": 99},
                        {
                            "id": "d0000000-0000-4000-8000-00000000000d",
                            "user_id": ALICE,
                            "name": "planted",
                            "sync_version": 1,
                        },
                    ]
                },
                "task": {"rows": [{"id": TA, "project_id": PA, "title": "bob's", "sync_version": 99}], "deletes": []},
            },
            "pull": {"project": {"cursor": None}, "task": {"cursor": None}},
        }
        status, answer = post(base, forged, bearer=token(BOB))
        assert status == 200
        statuses = [r["status"] for t in ("project", "task") for r in answer["push"][t]["rows"]]
        assert statuses == ["rejected"] * 4
        assert answer["pull"]["project"]["rows"] == [] and answer["pull"]["task"]["rows"] == []
        with pg(pg_url) as conn:
            names = dict(conn.execute("SELECT id::text, name FROM project").fetchall())
            assert names == {PA: "a renamed it", PB: "from b"}  # nothing of the forged push was written
            assert conn.execute("SELECT title FROM task").fetchall() == [("task of a",)]

        # an expired token, a forged one: refused, not retried, nothing written
        expired = sync(a, A_DB, {"url": base, "token": token(ALICE, expires_in=-60), "backoff": 10})
        assert (expired["code"], expired["status"], expired["name"]) == ("unauthorized", 401, "SyncError")
        forged_token = token(ALICE, secret="another-secret-of-more-than-32-bytes!!")
        assert sync(a, A_DB, {"url": base, "token": forged_token})["code"] == "unauthorized"


def test_a_concurrent_edit_under_lww_is_settled_for_the_later_write_on_every_device(
    bundles: dict[str, Path], static_server: StaticServer, browser_context: BrowserContext, pg_url: str, tmp_path: Path
) -> None:
    migrate_server(bundles["project"], pg_url, "0002_v2")
    with sync_server(pg_url, rules_file(tmp_path, "lww"), origin(static_server)) as base:
        a = browser_context.new_page()
        browser_device(a, static_server, "sv2", A_DB)
        c = python_device(bundles["project"], tmp_path / "c.db", base)
        run_sql(a, A_DB, [f"INSERT INTO project (id, user_id, name) VALUES ('{PA}', '{ALICE}', 'first')"])
        sync(a, A_DB, options(base, ALICE, "a"))
        c.sync()
        # both edit the row offline, the browser first; the Python device reaches the server first:
        # the browser's edit is the earlier write (by when it was made and by when it arrived), it loses
        run_sql(a, A_DB, ["UPDATE project SET name = 'browser edit'"])
        sqlite3.connect(tmp_path / "c.db", isolation_level=None).execute("UPDATE project SET name = 'python edit'")
        assert c.sync().conflicts == []
        late = sync(a, A_DB, options(base, ALICE, "a"))
        [conflict] = late["conflicts"]
        assert (conflict["resolution"], conflict["server_row"]["name"]) == ("server", "python edit")
        assert a.evaluate("() => conflicts.length") == 1  # the "conflict" event
        assert [r["name"] for r in server_rows(pg_url)["project"]] == ["python edit"]
        assert [r["name"] for r in rows_of(image(a, A_DB, tmp_path / "a.db"), "project")] == ["python edit"]
        # again the other way: the browser edits after the Python device's write reached the server
        # (without having pulled it): the later write, the browser's, wins
        c.sync()  # the Python device first takes the settled row
        sqlite3.connect(tmp_path / "c.db", isolation_level=None).execute("UPDATE project SET name = 'python again'")
        assert c.sync().conflicts == []
        run_sql(a, A_DB, ["UPDATE project SET name = 'browser later'"])
        [conflict] = sync(a, A_DB, options(base, ALICE, "a"))["conflicts"]
        assert (conflict["resolution"], conflict["server_row"]["name"]) == ("client", "python again")
        c.sync()
        sync(a, A_DB, options(base, ALICE, "a"))
        want = server_rows(pg_url)
        assert [r["name"] for r in want["project"]] == ["browser later"]
        assert all_rows(image(a, A_DB, tmp_path / "a.db")) == want
        assert all_rows(tmp_path / "c.db") == want


def test_a_device_reloaded_mid_sync_loses_nothing_and_its_resend_applies_nothing_twice(
    bundles: dict[str, Path], static_server: StaticServer, browser_context: BrowserContext, pg_url: str, tmp_path: Path
) -> None:
    migrate_server(bundles["project"], pg_url, "0002_v2")
    with sync_server(pg_url, rules_file(tmp_path, "reject"), origin(static_server)) as base:
        a = browser_context.new_page()
        browser_device(a, static_server, "sv2", A_DB)
        run_sql(
            a,
            A_DB,
            [
                f"INSERT INTO project (id, user_id, name) VALUES ('{PA}', '{ALICE}', 'before the reload')",
                f"INSERT INTO task (id, project_id, title) VALUES ('{TA}', '{PA}', 'one')",
            ],
        )
        # the push reaches the server and is applied; the page reloads before the answer is taken
        with a.expect_navigation():
            a.evaluate(
                """(opts) => {
                    const send = async (url, init) => {
                        const answer = await fetch(url, init);
                        await answer.text();
                        setTimeout(() => location.reload(), 0);
                        return new Promise(() => {});     // the answer never arrives
                    };
                    mz.sync("/data/a.db", { ...opts, fetch: send });
                }""",
                options(base, ALICE, "a"),
            )
        with pg(pg_url) as conn:
            assert conn.execute("SELECT count(*) FROM __mizzle_sync_batches").fetchone() == (1,)
            [(batch,)] = conn.execute("SELECT batch_id FROM __mizzle_sync_batches").fetchall()
        browser_device(a, static_server, "sv2", A_DB)  # the app starts again
        pending = a.evaluate(
            """async () => {
                const py = mz.pyodide;
                py.FS.mkdirTree("/data");
                try { py.FS.mount(py.FS.filesystems.IDBFS, {}, "/data"); } catch {}
                await new Promise((resolve, reject) => py.FS.syncfs(true, (e) => (e ? reject(e) : resolve())));
                return py.runPython(`
import sqlite3, json
conn = sqlite3.connect("/data/a.db")
row = conn.execute("SELECT value FROM __mizzle_sync_client WHERE key = 'pending'").fetchone()
conn.close()
json.loads(row[0])["batch"] if row else None
`);
            }"""
        )
        assert pending == batch  # written down before it was sent, and still there
        again = sync(a, A_DB, options(base, ALICE, "a"))
        assert (again["pushed"], again["conflicts"], again["rejected"]) == (2, [], []), again
        with pg(pg_url) as conn:
            assert conn.execute("SELECT count(*) FROM __mizzle_sync_batches").fetchone() == (1,)  # the same batch
            assert conn.execute("SELECT name, sync_version FROM project").fetchall() == [("before the reload", 1)]
            assert conn.execute("SELECT title FROM task").fetchall() == [("one",)]
        assert all_rows(image(a, A_DB, tmp_path / "a.db")) == server_rows(pg_url)


def test_schema_versions_one_behind_syncs_newer_is_refused_too_old_upgrades_in_the_browser_and_syncs(
    bundles: dict[str, Path], static_server: StaticServer, browser_context: BrowserContext, pg_url: str, tmp_path: Path
) -> None:
    project = bundles["project"]
    migrate_server(project, pg_url, "0002_v2")
    with sync_server(pg_url, rules_file(tmp_path, "reject"), origin(static_server), window=1) as base:
        old, new = browser_context.new_page(), browser_context.new_page()
        browser_device(old, static_server, "sv1", "/old/app.db")  # one migration behind the server
        browser_device(new, static_server, "sv3", "/new/app.db")  # one ahead of it
        run_sql(
            old,
            "/old/app.db",
            [
                f"INSERT INTO project (id, user_id, name) VALUES ('{PA}', '{ALICE}', 'p')",
                f"INSERT INTO task (id, project_id, title) VALUES ('{TA}', '{PA}', 'v1 title')",
            ],
        )
        assert sync(old, "/old/app.db", options(base, ALICE, "old"))["pushed"] == 2
        with pg(pg_url) as conn:
            conn.execute("UPDATE task SET priority = 5")  # a column the old device does not have
        sync(old, "/old/app.db", options(base, ALICE, "old"))
        run_sql(old, "/old/app.db", ["UPDATE task SET title = 'edited on v1'"])
        edited = sync(old, "/old/app.db", options(base, ALICE, "old"))
        assert (edited["pushed"], edited["conflicts"]) == (1, []), edited
        with pg(pg_url) as conn:
            assert conn.execute("SELECT title, priority FROM task").fetchall() == [("edited on v1", 5)]

        ahead = sync(new, "/new/app.db", options(base, ALICE, "new"))
        assert (ahead["code"], ahead["status"]) == ("schema_ahead", 409)

        # the server moves to v3: the v1 device is now outside the window
        migrate_server(project, pg_url, "0003_v3")
        run_sql(old, "/old/app.db", [f"INSERT INTO project (id, user_id, name) VALUES ('{PB}', '{ALICE}', 'offline')"])
        behind = sync(old, "/old/app.db", options(base, ALICE, "old"))
        assert (behind["code"], behind["status"]) == ("upgrade_required", 426)
        # the app is deployed anew (bundle v3): it upgrades in place and syncs, the offline row kept
        browser_device(old, static_server, "sv3", "/old/app.db")
        after = sync(old, "/old/app.db", options(base, ALICE, "old"))
        assert (after["pushed"], after["conflicts"], after["rejected"]) == (1, [], []), after
        with pg(pg_url) as conn:
            assert conn.execute("SELECT name FROM project ORDER BY name").fetchall() == [("offline",), ("p",)]
        local = all_rows(image(old, "/old/app.db", tmp_path / "old.db"))
        server = server_rows(pg_url)
        assert local["project"] == server["project"]  # the offline row, and what was there, the same
        # the edit went up without the column v1 lacks; task, changed by the upgrade, was pulled
        # again: the device now holds the server's priority too
        assert [(r["title"], r["priority"]) for r in server["task"]] == [("edited on v1", 5)]
        assert local["task"] == server["task"]
        assert sync(new, "/new/app.db", options(base, ALICE, "new"))["pulled"] >= 2  # now the same head


def test_after_an_upgrade_a_device_gets_the_values_of_the_columns_it_lacked(
    bundles: dict[str, Path], static_server: StaticServer, browser_context: BrowserContext, pg_url: str, tmp_path: Path
) -> None:
    migrate_server(bundles["project"], pg_url, "0002_v2")
    with sync_server(pg_url, rules_file(tmp_path, "reject"), origin(static_server)) as base:
        old = browser_context.new_page()
        browser_device(old, static_server, "sv1", "/old/app.db")
        run_sql(
            old,
            "/old/app.db",
            [
                f"INSERT INTO project (id, user_id, name) VALUES ('{PA}', '{ALICE}', 'p')",
                f"INSERT INTO task (id, project_id, title) VALUES ('{TA}', '{PA}', 't')",
            ],
        )
        sync(old, "/old/app.db", options(base, ALICE, "old"))
        with pg(pg_url) as conn:
            conn.execute("UPDATE task SET priority = 5")
        sync(old, "/old/app.db", options(base, ALICE, "old"))  # pulls the row, without priority
        browser_device(old, static_server, "sv2", "/old/app.db")  # upgraded in place to the server's head
        sync(old, "/old/app.db", options(base, ALICE, "old"))
        local = rows_of(image(old, "/old/app.db", tmp_path / "old.db"), "task")
        assert [r["priority"] for r in local] == [5]


def test_the_default_worker_syncs_a_file_and_the_page_never_loads_pyodide(
    bundles: dict[str, Path], static_server: StaticServer, browser_context: BrowserContext, pg_url: str, tmp_path: Path
) -> None:
    migrate_server(bundles["project"], pg_url, "0002_v2")
    with pg(pg_url) as conn:
        conn.execute("INSERT INTO tag (id, label) SELECT 't' || i, 'tag ' || i FROM generate_series(1, 2000) AS i")
    with sync_server(pg_url, rules_file(tmp_path, "reject"), origin(static_server)) as base:
        page = browser_context.new_page()
        page.goto(static_server.url("/pages/blank.html"))
        run = page.evaluate(
            """async (opts) => {
                const { loadMizzle } = await import("/sv2/mizzle.js");
                const mz = await loadMizzle({ indexURL: "/pyodide/", bundleURL: "/sv2/" });   // a worker
                await mz.upgrade("/w/app.db");
                let t = performance.now();
                const first = await mz.sync("/w/app.db", { ...opts, limit: 500 });
                const firstMs = performance.now() - t;
                t = performance.now();
                const again = await mz.sync("/w/app.db", opts);
                const againMs = performance.now() - t;
                const tables = await mz.tables("/w/app.db");
                return { first, firstMs, again, againMs, tables, mainPyodide: typeof loadPyodide };
            }""",
            options(base, ALICE, "w"),
        )
    assert (run["first"]["pulled"], run["first"]["requests"]) == (2000, 4)  # pages of 500
    assert run["again"]["pulled"] == 0
    assert {t["name"]: t["rows"] for t in run["tables"]}["tag"] == 2000
    assert run["mainPyodide"] == "undefined"
    print(f"first sync (model wheels, 2000 rows in 4 pages): {run['firstMs']:.0f} ms; next: {run['againMs']:.0f} ms")


def test_a_failure_in_transit_is_retried_with_backoff_the_same_bytes_each_time(
    bundles: dict[str, Path], static_server: StaticServer, browser_context: BrowserContext, pg_url: str, tmp_path: Path
) -> None:
    migrate_server(bundles["project"], pg_url, "0002_v2")
    with sync_server(pg_url, rules_file(tmp_path, "reject"), origin(static_server)) as base:
        a = browser_context.new_page()
        browser_device(a, static_server, "sv2", A_DB)
        run_sql(a, A_DB, [f"INSERT INTO project (id, user_id, name) VALUES ('{PA}', '{ALICE}', 'offline')"])
        run = a.evaluate(
            """async ([db, opts]) => {
                const bodies = [];
                const times = [];
                // no server at all: every try fails in transit
                const down = async (url, init) => { bodies.push(init.body); times.push(performance.now());
                                                    throw new TypeError("Failed to fetch"); };
                let offline;
                try { await mz.sync(db, { ...opts, fetch: down, retries: 2, backoff: 50 }); }
                catch (err) { offline = { code: err.code, retryable: err.retryable, message: err.message }; }
                // the server busy once (503), then there
                let calls = 0;
                const busy = async (url, init) => {
                    bodies.push(init.body);
                    const unavailable = '{"error": {"code": "unavailable", "message": "busy"}}';
                    if (++calls === 1) return new Response(unavailable, { status: 503 });
                    return fetch(url, init);
                };
                const result = await mz.sync(db, { ...opts, fetch: busy, backoff: 10 });
                return { offline, bodies, gaps: [times[1] - times[0], times[2] - times[1]], result, calls };
            }""",
            [A_DB, options(base, ALICE, "a")],
        )
    assert run["offline"]["code"] == "unreachable" and run["offline"]["retryable"] is True
    assert "is not reachable" in run["offline"]["message"]
    assert len(run["bodies"]) == 5 and len(set(run["bodies"])) == 1  # one batch, sent byte for byte
    assert run["gaps"][0] >= 25 and run["gaps"][1] >= 50  # 50 ms then 100 ms, each with jitter (x0.5 to x1.5)
    assert (run["result"]["pushed"], run["result"]["requests"], run["calls"]) == (1, 1, 2)
    with pg(pg_url) as conn:
        assert conn.execute("SELECT name FROM project").fetchall() == [("offline",)]


def test_sync_every_syncs_on_its_interval_until_stopped_and_stops_on_a_refusal(
    bundles: dict[str, Path], static_server: StaticServer, browser_context: BrowserContext, pg_url: str, tmp_path: Path
) -> None:
    migrate_server(bundles["project"], pg_url, "0002_v2")
    with sync_server(pg_url, rules_file(tmp_path, "reject"), origin(static_server)) as base:
        a = browser_context.new_page()
        browser_device(a, static_server, "sv2", A_DB)
        run = a.evaluate(
            """async ([db, opts, expired]) => {
                const results = [];
                mz.addEventListener("sync", (event) => results.push(event.detail.pushed));
                const running = mz.syncEvery(db, { ...opts, interval: 100 });
                while (results.length < 2) await new Promise((r) => setTimeout(r, 20));
                // a write made while it runs goes up at a later interval
                await mz.withLock(db, async () => {
                    mz.pyodide.runPython(`
import sqlite3
c = sqlite3.connect("/data/a.db")
c.execute("INSERT INTO project (id, user_id, name) VALUES ('${opts.pa}', '${opts.alice}', 'meanwhile')")
c.commit(); c.close()`);
                    await new Promise((ok, no) => mz.pyodide.FS.syncfs(false, (e) => (e ? no(e) : ok())));
                });
                while (!results.includes(1)) await new Promise((r) => setTimeout(r, 20));
                await running.stop();
                const after = results.length;
                await new Promise((r) => setTimeout(r, 300));
                const stoppedFor = results.length - after;
                // a refusal (an expired token) stops it with an "error" event
                const failed = new Promise((resolve) => mz.addEventListener("error", (e) => resolve(e.detail.code)));
                const refused = mz.syncEvery(db, { ...opts, token: expired, interval: 100 });
                const code = await failed;
                await refused.stop();
                // mz.close() ends a running loop quietly: no "error" event, stop() resolves
                const errors = [];
                mz.addEventListener("error", (e) => errors.push(e.detail));
                const ticks = results.length;
                const closing = mz.syncEvery(db, { ...opts, interval: 100 });
                while (results.length === ticks) await new Promise((r) => setTimeout(r, 20));
                await mz.close();
                await closing.stop();
                await new Promise((r) => setTimeout(r, 300));
                return { results, stoppedFor, code, errorsAfterClose: errors.length };
            }""",
            [A_DB, {**options(base, ALICE, "a"), "pa": PA, "alice": ALICE}, token(ALICE, expires_in=-60)],
        )
    assert run["results"][:2] == [0, 0] and 1 in run["results"]
    assert run["stoppedFor"] == 0
    assert run["code"] == "unauthorized"
    assert run["errorsAfterClose"] == 0
    with pg(pg_url) as conn:
        assert conn.execute("SELECT name FROM project").fetchall() == [("meanwhile",)]
