"""`mizzle bundle`: the static folder an app serves so browsers can upgrade their databases.

    <out>/mizzle.js        the JS API (loadMizzle, upgrade, status, check)
    <out>/manifest.json    the migrations, their SQLite SQL and checksums, the target schema
    <out>/wheels.json      every wheel with its sha256 and role
    <out>/wheels/          mizzle (built here with the project's build backend, setuptools) for
                           the upgrade path ("runtime"); pydantic, pydantic_core's
                           pyemscripten wasm32 build, their pure-Python dependencies and
                           sqlglot, for `mz.schema()` only ("model")
    <out>/demo/index.html  a page a person can open (`mizzle bundle --serve`)
    <out>/pyodide/         with --pyodide: the runtime from the `pyodide` npm package

The Pyodide release is fixed by what PyPI has for it: pydantic_core publishes wasm wheels
only for Python 3.14's Emscripten ABI (`pyemscripten_2026_0_wasm32`), which is Pyodide
314.x (docs/browser.md). The model wheels are downloaded once with pip into a cache.

The manifest's schema objects come from applying every migration to an empty in-memory
SQLite database with the runner, exactly as a browser will.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import mizzle
from mizzle.core.atomic import migrate_atomically
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import SNAPSHOT_FILE, LocalMigration, MigrationFolder
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from mizzle.wasm.manifest import DIALECT, FORMAT, fingerprint, schema_objects

PYODIDE_VERSION = "314.0.7"
WASM_PLATFORM = "pyemscripten_2026_0_wasm32"
WASM_PYTHON = "3.14"
#: what `mz.schema()` imports in Pyodide: pinned to the builds PyPI has for Pyodide 314
MODEL_REQUIREMENTS = (
    "pydantic==2.14.3",
    "pydantic-core==2.50.4",
    "typing-extensions==4.16.0",
    "annotated-types==0.8.0",
    "typing-inspection==0.4.5",
)
#: the Pyodide files a page loads (the npm package also holds typings, maps and consoles)
PYODIDE_FILES = (
    "pyodide.mjs",
    "pyodide.js",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
DEFAULT_CACHE = Path.home() / ".cache" / "mizzle" / f"pyodide-{PYODIDE_VERSION}-wheels"


@dataclass(frozen=True)
class Bundle:
    out: Path
    migrations: int
    head: str | None
    wheels: tuple[str, ...]
    pyodide: bool


def build_manifest(folder: MigrationFolder) -> dict[str, Any]:
    """The manifest of `folder` (see `manifest.py` for the format)."""
    migrations = folder.migrations()
    missing = [m.name for m in migrations if not m.has_sql(DIALECT)]
    if missing:
        raise MizzleError(f"cannot bundle: migration {missing[0]} has no {DIALECT}.sql (generate it for SQLite)")
    items = [
        {"name": m.name, "sql": m.sql(DIALECT), "down_sql": m.down_sql(DIALECT), "checksum": m.checksum(DIALECT)}
        for m in migrations
    ]
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        db = SqliteMigrationDatabase(conn)
        migrate_atomically(db, migrations)
        objects = schema_objects(db)
    finally:
        conn.close()
    return {
        "format": FORMAT,
        "dialect": DIALECT,
        "mizzle": mizzle.__version__,
        "migrations": items,
        "head": migrations[-1].name if migrations else None,
        "schema": {"fingerprint": fingerprint(objects), "objects": [list(o) for o in objects]},
        "snapshot": _snapshot(migrations),
    }


def _snapshot(migrations: list[LocalMigration]) -> dict[str, Any] | None:
    """The schema after the last migration, when it has a snapshot (a migration written by
    hand may not: `mz.schema()` then says so)."""
    if not migrations or not (migrations[-1].path / SNAPSHOT_FILE).is_file():
        return None
    return migrations[-1].snapshot().to_dict()


def project_root() -> Path:
    """mizzle's source tree (where pyproject.toml is), which the wheel is built from."""
    root = Path(mizzle.__file__).resolve().parent.parent
    if not (root / "pyproject.toml").is_file():
        raise MizzleError(
            "cannot build mizzle's wheel: mizzle is not installed from its source tree (pip install -e <checkout>)"
        )
    return root


