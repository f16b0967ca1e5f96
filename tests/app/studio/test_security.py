"""The studio's guard: the token on every route, the Host and Origin of this server only
(DNS rebinding), writes only with the token's header (CSRF), no password sent to the page, a
loopback address unless asked, and a busy port as one line naming it."""

from __future__ import annotations

import socket
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from mizzle.app.studio.server import COOKIE, create_app
from mizzle.app.studio.serving import is_loopback, listening
from mizzle.app.studio.workspace import Target, Workspace
from mizzle.core.errors import MizzleError
from mizzle.dialects.urls import parse_url
from tests.app.studio.conftest import TOKEN, Studio

ROUTES = [
    ("GET", "/"),
    ("GET", "/static/studio.js"),
    ("GET", "/api/databases"),
    ("GET", "/api/db/0/relations"),
    ("POST", "/api/db/0/rows"),
    ("POST", "/api/db/0/change/insert"),
    ("POST", "/api/db/0/change/update"),
    ("POST", "/api/db/0/change/delete"),
    ("POST", "/api/db/0/sql"),
    ("POST", "/api/db/0/sql/cancel"),
    ("GET", "/api/db/0/erd.svg"),
    ("GET", "/api/db/0/tables/tune"),
    ("GET", "/api/db/0/migrations"),
    ("GET", "/api/db/0/drift"),
]


def bare(studio: Studio) -> TestClient:
    return TestClient(create_app(studio.workspace, TOKEN, ["testserver"]))


def test_every_route_needs_the_token(studio: Studio) -> None:
    client = bare(studio)
    for method, path in ROUTES:
        for headers in ({}, {"X-Mizzle-Token": "wrong"}):
            response = client.request(method, path, headers=headers, json={"table": "tune", "sql": "DELETE FROM tune"})
            assert response.status_code == 401, (method, path)
    assert studio.query("SELECT count(*) FROM tune") == [(1,)]


