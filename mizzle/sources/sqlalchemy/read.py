"""Reading a SQLAlchemy `MetaData` (declarative models, SQLModel classes, Core tables) into the model.

The metadata is not re-interpreted here: SQLAlchemy's own PostgreSQL DDL compiler writes the
statements `metadata.create_all()` would run on an empty PostgreSQL database (a mock engine
collects them, in create_all's order: enums, sequences, tables, indexes, `after_create` DDL),
and the `.sql` reader (`sources/sql/reader.py`) reads that script into the model. So the
mapping of types, `server_default`s, constraints and indexes is SQLAlchemy's and PostgreSQL's,
and what mizzle exports for PostgreSQL is what `create_all()` creates. Around that:

- what the DDL does not show is looked at here: a VIRTUAL `Computed(persisted=False)` is an error (the model
  holds STORED generated columns only); a type with no PostgreSQL spelling is an error; Python-side
  `default=`/`onupdate=` are reported, never made database defaults; a `Sequence` used by one
  column only is that column's own and read as serial (other sequences are reported);
- `Identity()` is read as serial and reported, as the `.sql` reader does (the model has no
  identity columns yet);
- every error names the place in the models: the mapped class's file and line (the module's
  file for a Core `Table`), not a line of the script nobody sees.
"""

from __future__ import annotations

import ast
import inspect
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import Column, Enum, Index, MetaData, Sequence, Table, create_mock_engine
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import registry as Registry

from mizzle.core.errors import SchemaError
from mizzle.core.introspection import Introspected, Unsupported
from mizzle.core.model import Schema
from mizzle.core.types import TypeKind
from mizzle.core.validate import validate
from mizzle.sources.objects import ObjectPath
from mizzle.sources.sqlalchemy.write import SYNC_INFO

#: the name the generated script is read under; errors naming it are moved to the models
SOURCE = "<sqlalchemy create_all>"
_AT_LINE = re.compile(rf"^{re.escape(SOURCE)}(?::(\d+))?: ")
_SUBJECT = re.compile(r'^table "([^"]+)"')
_SERIALS = {TypeKind.INTEGER: TypeKind.SERIAL, TypeKind.BIGINT: TypeKind.BIGSERIAL}
PYTHON_DEFAULT = "Python-side default, not a database default"


def read_target(target: ObjectPath) -> Introspected:
    value, module, files = target.resolve()
    if not isinstance(value, MetaData):
        owner = isinstance(getattr(value, "metadata", None), MetaData)
        hint = f" (name its MetaData: {target}.metadata)" if owner else ""
        raise SchemaError(f"{target} is {_a(value)}, not a SQLAlchemy MetaData{hint}")
    return read_metadata(value, Places.of(value, module, files))


def read_metadata(metadata: MetaData, places: Places | None = None) -> Introspected:
    """The schema `create_all()` of `metadata` would create on PostgreSQL (see the module docstring)."""
    places = places or Places()
    dialect = _dialect()
    notes: list[Unsupported] = []
    own_sequences: dict[tuple[str, str], str] = {}
    for table in metadata.tables.values():  # (sorted_tables warns of foreign-key cycles)
        for column in table.columns:
            notes += _column_notes(table, column, dialect, places, own_sequences)
    script = _Script()
    for element, sql in _create_all(metadata, dialect, places):
        script.add(sql, places.of_element(element))
    from mizzle.sources.load import mark_sync_tables
    from mizzle.sources.sql.reader import parse_ddl

    try:
        loaded = parse_ddl(script.text, source=SOURCE)
    except SchemaError as err:
        raise type(err)(script.relocate(str(err), places)) from None
    schema = _with_own_sequences(loaded.schema, own_sequences)
    synced = [t.name for t in metadata.tables.values() if t.info.get(SYNC_INFO)]
    if synced:  # `Table(..., info={"mizzle_sync": True})`: what `__sync__ = True` is in the DSL
        schema = mark_sync_tables(schema, [glob_escape(n) for n in synced], str(places.module or SOURCE))
    owned = set(own_sequences.values())
    kept = [u for u in loaded.unsupported if not (u.kind == "sequence" and u.name in owned)]
    return Introspected(schema=schema, unsupported=(*kept, *notes))


