"""The static server the browser tests load everything from (no browser needed here)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.server import ISOLATION_HEADERS, ServedRequest, StaticServer


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp_path = tmp_path_factory.mktemp("static")
    root = tmp_path / "site"
    (root / "sub").mkdir(parents=True)
    files = {
        "index.html": b"<!doctype html><p>hi</p>",
        "app.mjs": b"export const x = 1;",
        "classic.js": b"var x = 1;",
        "module.wasm": b"\x00asm\x01\x00\x00\x00",
        "lock.json": b"{}",
        "pkg-1.0-py3-none-any.whl": b"PK\x03\x04",
        "archive.zip": b"PK\x03\x04",
        "blob.unknownext": b"?",
        "sub/nested.txt": b"nested",
        "with space.txt": b"spaced",
    }
    for name, content in files.items():
        (root / name).write_bytes(content)
    (tmp_path / "secret.txt").write_text("outside the mount")
    return root


@pytest.fixture(scope="module")
def server(site: Path) -> Iterator[StaticServer]:
    """One server for the module's read-only tests (each start/stop costs a poll interval)."""
    with StaticServer({"/site/": site}) as running:
        yield running


def request(server: StaticServer, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    # http.client, not urllib: it sends the path exactly as written (``..`` included) and never
    # goes through a proxy from the environment.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("index.html", "text/html; charset=utf-8"),
        ("app.mjs", "text/javascript; charset=utf-8"),
        ("classic.js", "text/javascript; charset=utf-8"),
        ("module.wasm", "application/wasm"),
        ("lock.json", "application/json"),
        ("pkg-1.0-py3-none-any.whl", "application/octet-stream"),
        ("archive.zip", "application/octet-stream"),
        ("blob.unknownext", "application/octet-stream"),
    ],
)
def test_files_are_served_with_pinned_types(server: StaticServer, site: Path, name: str, content_type: str) -> None:
    status, headers, body = request(server, "GET", f"/site/{name}")

    assert status == 200
    assert headers["content-type"] == content_type
    assert body == (site / name).read_bytes()
    assert headers["content-length"] == str(len(body))
    assert headers["cache-control"] == "no-store"
    assert "cross-origin-opener-policy" not in headers


def test_head_sends_the_headers_without_the_body(server: StaticServer) -> None:
    status, headers, body = request(server, "HEAD", "/site/module.wasm")

    assert (status, body) == (200, b"")
    assert headers["content-type"] == "application/wasm"
    assert headers["content-length"] == "8"


def test_query_strings_and_escapes_are_understood(server: StaticServer) -> None:
    assert request(server, "GET", "/site/sub/nested.txt?v=2")[2] == b"nested"
    assert request(server, "GET", "/site/with%20space.txt")[2] == b"spaced"


@pytest.mark.parametrize(
    "path",
    [
        "/site/missing.js",
        "/site/",  # a folder: no listing
        "/site/sub",
        "/site",
        "/",
        "/other/index.html",  # under no mount
        "/site/../secret.txt",
        "/site/%2e%2e/secret.txt",
        "/site/sub/..%2F..%2Fsecret.txt",
        "/site/%ff.txt",  # not UTF-8
        "/site/index.html%00.txt",
    ],
)
def test_everything_else_is_a_404(server: StaticServer, path: str) -> None:
    status, headers, body = request(server, "GET", path)

    assert status == 404
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert b"outside the mount" not in body


def test_mounts_can_be_added_replaced_and_removed_while_running(site: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "index.html").write_text("other")
    with StaticServer({"/site/": site}) as server:
        _check_mounts(server, other)


def _check_mounts(server: StaticServer, other: Path) -> None:
    assert server.mount("extra", other) == "/extra/"
    assert request(server, "GET", "/extra/index.html")[2] == b"other"
    # The longest prefix wins, so a mount may sit inside another one.
    server.mount("/site/sub/", other)
    assert request(server, "GET", "/site/sub/index.html")[2] == b"other"
    assert request(server, "GET", "/site/index.html")[0] == 200

    server.unmount("/extra/")
    assert request(server, "GET", "/extra/index.html")[0] == 404


def test_bad_mounts_are_refused(server: StaticServer, site: Path) -> None:
    with pytest.raises(ValueError, match="would shadow"):
        server.mount("/", site)
    with pytest.raises(ValueError, match="bad mount prefix"):
        server.mount("/a/../b/", site)
    with pytest.raises(FileNotFoundError):
        server.mount("/nothing/", site / "no-such-folder")


def test_requests_are_recorded(server: StaticServer) -> None:
    server.clear_requests()
    request(server, "GET", "/site/app.mjs?x=1")
    request(server, "HEAD", "/site/nope")

    assert server.requests == [ServedRequest("GET", "/site/app.mjs", 200), ServedRequest("HEAD", "/site/nope", 404)]


def test_isolated_and_cached_servers_send_their_headers(site: Path) -> None:
    with StaticServer({"/site/": site}, isolated=True, cache=True) as server:
        _, headers, _ = request(server, "GET", "/site/index.html")
        _, missing_headers, _ = request(server, "GET", "/site/missing")

    for name, value in ISOLATION_HEADERS.items():
        assert headers[name.lower()] == value
        assert missing_headers[name.lower()] == value
    assert headers["cache-control"] == "public, max-age=3600"


def test_the_server_binds_loopback_on_a_free_port_and_stops(site: Path) -> None:
    with StaticServer({"/site/": site}) as first, StaticServer({"/site/": site}) as second:
        assert first.port != second.port
        assert first.origin == f"http://127.0.0.1:{first.port}"
        port = first.port
    assert not first.running
    with pytest.raises(OSError):
        http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/site/index.html")
