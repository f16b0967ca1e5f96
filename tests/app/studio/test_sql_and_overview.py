"""The SQL tab (results, the error's line, a cancel reaching a running query), the Schema tab
(an ERD with every table and FK, each table's DDL for both dialects) and the Migrations tab
(applied with time, pending, checksum problems, drift after a hand change), on real databases."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from tests.app.studio.conftest import PROFILES, Studio

LONG_QUERY = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    "postgresql": "SELECT pg_sleep(60)",
}


def test_a_query_returns_its_rows_and_a_failure_its_line(studio: Studio) -> None:
    ok = studio.client.post("/api/db/0/sql", json={"sql": "SELECT count(*) AS n FROM user_profile", "id": "a"})
    assert ok.status_code == 200, ok.text
    assert ok.json()["columns"] == ["n"] and ok.json()["rows"] == [[PROFILES]]
    failed = studio.client.post("/api/db/0/sql", json={"sql": "SELECT 1\nFROM user_profile\nWHERE nope = 1", "id": "b"})
    assert failed.status_code == 400
    assert "nope" in failed.json()["error"]
    if studio.url.dialect == "postgresql":  # SQLite does not say where
        assert failed.json()["line"] == 3


def test_a_failed_statement_changes_nothing(studio: Studio) -> None:
    sql = (
        "UPDATE user_profile SET display_name = 'x'; SELECT 1/0"
        if studio.url.dialect == "postgresql"
        else ("UPDATE user_profile SET email = NULL")
    )
    assert studio.client.post("/api/db/0/sql", json={"sql": sql, "id": "c"}).status_code == 400
    assert studio.query("SELECT count(*) FROM user_profile WHERE display_name = 'x' OR email IS NULL") == [(0,)]


def test_cancel_stops_a_running_query(studio: Studio) -> None:
    result: dict[str, Any] = {}

    def run() -> None:
        response = studio.client.post("/api/db/0/sql", json={"sql": LONG_QUERY[studio.url.dialect], "id": "long"})
        result["response"] = response

    started = time.monotonic()
    thread = threading.Thread(target=run)
    thread.start()
    cancelled = False
    while not cancelled and time.monotonic() - started < 20:
        time.sleep(0.2)
        cancelled = studio.client.post("/api/db/0/sql/cancel", json={"id": "long"}).json()["cancelled"]
    thread.join(30)
    assert cancelled and not thread.is_alive()
    assert time.monotonic() - started < 20
    response = result["response"]
    assert response.status_code == 400
    assert "interrupt" in response.json()["error"] or "cancel" in response.json()["error"]


def test_the_erd_draws_every_table_and_foreign_key(studio: Studio) -> None:
    for source in ("model", "database"):
        response = studio.client.get(f"/api/db/0/erd.svg?source={source}")
        assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg+xml")
        tree = ElementTree.fromstring(response.text)
        ns = "{http://www.w3.org/2000/svg}"
        tables = {g.get("data-table") for g in tree.iter(f"{ns}g") if g.get("class") == "table"}
        assert {"user_profile", "tune", "playlist", "practice_record"} <= tables
        arrows = {(p.get("data-from"), p.get("data-to")) for p in tree.iter(f"{ns}path") if p.get("class") == "fk"}
        assert ("tune", "user_profile") in arrows


def test_a_tables_detail_shows_its_ddl_for_both_dialects(studio: Studio) -> None:
    detail = studio.client.get("/api/db/0/tables/tune").json()
    assert detail["primary_key"] == ["id"]
    assert {c["name"] for c in detail["checks"]} >= {"tune_title_not_empty"}
    assert any(i["name"] == "tune_catalogue_title_idx" for i in detail["indexes"])
    postgresql, sqlite = (
        next(s for s in detail["ddl"][d] if s.startswith("CREATE TABLE tune")) for d in ("postgresql", "sqlite")
    )
    assert "id uuid" in postgresql and "CREATE TYPE instrument" in detail["ddl"]["postgresql"][0]
    assert "id UUID_TEXT" in sqlite and "CHECK (instrument IN (" in sqlite


def test_migrations_show_applied_pending_problems_and_drift(studio: Studio) -> None:
    history = studio.client.get("/api/db/0/migrations").json()
    names = [a["name"] for a in history["applied"]]
    assert names[0] == "0001_init" and len(names) == 4 and history["pending"] == []
    assert all(a["applied_at"] and a["duration_ms"] >= 0 and len(a["checksum"]) == 64 for a in history["applied"])
    first = history["migrations"][0]
    assert "CREATE TABLE" in first["sql"] and "DROP TABLE" in first["down_sql"]
    assert studio.client.get("/api/db/0/drift").json()["differences"] == []

    # a hand change, a new migration not applied yet and an applied one edited
    studio.query_run("CREATE INDEX by_hand ON tune (key)")
    folder = studio.root / "migrations"
    new = folder / "0005_more"
    new.mkdir()
    (new / f"{studio.url.dialect}.sql").write_text("SELECT 1;\n")
    init = folder / "0001_init" / f"{studio.url.dialect}.sql"
    init.write_text(init.read_text() + "\n-- edited\n")
    history = studio.client.get("/api/db/0/migrations").json()
    assert history["pending"] == ["0005_more"]
    assert any("0001_init" in p for p in history["problems"])
    drift = studio.client.get("/api/db/0/drift").json()
    assert drift["differences"] == ["unexpected index by_hand on tune"]
    assert "DROP INDEX" in drift["sql"] and "by_hand" in drift["sql"]


def test_sync_shows_versions_devices_tombstones_and_changes_since_a_cursor(studio: Studio) -> None:
    assert "user_profile" in studio.client.get("/api/db/0/sync").json()["tables"]
    everything = studio.client.get("/api/db/0/sync?table=user_profile").json()
    assert everything["total_rows"] == PROFILES
    assert {"sync_version", "last_modified_at", "device_id"} <= set(everything["rows"][0])
    cursor = everything["cursor"]
    assert cursor.startswith("seq:" if studio.url.dialect == "sqlite" else "xid:")

    studio.client.post(
        "/api/db/0/change/update", json={"table": "user_profile", "key": {"id": 7}, "values": {"display_name": "new"}}
    )
    tune = studio.client.get("/api/db/0/sync?table=tune").json()
    [tune_id] = [row["id"] for row in tune["rows"]]
    studio.client.post("/api/db/0/change/delete", json={"table": "tune", "key": {"id": tune_id}})
    since = studio.client.get(f"/api/db/0/sync?table=user_profile&since={cursor}").json()
    changed = {(r["id"], r["display_name"], r["sync_version"]) for r in since["rows"]}
    # A cursor may give a row twice, never miss one: on PostgreSQL it is the oldest transaction
    # still open when it was taken (another session's may be older), so earlier rows can come again.
    assert (7, "new", 2) in changed
    assert all(version == 1 for id_, _, version in changed if id_ != 7)
    if studio.url.dialect == "sqlite":
        assert changed == {(7, "new", 2)}
    deleted = studio.client.get(f"/api/db/0/sync?table=tune&since={tune['cursor']}").json()
    assert deleted["rows"] == [] and [d["pk"] for d in deleted["deletes"]] == [[tune_id]]
    wrong = studio.client.get("/api/db/0/sync?table=user_profile&since=bogus")
    assert wrong.status_code == 400 and "error" in wrong.json()


def test_a_tables_detail_shows_its_row_level_security_policies_and_triggers(tmp_path: Path) -> None:
    from mizzle.app.studio.overview import table_detail
    from mizzle.sources.load import load_schema

    path = tmp_path / "schema.sql"
    path.write_text(
        "CREATE TABLE note (id integer PRIMARY KEY, owner text NOT NULL, body text);\n"
        "ALTER TABLE note ENABLE ROW LEVEL SECURITY;\n"
        "CREATE POLICY own_notes ON note FOR SELECT TO PUBLIC USING (owner = current_user);\n"
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\n"
        "CREATE TRIGGER note_touch BEFORE UPDATE ON note FOR EACH ROW EXECUTE FUNCTION touch();\n",
        encoding="utf-8",
    )
    detail = table_detail(load_schema(path).schema, "note")
    assert detail["row_security"] == "on"
    [policy] = detail["policies"]
    assert (policy["name"], policy["command"], policy["permissive"], policy["roles"]) == (
        "own_notes",
        "SELECT",
        True,
        ["PUBLIC"],
    )
    assert "current_user" in policy["using"] and policy["check"] is None
    [trigger] = detail["triggers"]
    assert trigger["name"] == "note_touch" and "EXECUTE FUNCTION touch()" in trigger["postgresql"]
    assert trigger["sqlite"] is None
    # the PostgreSQL DDL of the table alone carries them too; SQLite has neither
    postgresql = "\n".join(detail["ddl"]["postgresql"])
    assert "ENABLE ROW LEVEL SECURITY" in postgresql and "CREATE POLICY own_notes" in postgresql
    assert "CREATE TRIGGER note_touch" in postgresql
    assert "POLICY" not in "\n".join(detail["ddl"]["sqlite"])