def test_the_url_token_becomes_a_cookie_that_reads_but_does_not_write(studio: Studio) -> None:
    client = bare(studio)
    assert client.get("/?token=wrong", follow_redirects=False).status_code == 401
    opened = client.get(f"/?token={TOKEN}", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == "/"
    assert (
        "httponly" in opened.headers["set-cookie"].lower() and "samesite=strict" in opened.headers["set-cookie"].lower()
    )
    assert client.cookies.get(COOKIE) == TOKEN
    page = client.get("/")
    assert page.status_code == 200 and TOKEN in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/api/db/0/relations").status_code == 200
    # a write with the cookie alone (what a forged cross-site form would send) is refused
    response = client.post("/api/db/0/change/delete", json={"table": "user_profile", "key": {"id": 1}})
    assert response.status_code == 401
    assert studio.query("SELECT count(*) FROM user_profile WHERE id = 1") == [(1,)]


def test_a_foreign_host_or_origin_is_refused(studio: Studio) -> None:
    client = studio.client
    assert client.get("/api/databases", headers={"Host": "evil.example:4983"}).status_code == 403
    for origin in ("http://evil.example", "https://testserver", "null"):
        response = client.post(
            "/api/db/0/change/delete", json={"table": "user_profile", "key": {"id": 1}}, headers={"Origin": origin}
        )
        assert response.status_code == 403, origin
    assert client.get("/api/databases", headers={"Origin": "http://testserver"}).status_code == 200
    assert studio.query("SELECT count(*) FROM user_profile WHERE id = 1") == [(1,)]


def test_hostile_names_and_values_do_only_what_they_say(studio: Studio) -> None:
    client = studio.client
    for table in ['tune"; DROP TABLE tune; --', "tune' OR '1'='1"]:
        response = client.post("/api/db/0/rows", json={"table": table})
        assert response.status_code == 400 and "no table or view" in response.json()["error"]
    response = client.post(
        "/api/db/0/rows", json={"table": "tune", "filters": [{"column": 'title" OR 1=1 --', "op": "=", "value": "x"}]}
    )
    assert response.status_code == 400
    response = client.post(
        "/api/db/0/rows", json={"table": "tune", "filters": [{"column": "title", "op": "=", "value": "x' OR '1'='1"}]}
    )
    assert response.json()["rows"] == []
    assert studio.query("SELECT count(*) FROM tune") == [(1,)]


def test_the_page_never_gets_a_password() -> None:
    url = parse_url("postgresql://app:s3cret-pw@db.internal:5432/tracker?sslpassword=other-secret")
    client = TestClient(create_app(Workspace([Target(url)]), TOKEN, ["testserver"]), headers={"X-Mizzle-Token": TOKEN})
    listed = client.get("/api/databases")
    assert listed.status_code == 200
    assert "s3cret-pw" not in listed.text and "other-secret" not in listed.text
    assert listed.json()["databases"] == [{"id": 0, "dialect": "postgresql", "url": url.redacted}]


def test_binding_is_loopback_unless_asked_and_a_busy_port_is_one_line() -> None:
    bound = listening(port=0)
    try:
        assert bound.sock.getsockname()[0] == "127.0.0.1"
        assert bound.url.startswith(f"http://127.0.0.1:{bound.port}/?token=")
        assert len(bound.token) >= 40 and bound.token != listening.__name__
        with pytest.raises(MizzleError) as err:
            listening(port=bound.port)
        assert str(err.value).startswith(f"cannot serve the studio on 127.0.0.1:{bound.port}: ")
        assert "--port" in str(err.value)
    finally:
        bound.sock.close()
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
    assert bound.sock.family == socket.AF_INET


HOSTILE_TABLE = 'we%ird "t" ?x;--'
HOSTILE_KEY = "i%d"
HOSTILE_TEXT = "na?me %s 'x\"y"


def test_a_hostile_table_and_columns_through_every_form(studio: Studio) -> None:
    client = studio.client

    def qi(name: str) -> str:  # the test's own SQL: names quoted by hand, as a user would
        return '"' + name.replace('"', '""') + '"'

    q = qi(HOSTILE_TABLE)
    created = client.post(
        "/api/db/0/sql",
        json={"id": "h", "sql": f"CREATE TABLE {q} ({qi(HOSTILE_KEY)} integer PRIMARY KEY, {qi(HOSTILE_TEXT)} text)"},
    )
    assert created.status_code == 200, created.text
    names = {r["name"] for r in client.get("/api/db/0/relations").json()}
    assert HOSTILE_TABLE in names
    values = ["%s", "?", "'); DROP TABLE tune; --", "%%", "\\", "☃"]
    for i, value in enumerate(values, 1):
        response = client.post(
            "/api/db/0/change/insert", json={"table": HOSTILE_TABLE, "values": {HOSTILE_KEY: i, HOSTILE_TEXT: value}}
        )
        assert response.status_code == 200, response.text
        assert response.json()["row"] == {HOSTILE_KEY: i, HOSTILE_TEXT: value}
    page = client.post(
        "/api/db/0/rows",
        json={
            "table": HOSTILE_TABLE,
            "sort": HOSTILE_TEXT,
            "limit": 2,
            "filters": [{"column": HOSTILE_TEXT, "op": "!=", "value": "☃"}],
        },
    ).json()
    assert page["columns"] == [HOSTILE_KEY, HOSTILE_TEXT] and len(page["rows"]) == 2 and page["next_after"]
    contains = client.post(
        "/api/db/0/rows",
        json={"table": HOSTILE_TABLE, "filters": [{"column": HOSTILE_TEXT, "op": "contains", "value": "%"}]},
    ).json()
    assert sorted(r[1] for r in contains["rows"]) == ["%%", "%s"]
    updated = client.post(
        "/api/db/0/change/update",
        json={"table": HOSTILE_TABLE, "key": {HOSTILE_KEY: 2}, "values": {HOSTILE_TEXT: "%(x)s ? $1"}},
    )
    assert updated.status_code == 200, updated.text
    assert (
        client.post("/api/db/0/change/delete", json={"table": HOSTILE_TABLE, "key": {HOSTILE_KEY: 1}}).status_code
        == 200
    )
    stored = client.post(
        "/api/db/0/sql", json={"id": "r", "sql": f"SELECT * FROM {q} ORDER BY {qi(HOSTILE_KEY)}"}
    ).json()
    assert stored["rows"] == [[2, "%(x)s ? $1"], *[[i, v] for i, v in enumerate(values, 1)][2:]]
    detail = client.get(f"/api/db/0/tables/{quote(HOSTILE_TABLE, safe='')}?source=database")
    assert detail.status_code == 200 and detail.json()["name"] == HOSTILE_TABLE
    assert studio.query("SELECT count(*) FROM tune") == [(1,)]


def test_a_malformed_request_is_one_error_and_changes_nothing(studio: Studio) -> None:
    client = studio.client
    for path, body in [
        ("/api/db/0/change/update", {"table": "tune"}),
        ("/api/db/0/rows", {"table": "tune", "limit": "many"}),
        ("/api/db/0/change/delete", {"table": "tune", "key": ["not", "a", "mapping"]}),
    ]:
        response = client.post(path, json=body)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["error"].startswith("bad request: ")
    assert client.post("/api/db/0/rows", content=b"{not json").json()["error"] == "the request's body is not JSON"
    assert client.post("/api/db/9/rows", json={"table": "tune"}).json()["error"] == "no database 9"
    assert studio.query("SELECT count(*) FROM tune") == [(1,)]
