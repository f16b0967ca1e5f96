"""`mizzle.app.bundle`: the browser bundle of a migrations folder written in-process, and the
server for `--serve` bound before anything is written."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from mizzle.app import bundle as bundling
from mizzle.app import generate as generating
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import MigrationFolder
from tests.app.conftest import Project


def test_the_bundle_carries_the_folders_sqlite_migrations(project: Project, tmp_path: Path) -> None:
    generating.generate(project.config, "init")
    out = tmp_path / "bundle"
    made = bundling.bundle(out, project.folder)
    assert (made.migrations, made.head, made.pyodide) == (1, "0001_init", False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert [m["name"] for m in manifest["migrations"]] == ["0001_init"]


def test_without_a_migrations_folder_it_says_to_generate_first(tmp_path: Path) -> None:
    with pytest.raises(MizzleError, match="run `mizzle generate` first"):
        bundling.bundle(tmp_path / "out", MigrationFolder(tmp_path / "migrations"))
    assert not (tmp_path / "out").exists()


def test_a_bundle_into_a_missing_folder_creates_no_folder(project: Project, tmp_path: Path) -> None:
    generating.generate(project.config, "init")
    out = tmp_path / "no" / "such"
    with pytest.raises(MizzleError, match="there is no folder"):
        bundling.bundle(out, project.folder)
    assert not (tmp_path / "no").exists()


def test_a_busy_port_is_one_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(MizzleError, match=f"cannot serve on 127.0.0.1:{port}: .*pass --port"):
            bundling.listening(tmp_path, port)


def test_a_free_port_gives_a_bound_server(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    httpd = bundling.listening(tmp_path, port)
    try:
        assert httpd.server_port == port
    finally:
        httpd.server_close()


def test_pyodide_is_found_beside_the_config(tmp_path: Path) -> None:
    assert bundling.find_pyodide(tmp_path / "nothing") in (None, Path.cwd() / "node_modules" / "pyodide")
    package = tmp_path / "node_modules" / "pyodide"
    package.mkdir(parents=True)
    (package / "package.json").write_text("{}")
    assert bundling.find_pyodide(tmp_path) == package


def test_the_local_server_makes_the_browser_revalidate_every_file(tmp_path: Path) -> None:
    import threading
    import urllib.request

    (tmp_path / "manifest.json").write_text('{"head": null}')
    httpd = bundling.listening(tmp_path, 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{httpd.server_port}/manifest.json") as response:
            assert (response.headers["Cache-Control"], response.headers["Content-Type"]) == (
                "no-cache",
                "application/json",
            )
            assert response.read() == b'{"head": null}'
    finally:
        httpd.shutdown()
        httpd.server_close()