def build_wheel(dest: Path) -> Path:
    """mizzle's pure-Python wheel, built by pip with the project's build backend: first with
    the build tools installed here, else in pip's isolated build environment (which fetches
    setuptools and wheel from the package index)."""
    errors = []
    # Without setuptools' wheel command here, only the isolated build can work.
    attempts = (["--no-build-isolation"], []) if _has_build_tools() else ([],)
    for isolation in attempts:
        with tempfile.TemporaryDirectory(prefix="mizzle-wheel-") as tmp:
            command = [sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q", "-w", tmp]
            done = subprocess.run([*command, str(project_root())], capture_output=True, text=True)
            built = sorted(Path(tmp).glob("mizzle-*-py3-none-any.whl"))
            if done.returncode == 0 and built:
                target = dest / built[0].name
                shutil.copyfile(built[0], target)
                return target
            lines = [ln.strip() for ln in done.stderr.splitlines() if ln.strip().startswith(("error", "ERROR"))]
            errors.append(lines[0] if lines else "no wheel was written")
    raise MizzleError(f"cannot build mizzle's wheel: {errors[0]}")


def _has_build_tools() -> bool:
    """setuptools with its bdist_wheel command (its own since 70.1, else the wheel package)."""
    from importlib.util import find_spec

    return find_spec("setuptools") is not None and (
        find_spec("wheel") is not None or find_spec("setuptools.command.bdist_wheel") is not None
    )


def model_wheels(cache: Path) -> list[Path]:
    """The model's wheels for Pyodide, downloaded into `cache` the first time."""
    from importlib.metadata import version

    requirements = [*MODEL_REQUIREMENTS, f"sqlglot=={version('sqlglot')}"]
    wanted = [r.split("==")[0].replace("-", "_") for r in requirements]

    def found() -> list[Path]:
        wheels = {w.name.split("-")[0].lower(): w for w in cache.glob("*.whl")}
        return [wheels[name] for name in wanted if name in wheels]

    if len(found()) < len(wanted):
        cache.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
        command += ["--platform", WASM_PLATFORM, "--python-version", WASM_PYTHON, "-d", str(cache), *requirements]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or len(found()) < len(wanted):
            last = (done.stderr.strip().splitlines() or ["a wheel is missing"])[-1]
            raise MizzleError(f"cannot download the wheels pydantic needs in Pyodide ({WASM_PLATFORM}): {last}")
    return found()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_bundle(
    out: Path,
    folder: MigrationFolder,
    *,
    pyodide: Path | None = None,
    cache: Path = DEFAULT_CACHE,
    wheel: Path | None = None,
) -> Bundle:
    """Write the bundle of `folder` into `out` (replacing what a previous bundle put there).
    `wheel`: mizzle's wheel, already built (tests and benchmarks build several bundles)."""
    manifest = build_manifest(folder)
    if pyodide is not None:
        _check_pyodide(pyodide)
    wheels_dir = out / "wheels"
    if wheels_dir.exists():
        shutil.rmtree(wheels_dir)
    wheels_dir.mkdir(parents=True)
    if wheel is not None:
        shutil.copyfile(wheel, wheels_dir / wheel.name)
    entries = [{"file": (wheels_dir / wheel.name if wheel else build_wheel(wheels_dir)).name, "role": "runtime"}]
    for wheel in model_wheels(cache):
        shutil.copyfile(wheel, wheels_dir / wheel.name)
        entries.append({"file": wheel.name, "role": "model"})
    for entry in entries:
        path = wheels_dir / entry["file"]
        entry.update(sha256=_sha256(path), bytes=str(path.stat().st_size))
    (out / "wheels.json").write_text(json.dumps(entries, indent=2) + "\n")
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    static = resources.files("mizzle.wasm") / "static"
    (out / "mizzle.js").write_text((static / "mizzle.js").read_text(encoding="utf-8"), encoding="utf-8")
    (out / "demo").mkdir(exist_ok=True)
    (out / "demo" / "index.html").write_text((static / "demo.html").read_text(encoding="utf-8"), encoding="utf-8")
    if pyodide is not None:
        target = out / "pyodide"
        target.mkdir(exist_ok=True)
        for name in PYODIDE_FILES:
            shutil.copyfile(pyodide / name, target / name)
    return Bundle(
        out, len(manifest["migrations"]), manifest["head"], tuple(e["file"] for e in entries), pyodide is not None
    )


def _check_pyodide(path: Path) -> None:
    package = path / "package.json"
    try:
        version = json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        raise MizzleError(f"--pyodide {path}: not the folder of the pyodide npm package (no package.json)") from None
    if version != PYODIDE_VERSION:
        raise MizzleError(
            f"--pyodide {path}: Pyodide {version}, but the bundle's wheels are built for Pyodide {PYODIDE_VERSION} "
            f"(npm install pyodide@{PYODIDE_VERSION})"
        )
    for name in PYODIDE_FILES:
        if not (path / name).is_file():
            raise MizzleError(f"--pyodide {path}: {name} is missing")
