"""The Data tab's API on real SQLite and PostgreSQL databases: row counts, keyset pages that
cover every row once, sort and filter, typed edits each in its own transaction (shown as the
SQL that ran), constraint violations and refused values that change nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mizzle.app.studio.workspace import Target
from mizzle.dialects.urls import parse_url
from tests.app.studio.conftest import PROFILES, Studio, example_project, make_studio, seeded


def marker(studio: Studio) -> str:
    return "?" if studio.url.dialect == "sqlite" else "%s"


def pages(studio: Studio, table: str, **request: Any) -> list[list[Any]]:
    rows: list[list[Any]] = []
    after = None
    for _ in range(100):
        response = studio.client.post("/api/db/0/rows", json={"table": table, "after": after, **request})
        assert response.status_code == 200, response.text
        page = response.json()
        rows.extend(page["rows"])
        after = page["next_after"]
        if after is None:
            return rows
    raise AssertionError("paging did not end")


def test_relations_list_every_table_and_view_with_its_row_count(studio: Studio) -> None:
    listed = {r["name"]: r for r in studio.client.get("/api/db/0/relations").json()}
    assert listed["user_profile"]["rows"] == PROFILES
    assert listed["tune"]["rows"] == 1
    assert listed["user_profile"]["primary_key"] == ["id"]
    assert listed["user_profile"]["sync"] is True
    assert any(r["kind"] == "view" for r in listed.values())
    instrument = next(c for c in listed["tune"]["columns"] if c["name"] == "instrument")
    assert instrument["enum"] == ["fiddle", "flute", "whistle", "concertina", "banjo"]
    owner = next(c for c in listed["tune"]["columns"] if c["name"] == "owner_id")
    assert owner["ref"] == {"table": "user_profile", "column": "id"}


def test_keyset_pages_cover_every_row_once_in_order(studio: Studio) -> None:
    rows = pages(studio, "user_profile", limit=7)
    ids = [r[0] for r in rows]
    assert ids == list(range(1, PROFILES + 1))
    first = studio.client.post("/api/db/0/rows", json={"table": "user_profile", "limit": 7}).json()
    assert "OFFSET" not in first["sql"] and "ORDER BY" in first["sql"]


def test_sorting_by_a_nullable_column_pages_through_every_row_with_nulls_last(studio: Studio) -> None:
    columns = studio.client.post("/api/db/0/rows", json={"table": "user_profile", "limit": 1}).json()["columns"]
    name = columns.index("display_name")
    for desc in (False, True):
        rows = pages(studio, "user_profile", limit=9, sort="display_name", desc=desc)
        assert sorted(r[0] for r in rows) == list(range(1, PROFILES + 1))
        names = [r[name] for r in rows]
        present = [n for n in names if n is not None]
        assert present == sorted(present, reverse=desc)
        assert names[len(present) :] == [None] * (PROFILES // 10)


def test_filters_per_column(studio: Studio) -> None:
    def count(*filters: dict[str, Any]) -> int:
        return len(pages(studio, "user_profile", limit=500, filters=list(filters)))

    assert count({"column": "id", "op": ">", "value": "100"}) == PROFILES - 100
    assert count({"column": "display_name", "op": "null"}) == PROFILES // 10
    assert count({"column": "email", "op": "contains", "value": "user001"}) == 10
    # LIKE's wildcards are matched as themselves
    assert count({"column": "email", "op": "contains", "value": "%"}) == 0
    assert count({"column": "email", "op": "contains", "value": "_"}) == 0
    assert count({"column": "email", "op": "=", "value": "user0005@example.org"}) == 1


def test_an_edit_runs_in_one_transaction_shows_its_sql_and_bumps_the_sync_version(studio: Studio) -> None:
    [(before,)] = studio.query("SELECT sync_version FROM user_profile WHERE id = 5")
    response = studio.client.post(
        "/api/db/0/change/update",
        json={"table": "user_profile", "key": {"id": 5}, "values": {"display_name": "Róisín 'O\"Neill'; --"}},
    )
    assert response.status_code == 200, response.text
    done = response.json()
    assert done["sql"] == f"UPDATE user_profile SET display_name = {marker(studio)} WHERE id = {marker(studio)}"
    assert done["params"] == ["Róisín 'O\"Neill'; --", 5]
    assert done["row"]["display_name"] == "Róisín 'O\"Neill'; --"
    [(name, after)] = studio.query("SELECT display_name, sync_version FROM user_profile WHERE id = 5")
    assert name == "Róisín 'O\"Neill'; --"
    assert after == before + 1


def test_insert_and_delete(studio: Studio) -> None:
    inserted = studio.client.post(
        "/api/db/0/change/insert",
        json={
            "table": "tune",
            "values": {"owner_id": "2", "title": "Drowsy Maggie", "instrument": "flute", "tags": ["reel"]},
        },
    )
    assert inserted.status_code == 200, inserted.text
    row = inserted.json()["row"]
    assert row["title"] == "Drowsy Maggie" and row["instrument"] == "flute"
    assert studio.query("SELECT count(*) FROM tune") == [(2,)]
    deleted = studio.client.post("/api/db/0/change/delete", json={"table": "tune", "key": {"id": row["id"]}})
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["sql"] == f"DELETE FROM tune WHERE id = {marker(studio)}"
    assert studio.query("SELECT count(*) FROM tune") == [(1,)]


def test_a_constraint_violation_is_a_readable_error_and_changes_nothing(studio: Studio) -> None:
    before = studio.query("SELECT id, title FROM tune")
    response = studio.client.post(
        "/api/db/0/change/update", json={"table": "tune", "key": {"id": str(before[0][0])}, "values": {"title": ""}}
    )
    assert response.status_code == 409
    assert "tune_title_not_empty" in response.json()["error"] and "nothing was changed" in response.json()["error"]
    assert studio.query("SELECT id, title FROM tune") == before
    gone = studio.client.post(
        "/api/db/0/change/insert", json={"table": "tune", "values": {"owner_id": 9999, "title": "orphan"}}
    )
    assert gone.status_code == 409
    assert studio.query("SELECT count(*) FROM tune") == [(1,)]


def test_values_that_would_not_arrive_unchanged_are_refused_with_the_reason(studio: Studio) -> None:
    def refused(values: dict[str, Any], table: str = "tune") -> str:
        response = studio.client.post("/api/db/0/change/insert", json={"table": table, "values": values})
        assert response.status_code == 422, response.text
        return str(response.json()["error"])

    assert "not one of fiddle" in refused({"title": "x", "instrument": "bagpipes"})
    assert "more than varchar(20)" in refused({"title": "x", "key": "D" * 21})
    assert "expects an integer" in refused({"title": "x", "owner_id": "1.5"})
    assert "expects a JSON array" in refused({"title": "x", "tags": "reel"})
    assert "cannot be empty" in refused({"title": None})
    assert studio.query("SELECT count(*) FROM tune") == [(1,)]


def test_read_only_refuses_every_write(read_only_studio: Studio) -> None:
    client = read_only_studio.client
    before = read_only_studio.query("SELECT count(*) FROM user_profile")
    for path, body in [
        ("/api/db/0/change/insert", {"table": "user_profile", "values": {"email": "a@b.c"}}),
        ("/api/db/0/change/update", {"table": "user_profile", "key": {"id": 1}, "values": {"email": "a@b.c"}}),
        ("/api/db/0/change/delete", {"table": "user_profile", "key": {"id": 1}}),
        ("/api/db/0/sql", {"sql": "DELETE FROM user_profile", "id": "q1"}),
    ]:
        response = client.post(path, json=body)
        assert response.status_code == 403, path
        assert "read-only" in response.json()["error"]
    assert read_only_studio.query("SELECT count(*) FROM user_profile") == before
    assert client.post("/api/db/0/rows", json={"table": "user_profile"}).status_code == 200


@pytest.mark.postgres
def test_several_databases_one_tab_each(tmp_path: Path, pg_url: str) -> None:
    root = example_project(tmp_path)
    device = parse_url(f"sqlite:///{root / 'device.db'}")
    server = parse_url(pg_url)
    seeded(device, root)
    seeded(server, root)
    studio = make_studio(device, root)
    studio.workspace.targets.append(Target(server))
    listed = studio.client.get("/api/databases").json()["databases"]
    assert [d["dialect"] for d in listed] == ["sqlite", "postgresql"]
    studio.client.post(
        "/api/db/1/change/update", json={"table": "user_profile", "key": {"id": 3}, "values": {"email": "server@x.org"}}
    )
    emails = [
        next(
            r
            for r in studio.client.post(f"/api/db/{i}/rows", json={"table": "user_profile"}).json()["rows"]
            if r[0] == 3
        )[1]
        for i in (0, 1)
    ]
    assert emails == ["user0003@example.org", "server@x.org"]
