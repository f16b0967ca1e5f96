"""mizzle's pure-Python wheel for Pyodide, written with `zipfile` from the files of the
mizzle that is running.

Why not pip or the build backend: `mizzle bundle` must work from a wheel installed from
PyPI (no source tree to build from), offline, and in a venv without `wheel` or `setuptools`.
The running package is the wheel's content already: its modules and package data (the
`mizzle` folder, whichever way it was installed), so the browser runs exactly the code that
wrote the bundle.

Two contents: the whole package (`write_wheel(dest)`, what `mz.schema()` needs with
`--with-model`: the model, its expressions, sqlglot's dialect code), or only the modules the
upgrade path imports (`write_wheel(dest, RUNTIME_ENTRY)`): the import closure of
`mizzle.wasm.runtime`, read from the modules' source (every `import` of a mizzle module that
runs when the module is imported; those under `if TYPE_CHECKING:` and inside functions, the
lazy paths of `mz.sync()` and `mz.schema()`, are left out: those need `--with-model`, which
ships the whole package), with the packages that hold them. The browser downloads and unpacks that instead of the
server, the CLI, studio and the sync server it never runs.

The archive is reproducible: files in sorted order, one fixed timestamp, fixed permissions.
The same mizzle gives the same bytes, so the bundle's content-hashed wheel URL only changes
when the code does (browsers keep what they cached across deploys of new migrations).
"""

from __future__ import annotations

import ast
import base64
import hashlib
import zipfile
from collections.abc import Iterable
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


#: what the browser runtime's upgrade path imports (`mizzle.js` calls `mizzle.wasm.runtime`)
RUNTIME_ENTRY = ("mizzle.wasm.runtime",)


def import_closure(root: Path, entry: Iterable[str]) -> list[Path]:
    """The files of the package folder `root` (the `mizzle` package) that importing the modules
    `entry` runs: each module, every mizzle module it imports (transitively), and the
    `__init__.py` of every package on the way. Sorted."""
    package = root.name

    def source(module: str) -> Path | None:
        parts = module.split(".")[1:]
        for candidate in (root.joinpath(*parts).with_suffix(".py"), root.joinpath(*parts, "__init__.py")):
            if parts and candidate.is_file():
                return candidate
        return root / "__init__.py" if not parts else None

    seen: set[Path] = set()
    todo = list(entry)
    while todo:
        module = todo.pop()
        path = source(module)
        if path is None or path in seen:
            continue
        seen.add(path)
        parents = module.split(".")
        todo += [".".join(parents[:i]) for i in range(1, len(parents))]
        todo += _imported(ast.parse(path.read_text(encoding="utf-8")), package)
    return sorted(seen, key=lambda p: p.relative_to(root).as_posix())


#: what holds statements that run with their module: statements, `except` and `case` blocks
_BLOCKS = (ast.stmt, ast.excepthandler, ast.match_case)


def _imported(tree: ast.Module, package: str) -> list[str]:
    """The modules of `package` a module imports when it is imported: its top-level imports
    (also inside top-level `if`/`try` blocks and class bodies, which run then), not those under
    `if TYPE_CHECKING:` (never run) nor inside functions (a function's import is the lazy path
    of a call the upgrade does not make: the sync client's, the model's; `--with-model` ships
    the whole package for those). `from x import y` may name a module y."""
    out = []
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo += node.orelse
            continue
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names if a.name.split(".")[0] == package]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == package:
            out.append(str(node.module))
            out += [f"{node.module}.{a.name}" for a in node.names]
        else:
            todo += [c for c in ast.iter_child_nodes(node) if isinstance(c, _BLOCKS)]
    return out


def wheel_name(version: str) -> str:
    return f"mizzle-{version}-py3-none-any.whl"


def write_wheel(dest: Path, entry: Iterable[str] | None = None) -> Path:
    """Write mizzle's `py3-none-any` wheel into the folder `dest`; returns its path. `entry`:
    only the modules importing those runs (`import_closure`), else the whole package."""
    root = Path(mizzle.__file__).resolve().parent
    version = mizzle.__version__
    info = f"mizzle-{version}.dist-info"
    files = package_files(root) if entry is None else import_closure(root, entry)
    entries: list[tuple[str, bytes]] = [
        (f"mizzle/{path.relative_to(root).as_posix()}", path.read_bytes()) for path in files
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
