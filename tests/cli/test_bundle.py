"""`mizzle bundle`: the folder an app serves so browsers can upgrade their databases."""

from __future__ import annotations

import hashlib
import json
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
    assert main(["--config", str(EXAMPLE / "mizzle.toml"), "bundle", "--out", str(out), "--pyodide", str(PYODIDE)]) == 0
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
        data = (bundle / "wheels" / w["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == w["sha256"]
    core = next(w["file"] for w in wheels if w["file"].startswith("pydantic_core-"))
    assert core.endswith("-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
    mizzle_wheel = next(w["file"] for w in wheels if w["role"] == "runtime")
    assert mizzle_wheel.endswith("-py3-none-any.whl")
    names = zipfile.ZipFile(bundle / "wheels" / mizzle_wheel).namelist()
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
