"""Object paths: `module.path:attr` or `path/file.py:attr`, the way a schema setting names a
Python object (a SQLAlchemy `MetaData`) instead of a schema file.

In `mizzle.toml` the setting is joined onto the config's folder like any path, so the last
part of the path holds `module:attr`, and the folder before it is where the module is
imported from: `schema = "app.models:Base.metadata"` imports `app.models` with the config's
folder on `sys.path`; `schema = "src/models.py:Base.metadata"` runs that file.
"""

from __future__ import annotations

import importlib
import re
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from mizzle.core.errors import MizzleError, SchemaError, SchemaSyntaxError

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_OBJECT_PATH = re.compile(rf"^(?P<module>.+?):(?P<attr>{_IDENT}(?:\.{_IDENT})*)$")
_DOTTED = re.compile(rf"^{_IDENT}(?:\.{_IDENT})*$")
_INSTALLED = frozenset({"site-packages", "dist-packages"})


@dataclass(frozen=True)
class ObjectPath:
    """A Python object named by `module:attr`: `folder` is put on `sys.path` for the import;
    `file` is set for the `file.py:attr` form, `module` for the dotted form."""

    folder: Path
    module: str
    attr: str
    file: Path | None = None

    def __str__(self) -> str:
        return f"{self.file if self.file is not None else self.module}:{self.attr}"

    def resolve(self) -> tuple[object, ModuleType, dict[str, str]]:
        """The object, the module it was read from, and the files of the modules that import
        loaded (by module name: they are forgotten afterwards, so `inspect` cannot find them).
        Every failure is one SchemaError line naming the place (file and line)."""
        # Imported here: load.py imports this module, and this uses load.py's importer.
        from mizzle.sources.load import python_module

        files: dict[str, str] = {}
        if self.file is not None:
            module = python_module(self.file)
            files[module.__name__] = str(self.file)
        else:
            module = _import_dotted(self.folder, self.module, files)
        value: object = module
        for part in self.attr.split("."):
            try:
                value = getattr(value, part)
            except AttributeError:
                raise SchemaError(f"{self}: {type(value).__name__} {_name(value)} has no attribute {part!r}") from None
        return value, module, files


def object_path(path: Path) -> ObjectPath | None:
    """The object path `path` ends in (see the module docstring), or None for a plain file."""
    found = _OBJECT_PATH.match(path.name)
    # `a:b.py` is a file with a colon in its name (an attribute is never called `py`)
    if found is None or path.suffix.lower() in (".py", ".sql"):
        return None
    module, attr = found.group("module"), found.group("attr")
    if module.endswith(".py"):
        return ObjectPath(folder=path.parent, module=module[:-3], attr=attr, file=path.parent / module)
    if _DOTTED.match(module) is None:
        return None
    return ObjectPath(folder=path.parent, module=module, attr=attr)


def _name(value: object) -> str:
    return str(getattr(value, "__name__", "")) or repr(value)


def _import_dotted(folder: Path, dotted: str, files: dict[str, str]) -> ModuleType:
    """Import `dotted` with `folder` first on `sys.path`, forgetting afterwards the modules it
    loaded from that folder, so that loading again (a long-lived process) sees new code."""
    where = str(folder.resolve())
    before = set(sys.modules)
    sys.path.insert(0, where)
    importlib.invalidate_caches()
    try:
        return importlib.import_module(dotted)
    except SyntaxError as err:
        raise SchemaSyntaxError(f"{err.filename}:{err.lineno}: {err.msg}") from None
    except ModuleNotFoundError as err:
        if err.name is not None and dotted.startswith(err.name) and err.name.split(".")[0] == dotted.split(".")[0]:
            raise SchemaError(f"{dotted}: no such module in {folder}") from None
        raise SchemaError(f"{_place(folder, err, dotted)}{type(err).__name__}: {err}") from None
    except MizzleError as err:
        raise type(err)(f"{_place(folder, err, dotted)}{err}") from None
    except (Exception, SystemExit) as err:  # the user's module: every failure is one line with its place
        raise SchemaError(f"{_place(folder, err, dotted)}{type(err).__name__}: {err}") from None
    finally:
        sys.path.remove(where)
        for added in set(sys.modules) - before:
            file = getattr(sys.modules[added], "__file__", None) or ""
            if file:
                files[added] = file
            # not an installed library, which a `.venv` in the folder may hold: its classes
            # must stay the ones the objects already read were made from
            if file and Path(file).resolve().is_relative_to(where) and not _INSTALLED.intersection(Path(file).parts):
                del sys.modules[added]


def _place(folder: Path, err: BaseException, dotted: str) -> str:
    """`file:line: ` of the deepest frame of the traceback in a file under `folder`."""
    root = folder.resolve()
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if Path(frame.filename).resolve().is_relative_to(root):
            return f"{frame.filename}:{frame.lineno}: "
    return f"{dotted}: "
