"""mizzle's pure-Python wheel for Pyodide, written with `zipfile` from the files of the
mizzle that is running.

Why not pip or the build backend: `mizzle bundle` must work from a wheel installed from
PyPI (no source tree to build from), offline, and in a venv without `wheel` or `setuptools`.
The running package is the wheel's content already: its modules and package data (the
`mizzle` folder, whichever way it was installed), so the browser runs exactly the code that
wrote the bundle.

The archive is reproducible: files in sorted order, one fixed timestamp, fixed permissions.
The same mizzle gives the same bytes, so the bundle's content-hashed wheel URL only changes
when the code does (browsers keep what they cached across deploys of new migrations).
"""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

import mizzle

#: zip's earliest date: a fixed time keeps the bytes the same from build to build
_EPOCH = (1980, 1, 1, 0, 0, 0)
_SKIPPED_DIRS = frozenset({"__pycache__"})
_SKIPPED_SUFFIXES = frozenset({".pyc", ".pyo"})


def package_files(root: Path) -> list[Path]:
    """Every file of the package folder `root` (modules and package data), bytecode left out, sorted."""
    files = []
    for path in root.rglob("*"):
        relative = path.relative_to(root)
        if path.is_file() and path.suffix not in _SKIPPED_SUFFIXES and not _SKIPPED_DIRS & set(relative.parts):
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def wheel_name(version: str) -> str:
    return f"mizzle-{version}-py3-none-any.whl"


def write_wheel(dest: Path) -> Path:
    """Write mizzle's `py3-none-any` wheel into the folder `dest`; returns its path."""
    root = Path(mizzle.__file__).resolve().parent
    version = mizzle.__version__
    info = f"mizzle-{version}.dist-info"
    entries: list[tuple[str, bytes]] = [
        (f"mizzle/{path.relative_to(root).as_posix()}", path.read_bytes()) for path in package_files(root)
    ]
    entries.append((f"{info}/METADATA", f"Metadata-Version: 2.1\nName: mizzle\nVersion: {version}\n".encode()))
    entries.append(
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: mizzle bundle\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
    )
    record = [f"{name},sha256={_urlsafe_sha256(data)},{len(data)}" for name, data in entries]
    entries.append((f"{info}/RECORD", ("\n".join([*record, f"{info}/RECORD,,"]) + "\n").encode()))
    target = dest / wheel_name(version)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            item = zipfile.ZipInfo(name, date_time=_EPOCH)
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(item, data)
    return target


def _urlsafe_sha256(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
