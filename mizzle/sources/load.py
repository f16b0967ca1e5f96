"""Loading a schema source: a Python DSL module (`schema.py`), a PostgreSQL DDL file (`schema.sql`),
or a SQLAlchemy MetaData named by an object path (`app.models:Base.metadata`, `sources/sqlalchemy/`).

    introspected = load_schema(Path("schema.py"))
    schema = introspected.schema

A `.py` file is imported from its path under a module name of its own, with its directory on
`sys.path` while it runs (so it can import sibling modules); every Table class, Enum and View
it defines or imports is part of the schema. Anything that goes wrong comes out as one
MizzleError line naming the place: `schema.py:12: invalid syntax`,
`schema.py:30: NameError: name 'Tun' is not defined`, `table "tune", column "x": ...`.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import itertools
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from mizzle.core.errors import MizzleError, SchemaError, SchemaSyntaxError
from mizzle.core.introspection import Introspected
from mizzle.core.migration_text import one_line
from mizzle.core.model import Schema
from mizzle.core.sync.parts import with_sync
from mizzle.core.validate import validate
from mizzle.sources.compiled import compiled
from mizzle.sources.dsl.build import schema_from_classes
from mizzle.sources.dsl.code import CodeDecl, ExtensionDecl, FunctionDecl, TriggerDecl, VirtualTableDecl, with_code
from mizzle.sources.dsl.security import ServerOnly
from mizzle.sources.dsl.table import Enum, Table, View, table_name
from mizzle.sources.objects import object_path

_module_numbers = itertools.count(1)


def load_schema(path: Path, sync_tables: Sequence[str] = ()) -> Introspected:
    """The schema `path` declares (`.py` DSL module or `.sql` PostgreSQL DDL), validated;
    `sync_tables` (names or shell-style patterns, from `mizzle.toml`) are made sync tables."""
    loaded = _load(path)
    if not sync_tables:
        return loaded
    return Introspected(schema=mark_sync_tables(loaded.schema, sync_tables, str(path)), unsupported=loaded.unsupported)


def mark_sync_tables(schema: Schema, patterns: Sequence[str], source: str) -> Schema:
    """`schema` with the tables matching `patterns` made sync tables (`core/sync/parts.py`:
    the sync columns and index they lack are added). A pattern matching no table is an
    error: a misspelt name would otherwise leave a table untracked without a word."""
    names = [t.name for t in schema.tables]
    for pattern in patterns:
        if not fnmatch.filter(names, pattern):
            raise SchemaError(f"{source}: sync_tables names {pattern!r}, which matches no table")
    taken = {n for t in schema.tables for n in [t.name, *(i.name for i in t.indexes)]}
    tables = tuple(
        with_sync(t, taken) if not t.sync and any(fnmatch.fnmatchcase(t.name, p) for p in patterns) else t
        for t in schema.tables
    )
    try:
        return validate(schema.model_copy(update={"tables": tables}))
    except SchemaError as err:
        raise SchemaError(f"{source}: {err}") from None


def _load(path: Path) -> Introspected:
    if (target := object_path(path)) is not None:  # `module:attr`: a SQLAlchemy MetaData
        from mizzle.sources.sqlalchemy import load_metadata

        return load_metadata(target)
    suffix = path.suffix.lower()
    if suffix not in (".py", ".sql"):
        raise SchemaError(f"{path}: a schema is a Python module (.py) or a PostgreSQL DDL file (.sql)")
    try:
        # utf-8-sig: a byte order mark (Windows editors write one) is not part of the text.
        # Bytes decoded, not read_text: its universal newlines would turn a `\r` inside a
        # literal of a `.sql` schema into `\n`.
        source = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise SchemaError(f"{path}: no such schema file") from None
    except (OSError, UnicodeDecodeError) as err:
        raise SchemaError(f"{path}: cannot read the schema file ({err})") from None
    if suffix == ".sql":
        # Imported here: the DDL reader pulls in the PostgreSQL dialect's parser tables. It
        # validates the schema itself, naming the line of the statement at fault.
        from mizzle.sources.sql.reader import parse_ddl

        return parse_ddl(source, source=str(path))
    declared = Declarations.of(python_module(path, source))
    try:
        return Introspected(schema=validate(declared.schema()))
    except SchemaError as err:
        raise SchemaError(declared.place(path, str(err))) from None
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # a declaration the DSL did not foresee (user code runs here too): one line
        raise SchemaError(f"{path}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}") from None


@dataclass
class Declarations:
    """What a DSL module declares: its Table classes, Enums and Views, defined or imported."""

    tables: list[type[Table]] = field(default_factory=list)
    enums: list[Enum] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    server_only: list[ServerOnly] = field(default_factory=list)
    code: list[CodeDecl] = field(default_factory=list)

    @classmethod
    def of(cls, module: ModuleType) -> Declarations:
        found = cls()
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Table) and value is not Table:
                found.tables.append(value)
            elif isinstance(value, Enum):
                found.enums.append(value)
            elif isinstance(value, View):
                found.views.append(value)
            elif isinstance(value, ServerOnly):
                found.server_only.append(value)
            elif isinstance(value, (FunctionDecl, TriggerDecl, ExtensionDecl, VirtualTableDecl)):
                found.code.append(value)
        return found

    def schema(self) -> Schema:
        return with_code(schema_from_classes(self.tables, self.enums, self.views, self.server_only), self.code)

    def place(self, path: Path, message: str) -> str:
        """`message` prefixed with `path:line: ` of the table, enum or view it starts with."""
        found = _SUBJECT.match(message)
        if found is None:
            return message
        kind, name = found.groups()
        sources: list[tuple[str, int]] = []
        # messages write names as one line (`one_line`): compare them so
        if kind == "table":
            sources = [t.__source__ for t in self.tables if one_line(table_name(t)) == name]
        elif kind == "enum":
            sources = [e.source for e in self.enums if one_line(e.name) == name]
        else:
            sources = [v.source for v in self.views if one_line(v.name) == name]
        for file, line in sources:
            if file == str(path):
                return f"{path}:{line}: {message}"
        return message


_SUBJECT = re.compile(r'^(table|enum|view) "(.*?)"(?=[:, ]|$)')


def python_module(path: Path, source: str | None = None) -> ModuleType:
    """Import the Python file at `path` as a fresh module (see the module docstring)."""
    text = path.read_text(encoding="utf-8") if source is None else source
    try:
        code = compiled(text, path)
    except SyntaxError as err:
        raise SchemaSyntaxError(f"{path}:{err.lineno}: {err.msg}") from None
    name = f"_mizzle_schema_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    folder = str(path.resolve().parent)
    before = set(sys.modules)
    # Registered while it runs, as importing does: dataclasses and typing look modules up by name.
    sys.modules[name] = module
    sys.path.insert(0, folder)
    try:
        exec(code, vars(module))
    except MizzleError as err:
        raise type(err)(f"{_place(path, err)}{err}") from None
    except KeyboardInterrupt:
        raise
    except SystemExit as err:  # `sys.exit()` in a schema would end mizzle itself, with nothing written
        raise SchemaError(f"{_place(path, err)}the schema module called sys.exit({err.code!r})") from None
    except BaseException as err:  # the user's module: every failure becomes one line with its place
        raise SchemaError(f"{_place(path, err)}{type(err).__name__}: {err}") from None
    finally:
        sys.path.remove(folder)
        # Forget the module and the sibling modules it imported, so that loading again sees
        # new code; only files right beside it (a `.venv` or mizzle itself may be further down,
        # and must keep their one copy of each class).
        for added in set(sys.modules) - before:
            file = getattr(sys.modules[added], "__file__", None) or ""
            if added == name or (file and Path(file).resolve().parent == Path(folder)):
                del sys.modules[added]
    return module


def _place(path: Path, err: BaseException) -> str:
    """`file:line: ` of the deepest frame of the traceback in the schema module or in a module
    beside it (not in mizzle, nor in libraries, which may live in a `.venv` of that folder)."""
    folder = path.resolve().parent
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename == str(path):
            return f"{path}:{frame.lineno}: "
        if Path(frame.filename).resolve().parent == folder:
            return f"{frame.filename}:{frame.lineno}: "
    return f"{path}: "
