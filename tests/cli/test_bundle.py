"""`mizzle bundle`: the folder an app serves so browsers can upgrade their databases."""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import zipfile
from pathlib import Path

import pytest

from mizzle.core.migrations import MigrationFolder
from tests.cli.conftest import EXAMPLE, REPO, Mizzle

PYODIDE = REPO / "examples" / "browser" / "node_modules" / "pyodide"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's bundle, built once (building the wheel takes seconds)."""
    from mizzle.cli.app import main

    out = tmp_path_factory.mktemp("bundle")
    assert (
        main(
            [
                "--config",
                str(EXAMPLE / "mizzle.toml"),
                "bundle",
                "--out",
                str(out),
                "--pyodide",
                str(PYODIDE),
                "--with-model",
            ]
        )
        == 0
    )
    return out


def test_the_bundle_holds_the_api_the_manifest_the_wheels_the_demo_and_pyodide(bundle: Path) -> None:
    for name in ("mizzle.js", "manifest.json", "wheels.json", "demo/index.html", "pyodide/pyodide.mjs"):
        assert (bundle / name).is_file(), name
    wheels = json.loads((bundle / "wheels.json").read_text())
    roles = {w["file"].split("-")[0]: w["role"] for w in wheels}
    assert roles == {
        "mizzle": "runtime",
        "pydantic": "model",
        "pydantic_core": "model",
        "typing_extensions": "model",
        "annotated_types": "model",
        "typing_inspection": "model",
        "sqlglot": "model",
    }
    for w in wheels:
        # content-addressed: wheels/<first 16 hex digits of its sha256>/<wheel>
        assert w["url"] == f"wheels/{w['sha256'][:16]}/{w['file']}"
        data = (bundle / w["url"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == w["sha256"]
    core = next(w["file"] for w in wheels if w["file"].startswith("pydantic_core-"))
    assert core.endswith("-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
    mizzle_wheel = next(w["file"] for w in wheels if w["role"] == "runtime")
    assert mizzle_wheel.endswith("-py3-none-any.whl")
    names = zipfile.ZipFile(next(bundle.glob(f"wheels/*/{mizzle_wheel}"))).namelist()
    assert "mizzle/wasm/runtime.py" in names and "mizzle/wasm/static/mizzle.js" in names


def test_the_manifest_carries_each_migrations_sqlite_file_and_checksum(bundle: Path) -> None:
    manifest = json.loads((bundle / "manifest.json").read_text())
    local = MigrationFolder(EXAMPLE / "migrations").migrations()
    assert [m["name"] for m in manifest["migrations"]] == [m.name for m in local]
    for item, m in zip(manifest["migrations"], local, strict=True):
        assert (item["sql"], item["checksum"], item["down_sql"]) == (
            m.sql("sqlite"),
            m.checksum("sqlite"),
            m.down_sql("sqlite"),
        )
    assert manifest["head"] == local[-1].name
    assert {tuple(o[:2]) for o in manifest["schema"]["objects"]} >= {
        ("table", "tune"),
        ("trigger", "__mizzle_sync_update_tune"),
    }


def test_without_migrations_it_says_to_generate_first(tmp_path: Path, mizzle: Mizzle) -> None:
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\n')
    result = mizzle("--config", tmp_path / "mizzle.toml", "bundle", "--out", tmp_path / "out")
    assert result.code == 1
    assert "no migrations folder" in result.error_line


def test_pyodide_of_another_version_is_refused(tmp_path: Path, mizzle: Mizzle) -> None:
    fake = tmp_path / "pyodide"
    fake.mkdir()
    (fake / "package.json").write_text('{"version": "0.27.7"}')
    result = mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", tmp_path / "out", "--pyodide", fake)
    assert result.code == 1
    assert "Pyodide 0.27.7, but the bundle's wheels are built for Pyodide 314.0.7" in result.error_line


def test_a_busy_port_for_serve_is_one_error_line_and_writes_nothing(tmp_path: Path, mizzle: Mizzle) -> None:
    fake = tmp_path / "pyodide"
    fake.mkdir()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = tmp_path / "out"
        args = ["bundle", "--out", out, "--pyodide", fake, "--serve", "--port", str(port)]
        result = mizzle("--config", EXAMPLE / "mizzle.toml", *args)
    assert result.code == 1
    assert result.error_line.startswith(f"error: cannot serve on 127.0.0.1:{port}: Address already in use")
    assert "pass --port" in result.error_line
    assert not out.exists()


def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path, mizzle: Mizzle) -> None:
    result = mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", tmp_path / "out", "--port", "70000")
    assert (result.code, "--port" in result.error_line, (tmp_path / "out").exists()) == (2, True, False)


def test_a_bundle_into_a_folder_that_does_not_exist_creates_no_folder(tmp_path: Path, mizzle: Mizzle) -> None:
    out = tmp_path / "no" / "such" / "bundle"
    result = mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out)
    assert (result.code, result.error_line) == (
        1,
        f"error: cannot write the bundle into {out}: there is no folder {out.parent}",
    )
    assert not (tmp_path / "no").exists()


def test_it_says_when_new_databases_must_replay_and_why(tmp_path: Path, mizzle: Mizzle) -> None:
    folder = tmp_path / "migrations"
    shutil.copytree(EXAMPLE / "migrations", folder)
    (folder / "mizzle.sum").unlink(missing_ok=True)
    (tmp_path / "mizzle.toml").write_text('schema = "schema.py"\nout = "migrations"\ndialects = ["sqlite"]\n')
    seed = MigrationFolder(folder).custom("seed_plans", ["sqlite"])
    (seed.path / "sqlite.sql").write_text(
        (seed.path / "sqlite.sql").read_text() + "INSERT INTO tune (title) VALUES ('x');\n"
    )
    out = tmp_path / "out"
    result = mizzle("--config", tmp_path / "mizzle.toml", "bundle", "--out", out)
    assert result.code == 0, result.err
    assert result.err.splitlines()[1:] == [
        f"new databases replay every migration: migration {seed.name} is hand-written (custom)"
    ]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["fresh"] is None and manifest["fresh_refused"] == f"migration {seed.name} is hand-written (custom)"
    # the example alone: proved, nothing more said
    again = mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", tmp_path / "example")
    assert again.code == 0 and len(again.err.splitlines()) == 1
    assert json.loads((tmp_path / "example" / "manifest.json").read_text())["fresh"]["statements"]