# --- where things are declared ----------------------------------------------------------


@dataclass
class Places:
    """`file:line` of each table's declaration: its mapped class, else the models' module."""

    tables: dict[str, str] = field(default_factory=dict)
    module: str | None = None

    @classmethod
    def of(cls, metadata: MetaData, module: ModuleType, files: dict[str, str]) -> Places:
        places = cls(module=files.get(module.__name__) or getattr(module, "__file__", None))
        lines: dict[str, dict[str, int]] = {}
        for mapped in _mapped_classes(module):
            table = getattr(mapped, "__table__", None)
            if isinstance(table, Table) and table.metadata is metadata and table.name not in places.tables:
                file = files.get(mapped.__module__) or _source_file(mapped)
                if file is None:
                    continue
                if file not in lines:
                    lines[file] = _class_lines(file)
                line = lines[file].get(mapped.__qualname__)
                places.tables[table.name] = f"{file}:{line}" if line else file
        return places

    def table(self, name: str) -> str | None:
        return self.tables.get(name, self.module)

    def of_element(self, element: object) -> str | None:
        if isinstance(element, Table):
            return self.table(element.name)
        if isinstance(element, Index) and isinstance(element.table, Table):
            return self.table(element.table.name)
        return self.module

    def prefix(self, place: str | None) -> str:
        return f"{place}: " if place else ""


def _mapped_classes(module: ModuleType) -> Iterator[type]:
    """The mapped classes the module defines or imports, and every class of their registries
    (declarative `Base.registry`, SQLModel's `_sa_registry`), so models split over modules are found."""
    registries: dict[int, Registry] = {}
    for value in vars(module).values():
        if not isinstance(value, type):
            continue
        if hasattr(value, "__table__"):
            yield value
        for attr in ("registry", "_sa_registry"):
            reg = getattr(value, attr, None)
            if isinstance(reg, Registry):
                registries[id(reg)] = reg
    for reg in registries.values():
        for mapper in reg.mappers:
            yield mapper.class_


def _source_file(mapped: type) -> str | None:
    try:
        return inspect.getsourcefile(mapped)
    except (OSError, TypeError):
        return None


def _class_lines(file: str) -> dict[str, int]:
    """Line of each class statement in `file`, by qualified name (`Outer.Inner`)."""
    try:
        tree = ast.parse(Path(file).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return {}
    found: dict[str, int] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                name = prefix + child.name
                found.setdefault(name, child.lineno)
                visit(child, name + ".")
            elif not isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, prefix)

    visit(tree, "")
    return found


# --- what the DDL does not show ---------------------------------------------------------


def _column_notes(
    table: Table, column: Column[Any], dialect: Dialect, places: Places, own_sequences: dict[tuple[str, str], str]
) -> list[Unsupported]:
    at = f'{places.prefix(places.table(table.name))}table "{table.name}", column "{column.name}"'
    if column.computed is not None and column.computed.persisted is False:
        # STORED is the one kind both databases hold (PostgreSQL before 18 has no VIRTUAL)
        raise SchemaError(f"{at}: Computed(persisted=False) is a VIRTUAL generated column; mizzle holds STORED ones")
    try:
        column.type.compile(dialect=dialect)
    except Exception:  # its message names SQLAlchemy's compiler object and a web page: not for this line
        raise SchemaError(f"{at}: type {type(column.type).__name__} has no PostgreSQL spelling") from None
    if isinstance(column.type, Enum) and column.type.native_enum and not column.type.name:
        raise SchemaError(f"{at}: a native Enum needs a name (Enum(..., name=...)), the PostgreSQL type's name")
    notes: list[Unsupported] = []
    where = f"{table.name}.{column.name}"
    default = column.default
    if isinstance(default, Sequence):
        users = [c for t in table.metadata.tables.values() for c in t.columns if _sequence_name(c) == default.name]
        if len(users) == 1 and column.server_default is None:
            own_sequences[(table.name, column.name)] = default.name
        else:
            fired = f"sequence {default.name}, fired by SQLAlchemy: {PYTHON_DEFAULT}"
            notes.append(Unsupported("column default", where, fired))
    elif default is not None:
        notes.append(Unsupported("column default", where, PYTHON_DEFAULT))
    if column.onupdate is not None:
        notes.append(Unsupported("column onupdate", where, "Python-side, not done by the database"))
    return notes


