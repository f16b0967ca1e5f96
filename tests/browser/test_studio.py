"""`mizzle studio` in headless Chromium, served by a real uvicorn on a free port, with the
network blocked but for 127.0.0.1: the page loads with nothing from elsewhere, lists the
tables, pages through 10,000 rows, filters, edits a row (the sync version bumps), shows a
constraint violation and changes nothing, runs a query, draws the ERD with every table and
shows the migrations; in --read-only, nothing can be written. Each page is saved as a
screenshot (in $MIZZLE_SCREENSHOTS when set, else in the test's temporary folder)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import BrowserContext, Page, expect

from mizzle.app.config import load_config
from mizzle.app.studio.server import create_app
from mizzle.app.studio.serving import listening
from mizzle.app.studio.workspace import workspace_for
from mizzle.core.urls import DatabaseURL
from mizzle.dialects import get_dialect
from mizzle.dialects.urls import parse_url
from tests.app.studio.conftest import example_project
from tests.pg import fresh_database

ROWS = 10_000


def seed(url: DatabaseURL, root: Path) -> None:
    from mizzle.app.migrate import migrate
    from mizzle.core.migrations import MigrationFolder

    migrate(url, MigrationFolder(root / "migrations"))
    conn = get_dialect(url.dialect).connect(url)
    marker = "?" if url.dialect == "sqlite" else "%s"
    try:
        cursor = conn.cursor()
        if url.dialect == "sqlite":  # its connection is in autocommit mode: one transaction, not 10,000
            conn.execute("BEGIN")
        cursor.executemany(
            f"INSERT INTO user_profile (email, display_name) VALUES ({marker}, {marker})",
            [(f"user{i:05d}@example.org", f"User {i:05d}") for i in range(1, ROWS + 1)],
        )
        conn.execute(f"INSERT INTO tune (owner_id, title) VALUES (1, {marker})", ("The Kesh",))
        conn.commit()
    finally:
        conn.close()


def query(url: DatabaseURL, sql: str) -> list[tuple[object, ...]]:
    conn = get_dialect(url.dialect).connect(url)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()


class Served:
    def __init__(self, url: DatabaseURL, root: Path, read_only: bool) -> None:
        self.db = url
        workspace = workspace_for([url], load_config(config_path=root / "mizzle.toml"), read_only=read_only)
        self.bound = listening(port=0)
        app = create_app(workspace, self.bound.token, self.bound.allowed_hosts())
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.bound.sock]}, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.server.started
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(20)
        self.bound.sock.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[DatabaseURL, Path]]:
    root = example_project(tmp_path)
    if request.param == "sqlite":
        url = parse_url(f"sqlite:///{root / 'practice.db'}")
        seed(url, root)
        yield url, root
    else:
        with fresh_database("studio") as text:
            url = parse_url(text)
            seed(url, root)
            yield url, root


def shoot(page: Page, name: str, tmp_path: Path, dialect: str) -> None:
    folder = Path(os.environ.get("MIZZLE_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"studio-{name}-{dialect}.png"), full_page=False)


def opened(context: BrowserContext, served: Served) -> Page:
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(served.bound.url)
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    return page


def first_cells(page: Page) -> list[str]:
    return page.locator("#rows tbody tr td:nth-child(2)").all_inner_texts()


def test_studio_pages_filters_edits_queries_and_draws(
    browser_context: BrowserContext, database: tuple[DatabaseURL, Path], tmp_path: Path
) -> None:
    url, root = database
    dialect = url.dialect
    with Served(url, root, read_only=False) as served:
        page = opened(browser_context, served)
        profile = page.locator("#relations li[data-name=user_profile]")
        expect(profile.locator(".count")).to_have_text("10,000")
        profile.click()
        expect(page.locator("#relation-name")).to_have_text("user_profile")
        expect(page.locator("#rows tbody tr")).to_have_count(50)
        assert first_cells(page)[0] == "1"
        for expected in ("51", "101", "151"):
            page.click("#next-page")
            expect(page.locator("#rows tbody tr td:nth-child(2)").first).to_have_text(expected)
        shoot(page, "data", tmp_path, dialect)

        # a filter: the last ten rows
        page.select_option("#filter-column", "id")
        page.select_option("#filter-op", ">")
        page.fill("#filter-value", str(ROWS - 10))
        page.click("#filter-add")
        expect(page.locator("#rows tbody tr")).to_have_count(10)
        expect(page.locator("#next-page")).to_be_disabled()

        # an edit: the form, the SQL shown, the database changed, the sync version bumped
        [(version,)] = query(url, f"SELECT sync_version FROM user_profile WHERE id = {ROWS - 9}")
        page.locator("#rows tbody tr").first.locator("button.edit").click()
        page.fill("#field-display_name", "Edited <b>'here'</b>")
        page.click("#row-form-save")
        expect(page.locator("#row-form")).not_to_be_visible()
        expect(page.locator("#last-sql")).to_contain_text("UPDATE user_profile SET display_name")
        assert query(url, f"SELECT display_name, sync_version FROM user_profile WHERE id = {ROWS - 9}") == [
            ("Edited <b>'here'</b>", version + 1)  # type: ignore[operator]
        ]
        expect(page.locator("#rows tbody tr").first).to_contain_text("Edited <b>'here'</b>")

        # a constraint violation: a readable error in the form, and nothing changed
        page.locator("#relations li[data-name=tune]").click()
        expect(page.locator("#rows tbody tr")).to_have_count(1)
        page.locator("#rows tbody tr").first.locator("button.edit").click()
        page.fill("#field-title", "")
        page.click("#row-form-save")
        expect(page.locator("#row-form-error")).to_contain_text("tune_title_not_empty")
        shoot(page, "constraint", tmp_path, dialect)
        page.locator("#row-form button[value=cancel]").click()
        assert query(url, "SELECT title FROM tune") == [("The Kesh",)]

        # insert, then delete
        page.click("#insert-row")
        page.fill("#field-title", "Drowsy Maggie")
        page.fill("#field-owner_id", "2")
        page.locator("#field-owner_id").locator("xpath=..").locator(".is-null").uncheck()
        page.click("#row-form-save")
        expect(page.locator("#rows tbody tr")).to_have_count(2)
        assert query(url, "SELECT count(*) FROM tune") == [(2,)]
        page.once("dialog", lambda d: d.accept())
        page.locator("#rows tbody tr", has_text="Drowsy Maggie").locator("button.delete").click()
        expect(page.locator("#rows tbody tr")).to_have_count(1)
        assert query(url, "SELECT count(*) FROM tune") == [(1,)]

        # SQL
        page.click("nav button[data-tab=sql]")
        page.fill("#sql-text", "SELECT count(*) AS n FROM user_profile")
        page.click("#sql-run")
        expect(page.locator("#sql-result tbody td")).to_have_text("10000")
        page.fill("#sql-text", "SELECT nope FROM user_profile")
        page.click("#sql-run")
        expect(page.locator("#sql-status")).to_contain_text("nope")
        expect(page.locator("#sql-history li")).to_have_count(2)
        shoot(page, "sql", tmp_path, dialect)

        # Schema: every table in the ERD, and a table's DDL side by side
        page.click("nav button[data-tab=schema]")
        for table in ("user_profile", "tune", "playlist", "practice_record"):
            expect(page.locator(f'#erd g.table[data-table="{table}"]')).to_have_count(1)
        page.locator('#erd g.table[data-table="tune"]').click()
        expect(page.locator("#table-detail .ddl-postgresql pre")).to_contain_text("CREATE TABLE tune")
        expect(page.locator("#table-detail .ddl-sqlite pre")).to_contain_text("CREATE TABLE tune")
        shoot(page, "schema", tmp_path, dialect)

        # Migrations: four applied, none pending, then drift after a hand change
        page.click("nav button[data-tab=migrations]")
        expect(page.locator("#applied tbody tr")).to_have_count(4)
        expect(page.locator("#drift")).to_have_text("The database matches the schema.")
        conn = get_dialect(dialect).connect(url)
        conn.execute("CREATE INDEX by_hand ON tune (key)")
        conn.commit()
        conn.close()
        page.click("nav button[data-tab=data]")
        page.click("nav button[data-tab=migrations]")
        expect(page.locator("#drift")).to_contain_text("unexpected index by_hand on tune")
        expect(page.locator("#drift-sql")).to_contain_text("DROP INDEX")
        shoot(page, "migrations", tmp_path, dialect)

        # Sync: the whole table, then nothing since the cursor, then the row edited meanwhile
        page.click("nav button[data-tab=sync]")
        page.select_option("#sync-table", "user_profile")
        page.click("#sync-pull")
        expect(page.locator("#sync-summary")).to_contain_text(f"{ROWS} rows changed (first 200 shown), 0 deleted")
        page.click("#sync-next")
        # On PostgreSQL a cursor may give rows again (another session's older open transaction)
        if dialect == "sqlite":
            expect(page.locator("#sync-summary")).to_contain_text("0 rows changed")
        conn = get_dialect(dialect).connect(url)
        conn.execute("UPDATE user_profile SET display_name = 'synced' WHERE id = 3")
        conn.commit()
        conn.close()
        page.click("#sync-pull")
        if dialect == "sqlite":
            expect(page.locator("#sync-summary")).to_contain_text("1 rows changed")
            expect(page.locator("#sync-rows tbody tr")).to_contain_text("synced")
        else:
            expect(page.locator("#sync-cursor")).to_contain_text("next cursor: xid:")
        shoot(page, "sync", tmp_path, dialect)
        expect(page.locator("#error")).to_be_hidden()


def test_read_only_studio_refuses_writes_in_the_page(
    browser_context: BrowserContext, database: tuple[DatabaseURL, Path], tmp_path: Path
) -> None:
    url, root = database
    with Served(url, root, read_only=True) as served:
        page = opened(browser_context, served)
        expect(page.locator("#mode")).to_have_text("read-only")
        page.locator("#relations li[data-name=user_profile]").click()
        expect(page.locator("#rows tbody tr")).to_have_count(50)
        expect(page.locator("#rows button.edit")).to_have_count(0)
        expect(page.locator("#insert-row")).to_be_disabled()
        page.click("nav button[data-tab=sql]")
        expect(page.locator("#sql-run")).to_be_disabled()
        # the API refuses too, whatever the page shows
        status = page.evaluate(
            """async () => (await fetch('/api/db/0/change/delete', {method: 'POST',
                headers: {'X-Mizzle-Token': document.querySelector('meta[name=mizzle-token]').content,
                          'Content-Type': 'application/json'},
                body: JSON.stringify({table: 'user_profile', key: {id: 1}})})).status"""
        )
        assert status == 403
        assert query(url, "SELECT count(*) FROM user_profile") == [(ROWS,)]