def _sequence_name(column: Column[Any]) -> str | None:
    return column.default.name if isinstance(column.default, Sequence) else None


def _with_own_sequences(schema: Schema, own: dict[tuple[str, str], str]) -> Schema:
    """Columns whose own `Sequence` numbers them made serial: what the database does with a
    sequence only that column uses (SQLAlchemy fires it on insert, a serial's default does)."""
    if not own:
        return schema
    tables = []
    for table in schema.tables:
        columns = []
        for column in table.columns:
            serial = _SERIALS.get(column.type.kind) if (table.name, column.name) in own else None
            if serial is not None and not column.type.array_dims and column.default is None:
                column = column.model_copy(update={"type": column.type.model_copy(update={"kind": serial})})
            columns.append(column)
        tables.append(table.model_copy(update={"columns": tuple(columns)}))
    # the serial stands for its sequence: it is not one of the schema's own (core/pg_objects.py)
    sequences = tuple(q for q in schema.sequences if q.name not in set(own.values()))
    return validate(schema.model_copy(update={"tables": tuple(tables), "sequences": sequences}))


# --- create_all, on paper ---------------------------------------------------------------


def _dialect() -> Dialect:
    # paramstyle "named": a pyformat driver would double every % in the DDL it prints
    return create_mock_engine("postgresql+psycopg://", _ignore, paramstyle="named").dialect


def _ignore(*_args: object, **_kwargs: object) -> None:
    return None


def _create_all(metadata: MetaData, dialect: Dialect, places: Places) -> list[tuple[object, str]]:
    """(element, PostgreSQL text) of each statement `metadata.create_all()` runs on an empty database."""
    elements: list[Any] = []
    engine = create_mock_engine("postgresql+psycopg://", lambda sql, *a, **k: elements.append(sql), paramstyle="named")
    with warnings.catch_warnings():
        # a foreign-key cycle: SQLAlchemy warns, then adds those keys by ALTER TABLE, as we do
        warnings.simplefilter("ignore", sa_exc.SAWarning)
        try:
            metadata.create_all(engine, checkfirst=False)
        except sa_exc.SQLAlchemyError as err:
            raise SchemaError(f"{places.prefix(places.module)}{_first(err)}") from None
    out = []
    seen: set[str] = set()
    for element in elements:
        target = getattr(element, "element", element)
        try:
            sql = str(element.compile(dialect=dialect)).strip()
        except Exception as err:  # a construct the PostgreSQL compiler cannot print
            raise SchemaError(f"{places.prefix(places.of_element(target))}{_first(err)}") from None
        # without checkfirst, a sequence or type several tables use is created with each of them;
        # create_all() on a live database checks first, so it creates it once
        if sql not in seen:
            seen.add(sql)
            out.append((target, sql))
    return out


class _Script:
    """The statements as one script, remembering which declaration each line comes from."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.starts: list[tuple[int, str | None]] = []
        self.line = 1

    def add(self, sql: str, place: str | None) -> None:
        self.starts.append((self.line, place))
        text = sql.rstrip().rstrip(";") + ";\n\n"
        self.parts.append(text)
        self.line += text.count("\n")

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def relocate(self, message: str, places: Places) -> str:
        """A parse error naming a line of the script, named by the declaration instead."""
        found = _AT_LINE.match(message)
        if found is None:
            return message
        rest = message[found.end() :]
        place: str | None = places.module
        if found.group(1) is not None:
            line = int(found.group(1))
            for start, where in self.starts:
                if start <= line:
                    place = where
        elif (subject := _SUBJECT.match(rest)) is not None:
            place = places.table(subject.group(1))
        return places.prefix(place) + rest


def glob_escape(name: str) -> str:
    """`name` as a shell-style pattern matching only itself."""
    return re.sub(r"([*?\[])", r"[\1]", name)


def _first(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _a(value: object) -> str:
    if isinstance(value, type):
        return f"the class {value.__name__}"
    name = type(value).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


__all__ = ["PYTHON_DEFAULT", "Places", "read_metadata", "read_target"]
